"""The playground's engine: chainrule's own tensor engine behind the little the page needs.

Everything the playground shows is computed here with chainrule:

* the points: ``chainrule.data.make_2d`` (moons, circles, xor, spiral; seeded);
* the network: ``chainrule.nn.MLP([2, hidden..., 2])``, two logits, one per class;
* the loss: ``chainrule.losses.cross_entropy`` (softmax cross-entropy; for two
  classes it is the binary cross-entropy of P(class 1) = softmax(z)₁);
* one training step: ``zero_grad()``, ``loss.backward()``, ``chainrule.optim.SGD.step()``.

Plain SGD (no momentum) keeps the optimiser stateless, which is what lets
the server forget everything between requests: the weights alone are the
whole training state.
"""

from __future__ import annotations

import numpy as np

from ..data import make_2d
from ..errors import InvalidValueError
from ..losses import accuracy, cross_entropy
from ..nn import MLP
from ..optim import SGD
from ..tensor import Tensor, no_grad

NAME = "chainrule.nn + chainrule.optim.SGD"
CLASSES = 2


def make_dataset(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded 2-D points of two classes, labels 0 and 1."""
    X, y = make_2d(name, n, noise, seed)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


class Network:
    """An MLP from 2 inputs to 2 logits, built fresh from a seed or from weights sent back by the page."""

    def __init__(self, sizes, activation, seed=None, params=None):
        self.model = MLP(list(sizes), activation, seed=int(seed or 0), dtype=np.float64)
        self.linears = self.model.layers[0::2]  # Linear, activation, Linear, ...: the Linear layers
        if params is not None:  # copied into the model's own arrays (views of its flat buffer), never rebound
            for layer, (W, b) in zip(self.linears, params):
                for p, value in ((layer.weight, W), (layer.bias, b)):
                    value = np.asarray(value, dtype=np.float64)
                    if value.shape != p.data.shape:
                        raise InvalidValueError(f"params: {p.name} has shape {value.shape}, allowed {p.data.shape}")
                    np.copyto(p.data, value)

    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(layer.weight.data, layer.bias.data) for layer in self.linears]

    def _logits(self, X) -> Tensor:
        return self.model(Tensor(np.asarray(X, dtype=np.float64)))

    def predict(self, X) -> np.ndarray:
        """P(class 1) for each row of X."""
        with no_grad():
            return self._logits(X).softmax(axis=-1).data[:, 1]

    def evaluate(self, X, y) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on (X, y)."""
        with no_grad():
            z = self._logits(X)
            return float(cross_entropy(z, y).item()), accuracy(z, y)

    def gradients(self, X, y) -> list[tuple[np.ndarray, np.ndarray]]:
        """∂loss/∂W and ∂loss/∂b of every layer, for the mean loss on (X, y)."""
        self.model.zero_grad()
        cross_entropy(self._logits(X), y).backward()
        out = []
        for layer in self.linears:
            gW = layer.weight.grad if layer.weight.grad is not None else np.zeros_like(layer.weight.data)
            gb = layer.bias.grad if layer.bias.grad is not None else np.zeros_like(layer.bias.data)
            out.append((np.array(gW), np.array(gb)))
        self.model.zero_grad()
        return out

    def sgd_step(self, X, y, lr: float) -> bool:
        """One step of gradient descent on the batch; False (and no change) if a weight would stop being finite."""
        before = [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in self.linears]
        optimizer = SGD(self.model.parameters(), lr=lr)
        optimizer.zero_grad()
        cross_entropy(self._logits(X), y).backward()
        optimizer.step()
        if all(np.all(np.isfinite(layer.weight.data)) and np.all(np.isfinite(layer.bias.data)) for layer in self.linears):
            return True
        for layer, (W, b) in zip(self.linears, before):
            np.copyto(layer.weight.data, W)
            np.copyto(layer.bias.data, b)
        return False

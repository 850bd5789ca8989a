"""The playground's network: chainrule's own tensor engine behind the little the playground needs.

* the network: ``chainrule.nn`` layers, ``Linear`` then its activation for
  each hidden layer (each layer its own: tanh, relu or sigmoid), then a
  ``Linear`` of one logit per class for classification or one value for
  regression; with one activation for all it is exactly
  ``chainrule.nn.MLP([features, hidden..., outputs], activation)``, the same
  seeded weights;
* the loss: ``chainrule.losses.cross_entropy`` (softmax cross-entropy: the
  probabilities are pₖ = e^{zₖ}/Σⱼ e^{zⱼ} and the loss of a point of class y
  is −log p_y; for two classes it is the binary cross-entropy of
  P(class 1) = softmax(z)₁) or ``chainrule.losses.mse_loss`` (the video's
  (a − y)², averaged);
* regularization, part of the same graph: L2 adds λ·½Σw² (so each weight's
  gradient gains λ·w), L1 adds λ·Σ|w| (λ·sign w), over the weights, not the
  biases; |w| is written relu(w) + relu(−w), so the engine differentiates it;
* one training step: ``zero_grad()``, ``loss.backward()``, ``chainrule.optim.SGD.step()``.

Plain SGD (no momentum) keeps the optimiser stateless: the weights alone are
the whole training state (``setup.Setup``).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidValueError
from ..losses import accuracy, cross_entropy, mse_loss
from ..nn import Linear, ReLU, Sequential, Sigmoid, Tanh
from ..optim import SGD
from ..tensor import Tensor, linear, no_grad
from .setup import Setup

__all__ = ["NAME", "Network", "network"]

NAME = "chainrule.nn + chainrule.optim.SGD"
# Each hidden activation's module, and the initialisation that suits it (as ``chainrule.nn.MLP`` chooses).
_MODULES = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}


def _layers(sizes, activations, seed: int, output: str) -> Sequential:
    """Linear, activation, Linear, …, Linear: drawn in order from one Generator seeded with ``seed``.

    He initialisation (variance 2/n_in) before a ReLU, Xavier otherwise; the output layer's as for ``output``
    (the one activation the network has, or its last hidden layer's), so that one activation for all gives
    ``MLP``'s very weights.
    """
    rng = np.random.default_rng(int(seed))
    modules = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        act = activations[k] if k < len(activations) else output
        modules.append(Linear(a, b, init="he" if act == "relu" else "xavier", seed=rng, dtype=np.float64))
        if k < len(activations):
            modules.append(_MODULES[act]())
    return Sequential(*modules)


class Network:
    """An MLP from the features to one logit per class (classification) or 1 value (regression).

    Built fresh from a seed or from weights sent back by the page. ``activation``: one name for every hidden
    layer, or a list of one per hidden layer. ``regularization``:
    "none", "l1" or "l2", with its ``rate`` λ. A training step that would send a weight past
    ±``weight_limit`` (or make it infinite) is not taken: ``sgd_step`` says so.
    """

    def __init__(self, sizes, activation, problem="classification", seed=None, params=None,
                 regularization="none", rate=0.0, weight_limit=math.inf):
        self.problem = problem
        self.regularization = regularization if rate > 0 else "none"
        self.rate = float(rate)
        self.weight_limit = weight_limit
        hidden = len(sizes) - 2
        self.activations = [activation] * hidden if isinstance(activation, str) else list(activation)
        if len(self.activations) != hidden or any(a not in _MODULES for a in self.activations) \
                or (isinstance(activation, str) and activation not in _MODULES):
            raise InvalidValueError(f"activation = {activation!r}: allowed: one of {', '.join(_MODULES)}, "
                                    f"or a list of {hidden} of them (one per hidden layer)")
        output = activation if isinstance(activation, str) else (self.activations[-1] if hidden else "tanh")
        self.model = _layers(list(sizes), self.activations, int(seed or 0), output)
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

    def _outputs(self, X) -> Tensor:
        return self.model(Tensor(np.asarray(X, dtype=np.float64)))

    def data_loss(self, out: Tensor, y) -> Tensor:
        """Cross-entropy of the logits (classification) or mean squared error of the value (regression)."""
        if self.problem == "regression":
            return mse_loss(out, Tensor(np.asarray(y, dtype=np.float64).reshape(-1, 1)))
        return cross_entropy(out, y)

    def penalty(self) -> Tensor | None:
        """λ·½Σw² (L2) or λ·Σ|w| (L1) over the weights, as a node of the graph; None without regularization."""
        if self.regularization == "none":
            return None
        total = None
        for layer in self.linears:
            w = layer.weight
            term = (w * w).sum() * 0.5 if self.regularization == "l2" else (w.relu() + (-w).relu()).sum()
            total = term if total is None else total + term
        return total * self.rate

    def objective(self, X, y) -> Tensor:
        """What training minimises: the data loss plus the regularization penalty."""
        loss = self.data_loss(self._outputs(X), y)
        penalty = self.penalty()
        return loss if penalty is None else loss + penalty

    def predict(self, X) -> np.ndarray:
        """P(class 1) (classification) or the predicted value (regression) for each row of X."""
        with no_grad():
            out = self._outputs(X)
            return out.data[:, 0] if self.problem == "regression" else out.softmax(axis=-1).data[:, 1]

    def probabilities(self, X) -> np.ndarray:
        """Each class's probability for each row of X (classification): softmax of the logits, rows summing to 1."""
        with no_grad():
            return self._outputs(X).softmax(axis=-1).data

    def evaluate(self, X, y) -> tuple[float, float | None]:
        """Mean data loss and accuracy on (X, y); accuracy is None for regression."""
        with no_grad():
            out = self._outputs(X)
            loss = float(self.data_loss(out, y).item())
            return loss, (None if self.problem == "regression" else accuracy(out, y))

    def neuron_outputs(self, X) -> list[np.ndarray]:
        """Every neuron's output for each row of X: one (rows, neurons) array per layer, hidden layers then the output.

        A hidden neuron's output is its activation a = f(x W + b); the output layer's is what the page shows of
        it: each class's probability (the softmax of the logits), or the value.
        """
        with no_grad():
            a = Tensor(np.asarray(X, dtype=np.float64))
            out = []
            for layer, activation in zip(self.linears[:-1], self.activations):
                a = linear(a, layer.weight, layer.bias, activation)
                out.append(a.data.copy())
        with no_grad():
            last = self._outputs(X)
            out.append(last.data if self.problem == "regression" else last.softmax(axis=-1).data)
        return out

    def gradients(self, X, y) -> list[tuple[np.ndarray, np.ndarray]]:
        """∂objective/∂W and ∂objective/∂b of every layer, for the mean loss on (X, y) plus the penalty."""
        self.model.zero_grad()
        self.objective(X, y).backward()
        out = []
        for layer in self.linears:
            gW = layer.weight.grad if layer.weight.grad is not None else np.zeros_like(layer.weight.data)
            gb = layer.bias.grad if layer.bias.grad is not None else np.zeros_like(layer.bias.data)
            out.append((np.array(gW), np.array(gb)))
        self.model.zero_grad()
        return out

    def sgd_step(self, X, y, lr: float) -> bool:
        """One step of gradient descent on the batch; False (and no change) if a weight would leave ±weight_limit."""
        before = [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in self.linears]
        optimizer = SGD(self.model.parameters(), lr=lr)
        optimizer.zero_grad()
        self.objective(X, y).backward()
        optimizer.step()
        limit = self.weight_limit
        if all(np.all(np.abs(layer.weight.data) <= limit) and np.all(np.abs(layer.bias.data) <= limit)
               for layer in self.linears):  # NaN compares False, so it fails too
            return True
        for layer, (W, b) in zip(self.linears, before):
            np.copyto(layer.weight.data, W)
            np.copyto(layer.bias.data, b)
        return False


def _check_params(params, sizes: list[int]) -> None:
    """The weights sent back must fit the network described by ``features`` and ``layers``."""
    if len(params) != len(sizes) - 1:
        raise InvalidValueError(
            f"params: {len(params)} layers sent for a network of {len(sizes) - 1} layers "
            f"(sizes {sizes}); allowed: exactly {len(sizes) - 1}, or none to start afresh"
        )
    for k, (W, b) in enumerate(params):
        rows, cols = sizes[k], sizes[k + 1]
        if len(W) != rows or any(len(r) != cols for r in W):
            raise InvalidValueError(f"params[{k}].W: wrong shape; allowed: {rows} rows of {cols} numbers")
        if len(b) != cols:
            raise InvalidValueError(f"params[{k}].b: wrong length; allowed: exactly {cols} numbers")


def network(setup: Setup) -> tuple[Network, int]:
    """The setup's network (its params, or the seeded start) and the step it is at."""
    sizes = setup.sizes()
    kwargs = dict(problem=setup.problem, regularization=setup.regularization, rate=setup.regularization_rate,
                  weight_limit=math.inf if setup.weight_limit is None else setup.weight_limit)
    activation = list(setup.activations) if setup.activations else setup.activation
    if setup.params is not None:
        _check_params(setup.params, sizes)
        return Network(sizes, activation, params=list(setup.params), **kwargs), setup.step
    return Network(sizes, activation, seed=setup.seed, **kwargs), 0

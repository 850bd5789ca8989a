"""Neurons, layers and multi-layer perceptrons made of scalar ``Value``s.

A neuron computes its *weighted input* z = Σᵢ wᵢ·xᵢ + b and then its
activation a = f(z). A layer is several neurons reading the same inputs; an
MLP is layers in a row, each layer's activations being the next one's inputs.
Every weight is a ``Value``, so ``cost.backward()`` gives each one its
dC/dw by the chain rule.

This is the scalar story, one number at a time, with the same interface as
micrograd (``MLP(2, [16, 16, 1])``, ``parameters()``, ``zero_grad()``), so its
examples run unchanged. ``chainrule.nn`` tells the same story with matrices.
"""

from __future__ import annotations

from .errors import InvalidValueError
from .scalar import Parameter, Value

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS"]

# name -> the Value method applying it; "linear" is the identity.
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise InvalidValueError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")
    return activation


class ScalarModule:
    """Anything with trainable ``Value``s: ``parameters()`` and ``zero_grad()``."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (they accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(ScalarModule):
    """a = f(Σᵢ wᵢ·xᵢ + b), with weights drawn uniformly from [−1, 1] and bias 0."""

    def __init__(self, n_inputs: int, activation: str = "relu", rng=None, nonlin: bool | None = None):
        if nonlin is not None:  # micrograd's spelling: Neuron(n, nonlin=False)
            activation = "relu" if nonlin else "linear"
        self.activation = _check_activation(activation)
        if rng is None:
            import random as rng  # Python's shared generator, as micrograd's neurons use
        self.w = [Parameter(rng.uniform(-1.0, 1.0), label="w") for _ in range(n_inputs)]
        self.b = Parameter(0.0, label="b")

    def __call__(self, x):
        z = Value.dot(self.w, x, self.b)
        return z if self.activation == "linear" else getattr(z, self.activation)()

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(ScalarModule):
    """n_outputs neurons, each reading all n_inputs."""

    def __init__(self, n_inputs: int, n_outputs: int, activation: str = "relu", rng=None, **kwargs):
        self.neurons = [Neuron(n_inputs, activation, rng, **kwargs) for _ in range(n_outputs)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(ScalarModule):
    """Layers of sizes n_inputs → n_outputs[0] → … ; the last layer is linear.

    ``MLP(2, [16, 16, 1])`` is micrograd's moons classifier. ``seed`` makes
    the initial weights reproducible.
    """

    def __init__(self, n_inputs: int, n_outputs: list[int], activation: str = "relu", seed: int | None = None):
        if n_inputs < 1 or not n_outputs or any(int(n) < 1 for n in n_outputs):
            raise InvalidValueError(f"MLP sizes must be positive, got {n_inputs} → {list(n_outputs)}")
        _check_activation(activation)
        if seed is not None:
            import random

            rng = random.Random(seed)
        else:
            rng = None
        sizes = [n_inputs] + list(n_outputs)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(n_outputs) - 1 else "linear", rng)
            for i in range(len(n_outputs))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

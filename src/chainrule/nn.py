"""Layers and networks made of ``Tensor``s: ``chainrule.neuron`` with matrices.

A layer of n_out neurons reading n_in inputs is one matrix product. Put a
batch of inputs in the rows of x (N, n_in) and the weights of neuron j in
column j of W (n_in, n_out): then every weighted input of every neuron for
every example is

    z = x W + b          (N, n_out)

and a = f(z) applies the activation elementwise. An MLP repeats this;
the last layer has no activation: its outputs are scores (logits) that a
loss such as ``losses.cross_entropy`` turns into a cost.

Initialisation. If the weights are too large the activations explode layer
after layer, too small and they vanish. He initialisation (for ReLU) draws
W from a normal with variance 2/n_in; Xavier/Glorot (for tanh and sigmoid)
draws uniformly in ±√(6/(n_in + n_out)). Both keep the variance of the
activations roughly constant through the layers. Biases start at 0.
Everything is drawn from a seeded ``numpy.random.Generator``, so the same
seed gives the same network.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from .errors import InvalidValueError
from .tensor import FLOAT_DTYPES, Tensor, linear

__all__ = [
    "Parameter", "Module", "Linear", "MLP", "Sequential", "ReLU", "Tanh", "Sigmoid", "Identity",
    "ACTIVATIONS", "INITS",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("he", "xavier")


class Parameter(Tensor):
    """A trainable tensor: a leaf with ``requires_grad=True`` that modules collect."""

    __slots__ = ()

    def __init__(self, data, dtype=None, name: str = ""):
        super().__init__(data, requires_grad=True, dtype=dtype, name=name)


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidValueError(f"seed must be a whole number >= 0 or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def _dtype(dtype) -> np.dtype:
    d = np.dtype(dtype)
    if d not in FLOAT_DTYPES:
        raise InvalidValueError(f"dtype must be float32 or float64, got {d}")
    return d


class Module:
    """Anything with parameters: ``parameters()``, ``zero_grad()``, ``train()``/``eval()``, state dicts.

    Parameters and sub-modules are found by looking at the attributes (in
    the order they were set), including lists and tuples of modules, so a
    subclass only has to assign them in ``__init__`` and define ``forward``.
    """

    training: bool = True

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, x) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        return self.forward(x)

    # -------------------------------------------------------- structure
    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator["Module"]:
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def zero_grad(self) -> None:
        """Forget the accumulated gradients (they add up across backward calls)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.parameters())

    # ------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """name -> a copy of the parameter's array (e.g. ``layers.0.weight``)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy arrays into the parameters, checking names, shapes and dtypes first.

        Nothing is changed unless every check passes. The parameter arrays
        are updated in place, so an optimizer holding them stays valid.
        """
        params = dict(self.named_parameters())
        missing = [n for n in params if n not in state]
        unexpected = [n for n in state if n not in params]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected {', '.join(unexpected)}")
            raise InvalidValueError(f"load_state_dict: the parameters do not match this model: {'; '.join(parts)}")
        for name, p in params.items():
            if name not in state:
                continue
            arr = np.asarray(state[name])
            if arr.shape != p.data.shape:
                raise InvalidValueError(
                    f"load_state_dict: {name} has shape {tuple(arr.shape)} in the state but {tuple(p.data.shape)} in the model"
                )
            if arr.dtype != p.data.dtype:
                raise InvalidValueError(f"load_state_dict: {name} has dtype {arr.dtype} in the state but {p.data.dtype} in the model")
            if not np.isfinite(arr).all():  # a NaN weight would only surface later, as a baffling "diverged"
                raise InvalidValueError(f"load_state_dict: {name} holds NaN or infinite values; weights must be finite")
        for name, p in params.items():
            if name in state:
                np.copyto(p.data, state[name])

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            lines.append("  " + f"({name}): {child!r}".replace("\n", "\n  "))
        lines.append(")")
        return "\n".join(lines)


class Linear(Module):
    """z = x W + b: ``n_out`` neurons, each reading the ``n_in`` inputs.

    ``weight`` has shape (n_in, n_out), ``bias`` (n_out,). ``init``: "he"
    (normal, variance 2/n_in; for ReLU) or "xavier" (uniform ±√(6/(n_in + n_out));
    for tanh, sigmoid). ``seed``: an int or a numpy Generator.
    """

    def __init__(self, n_in: int, n_out: int, bias: bool = True, init: str = "he", seed=None, dtype=np.float32):
        for what, n in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise InvalidValueError(f"Linear: {what} must be a whole number >= 1, got {n!r}")
        if init not in INITS:
            raise InvalidValueError(f"Linear: init must be one of {', '.join(INITS)}, got {init!r}")
        dtype = _dtype(dtype)
        rng = _rng(seed)
        self.n_in, self.n_out, self.init = int(n_in), int(n_out), init
        if init == "he":
            w = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        else:
            limit = np.sqrt(6.0 / (n_in + n_out))
            w = rng.uniform(-limit, limit, (n_in, n_out))
        self.weight = Parameter(w.astype(dtype), name="weight")
        self.bias = Parameter(np.zeros(n_out, dtype=dtype), name="bias") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_out}, bias={self.bias is not None}"


class ReLU(Module):
    """a = max(0, z)."""

    def forward(self, x):
        return x.relu()


class Tanh(Module):
    """a = tanh z."""

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """a = σ(z) = 1/(1 + e⁻ᶻ)."""

    def forward(self, x):
        return x.sigmoid()


class Identity(Module):
    """a = z."""

    def forward(self, x):
        return x


_ACTIVATION_MODULES = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Identity}


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 2))``."""

    def __init__(self, *layers: Module):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for layer in layers:
            if not isinstance(layer, Module):
                raise InvalidValueError(f"Sequential: {layer!r} is not a Module")
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


def _lay_out_contiguously(params: list[Parameter]) -> None:
    """Move the parameters' numbers into consecutive parts of one new array (values unchanged).

    Each parameter's ``data`` becomes a view of that array, so an optimizer
    can update every weight of the network with one numpy call per line of
    its formula instead of one per parameter (``optim`` explains).
    """
    dtype = params[0].data.dtype
    flat = np.empty(sum(p.data.size for p in params), dtype)
    offset = 0
    for p in params:
        n = p.data.size
        view = flat[offset:offset + n].reshape(p.data.shape)
        view[...] = p.data
        p.data = view
        offset += n


class MLP(Sequential):
    """A multi-layer perceptron: ``MLP([64, 128, 64, 10], "relu")``.

    ``sizes``: the input size, the hidden layer sizes, then the output size.
    Every layer but the last is followed by ``activation``; the last one
    outputs logits. ``init`` defaults to "he" for ReLU and "xavier"
    otherwise. All layers draw from one Generator seeded with ``seed``.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", init: str | None = None, seed=0,
                 dtype=np.float32):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise InvalidValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise InvalidValueError(f"MLP: every size must be a whole number >= 1, got {sizes}")
        if activation not in ACTIVATIONS:
            raise InvalidValueError(f"MLP: activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")
        init = init or ("he" if activation == "relu" else "xavier")
        rng = _rng(seed)
        layers: list[Module] = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(a, b, init=init, seed=rng, dtype=dtype))
            if k < len(sizes) - 2:
                layers.append(_ACTIVATION_MODULES[activation]())
        super().__init__(*layers)
        _lay_out_contiguously(self.parameters())
        self.sizes = [int(n) for n in sizes]
        self.activation = activation
        self._act = activation
        self.dtype = _dtype(dtype)

    def forward(self, x: Tensor) -> Tensor:
        # the same as Sequential.forward (Linear, activation, ..., Linear), with each hidden layer and its
        # activation as one node, a = f(x W + b) (tensor.linear): one node and one array fewer per layer
        layers = self.layers
        activation = self._act
        for i in range(0, len(layers) - 1, 2):
            layer = layers[i]
            x = linear(x, layer.weight, layer.bias, activation)
        layer = layers[-1]
        return linear(x, layer.weight, layer.bias)

    def extra_repr(self) -> str:
        return f"{self.sizes}, {self.activation!r}"

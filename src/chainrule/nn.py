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
    "Parameter", "ParameterBuffer", "Module", "Linear", "Dense", "MLP", "Sequential", "ReLU", "Tanh", "Sigmoid",
    "Identity",
    "ACTIVATIONS", "INITS",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("he", "xavier")


class Parameter(Tensor):
    """A trainable tensor: a leaf with ``requires_grad=True`` that modules collect.

    Inside a model, its ``data`` and ``grad_buffer`` are views of the
    model's flat arrays (``ParameterBuffer``); ``_place`` says where.
    """

    __slots__ = ("_place",)

    def __init__(self, data, dtype=None, name: str = ""):
        super().__init__(data, requires_grad=True, dtype=dtype, name=name)
        self._place = None  # (the ParameterBuffer holding this parameter, its index there), once a model owns it


class ParameterBuffer:
    """The numbers of several parameters as consecutive parts of one flat array, and their gradients likewise.

    ``data`` (1-D) holds every parameter's numbers; each parameter's
    ``data`` becomes a view of its part (values unchanged). ``grad`` (1-D,
    the same layout) holds their gradients: each parameter's
    ``grad_buffer`` is a view of its part, so backward writes every
    gradient of the model into this one array (see "Gradient buffers" in
    ``chainrule.tensor``: the model owns these arrays; copy a gradient you
    want to keep). One array for the numbers and one for the gradients let
    an optimizer update the whole model with one numpy call per line of its
    formula instead of one per parameter. The design is PyTorch's
    ``flatten_parameters``/DDP gradient buckets in miniature.

    ``offsets[k]:offsets[k + 1]`` is parameter k's part of both arrays.
    """

    def __init__(self, params: Sequence[Parameter]):
        params = list(params)
        dtypes = {p.data.dtype for p in params}
        if len(dtypes) != 1:
            raise InvalidValueError(f"ParameterBuffer: the parameters must share one dtype, got {sorted(map(str, dtypes))}")
        dtype = dtypes.pop()
        self.offsets = [0]
        for p in params:
            self.offsets.append(self.offsets[-1] + p.data.size)
        self.data = np.empty(self.offsets[-1], dtype)
        self.grad = np.zeros(self.offsets[-1], dtype)
        self._data_views, self._grad_views = [], []  # (and no list of the parameters: no reference cycle)
        for k, p in enumerate(params):
            start, stop = self.offsets[k], self.offsets[k + 1]
            view = self.data[start:stop].reshape(p.data.shape)
            view[...] = p.data
            p.data = view
            p.grad_buffer = self.grad[start:stop].reshape(view.shape)
            if p.grad is not None:  # a gradient already there moves in too
                p.grad_buffer[...] = p.grad
                p.grad = p.grad_buffer
            p._place = (self, k)
            self._data_views.append(view)
            self._grad_views.append(p.grad_buffer)

    def views(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Parameter k's views of ``data`` and ``grad``, as this buffer made them.

        Parameter k still reads its numbers and its gradient from this buffer
        while ``p.data is`` the first and ``p.grad is`` the second; not once
        someone replaced its ``data`` (``p.data = new_array``) or its ``grad``
        (``p.grad = ...``, or None: no gradient this step).
        """
        return self._data_views[k], self._grad_views[k]


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

    ``training`` is the mode ``train()``/``eval()`` set on every sub-module,
    as in PyTorch. No chainrule layer computes differently in the two modes
    (there is no dropout or batch norm yet); ``to_torch`` carries the mode
    over, so the converted module starts in the same one.
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

    def flatten_parameters(self) -> "Module":
        """Give this model its gradient buffers: its parameters move into one flat array, their gradients into another.

        Each parameter's ``data`` becomes a view of a ``ParameterBuffer``'s
        ``data`` (values unchanged) and its ``grad_buffer`` a view of the
        buffer's ``grad``; one buffer per dtype. From then on the model owns
        its gradient arrays: backward writes into them, and a gradient you
        want to keep past the next backward must be copied. A parameter that
        another model's buffer holds already stays there. ``Sequential`` and
        ``MLP`` do this when they are built; returns the model.
        """
        by_dtype: dict = {}
        for p in self.parameters():
            if p._place is None and all(p is not q for q in by_dtype.get(p.data.dtype, ())):
                by_dtype.setdefault(p.data.dtype, []).append(p)
        for params in by_dtype.values():
            ParameterBuffer(params)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients (they add up across backward calls): ``Tensor.zero_grad`` on each."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    def train(self, mode: bool = True) -> "Module":
        """Set ``training`` on this module and every sub-module; returns the module."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """``train(False)``."""
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


def _check_size(what: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidValueError(f"{what} must be a whole number >= 1, got {n!r}")
    return int(n)


def _init_weight(n_in: int, n_out: int, init: str, rng: np.random.Generator, dtype) -> np.ndarray:
    """He (normal, variance 2/n_in) or Xavier/Glorot (uniform ±√(6/(n_in + n_out))) weights, shape (n_in, n_out)."""
    if init == "he":
        w = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
    else:
        limit = np.sqrt(6.0 / (n_in + n_out))
        w = rng.uniform(-limit, limit, (n_in, n_out))
    return w.astype(dtype)


class Linear(Module):
    """z = x W + b: ``n_out`` neurons, each reading the ``n_in`` inputs.

    ``weight`` has shape (n_in, n_out), ``bias`` (n_out,). ``init``: "he"
    (normal, variance 2/n_in; for ReLU) or "xavier" (uniform ±√(6/(n_in + n_out));
    for tanh, sigmoid). ``seed``: an int or a numpy Generator.
    """

    def __init__(self, n_in: int, n_out: int, bias: bool = True, init: str = "he", seed=None, dtype=np.float32):
        n_in, n_out = _check_size("Linear: n_in", n_in), _check_size("Linear: n_out", n_out)
        if init not in INITS:
            raise InvalidValueError(f"Linear: init must be one of {', '.join(INITS)}, got {init!r}")
        dtype = _dtype(dtype)
        self.n_in, self.n_out, self.init = n_in, n_out, init
        self.weight = Parameter(_init_weight(n_in, n_out, init, _rng(seed), dtype), name="weight")
        self.bias = Parameter(np.zeros(n_out, dtype=dtype), name="bias") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_out}, bias={self.bias is not None}"


class Dense(Module):
    """a = f(x W + b): a layer and its activation as one module, and one graph node (``tensor.linear``).

    ``activation``: "relu", "tanh", "sigmoid", or "linear"/None for none;
    it is read at every call, so the module always computes what its repr
    shows. ``init`` defaults to "he" for ReLU and "xavier" otherwise.
    ``weight`` (n_in, n_out) and ``bias`` (n_out,) as in ``Linear``.
    """

    def __init__(self, n_in: int, n_out: int, activation: str | None = "relu", bias: bool = True,
                 init: str | None = None, seed=None, dtype=np.float32):
        n_in, n_out = _check_size("Dense: n_in", n_in), _check_size("Dense: n_out", n_out)
        if activation is not None and activation not in ACTIVATIONS:
            raise InvalidValueError(f"Dense: activation {activation!r} is not one of {', '.join(ACTIVATIONS)} or None")
        init = init or ("he" if activation == "relu" else "xavier")
        if init not in INITS:
            raise InvalidValueError(f"Dense: init must be one of {', '.join(INITS)}, got {init!r}")
        dtype = _dtype(dtype)
        self.n_in, self.n_out, self.init, self.activation = n_in, n_out, init, activation
        self.weight = Parameter(_init_weight(n_in, n_out, init, _rng(seed), dtype), name="weight")
        self.bias = Parameter(np.zeros(n_out, dtype=dtype), name="bias") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias, self.activation)

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_out}, activation={self.activation!r}, bias={self.bias is not None}"


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


# activation name -> its module, and (for the ones a dense layer applies in place) back
_ACTIVATION_MODULES = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Identity}
_ACTIVATION_NAMES = {module: name for name, module in _ACTIVATION_MODULES.items()}
_FUSED = {module: name for module, name in _ACTIVATION_NAMES.items() if name != "linear"}


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 2))``.

    Its parameters move into the model's own flat buffers when it is built
    (``flatten_parameters``).

    A ``Linear`` followed by a ``ReLU``, ``Tanh`` or ``Sigmoid`` runs as one
    dense-layer node, a = f(x W + b) (``tensor.linear``): the same numbers,
    bit for bit, as the two modules one after the other, with one node and
    one array fewer. The pair is read from ``layers`` at every call, so
    replacing a module (``model.layers[1] = Tanh()``) changes what runs.
    Only those exact classes are fused; a subclass runs its own ``forward``.
    """

    def __init__(self, *layers: Module):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for layer in layers:
            if not isinstance(layer, Module):
                raise InvalidValueError(f"Sequential: {layer!r} is not a Module")
        self.layers = list(layers)
        self.flatten_parameters()

    def forward(self, x: Tensor) -> Tensor:
        layers = self.layers
        n = len(layers)
        i = 0
        while i < n:
            layer = layers[i]
            if type(layer) is Linear and i + 1 < n:
                activation = _FUSED.get(type(layers[i + 1]))
                if activation is not None:
                    x = linear(x, layer.weight, layer.bias, activation)
                    i += 2
                    continue
            x = layer(x)
            i += 1
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


class MLP(Sequential):
    """A multi-layer perceptron: ``MLP([64, 128, 64, 10], "relu")``.

    ``sizes``: the input size, the hidden layer sizes, then the output size.
    Every layer but the last is followed by ``activation``; the last one
    outputs logits. ``init`` defaults to "he" for ReLU and "xavier"
    otherwise. All layers draw from one Generator seeded with ``seed``.

    It is a ``Sequential`` of ``Linear`` and activation modules (state dict
    keys ``layers.0.weight``, ``layers.0.bias``, ``layers.2.weight``, ...),
    so each hidden layer runs fused with its activation, and ``sizes`` and
    ``activation`` are read off ``layers``.
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
        self.dtype = _dtype(dtype)

    @property
    def sizes(self) -> list[int]:
        """[n_in of the first Linear, then n_out of each Linear]."""
        linears = [m for m in self.layers if isinstance(m, Linear)]
        return [linears[0].n_in] + [m.n_out for m in linears] if linears else []

    @property
    def activation(self) -> str:
        """The activation between the layers ("relu", ...; "linear" when there is none), or "mixed" if they differ."""
        names = {_ACTIVATION_NAMES.get(type(m), "mixed") for m in self.layers if not isinstance(m, Linear)}
        return names.pop() if len(names) == 1 else "mixed" if names else "linear"

    def extra_repr(self) -> str:
        return f"{self.sizes}, {self.activation!r}"

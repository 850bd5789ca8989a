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

Beyond dense layers: ``Conv1d``, ``MaxPool1d``, ``AvgPool1d`` read
sequences (N, L, C) with the channels last (``chainrule.convolution``),
``Flatten`` turns them back into rows for a dense layer, ``Reshape`` makes
rows of samples into sequences, and ``RNN``/``GRU`` carry a state along a
batch-first sequence (N, T, F) (``chainrule.recurrence``). A convolution's
weight (K, C_in, C_out) holds one (C_in, C_out) matrix per tap, the way a
``Linear`` weight is (n_in, n_out).
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from .errors import InvalidValueError
from .convolution import avg_pool1d, conv1d, max_pool1d, output_length
from .recurrence import RNN_ACTIVATIONS, gru, rnn
from .tensor import FLOAT_DTYPES, Tensor, linear

__all__ = [
    "Parameter", "ParameterBuffer", "Module", "Linear", "Dense", "MLP", "Sequential", "ReLU", "Tanh", "Sigmoid",
    "Identity", "Conv1d", "MaxPool1d", "AvgPool1d", "Flatten", "Reshape", "SwapAxes", "RNN", "GRU",
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
    # The activation this module applies, by name ("relu", "tanh", "sigmoid"), when the layer before it may apply it
    # inside its own node (``forward_activated``); None for every other module.
    fused_activation: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward" in vars(cls):  # a forward of its own is what runs: no fused form inherited from a parent
            if "fused_activation" not in vars(cls):
                cls.fused_activation = None
            if "forward_activated" not in vars(cls):
                cls.forward_activated = Module.forward_activated

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward_activated(self, x: Tensor, activation: str) -> Tensor | None:
        """f(forward(x)) as one node, f the activation named ``activation``; None when this module has no such node.

        ``Sequential`` asks this of a module followed by one whose ``fused_activation`` is set; on None it runs
        the two one after the other.
        """
        return None

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


def _init_weight(n_in: int, n_out: int, init: str, rng: np.random.Generator, dtype, shape: tuple | None = None) -> np.ndarray:
    """He (normal, variance 2/n_in) or Xavier/Glorot (uniform ±√(6/(n_in + n_out))) weights, shape (n_in, n_out).

    ``n_in``/``n_out`` are the fan-in and fan-out: how many inputs each
    output reads and how many outputs each input feeds. For a convolution
    they count the taps too (C_in·K and C_out·K), and ``shape`` is the
    kernel's (K, C_in, C_out).
    """
    shape = (n_in, n_out) if shape is None else shape
    if init == "he":
        w = rng.standard_normal(shape) * np.sqrt(2.0 / n_in)
    else:
        limit = np.sqrt(6.0 / (n_in + n_out))
        w = rng.uniform(-limit, limit, shape)
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

    def forward_activated(self, x: Tensor, activation: str) -> Tensor:
        """f(x W + b) as one node (``Sequential`` runs a Linear and the activation after it this way)."""
        return linear(x, self.weight, self.bias, activation)

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


class Conv1d(Module):
    """z[n, t, o] = b[o] + Σ_k Σ_c x[n, t·s + k·d − p, c] · W[k, c, o]: one small kernel slid along the sequence.

    Input (N, L, in_channels), output (N, L_out, out_channels): channels
    last, like a dense layer's features (``chainrule.convolution`` explains
    the layout, the formula and its gradients). ``weight`` has shape
    (kernel_size, in_channels, out_channels): W[k] maps the channels at
    tap k to the output channels, as a ``Linear`` weight maps n_in to n_out.
    ``bias`` (out_channels,). ``init``: "he" (default, normal with variance
    2/fan_in) or "xavier", with fan_in = in_channels·kernel_size.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, bias: bool = True, init: str = "he", seed=None, dtype=np.float32):
        c_in, c_out = _check_size("Conv1d: in_channels", in_channels), _check_size("Conv1d: out_channels", out_channels)
        k = _check_size("Conv1d: kernel_size", kernel_size)
        self.stride, self.dilation = _check_size("Conv1d: stride", stride), _check_size("Conv1d: dilation", dilation)
        if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
            raise InvalidValueError(f"Conv1d: padding must be a whole number >= 0, got {padding!r}")
        if init not in INITS:
            raise InvalidValueError(f"Conv1d: init must be one of {', '.join(INITS)}, got {init!r}")
        dtype = _dtype(dtype)
        self.in_channels, self.out_channels, self.kernel_size, self.padding, self.init = c_in, c_out, k, int(padding), init
        self.weight = Parameter(_init_weight(c_in * k, c_out * k, init, _rng(seed), dtype, (k, c_in, c_out)), name="weight")
        self.bias = Parameter(np.zeros(c_out, dtype=dtype), name="bias") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def forward_activated(self, x: Tensor, activation: str) -> Tensor:
        """f(conv(x)) as one node (``Sequential`` runs a Conv1d and the activation after it this way)."""
        return conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, activation)

    def output_length(self, length: int) -> int:
        """How many positions the output has for an input of ``length`` (< 1: the input is too short)."""
        return output_length(length, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None}")


class _Pool(Module):
    """What both pooling layers share: the window (kernel_size, stride, padding)."""

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0):
        name = type(self).__name__
        self.kernel_size = _check_size(f"{name}: kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else _check_size(f"{name}: stride", stride)
        if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or not 0 <= padding <= self.kernel_size // 2:
            raise InvalidValueError(f"{name}: padding must be a whole number from 0 to kernel_size // 2 = "
                                    f"{self.kernel_size // 2}, got {padding!r}")
        self.padding = int(padding)

    def output_length(self, length: int) -> int:
        return output_length(length, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_Pool):
    """m[n, t, c] = max over the window of x[n, ·, c] (``convolution.max_pool1d``); stride defaults to kernel_size."""

    def forward(self, x: Tensor) -> Tensor:
        return max_pool1d(x, self.kernel_size, self.stride, self.padding)


class AvgPool1d(_Pool):
    """m[n, t, c] = the mean over the window of x[n, ·, c] (``convolution.avg_pool1d``); stride defaults to kernel_size."""

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool1d(x, self.kernel_size, self.stride, self.padding)


class Flatten(Module):
    """(N, L, C) → (N, L·C): each example's numbers in one row, for the dense layer that follows (``Tensor.flatten``)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(1)


class Reshape(Module):
    """Each example reshaped to ``shape``, the batch axis kept: ``Reshape(40, 1)`` makes (N, 40) signals (N, 40, 1) sequences."""

    def __init__(self, *shape: int):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        self.shape = tuple(_check_size("Reshape: each size", n) for n in shape)
        if not self.shape:
            raise InvalidValueError("Reshape: give the shape of one example, e.g. Reshape(40, 1)")

    def forward(self, x: Tensor) -> Tensor:
        per_example = int(np.prod(x.data.shape[1:], dtype=np.int64)) if x.data.ndim else 1
        if x.data.ndim < 1 or per_example != int(np.prod(self.shape, dtype=np.int64)):
            raise InvalidValueError(f"Reshape: cannot reshape examples of shape {tuple(x.data.shape[1:])} (input "
                                    f"{tuple(x.data.shape)}) to {self.shape}")
        return x.reshape((x.data.shape[0], *self.shape))

    def extra_repr(self) -> str:
        return ", ".join(map(str, self.shape))


class SwapAxes(Module):
    """Two axes of each example exchanged (default 1 and 2): (N, C, L) ↔ (N, L, C), PyTorch's layout ↔ chainrule's.

    ``interop.from_torch`` puts one before a torch convolution that read
    PyTorch's channels-first (N, C, L), so that the chainrule model reads
    the same inputs. The batch axis 0 stays where it is.
    """

    def __init__(self, axis1: int = 1, axis2: int = 2):
        self.axis1, self.axis2 = _check_size("SwapAxes: axis1", axis1), _check_size("SwapAxes: axis2", axis2)
        if self.axis1 == self.axis2:
            raise InvalidValueError(f"SwapAxes: the two axes must differ, got {axis1} and {axis2}")

    def forward(self, x: Tensor) -> Tensor:
        if x.data.ndim <= max(self.axis1, self.axis2):
            raise InvalidValueError(f"SwapAxes: cannot swap axes {self.axis1} and {self.axis2} of a tensor of shape "
                                    f"{tuple(x.data.shape)}")
        axes = list(range(x.data.ndim))
        axes[self.axis1], axes[self.axis2] = axes[self.axis2], axes[self.axis1]
        return x.transpose(axes)

    def extra_repr(self) -> str:
        return f"{self.axis1}, {self.axis2}"


def _recurrent_weights(n_in: int, hidden: int, gates: int, rng: np.random.Generator, dtype) -> tuple[np.ndarray, np.ndarray]:
    """W_ih (n_in, gates·H) and W_hh (H, gates·H), uniform in ±1/√H (PyTorch's default for its recurrent layers)."""
    limit = 1.0 / np.sqrt(hidden)
    return (rng.uniform(-limit, limit, (n_in, gates * hidden)).astype(dtype),
            rng.uniform(-limit, limit, (hidden, gates * hidden)).astype(dtype))


class _Recurrent(Module):
    """What RNN and GRU share: sizes, the output (every state or the last), the initialisation."""

    GATES = 1

    def _setup(self, input_size: int, hidden_size: int, return_sequence: bool, seed, dtype) -> np.random.Generator:
        """Check and set the sizes, draw the two weights; returns the Generator, for whatever else a cell draws."""
        name = type(self).__name__
        self.input_size = _check_size(f"{name}: input_size", input_size)
        self.hidden_size = _check_size(f"{name}: hidden_size", hidden_size)
        self.return_sequence = bool(return_sequence)
        rng, dtype = _rng(seed), _dtype(dtype)
        w_ih, w_hh = _recurrent_weights(self.input_size, self.hidden_size, self.GATES, rng, dtype)
        self.weight_ih = Parameter(w_ih, name="weight_ih")
        self.weight_hh = Parameter(w_hh, name="weight_hh")
        return rng

    def _output(self, states: Tensor) -> Tensor:
        """(N, T, H) → itself with ``return_sequence``, else the last state (N, H)."""
        return states if self.return_sequence else states[:, -1]


class RNN(_Recurrent):
    """hₜ = f(xₜ W_ih + hₜ₋₁ W_hh + b) over a batch-first sequence (N, T, input_size) (``recurrence.rnn``).

    Returns the last state (N, hidden_size), or with ``return_sequence``
    every state (N, T, hidden_size). ``activation``: "tanh" or "relu".
    Weights start uniform in ±1/√H (as in PyTorch), the bias at 0; there is
    one bias (PyTorch's two, b_ih and b_hh, only ever appear as their sum).
    """

    def __init__(self, input_size: int, hidden_size: int, activation: str = "tanh", return_sequence: bool = False,
                 bias: bool = True, seed=None, dtype=np.float32):
        if activation not in RNN_ACTIVATIONS:
            raise InvalidValueError(f"RNN: activation must be one of {', '.join(RNN_ACTIVATIONS)}, got {activation!r}")
        self._setup(input_size, hidden_size, return_sequence, seed, dtype)
        self.activation = activation
        self.bias = Parameter(np.zeros(hidden_size, self.weight_hh.data.dtype), name="bias") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return self._output(rnn(x, self.weight_ih, self.weight_hh, self.bias, activation=self.activation))

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, activation={self.activation!r}, "
                f"return_sequence={self.return_sequence}, bias={self.bias is not None}")


class GRU(_Recurrent):
    """A gated recurrent unit over a batch-first sequence (N, T, input_size) (``recurrence.gru`` has the equations).

    Returns the last state (N, hidden_size), or with ``return_sequence``
    every state (N, T, hidden_size). ``weight_ih`` (input_size, 3H) and
    ``weight_hh`` (H, 3H) hold the gates r, z, n side by side; ``bias_ih``
    and ``bias_hh`` (3H,) likewise (both are needed: b_hn sits inside the
    reset gate's product). Weights and biases start uniform in ±1/√H, as in
    PyTorch.
    """

    GATES = 3

    def __init__(self, input_size: int, hidden_size: int, return_sequence: bool = False, bias: bool = True, seed=None,
                 dtype=np.float32):
        rng = self._setup(input_size, hidden_size, return_sequence, seed, dtype)
        limit, dtype = 1.0 / np.sqrt(self.hidden_size), self.weight_hh.data.dtype
        self.bias_ih = Parameter(rng.uniform(-limit, limit, 3 * self.hidden_size).astype(dtype), name="bias_ih") if bias else None
        self.bias_hh = Parameter(rng.uniform(-limit, limit, 3 * self.hidden_size).astype(dtype), name="bias_hh") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return self._output(gru(x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, return_sequence={self.return_sequence}, bias={self.bias_ih is not None}"


class ReLU(Module):
    """a = max(0, z)."""

    fused_activation = "relu"

    def forward(self, x):
        return x.relu()


class Tanh(Module):
    """a = tanh z."""

    fused_activation = "tanh"

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """a = σ(z) = 1/(1 + e⁻ᶻ)."""

    fused_activation = "sigmoid"

    def forward(self, x):
        return x.sigmoid()


class Identity(Module):
    """a = z."""

    def forward(self, x):
        return x


# activation name -> its module, and (for the ones a dense layer applies in place) back
_ACTIVATION_MODULES = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": Identity}
_ACTIVATION_NAMES = {module: name for name, module in _ACTIVATION_MODULES.items()}


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 2))``.

    Its parameters move into the model's own flat buffers when it is built
    (``flatten_parameters``).

    A ``Linear`` followed by a ``ReLU``, ``Tanh`` or ``Sigmoid`` runs as one
    dense-layer node, a = f(x W + b) (``tensor.linear``): the same numbers,
    bit for bit, as the two modules one after the other, with one node and
    one array fewer. A ``Conv1d`` followed by one of them runs as one
    convolutional-layer node the same way (``convolution.conv1d``). The pair is read from ``layers`` at every call, so
    replacing a module (``model.layers[1] = Tanh()``) changes what runs.
    A module says what it fuses (``fused_activation``, ``forward_activated``);
    a subclass that writes its own ``forward`` runs that forward, unfused.
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
            activation = layers[i + 1].fused_activation if i + 1 < n else None
            if activation is not None:
                fused = layer.forward_activated(x, activation)
                if fused is not None:
                    x = fused
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

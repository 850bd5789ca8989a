"""``Tensor``: the scalar engine's story, told with whole arrays at once.

``Value`` keeps one number and, for each input, one local derivative. A
``Tensor`` keeps an array (``data``, a numpy ``ndarray`` of float32 or
float64) and, for each input, a *rule* that turns the gradient of the output
into the gradient of that input. The vocabulary is the same::

    W = Tensor(np.random.randn(3, 2), requires_grad=True)
    x = Tensor(np.ones((4, 3)))
    C = ((x @ W).relu() ** 2).mean()
    C.backward()
    W.grad                    # dC/dW, an array shaped like W

Why rules and not numbers. For ``y = x @ W`` the local derivative ∂y/∂W is a
4-index object (every output element against every weight), mostly zeros.
Backpropagation never needs it: it only needs the *vector-Jacobian product*
``dC/dW = Σ_y dC/dy · ∂y/∂W``, which for a matrix product is the short
formula ``xᵀ · dC/dy``. Each operation below states that formula in its
docstring, and its backward rule, written right after it, implements
exactly that line (``g`` is always dC/d(output)). The chain rule is
unchanged: gradients flowing into a node from all its users add up, and the
node hands the total to its inputs through its rule.

Broadcasting. numpy lets ``(4, 3) + (3,)`` add the row to every row. The
row was used 4 times, so its gradient is the sum of the 4 incoming rows:
a broadcast in the forward pass is a sum in the backward pass
(``_unbroadcast``).

The graph. Every result keeps its parent tensors (``_parents``), its
backward rule (``_backward``) and, rarely, a few saved arrays (``_ctx``).
The rule receives the node and the gradient of its output; it is not a
closure, so no node ever refers to itself and a finished graph is freed by
reference counting the moment the loss goes away. ``backward()`` walks the
graph without recursion, and (unless asked to ``retain_graph``) cuts each
node loose as soon as it has passed its gradient on, so the big saved
arrays are freed while the walk goes on.

Gradients accumulate on *leaves* (tensors you create with
``requires_grad=True``, such as weights) across calls, as in PyTorch, until
``zero_grad()``; intermediate gradients are not kept.

Gradient buffers: who owns ``grad``. A leaf may have a ``grad_buffer``: an
array, lent by the model the leaf belongs to, that receives its gradient.
``nn`` models give every parameter one (a view of one flat array per model,
``nn.Module.flatten_parameters``), so a training step allocates no gradient
arrays and the optimizer updates the whole model in a few numpy calls. The
contract, like PyTorch's ``zero_grad(set_to_none=False)``:

* the gradient array belongs to the model. After ``zero_grad()`` the leaf's
  ``grad`` is None, and the next ``backward()`` writes the new gradient
  into the same array. An array you took from ``W.grad`` (or a view of it)
  therefore holds the *new* gradient after the next backward: to keep a
  gradient, copy it (``history.append(W.grad.copy())``);
* a leaf without a buffer (a plain ``Tensor(..., requires_grad=True)``)
  gets a new array of its own at its first backward after ``zero_grad()``:
  nothing you kept is ever written into.

Threads. Several threads may run ``backward()`` at once on graphs that
share leaves (the same weights, as in data-parallel training): adding into
a leaf's gradient holds one lock, ``_ACCUMULATE``, so every contribution
arrives (numpy lets go of the GIL inside ``grad += g``, and two threads'
additions into one array would otherwise overwrite each other's). Only the
addition is serialised; the backward rules themselves run side by side.
"""

from __future__ import annotations

import functools
import math
import numbers
import threading
from typing import Sequence

import numpy as np

from . import anomaly as _anomaly
from .errors import InvalidValueError, NumericalOverflowError

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "concatenate", "stack", "matmul", "linear",
           "FLOAT_DTYPES"]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# ---------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    enabled = True


_MODE = _GradMode()
_ANOMALY = _anomaly._state  # .depth > 0 inside chainrule.detect_anomaly(): every op checks its result


def is_grad_enabled() -> bool:
    """True unless inside a ``no_grad()`` block (per thread)."""
    return _MODE.enabled


class no_grad:
    """``with no_grad():`` computes values without recording a graph (evaluation, updates).

    Also usable as a decorator. Per thread, nestable.
    """

    _value = False

    def __enter__(self):
        self._previous = _MODE.enabled
        _MODE.enabled = self._value
        return self

    def __exit__(self, *exc):
        _MODE.enabled = self._previous
        return False

    def __call__(self, func):
        mode = type(self)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with mode():
                return func(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """``with enable_grad():`` records a graph again inside a ``no_grad()`` block."""

    _value = True


# ------------------------------------------------------------------ helpers
def _shape_text(shape) -> str:
    return str(tuple(shape))


def _as_float_array(data, dtype=None, what="Tensor data") -> np.ndarray:
    """``data`` as a float32/float64 array: floats kept as they are, bools and integers made float, the rest refused."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise InvalidValueError(f"{what}: dtype must be float32 or float64, got {dtype}")
    try:
        arr = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{what}: cannot make a float array from {type(data).__name__} ({exc})") from None
    kind = arr.dtype.kind
    if kind == "c":  # casting would drop the imaginary part without a word
        raise InvalidValueError(f"{what}: complex numbers are not supported (got dtype {arr.dtype}); "
                                "chainrule computes with real float32/float64 numbers")
    if kind not in "biuf":
        raise InvalidValueError(f"{what}: expected numbers, got an array of dtype {arr.dtype}")
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype not in FLOAT_DTYPES:  # bools, integers, float16: to float64 (numpy's default float)
        arr = arr.astype(np.float64)
    return arr


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` back to ``shape``: the backward pass of numpy broadcasting.

    A value that broadcasting reused k times receives the sum of its k
    gradients: leading axes that broadcasting added are summed away, and
    axes where ``shape`` has a 1 are summed with ``keepdims``.
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


_new = object.__new__
_ndarray = np.ndarray


def _node(data: np.ndarray, op: str, parents: tuple, backward, ctx=None) -> "Tensor":
    """A new result of ``op``; it records its graph edges only when one of its parents needs a gradient.

    ``data`` is always kept as an ndarray: numpy hands back a bare scalar
    (``np.float64``) for a full reduction or a ufunc of 0-d arrays, and a
    scalar cannot be written into. Inside ``detect_anomaly()`` the result is
    checked for NaN/inf first (outside, the check is skipped: one flag read
    is all it costs).
    """
    if type(data) is not _ndarray:
        data = np.asarray(data)
    if _ANOMALY.depth:
        _anomaly.check_tensor_forward(data, op, parents)
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.grad_buffer = None
    t.name = ""
    t._op = op
    if _MODE.enabled:
        for p in parents:
            if p.requires_grad:
                t.requires_grad = True
                t._parents = parents
                t._backward = backward
                t._ctx = ctx
                t._users = 0
                return t
    t.requires_grad = False
    t._parents = ()
    t._backward = None
    t._ctx = None
    return t


def _const(arr: np.ndarray) -> "Tensor":
    """A leaf that needs no gradient (a number or array mixed into an expression), made without ``__init__``'s checks."""
    t = _new(Tensor)
    t.data = arr
    t.grad = None
    t.grad_buffer = None
    t.requires_grad = False
    t.name = ""
    t._op = ""
    t._parents = ()
    t._backward = None
    t._ctx = None
    return t


def _graph_freed(node, g):
    raise InvalidValueError(
        f"backward: the graph through {node._op!r} (shape {_shape_text(node.data.shape)}) was already used and freed; "
        "call backward(retain_graph=True) the first time to backpropagate through it twice"
    )


def _operand(t: "Tensor", other, op: str) -> "Tensor | None":
    """``other`` as a Tensor to combine with ``t``, or None (then Python tries the other operand's method)."""
    if isinstance(other, Tensor):
        return other
    if isinstance(other, bool):
        return None
    if isinstance(other, (complex, np.complexfloating)):
        raise InvalidValueError(f"{op}: complex numbers are not supported (got {other!r}); "
                                "chainrule computes with real float32/float64 numbers")
    if isinstance(other, (int, float, np.number)):  # a number takes the tensor's dtype
        try:
            with np.errstate(over="ignore"):
                return _const(np.asarray(other, dtype=t.data.dtype))
        except OverflowError:  # an int past any float: the typed error, naming its size
            _real(other, op)
    if isinstance(other, numbers.Real):  # Fraction, …: whatever else Value takes as a constant, made a float first
        with np.errstate(over="ignore"):
            return _const(np.asarray(_real(other, op), dtype=t.data.dtype))
    if isinstance(other, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(other)
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"{op}: cannot make a float array from the {type(other).__name__} ({exc})") from None
        if arr.dtype not in FLOAT_DTYPES:  # integers and bools take the tensor's dtype (float arrays keep theirs)
            arr = _as_float_array(arr, t.data.dtype, f"{op} operand")
        return _const(arr)
    return None


def _real(x, op: str) -> float:
    """A plain real number (int, Fraction, …; not a bool) as a float, or the typed error ``Value`` gives for it.

    Python's integers and fractions have no size limit, a float stops near
    1.8e308: one too large is a ``NumericalOverflowError`` naming its size,
    never a raw ``OverflowError``.
    """
    try:
        return float(x)
    except OverflowError:
        from .scalar import _size

        raise NumericalOverflowError(f"{op}: the constant is too large for a float (at most about 1.8e308): "
                                     f"got {_size(x)}") from None


class Tensor:
    """An array that remembers how it was computed: ``data``, ``grad``, ``backward()``.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is anything
    numpy turns into real numbers; float32 and float64 arrays are kept as
    they are (no copy, no upcast), everything else becomes float64 unless
    ``dtype`` says otherwise (complex numbers are refused).

    ``grad``: dC/d(this tensor) after ``backward()`` (None before).
    ``grad_buffer``: None, or the array a model lent this leaf for its
    gradient (see "Gradient buffers" in the module's docstring: the model
    owns that array, copy ``grad`` to keep it).

    The arithmetic operators ``+ - * / ** @`` (and their reflected forms, for
    ``2.0 * x``) are made from the table ``_OPERATORS`` below the class. The
    other operand may be a tensor, an array, or any real number ``Value``
    takes as a constant (``Fraction(1, 3)`` too), which takes the tensor's dtype.
    """

    __slots__ = ("data", "grad", "grad_buffer", "requires_grad", "name", "_op", "_parents", "_backward", "_ctx",
                 "_users", "__weakref__")
    __array_priority__ = 1000  # ndarray + Tensor -> Tensor.__radd__, not an object array

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str = ""):
        self.data = _as_float_array(data, dtype)
        self.grad = None
        self.grad_buffer = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op = ""
        self._parents = ()
        self._backward = None
        self._ctx = None

    # ------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def op(self) -> str:
        """The operation that made this tensor ('' for a leaf)."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=20, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._op:
            extra += f", op={self._op!r}"
        return f"Tensor({body}, dtype={self.data.dtype}{extra})"

    def named(self, name: str) -> "Tensor":
        """Set ``name`` and return ``self``, as ``Value.named``: a lesson's forward reads the same with either engine."""
        self.name = name
        return self

    def numpy(self) -> np.ndarray:
        """The data array itself (not a copy)."""
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise InvalidValueError(f"item: only a tensor with one element has an item, this one has shape {_shape_text(self.shape)}")
        return float(self.data.reshape(()))

    def __float__(self) -> float:
        return self.item()

    def argmax(self, axis=None) -> np.ndarray:
        return self.data.argmax(axis=axis)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (a leaf that needs no gradient)."""
        return Tensor(self.data)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradient before the next backward pass (gradients add up across passes otherwise).

        ``set_to_none=True`` (the default, as in PyTorch): ``grad`` becomes
        None. ``set_to_none=False``: the gradient array is filled with zeros in
        place, and the next backward adds into it. Either way a leaf with a
        ``grad_buffer`` receives its next gradient in that same array: copy a
        gradient you want to keep.
        """
        if set_to_none or self.grad is None:
            self.grad = None
        elif type(self.grad) is _ndarray and self.grad.flags.writeable:
            self.grad.fill(0)
        else:
            self.grad = np.zeros_like(self.data)

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        if not self.is_leaf:
            raise InvalidValueError("requires_grad_: only a leaf tensor can change requires_grad")
        self.requires_grad = bool(flag)
        return self

    # ------------------------------------------------------------ backward
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Fill ``grad`` of every leaf this tensor depends on with d(self)/d(leaf).

        Chain rule, as for ``Value``: a node passes its gradient on only once
        it has received the contributions of all its users, so we count
        users first, then walk back from ``self`` (Kahn's order; no
        recursion). ``grad`` is d(loss)/d(self) (real numbers of self's
        shape) and defaults to 1 for a one-element tensor.

        During the walk each intermediate node keeps its count of users still
        to report in ``_users`` and the sum of what they sent in ``grad``;
        both are back to 0 and None when the walk ends (a count on the node is
        cheaper than a dictionary keyed by node). So two threads must not run
        ``backward()`` through the same graph at the same time. They may run
        it through different graphs that share leaves: what a leaf receives is
        added under a lock (``_receive``), so no contribution is lost.
        """
        if not self.requires_grad:
            raise InvalidValueError(
                "backward: this tensor does not depend on any tensor with requires_grad=True "
                "(or it was computed inside no_grad())"
            )
        given = grad is not None
        if not given:
            if self.data.size != 1:
                raise InvalidValueError(
                    f"backward: a tensor of shape {_shape_text(self.shape)} needs an explicit grad "
                    "(d(loss)/d(this), same shape); only a one-element tensor defaults to 1"
                )
            grad = np.empty(self.data.shape, self.data.dtype)
            grad.fill(1.0)
        else:
            grad = _as_float_array(grad, self.data.dtype, "backward grad")
            if grad.shape != self.shape:
                raise InvalidValueError(
                    f"backward: grad has shape {_shape_text(grad.shape)} but the tensor has shape {_shape_text(self.shape)}"
                )
            grad = grad.copy()  # ours alone: never some leaf's gradient buffer, which a rule may write into (below)
        if self._backward is None:  # backward() called on a leaf
            _receive(self, grad, False)  # (ours: the caller's array was copied above, and is never stored)
            return

        # 1. how many users does each intermediate node have? (leaves have no backward rule)
        nodes = [self]
        stack = [self]
        while stack:
            for p in stack.pop()._parents:
                if p._backward is not None:
                    n = p._users
                    p._users = n + 1
                    if not n:  # first time we meet it
                        stack.append(p)
                        nodes.append(p)

        # 2. walk back from self, each node once all its users have reported
        self.grad = grad
        ready = [self]
        check = _ANOMALY.depth  # inside detect_anomaly(): every gradient a rule produces is checked
        try:
            while ready:
                node = ready.pop()
                g = node.grad
                node.grad = None  # an intermediate result keeps no gradient
                parents = node._parents
                results = node._backward(node, g)
                if check:
                    _anomaly.check_tensor_backward(node, results)
                if not retain_graph:
                    node._parents = ()
                    node._ctx = None
                    node._backward = _graph_freed
                for p, gp in zip(parents, results):
                    if gp is None or not p.requires_grad:
                        continue
                    if gp is p.grad and gp is p.grad_buffer:  # a rule delivered it: wrote it into the buffer (linear)
                        continue
                    data = p.data
                    if gp.dtype is not data.dtype and gp.dtype != data.dtype:
                        gp = gp.astype(data.dtype)
                    if p._backward is None:  # a leaf
                        _receive(p, gp, gp is g)
                        continue
                    old = p.grad
                    p.grad = gp if old is None else old + gp  # never in place: gp may be shared
                    n = p._users - 1
                    p._users = n
                    if not n:
                        ready.append(p)
        finally:  # normally a no-op; after an error in a rule, Ctrl-C, or a rule that sent no gradient
            for node in nodes:  # to a node, leave no count or partial sum behind
                if node._users or node.grad is not None:
                    node._users = 0
                    node.grad = None

    # ------------------------------------------------- one-input operations
    # Each forward method states its vector-Jacobian product; its backward rule follows it. A rule takes
    # (node, g) with g = dC/d(node's output) and returns dC/d(input) for each input, in order (None for an
    # input that needs none). A rule never changes g in place, and returns for each input either g itself
    # (or a view of it) or a new array made for that input alone: backward() relies on this to store new
    # arrays on leaves without copying them.

    def __neg__(self) -> "Tensor":
        """y = −x:  dC/dx = −g."""
        return _node(np.negative(self.data), "neg", (self,), Tensor._neg_backward)

    @staticmethod
    def _neg_backward(node, g):
        return (-g,)

    def astype(self, dtype) -> "Tensor":
        """A copy in another float dtype:  dC/dx = g, cast back to x's dtype."""
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise InvalidValueError(f"astype: dtype must be float32 or float64, got {dtype}")
        return _node(self.data.astype(dtype), "astype", (self,), Tensor._astype_backward)

    @staticmethod
    def _astype_backward(node, g):
        return (g.astype(node._parents[0].data.dtype),)

    def exp(self) -> "Tensor":
        """y = eˣ:  ∂y/∂x = eˣ = y, so dC/dx = g · y (read off the output: nothing else is saved)."""
        with np.errstate(over="ignore"):
            return _node(np.exp(self.data), "exp", (self,), Tensor._exp_backward)

    @staticmethod
    def _exp_backward(node, g):
        return (g * node.data,)

    def log(self) -> "Tensor":
        """y = ln x:  ∂y/∂x = 1/x, so dC/dx = g / x."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return _node(np.log(self.data), "log", (self,), Tensor._log_backward)

    @staticmethod
    def _log_backward(node, g):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (g / node._parents[0].data,)

    def tanh(self) -> "Tensor":
        """y = tanh x:  ∂y/∂x = 1 − y², so dC/dx = g · (1 − y²)."""
        return _node(np.tanh(self.data), "tanh", (self,), Tensor._tanh_backward)

    @staticmethod
    def _tanh_backward(node, g):
        y = node.data
        return (g * (1.0 - y * y),)

    def sigmoid(self) -> "Tensor":
        """y = σ(x) = 1/(1 + e⁻ˣ):  ∂y/∂x = y(1 − y), so dC/dx = g · y(1 − y).

        Computed without overflow and to full precision on both sides of 0
        (``_sigmoid_in_place``).
        """
        return _node(_sigmoid_in_place(self.data.copy()), "sigmoid", (self,), Tensor._sigmoid_backward)

    @staticmethod
    def _sigmoid_backward(node, g):
        y = node.data
        return (g * (y * (1.0 - y)),)

    def relu(self) -> "Tensor":
        """y = max(0, x):  ∂y/∂x = 1 where x > 0, else 0, so dC/dx = g where y > 0 and 0 elsewhere.

        A mask, not a product (``_pass_where_on``): an off unit passes on
        exactly 0 whatever g holds there, even ∞ (√relu(x) at x = −1, where √
        has an infinite slope at relu's 0: 0, not ∞ · 0 = NaN), as PyTorch's
        relu does and as the scalar engine does.
        """
        return _node(np.maximum(self.data, 0), "relu", (self,), Tensor._relu_backward)

    @staticmethod
    def _relu_backward(node, g):
        return (_pass_where_on(g, node.data),)

    def softmax(self, axis: int = -1) -> "Tensor":
        """pᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}:  dC/dxᵢ = pᵢ (gᵢ − Σⱼ gⱼ pⱼ).

        Stable: the largest x is subtracted first (the result is unchanged,
        and no eˣ overflows). An empty tensor gives an empty result.
        """
        axis = _check_axis("softmax", axis, self.ndim)
        x = self.data
        if x.size == 0:
            return _node(x.copy(), "softmax", (self,), Tensor._softmax_backward, axis)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        return _node(e, "softmax", (self,), Tensor._softmax_backward, axis)

    @staticmethod
    def _softmax_backward(node, g):
        p = node.data
        return (p * (g - (g * p).sum(axis=node._ctx, keepdims=True)),)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """yᵢ = xᵢ − log Σⱼ e^{xⱼ}:  dC/dxᵢ = gᵢ − pᵢ Σⱼ gⱼ, with p = softmax(x) = eʸ.

        Stable: computed as (x − max) − log Σ e^{x − max}. An empty tensor
        gives an empty result.
        """
        axis = _check_axis("log_softmax", axis, self.ndim)
        x = self.data
        if x.size == 0:
            return _node(x.copy(), "log_softmax", (self,), Tensor._log_softmax_backward, axis)
        shifted = x - x.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return _node(shifted, "log_softmax", (self,), Tensor._log_softmax_backward, axis)

    @staticmethod
    def _log_softmax_backward(node, g):
        return (g - np.exp(node.data) * g.sum(axis=node._ctx, keepdims=True),)

    # -------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims: bool = False) -> "Tensor":
        """s = Σ x over ``axis``:  ∂s/∂x = 1, so dC/dx = g, repeated along the summed axes."""
        axis = _check_axis("sum", axis, self.ndim)
        return _node(self.data.sum(axis=axis, keepdims=keepdims), "sum", (self,), Tensor._sum_backward,
                     (axis, keepdims))

    @staticmethod
    def _sum_backward(node, g):
        (x,) = node._parents
        axis, keepdims = node._ctx
        return (np.broadcast_to(_expand_reduced(g, axis, keepdims), x.data.shape),)

    def mean(self, axis=None, keepdims: bool = False) -> "Tensor":
        """m = (1/n) Σ x over ``axis``:  ∂m/∂x = 1/n, so dC/dx = g / n, repeated along the averaged axes."""
        axis = _check_axis("mean", axis, self.ndim)
        n = self.data.size if axis is None else int(np.prod([self.data.shape[a] for a in axis]))
        if n == 0:
            raise InvalidValueError(f"mean: cannot average over an empty axis (shape {_shape_text(self.shape)})")
        return _node(self.data.mean(axis=axis, keepdims=keepdims), "mean", (self,), Tensor._mean_backward,
                     (axis, keepdims, n))

    @staticmethod
    def _mean_backward(node, g):
        (x,) = node._parents
        axis, keepdims, n = node._ctx
        return (np.broadcast_to(_expand_reduced(g, axis, keepdims) / n, x.data.shape),)

    def max(self, axis=None, keepdims: bool = False) -> "Tensor":
        """m = max x over ``axis``:  dC/dx = g where x is the maximum (shared equally by ties), 0 elsewhere."""
        axis = _check_axis("max", axis, self.ndim)
        if self.data.size == 0 and (axis is None or any(self.data.shape[a] == 0 for a in axis)):
            raise InvalidValueError(f"max: nothing to take the maximum of along an empty axis (shape {_shape_text(self.shape)})")
        return _node(self.data.max(axis=axis, keepdims=keepdims), "max", (self,), Tensor._max_backward,
                     (axis, keepdims))

    @staticmethod
    def _max_backward(node, g):
        (x,) = node._parents
        axis, keepdims = node._ctx
        mask = x.data == _expand_reduced(node.data, axis, keepdims)
        count = mask.sum(axis=axis, keepdims=True)
        return (mask * (_expand_reduced(g, axis, keepdims) / count),)

    # -------------------------------------------------------------- shape
    def reshape(self, *shape) -> "Tensor":
        """Same numbers, new shape:  dC/dx = g reshaped back."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError) as exc:
            raise InvalidValueError(f"reshape: cannot reshape shape {_shape_text(self.shape)} to {shape} ({exc})") from None
        return _node(out, "reshape", (self,), Tensor._reshape_backward)

    @staticmethod
    def _reshape_backward(node, g):
        return (g.reshape(node._parents[0].data.shape),)

    def flatten(self, start_axis: int = 1) -> "Tensor":
        """The axes from ``start_axis`` on joined into one (by default all but the batch axis):  dC/dx = g reshaped back.

        (N, L, C) becomes (N, L·C), read in numpy's order: the last axis
        changes fastest, so entry (t, c) lands at position t·C + c. This is
        how a convolution's output becomes the input of a dense layer.
        """
        if isinstance(start_axis, bool) or not isinstance(start_axis, (int, np.integer)) or not (
                -self.ndim <= start_axis < self.ndim):
            raise InvalidValueError(f"flatten: start_axis {start_axis!r} is out of range for a tensor with {self.ndim} axes "
                                    f"(shape {_shape_text(self.shape)})")
        start = int(start_axis) % self.ndim
        shape = self.data.shape
        out = self.data.reshape(shape[:start] + (int(np.prod(shape[start:], dtype=np.int64)),))
        return _node(out, "flatten", (self,), Tensor._reshape_backward)

    def transpose(self, *axes) -> "Tensor":
        """Axes permuted (reversed by default):  dC/dx = g permuted back."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim - 1, -1, -1))
        if sorted(int(a) % max(self.ndim, 1) for a in axes) != list(range(self.ndim)) or len(axes) != self.ndim:
            raise InvalidValueError(f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of shape {_shape_text(self.shape)}")
        axes = tuple(int(a) % self.ndim for a in axes)
        return _node(self.data.transpose(axes), "transpose", (self,), Tensor._transpose_backward, axes)

    @staticmethod
    def _transpose_backward(node, g):
        return (g.transpose(np.argsort(node._ctx)),)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __getitem__(self, index) -> "Tensor":
        """y = x[index]:  dC/dx = g at the positions read, 0 elsewhere (added up where a position is read twice)."""
        if isinstance(index, Tensor):
            index = index.data
        try:
            out = self.data[index]
        except (IndexError, TypeError, ValueError) as exc:
            raise InvalidValueError(f"index: {exc} (tensor shape {_shape_text(self.shape)})") from None
        return _node(out, "index", (self,), Tensor._index_backward, index)

    @staticmethod
    def _index_backward(node, g):
        (x,) = node._parents
        index = node._ctx
        out = np.zeros_like(x.data)
        if _is_basic_index(index):
            out[index] += g
        else:
            np.add.at(out, index, g)  # a fancy index may read a position twice: add.at adds both
        return (out,)


# ------------------------------------------------------------ accumulation
# Held while anything is added into a leaf's gradient, by every thread: see "Threads" in the module's docstring.
# One lock for all leaves, held only for the addition itself (a plain Lock costs well under a microsecond
# when no other thread holds it; a backward pass takes it once per leaf).
_ACCUMULATE = threading.Lock()


def _receive(leaf: Tensor, g: np.ndarray, shared: bool) -> None:
    """leaf.grad += g: the chain rule's sum over every path into a leaf, under the gradient-buffer contract.

    The first gradient of a leaf with a ``grad_buffer`` is written into that
    array (a rule may have done so already, under the same lock: ``linear``).
    Without a buffer, a rule's new array becomes the leaf's gradient as it is
    (no copy: weight gradients are large); anything that may be flowing
    elsewhere too (``shared``: the gradient a rule received, or a view) is
    copied first, so that no two leaves ever share a gradient array.

    Under ``_ACCUMULATE``: reading ``leaf.grad``, deciding, and adding must
    be one step, or two threads that both see None (or both add in place)
    lose one of the two contributions.
    """
    shape = leaf.data.shape
    if g.shape != shape:  # a 0-d result of a reduction kept as shape (1,), say
        g = g.reshape(shape)
    with _ACCUMULATE:
        old = leaf.grad
        if old is None:
            buffer = leaf.grad_buffer
            if buffer is not None and buffer.shape == shape:
                if g is not buffer:
                    np.copyto(buffer, g)
                leaf.grad = buffer
            elif shared or type(g) is not _ndarray or g.base is not None or not g.flags.writeable:
                leaf.grad = np.array(g, dtype=leaf.data.dtype)
            else:
                leaf.grad = g
        elif type(old) is _ndarray and old.flags.writeable and old.shape == shape:
            np.add(old, g, out=old)
        else:
            leaf.grad = old + g


# float32 and float64, by size in bytes -> the integer of the same width (relu's mask works on the bits)
_SAME_WIDTH_INT = {4: np.int32, 8: np.int64}
# Below this many numbers np.where is the quickest exact mask (see _pass_where_on).
_SMALL_MASK = 2048


def _pass_where_on(g: np.ndarray, y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """relu's backward rule: g where the unit is on (y > 0), exactly +0 where it is off, whatever g holds there.

    A mask, not a product: g · [y > 0] gives ∞ · 0 = NaN at an off unit
    whose incoming gradient is infinite, but an off unit passes on nothing
    at all (PyTorch's relu backward selects too). ``np.where`` selects
    exactly, and is quick for small arrays; on large ones with a random mask
    it is several times slower than a product (a branch per number that the
    processor cannot predict). There the mask works on g's bits instead:
    an integer that is all ones where the unit is on (−1) and all zeros
    where it is off, ANDed with g's bit pattern, keeps g where on and gives
    the pattern of +0.0 (all zeros) where off: exact for every g, as fast as
    the product. ``out``: where to write (it may be g itself).
    """
    if g.size <= _SMALL_MASK and out is None:
        return np.where(y > 0, g, 0.0)
    ints = _SAME_WIDTH_INT[g.dtype.itemsize]
    if out is None:
        out = np.empty(g.shape, g.dtype)
        bits = out.view(ints)  # the mask is built where the result goes (new memory: g is read intact)
    else:
        bits = np.empty(g.shape, ints)  # out may be g itself: the mask needs memory of its own
    np.greater(y, 0, out=bits, casting="unsafe")  # 1 where on, 0 where off
    np.negative(bits, out=bits)                    # −1 (every bit set) where on, 0 where off
    np.bitwise_and(g.view(ints), bits, out=out.view(ints))
    return out


def _check_axis(op: str, axis, ndim: int):
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise InvalidValueError(f"{op}: axis must be an integer, got {a!r}")
        if not (a in (0, -1) if ndim == 0 else -ndim <= a < ndim):  # a 0-d tensor has the one axis 0 (or -1), as in PyTorch
            raise InvalidValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} axes")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise InvalidValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(out) if ndim else None


def _expand_reduced(g, axis, keepdims):
    """A reduction's output (or its gradient) with the reduced axes put back as 1s, to broadcast against the input."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return g


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) and not isinstance(i, bool) for i in items)


def _sigmoid_in_place(z: np.ndarray) -> np.ndarray:
    """z ← σ(z) = 1/(1 + e⁻ᶻ), without overflow and to full relative precision for any z.

    With e = e^−|z|, which lies in (0, 1] and so never overflows:
    σ(z) = 1/(1 + e) for z ≥ 0, and for z < 0 (where e = eᶻ)
    σ(z) = eᶻ/(eᶻ + 1) = e/(1 + e). Neither form subtracts nearly equal
    numbers, so even σ(−50) ≈ 1.9e−22 keeps all its digits. Both are
    1/(1 + e) times e^min(z, 0) (that factor is e for z < 0, exactly 1
    otherwise), which needs no mask: numpy's masked operations are several
    times slower than a second exp.
    """
    e = np.empty_like(z)
    np.abs(z, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    e += 1.0
    np.divide(1.0, e, out=e)      # 1/(1 + e^−|z|)
    np.minimum(z, 0, out=z)
    np.exp(z, out=z)              # e^min(z, 0)
    np.multiply(e, z, out=z)
    return z


# ----------------------------------------------------- the arithmetic operators
# One row per operator: its forward (numpy's ufunc) and its backward rule, side by side. The methods
# Tensor.__add__, __radd__, __sub__, __rsub__, ... are generated from these rows after the rules.


def _add_backward(node, g):
    """c = a + b:  dC/da = g,  dC/db = g (each summed back over the axes it was broadcast along)."""
    a, b = node._parents
    return (_unbroadcast(g, a.data.shape) if a.requires_grad else None,
            _unbroadcast(g, b.data.shape) if b.requires_grad else None)


def _sub_backward(node, g):
    """c = a − b:  dC/da = g,  dC/db = −g."""
    a, b = node._parents
    return (_unbroadcast(g, a.data.shape) if a.requires_grad else None,
            _unbroadcast(-g, b.data.shape) if b.requires_grad else None)


def _mul_backward(node, g):
    """c = a · b:  dC/da = g · b,  dC/db = g · a."""
    a, b = node._parents
    with np.errstate(over="ignore", invalid="ignore"):
        return (_unbroadcast(g * b.data, a.data.shape) if a.requires_grad else None,
                _unbroadcast(g * a.data, b.data.shape) if b.requires_grad else None)


def _div_backward(node, g):
    """c = a / b:  dC/da = g / b,  dC/db = −g · a/b² = −g · (c / b).

    c / b = (a/b)/b, never a/(b·b): b·b overflows for |b| > 1e154 and
    underflows for |b| < 1e−162 although the gradient itself is an ordinary
    number (a = 1e300, b = 1e155: dC/db = −1e−10).
    """
    a, b = node._parents
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if a.requires_grad:
            ga = _unbroadcast(g / b.data, a.data.shape)
        if b.requires_grad:
            gb = _unbroadcast(-g * (node.data / b.data), b.data.shape)
    return ga, gb


def _pow_backward(node, g):
    """c = aᵇ:  dC/da = g · b·aᵇ⁻¹,  dC/db = g · aᵇ·ln a.

    Where b = 0, dC/da = 0 (c = 1 whatever a is; b·aᵇ⁻¹ would be 0·∞ at a = 0),
    even where g is not finite; where a = 0 and b ≥ 0, aᵇ·ln a is taken as 0
    (it would be 0·(−∞)): the limits, as PyTorch takes them.
    """
    a, b = node._parents
    A, B = a.data, b.data
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if a.requires_grad:
            ga = _unbroadcast(np.where(B == 0, 0, g * (B * np.power(A, B - 1.0))), A.shape)
        if b.requires_grad:
            local = node.data * np.log(A)
            gb = _unbroadcast(g * np.where((A == 0) & (B >= 0), 0, local), B.shape)
    return ga, gb


def _pow_number(x: Tensor, p: float) -> Tensor:
    """y = xᵖ for a plain number p:  dC/dx = g · p·xᵖ⁻¹ (0 for p = 0: y = 1 whatever x is)."""
    if p == 2.0:
        return _node(x.data * x.data, "**", (x,), _square_backward)
    with np.errstate(all="ignore"):
        out = np.power(x.data, p)
    return _node(out, "**", (x,), _pow_number_backward, p)


def _square_backward(node, g):
    """y = x²:  dC/dx = g · 2x."""
    (x,) = node._parents
    return (g * (2.0 * x.data),)


def _pow_number_backward(node, g):
    (x,) = node._parents
    p = node._ctx
    if p == 0.0:
        return (np.zeros_like(x.data),)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return (g * (p * np.power(x.data, p - 1.0)),)


def _elementwise(symbol: str, ufunc, backward):
    """The forward of an elementwise operator: ``ufunc`` on the two arrays (broadcast), one node."""

    def forward(a: Tensor, b: Tensor) -> Tensor:
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                out = ufunc(a.data, b.data)
        except ValueError:
            raise InvalidValueError(
                f"{symbol}: shapes {_shape_text(a.shape)} and {_shape_text(b.shape)} cannot be broadcast together"
            ) from None
        return _node(out, symbol, (a, b), backward)

    forward.__doc__ = backward.__doc__
    return forward


def matmul(a, b) -> Tensor:
    """C = A @ B (batched like numpy):  dC/dA = G @ Bᵀ,  dC/dB = Aᵀ @ G.

    Derivation for one element: Cᵢₖ = Σⱼ Aᵢⱼ Bⱼₖ, so ∂Cᵢₖ/∂Aᵢⱼ = Bⱼₖ and
    dC/dAᵢⱼ = Σₖ Gᵢₖ Bⱼₖ = (G Bᵀ)ᵢⱼ; the same way dC/dBⱼₖ = (Aᵀ G)ⱼₖ. A 1-D
    operand is a row (on the left) or a column (on the right), as in numpy.
    """
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    A, B = a.data, b.data
    if A.ndim == 0 or B.ndim == 0:
        raise InvalidValueError(f"matmul: shapes {_shape_text(A.shape)} and {_shape_text(B.shape)}: both need at least one axis")
    n, m = A.shape[-1], B.shape[0] if B.ndim == 1 else B.shape[-2]
    if n != m:
        raise InvalidValueError(f"matmul: shapes {_shape_text(A.shape)} and {_shape_text(B.shape)} do not align ({n} != {m})")
    try:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            out = np.matmul(A, B)
    except ValueError:
        raise InvalidValueError(
            f"matmul: shapes {_shape_text(A.shape)} and {_shape_text(B.shape)}: batch axes cannot be broadcast together"
        ) from None
    return _node(out, "matmul", (a, b), _matmul_backward)


def _matmul_backward(node, g):
    a, b = node._parents
    A, B = a.data, b.data
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if A.ndim == 2 and B.ndim == 2:  # the common case, no bookkeeping
            return (g @ B.T if a.requires_grad else None, A.T @ g if b.requires_grad else None)
        A2 = A if A.ndim > 1 else A[None, :]
        B2 = B if B.ndim > 1 else B[:, None]
        G = g
        if B.ndim == 1:
            G = G[..., None]
        if A.ndim == 1:
            G = G[..., None, :]
        ga = gb = None
        if a.requires_grad:
            ga = _unbroadcast(G @ np.swapaxes(B2, -1, -2), A2.shape).reshape(A.shape)
        if b.requires_grad:
            gb = _unbroadcast(np.swapaxes(A2, -1, -2) @ G, B2.shape).reshape(B.shape)
    return ga, gb


# name -> (forward on two Tensors, what to do with a plain-number right operand, or None)
_OPERATORS = {
    "add": (_elementwise("+", np.add, _add_backward), None),
    "sub": (_elementwise("-", np.subtract, _sub_backward), None),
    "mul": (_elementwise("*", np.multiply, _mul_backward), None),
    "truediv": (_elementwise("/", np.divide, _div_backward), None),
    "pow": (_elementwise("**", np.power, _pow_backward), _pow_number),  # x ** 2.0: one input, its own rule
    "matmul": (matmul, None),
}


def _operator_methods(name: str, forward, number) -> tuple:
    """``__name__`` (self ∘ other) and ``__rname__`` (other ∘ self) for one row of ``_OPERATORS``."""
    symbol = f"__{name}__"

    def method(self, other):
        if number is not None and not isinstance(other, bool) and (
                isinstance(other, (int, float)) or isinstance(other, numbers.Real) and not isinstance(other, np.number)):
            return number(self, _real(other, symbol))  # x ** 2, x ** Fraction(1, 2): a plain-number exponent
        o = _operand(self, other, symbol)
        if o is None:
            return NotImplemented
        return forward(self, o)

    def reflected(self, other):
        o = _operand(self, other, symbol)
        if o is None:
            return NotImplemented
        return forward(o, self)

    for f, fname, doc in ((method, symbol, f"self {name} other. {forward.__doc__}"),
                          (reflected, f"__r{name}__", f"other {name} self (a number or array on the left). {forward.__doc__}")):
        f.__name__, f.__qualname__, f.__doc__ = fname, f"Tensor.{fname}", doc
    return method, reflected


for _name, (_forward, _number) in _OPERATORS.items():
    _method, _reflected = _operator_methods(_name, _forward, _number)
    setattr(Tensor, f"__{_name}__", _method)
    setattr(Tensor, f"__r{_name}__", _reflected)
del _name, _forward, _number, _method, _reflected


# --------------------------------------------------------- a dense layer
def linear(x: Tensor, W: Tensor, b: Tensor | None = None, activation: str | None = None) -> Tensor:
    """y = x W + b as one node (a whole layer's weighted inputs, z = W·a + b in Nielsen's notation).

    ``x``: (..., n_in), ``W``: (n_in, n_out), ``b``: (n_out,). With G = dC/dy,

        dC/dx = G Wᵀ,    dC/dW = xᵀ G,    dC/db = Σ_rows G.

    One node instead of two (matmul, then a broadcast add) and no temporary
    array for the sum: the bias is added in place into the product. When W
    (or b) has a ``grad_buffer`` and no gradient yet, xᵀ G (Σ_rows G) is
    written straight into it.

    With ``activation`` ("relu", "tanh" or "sigmoid"; None or "linear" for
    none) the node is a whole dense layer, a = f(x W + b): f is applied in
    place, and backward first multiplies G by f′ read off a (relu: 1 where
    a > 0, tanh: 1 − a², sigmoid: a(1 − a)) with f's own rule, exactly as a
    separate activation node would.
    """
    X, Wd = x.data, W.data
    if Wd.ndim != 2:
        raise InvalidValueError(f"linear: the weight must have 2 axes (n_in, n_out), got shape {_shape_text(Wd.shape)}")
    if X.ndim == 0 or X.shape[-1] != Wd.shape[0]:
        raise InvalidValueError(
            f"linear: input shape {_shape_text(X.shape)} and weight shape {_shape_text(Wd.shape)} do not align "
            f"({X.shape[-1] if X.ndim else 'scalar'} != {Wd.shape[0]})"
        )
    op = _LAYER_OPS.get(activation) if activation is None or type(activation) is str else None
    if op is None:
        raise InvalidValueError(f"linear: activation must be one of relu, tanh, sigmoid, linear or None, got {activation!r}")
    out = X @ Wd
    parents = (x, W)
    if b is not None:
        out = _plus_bias("linear", out, b, Wd.shape[1])
        parents = (x, W, b)
    if op == "linear":
        return _node(out, op, parents, _linear_backward)
    _activate_in_place(out, activation)
    return _node(out, op, parents, _linear_backward, activation)


def _plus_bias(op: str, out: np.ndarray, b: Tensor, n: int) -> np.ndarray:
    """out + b for a layer's bias b of shape (n,): added in place when the dtypes agree (no temporary array)."""
    bd = b.data
    if bd.shape != (n,):
        raise InvalidValueError(f"{op}: the bias must have shape ({n},), got {_shape_text(bd.shape)}")
    if out.dtype == bd.dtype:
        out += bd
        return out
    return out + bd


def _activate_in_place(z: np.ndarray, activation: str) -> np.ndarray:
    """z ← f(z) for a layer's activation "relu", "tanh" or "sigmoid" (its backward rule reads f′ off the result)."""
    if activation == "relu":
        np.maximum(z, 0, out=z)
    elif activation == "tanh":
        np.tanh(z, out=z)
    else:
        _sigmoid_in_place(z)
    return z


# activation -> its backward rule (each reads a = f(z) from node.data, which a dense layer's node holds too)
_ACTIVATION_RULES = {"relu": Tensor._relu_backward, "tanh": Tensor._tanh_backward, "sigmoid": Tensor._sigmoid_backward}

# activation -> the name of the layer's node (other layers, such as conv1d, name theirs the same way)
_LAYER_OPS = {None: "linear", "linear": "linear", "relu": "linear+relu", "tanh": "linear+tanh", "sigmoid": "linear+sigmoid"}


def _into_buffer(leaf: Tensor, other: Tensor, shape: tuple, dtype) -> np.ndarray | None:
    """``leaf.grad_buffer`` when a rule may write the leaf's first gradient straight into it, else None.

    Only when the leaf has no gradient yet this pass, its buffer has the
    gradient's shape and dtype, and it is not also the node's input ``other``
    (its gradient for that input would land in the same array).

    Writing a leaf's first gradient is adding into it: a rule calls this,
    writes into the buffer and sets ``leaf.grad`` to it all under
    ``_ACCUMULATE`` (another thread's backward could otherwise add into the
    buffer half-way through, or find ``grad`` still None and overwrite it),
    and returns the buffer, which ``backward()`` then knows is delivered.
    """
    buffer = leaf.grad_buffer
    if buffer is None or leaf.grad is not None or leaf is other or buffer.dtype != dtype or buffer.shape != shape:
        return None
    return buffer


def _linear_backward(node, g):
    activation = node._ctx
    if activation is not None:  # through f first: G·f′(z), with f′ read off a = f(z) by f's own rule
        (g,) = _ACTIVATION_RULES[activation](node, g)
    parents = node._parents
    x, W = parents[0], parents[1]
    X = x.data
    gx = g @ W.data.T if x.requires_grad else None
    if X.ndim != 2:  # (…, n_in) → (rows, n_in), the rows counted: −1 cannot be worked out when n_in or n_out is 0
        rows = math.prod(X.shape[:-1])
        X = X.reshape(rows, X.shape[-1])
        g = g.reshape(rows, g.shape[-1])
    gW = None
    if W.requires_grad:
        with _ACCUMULATE:  # W's first gradient, delivered straight into its buffer: an addition into a leaf
            out = _into_buffer(W, x, W.data.shape, g.dtype if X.dtype == g.dtype else None)
            if out is not None:
                gW = W.grad = np.matmul(X.T, g, out=out)
        if gW is None:
            gW = X.T @ g
    if len(parents) == 3:
        b = parents[2]
        gb = None
        if b.requires_grad:
            with _ACCUMULATE:
                out = _into_buffer(b, x, b.data.shape, g.dtype)  # (b, 1-D, cannot be W)
                if out is not None:
                    gb = b.grad = np.add.reduce(g, 0, out=out)
            if gb is None:
                gb = np.add.reduce(g, 0)
        return gx, gW, gb
    return gx, gW


# ------------------------------------------------------------ joining
def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """y = [x₁, x₂, …] along ``axis``:  each xᵢ receives its own slice of g."""
    tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    if not tensors:
        raise InvalidValueError("concatenate: needs at least one tensor")
    try:
        out = np.concatenate([t.data for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError) as exc:
        shapes = ", ".join(_shape_text(t.shape) for t in tensors)
        raise InvalidValueError(f"concatenate: shapes {shapes} cannot be joined along axis {axis} ({exc})") from None
    ax = axis % out.ndim
    bounds = np.cumsum([t.data.shape[ax] for t in tensors])[:-1]
    return _node(out, "concatenate", tensors, _concatenate_backward, (ax, bounds))


def _concatenate_backward(node, g):
    ax, bounds = node._ctx
    return tuple(np.split(g, bounds, axis=ax))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """y = the xᵢ stacked along a new ``axis``:  each xᵢ receives its own slice of g."""
    tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    if not tensors:
        raise InvalidValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise InvalidValueError(f"stack: all tensors need the same shape, got {', '.join(_shape_text(s) for s in shapes)}")
    try:
        out = np.stack([t.data for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError) as exc:
        raise InvalidValueError(f"stack: {exc}") from None
    return _node(out, "stack", tensors, _stack_backward, axis % out.ndim)


def _stack_backward(node, g):
    ax = node._ctx
    return tuple(np.take(g, i, axis=ax) for i in range(g.shape[ax]))

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
docstring and its backward function implements exactly that line. The
chain rule is unchanged: gradients flowing into a node from all its users
add up, and the node hands the total to its inputs through its rule.

Broadcasting. numpy lets ``(4, 3) + (3,)`` add the row to every row. The
row was used 4 times, so its gradient is the sum of the 4 incoming rows:
a broadcast in the forward pass is a sum in the backward pass
(``_unbroadcast``).

The graph. Every result keeps its parent tensors (``_parents``), a
module-level backward function (``_backward``) and, rarely, a few saved
arrays (``_ctx``). The backward function receives the node and the gradient
of its output; it is not a closure, so no node ever refers to itself and a
finished graph is freed by reference counting the moment the loss goes
away. ``backward()`` walks the graph without recursion, and (unless asked
to ``retain_graph``) cuts each node loose as soon as it has passed its
gradient on, so the big saved arrays are freed while the walk goes on.

Gradients accumulate on *leaves* (tensors you create with
``requires_grad=True``, such as weights) across calls, as in PyTorch, until
``zero_grad()``; intermediate gradients are not kept. ``zero_grad()`` sets a
large weight gradient's array aside and the next backward pass writes into
it instead of allocating a new one, unless you still hold the old array.
"""

from __future__ import annotations

import sys
import threading
from typing import Iterable, Sequence

import numpy as np

from . import anomaly as _anomaly
from .errors import InvalidValueError

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "concatenate", "stack", "linear", "FLOAT_DTYPES"]

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
        import functools

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
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise InvalidValueError(f"{what}: dtype must be float32 or float64, got {dtype}")
    try:
        arr = np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{what}: cannot make a float array from {type(data).__name__} ({exc})") from None
    if arr.dtype not in FLOAT_DTYPES:
        if arr.dtype.kind in "biuf":  # bools, integers, float16: to float64 (numpy's default float)
            arr = arr.astype(np.float64)
        else:
            raise InvalidValueError(f"{what}: expected numbers, got an array of dtype {arr.dtype}")
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


def _node(data: np.ndarray, op: str, parents: tuple, backward, ctx=None) -> "Tensor":
    """A new result of ``op``; it records its graph edges only when one of its parents needs a gradient.

    Inside ``detect_anomaly()`` the result is checked for NaN/inf first (outside, the check is skipped:
    one flag read is all it costs).
    """
    if _ANOMALY.depth:
        _anomaly.check_tensor_forward(data, op, parents)
    t = _new(Tensor)
    t.data = data
    t.grad = None
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


def _graph_freed(node, g):
    raise InvalidValueError(
        f"backward: the graph through {node._op!r} (shape {_shape_text(node.data.shape)}) was already used and freed; "
        "call backward(retain_graph=True) the first time to backpropagate through it twice"
    )


class Tensor:
    """An array that remembers how it was computed: ``data``, ``grad``, ``backward()``.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is anything
    numpy turns into numbers; float32 and float64 arrays are kept as they
    are (no copy, no upcast), everything else becomes float64 unless
    ``dtype`` says otherwise.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_op", "_parents", "_backward", "_ctx", "_users", "_spare",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray + Tensor -> Tensor.__radd__, not an object array

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str = ""):
        self.data = _as_float_array(data, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op = ""
        self._parents = ()
        self._backward = None
        self._ctx = None
        self._spare = None  # the gradient array zero_grad() set aside, for the next one to reuse

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

    def numpy(self) -> np.ndarray:
        """The data array itself (not a copy)."""
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise InvalidValueError(f"item: only a tensor with one element has an item, this one has shape {_shape_text(self.shape)}")
        return float(self.data.reshape(()))

    def __float__(self) -> float:
        return self.item()

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (a leaf that needs no gradient)."""
        return Tensor(self.data)

    def astype(self, dtype) -> "Tensor":
        """A copy in another float dtype; the gradient is cast back."""
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise InvalidValueError(f"astype: dtype must be float32 or float64, got {dtype}")
        return _node(self.data.astype(dtype), "astype", (self,), _astype_backward)

    def zero_grad(self) -> None:
        """Forget the gradient (``grad`` becomes None); its array may hold the next one, unless you kept it."""
        _set_aside(self)

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
        recursion). ``grad`` is d(loss)/d(self) and defaults to 1 for a
        one-element tensor.

        During the walk each intermediate node keeps its count of users still
        to report in ``_users`` and the sum of what they sent in ``grad``;
        both are back to 0 and None when the walk ends (a count on the node is
        cheaper than a dictionary keyed by node). So two threads must not run
        ``backward()`` through the same graph at the same time.
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
        if self._backward is None:  # backward() called on a leaf
            _accumulate(self, grad, given)  # the caller's array is copied, never stored
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
                    data = p.data
                    if gp.dtype is not data.dtype and gp.dtype != data.dtype:
                        gp = gp.astype(data.dtype)
                    if p._backward is None:  # a leaf
                        if p.grad is None and gp is not g and gp.base is None and gp.shape == data.shape:
                            p.grad = gp  # a new array made for this leaf: _accumulate's common case, without the call
                        else:
                            _accumulate(p, gp, gp is g)
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

    # ----------------------------------------------------------- arithmetic
    def _other(self, other) -> "Tensor | None":
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float, np.number, np.ndarray, list, tuple)) and not isinstance(other, bool):
            if isinstance(other, (int, float, np.number)):
                return _const(np.asarray(other, dtype=self.data.dtype))
            arr = np.asarray(other)
            if arr.dtype not in FLOAT_DTYPES:
                arr = arr.astype(self.data.dtype)
            return _const(arr)
        return None

    def __add__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(self, o, "+", np.add, _add_backward)

    def __radd__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(o, self, "+", np.add, _add_backward)

    def __sub__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(self, o, "-", np.subtract, _sub_backward)

    def __rsub__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(o, self, "-", np.subtract, _sub_backward)

    def __mul__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(self, o, "*", np.multiply, _mul_backward)

    def __rmul__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(o, self, "*", np.multiply, _mul_backward)

    def __truediv__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(self, o, "/", np.divide, _div_backward)

    def __rtruediv__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(o, self, "/", np.divide, _div_backward)

    def __pow__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            p = float(other)
            if p == 2.0:
                return _node(self.data * self.data, "**", (self,), _square_backward)
            with np.errstate(all="ignore"):
                out = np.power(self.data, p)
            return _node(out, "**", (self,), _pow_const_backward, p)
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(self, o, "**", np.power, _pow_backward)

    def __rpow__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return _binary(o, self, "**", np.power, _pow_backward)

    def __neg__(self):
        return _node(np.negative(self.data), "neg", (self,), _neg_backward)

    def __matmul__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return matmul(self, o)

    def __rmatmul__(self, other):
        o = self._other(other)
        if o is None:
            return NotImplemented
        return matmul(o, self)

    # -------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims: bool = False) -> "Tensor":
        """s = Σ x over ``axis``:  ∂s/∂x = 1, so each x receives the gradient of its sum."""
        axis = _check_axis("sum", axis, self.ndim)
        return _node(self.data.sum(axis=axis, keepdims=keepdims), "sum", (self,), _sum_backward, (axis, keepdims))

    def mean(self, axis=None, keepdims: bool = False) -> "Tensor":
        """m = (1/n) Σ x over ``axis``:  ∂m/∂x = 1/n."""
        axis = _check_axis("mean", axis, self.ndim)
        n = self.data.size if axis is None else int(np.prod([self.data.shape[a] for a in axis]))
        if n == 0:
            raise InvalidValueError(f"mean: cannot average over an empty axis (shape {_shape_text(self.shape)})")
        return _node(self.data.mean(axis=axis, keepdims=keepdims), "mean", (self,), _mean_backward, (axis, keepdims, n))

    def max(self, axis=None, keepdims: bool = False) -> "Tensor":
        """m = max x over ``axis``:  ∂m/∂x = 1 where x is the maximum (shared equally by ties), 0 elsewhere."""
        axis = _check_axis("max", axis, self.ndim)
        if self.data.size == 0:
            raise InvalidValueError(f"max: the tensor is empty (shape {_shape_text(self.shape)})")
        return _node(self.data.max(axis=axis, keepdims=keepdims), "max", (self,), _max_backward, (axis, keepdims))

    # -------------------------------------------------------------- shape
    def reshape(self, *shape) -> "Tensor":
        """Same numbers, new shape: the gradient is reshaped back."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError) as exc:
            raise InvalidValueError(f"reshape: cannot reshape shape {_shape_text(self.shape)} to {shape} ({exc})") from None
        return _node(out, "reshape", (self,), _reshape_backward)

    def transpose(self, *axes) -> "Tensor":
        """Axes permuted (reversed by default): the gradient is permuted back."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim - 1, -1, -1))
        if sorted(int(a) % max(self.ndim, 1) for a in axes) != list(range(self.ndim)) or len(axes) != self.ndim:
            raise InvalidValueError(f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of shape {_shape_text(self.shape)}")
        axes = tuple(int(a) % self.ndim for a in axes)
        return _node(self.data.transpose(axes), "transpose", (self,), _transpose_backward, axes)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __getitem__(self, index) -> "Tensor":
        """y = x[index]: the gradient goes back to the positions read (added up where read twice)."""
        if isinstance(index, Tensor):
            index = index.data
        try:
            out = self.data[index]
        except (IndexError, TypeError, ValueError) as exc:
            raise InvalidValueError(f"index: {exc} (tensor shape {_shape_text(self.shape)})") from None
        if not isinstance(out, np.ndarray):  # a single element
            out = np.asarray(out)
        return _node(out, "index", (self,), _index_backward, index)

    # ------------------------------------------------------- elementwise
    def exp(self) -> "Tensor":
        """y = eˣ:  ∂y/∂x = eˣ = y."""
        with np.errstate(over="ignore"):
            return _node(np.exp(self.data), "exp", (self,), _exp_backward)

    def log(self) -> "Tensor":
        """y = ln x:  ∂y/∂x = 1/x."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return _node(np.log(self.data), "log", (self,), _log_backward)

    def tanh(self) -> "Tensor":
        """y = tanh x:  ∂y/∂x = 1 − y²."""
        return _node(np.tanh(self.data), "tanh", (self,), _tanh_backward)

    def sigmoid(self) -> "Tensor":
        """y = σ(x) = 1/(1 + e⁻ˣ):  ∂y/∂x = y(1 − y).

        Computed as ½(1 + tanh(x/2)), which is the same function and never overflows.
        """
        return _node(_sigmoid_in_place(self.data.copy()), "sigmoid", (self,), _sigmoid_backward)

    def relu(self) -> "Tensor":
        """y = max(0, x):  ∂y/∂x = 1 where x > 0, else 0."""
        return _node(np.maximum(self.data, 0), "relu", (self,), _relu_backward)

    def softmax(self, axis: int = -1) -> "Tensor":
        """pᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}:  dC/dxᵢ = pᵢ (gᵢ − Σⱼ gⱼ pⱼ).

        Stable: the largest x is subtracted first (the result is unchanged,
        and no eˣ overflows).
        """
        axis = _check_axis("softmax", axis, self.ndim)
        x = self.data
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        return _node(e, "softmax", (self,), _softmax_backward, axis)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """yᵢ = xᵢ − log Σⱼ e^{xⱼ}:  dC/dxᵢ = gᵢ − pᵢ Σⱼ gⱼ, with p = softmax(x).

        Stable: computed as (x − max) − log Σ e^{x − max}.
        """
        axis = _check_axis("log_softmax", axis, self.ndim)
        x = self.data
        shifted = x - x.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return _node(shifted, "log_softmax", (self,), _log_softmax_backward, axis)

    # convenience
    def argmax(self, axis=None) -> np.ndarray:
        return self.data.argmax(axis=axis)


# ------------------------------------------------------------ accumulation
def _accumulate(leaf: Tensor, g: np.ndarray, shared: bool) -> None:
    """leaf.grad += g, never letting a leaf's gradient share its array with anything else.

    A backward rule returns, for each input, either a new array made for
    that input alone, or the gradient it received (or a view of it), which
    may be flowing to other nodes too (``shared``). A new array becomes the
    leaf's first gradient as it is (no copy: weight gradients are large);
    anything else is copied first.
    """
    if g.shape != leaf.data.shape:  # a 0-d result of a reduction kept as shape ()
        g = g.reshape(leaf.data.shape)
    if leaf.grad is None:
        if shared or g.base is not None or not g.flags.writeable:
            g = g.copy()
        leaf.grad = g
    else:
        leaf.grad += g


def _const(arr: np.ndarray) -> Tensor:
    t = _new(Tensor)
    t.data = arr
    t.grad = None
    t.requires_grad = False
    t.name = ""
    t._op = ""
    t._parents = ()
    t._backward = None
    t._ctx = None
    t._spare = None
    return t


def _set_aside(leaf: Tensor) -> None:
    """``leaf.grad = None``, keeping the array so that the next gradient can be written into it.

    A step of a large network would otherwise allocate its weight gradients
    anew every time (7 MB for 784-1024-1024-10), and the C allocator tends
    to hand such memory back to the system when it is freed and take it
    again, page fault by page fault, at the next step. Only large arrays
    are kept.
    """
    g = leaf.grad
    if g is not None:
        leaf.grad = None
        if g.nbytes >= _REUSE_BYTES:
            leaf._spare = g


# Below this size an array comes from the allocator's own free lists, quickly and without page faults
# (128 KiB is where glibc's malloc starts asking the system for memory): not worth keeping.
_REUSE_BYTES = 128 * 1024


def _reuse(leaf: Tensor) -> np.ndarray | None:
    """The array to write ``leaf``'s new gradient into, or None for a new one.

    Only the array ``zero_grad()`` set aside, only when the leaf has no
    gradient yet this time, and only if nothing outside refers to it: if you
    kept the old gradient (``old = W.grad``, or any view of it), its
    reference count is higher than that of an object only a local variable
    holds, and your array is left alone.
    """
    spare = leaf._spare
    leaf._spare = None
    if leaf.grad is not None:  # the new gradient will be added to this one
        return None
    if _refcount(spare) > _ALONE or spare.shape != leaf.data.shape or spare.dtype != leaf.data.dtype \
            or not spare.flags.c_contiguous or not spare.flags.writeable:
        return None
    return spare


_refcount = getattr(sys, "getrefcount", None)


def _alone() -> int:
    """The reference count ``_reuse`` sees for an object that only its local variable holds.

    2 on CPython 3.11 (the variable and the argument); measured rather than
    assumed, as newer interpreters may count borrowed references differently.
    """
    probe = np.empty(1)
    return _refcount(probe)


if _refcount is not None:
    _ALONE = _alone()
else:  # no reference counts to read (not CPython): never reuse
    _refcount, _ALONE = (lambda obj: 1), 0


def _check_axis(op: str, axis, ndim: int):
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise InvalidValueError(f"{op}: axis must be an integer, got {a!r}")
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise InvalidValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} axes")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise InvalidValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(out) if ndim else None


def _binary(a: Tensor, b: Tensor, op: str, ufunc, backward) -> Tensor:
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = ufunc(a.data, b.data)
    except ValueError:
        raise InvalidValueError(
            f"{op}: shapes {_shape_text(a.shape)} and {_shape_text(b.shape)} cannot be broadcast together"
        ) from None
    return _node(out, op, (a, b), backward)


# ------------------------------------------------------ backward functions
# Each takes (node, g) with g = dC/d(node's output) and returns dC/d(parent)
# for each parent, in order (None for a parent that needs none). A rule never
# changes g in place, and returns for each parent either g itself (or a view
# of it) or a new array made for that parent alone: backward() relies on this
# to store new arrays on leaves without copying them.


def _add_backward(node, g):
    """c = a + b:  dC/da = g,  dC/db = g (summed over broadcast axes)."""
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
    return (_unbroadcast(g * b.data, a.data.shape) if a.requires_grad else None,
            _unbroadcast(g * a.data, b.data.shape) if b.requires_grad else None)


def _div_backward(node, g):
    """c = a / b:  dC/da = g / b,  dC/db = −g · a / b² = −g · c / b."""
    a, b = node._parents
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore"):
        if a.requires_grad:
            ga = _unbroadcast(g / b.data, a.data.shape)
        if b.requires_grad:
            gb = _unbroadcast(-g * node.data / b.data, b.data.shape)
    return ga, gb


def _square_backward(node, g):
    """y = x²:  dC/dx = 2x · g."""
    (x,) = node._parents
    return (2.0 * x.data * g,)


def _pow_const_backward(node, g):
    """y = xᵖ (p a number):  dC/dx = p·xᵖ⁻¹ · g."""
    (x,) = node._parents
    p = node._ctx
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((p * np.power(x.data, p - 1.0)) * g,)


def _pow_backward(node, g):
    """c = aᵇ:  dC/da = b·aᵇ⁻¹ · g,  dC/db = aᵇ · ln a · g."""
    a, b = node._parents
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore"):
        if a.requires_grad:
            ga = _unbroadcast(g * b.data * np.power(a.data, b.data - 1.0), a.data.shape)
        if b.requires_grad:
            gb = _unbroadcast(g * node.data * np.log(a.data), b.data.shape)
    return ga, gb


def _neg_backward(node, g):
    """y = −x:  dC/dx = −g."""
    return (-g,)


def _astype_backward(node, g):
    return (g.astype(node._parents[0].data.dtype),)


def _expand_reduced(g, shape, axis, keepdims):
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return g


def _sum_backward(node, g):
    """s = Σ x:  dC/dx = g, repeated over the summed axes."""
    (x,) = node._parents
    axis, keepdims = node._ctx
    g = _expand_reduced(g, x.data.shape, axis, keepdims)
    return (np.broadcast_to(g, x.data.shape),)


def _mean_backward(node, g):
    """m = (1/n) Σ x:  dC/dx = g / n, repeated over the averaged axes."""
    (x,) = node._parents
    axis, keepdims, n = node._ctx
    g = _expand_reduced(g, x.data.shape, axis, keepdims) / n
    return (np.broadcast_to(g, x.data.shape),)


def _max_backward(node, g):
    """m = max x:  dC/dx = g where x = m (split equally between ties), 0 elsewhere."""
    (x,) = node._parents
    axis, keepdims = node._ctx
    m = _expand_reduced(node.data, x.data.shape, axis, keepdims)
    g = _expand_reduced(g, x.data.shape, axis, keepdims)
    mask = x.data == m
    count = mask.sum(axis=axis, keepdims=True)
    return (mask * (g / count),)


def _reshape_backward(node, g):
    return (g.reshape(node._parents[0].data.shape),)


def _transpose_backward(node, g):
    return (g.transpose(np.argsort(node._ctx)),)


def _index_backward(node, g):
    """y = x[i]:  dC/dx = g at the positions read, 0 elsewhere (np.add.at when positions repeat)."""
    (x,) = node._parents
    index = node._ctx
    out = np.zeros_like(x.data)
    if _is_basic_index(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return (out,)


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) and not isinstance(i, bool) for i in items)


def _exp_backward(node, g):
    return (g * node.data,)


def _log_backward(node, g):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (g / node._parents[0].data,)


def _tanh_backward(node, g):
    y = node.data
    return (g * (1.0 - y * y),)


def _sigmoid_backward(node, g):
    y = node.data
    return (g * (y * (1.0 - y)),)


def _relu_backward(node, g):
    return (g * (node.data > 0),)


def _softmax_backward(node, g):
    p = node.data
    axis = node._ctx
    gp = g * p
    gp -= p * gp.sum(axis=axis, keepdims=True)
    return (gp,)


def _log_softmax_backward(node, g):
    p = np.exp(node.data)
    axis = node._ctx
    return (g - p * g.sum(axis=axis, keepdims=True),)


# --------------------------------------------------------------- matmul
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """C = A @ B (batched like numpy):  dC/dA = G @ Bᵀ,  dC/dB = Aᵀ @ G.

    Derivation for one element: Cᵢₖ = Σⱼ Aᵢⱼ Bⱼₖ, so ∂Cᵢₖ/∂Aᵢⱼ = Bⱼₖ and
    dC/dAᵢⱼ = Σₖ Gᵢₖ Bⱼₖ = (G Bᵀ)ᵢⱼ; the same way dC/dBⱼₖ = (Aᵀ G)ⱼₖ.
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
        out = np.matmul(A, B)
    except ValueError:
        raise InvalidValueError(
            f"matmul: shapes {_shape_text(A.shape)} and {_shape_text(B.shape)}: batch axes cannot be broadcast together"
        ) from None
    return _node(out, "matmul", (a, b), _matmul_backward)


def _matmul_backward(node, g):
    a, b = node._parents
    A, B = a.data, b.data
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


def linear(x: Tensor, W: Tensor, b: Tensor | None = None, activation: str | None = None) -> Tensor:
    """y = x W + b as one node (a whole layer's weighted inputs, z = W·a + b in Nielsen's notation).

    ``x``: (..., n_in), ``W``: (n_in, n_out), ``b``: (n_out,). With G = dC/dy,

        dC/dx = G Wᵀ,    dC/dW = xᵀ G,    dC/db = Σ_rows G.

    One node instead of two (matmul, then a broadcast add) and no temporary
    array for the sum: the bias is added in place into the product.

    With ``activation`` ("relu", "tanh" or "sigmoid"; None or "linear" for
    none) the node is a whole dense layer, a = f(x W + b): f is applied in
    place, and backward first multiplies G by f′ read off a (relu: 1 where
    a > 0, tanh: 1 − a², sigmoid: a(1 − a)), exactly as a separate
    activation node would.
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
        bd = b.data
        if bd.shape != (Wd.shape[1],):
            raise InvalidValueError(f"linear: the bias must have shape ({Wd.shape[1]},), got {_shape_text(bd.shape)}")
        if out.dtype == bd.dtype:
            out += bd
        else:
            out = out + bd
        parents = (x, W, b)
    if op == "linear":
        return _node(out, op, parents, _linear_backward)
    if activation == "relu":  # f applied in place
        np.maximum(out, 0, out=out)
    elif activation == "tanh":
        np.tanh(out, out=out)
    else:
        _sigmoid_in_place(out)
    return _node(out, op, parents, _linear_backward, activation)


def _sigmoid_in_place(z: np.ndarray) -> np.ndarray:
    """z ← σ(z), computed as ½(1 + tanh(z/2)): the same function, and it never overflows."""
    z *= 0.5
    np.tanh(z, out=z)
    z += 1.0
    z *= 0.5
    return z


# activation -> its backward rule (each reads a = f(z) from node.data, which a dense layer's node holds too)
_ACTIVATION_RULES = {"relu": _relu_backward, "tanh": _tanh_backward, "sigmoid": _sigmoid_backward}

# activation -> the name of the layer's node
_LAYER_OPS = {None: "linear", "linear": "linear", "relu": "linear+relu", "tanh": "linear+tanh", "sigmoid": "linear+sigmoid"}


def _linear_backward(node, g):
    activation = node._ctx
    if activation is not None:  # through f first: G·f′(z), with f′ read off a = f(z) by f's own rule
        (g,) = _ACTIVATION_RULES[activation](node, g)
    parents = node._parents
    x, W = parents[0], parents[1]
    X = x.data
    gx = g @ W.data.T if x.requires_grad else None
    if X.ndim != 2:
        X = X.reshape(-1, X.shape[-1])
        g = g.reshape(-1, g.shape[-1])
    gW = None
    if W.requires_grad:
        # into the array of the previous step when zero_grad() set it aside
        reuse = W._backward is None and W._spare is not None  # a leaf whose last gradient was set aside
        gW = np.matmul(X.T, g, out=_reuse(W)) if reuse else X.T @ g
    if len(parents) == 3:
        b = parents[2]
        return gx, gW, (np.add.reduce(g, 0) if b.requires_grad else None)  # a bias is small: never reused
    return gx, gW


# ------------------------------------------------------------ joining
def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """y = [x₁, x₂, …] along ``axis``: each xᵢ receives its own slice of the gradient."""
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
    """y = the xᵢ stacked along a new ``axis``: each xᵢ receives its own slice of the gradient."""
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


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Shorthand for ``Tensor(data, requires_grad, dtype)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def parameters_of(tensors: Iterable[Tensor]) -> list[Tensor]:
    return [t for t in tensors if isinstance(t, Tensor) and t.requires_grad]

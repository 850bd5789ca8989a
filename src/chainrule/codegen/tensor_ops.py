"""How each ``Tensor`` operation is written as code: its forward in numpy and in PyTorch, its backward rule in numpy.

One row per operation of the tensor engine (``chainrule.tensor``), keyed by
the name the engine records in ``op``. A row writes exactly what the
engine's own rule computes (``tensor._mul_backward``: dC/da = g · b), with
the same operations in the same order, so an emitted numpy program gives
the engine's numbers (``tests/test_codegen_tensor.py`` runs every row
against the engine). The rows are templates over *expressions* (``Expr``:
a piece of code and how tightly it binds), never over user text: operands
are the graph's identifiers (``identifiers``) and numbers the emitter writes
itself.

Broadcasting: a forward ``(4, 3) + (3,)`` reuses the row 4 times, so its
gradient is the sum of the 4 rows; ``unbroadcast`` writes that sum as the
engine's ``_unbroadcast`` computes it (``.sum(axis=0)``, or over the axes of
size 1 with ``keepdims``).

A convolution (``conv1d``) is one node of the engine, and one line of the
program: ``o = conv1d(x, W, b, stride=1, padding=0)``, a function the
program defines (its ``helpers``), each window of the signal times the
kernel as one matrix product; its backward lines are the engine's rule
written out: ∂C/∂W = windowsᵀ · G (the sum over positions of upstream ·
input), ∂C/∂b = Σ over positions of G, and ∂C/∂x, G spread by the stride
under the flipped kernel.

Operations not in the table (softmax, indexing, the fused ``linear`` layer,
…) are refused by name: ``TensorOpError`` says which ones are written.
"""

from __future__ import annotations

from ..errors import InvalidValueError

__all__ = ["Expr", "OPS", "TensorOpError", "unbroadcast", "array_literal", "supported", "helpers"]

# How tightly an expression binds, as in Python: a comparison is always wrapped when it is an operand.
COMPARE, SUM, PRODUCT, UNARY, POWER, ATOM = 0, 1, 2, 3, 4, 5
_BINDS = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "@": PRODUCT, "**": POWER}


class TensorOpError(InvalidValueError):
    """An operation the code emitters do not write (yet)."""


class Expr:
    """A piece of emitted code and how tightly it binds (see ``COMPARE`` … ``ATOM``)."""

    __slots__ = ("text", "prec", "op")

    def __init__(self, text: str, prec: int = ATOM, op: str = ""):
        self.text, self.prec, self.op = text, prec, op

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"

    def wrapped(self, below: int) -> str:
        """The text, in parentheses if it binds less tightly than ``below`` requires."""
        return f"({self.text})" if self.prec < below else self.text

    # building blocks ------------------------------------------------------
    def binary(self, symbol: str, other: "Expr") -> "Expr":
        p = _BINDS[symbol]
        if symbol == "**":
            return Expr(f"{self.wrapped(ATOM)} ** {other.wrapped(UNARY)}", POWER, symbol)
        # (d @ W.T) * f′: a product of another kind on the left is put in parentheses, for the reader
        left = f"({self.text})" if self.prec == p == PRODUCT and self.op != symbol else self.wrapped(p)
        return Expr(f"{left} {symbol} {other.wrapped(p + 1)}", p, symbol)

    def neg(self) -> "Expr":
        return Expr(f"-{self.wrapped(POWER)}", UNARY)

    def method(self, name: str, args: str = "") -> "Expr":
        return Expr(f"{self.wrapped(ATOM)}.{name}({args})")

    def attribute(self, name: str) -> "Expr":
        return Expr(f"{self.wrapped(ATOM)}.{name}")

    def compare(self, symbol: str, other: "Expr") -> "Expr":
        return Expr(f"{self.wrapped(SUM)} {symbol} {other.wrapped(SUM)}", COMPARE)


def call(function: str, *args: Expr) -> Expr:
    return Expr(f"{function}({', '.join(a.text for a in args)})")


def number(x: float) -> Expr:
    text = repr(float(x))
    return Expr(text, UNARY if text.startswith("-") else ATOM)


def shape_text(shape: tuple) -> str:
    return repr(tuple(int(n) for n in shape))


def array_literal(data) -> str:
    """``np.array(...)``'s argument for an array: nested lists of exact floats (``repr``), or one float."""
    import numpy as np

    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim == 0:
        return repr(float(arr))

    def nest(a) -> str:
        if a.ndim == 1:
            return "[" + ", ".join(repr(float(v)) for v in a) + "]"
        return "[" + ", ".join(nest(row) for row in a) + "]"

    return nest(arr)


# ------------------------------------------------------------------ broadcasting
def unbroadcast(g: Expr, shape: tuple, target: tuple) -> Expr:
    """The gradient ``g`` (shaped like the result) summed back to an operand's ``target`` shape (``_unbroadcast``)."""
    shape, target = tuple(shape), tuple(target)
    if shape == target:
        return g
    extra = len(shape) - len(target)
    now = shape
    if extra:
        axes = tuple(range(extra))
        g = g.method("sum", f"axis={axes[0] if extra == 1 else axes}")
        now = shape[extra:]
    axes = tuple(i for i, n in enumerate(target) if n == 1 and now[i] != 1)
    if axes:
        g = g.method("sum", f"axis={axes[0] if len(axes) == 1 else axes}, keepdims=True")
        now = tuple(1 if i in axes else n for i, n in enumerate(now))
    if now != target:
        g = g.method("reshape", shape_text(target))
    return g


# ------------------------------------------------------------------ the rows
class TensorOpCode:
    """One operation: ``forward(operands, node)`` in numpy and torch, ``backward(k, g, operands, out, node)`` in numpy.

    ``uses[k]``: which values the rule for operand k reads ("a", "b", "c":
    the operands, "out": the result), so the emitter keeps those in
    variables. ``rule``: the rule in words, for the comments (one per
    operand). ``helpers(node)``: the functions a numpy program that writes
    this node must define first (numpy has no sigmoid, no conv1d).
    """

    def __init__(self, op: str, numpy, torch, backward, uses: tuple, rule: tuple, elementwise: bool = False,
                 helpers=None):
        self.op, self.numpy, self.torch, self.backward = op, numpy, torch, backward
        self.uses, self.rule, self.elementwise = uses, rule, elementwise
        self.helpers = helpers if helpers is not None else (lambda node: ())


def _binary_row(symbol: str, grads, uses, rule) -> TensorOpCode:
    return TensorOpCode(
        symbol,
        numpy=lambda x, node: x[0].binary(symbol, x[1]),
        torch=lambda x, node: x[0].binary(symbol, x[1]),
        backward=grads, uses=uses, rule=rule, elementwise=True,
    )


def _add(k, g, x, out, node):
    return g


def _sub(k, g, x, out, node):
    return g if k == 0 else g.neg()


def _mul(k, g, x, out, node):
    return g.binary("*", x[1 - k])


def _div(k, g, x, out, node):
    if k == 0:
        return g.binary("/", x[1])
    return g.neg().binary("*", out.binary("/", x[1]))  # −g · (c / b), as the engine: never a/(b·b)


def _power_kind(node) -> str:
    if len(node._parents) == 2:
        return "tensor"
    return "square" if node._ctx is None else "number"


def _pow_numpy(x, node):
    kind = _power_kind(node)
    if kind == "square":
        return x[0].binary("*", x[0])  # the engine squares as x · x
    if kind == "number":
        return call("np.power", x[0], number(node._ctx))
    raise TensorOpError("code: a tensor raised to a tensor power (a ** b with b a Tensor) is not written yet")


def _pow_torch(x, node):
    kind = _power_kind(node)
    if kind == "square":
        return x[0].binary("**", Expr("2"))
    if kind == "number":
        return x[0].binary("**", number(node._ctx))
    raise TensorOpError("code: a tensor raised to a tensor power (a ** b with b a Tensor) is not written yet")


def _pow_backward(k, g, x, out, node):
    if _power_kind(node) == "square":
        return g.binary("*", number(2.0).binary("*", x[0]))
    p = float(node._ctx)
    if p == 0.0:
        return call("np.zeros_like", x[0])  # x⁰ = 1 whatever x is: no gradient
    return g.binary("*", number(p).binary("*", call("np.power", x[0], number(p - 1.0))))


def _matmul_check(node):
    a, b = node._parents
    if a.data.ndim != 2 or b.data.ndim != 2:
        raise TensorOpError(f"code: matmul of shapes {tuple(a.shape)} and {tuple(b.shape)} is not written yet "
                            "(only 2-D @ 2-D)")


def _matmul_numpy(x, node):
    _matmul_check(node)
    return x[0].binary("@", x[1])


def _matmul_backward(k, g, x, out, node):
    _matmul_check(node)
    if k == 0:
        return g.binary("@", x[1].attribute("T"))  # dC/dA = G Bᵀ
    return x[0].attribute("T").binary("@", g)  # dC/dB = Aᵀ G


def _unary(op, numpy_function, torch_function, backward, uses, rule) -> TensorOpCode:
    return TensorOpCode(op, numpy=lambda x, node: call(numpy_function, x[0]),
                        torch=lambda x, node: call(torch_function, x[0]), backward=backward, uses=uses, rule=rule)


def _reduction_args(node) -> str:
    axis, keepdims = node._ctx[0], node._ctx[1]
    if axis is None:
        return ""
    axis_text = str(axis[0]) if len(axis) == 1 else str(tuple(axis))
    return f"axis={axis_text}" + (", keepdims=True" if keepdims else "")


def _spread(g: Expr, node) -> Expr:
    """A reduction's gradient spread back over the input's shape (the engine's ``broadcast_to``)."""
    (x,) = node._parents
    axis, keepdims = node._ctx[0], node._ctx[1]
    if axis is None:
        return call("np.full", Expr(shape_text(x.shape)), g)
    if not keepdims:
        g = call("np.expand_dims", g, Expr(str(axis[0]) if len(axis) == 1 else str(tuple(axis))))
    return call("np.broadcast_to", g, Expr(shape_text(x.shape)))


def _sum_backward(k, g, x, out, node):
    return _spread(g, node)


def _mean_backward(k, g, x, out, node):
    n = node._ctx[2]
    if node._ctx[0] is None:
        return call("np.full", Expr(shape_text(node._parents[0].shape)), g.binary("/", Expr(str(int(n)))))
    return _spread(g.binary("/", Expr(str(int(n)))), node)


# ------------------------------------------------------------------ convolution
# The functions a numpy program with a convolution defines: the windows, the convolution as one product, and the
# input's gradient (written only when the input needs one). Each computes what ``chainrule.convolution`` does, with
# the same products, so the program's numbers are the engine's.
WINDOWS_NUMPY = '''def windows(x, size, stride=1, padding=0, dilation=1):
    """Every window a kernel of ``size`` taps reads, (N, T, K, C): [n, t, k] = x[n, t·s + k·d − p], 0 in the padding."""
    N, L, C = x.shape
    T = (L + 2 * padding - dilation * (size - 1) - 1) // stride + 1
    out = np.zeros((N, T, size, C))
    for t in range(T):
        for k in range(size):
            i = t * stride + k * dilation - padding
            if 0 <= i < L:
                out[:, t, k] = x[:, i]
    return out
'''

CONV1D_NUMPY = '''def conv1d(x, W, b=None, stride=1, padding=0, dilation=1):
    """o[n, t] = Σₖ W[k]ᵀ·x[n, t·s + k·d − p] + b: the kernel slid along x, every window times W in one product."""
    K, C, C_out = W.shape
    cols = windows(x, K, stride, padding, dilation)
    N, T = cols.shape[:2]
    o = cols.reshape(N * T, K * C) @ W.reshape(K * C, C_out)
    if b is not None:
        o = o + b
    return o.reshape(N, T, C_out)
'''

CONV1D_INPUT_GRADIENT_NUMPY = '''def conv1d_input_gradient(g, W, length, stride=1, padding=0, dilation=1):
    """∂C/∂x for o = conv1d(x, W): g, with s − 1 zeros between its positions, slid under the flipped kernel.

    Input i is read by tap k of output t where t·s + k·d − p = i, so it collects W[k]·g[t] over those (t, k):
    a stride-1 convolution of the spread-out g with the taps reversed (and in and out channels swapped).
    """
    N, T, C_out = g.shape
    K, C, _ = W.shape
    reach = dilation * (K - 1)
    unread = (length + 2 * padding - reach - 1) % stride  # inputs after the last window's first tap
    if stride > 1 or unread:
        spread = np.zeros((N, (T - 1) * stride + 1 + unread, C_out))
        spread[:, :(T - 1) * stride + 1:stride] = g
        g = spread
    flipped = W[::-1].transpose(0, 2, 1).reshape(K * C_out, C)
    cols = windows(g, K, 1, reach - padding, dilation)
    return (cols.reshape(-1, K * C_out) @ flipped).reshape(N, -1, C)
'''


def _conv_settings(node) -> tuple[int, int, int]:
    """The convolution's stride, padding and dilation, as the engine recorded them."""
    _, stride, padding, dilation, _ = node._ctx
    return stride, padding, dilation


def _conv_arguments(node) -> str:
    stride, padding, dilation = _conv_settings(node)
    return f"stride={stride}, padding={padding}" + (f", dilation={dilation}" if dilation != 1 else "")


def _conv1d_numpy(x, node):
    operands = ", ".join(e.text for e in x)
    return Expr(f"conv1d({operands}, {_conv_arguments(node)})")


def _conv1d_torch(x, node):
    """PyTorch keeps the channels before the length (N, C, L), the kernel as (C_out, C_in, K): turned there and back."""
    bias = x[2].text if len(x) == 3 else "None"
    signal, kernel = f"{x[0].wrapped(ATOM)}.transpose(1, 2)", f"{x[1].wrapped(ATOM)}.permute(2, 1, 0)"
    return Expr(f"torch.nn.functional.conv1d({signal}, {kernel}, {bias}, {_conv_arguments(node)}).transpose(1, 2)")


def _conv1d_backward(k, g, x, out, node):
    """The engine's rule (``convolution._conv1d_backward``), one operand at a time, G reshaped to (N·T, C_out)."""
    stride, padding, dilation = _conv_settings(node)
    signal, kernel = node._parents[0], node._parents[1]
    N, T, C_out = node.shape
    K, C, _ = kernel.shape
    rows = f"{g.wrapped(ATOM)}.reshape({N * T}, {C_out})"
    if k == 0:  # ∂C/∂x: G under the flipped kernel
        return Expr(f"conv1d_input_gradient({g.text}, {x[1].text}, {signal.shape[1]}, {stride}, {padding}, {dilation})")
    if k == 1:  # ∂C/∂W = windowsᵀ·G: each weight's upstream · input, summed over the positions
        window = f"windows({x[0].text}, {K}, {stride}, {padding}, {dilation}).reshape({N * T}, {K * C})"
        return Expr(f"({window}.T @ {rows}).reshape({', '.join(str(int(n)) for n in kernel.shape)})")
    return Expr(f"np.ones({N * T}) @ {rows}", PRODUCT, "@")  # ∂C/∂b = Σ over every example and position of G


def _conv1d_helpers(node) -> tuple[str, ...]:
    needed = (WINDOWS_NUMPY, CONV1D_NUMPY)
    return needed + (CONV1D_INPUT_GRADIENT_NUMPY,) if node._parents[0].requires_grad else needed


OPS: dict[str, TensorOpCode] = {row.op: row for row in [
    _binary_row("+", _add, ((), ()), ("dC/da = g", "dC/db = g")),
    _binary_row("-", _sub, ((), ()), ("dC/da = g", "dC/db = −g")),
    _binary_row("*", _mul, (("b",), ("a",)), ("dC/da = g·b", "dC/db = g·a")),
    _binary_row("/", _div, (("b",), ("b", "out")), ("dC/da = g/b", "dC/db = −g·(c/b)")),
    TensorOpCode("**", numpy=_pow_numpy, torch=_pow_torch, backward=_pow_backward, uses=(("a",),),
                 rule=("dC/dx = g·p·xᵖ⁻¹",)),
    TensorOpCode("matmul", numpy=_matmul_numpy, torch=lambda x, node: x[0].binary("@", x[1]),
                 backward=_matmul_backward, uses=(("b",), ("a",)), rule=("dC/dA = G·Bᵀ", "dC/dB = Aᵀ·G")),
    TensorOpCode("neg", numpy=lambda x, node: x[0].neg(), torch=lambda x, node: x[0].neg(),
                 backward=lambda k, g, x, out, node: g.neg(), uses=((),), rule=("dC/dx = −g",)),
    _unary("exp", "np.exp", "torch.exp", lambda k, g, x, out, node: g.binary("*", out), (("out",),),
           ("dC/dx = g·eˣ",)),
    _unary("log", "np.log", "torch.log", lambda k, g, x, out, node: g.binary("/", x[0]), (("a",),),
           ("dC/dx = g/x",)),
    _unary("tanh", "np.tanh", "torch.tanh",
           lambda k, g, x, out, node: g.binary("*", number(1.0).binary("-", out.binary("*", out))), (("out",),),
           ("f′(z) = 1 − tanh²z",)),
    TensorOpCode("sigmoid", numpy=lambda x, node: call("sigmoid", x[0]),
                 torch=lambda x, node: call("torch.sigmoid", x[0]),
                 backward=lambda k, g, x, out, node: g.binary("*", out.binary("*", number(1.0).binary("-", out))),
                 uses=(("out",),), rule=("f′(z) = σ(z)(1 − σ(z))",), helpers=lambda node: (SIGMOID_NUMPY,)),
    TensorOpCode("relu", numpy=lambda x, node: call("np.maximum", x[0], Expr("0")),
                 torch=lambda x, node: call("torch.relu", x[0]),
                 backward=lambda k, g, x, out, node: g.binary("*", x[0].compare(">", Expr("0"))), uses=(("a",),),
                 rule=("f′(z) = [z > 0]",)),
    TensorOpCode("sum", numpy=lambda x, node: x[0].method("sum", _reduction_args(node)),
                 torch=lambda x, node: x[0].method("sum", _reduction_args(node).replace("axis=", "dim=")
                                                   .replace("keepdims=", "keepdim=")),
                 backward=_sum_backward, uses=((),), rule=("dC/dx = g, spread over the summed axes",)),
    TensorOpCode("mean", numpy=lambda x, node: x[0].method("mean", _reduction_args(node)),
                 torch=lambda x, node: x[0].method("mean", _reduction_args(node).replace("axis=", "dim=")
                                                   .replace("keepdims=", "keepdim=")),
                 backward=_mean_backward, uses=((),), rule=("dC/dx = g/n, spread over the averaged axes",)),
    TensorOpCode("conv1d", numpy=_conv1d_numpy, torch=_conv1d_torch, backward=_conv1d_backward,
                 uses=(("b",), ("a",), ()), rule=("dC/dx = G under the flipped kernel", "dC/dW = windowsᵀ·G",
                                                  "dC/db = Σ over positions of G"),
                 helpers=_conv1d_helpers),
]}

# numpy's own sigmoid does not exist: the program defines the engine's two-sided formula
SIGMOID_NUMPY = '''def sigmoid(z):
    """σ(z) = 1/(1 + e⁻ᶻ) without overflow: with e = e^−|z|, 1/(1 + e) where z ≥ 0, e/(1 + e) where z < 0."""
    e = np.exp(-np.abs(z))
    s = 1.0 / (1.0 + e)
    return np.where(z < 0, s * e, s)
'''


def row(node) -> TensorOpCode:
    """The table's row for ``node``'s operation; a clear refusal for one that is not written."""
    entry = OPS.get(node._op)
    if entry is None:
        raise TensorOpError(f"code: the tensor operation {node._op!r} is not written as code yet; "
                            f"written: {', '.join(supported())}")
    return entry


def supported() -> list[str]:
    return list(OPS)


def helpers(nodes) -> list[str]:
    """The functions a numpy program writing ``nodes`` defines before its own, each once, in the order first needed."""
    found: list[str] = []
    for node in nodes:
        for source in row(node).helpers(node):
            if source not in found:
                found.append(source)
    return found

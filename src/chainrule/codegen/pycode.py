"""Python expressions as a library of the op table: its functions, called on pieces of code.

Every consumer of ``chainrule.ops`` calls the same value and slope functions
with its own library of the functions ``exp log tanh sigmoid relu step``:
floats for the engine, sympy for the explainer, torch for the cross-check.
This is the library whose values are *pieces of code*. An operand is a ``Code`` (a
variable name or a number); ``a * b`` of two ``Code``\\ s is the ``Code``
``a * b``; ``PythonLib.exp(a)`` is ``exp(a)``. So ``ops.node_value(node,
PYTHON, [Code.name("i"), Code.name("w")])`` is the expression ``i * w``, and
``ops.node_local`` gives ∂a/∂w as the expression ``i``: the emitter writes
only what the table says, with the graph's variable names (never a label).

Exactness. The emitted program must compute what the engine computes, bit
for bit, so an expression keeps the operation's exact tree: parentheses are put
wherever Python's precedence would otherwise regroup it (``g * (1.0 - t *
t)``), and nothing is reassociated. Only operations on two numbers are done
here (``3.0 - 1.0`` is written ``2.0``): the same IEEE operation the engine
does, once instead of at every call.

How the functions are written:

* ``exp``, ``log``, ``tanh``: calls of ``math``'s, as the engine's float library;
* ``sigmoid``: a call of the small function ``SIGMOID_SOURCE``, which the
  program defines (the engine's two-sided formula, tested bit for bit);
* ``relu`` and ``step``: the branch itself, ``z if z > 0.0 else 0.0``: the
  choice is made again at every call, so a compiled graph stays right when
  new numbers take the other branch.

Very long folds (a ``Value.sum`` of thousands of terms) would make one
expression nested too deep for Python's compiler: past ``MAX_DEPTH`` the
library hands what it has to ``spill`` (the emitter writes it as a statement,
``t5 = 0.0 + … ``, and continues with ``t5 + …``), which keeps the additions
in the same order.
"""

from __future__ import annotations

import math

from .. import ops

__all__ = ["Code", "PythonLib", "SIGMOID_SOURCE", "MAX_DEPTH", "render"]

MAX_DEPTH = 48  # deeper expressions are spilled into statements

# How tightly each kind of expression binds (higher binds tighter), as in Python's grammar.
CHOICE, SUM, PRODUCT, UNARY, POWER, ATOM = 0, 1, 2, 3, 4, 5
_BINARY = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "**": POWER}
_FOLD = {
    "+": float.__add__, "-": float.__sub__, "*": float.__mul__, "/": float.__truediv__, "**": float.__pow__,
}

SIGMOID_SOURCE = '''def sigmoid(a):
    """σ(a) = 1/(1 + e⁻ᵃ), as eᵃ/(1 + eᵃ) for negative a so that e⁻ᵃ never overflows."""
    if a >= 0.0:
        return 1.0 / (1.0 + exp(-a))
    e = exp(a)
    return e / (1.0 + e)
'''


class Code:
    """One expression of an emitted program, as a small tree.

    ``kind``: "name" (``value`` is the identifier), "number" (``value`` is the
    float), "binary" (``value`` is + − * / **, ``args`` the two operands),
    "neg", "call" (``value`` the function), "choice" (``value`` is "relu" or
    "step", ``args`` the operand: the branch on operand > 0).
    """

    __slots__ = ("kind", "value", "args", "prec", "depth", "sink")

    def __init__(self, kind: str, value, args: tuple = (), prec: int = ATOM, sink=None):
        self.kind, self.value, self.args, self.prec = kind, value, args, prec
        if not args:
            self.depth = 1
        elif len(args) == 1:
            self.depth = args[0].depth + 1
            sink = sink or args[0].sink
        else:
            a, b = args
            self.depth = (a.depth if a.depth > b.depth else b.depth) + 1
            sink = sink or a.sink or b.sink
        self.sink = sink  # where an expression nested too deep is written out (see PythonLib), inherited

    # ------------------------------------------------------------ leaves
    @staticmethod
    def name(identifier: str, sink=None) -> "Code":
        return Code("name", identifier, sink=sink)

    @staticmethod
    def number(x: float, sink=None) -> "Code":
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"a constant of the graph is not finite: {x!r}")
        return Code("number", x, (), UNARY if math.copysign(1.0, x) < 0 else ATOM, sink)

    @property
    def is_number(self) -> bool:
        return self.kind == "number"

    @property
    def is_atom(self) -> bool:
        return self.kind in ("name", "number")

    def __repr__(self) -> str:
        return f"Code({render(self)!r})"

    # --------------------------------------------------------- operators
    def _binary(self, symbol: str, other) -> "Code":
        other = _code(other)
        if self.is_number and other.is_number:
            try:
                folded = _FOLD[symbol](self.value, other.value)
            except (ArithmeticError, ValueError):
                folded = None
            if type(folded) is float and math.isfinite(folded):
                return Code.number(folded, self.sink or other.sink)
        code = Code("binary", symbol, (self, other), _BINARY[symbol])
        if code.depth > MAX_DEPTH and code.sink is not None:  # a long fold: write what we have as a statement
            return code.sink(code)
        return code

    def __add__(self, other): return self._binary("+", other)
    def __radd__(self, other): return _code(other)._binary("+", self)
    def __sub__(self, other): return self._binary("-", other)
    def __rsub__(self, other): return _code(other)._binary("-", self)
    def __mul__(self, other): return self._binary("*", other)
    def __rmul__(self, other): return _code(other)._binary("*", self)
    def __truediv__(self, other): return self._binary("/", other)
    def __rtruediv__(self, other): return _code(other)._binary("/", self)
    def __pow__(self, other): return self._binary("**", other)
    def __rpow__(self, other): return _code(other)._binary("**", self)

    def __neg__(self) -> "Code":
        if self.is_number:
            return Code.number(-self.value, self.sink)
        return Code("neg", "-", (self,), UNARY)


def _code(x) -> Code:
    if isinstance(x, Code):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Code.number(x)
    raise TypeError(f"not an expression: {x!r}")


# ------------------------------------------------------------------ printing
def _wrap(code: Code, need: bool, values) -> str:
    text = render(code, values)
    return f"({text})" if need else text


def render(code: Code, values: dict | None = None) -> str:
    """The expression as Python source; with ``values``, each name is written as its number (for ``explain``)."""
    kind = code.kind
    if kind == "name":
        if values is not None and code.value in values:
            x = values[code.value]
            text = _number_text(x, short=True)
            return f"({text})" if math.copysign(1.0, x) < 0 else text
        return code.value
    if kind == "number":
        return _number_text(code.value, short=values is not None)
    if kind == "binary":
        left, right = code.args
        p = code.prec
        if code.value == "**":  # right-associative, and binds tighter than a unary minus on its left
            return f"{_wrap(left, left.prec <= POWER, values)} ** {_wrap(right, right.prec < UNARY, values)}"
        return f"{_wrap(left, left.prec < p, values)} {code.value} {_wrap(right, right.prec <= p, values)}"
    if kind == "neg":
        (operand,) = code.args
        return f"-{_wrap(operand, operand.prec <= UNARY, values)}"
    if kind == "call":
        return f"{code.value}({render(code.args[0], values)})"
    if kind == "choice":
        (operand,) = code.args
        x = render(operand, values)
        return f"{x if code.value == 'relu' else '1.0'} if {x} > 0.0 else 0.0"
    raise AssertionError(kind)


def _number_text(x: float, short: bool = False) -> str:
    """A float as Python reads it back exactly (``repr``); ``short``: 6 significant digits, for people."""
    if short:
        text = f"{x:.6g}"
        return text if any(c in text for c in ".enai") else text + ".0"
    return repr(float(x))


# ------------------------------------------------------------------ the library
class PythonLib:
    """The op table's functions, written as Python code (see the module docstring).

    ``spill``: called with an expression nested deeper than ``MAX_DEPTH``;
    returns a name that stands for it (the emitter has written it out). Every
    expression made from this library's constants, or from names made with
    ``Code.name(..., sink=spill)``, carries it (``Code.sink``), so a long fold
    is cut wherever it grows too deep. It is also used for the operand of
    relu/step when that is not a name, since the branch reads its operand
    twice.
    ``used``: the functions the emitted code calls (for its imports).
    """

    def __init__(self, spill=None):
        self.spill = spill
        self.used: set[str] = set()

    def _checked(self, code: Code) -> Code:
        if code.depth > MAX_DEPTH and self.spill is not None:
            return self.spill(code)
        return code

    def _call(self, name: str, a: Code) -> Code:
        a = _code(a)
        if a.is_number:
            return Code.number(getattr(ops.FLOATS, name)(a.value))
        self.used.add(name)
        return self._checked(Code("call", name, (a,)))

    def exp(self, a): return self._call("exp", a)
    def log(self, a): return self._call("log", a)
    def tanh(self, a): return self._call("tanh", a)
    def sigmoid(self, a): return self._call("sigmoid", a)

    def _choice(self, name: str, a) -> Code:
        a = _code(a)
        if a.is_number:
            return Code.number(getattr(ops.FLOATS, name)(a.value))
        if not a.is_atom:
            if self.spill is None:
                raise ValueError(f"{name}: the operand must be a name or a number")
            a = self.spill(a)
        self.used.add(name)
        return Code("choice", name, (a,), CHOICE)

    def relu(self, a):
        """max(0, a) as the branch ``a if a > 0.0 else 0.0`` (exactly ``FloatLib.relu``)."""
        return self._choice("relu", a)

    def step(self, a):
        """relu's slope as the branch ``1.0 if a > 0.0 else 0.0`` (exactly ``FloatLib.step``)."""
        return self._choice("step", a)

    def constant(self, x) -> Code:
        return Code.number(x, self.spill)


def imports(used: set[str]) -> str:
    """The lines an emitted program needs before its function, for the functions it calls."""
    from_math = [name for name in ("exp", "log", "tanh") if name in used or (name == "exp" and "sigmoid" in used)]
    lines = []
    if from_math:
        lines.append(f"from math import {', '.join(from_math)}\n")
    if "sigmoid" in used:
        lines.append("\n\n" + SIGMOID_SOURCE)
    return "".join(lines)

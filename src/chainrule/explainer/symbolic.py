"""A ``Value`` graph as a sympy expression, and each edge's local derivative as a formula.

The engine stores every local derivative as a number. To write it as a
formula (∂a/∂w = i, ∂C/∂a = 2(a − y)) we call the operation's own value
and slope functions from ``chainrule.ops`` with sympy expressions instead
of floats: ``SympyLib`` is the table's sympy *library* (exp, log, tanh, and
σ, relu and the relu slope as functions of their own, so that formulas read
σ(z)(1 − σ(z)) and ``1 if z > 0 else 0``, the forms learners know).
Everything printed as a formula comes from here; nothing is typed by hand
for one example, and no formula is ever read from text.

This is the one module that imports sympy at its top. Every other module
imports sympy (or this module) inside the function that writes a formula:
numbers (the engine, training, a lesson's graph and gradients, the static
explorer's limits) never wait for sympy's import, about half a second here
and more in the browser (``tests/test_sympy_on_demand.py``).
"""

from __future__ import annotations

import functools
from typing import Iterable, Mapping

import sympy

from .. import ops
from ..scalar import Value

__all__ = [
    "SympyLib",
    "constant",
    "to_sympy",
    "local_derivative",
    "symbol_for",
    "as_floats",
    "sigmoid",
    "relu",
    "step",
]


def _form(name: str, kind: int):
    return ops.FUNCTION_FORMS[name][kind]


class sigmoid(sympy.Function):  # noqa: N801 - sympy names functions in lower case
    """σ(x) = 1/(1 + e⁻ˣ), kept whole: formulas read σ(z), its derivative σ(z)(1 − σ(z))."""

    def fdiff(self, argindex=1):
        s = self.func(self.args[0])
        return s * (1 - s)

    def _eval_evalf(self, prec):
        return (1 / (1 + sympy.exp(-self.args[0])))._eval_evalf(prec)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _sympystr(self, printer):
        return _form("sigmoid", 0).format(printer._print(self.args[0]))

    def _latex(self, printer):
        return _form("sigmoid", 1).format(printer._print(self.args[0]))


class step(sympy.Function):  # noqa: N801
    """The slope of relu: 1 where x > 0, else 0 (its own derivative is 0 away from the kink)."""

    @classmethod
    def eval(cls, x):
        if x.is_extended_real and x.is_number:
            return sympy.S.One if x > 0 else sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sympy.DiracDelta(self.args[0])

    def _sympystr(self, printer):
        return _form("step", 0).format(printer._print(self.args[0]))

    def _latex(self, printer):
        return _form("step", 1).format(printer._print(self.args[0]))


class relu(sympy.Function):  # noqa: N801
    """max(0, x); its derivative is ``step(x)``."""

    @classmethod
    def eval(cls, x):
        if x.is_extended_real and x.is_number:
            return x if x > 0 else sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sympy.Max(0, x)

    def _sympystr(self, printer):
        return _form("relu", 0).format(printer._print(self.args[0]))

    def _latex(self, printer):
        return _form("relu", 1).format(printer._print(self.args[0]))


def constant(x: float, exact: bool = True) -> sympy.Expr:
    """A number as sympy sees it: exact (0.8 → 4/5) so algebra does not round, or a Float.

    The exact form is the fraction of the number's shortest decimal (``repr``: 0.8, not the binary
    0.8000000000000000444…), found in microseconds (``nsimplify`` searches for it and takes milliseconds).
    """
    if exact:
        return sympy.Rational(repr(float(x)))
    return sympy.Float(x)


class SympyLib:
    """The op table's functions in sympy (``exact``: constants as fractions, else as decimals)."""

    exp = staticmethod(sympy.exp)
    log = staticmethod(sympy.log)
    tanh = staticmethod(sympy.tanh)
    sigmoid = sigmoid
    relu = relu
    step = step

    def __init__(self, exact: bool = True):
        self.exact = exact

    def constant(self, x: float) -> sympy.Expr:
        return constant(x, self.exact)


EXACT, DECIMAL = SympyLib(True), SympyLib(False)


def symbol_for(node: Value, fallback: str) -> sympy.Symbol:
    """The symbol standing for ``node``: its label, or ``fallback`` if it has none."""
    return sympy.Symbol(node.label or fallback)


def to_sympy(
    output: Value,
    variables: Iterable[Value] = (),
    *,
    exact: bool = True,
    symbols: Mapping[Value, sympy.Symbol] | None = None,
) -> sympy.Expr:
    """``output`` as a formula of ``variables`` (symbols named by their labels).

    Every other leaf is replaced by its number. Pass ``symbols`` to choose
    the symbol of some nodes (an intermediate node given a symbol is not
    expanded further).
    """
    lib = EXACT if exact else DECIMAL
    chosen: dict[Value, sympy.Expr] = dict(symbols or {})
    for n, v in enumerate(variables):
        chosen.setdefault(v, symbol_for(v, f"x{n}"))
    exprs: dict[Value, sympy.Expr] = {}
    for node in output.nodes():
        if node in chosen:
            exprs[node] = chosen[node]
        elif not node.inputs and not node.op:
            exprs[node] = lib.constant(node.data)
        else:
            exprs[node] = ops.node_value(node, lib, [exprs[child] for child in node.inputs])
    return exprs[output]


def local_derivative(node: Value, k: int, operands: list, exact: bool = True, keep_factored: bool = False,
                     out: sympy.Expr | None = None) -> sympy.Expr:
    """∂node/∂(its k-th input) as a formula, from the table: ``operands[j]`` stands for ``node.inputs[j]``.

    ``out`` stands for the node itself (default: its formula in the
    operands). With ``keep_factored`` a number times a sum stays as written:
    ``2·d`` with d = 1.5w − 0.8 stays ``2(1.5w − 0.8)`` instead of becoming
    3w − 1.6, and a product of a factor with itself is written as a square.
    """
    lib = EXACT if exact else DECIMAL
    if out is None:
        out = ops.node_value(node, lib, list(operands))
    if not keep_factored:
        return ops.node_local(node, lib, k, list(operands), out)
    factored = _factored(lib)
    result = ops.node_local(node, factored, k, [_Factored(e) for e in operands], _Factored(out))
    return result.e if isinstance(result, _Factored) else lib.constant(result)


# ------------------------------------------------ formulas as a person writes them
class _Factored:
    """A sympy expression whose arithmetic keeps a number times a sum factored (2(a − y), not 2a − 2y)."""

    __slots__ = ("e",)

    def __init__(self, e):
        self.e = e

    def __add__(self, other):
        return _Factored(_add(self.e, _unwrap(other)))

    def __radd__(self, other):
        return _Factored(_add(_unwrap(other), self.e))

    def __sub__(self, other):
        return _Factored(_add(self.e, _neg(_unwrap(other))))

    def __rsub__(self, other):
        return _Factored(_add(_unwrap(other), _neg(self.e)))

    def __mul__(self, other):
        return _Factored(_mul(self.e, _unwrap(other)))

    def __rmul__(self, other):
        return _Factored(_mul(_unwrap(other), self.e))

    def __truediv__(self, other):
        return _Factored(self.e / _unwrap(other))

    def __rtruediv__(self, other):
        return _Factored(_unwrap(other) / self.e)

    def __pow__(self, other):
        p = _unwrap(other)
        return _Factored(self.e if p == 1 else sympy.S.One if p == 0 else self.e**p)

    def __rpow__(self, other):
        return _Factored(_unwrap(other) ** self.e)

    def __neg__(self):
        return _Factored(_neg(self.e))


def _unwrap(x):
    if isinstance(x, _Factored):
        return x.e
    return sympy.Float(x) if isinstance(x, float) else sympy.sympify(x)


def _add(x, y):
    if x == 0:
        return y
    if y == 0:
        return x
    return x + y


def _neg(x):
    return sympy.Mul(-1, x, evaluate=False) if isinstance(x, sympy.Add) else -x


def _mul(x, y):
    if x == 1:
        return y
    if y == 1:
        return x
    if x == 0 or y == 0:
        return sympy.S.Zero
    if x == -1:
        return _neg(y)
    if y == -1:
        return _neg(x)
    if x == y:
        return x**2
    if x.is_Number and y.is_Number:
        return x * y
    # as written: sympy would distribute a number over a sum (2a − 2y) and reorder the factors
    return sympy.Mul(x, y, evaluate=False)


@functools.lru_cache(maxsize=8)
def _factored(lib) -> "_FactoredLib":
    """One ``_FactoredLib`` per library, so that its op rules (``ops.rules_for``) are made once."""
    return _FactoredLib(lib)


class _FactoredLib:
    """``lib``'s functions on ``_Factored`` expressions."""

    def __init__(self, lib):
        self._lib = lib
        for name in ops.FUNCTIONS:
            setattr(self, name, self._wrap(getattr(lib, name)))

    @staticmethod
    def _wrap(function):
        return lambda x: _Factored(function(_unwrap(x)))

    def constant(self, x):
        return _Factored(self._lib.constant(x))


@functools.lru_cache(maxsize=1024)
def as_floats(expr: sympy.Expr) -> sympy.Expr:
    """The same expression with every exact number written as a decimal (9/2 → 4.5)."""
    return expr.xreplace({r: sympy.Float(r) for r in expr.atoms(sympy.Rational) if not r.is_Integer})

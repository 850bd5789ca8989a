"""A ``Value`` graph as a sympy expression, and each edge's local derivative as a formula.

The engine stores every local derivative as a number. To write it as a
formula (∂a/∂w = i, ∂C/∂a = 2(a − y)) we rebuild, for each node, the
expression of its operation in terms of its operands, and let sympy
differentiate it. Everything printed as a formula comes from here; nothing is
typed by hand for one example.
"""

from __future__ import annotations

import functools
from typing import Iterable, Mapping

import sympy
from sympy.core.parameters import evaluate

from ..errors import InvalidValueError
from ..scalar import Value

__all__ = [
    "constant",
    "node_expr",
    "to_sympy",
    "local_derivative",
    "symbol_for",
    "as_floats",
]


def constant(x: float, exact: bool = True) -> sympy.Expr:
    """A number as sympy sees it: exact (0.8 → 4/5) so algebra does not round, or a Float."""
    if exact:
        return sympy.nsimplify(float(x), rational=True)
    return sympy.Float(x)


def symbol_for(node: Value, fallback: str) -> sympy.Symbol:
    """The symbol standing for ``node``: its label, or ``fallback`` if it has none."""
    return sympy.Symbol(node.label or fallback)


def node_expr(node: Value, operands: list, exact: bool = True) -> sympy.Expr:
    """The expression of ``node``'s operation, given one expression per edge of ``node``.

    ``operands[k]`` stands for the input of the k-th edge (``node._edges[k]``).
    Plain-number operands are taken from ``node._const``.
    """
    op, c = node._op, node._const
    k = lambda x: constant(x, exact)  # noqa: E731 - a one-letter helper reads best in the table below
    if op == "+":
        return operands[0] + (operands[1] if len(operands) == 2 else k(c))
    if op == "-":
        return operands[0] - (operands[1] if len(operands) == 2 else k(c))
    if op == "rsub":
        return k(c) - operands[0]
    if op == "neg":
        return -operands[0]
    if op == "*":
        return operands[0] * (operands[1] if len(operands) == 2 else k(c))
    if op == "/":
        return operands[0] / (operands[1] if len(operands) == 2 else k(c))
    if op == "rdiv":
        return k(c) / operands[0]
    if op == "**":
        p = sympy.Integer(int(c)) if float(c).is_integer() else k(c)
        return operands[0] ** p
    if op == "rpow":
        return k(c) ** operands[0]
    if op == "exp":
        return sympy.exp(operands[0])
    if op == "log":
        return sympy.log(operands[0])
    if op == "tanh":
        return sympy.tanh(operands[0])
    if op == "sigmoid":
        return 1 / (1 + sympy.exp(-operands[0]))
    if op == "relu":
        return sympy.Max(0, operands[0])
    if op == "sum":
        return sympy.Add(*operands) + k(c)
    if op == "dot":
        weights, inputs, bias = c
        it = iter(operands)  # operands come in the order the edges were made: w, x, ..., bias
        total = sympy.Integer(0)
        for w, x in zip(weights, inputs):
            we = next(it) if isinstance(w, Value) else k(w)
            xe = next(it) if isinstance(x, Value) else k(x)
            total += we * xe
        return total + (next(it) if isinstance(bias, Value) else k(bias))
    raise InvalidValueError(f"no symbolic form for operation {op!r}")


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
    chosen: dict[Value, sympy.Expr] = dict(symbols or {})
    for n, v in enumerate(variables):
        chosen.setdefault(v, symbol_for(v, f"x{n}"))
    exprs: dict[Value, sympy.Expr] = {}
    for node in output.nodes():
        if node in chosen:
            exprs[node] = chosen[node]
        elif not node._edges:
            exprs[node] = constant(node.data, exact)
        else:
            exprs[node] = node_expr(node, [exprs[child] for child, _ in node._edges], exact)
    return exprs[output]


def local_derivative(node: Value, edge: int, operands: list, exact: bool = True, keep_factored: bool = False) -> sympy.Expr:
    """∂node/∂(input of edge ``edge``) as a formula of the ``operands`` expressions.

    Each edge gets its own dummy symbol first, so that ``a * a`` has two
    edges with derivative ``a`` each (the sum over both is 2a). With
    ``keep_factored`` the operands are put back without sympy multiplying
    out, so ``2·d`` with d = 1.5w − 0.8 stays ``2(1.5w − 0.8)``.
    """
    dummies = [sympy.Dummy(f"u{i}") for i in range(len(node._edges))]
    derivative = sympy.diff(node_expr(node, dummies, exact), dummies[edge])
    mapping = dict(zip(dummies, operands))
    if keep_factored:
        with evaluate(False):
            return derivative.xreplace(mapping)
    return derivative.xreplace(mapping)


@functools.lru_cache(maxsize=1024)
def as_floats(expr: sympy.Expr) -> sympy.Expr:
    """The same expression with every exact number written as a decimal (9/2 → 4.5)."""
    return expr.xreplace({r: sympy.Float(r) for r in expr.atoms(sympy.Rational) if not r.is_Integer})

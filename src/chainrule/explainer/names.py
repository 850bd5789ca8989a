"""A name for every node of a graph, so that every derivative can be written down.

Explanations speak of nodes by name: ∂a/∂w = i. The names come from the
graph, by these rules, applied to ``cost.nodes()`` (inputs before users):

* a labelled node is its label (w, a, C). When several nodes share a label
  (``Neuron`` labels every weight ``w``), they are numbered in graph order:
  w₁, w₂, …;
* an unlabelled leaf is named by its position in the graph: v₃;
* an unlabelled result is *its own formula* in the names of its inputs when
  that formula is short (``a − y``), so that ∂C/∂(a − y) = 2(a − y) reads
  like the blackboard; a long one is named by position (v₇).

Alongside each name comes the sympy expression that stands for the node:
a symbol for a named node, the formula itself for a node named by its
formula. Local derivatives are differentiated in these expressions.

A big graph (``formulas=False``; ``explain`` asks for it past
``MAX_FORMULA_NODES`` nodes) names its unlabelled results by position
only: writing each node's formula costs sympy about a millisecond, so
100,000 of them would take minutes, and no one reads 100,000 names. Their
symbols are then made only for the nodes an explanation actually shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..scalar import Value
from .format import pretty, subscript
from .. import ops

if TYPE_CHECKING:  # for annotations: sympy is imported where a formula is written
    import sympy

__all__ = ["Names", "name_nodes", "local_formula", "partial", "MAX_FORMULA_NAME", "MAX_FORMULA_NODES"]

# A formula longer than this names its node by position instead (v₇).
MAX_FORMULA_NAME = 16
# Graphs with more nodes than this are named by position only, when the caller asks (explain does).
MAX_FORMULA_NODES = 1000


class _Symbols(dict):
    """node -> the sympy symbol of its name, made the first time someone asks (most nodes of a big graph never are)."""

    def __init__(self, name: dict):
        super().__init__()
        self._name = name

    def __missing__(self, node: Value) -> sympy.Expr:
        import sympy

        symbol = self[node] = sympy.Symbol(self._name[node])
        return symbol


@dataclass
class Names:
    """The graph's nodes in order, with a name and a sympy expression for each."""

    order: list[Value]
    name: dict[Value, str]
    expr: dict[Value, sympy.Expr]
    index: dict[Value, int]

    def __getitem__(self, node: Value) -> str:
        return self.name[node]


def name_nodes(output: Value, order: list[Value] | None = None, formulas: bool = True) -> Names:
    """Name every node of the graph ending at ``output`` (see the module docstring).

    ``formulas=False``: unlabelled results are named by position (v₇), not
    by their formula, and the symbols are made on demand: for big graphs.
    """
    if formulas:
        import sympy

        from .symbolic import DECIMAL

    order = output.nodes() if order is None else order
    index = {node: k for k, node in enumerate(order)}
    counts: dict[str, int] = {}
    for node in order:
        if node.label:
            counts[node.label] = counts.get(node.label, 0) + 1
    taken = {label for label, n in counts.items() if n == 1}
    numbered: dict[str, int] = {}
    name: dict[Value, str] = {}
    expr: dict[Value, sympy.Expr] = {} if formulas else _Symbols(name)
    for k, node in enumerate(order):
        if node.label:
            text = node.label
            if counts[text] > 1:
                n = numbered.get(text, 0)
                while True:  # w₁, w₂, … skipping a name some other node already carries
                    n += 1
                    candidate = f"{text}{subscript(n)}"
                    if candidate not in taken:
                        break
                numbered[text] = n
                text = candidate
            taken.add(text)
            name[node] = text
            if formulas:
                expr[node] = sympy.Symbol(text)
            continue
        text, e = "", None
        if node.op and formulas:  # a result: its own formula, in the names of its inputs (from the op table)
            e = ops.node_value(node, DECIMAL, [expr[child] for child in node.inputs])
            text = pretty(e)
        if e is None or len(text) > MAX_FORMULA_NAME or text in taken:
            text = f"v{subscript(k)}"
            e = sympy.Symbol(text) if formulas else None
        taken.add(text)
        name[node] = text
        if formulas:
            expr[node] = e
    return Names(order, name, expr, index)


def partial(top: str, below: str) -> str:
    """'∂a/∂w'; a name that is a formula goes in parentheses: '∂C/∂(a − y)'."""
    return f"∂{_wrap(top)}/∂{_wrap(below)}"


def _wrap(text: str) -> str:
    return f"({text})" if any(ch in text for ch in " +−·/") else text


def local_formula(names: Names, node: Value, k: int) -> str:
    """The local derivative of the edge from ``node.inputs[k]`` as a formula in the names: ∂a/∂w → 'i'.

    The op table's own formula for that derivative (``chainrule.ops``),
    written with the names' expressions and kept factored, so ∂C/∂(a − y)
    reads 2(a − y) and a sigmoid's slope σ(z)(1 − σ(z)).
    """
    from .symbolic import DECIMAL, local_derivative

    operands = [names.expr[child] for child in node.inputs]
    out = ops.node_value(node, DECIMAL, operands)
    return pretty(local_derivative(node, k, operands, exact=False, keep_factored=True, out=out), as_written=True)

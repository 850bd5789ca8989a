"""The forward pass written out: each labelled node as a formula, then with numbers.

    a₁ = w₁·i = 0.8·1.5 = 1.2
    C = (a₃ − y)² = (0.768 − 0.8)² = 0.001024

Each labelled result is written in terms of the labelled nodes it reads;
unlabelled intermediate nodes in between (a₃ − y) are folded into it, so the
formula reads like the lesson's blackboard. Formulas by sympy from the graph,
numbers from the engine.
"""

from __future__ import annotations

from ..scalar import Value
from .format import factor, num, pretty, substitute
from .names import name_nodes

__all__ = ["forward_lines", "formula_of"]


def formula_of(node: Value, names: dict[Value, str]) -> str:
    """``node`` as a formula of the named nodes it depends on (which are not expanded)."""
    import sympy

    from .symbolic import as_floats, to_sympy

    symbols = {v: sympy.Symbol(n) for v, n in names.items() if v is not node}
    return pretty(as_floats(to_sympy(node, symbols=symbols, exact=False)))


def forward_lines(output: Value, *, with_numbers: bool = True) -> list[str]:
    """One line per labelled result of the graph ending at ``output``, inputs first."""
    all_names = name_nodes(output)
    labelled = {v: all_names[v] for v in all_names.order if v.label}
    lines = []
    for node in all_names.order:
        if not node.label or not node.op:
            continue
        formula = formula_of(node, labelled)
        line = f"{labelled[node]} = {formula}"
        if with_numbers:
            used = {n: factor(v.data) for v, n in labelled.items() if v is not node}
            numbers = substitute(formula, used)
            if numbers != formula:
                line += f" = {numbers}"
            line += f" = {num(node.data)}"
        lines.append(line)
    return lines

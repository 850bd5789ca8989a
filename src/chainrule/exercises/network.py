"""The network as a person computes it by hand: the named values, and how each is made from the ones below it.

A lesson's graph has more nodes than a person writes down: C = (a − y)² is
two nodes (a − y, then its square), but on paper it is one step, and its
local derivative ∂C/∂a = 2(a − y) is one factor of the chain. So an exercise
sees the graph through its *quantities*: the cost and every labelled node
(a, z¹₁, C). Each quantity is a function of its *inputs*, the nearest
quantities and leaves below it, computed through the unnamed nodes between
them (its *inner* nodes, itself last). Everything here is read from the
graph's public data model (``op``, ``inputs``, ``local``, ``const``) and the
op table (``chainrule.ops``), so a new lesson needs nothing written for it.

    value(q, values)      q from its inputs' values, replaying the op table's formulas with floats
    local(q, p, values)   ∂q/∂p through the inner nodes (forward mode: one tangent per inner node)
    formula(q)            q as a formula of its inputs' symbols (sympy), as printed: (a − y)²
    local_formula(q, p)   ∂q/∂p as a formula, factored as on a blackboard: 2(a − y)

Both numeric functions take ``overrides``, how a mistaken learner computes
one inner node or one inner edge (the square's 2 forgotten, σ(z) for its
slope): the common mistakes are the same replay with one rule changed.

In the *full* view (``every_node=True``) every node is a quantity: the
explorer's step-through asks about each edge of the real graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .. import ops
from ..explainer.names import Names, name_nodes, partial
from ..scalar import Value

__all__ = ["Quantity", "View", "typed_name", "Override", "edge_formula", "times", "plus"]

_SUP = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"}
_SUB = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9"}
_NAME = re.compile(r"([^\W\d_⁰¹²³⁴⁵⁶⁷⁸⁹₀-₉]+)([⁰¹²³⁴⁵⁶⁷⁸⁹]*)([₀-₉]*)")
_TYPED = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # a name already typed on a keyboard: v0, w_fixed, theta


def typed_name(name: str) -> str | None:
    """How a name is typed on a keyboard: w₁ → w1, a¹₁ → a1_1 (layer 1, neuron 1), w³₁₂ → w3_12; None for a − y.

    A name that is typed already (a teacher's own lesson's v0 or w_fixed) stays as it is.
    """
    if _TYPED.fullmatch(name):
        return name
    m = _NAME.fullmatch(name)
    if not m:
        return None
    base, sup, sub = m.groups()
    sup, sub = "".join(_SUP[c] for c in sup), "".join(_SUB[c] for c in sub)
    return f"{base}{sup}_{sub}" if sup and sub else base + sup + sub


# How a mistaken learner computes one inner node (or edge). A node override maps the inputs' values and the
# true value to the mistaken value; an edge override maps (local, out, inputs) to the mistaken local derivative.
Override = Callable[..., float]


@dataclass
class Quantity:
    """A value a person writes down: a labelled node (or the cost), made from ``inputs`` through ``inner``."""

    node: Value
    name: str  # as printed: a¹₁
    inputs: tuple[Value, ...]  # the nearest quantities or leaves below, in graph order
    inner: tuple[Value, ...]  # the unnamed nodes between them and this one, inputs before users, this node last


@dataclass
class View:
    """A graph seen as its quantities; see the module docstring."""

    cost: Value
    names: Names
    quantities: dict[Value, Quantity] = field(default_factory=dict)
    leaves: list[Value] = field(default_factory=list)
    users: dict[Value, list[Value]] = field(default_factory=dict)  # quantity users of each quantity or leaf

    @classmethod
    def of(cls, cost: Value, every_node: bool = False) -> "View":
        order = cost.nodes()
        view = cls(cost, name_nodes(cost, order))
        named = {n for n in order if n.op and (every_node or n.label or n is cost)}
        for node in order:
            if not node.op and not node.inputs:
                view.leaves.append(node)
            if node not in named:
                continue
            inputs, inner, seen = [], [], set()
            stack = [node]
            while stack:  # down through the unnamed nodes, to the quantities and leaves that bound them
                n = stack.pop()
                for child in n.inputs:
                    if child in seen:
                        continue
                    seen.add(child)
                    if child in named or not child.op:
                        inputs.append(child)
                    else:
                        inner.append(child)
                        stack.append(child)
            position = {n: k for k, n in enumerate(order)}
            inputs.sort(key=position.__getitem__)
            inner.sort(key=position.__getitem__)
            view.quantities[node] = Quantity(node, view.names[node], tuple(inputs), tuple(inner) + (node,))
        for q in view.quantities.values():
            for p in q.inputs:
                view.users.setdefault(p, []).append(q.node)
        return view

    # ------------------------------------------------------------ names
    def name(self, node: Value) -> str:
        return self.names[node]

    def derivative(self, top: Value, below: Value) -> str:
        """'∂a/∂w'."""
        return partial(self.names[top], self.names[below])

    # ----------------------------------------------------------- numbers
    def replay(self, q: Value, values: Mapping[Value, float],
               node_overrides: Mapping[Value, Override] | None = None) -> dict[Value, float]:
        """The values of q's inner nodes (and its inputs), from its inputs' ``values``."""
        quantity = self.quantities[q]
        out = {p: values[p] for p in quantity.inputs}
        for n in quantity.inner:
            args = [out[c] for c in n.inputs]
            v = ops.node_value(n, ops.FLOATS, args)
            if node_overrides and n in node_overrides:
                v = node_overrides[n](args, v)
            out[n] = v
        return out

    def value(self, q: Value, values: Mapping[Value, float],
              node_overrides: Mapping[Value, Override] | None = None) -> float:
        """q computed from its inputs' ``values`` (a node override changes one step: a forward-pass mistake)."""
        return self.replay(q, values, node_overrides)[q]

    def _carried(self, q: Value, p: Value, child: Value, tangent: dict):
        """The tangent of ``child`` inside q: 1 for p itself, none for q's other inputs, else what reached it."""
        if child is p:
            return 1
        if child in self.quantities[q].inputs:
            return None
        return tangent.get(child)

    def local(self, q: Value, p: Value, values: Mapping[Value, float],
              edge_overrides: Mapping[tuple[Value, int], Override] | None = None) -> float:
        """∂q/∂p, q's inputs at ``values``: the tangent of p carried up through the inner nodes (forward mode)."""
        vals = self.replay(q, values)
        tangent: dict[Value, float] = {}
        for n in self.quantities[q].inner:
            args = [vals[c] for c in n.inputs]
            total = 0.0
            for k, child in enumerate(n.inputs):
                t = self._carried(q, p, child, tangent)
                if not t:
                    continue
                slope = ops.node_local(n, ops.FLOATS, k, args, vals[n])
                if edge_overrides and (n, k) in edge_overrides:
                    slope = edge_overrides[(n, k)](slope, vals[n], args)
                total += slope * t
            tangent[n] = total
        return tangent[q]

    def inner_edges(self, q: Value, p: Value) -> list[tuple[Value, int]]:
        """The edges (node, k) inside q that carry p's tangent: the steps of ∂q/∂p."""
        reached: dict[Value, int] = {}
        edges = []
        for n in self.quantities[q].inner:
            for k, child in enumerate(n.inputs):
                if self._carried(q, p, child, reached):
                    edges.append((n, k))
                    reached[n] = 1
        return edges

    # ---------------------------------------------------------- formulas
    def symbol(self, node: Value):
        """The symbol standing for a node in formulas; a name that is itself a formula is in parentheses."""
        import sympy

        name = self.names[node]
        return sympy.Symbol(f"({name})" if any(ch in name for ch in " +−·/") else name)

    def inner_formulas(self, q: Value) -> dict[Value, object]:
        """sympy expressions of q's inputs (symbols) and inner nodes (their formulas), constants as printed."""
        quantity = self.quantities[q]
        exprs: dict[Value, object] = {p: self.symbol(p) for p in quantity.inputs}
        for n in quantity.inner:
            exprs[n] = ops.node_value(n, SHOWN, [exprs[c] for c in n.inputs])
        return exprs

    def formula(self, q: Value):
        """q as a formula of its inputs: C → (a − y)², z → w·i + b."""
        return self.inner_formulas(q)[q]

    def local_formula(self, q: Value, p: Value):
        """∂q/∂p as a formula, each inner edge's derivative from the op table, kept factored: 2(a − y), σ(z)·(1 − σ(z))."""
        from ..explainer.symbolic import local_derivative

        exprs = self.inner_formulas(q)
        tangent: dict[Value, object] = {}
        for n in self.quantities[q].inner:
            total = 0
            for k, child in enumerate(n.inputs):
                t = self._carried(q, p, child, tangent)
                if t is None or t == 0:
                    continue
                slope = local_derivative(n, k, [exprs[c] for c in n.inputs], exact=False, keep_factored=True,
                                         out=exprs[n])
                total = plus(total, times(slope, t))
            tangent[n] = total
        return tangent[q]


def edge_formula(view: View, q: Value, n: Value, k: int):
    """The op table's local derivative of the inner edge (n, k) of q, in q's formulas: σ(z)·(1 − σ(z))."""
    from ..explainer.symbolic import local_derivative

    exprs = view.inner_formulas(q)
    return local_derivative(n, k, [exprs[c] for c in n.inputs], exact=False, keep_factored=True, out=exprs[n])


# --------------------------------------------------------- formula algebra
def _is(x, n: float) -> bool:
    """x is the number n, exact or float (sympy: Float(1.0) != 1)."""
    return x == n or bool(getattr(x, "is_Number", False)) and float(x) == n


def times(a, b):
    """a·b as written: no distributing a number over a sum (2(a − y) stays), 1 and 0 dropped, products flat."""
    import sympy

    if _is(a, 1):
        return b
    if _is(b, 1):
        return a
    if _is(a, 0) or _is(b, 0):
        return sympy.S.Zero
    if _is(a, -1):
        return -b
    if _is(b, -1):
        return -a
    factors = [f for x in (a, b) for f in (x.args if isinstance(x, sympy.Mul) else (x,))]
    # the numbers of both factors multiplied into one, in front: (−1/p₃)·(−e₃/S²) is e₃/(p₃·S²), never "−1(−1)·…"
    number = sympy.Mul(*(f for f in factors if f.is_Number))
    rest = [f for f in factors if not f.is_Number]
    if not rest:
        return number
    if _is(number, 1):
        return rest[0] if len(rest) == 1 else sympy.Mul(*rest, evaluate=False)
    if _is(number, -1):
        return -(rest[0] if len(rest) == 1 else sympy.Mul(*rest, evaluate=False))
    return sympy.Mul(number, *rest, evaluate=False)


def plus(a, b):
    """a + b, 0 dropped."""
    import sympy

    if _is(a, 0):
        return b
    if _is(b, 0):
        return a
    return sympy.Add(a, b)


class _Shown:
    """The op table's sympy library, constants as they are printed (6 significant digits)."""

    def __getattr__(self, name):
        from ..explainer.symbolic import DECIMAL

        return getattr(DECIMAL, name)

    @staticmethod
    def constant(x: float):
        import sympy

        return sympy.Float(float(f"{float(x):.6g}"))


SHOWN = _Shown()

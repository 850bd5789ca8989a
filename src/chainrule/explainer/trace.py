"""The backward pass as a list of events, one per edge, in the order backprop processes them.

Public API (JSON-ready: only dicts, lists, str, float, int, bool, None)::

    backward_trace(cost: Value, *, formulas: bool | None = None) -> list[dict]
        one event per edge, in Value.backward's order
    trace_nodes(cost: Value) -> list[dict]
        one entry per node: id, label, name, op, data, grad, kind, inputs
    trace(cost: Value, *, formulas: bool | None = None) -> dict
        {"cost": id, "nodes": [...], "edges": [...], "events": [...]}

Backpropagation hands each node's gradient to the node's inputs, multiplied
by the local derivative of the edge between them:

    ∂C/∂input  +=  ∂user/∂input · ∂C/∂user
                   (local)        (the user's gradient, complete by now)

A node passes its gradient on only after every node that uses it has passed
theirs (Kahn's topological order: the order of ``Value.backward``'s
additions, which follows the chain at the top of a graph without counting
and counts below it, with the same stack). Where two
paths meet, the second event into a node *adds* to what the first left there:
``input_grad_before`` is not 0 and ``paths_meet`` is true.

Ids. A node's id is its index in ``cost.nodes()`` (inputs before users); an
edge's id is its index in ``cost.edges()``, i.e. node by node, and within a
node in the order of its ``inputs``. Both are stable for a given graph.

Names. Each node carries its ``label`` and a ``name`` from
``chainrule.explainer.names``: the label (numbered w₁, w₂ when repeated), an
unlabelled result's own short formula (``a − y``), or a position (v₇).

Numbers come from the engine (each edge's stored local derivative), replayed
from zero: ``grad`` is d(cost)/d(node) for this one pass, which is what
``.grad`` holds after one ``backward()`` on fresh leaves (leaves accumulate
across calls; the trace never changes the graph). Formulas come from sympy;
they are computed for graphs up to ``FORMULA_LIMIT`` edges unless
``formulas`` says otherwise (``None``: automatic).

Event keys: step, edge, input, user, input_label, user_label, input_name,
user_name, derivative ('∂a/∂w'), local, local_formula ('i'), user_grad,
contribution (= local · user_grad), input_grad_before, input_grad_after,
paths_meet, input_complete (every path into the input has now arrived).
"""

from __future__ import annotations

import math

from ..scalar import Value, _check_infinite_slopes
from ..errors import NonFiniteError
from .names import Names, local_formula, name_nodes, partial

__all__ = ["backward_trace", "trace_nodes", "trace", "replay", "FORMULA_LIMIT"]

# Graphs with more edges than this get no formulas unless asked (sympy costs ~1 ms per edge).
FORMULA_LIMIT = 400


def _masks(cost: Value) -> bool:
    """Whether ``cost.backward()`` walks this graph masking at relu units that are off (``scalar._backward_dag``)."""
    try:
        return _check_infinite_slopes(cost)
    except NonFiniteError:  # backward() refuses this graph; the replay still shows its numbers, ∞ and NaN included
        return False


def _passed(user: Value, g: float, masked: bool) -> float:
    """The gradient ``user`` hands its inputs: its own, or exactly 0 from an off relu unit when backward masks."""
    if masked and user.op == "relu" and not user.local[0] and not math.isfinite(g):
        return 0.0
    return g


def replay(cost: Value):
    """Run ``Value.backward``'s algorithm without touching the graph.

    Yields ``(user, k, grad)`` for each edge from ``user.inputs[k]`` as backprop
    processes it, ``grad`` being the dict of running gradients *before* the
    edge's contribution is added. When the generator is exhausted, ``grad``
    holds d(cost)/d(node) for every node. Where ``backward()`` masks (an
    infinite slope that only off relu units receive), the replay masks too.
    """
    masked = _masks(cost)
    waiting: dict[Value, int] = {}  # intermediate node -> users that have not passed their gradient yet
    stack = [cost]
    while stack:
        for child in stack.pop().inputs:
            if child.inputs:
                if child in waiting:
                    waiting[child] += 1
                else:
                    waiting[child] = 1
                    stack.append(child)
    grad: dict[Value, float] = {cost: 1.0}
    ready = [cost]
    while ready:
        node = ready.pop()
        g = _passed(node, grad[node], masked)
        for k, (child, local) in enumerate(zip(node.inputs, node.local)):
            grad.setdefault(child, 0.0)
            yield node, k, grad
            grad[child] += local * g
            if child.inputs:
                waiting[child] -= 1
                if not waiting[child]:
                    ready.append(child)


def final_gradients(cost: Value) -> dict[Value, float]:
    """d(cost)/d(node) for every node, computed exactly as ``backward()`` would, graph untouched."""
    grad: dict[Value, float] = {cost: 1.0}
    for _, _, grad in replay(cost):
        pass
    return grad


def _kind(node: Value, cost: Value) -> str:
    if node is cost:
        return "cost"
    return "intermediate" if node.inputs else "leaf"


def _want_formulas(cost: Value, formulas: bool | None, n_edges: int) -> bool:
    return n_edges <= FORMULA_LIMIT if formulas is None else bool(formulas)


def _edge_table(cost: Value, names: Names, formulas: bool) -> tuple[list[dict], dict]:
    edges, edge_id = [], {}
    for node in names.order:
        for k, (child, local) in enumerate(zip(node.inputs, node.local)):
            edge_id[(node, k)] = len(edges)
            edges.append(
                {
                    "id": len(edges),
                    "input": names.index[child],
                    "user": names.index[node],
                    "slot": k,
                    "derivative": partial(names[node], names[child]),
                    "local": local,
                    "formula": local_formula(names, node, k) if formulas else "",
                }
            )
    return edges, edge_id


def _node_table(cost: Value, names: Names, grad: dict) -> list[dict]:
    return [
        {
            "id": names.index[node],
            "label": node.label,
            "name": names[node],
            "op": node.op,
            "data": node.data,
            "grad": grad.get(node, 0.0),
            "kind": _kind(node, cost),
            "inputs": [names.index[child] for child in node.inputs],
        }
        for node in names.order
    ]


def _events(cost: Value, names: Names, edges: list[dict], edge_id: dict) -> list[dict]:
    events = []
    arrived: dict[Value, int] = {}
    paths_in = {node: 0 for node in names.order}  # how many edges lead into each node
    for node in names.order:
        for child in node.inputs:
            paths_in[child] += 1
    masked = _masks(cost)
    for user, k, grad in replay(cost):
        child, local = user.inputs[k], user.local[k]
        g = grad[user]
        before = grad[child]
        contribution = local * _passed(user, g, masked)
        arrived[child] = arrived.get(child, 0) + 1
        edge = edges[edge_id[(user, k)]]
        events.append(
            {
                "step": len(events),
                "edge": edge["id"],
                "input": names.index[child],
                "user": names.index[user],
                "input_label": child.label,
                "user_label": user.label,
                "input_name": names[child],
                "user_name": names[user],
                "derivative": edge["derivative"],
                "local": local,
                "local_formula": edge["formula"],
                "user_grad": g,
                "contribution": contribution,
                "input_grad_before": before,
                "input_grad_after": before + contribution,
                "paths_meet": arrived[child] > 1,
                "input_complete": arrived[child] == paths_in[child],
            }
        )
    return events


def backward_trace(cost: Value, *, formulas: bool | None = None) -> list[dict]:
    """One JSON-ready event per edge, in the order ``cost.backward()`` processes them."""
    names = name_nodes(cost)
    n_edges = sum(len(node.inputs) for node in names.order)
    edges, edge_id = _edge_table(cost, names, _want_formulas(cost, formulas, n_edges))
    return _events(cost, names, edges, edge_id)


def trace_nodes(cost: Value) -> list[dict]:
    """One entry per node (id = index in ``cost.nodes()``), with its gradient from one backward pass."""
    return _node_table(cost, name_nodes(cost), final_gradients(cost))


def trace(cost: Value, *, formulas: bool | None = None) -> dict:
    """Everything a page needs to draw the graph and play its backward pass, in one JSON-ready dict."""
    names = name_nodes(cost)
    n_edges = sum(len(node.inputs) for node in names.order)
    edges, edge_id = _edge_table(cost, names, _want_formulas(cost, formulas, n_edges))
    return {
        "cost": names.index[cost],
        "nodes": _node_table(cost, names, final_gradients(cost)),
        "edges": edges,
        "events": _events(cost, names, edges, edge_id),
    }

"""The paths from a parameter to the cost: what the chain rule sums over.

dC/dw = Σ over paths w → … → C of Π over the path's edges of the local derivative.

A path is a tuple of steps ``(node, k)``: the edge from ``node.inputs[k]``, whose
input is the previous node of the path (the first step's input is the
parameter). Backpropagation never lists paths (their number can grow
exponentially with depth); these functions exist to show what it computes.

A path may also be long (a chain of 100,000 nodes is one path of 100,000
steps). While a search extends paths step by step it keeps each one as a
linked list, ``(step, the path before it)``, so extending it costs one
tuple whatever its length; a path is spelled out as a tuple only when it is
handed out (``_spell``). Copying the whole tuple at every step would cost
time quadratic in the length.

``order``: the graph's nodes, inputs before users (``output.nodes()``), for
a caller that has it already; walking a big graph once is enough.
"""

from __future__ import annotations

import math
from typing import Iterator

from ..scalar import Value

Path = tuple[tuple[Value, int], ...]


def _spell(linked) -> Path:
    """A path kept as a linked list ``(step, (step, (… , ())))``, last step first, as the tuple of its steps."""
    steps = []
    while linked:
        step, linked = linked
        steps.append(step)
    steps.reverse()
    return tuple(steps)


def users_of(output: Value, order: list[Value] | None = None) -> dict[Value, list[tuple[Value, int]]]:
    """For every node of the graph, the edges ``(user, k)`` that read it."""
    order = output.nodes() if order is None else order
    users: dict[Value, list[tuple[Value, int]]] = {node: [] for node in order}
    for node in order:
        for k, child in enumerate(node.inputs):
            users[child].append((node, k))
    return users


def count_paths(output: Value, wrt: Value, order: list[Value] | None = None) -> int:
    """How many distinct paths lead from ``wrt`` to ``output`` (counted, not listed)."""
    counts: dict[Value, int] = {}
    for node in output.nodes() if order is None else order:  # inputs before users
        if node is wrt:
            counts[node] = 1
        else:
            counts[node] = sum(counts.get(child, 0) for child in node.inputs)
    return counts.get(output, 0)


def iter_paths(output: Value, wrt: Value, users: dict | None = None) -> Iterator[Path]:
    """Every path from ``wrt`` to ``output``, depth first, without recursion."""
    users = users if users is not None else users_of(output)
    if wrt not in users:
        return
    if wrt is output:
        yield ()
        return
    stack: list[tuple[Value, tuple]] = [(wrt, ())]
    while stack:
        node, path = stack.pop()  # (the path so far, linked: see the module's docstring)
        for user, k in reversed(users[node]):
            step = ((user, k), path)
            if user is output:
                yield _spell(step)
            else:
                stack.append((user, step))


def product_from_cost(path: Path) -> float:
    """Π of the local derivatives along ``path`` (this path's share of the gradient), multiplied from the cost
    end down, in the order backprop multiplies.

    For a graph with a single path this is bit for bit the gradient ``backward()`` computes. As there, a relu
    unit that is off passes on nothing, even an infinite product (√relu(x) at x = −1: 0, not ∞ · 0 = NaN).
    """
    product = 1.0
    for node, k in reversed(path):
        local = node.local[k]
        if not local and node.op == "relu" and not math.isfinite(product):
            product = 0.0  # an off unit's mask (PyTorch's convention, see scalar._backward_dag)
        else:
            product *= local
    return product


def top_paths(output: Value, wrt: Value, k: int = 5, order: list[Value] | None = None) -> list[tuple[float, Path]]:
    """The ``k`` paths from ``wrt`` to ``output`` whose products are largest in size, without listing all.

    Dynamic programming over the graph: the best paths into a node extend
    the best paths into its inputs (|p·local| grows with |p|), so keeping
    ``k`` per node is enough. Work grows with edges × k, not with the
    number of paths (nor with their length: they are linked lists until the end).
    """
    best: dict[Value, list[tuple[float, tuple]]] = {}
    for node in output.nodes() if order is None else order:  # inputs before users
        if node is wrt:
            best[node] = [(1.0, ())]
            continue
        candidates = []
        for j, (child, local) in enumerate(zip(node.inputs, node.local)):
            for p, path in best.get(child, ()):
                candidates.append((p * local, ((node, j), path)))
        if candidates:
            candidates.sort(key=lambda c: -abs(c[0]))
            best[node] = candidates[:k]
    return [(p, _spell(path)) for p, path in best.get(output, [])]

"""The paths from a parameter to the cost: what the chain rule sums over.

dC/dw = Σ over paths w → … → C of Π over the path's edges of the local derivative.

A path is a tuple of steps ``(node, k)``: the edge from ``node.inputs[k]``, whose
input is the previous node of the path (the first step's input is the
parameter). Backpropagation never lists paths (their number can grow
exponentially with depth); these functions exist to show what it computes.
"""

from __future__ import annotations

from typing import Iterator

from ..scalar import Value

Path = tuple[tuple[Value, int], ...]


def users_of(output: Value) -> dict[Value, list[tuple[Value, int]]]:
    """For every node of the graph, the edges ``(user, k)`` that read it."""
    users: dict[Value, list[tuple[Value, int]]] = {}
    for node in output.nodes():
        users.setdefault(node, [])
        for k, child in enumerate(node.inputs):
            users.setdefault(child, []).append((node, k))
    return users


def count_paths(output: Value, wrt: Value) -> int:
    """How many distinct paths lead from ``wrt`` to ``output`` (counted, not listed)."""
    counts: dict[Value, int] = {}
    for node in output.nodes():  # inputs before users
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
    stack: list[tuple[Value, Path]] = [(wrt, ())]
    while stack:
        node, path = stack.pop()
        for user, k in reversed(users[node]):
            step = path + ((user, k),)
            if user is output:
                yield step
            else:
                stack.append((user, step))


def product_from_cost(path: Path) -> float:
    """Π of the local derivatives along ``path`` (this path's share of the gradient), multiplied from the cost
    end down, in the order backprop multiplies.

    For a graph with a single path this is bit for bit the gradient ``backward()`` computes.
    """
    product = 1.0
    for node, k in reversed(path):
        product *= node.local[k]
    return product


def top_paths(output: Value, wrt: Value, k: int = 5) -> list[tuple[float, Path]]:
    """The ``k`` paths from ``wrt`` to ``output`` whose products are largest in size, without listing all.

    Dynamic programming over the graph: the best paths into a node extend
    the best paths into its inputs (|p·local| grows with |p|), so keeping
    ``k`` per node is enough. Work grows with edges × k, not with the
    number of paths.
    """
    best: dict[Value, list[tuple[float, Path]]] = {}
    for node in output.nodes():  # inputs before users
        if node is wrt:
            best[node] = [(1.0, ())]
            continue
        candidates = []
        for j, (child, local) in enumerate(zip(node.inputs, node.local)):
            for p, path in best.get(child, ()):
                candidates.append((p * local, path + ((node, j),)))
        if candidates:
            candidates.sort(key=lambda c: -abs(c[0]))
            best[node] = candidates[:k]
    return best.get(output, [])

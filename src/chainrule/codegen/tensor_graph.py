"""A ``Tensor`` graph read for printing: its nodes in order, their names, and the order backprop visits them.

The code emitters for matrices (``numpy_code``, ``torch_code``) read a
finished, not yet backpropagated, ``Tensor`` graph through what every node
records: ``op`` (the operation's name), its parents (``_parents``), the
operation's constants (``_ctx``: a reduction's axis, an exponent) and its
``data``. A leaf that ``requires_grad`` is a parameter; any other leaf is
data (an input, a target, a constant mixed into an expression).

Names come from each tensor's ``name`` (through ``identifiers``: nothing a
name says becomes code); an unnamed result is named by position (``t1``).

The backward order is ``Tensor.backward``'s: count every intermediate
node's users, then walk back from the loss, a node passing its gradient to
its parents once all its users have passed theirs (Kahn's order, the same
stack as ``Value.backward``). ``backward_order`` yields ``(node, parent
index)`` in exactly the order the engine adds the contributions, so an
emitted program can add them in the same order and get the same numbers.
"""

from __future__ import annotations

from ..errors import InvalidValueError
from .identifiers import Namer

__all__ = ["TensorGraph", "MAX_NODES"]

MAX_NODES = 100_000  # a Tensor graph this large is not a program anyone reads


class TensorGraph:
    """The nodes of the graph ending at ``loss`` (parents before users), their names and roles."""

    def __init__(self, loss, prefix: str = "d_", reserved: frozenset = frozenset()):
        from ..tensor import Tensor

        if not isinstance(loss, Tensor):
            raise InvalidValueError(f"code: expected a Tensor, got {type(loss).__name__}")
        if not loss.requires_grad:
            raise InvalidValueError("code: the loss does not depend on any tensor with requires_grad=True")
        if loss.data.size != 1:
            raise InvalidValueError(f"code: the loss must have one element, got shape {tuple(loss.shape)}")
        order, seen, stack = [], set(), [(loss, False)]
        while stack:  # depth first, each node after its parents (as Value.nodes())
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            if len(seen) > MAX_NODES:
                raise InvalidValueError(f"code: the graph has more than {MAX_NODES:,} nodes")
            stack.append((node, True))
            for parent in reversed(node._parents):
                if id(parent) not in seen:
                    stack.append((parent, False))
        self.loss = loss
        self.order = order
        self.index = {id(node): k for k, node in enumerate(order)}
        namer = Namer(prefixes=(prefix,), reserved=reserved)
        namer.take("backprop")
        labelled = namer.labelled([node.name for node in order])
        self.names = [text or namer.temporary("t") for text in labelled]
        self.namer = namer

    def name(self, node) -> str:
        return self.names[self.index[id(node)]]

    def parents(self, node) -> tuple:
        return node._parents

    @staticmethod
    def is_leaf(node) -> bool:
        return not node._parents

    def params(self) -> list:
        """The leaves that need a gradient, in graph order."""
        return [n for n in self.order if self.is_leaf(n) and n.requires_grad]

    def data_leaves(self) -> list:
        return [n for n in self.order if self.is_leaf(n) and not n.requires_grad]

    def users(self) -> dict[int, int]:
        """How many times each node is read by another node of the graph (by index)."""
        count = [0] * len(self.order)
        for node in self.order:
            for p in node._parents:
                count[self.index[id(p)]] += 1
        return dict(enumerate(count))

    def backward_order(self):
        """``(node, k)`` for each contribution to the k-th parent, in ``Tensor.backward``'s order.

        Only parents that need a gradient are yielded, as the engine's rules
        return None for the others.
        """
        loss = self.loss
        waiting: dict[int, int] = {}
        stack = [loss]
        while stack:
            for p in stack.pop()._parents:
                if p._parents:
                    key = id(p)
                    if key in waiting:
                        waiting[key] += 1
                    else:
                        waiting[key] = 1
                        stack.append(p)
        ready = [loss]
        while ready:
            node = ready.pop()
            for k, p in enumerate(node._parents):
                if not p.requires_grad:
                    continue
                yield node, k
                if p._parents:
                    key = id(p)
                    waiting[key] -= 1
                    if not waiting[key]:
                        ready.append(p)


def is_inline_constant(graph: TensorGraph, node) -> bool:
    """An unnamed one-number leaf that needs no gradient (the 0.8 of ``a - 0.8``): written as its number."""
    return graph.is_leaf(node) and not node.requires_grad and not node.name and node.data.ndim == 0


def leaf_arguments(graph: TensorGraph) -> list:
    """The leaves a program takes as arguments: the data first, then the parameters (graph order in each)."""
    data = [n for n in graph.data_leaves() if not is_inline_constant(graph, n)]
    return data + graph.params()

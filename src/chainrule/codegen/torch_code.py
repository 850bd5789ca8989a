"""A ``Tensor`` graph as a PyTorch program: the same forward pass in torch, then ``loss.backward()``.

What a learner who knows the matrix form sees in the library everyone uses:
the same tensors (``torch.float64``, the parameters with
``requires_grad=True``), the same operations one per line (``tensor_ops``
writes each one in torch), and PyTorch's autograd for the backward pass.
The program prints the loss and each parameter's ``.grad``.
"""

from __future__ import annotations

from .tensor_graph import TensorGraph, is_inline_constant, leaf_arguments
from .tensor_ops import Expr, array_literal, number, row

__all__ = ["torch_program", "TorchProgram"]

_RESERVED = frozenset({"torch", "name", "tensor"})
# The emitted program imports PyTorch; this module only writes text (tests/test_layers.py greps for the import).
_TORCH = "torch"


class TorchProgram:
    """``source`` (runnable as printed), ``parameters`` (the names whose ``.grad`` it prints), ``loss``."""

    def __init__(self, source: str, parameters: list[str], loss: str):
        self.source, self.parameters, self.loss = source, parameters, loss


def torch_program(loss) -> TorchProgram:
    """The PyTorch program of the graph ending at ``loss`` (a one-element ``Tensor``, before ``backward()``)."""
    graph = TensorGraph(loss, prefix="d_", reserved=_RESERVED)
    users = graph.users()
    index = graph.index
    lines = [f"import {_TORCH}", "", "# the network's numbers (float64, as chainrule computes)"]
    for leaf in leaf_arguments(graph):
        grad = ", requires_grad=True" if leaf.requires_grad else ""
        lines.append(f"{graph.name(leaf)} = torch.tensor({array_literal(leaf.data)}, dtype=torch.float64{grad})")
    lines += ["", "# forward pass"]
    value: dict[int, Expr] = {}
    loss_key = index[id(loss)]
    for k, node in enumerate(graph.order):
        name = graph.names[k]
        if graph.is_leaf(node):
            value[k] = number(float(node.data)) if is_inline_constant(graph, node) else Expr(name)
            continue
        expr = row(node).torch([value[index[id(p)]] for p in node._parents], node)
        if not node.name and users[k] == 1 and k != loss_key:
            value[k] = expr
            continue
        lines.append(f"{name} = {expr.text}")
        value[k] = Expr(name)
    loss_name = graph.names[loss_key]
    parameters = [graph.name(p) for p in graph.params()]
    lines += ["", "# backward pass: PyTorch's autograd fills each parameter's .grad",
              f"{loss_name}.backward()", "",
              f'print("{loss_name} =", {loss_name}.item())']
    lines += [f'print("d{loss_name}/d{p} =", {p}.grad.tolist())' for p in parameters]
    return TorchProgram("\n".join(lines) + "\n", parameters, loss_name)

"""A ``Tensor`` graph as a numpy program: the forward pass with matrices, then the backward pass written out.

For a dense network the backward pass is the matrix form of backprop,

    δᴸ = ∇ₐC ⊙ f′(zᴸ),    δˡ = δˡ⁺¹ (Wˡ⁺¹)ᵀ ⊙ f′(zˡ),    ∂C/∂Wˡ = (aˡ⁻¹)ᵀ δˡ,    ∂C/∂bˡ = Σ_rows δˡ

(rows are examples: z = a W + b), and the program prints it as numpy:
``d_z1 = (d_z2 @ W2.T) * (z1 > 0)``. Each line is the engine's own rule for
one operation (``tensor_ops``), applied in ``Tensor.backward``'s order
(``tensor_graph.backward_order``), so the program's gradients are the
engine's.

Readability without changing a number: a result nobody names and only one
node reads is written inside that node's line (``z1 = x @ W1 + b1``), unless
a backward rule needs its value; a gradient that arrives once and is used
once, by an unnamed node or by an activation, is written inside the line
that uses it (the δ recursion in one line);
a gradient that is merely handed on (a sum passes g to both operands) is not
copied. ``d_v`` is ∂C/∂v, an array shaped like v. What numpy lacks (a
sigmoid, a convolution's windows) the program defines first, as functions
(``tensor_ops.helpers``).
"""

from __future__ import annotations

from .tensor_graph import TensorGraph, is_inline_constant, leaf_arguments
from .tensor_ops import Expr, array_literal, helpers, number, row, shape_text, unbroadcast

__all__ = ["numpy_program", "NumpyProgram"]

_RESERVED = frozenset({"gradients", "gradient", "name", "backprop"})


class NumpyProgram:
    """``source`` (the whole program, runnable as printed), ``function`` (its name), ``arguments``, ``parameters``."""

    def __init__(self, source: str, function: str, arguments: list[str], parameters: list[str], loss: str):
        self.source, self.function, self.arguments, self.parameters, self.loss = (
            source, function, arguments, parameters, loss)


def _shape_comment(node) -> str:
    return shape_text(node.shape) if node.data.ndim else ""


def _line(code: str, comment: str, column: int) -> str:
    return f"    {code.ljust(column)}  # {comment}" if comment else f"    {code}"


def numpy_program(loss, function: str = "backprop", call: bool = True) -> NumpyProgram:
    """The numpy program of the graph ending at ``loss`` (a one-element ``Tensor``, before ``backward()``)."""
    graph = TensorGraph(loss, prefix="d_", reserved=_RESERVED)
    order = graph.order
    users = graph.users()
    index = graph.index

    # which values a backward rule reads: those stay in variables
    needed = {index[id(loss)]}
    for node in order:
        if graph.is_leaf(node):
            continue
        entry = row(node)
        for k, parent in enumerate(node._parents):
            if not parent.requires_grad:
                continue
            for role in entry.uses[k] if k < len(entry.uses) else entry.uses[0]:
                target = node if role == "out" else node._parents["abc".index(role)]
                needed.add(index[id(target)])

    value: dict[int, Expr] = {}
    forward: list[tuple[str, str]] = []
    for k, node in enumerate(order):
        name = graph.names[k]
        if graph.is_leaf(node):
            value[k] = number(float(node.data)) if is_inline_constant(graph, node) else Expr(name)
            continue
        entry = row(node)
        expr = entry.numpy([value[index[id(p)]] for p in node._parents], node)
        if not node.name and users[k] == 1 and k not in needed:
            value[k] = expr  # written inside its one user's line
            continue
        forward.append((f"{name} = {expr.text}", _shape_comment(node)))
        value[k] = Expr(name)

    # the backward pass, in the engine's order
    contributions: dict[int, int] = {}
    for node, j in graph.backward_order():
        key = index[id(node._parents[j])]
        contributions[key] = contributions.get(key, 0) + 1
    consumed = {k: sum(p.requires_grad for p in node._parents) for k, node in enumerate(order)}
    params = graph.params()
    param_keys = {index[id(p)] for p in params}
    loss_key = index[id(loss)]
    loss_name = graph.names[loss_key]
    grad: dict[int, Expr] = {}
    backward: list[tuple[str, str]] = []
    ones = "1.0" if loss.data.ndim == 0 else f"np.ones({shape_text(loss.shape)})"
    backward.append((f"d_{loss_name} = {ones}", f"∂{loss_name}/∂{loss_name} = 1"))
    grad[loss_key] = Expr(f"d_{loss_name}")
    arrived: dict[int, int] = {}
    for node, j in graph.backward_order():
        entry = row(node)
        node_key = index[id(node)]
        parent = node._parents[j]
        key = index[id(parent)]
        operands = [value[index[id(p)]] for p in node._parents]
        expr = entry.backward(j, grad[node_key], operands, value[node_key], node)
        if entry.elementwise:
            expr = unbroadcast(expr, node.shape, parent.shape)
        name = f"d_{graph.names[key]}"
        arrived[key] = arrived.get(key, 0) + 1
        comment = f"∂{loss_name}/∂{graph.names[key]}  {_shape_comment(parent)}".rstrip()
        if key in param_keys or contributions[key] > 1:
            if arrived[key] == 1:
                backward.append((f"{name} = {expr.text}", comment))
            else:
                backward.append((f"{name} = {name} + {expr.wrapped(2)}", f"paths meet: {comment}"))
            grad[key] = Expr(name)
        elif expr.prec == 5 and expr.text.isidentifier() or consumed[key] <= 1 and (
                not parent.name or len(parent._parents) == 1):
            grad[key] = expr  # handed on as it is, or used once: written where it is used
        else:
            backward.append((f"{name} = {expr.text}", comment))
            grad[key] = Expr(name)

    arguments = [graph.name(n) for n in leaf_arguments(graph)]
    parameters = [graph.name(p) for p in params]
    column = min(max((len(c) for c, _ in forward + backward), default=0), 44)
    lines = ["import numpy as np", ""]
    for source in helpers(node for node in order if not graph.is_leaf(node)):  # numpy has no sigmoid, no conv1d
        lines += ["", source.rstrip("\n"), ""]
    lines += ["", f"def {function}({', '.join(arguments)}):",
              f'    """{loss_name} and its gradients with respect to {", ".join(parameters)}: the forward pass, then',
              '    the backward pass, with matrices (chainrule code --lang numpy)."""',
              "    # forward pass"]
    lines += [_line(c, m, column) for c, m in forward]
    lines.append(f"    # backward pass: d_v is ∂{loss_name}/∂v, shaped like v")
    lines += [_line(c, m, column) for c, m in backward]
    entries = ", ".join(f'"{p}": d_{p}' for p in parameters)
    lines.append(f"    return {loss_name}, {{{entries}}}")
    if call:
        lines += ["", "", "# the network's numbers"]
        for leaf in leaf_arguments(graph):
            lines.append(f"{graph.name(leaf)} = np.array({array_literal(leaf.data)})")
        lines += ["", f"{loss_name}, gradients = {function}({', '.join(arguments)})",
                  f'print("{loss_name} =", float({loss_name}))',
                  "for name, gradient in gradients.items():",
                  f'    print(f"d{loss_name}/d{{name}} =", gradient.tolist())']
    return NumpyProgram("\n".join(lines) + "\n", function, arguments, parameters, loss_name)

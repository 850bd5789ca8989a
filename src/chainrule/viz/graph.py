"""``draw(node)``: the computation graph as a picture, with Graphviz.

One box per value, showing its name, its data and its grad; one arrow per
edge, from the input to the node that uses it, labelled with the edge's
local derivative (the formula in the nodes' names when the graph is small,
and always the number the engine stored): what backprop multiplies by when
it hands the gradient back along that arrow. Read right to left it is the
backward pass: the grad of a box is the sum, over its outgoing arrows, of
the arrow's number times the grad of the box it points to.

Drawing needs the Graphviz program ``dot``; without it ``draw`` raises
``MissingDependencyError`` saying how to install it, and everything else in
chainrule keeps working.
"""

from __future__ import annotations

import os

from ..errors import InvalidValueError, MissingDependencyError
from ..explainer.format import num
from ..explainer.names import local_formula, name_nodes
from ..scalar import Value

__all__ = ["draw", "to_dot", "INSTALL_HINT", "MAX_NODES"]

INSTALL_HINT = "install Graphviz: apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS)"
# A picture of more boxes than this is unreadable (and slow to lay out).
MAX_NODES = 2000
# Edges get their formula as well as their number up to this many nodes.
FORMULA_NODES = 60
FORMATS = ("svg", "png")


def to_dot(output: Value, *, rankdir: str = "LR"):
    """The ``graphviz.Digraph`` of the graph ending at ``output`` (nothing rendered yet)."""
    import graphviz

    if not isinstance(output, Value):
        raise InvalidValueError(f"draw: expected a Value, got {type(output).__name__}")
    names = name_nodes(output)
    if len(names.order) > MAX_NODES:
        raise InvalidValueError(f"draw: the graph has {len(names.order)} nodes; drawings are limited to {MAX_NODES}")
    formulas = len(names.order) <= FORMULA_NODES
    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir}, node_attr={"shape": "record", "fontname": "Helvetica"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    for node in names.order:
        op = f" | {_escape(node.op)}" if node.op else ""
        text = f"{{ {_escape(names[node])}{op} | data {num(node.data, 4)} | grad {num(node.grad, 4)} }}"
        style = {"style": "filled", "fillcolor": "#ffe8cc"} if node is output else {}
        dot.node(str(names.index[node]), text, **style)
    for node in names.order:
        for k, (child, local) in enumerate(zip(node.inputs, node.local)):
            formula = local_formula(names, node, k) if formulas else ""
            number = num(local, 4)
            label = f"{formula} = {number}" if formula and formula != number.replace("-", "−") else number
            dot.edge(str(names.index[child]), str(names.index[node]), label=label)
    return dot


def _escape(text: str) -> str:
    """Record labels reserve { } | < > and spaces around them; escape them."""
    for ch in "{}<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def svg_or_none(node: Value) -> str | None:
    """The SVG drawing of the graph, or None when Graphviz is missing (Jupyter then shows the text repr)."""
    try:
        return draw(node, format="svg")
    except MissingDependencyError:
        return None


def draw(node: Value, format: str = "svg", path: str | None = None):
    """Render the graph ending at ``node``.

    ``format`` is 'svg' or 'png' (taken from ``path``'s suffix when a path is
    given). With ``path`` the file is written and its path returned (so the
    Python prompt shows a name, not the picture's bytes); without, the SVG
    text for svg, the PNG bytes for png.
    """
    import graphviz

    if path is not None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext not in FORMATS:
            raise InvalidValueError(f"draw: {path!r} must end in .svg or .png")
        format = ext
    if format not in FORMATS:
        raise InvalidValueError(f"draw: format {format!r} is not one of svg, png")
    dot = to_dot(node)
    try:
        data = dot.pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise MissingDependencyError(f"draw: the Graphviz program 'dot' was not found; {INSTALL_HINT}") from None
    if path is not None:
        with open(path, "wb") as f:
            f.write(data)
        return path
    return data.decode("utf-8") if format == "svg" else data

"""The step-through graph's layers: the columns dot draws, each said in words, so a page can fold one into a box.

``layout`` lays the graph out with Graphviz's ``dot``, a *layered* layout:
every node goes in a rank, and with ``rankdir=LR`` a rank is a column, every
node in it drawn at the same x. In a lesson's network the columns are its
layers, read left to right the way the forward pass runs:

    a⁰ ──▶ [ w¹, b¹ ] ──▶ z¹ = w¹·a⁰ + b¹ ──▶ a¹ = σ(z¹) ──▶ [ w², b² ] ──▶ … ──▶ C

(the parameters of a layer stand in a column of their own, between the
activations they multiply and the weighted sums they feed). A big graph (the
recurrent net unrolled in time, learning-rate's 59 nodes) is easier to read
with some of its layers folded into one box each, like "layer 2: 16 weighted
sums". ``layers`` says, for every column, which nodes it holds, where it is
drawn, and what it holds in words; which are folded is the reader's choice,
the page's, but where the layers are comes from here, never from a guess.
"""

from __future__ import annotations

from collections import Counter

from . import layout

__all__ = ["column_of", "layers", "describe"]

# What an operation computes, once and many times: the words of a folded layer ("16 tanh activations").
OPERATION_WORDS = {
    "*": ("product", "products"),
    "+": ("sum", "sums"),
    "-": ("difference", "differences"),
    "/": ("quotient", "quotients"),
    "**": ("power", "powers"),
    "neg": ("negation", "negations"),
    "dot": ("weighted sum", "weighted sums"),  # z = w·a + b
    "sum": ("sum", "sums"),
    "exp": ("exponential", "exponentials"),
    "log": ("logarithm", "logarithms"),
    "tanh": ("tanh activation", "tanh activations"),
    "sigmoid": ("sigmoid activation", "sigmoid activations"),
    "relu": ("ReLU activation", "ReLU activations"),
}
# The leaves, and the cost, by kind (graph._kind): a parameter is a weight or a bias the descent trains.
KIND_WORDS = {"parameter": ("parameter", "parameters"), "input": ("input", "inputs"), "cost": ("cost", "costs")}
GAP = 1.0  # px: two centres closer than this are one rank (dot gives a rank one x; the answer rounds it to 0.01 px)
PAD = 4  # px: the least room between a folded layer's text and its box
# px: how far a folded box may reach past its column on each side, for its words (less than half dot's gap
# between two columns, so two folded neighbours never meet)
REACH = layout.RANKSEP * 72 / 2 - 2


def column_of(centres: dict[int, float]) -> dict[int, int]:
    """Each node's column, 1 for the leftmost, from the x of its box's centre (``rankdir=LR``: a rank is one x)."""
    column, last, out = 0, None, {}
    for key, x in sorted(centres.items(), key=lambda item: item[1]):
        if last is None or x - last > GAP:
            column += 1
        out[key], last = column, x
    return out


def _what(node: dict) -> tuple[str, str]:
    if node["kind"] in KIND_WORDS:
        return KIND_WORDS[node["kind"]]
    return OPERATION_WORDS.get(node["op"], (f"{node['op']} operation", f"{node['op']} operations"))


def describe(nodes: list[dict]) -> str:
    """What a layer holds, counted in words: "8 parameters", "1 tanh activation, 1 input" (in the order met)."""
    counts = Counter(_what(n) for n in nodes)
    return ", ".join(f"{k} {one if k == 1 else many}" for (one, many), k in counts.items())


def _wrap(text: str, width: float) -> list[str]:
    """The words of ``text`` in lines no wider than ``width``; a count stays with its word ("16 tanh"), and a
    word longer than ``width`` gets a line of its own."""
    words = text.split(" ")
    tokens = []
    for word in words:  # "16" and "tanh" go together: a line never ends on a bare count
        if tokens and tokens[-1].isdigit():
            tokens[-1] = f"{tokens[-1]} {word}"
        else:
            tokens.append(word)
    lines: list[str] = []
    for token in tokens:
        if lines and layout.text_width(f"{lines[-1]} {token}") <= width:
            lines[-1] = f"{lines[-1]} {token}"
        else:
            lines.append(token)
    return lines


def layers(nodes: list[dict]) -> list[dict]:
    """Every column of the drawn graph, left to right: its number, its nodes, its box and its words.

    ``nodes`` are the step-through's nodes, each with its ``box`` (``layout``) and a ``layer`` (``column_of``).
    Each layer gets ``box``, the rectangle that holds all its nodes (taller where its words need more room, about
    the same middle; wider too, by less than half the gap to the next column), ``lines``, its words broken to fit
    that width, as the folded box shows them, and ``baselines``, the y at the middle of each line::

        layer 3
        16 tanh
        activations
        collapsed
    """
    out = []
    for number in sorted({n["layer"] for n in nodes}):
        members = [n for n in nodes if n["layer"] == number]
        x0 = min(n["box"]["x"] for n in members)
        x1 = max(n["box"]["x"] + n["box"]["w"] for n in members)
        y0 = min(n["box"]["y"] for n in members)
        y1 = max(n["box"]["y"] + n["box"]["h"] for n in members)
        text = describe(members)
        lines = [f"layer {number}", *_wrap(text, x1 - x0 + 2 * REACH - 2 * PAD), "collapsed"]
        wide = max(layout.text_width(line) for line in lines) + 2 * PAD
        if x1 - x0 < wide:  # wider about the same middle, by at most REACH a side
            grow = min(REACH, (wide - (x1 - x0)) / 2)
            x0, x1 = x0 - grow, x1 + grow
        need = len(lines) * layout.LINE + 2 * layout.PAD_Y
        if y1 - y0 < need:
            middle = (y0 + y1) / 2
            y0, y1 = max(0.0, middle - need / 2), max(0.0, middle - need / 2) + need
        first = y0 + (y1 - y0 - len(lines) * layout.LINE) / 2 + layout.LINE / 2
        out.append({
            "layer": number,
            "nodes": [n["id"] for n in members],
            "text": text,
            "label": f"layer {number}: {text}",
            "box": {"x": round(x0, 2), "y": round(y0, 2), "w": round(x1 - x0, 2), "h": round(y1 - y0, 2)},
            "lines": lines,
            "baselines": [round(first + k * layout.LINE, 2) for k in range(len(lines))],  # the centre y of each line
        })
    return out

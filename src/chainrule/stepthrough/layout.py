"""Where the step-through page draws each node and edge: Graphviz's ``dot`` lays the graph out in columns.

The page draws a computation graph left to right, inputs first, the cost last.
Hand-placed coordinates broke on the wide network (every edge entered a node
at one point, so their labels stacked; long numbers ran out of their boxes),
so the placing is left to ``dot``, the layered-graph layout of Graphviz
(network-simplex ranking, crossing reduction, splines), with:

* ``rankdir=LR``: one column per rank, so a layer's nodes stand in one column;
* straight segments (``splines=polyline``): in the narrow gaps between
  columns, curved splines looped back on themselves;
* one **port** per input of a node: each edge enters its own slot on the
  node's left side, and the slot holds that edge's label (the local
  derivative), so no two labels can meet;
* boxes sized for the widest text each line will ever show, as counted in
  characters of the page's monospace font (``CHAR`` px each, with room to
  spare), and fixed (``FIXEDSIZE``), so that ``dot`` and the browser agree on
  every size whatever fonts either has;
* ``minlen`` per edge, chosen by the caller: the step-through gives each
  layer's parameters a column of their own, between the activations they
  multiply and the sums they feed.

``dot`` runs once per graph (the step-through caches its lessons), where ``dot.py`` says (the program, or its WebAssembly build in the static explorer); its JSON
output gives each node's centre and each edge's spline, which become SVG
coordinates (y pointing down) in the answer. Without Graphviz the layout
raises ``MissingDependencyError`` saying how to install it.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from . import dot

# The page's graph font (explorer.css: #graph text), in px = dot's points.
FONT = 11
# One character of that monospace font, with room to spare (DejaVu Sans Mono: 0.602 em = 6.6 px).
CHAR = 7.2
LINE = 14  # one line of text in a box
PAD_X = 7  # inside a box, left and right of its text
PAD_Y = 5  # inside a box, above and below its lines
PORT = 16  # the least height of one input port (one line of its label)
NODESEP = 0.14  # inches between boxes in a column
RANKSEP = 0.32  # inches between columns
MARGIN = 6  # px around the drawing (room for the thick outline of a highlighted box)


@dataclass
class Box:
    """A node: the widest text each of its lines will show, and the widest label of each input port."""

    key: int
    lines: tuple[str, ...]
    ports: tuple[str, ...] = ()


@dataclass
class Link:
    """An edge from ``source`` into port ``port`` of ``target``; ``minlen``: the least columns it spans."""

    key: int
    source: int
    target: int
    port: int
    minlen: int = 1


@dataclass
class _Size:
    port_w: int
    body_w: int
    row_h: int
    height: int
    n_ports: int = 0
    rows: list = field(default_factory=list)

    @property
    def width(self) -> int:
        return self.port_w + self.body_w


def text_width(text: str) -> float:
    """The width of ``text`` in the monospace font: ``CHAR`` per character, twice that for a wide one."""
    return CHAR * sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text
                      if not unicodedata.combining(ch))


def _size(box: Box) -> _Size:
    body_w = math.ceil(max([text_width(t) for t in box.lines] + [CHAR]) + 2 * PAD_X)
    body_h = len(box.lines) * LINE + 2 * PAD_Y
    n = len(box.ports)
    if not n:
        return _Size(0, body_w, body_h, body_h)
    port_w = math.ceil(max(text_width(t) for t in box.ports) + 2 * (PAD_X - 2)) if any(box.ports) else 2 * PAD_X
    row_h = max(PORT, math.ceil(body_h / n))
    return _Size(port_w, body_w, row_h, max(body_h, n * row_h), n)


def _label(size: _Size) -> str:
    """An HTML-like label: a column of input ports (one row each) beside the body, every cell of fixed size."""

    def cell(port: str, width: int, height: int, span: int = 1) -> str:
        rows = f' ROWSPAN="{span}"' if span > 1 else ""
        return f'<TD PORT="{port}" WIDTH="{width}" HEIGHT="{height}" FIXEDSIZE="TRUE"{rows}></TD>'

    body = cell("out", size.body_w, size.height, size.n_ports)
    rows = [f"<TR>{cell(f'p{k}', size.port_w, size.row_h)}{body if k == 0 else ''}</TR>" for k in range(size.n_ports)]
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">' + ("".join(rows) or f"<TR>{body}</TR>")
            + "</TABLE>>")


def _dot_source(boxes: list[Box], links: list[Link], sizes: dict[int, _Size]) -> str:
    lines = [
        "digraph G {",
        f"  graph [rankdir=LR, nodesep={NODESEP}, ranksep={RANKSEP}, splines=polyline, margin=0];",
        "  node [shape=none, margin=0, width=0, height=0];",
        "  edge [arrowhead=none, headclip=true, tailclip=true];",
    ]
    for box in boxes:
        lines.append(f"  n{box.key} [label={_label(sizes[box.key])}];")
    for link in links:
        lines.append(f'  n{link.source}:out:e -> n{link.target}:p{link.port}:w [id="e{link.key}", minlen={link.minlen}];')
    lines.append("}")
    return "\n".join(lines)


def _points(spline: str) -> list[tuple[float, float]]:
    """The control points of a dot spline ('s,x,y e,x,y x,y x,y …': the start/end markers skipped)."""
    return [tuple(float(v) for v in token.split(",")) for token in spline.split() if not token.startswith(("s,", "e,"))]


def lay_out(boxes: list[Box], links: list[Link]) -> dict:
    """Every box's rectangle (its ports and its body) and every link's SVG path, in px with y pointing down.

    Returns ``{"width", "height", "boxes": {key: {...}}, "links": {key: {"path", "end"}}}``; a box has ``x, y, w,
    h`` (its whole rectangle), ``body`` (the rectangle right of the ports), ``lines`` (the baseline-centre y of each
    text line) and ``ports`` (one rectangle per input port, top to bottom).
    """
    sizes = {box.key: _size(box) for box in boxes}
    for link in links:
        n = sizes[link.target].n_ports
        if not 0 <= link.port < n:
            raise ValueError(f"link {link.key} enters port {link.port} of box {link.target}, which has {n} ports")
    data = dot.run(_dot_source(boxes, links, sizes))
    llx, lly, urx, ury = (float(v) for v in data["bb"].split(","))

    def at(x: float, y: float) -> tuple[float, float]:
        return round(MARGIN + x - llx, 2), round(MARGIN + ury - y, 2)

    placed = {}
    for obj in data.get("objects", []):
        name = obj.get("name", "")
        if not name.startswith("n") or "pos" not in obj:
            continue
        key = int(name[1:])
        size = sizes[key]
        cx, cy = at(*(float(v) for v in obj["pos"].split(",")))
        x, y = round(cx - size.width / 2, 2), round(cy - size.height / 2, 2)
        n_lines = len(next(b for b in boxes if b.key == key).lines)
        first = y + (size.height - n_lines * LINE) / 2 + LINE / 2
        placed[key] = {
            "x": x, "y": y, "w": size.width, "h": size.height,
            "body": {"x": x + size.port_w, "y": y, "w": size.body_w, "h": size.height},
            "lines": [round(first + k * LINE, 2) for k in range(n_lines)],
            "ports": [{"x": x, "y": round(y + k * size.row_h, 2), "w": size.port_w, "h": size.row_h}
                      for k in range(size.n_ports)],
        }
    paths = {}
    for edge in data.get("edges", []):
        key = int(str(edge.get("id", "e-1"))[1:])
        points = [at(*p) for p in _points(edge["pos"])]
        first, rest = points[0], points[1:]
        path = f"M {first[0]} {first[1]}" + "".join(
            f" C {a[0]} {a[1]}, {b[0]} {b[1]}, {c[0]} {c[1]}" for a, b, c in zip(rest[0::3], rest[1::3], rest[2::3]))
        paths[key] = {"path": path, "start": list(first), "end": list(points[-1])}
    missing = [b.key for b in boxes if b.key not in placed] + [l.key for l in links if l.key not in paths]
    if missing:
        raise RuntimeError(f"dot placed no position for {missing}")
    return {"width": round(urx - llx + 2 * MARGIN, 2), "height": round(ury - lly + 2 * MARGIN, 2), "boxes": placed,
            "links": paths}

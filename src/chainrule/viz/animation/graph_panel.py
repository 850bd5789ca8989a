"""The step-through's graph drawn with matplotlib, as the explorer's page draws it, one frame at a time.

Where everything stands is the trace's own layout (``stepthrough.layout``:
Graphviz's dot, in pixels with y pointing down): each node a box with its
input ports on its left, each edge a spline into its port. The panel maps
that layout onto its part of the figure at one scale, so the texts keep the
sizes the boxes were made for (the page's 11 px monospace font, scaled).

Each frame changes only what the page changes after a click (its
``drawGraph``): which edge is active (red, thick) and which are done (blue),
the local derivative written in the port of every edge crossed so far, and
each node's running sum ∂C/∂node, marked "so far" while paths into it are
still to arrive. The node the active edge leaves is outlined red, the one
receiving the product green.

Drawn in layers, so that a frame costs what it changes, not the whole graph
(a hundred texts take matplotlib a tenth of a second to draw):

* the axes hold what never changes: the boxes, each node's name and value,
  the empty ports, every edge in its first grey; ``picture.Picture`` draws
  them once and keeps the pixels;
* what the backward pass has finished with is *baked* into those pixels as
  it goes (``bake``): an edge once crossed stays blue with its local
  derivative written, a gradient once every path has arrived stays as it is;
* the rest is drawn over them in each frame by figure-level artists in the
  axes' coordinates (``show``): the active edge, its port and label, the two
  outlines, the sums still partial, and the sum that just changed.
"""

from __future__ import annotations

import re

from matplotlib.patches import PathPatch, Polygon, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text

from .story import gradients_shown

__all__ = ["GraphPanel", "spline", "arrowhead", "MAX_SCALE"]

# The page's colours (web/static/css/explorer.css), so a frame looks like the page.
INK, MUTED, BAD, GOOD_INK = "#1f2933", "#4a5563", "#c53030", "#1d7a45"
EDGE_COLOURS = {"": "#b8c2cf", "done": "#7f9fce", "active": BAD}
BOXES = {  # kind → (fill, outline)
    "intermediate": ("#ffffff", INK),
    "parameter": ("#eef4ff", "#2f6fdd"),
    "cost": ("#fff7e8", "#b7791f"),
    "input": ("#f6f7f9", "#8a96a6"),
}
PORT, PORT_ACTIVE = ("#f3f5f8", "#d9dee5"), ("#fde8e8", BAD)
FONT_PX = 11  # the page's graph font (stepthrough.layout.FONT), in the layout's pixels
MONO = "DejaVu Sans Mono"  # the font the layout measured its boxes in
MAX_SCALE = 2.0  # a small graph is drawn at most twice the page's size
ARROW = 6.0  # the arrowhead's length in layout pixels (the page's marker)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def spline(path: str) -> Path:
    """An SVG path of the layout ('M x y C x y, x y, x y C …') as a matplotlib Path of cubic Bézier pieces."""
    xy = [float(v) for v in _NUMBER.findall(path)]
    points = list(zip(xy[0::2], xy[1::2]))
    codes = [Path.MOVETO] + [Path.CURVE4] * (len(points) - 1)
    return Path(points, codes)


def arrowhead(path: Path) -> list[tuple[float, float]]:
    """The triangle at the end of an edge, pointing along its last stretch (from its last distinct control point)."""
    x, y = path.vertices[-1]
    back = next(((px, py) for px, py in path.vertices[::-1] if (px, py) != (x, y)), (x - 1.0, y))
    dx, dy = x - back[0], y - back[1]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    bx, by = x - ARROW * ux, y - ARROW * uy
    half = ARROW / 2
    return [(x, y), (bx - half * uy, by + half * ux), (bx + half * uy, by - half * ux)]


class GraphPanel:
    """The graph in the figure's rectangle ``box`` = (left, top, width, height) px."""

    def __init__(self, figure, trace: dict, box: tuple[float, float, float, float], dpi: float):
        self.trace, self.figure = trace, figure
        left, top, width, height = box
        self.scale = min(width / trace["width"], height / trace["height"], MAX_SCALE)
        w, h = trace["width"] * self.scale, trace["height"] * self.scale
        # centred in its rectangle; matplotlib's figure fractions count from the bottom left
        self.left, self.top = left + (width - w) / 2, top + (height - h) / 2
        fw, fh = figure.bbox.width, figure.bbox.height
        self.axes = figure.add_axes((self.left / fw, 1 - (self.top + h) / fh, w / fw, h / fh))
        self.axes.set_xlim(0, trace["width"])
        self.axes.set_ylim(trace["height"], 0)
        self.axes.set_axis_off()
        self.font_pt = FONT_PX * self.scale * 72 / dpi  # the page's px, scaled, in points
        self.pt_per_px = self.scale * 72 / dpi  # a line width in the layout's px, in points
        self.dynamic = []  # every artist a frame changes
        self._boxes()
        self._edges()

    # ------------------------------------------------------------------ made once
    def _text(self, x: float, y: float, layer: str, **style) -> Text:
        """A text of the page's graph font at (x, y) of the layout: in the axes ('static') or over them ('dynamic')."""
        text = Text(x, y, "", ha="center", va="center", fontsize=self.font_pt, family=MONO, **style)
        return self._add(text, layer)

    def _add(self, artist, layer: str):
        if layer == "static":
            return self.axes.add_artist(artist) if isinstance(artist, Text) else self.axes.add_patch(artist)
        artist.set_transform(self.axes.transData)
        self.dynamic.append(artist)
        return self.figure.add_artist(artist)

    def _boxes(self) -> None:
        self.nodes = {}  # node id → its ring and texts
        for n in self.trace["nodes"]:
            b = n["box"]["body"]
            fill, outline = BOXES[n["kind"]]
            self._add(Rectangle((b["x"], b["y"]), b["w"], b["h"], facecolor=fill, edgecolor=outline,
                                lw=1.3 * self.pt_per_px), "static")
            for p in n["box"]["ports"]:
                self._add(Rectangle((p["x"], p["y"]), p["w"], p["h"], facecolor=PORT[0], edgecolor=PORT[1],
                                    lw=0.8 * self.pt_per_px), "static")
            x, lines = b["x"] + b["w"] / 2, n["box"]["lines"]
            self._text(x, lines[0], "static", color=INK, weight="bold").set_text(n["name"])
            self._text(x, lines[1], "static", color=MUTED).set_text(n["value_text"])
            # the outline of a node at the active edge, drawn over its box
            ring = self._add(Rectangle((b["x"], b["y"]), b["w"], b["h"], fill=False, lw=3 * self.pt_per_px,
                                       zorder=4), "dynamic")
            grad = self._text(x, lines[2], "dynamic", color=BAD, zorder=5)
            so_far = self._text(x, lines[3], "dynamic", color=BAD, style="italic", zorder=5)
            self.nodes[n["id"]] = {"ring": ring, "grad": grad, "so_far": so_far}

    def _edges(self) -> None:
        self.edges = {}  # edge id → its line, arrowhead, active port and label
        for e in self.trace["edges"]:
            path = spline(e["path"])
            self._add(PathPatch(path, fill=False, capstyle="round", color=EDGE_COLOURS[""], lw=1.5 * self.pt_per_px,
                                zorder=0.5), "static")
            self._add(Polygon(arrowhead(path), closed=True, lw=0, color=EDGE_COLOURS[""], zorder=0.5), "static")
            line = self._add(PathPatch(path, fill=False, capstyle="round"), "dynamic")
            head = self._add(Polygon(arrowhead(path), closed=True, lw=0), "dynamic")
            p = self.trace["nodes"][e["target"]]["box"]["ports"][e["slot"]]
            port = self._add(Rectangle((p["x"], p["y"]), p["w"], p["h"], facecolor=PORT_ACTIVE[0],
                                       edgecolor=PORT_ACTIVE[1], lw=0.8 * self.pt_per_px, zorder=4), "dynamic")
            label = self._text(p["x"] + p["w"] / 2, p["y"] + p["h"] / 2, "dynamic", zorder=5)
            label.set_text(e["local_text"])
            self.edges[e["id"]] = {"line": line, "head": head, "port": port, "label": label}

    # ----------------------------------------------------------------- each frame
    def to_pixels(self, x: float, y: float) -> tuple[float, float]:
        """A point of the layout as pixels of the picture (from its top left)."""
        return self.left + x * self.scale, self.top + y * self.scale

    def _final_at(self) -> dict[int, int]:
        """node id → how many events have been played once its gradient is final (the cost's 1: after the first)."""
        final = {self.trace["nodes"][self.trace["cost"]]["id"]: 1}
        for k, e in enumerate(self.trace["events"]):
            if e["complete"]:
                final[e["source"]] = k + 1
        return final

    def _hide(self) -> None:
        for artist in self.dynamic:
            artist.set_visible(False)

    def _edge(self, e: dict, kind: str) -> None:
        """Edge ``e`` of the trace drawn 'done' (blue, its local derivative in its port) or 'active' (red)."""
        drawn = self.edges[e["id"]]
        for key in ("line", "head"):
            drawn[key].set_visible(True)
            drawn[key].set_color(EDGE_COLOURS[kind])
            drawn[key].set_zorder(3 if kind == "active" else 2)
        drawn["line"].set_linewidth((3.2 if kind == "active" else 1.5) * self.pt_per_px)
        drawn["port"].set_visible(kind == "active")
        drawn["label"].set_visible(True)
        drawn["label"].set_color(BAD if kind == "active" else MUTED)
        drawn["label"].set_fontweight("bold" if kind == "active" else "normal")

    def _sum(self, node: int, text: str, partial: bool) -> None:
        drawn = self.nodes[node]
        drawn["grad"].set_visible(True)
        drawn["grad"].set_text(text)
        drawn["so_far"].set_visible(partial)
        drawn["so_far"].set_text(self.trace["so_far"])

    def bake(self, since: int, until: int) -> None:
        """Only what events ``since`` … ``until`` − 1 finished with: their edges done, the gradients made final."""
        self._hide()
        events = self.trace["events"]
        for e in events[since:until]:
            self._edge(self.trace["edges"][e["edge"]], "done")
        grads = gradients_shown(self.trace, until)
        for node, played in self._final_at().items():
            if since < played <= until:
                self._sum(node, grads[node][0], False)

    def show(self, shown: int | None, baked: int = 0) -> None:
        """The graph after ``shown`` events (0: the forward pass done) over a background that has ``baked`` of them
        baked in (``bake``); None: nothing of the graph (the background is not shown either)."""
        self._hide()
        if shown is None:
            return
        events = self.trace["events"]
        active = events[shown - 1] if shown > 0 else None
        for e in events[baked:shown]:
            self._edge(self.trace["edges"][e["edge"]], "active" if e is active else "done")
        final = self._final_at()
        for node, (text, partial) in gradients_shown(self.trace, shown).items():
            if final.get(node, len(events) + 1) > baked:
                self._sum(node, text, partial)
        if active:
            for node, colour in ((active["target"], BAD), (active["source"], GOOD_INK)):
                self.nodes[node]["ring"].set_visible(True)
                self.nodes[node]["ring"].set_edgecolor(colour)

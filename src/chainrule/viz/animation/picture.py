"""One figure that shows any frame of a ``Story``: a title above, the graph or the descent, the caption below.

The figure is made once. What never changes in a panel (the graph's boxes,
names, values and grey edges; the chart's axes and the faint whole descent)
is drawn once and kept as the pixels of the whole figure, its *background*.
As the backward pass goes on, what it has finished with is baked into the
graph's background too (``GraphPanel.bake``: an edge crossed, a gradient
final). A frame shows the right background and sets the few artists drawn
over it (the active edge, the sums still moving, the title, the caption, the
descent so far). So a frame costs a redraw of what it changes, and the
writers get, from matplotlib's ordinary ``savefig``, the same pixels for the
GIF, the MP4 and the HTML page. Frames are drawn in order; one asked for out
of order is drawn all the same (the graph's background is baked again from
the start).

Sizes follow the frame: the caption's text is about a thirty-second of the
height (within ``TEXT_PX``), the title a little larger; the graph takes the
room between them at the scale its layout fits (``GraphPanel``).
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from .descent_panel import DescentPanel
from .graph_panel import INK, GraphPanel
from .limits import Size
from .story import DESCENT, Frame, Story

__all__ = ["Picture", "DPI", "palette"]

DPI = 100  # 1 inch = 100 px: a frame of Size(w, h) is a figure of w/100 × h/100 inches
TEXT_PX = (9.0, 20.0)  # the caption's text, least and most
MAX_CAPTION_LINES = 8
CAPTION_FONT = "DejaVu Sans"
CHAR_EM = 0.6  # a character of the caption's font, on average, in ems: how many fit a line


class Picture:
    """The figure of ``story``'s frames at ``size``."""

    def __init__(self, story: Story, size: Size):
        self.story, self.size = story, size
        self.figure = Figure(figsize=(size.width / DPI, size.height / DPI), dpi=DPI, facecolor="#ffffff")
        self.canvas = FigureCanvasAgg(self.figure)
        text_px = min(max(min(size.width / 60, size.height / 32), TEXT_PX[0]), TEXT_PX[1])
        font_pt = text_px * 72 / DPI
        margin = 1.2 * text_px
        self.width_chars = max(20, int((size.width - 2 * margin) / (CHAR_EM * text_px)))
        self.caption_lines = min(max(len(self._lines(f)) for f in story.frames), MAX_CAPTION_LINES)
        line_px, title_px = 1.45 * text_px, 2.2 * text_px
        caption_px = self.caption_lines * line_px + margin

        def at(px: float, py: float) -> tuple[float, float]:
            """Pixels from the top left as the figure's fractions (from the bottom left)."""
            return px / size.width, 1 - py / size.height

        self.title = self.figure.text(*at(margin, title_px / 2), "", ha="left", va="center", fontsize=1.15 * font_pt,
                                      weight="bold", color=INK, family=CAPTION_FONT)
        self.caption = [self.figure.text(*at(margin, size.height - caption_px + margin / 2 + (k + 0.5) * line_px), "",
                                         ha="left", va="center", fontsize=font_pt, color=INK, family=CAPTION_FONT)
                        for k in range(self.caption_lines)]
        self.rule = self.figure.add_artist(Line2D([0, 1], [at(0, title_px)[1]] * 2, transform=self.figure.transFigure,
                                             color="#d9dee5", lw=1))
        middle = (margin, title_px + margin / 2, size.width - 2 * margin, size.height - title_px - caption_px - margin)
        self.graph = GraphPanel(self.figure, story.trace, middle, DPI)
        self.descent = (DescentPanel(self.figure, story.curves, story.trace["cost_name"], middle, font_pt)
                        if story.curves else None)
        self.graph_background = self._background(self.graph.axes)
        self.static_pixels = self.graph_background.pixels
        self.baked = 0  # the events of the backward pass baked into the graph's background
        self.descent_background = self._background(self.descent.axes) if self.descent is not None else None
        self.rule.set_visible(False)  # it is in the backgrounds

    def _background(self, axes):
        """``axes`` and the title's rule alone, drawn once: an image of the whole figure, shown under a frame."""
        for artist in [*self.figure.axes, *self.figure.artists]:
            artist.set_visible(False)
        axes.set_visible(True)
        self.rule.set_visible(True)
        self.canvas.draw()
        pixels = np.asarray(self.canvas.buffer_rgba()).copy()
        axes.set_visible(False)
        return self.figure.add_artist(Background(pixels))

    def _bake(self, until: int) -> None:
        """The graph's background with the first ``until`` events of the backward pass baked in."""
        if until < self.baked:  # a frame out of order: from the start again
            self.graph_background.pixels, self.baked = self.static_pixels, 0
        if until == self.baked:
            return
        for text in [self.title, *self.caption]:
            text.set_text("")
        if self.descent is not None:
            self.descent.show(None)
            self.descent_background.set_visible(False)
        self.graph_background.set_visible(True)
        self.graph.bake(self.baked, until)
        self.canvas.draw()
        self.graph_background.pixels = np.asarray(self.canvas.buffer_rgba()).copy()
        self.baked = until

    def _lines(self, frame: Frame) -> list[str]:
        """The caption's lines, each wrapped to the frame's width."""
        out = []
        for line in frame.caption:
            out += textwrap.wrap(line, self.width_chars, subsequent_indent="    ") or [""]
        return out

    def show(self, frame: Frame) -> None:
        """Set every artist to ``frame``."""
        descent = frame.kind == DESCENT
        if not descent:
            self._bake(max(0, frame.shown - 1))  # all but the active edge: what the frames before finished with
        self.title.set_text(frame.title)
        lines = self._lines(frame)
        if len(lines) > self.caption_lines:
            lines = lines[:self.caption_lines - 1] + [lines[self.caption_lines - 1].rstrip() + " …"]
        for text, line in zip(self.caption, lines + [""] * self.caption_lines):
            text.set_text(line)
        self.graph_background.set_visible(not descent)
        if self.descent_background is not None:
            self.descent_background.set_visible(descent)
        self.graph.show(None if descent else frame.shown, self.baked)
        if self.descent is not None:
            self.descent.show(frame.at if descent else None)

    def png(self) -> bytes:
        """The frame as it stands, as a PNG of 256 colours (``palette``: a third of the bytes of full colour, and an
        HTML page carries every frame)."""
        self.canvas.draw()
        width, height = self.canvas.get_width_height()
        out = io.BytesIO()
        palette(Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)).save(out, "PNG")
        return out.getvalue()


def palette(image: Image.Image) -> Image.Image:
    """A frame in 256 colours: its flat colours and anti-aliased text fit them (Pillow's fast octree, a tenth of the
    time of its default median cut)."""
    return image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)


class Background(Artist):
    """A whole figure's pixels, drawn as they are (no resampling: matplotlib's images would resample each frame)."""

    zorder = 0

    def __init__(self, pixels: np.ndarray):
        super().__init__()
        self.pixels = pixels

    def draw(self, renderer) -> None:
        if not self.get_visible():
            return
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, self.pixels[::-1])
        gc.restore()

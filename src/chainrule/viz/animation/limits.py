"""How large an animation may be: whatever it is asked for, its frames, pixels, time and memory are bounded.

An animation is one frame per picture: the forward pass, one frame per edge
of the backward pass, one per step of the descent. Each frame is a picture of
``width × height`` pixels; the GIF writer holds every frame in memory before
it encodes them (a byte a pixel, in 256 colours), and drawing, reducing and
encoding a frame take time in proportion to its pixels. So one budget
bounds both:

    frames × width × height  ≤  ``MAX_PIXELS``

with at most ``MAX_EDGES`` edges (one frame each: every edge is shown, none
skipped) and at most ``MAX_DESCENT_FRAMES`` frames of descent (a longer
descent shows evenly spaced steps, its first and last among them, and says
so). A size asked for that breaks the budget is refused, naming a size that
fits; the size chosen when none is asked for always fits.

The chosen size draws the graph at the step-through page's own scale (one
pixel of its layout to one pixel of the picture), inside the bounds of
``WIDTH`` and ``HEIGHT`` and the budget.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ...errors import InvalidValueError

__all__ = ["Size", "parse_size", "check_fps", "check_frames", "fitting_size", "WIDTH", "HEIGHT", "FPS",
           "MAX_EDGES", "MAX_DESCENT_FRAMES", "MAX_PIXELS"]

WIDTH = (320, 1920)  # px: the least and the most
HEIGHT = (240, 1080)
FPS = (0.25, 30.0)  # frames per second: one frame every 4 s at the slowest (time to read a step), video's 30 at most
DEFAULT_FPS = 1.0  # a second an edge: time to read its numbers
MAX_EDGES = 300  # the longest backward pass an animation plays (the explorer's step-through shows at most as many)
MAX_DESCENT_FRAMES = 60
MAX_PIXELS = 80_000_000  # frames × width × height: 80 MB of frames held by the GIF writer at the most
# Room around the graph in the chosen size: the title above, the caption of up to six lines below, margins.
TITLE_PX = 40
CAPTION_PX = 150
MARGIN_PX = 24


@dataclass(frozen=True)
class Size:
    """A frame's size in pixels."""

    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


def _allowed() -> str:
    return f"WIDTHxHEIGHT with a width from {WIDTH[0]} to {WIDTH[1]} and a height from {HEIGHT[0]} to {HEIGHT[1]} pixels"


def parse_size(text: str) -> Size:
    """'960x540' → Size(960, 540); anything else, or a size out of bounds, is refused with what is allowed."""
    m = re.fullmatch(r"\s*(\d{1,5})\s*[x×]\s*(\d{1,5})\s*", text)
    if not m:
        raise InvalidValueError(f"size {text!r} is not WIDTHxHEIGHT; allowed: {_allowed()}, such as 960x540")
    size = Size(int(m.group(1)), int(m.group(2)))
    if not (WIDTH[0] <= size.width <= WIDTH[1] and HEIGHT[0] <= size.height <= HEIGHT[1]):
        raise InvalidValueError(f"size {size} is out of range; allowed: {_allowed()}")
    return size


def check_fps(fps: float) -> float:
    """A finite number of frames per second within ``FPS``."""
    if not isinstance(fps, (int, float)) or isinstance(fps, bool) or not math.isfinite(fps) or not FPS[0] <= fps <= FPS[1]:
        raise InvalidValueError(f"fps = {fps!r} is out of range; allowed: a number from {FPS[0]} to {FPS[1]} frames a second")
    return float(fps)


def check_frames(size: Size, frames: int) -> None:
    """Refuse ``frames`` frames of ``size`` beyond the budget, naming the largest size of that shape that fits."""
    if frames * size.pixels <= MAX_PIXELS:
        return
    shrink = math.sqrt(MAX_PIXELS / (frames * size.pixels))
    fits = _even(Size(max(WIDTH[0], int(size.width * shrink)), max(HEIGHT[0], int(size.height * shrink))))
    raise InvalidValueError(
        f"size {size} for {frames} frames is {frames * size.pixels:,} pixels in all; allowed: at most {MAX_PIXELS:,} "
        f"(frames × width × height), such as --size {fits}")


def _even(size: Size) -> Size:
    """The size with an even width and height (a video's H.264 needs them), rounded down."""
    return Size(size.width - size.width % 2, size.height - size.height % 2)


def fitting_size(graph_width: float, graph_height: float, frames: int) -> Size:
    """The size that draws a graph of the layout's ``graph_width × graph_height`` px at its own scale, when it fits.

    Around the graph: the title, the caption and margins. Within ``WIDTH``
    and ``HEIGHT``; shrunk, keeping its shape, until ``frames`` frames fit
    the budget; even, so that the same size serves a video too.
    """
    width = min(max(graph_width + 2 * MARGIN_PX, 960), WIDTH[1])
    height = min(max(graph_height + TITLE_PX + CAPTION_PX + MARGIN_PX, 540), HEIGHT[1])
    budget = MAX_PIXELS / max(frames, 1)
    if width * height > budget:
        shrink = math.sqrt(budget / (width * height))
        width, height = max(WIDTH[0], width * shrink), max(HEIGHT[0], height * shrink)
    return _even(Size(int(width), int(height)))

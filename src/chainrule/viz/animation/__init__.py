"""The backward pass to take away: the step-through as a film (GIF, MP4) or one offline HTML page.

A teacher who wants backpropagation in their own slides, video or course
page takes the explorer's step-through with them: the same trace
(``chainrule.stepthrough``), edge by edge, each frame the state the page
shows after one more click, then the lesson's descent, the cost falling step
by step.

* ``story.py``: what each frame shows, as data (``tell``): the forward pass,
  one frame per edge in the backward order, one per step of the descent;
* ``limits.py``: the bounds of every animation (frames, size, frames per
  second; frames × pixels within one budget) and the size chosen when none is;
* ``graph_panel.py``, ``descent_panel.py``, ``picture.py``: the figure,
  drawn with matplotlib, that shows any frame;
* ``html.py``: the self-contained page that plays the frames offline;
* ``gif.py``: matplotlib's GIF writer, its frames kept in 256 colours;
* ``writers.py``: the file, its suffix choosing GIF, MP4 or HTML.

The data comes from above (``chainrule animate`` reads a lesson's trace and
its descent); nothing here imports a lesson or the step-through.
"""

from .limits import FPS, HEIGHT, MAX_DESCENT_FRAMES, MAX_EDGES, MAX_PIXELS, WIDTH, Size, fitting_size, parse_size
from .story import DESCENT, EDGE, FORWARD, Curve, Frame, Point, Story, tell
from .writers import FORMATS, Written, check_writer, file_format, write

__all__ = ["tell", "write", "check_writer", "file_format", "fitting_size", "parse_size", "Story", "Frame", "Curve",
           "Point", "Size", "Written", "FORMATS", "FORWARD", "EDGE", "DESCENT", "FPS", "WIDTH", "HEIGHT",
           "MAX_EDGES", "MAX_DESCENT_FRAMES", "MAX_PIXELS"]

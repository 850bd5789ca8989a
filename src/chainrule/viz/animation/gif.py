"""matplotlib's GIF writer with each frame reduced to 256 colours as it is grabbed.

A GIF holds at most 256 colours a frame. matplotlib's ``PillowWriter`` keeps
each frame in full colour and leaves the reduction to Pillow when the file is
saved, by median cut: most of the time of a whole film. The frames here are
flat colours and anti-aliased text, which Pillow's fast octree keeps as well
in a tenth of the time (``picture.palette``, the HTML page's frames too), and
a frame of one byte a pixel takes a third of the memory of one in full colour.
Everything else (setting the film up, grabbing each frame with ``savefig``,
one frame every 1/fps seconds, looping) is ``PillowWriter``'s.
"""

from __future__ import annotations

import io

from matplotlib.animation import PillowWriter
from PIL import Image

from .picture import palette

__all__ = ["GifWriter"]


class GifWriter(PillowWriter):
    """``PillowWriter``, its frames kept in 256 colours."""

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi=dpi)
        self.frames: list[Image.Image] = []

    def grab_frame(self, **savefig_kwargs):
        buf = io.BytesIO()
        self.fig.savefig(buf, **{**savefig_kwargs, "format": "rgba", "dpi": self.dpi})
        self.frames.append(palette(Image.frombuffer("RGBA", self.frame_size, buf.getbuffer(), "raw", "RGBA", 0, 1)))

    def finish(self):
        first, *rest = self.frames
        first.save(self.outfile, save_all=True, append_images=rest, duration=int(1000 / self.fps), loop=0)

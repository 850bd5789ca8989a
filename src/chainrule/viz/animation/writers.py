"""An animation written to a file, the file's suffix choosing how: a GIF, an MP4, or one offline HTML page.

* ``.gif``: matplotlib's ``PillowWriter`` (Pillow comes with matplotlib),
  looping, one frame every 1/fps seconds, each frame reduced to its 256
  colours as it is grabbed (``picture.palette``), not by Pillow's slower
  default when the GIF is saved;
* ``.mp4``: matplotlib's ``FFMpegWriter``, H.264, when the program ffmpeg is
  installed (``MissingDependencyError`` says how to get it when it is not,
  before anything is drawn);
* ``.html``: one page that plays offline (``html.page``), the frames as PNGs
  inside it.

Every format draws the same figure (``picture.Picture``), frame by frame, so
the three show the same pictures. The frames' count and size are checked
against the budget (``limits``) before the first is drawn.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from ...errors import InvalidValueError, MissingDependencyError
from .html import page
from .limits import Size, check_fps, check_frames
from .story import Story

__all__ = ["FORMATS", "Written", "file_format", "check_writer", "write"]

FORMATS = {".gif": "gif", ".mp4": "mp4", ".html": "html"}
FFMPEG_HINT = "install it (Debian/Ubuntu: apt install ffmpeg; macOS: brew install ffmpeg), or write a .gif or .html"


@dataclass(frozen=True)
class Written:
    """What was written: the file, its format, its frames, its size in pixels and in bytes."""

    path: str
    format: str
    frames: int
    size: Size
    fps: float
    bytes: int


def file_format(path: str) -> str:
    """'gif', 'mp4' or 'html' from the file's suffix; any other suffix is refused."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise InvalidValueError(f"cannot write {path!r}: the file must end in {', '.join(FORMATS)}")
    return FORMATS[ext]


def check_writer(path: str, size: Size | None = None) -> str:
    """The file's format, once what writes it is known to be there: ffmpeg for an MP4 (even sizes, as H.264 needs)."""
    fmt = file_format(path)
    if fmt == "mp4":
        from matplotlib.animation import FFMpegWriter  # deferred: matplotlib loads only for a film

        if not FFMpegWriter.isAvailable():
            raise MissingDependencyError(f"an MP4 needs the program ffmpeg, which is not installed; {FFMPEG_HINT}")
        if size is not None and (size.width % 2 or size.height % 2):
            raise InvalidValueError(f"size {size}: an MP4 (H.264) needs an even width and height, such as "
                                    f"{size.width - size.width % 2}x{size.height - size.height % 2}")
    return fmt


def write(story: Story, path: str, size: Size, fps: float, start: int = 0, source: str = "") -> Written:
    """Draw every frame of ``story`` at ``size`` and write them to ``path`` (its suffix picks the format).

    ``start``: the frame an HTML page opens on (a GIF or MP4 plays from the
    first); ``source``: what the film was made from, said on the HTML page.
    """
    fmt = check_writer(path, size)
    fps = check_fps(fps)
    check_frames(size, len(story.frames))
    from .picture import DPI, Picture  # deferred: matplotlib loads only when frames are drawn

    picture = Picture(story, size)
    if fmt == "html":
        images = []
        for frame in story.frames:
            picture.show(frame)
            images.append(picture.png())
        with open(path, "w", encoding="utf-8") as f:
            f.write(page(story, images, fps, start, source))
    else:
        from matplotlib.animation import FFMpegWriter  # deferred with the rest of matplotlib

        from .gif import GifWriter

        writer = (GifWriter(fps=fps) if fmt == "gif"
                  else FFMpegWriter(fps=fps, codec="libx264", extra_args=["-pix_fmt", "yuv420p"]))
        try:
            with writer.saving(picture.figure, path, dpi=DPI):
                for frame in story.frames:
                    picture.show(frame)
                    writer.grab_frame()
        except subprocess.CalledProcessError as exc:  # ffmpeg refused: say so in one line, as any failed write
            raise OSError(f"ffmpeg could not write {path!r} (exit status {exc.returncode})") from None
    return Written(path, fmt, len(story.frames), size, fps, os.path.getsize(path))

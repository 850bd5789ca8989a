"""Reading a file that a person names: a regular file only, bounded while it is read, one clear line if not.

Every file chainrule reads because someone named it (a class's answers, a
list of names, a CSV file of points, a checkpoint) goes through here, so all
of them are refused in the same words for the same reasons:

* **only a regular file.** It is opened without blocking (``O_NONBLOCK``),
  then ``fstat`` of the *open* file says what it is: a named pipe would
  block a read until someone writes to it (forever), a device such as
  ``/dev/zero`` never ends, a folder has no text. Each is refused at once,
  naming what it is. Asking first and opening afterwards would leave a gap
  in which the path could be swapped; asking the open file leaves none.
* **a size cap checked while reading.** ``os.path.getsize`` is 0 for a
  device and can change while the file grows, so it is never trusted: at
  most ``max_bytes + 1`` bytes are read, and one byte too many is a refusal.
  Memory is bounded by the cap whatever the file is.
* **text is UTF-8** (a spreadsheet's byte-order mark is dropped) **and no
  line is longer than** ``max_line`` characters, so a one-line file of
  megabytes cannot make every later message or table quote it.

A refusal is an ``InvalidValueError`` of one line that names the path and
says what is allowed; the command line prints it and exits with status 2.
Messages never quote the file's content.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from .errors import InvalidValueError

__all__ = ["open_regular", "read_bytes", "read_text", "MAX_LINE_CHARS"]

# The longest line a text file of ours may hold (a CSV row, a name, a JSON file of answers on one line).
MAX_LINE_CHARS = 1_000_000


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a plain file"


def open_regular(path: str | os.PathLike, what: str = "") -> BinaryIO:
    """``path`` opened for reading in binary, if it is a regular file; otherwise one clear line, at once.

    ``what`` names the file's role in messages ("checkpoint" gives "cannot read checkpoint 'x.npz': ...").
    """
    where = os.fspath(path)
    label = f"{what} {where!r}" if what else repr(where)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(where, flags)
    except FileNotFoundError:
        raise InvalidValueError(f"cannot read {label}: no such file") from None
    except IsADirectoryError:
        raise InvalidValueError(f"cannot read {label}: it is a folder") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise InvalidValueError(f"cannot read {label}: {getattr(exc, 'strerror', None) or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = _kind(mode)
        if kind == "a folder":
            raise InvalidValueError(f"cannot read {label}: it is a folder")
        raise InvalidValueError(f"cannot read {label}: it is {kind}, not a regular file")
    return os.fdopen(fd, "rb")


def read_bytes(path: str | os.PathLike, max_bytes: int, what: str = "") -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them (the cap is checked as it reads)."""
    where = os.fspath(path)
    label = f"{what} {where!r}" if what else repr(where)
    with open_regular(where, what) as f:
        try:
            data = f.read(max_bytes + 1)
        except OSError as exc:
            raise InvalidValueError(f"cannot read {label}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InvalidValueError(f"{label} is larger than {max_bytes:,} bytes; allowed: at most {max_bytes:,}")
    return data


def read_text(path: str | os.PathLike, max_bytes: int, what: str = "", max_line: int = MAX_LINE_CHARS) -> str:
    """The UTF-8 text of the regular file ``path`` (at most ``max_bytes`` bytes, no line over ``max_line`` characters).

    A byte-order mark (as spreadsheets write) is dropped; line ends are kept as they are.
    """
    where = os.fspath(path)
    label = f"{what} {where!r}" if what else repr(where)
    data = read_bytes(where, max_bytes, what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValueError(f"{label} is not UTF-8 text") from None
    if len(text) > max_line:
        for number, line in enumerate(text.splitlines(), start=1):
            if len(line) > max_line:
                raise InvalidValueError(f"{label}: line {number} is longer than {max_line:,} characters; "
                                        f"allowed: at most {max_line:,} a line")
    return text

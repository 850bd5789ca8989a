"""Your own 2-D points from CSV text: one point a line, ``x, y, label``.

The playground (pasted or uploaded points) and ``chainrule train --data FILE.csv``
read points with this one module, so a file is accepted or refused in the same
words everywhere.

The format::

    # a comment; blank lines are skipped too
    x, y, label          <- an optional header (the first line, if it is not numbers)
    0.5, -1.25, 1
    -0.3, 0.8, 0

* ``x`` and ``y``: finite numbers (``1e-3`` is fine, ``nan`` and ``inf`` are
  not), within ``±coord_limit`` when one is given;
* ``label``: for classification a class number, a whole number from 0 to
  ``classes − 1`` (``1`` or ``1.0``; never ``1.5`` or ``yes``); for
  regression the target value, a finite number within ``±target_limit``.

Reading is bounded: a file must be a regular file and is read at most
``max_bytes`` bytes far (``files``), text at most ``max_bytes`` characters and
``max_points`` points. Every bad line is named with its number and what is
wrong with it, one line of text each (the first ``MAX_REPORTED`` of them,
then how many more), and ``CsvError`` carries them all as ``(line, message)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from dataclasses import dataclass

import numpy as np

from .errors import InvalidValueError
from .files import read_bytes

__all__ = ["Points", "CsvError", "parse_points", "read_points", "to_csv", "KINDS", "MAX_REPORTED"]

KINDS = ("classification", "regression")
# How many bad lines an error message lists before it says "and N more".
MAX_REPORTED = 20
# The defaults of the command line: the playground passes its own, smaller bounds.
DEFAULT_MAX_POINTS = 1_000_000
DEFAULT_MAX_BYTES = 64_000_000


@dataclass(frozen=True)
class Points:
    """Points read from CSV: ``X`` (n, 2) floats, ``labels`` (n,) ints (classes) or floats (targets)."""

    X: np.ndarray
    labels: np.ndarray
    kind: str
    sha256: str = ""  # of the file's bytes, when read from a file (``read_points``)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def classes(self) -> list[int]:
        """The class numbers present (classification only)."""
        return sorted({int(c) for c in self.labels}) if self.kind == "classification" else []

    def rows(self) -> list[list[float]]:
        """[[x, y, label], ...] as JSON-ready numbers (labels as ints for classification)."""
        cast = int if self.kind == "classification" else float
        return [[float(x), float(y), cast(c)] for (x, y), c in zip(self.X, self.labels)]


class CsvError(InvalidValueError):
    """CSV text that cannot be read as points. ``problems``: every ``(line number, message)`` found."""

    def __init__(self, problems: list[tuple[int, str]], source: str = "CSV"):
        self.problems = problems
        self.source = source
        shown = "; ".join(f"line {n}: {m}" if n else m for n, m in problems[:3])
        more = len(problems) - 3
        super().__init__(f"{source}: {shown}" + (f" (and {more} more bad lines)" if more > 0 else ""))


def _number(text: str, what: str) -> float:
    """A finite number written in ``text``, or ValueError saying what ``what`` must be."""
    stripped = text.strip()
    try:
        x = float(stripped)
    except ValueError:
        raise ValueError(f"{what} {stripped!r} is not a number" if stripped else f"{what} is empty") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} {stripped!r} is not a finite number")
    return x


def _within(x: float, limit: float | None, what: str, text: str) -> None:
    if limit is not None and not -limit <= x <= limit:
        raise ValueError(f"{what} {text.strip()} is outside the allowed range; allowed: {-limit:g} to {limit:g}")


def _label(text: str, kind: str, classes: int, target_limit: float | None) -> float | int:
    if kind == "regression":
        y = _number(text, "the target value")
        _within(y, target_limit, "the target value", text)
        return y
    allowed = ", ".join(str(k) for k in range(classes)) if classes <= 10 else f"0 to {classes - 1}"
    stripped = text.strip()
    try:
        y = float(stripped)
    except ValueError:
        y = math.nan
    if not math.isfinite(y) or y != int(y) or not 0 <= y < classes:
        shown = repr(stripped) if stripped else "empty"
        raise ValueError(f"the label {shown} is not a class; allowed: {allowed}")
    return int(y)


def _is_header(fields: list[str]) -> bool:
    """A first line of names (``x, y, label``) rather than numbers."""
    def numeric(f):
        try:
            float(f)
            return True
        except ValueError:
            return False
    return len(fields) == 3 and not any(numeric(f) for f in fields) and all(f.strip() for f in fields)


def parse_points(text: str, *, kind: str = "classification", classes: int = 2, max_points: int = DEFAULT_MAX_POINTS,
                 max_bytes: int = DEFAULT_MAX_BYTES, coord_limit: float | None = None,
                 target_limit: float | None = None, source: str = "CSV") -> Points:
    """The points in CSV ``text``; ``CsvError`` naming every bad line (see the module docstring)."""
    if kind not in KINDS:
        raise InvalidValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(text, str):
        raise InvalidValueError(f"{source}: the points must be text, got {type(text).__name__}")
    if len(text) > max_bytes:
        raise CsvError([(0, f"{len(text):,} characters is too long; allowed: at most {max_bytes:,}")], source)
    xs, labels, problems = [], [], []
    header_allowed = True
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        fields = content.split(",")
        if header_allowed and _is_header(fields):
            header_allowed = False
            continue
        header_allowed = False
        if len(fields) != 3:
            problems.append((number, f"{len(fields)} values; allowed: exactly 3 separated by commas: x, y, label"))
            continue
        try:
            x = _number(fields[0], "x")
            _within(x, coord_limit, "x", fields[0])
            y = _number(fields[1], "y")
            _within(y, coord_limit, "y", fields[1])
            label = _label(fields[2], kind, classes, target_limit)
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        if len(labels) >= max_points:
            problems.append((number, f"more than {max_points:,} points; allowed: at most {max_points:,}"))
            break
        xs.append((x, y))
        labels.append(label)
    if problems:
        raise CsvError(problems, source)
    if not labels:
        raise CsvError([(0, "no points found; allowed: one point a line, x, y, label")], source)
    dtype = np.int64 if kind == "classification" else np.float64
    return Points(np.array(xs, dtype=np.float64), np.array(labels, dtype=dtype), kind)


def read_points(path: str | os.PathLike, **bounds) -> Points:
    """The points in the CSV file at ``path``: a regular file, bounded while it is read (``files.read_bytes``).

    ``Points.sha256`` is the digest of the bytes read: what a checkpoint records to know its data again.
    """
    source = os.fspath(path)
    data = read_bytes(source, bounds.get("max_bytes", DEFAULT_MAX_BYTES), "points file")
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's byte-order mark is not part of x
    except UnicodeDecodeError:
        raise CsvError([(0, "not UTF-8 text; allowed: a text file of lines x, y, label")], source) from None
    points = parse_points(text, source=source, **bounds)
    return dataclasses.replace(points, sha256=hashlib.sha256(data).hexdigest())


def to_csv(points: Points) -> str:
    """The points as CSV text with a header, which ``parse_points`` reads back exactly (shortest repr)."""
    lines = ["x,y,label"]
    for x, y, c in points.rows():
        lines.append(f"{x!r},{y!r},{c!r}")
    return "\n".join(lines) + "\n"

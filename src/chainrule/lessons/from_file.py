"""A teacher's lesson from a Python file: run the file, find its one ``@lesson``, register it.

The file is the user's own code, run in their own process as ``python
FILE`` would run it (``chainrule lesson --file FILE``, or ``serve
--lesson-file FILE`` at start-up): the explorer never accepts code over HTTP.
It is read through ``chainrule.files`` like every file chainrule opens (a
regular file, at most ``MAX_BYTES``), so a FIFO or a device cannot hang the
command. Whatever goes wrong is one ``LessonFileError`` line naming the file
(and the line, for an error inside it): the command line prints it and exits
with status 2.
"""

from __future__ import annotations

import os
import traceback
import types

from .. import files
from . import LESSONS, register
from .contract import Lesson
from .own import LessonFileError

__all__ = ["load_file", "MAX_BYTES"]

MAX_BYTES = 1_000_000  # a lesson file is a page of Python, not a megabyte of it


def _line(exc: BaseException, filename: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return f", line {frames[-1].lineno}" if frames else ""


def load_file(path: str) -> Lesson:
    """The lesson defined in the file ``path``, registered beside the built-in ones (see the module docstring)."""
    shown = os.fspath(path)
    where = f"lesson file {shown!r}"
    if not shown.endswith(".py"):
        raise LessonFileError(f"{where}: a lesson file is a Python file ending in .py")
    source = files.read_text(shown, MAX_BYTES, "lesson file")
    filename = os.path.abspath(shown)
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise LessonFileError(f"{where}, line {exc.lineno}: SyntaxError: {exc.msg}") from None
    module = types.ModuleType("chainrule_lesson_file")
    module.__file__ = filename
    try:
        exec(code, module.__dict__)  # the user's own file, run as `python FILE` would run it
    except LessonFileError as exc:  # raised by @lesson: already says which lesson and what is wrong
        raise LessonFileError(f"{where}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's code: any error is one line with its place
        raise LessonFileError(f"{where}{_line(exc, filename)}: {type(exc).__name__}: {exc}") from None
    found = [v for v in vars(module).values() if isinstance(v, Lesson) and v.source == filename]
    if not found:
        raise LessonFileError(f"{where} defines no lesson: decorate the function that returns the cost with "
                              "@lesson(\"a title\") (from chainrule import lesson, parameter)")
    if len(found) > 1:
        raise LessonFileError(f"{where} defines {len(found)} lessons ({', '.join(v.name for v in found)}); "
                              "one lesson per file")
    lesson = found[0]
    if lesson.name in LESSONS and LESSONS[lesson.name].source != filename:
        raise LessonFileError(f"{where}: a lesson called {lesson.name!r} exists already; rename the function or "
                              "name it with @lesson(..., name=\"another-name\")")
    return register(lesson)

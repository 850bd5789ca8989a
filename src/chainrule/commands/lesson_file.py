"""``--file FILE.py``: any lesson command run on a teacher's own lesson instead of a built-in one.

``chainrule lesson --file tanh_neuron.py --x 0.7`` is ``chainrule lesson
tanh_neuron --x 0.7`` once the file's lesson is registered
(``chainrule.lessons.from_file``): before the command line is parsed, the
file is run, its lesson joins the ladder for this process, and ``--file
FILE`` is replaced by the lesson's name right after the command, where
every lesson command takes it. So the lesson's own options (its keyword
defaults) and every option of the command work as for a built-in lesson.
"""

from __future__ import annotations

import argparse

from ..errors import InvalidValueError

# The commands that take a lesson and so take --file.
COMMANDS = ("lesson", "exercise", "worksheet", "slides", "graph", "code", "check", "animate")
FLAG = "--file"
HELP = "a lesson of your own: a Python file with one @lesson function (see docs/own-lesson.md)"


def add_file_option(parser: argparse.ArgumentParser) -> None:
    """``--file FILE.py`` in the command's help (``take_file`` has already replaced it when a command runs)."""
    parser.add_argument(FLAG, metavar="FILE.py", help=HELP)


def _found(argv: list[str]) -> tuple[int, str] | None:
    """(position, path) of ``--file PATH`` / ``--file=PATH`` in ``argv``, or None."""
    hits = [k for k, arg in enumerate(argv) if arg == FLAG or arg.startswith(FLAG + "=")]
    if not hits:
        return None
    if len(hits) > 1:
        raise InvalidValueError(f"{FLAG} is given {len(hits)} times; one lesson file at a time")
    k = hits[0]
    if argv[k] == FLAG:
        if k + 1 >= len(argv) or argv[k + 1].startswith("-"):
            raise InvalidValueError(f"{FLAG} needs a file: {FLAG} my_lesson.py")
        return k, argv[k + 1]
    return k, argv[k][len(FLAG) + 1:]


def take_file(argv: list[str]) -> list[str]:
    """``argv`` with ``--file FILE`` replaced by the name of the lesson FILE defines, right after the command."""
    command = next((k for k, arg in enumerate(argv) if not arg.startswith("-")), None)
    if command is None or argv[command] not in COMMANDS:
        return argv
    found = _found(argv[command + 1:])
    if found is None:
        return argv
    position, path = found
    from ..lessons.from_file import load_file  # runs the file: only when a command is given one

    lesson = load_file(path)
    rest = argv[command + 1:]
    width = 2 if rest[position] == FLAG else 1
    rest = rest[:position] + rest[position + width:]
    return argv[:command + 1] + [lesson.name] + rest

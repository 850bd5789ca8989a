"""``chainrule lesson NAME``: one rung of the ladder, built, trained and explained with your numbers.

Each lesson's options come from its declared parameters (``Lesson.params``, see
``chainrule.params``); this command adds ``--format text|markdown|json`` to
every lesson and ``--plot FILE`` to those that draw. ``chainrule lesson
--list`` lists the lessons.
"""

from __future__ import annotations

import argparse
import sys

from .. import lessons
from .options import add_format, add_params, output_file
from .lesson_file import add_file_option
from .output import emit


def add_lesson_arguments(parser: argparse.ArgumentParser, module) -> None:
    """The options of one lesson: its parameters, --format, and --plot when it draws."""
    add_params(parser, module.params)
    add_format(parser)
    if module.plots:
        parser.add_argument("--plot", metavar="FILE", type=output_file(".png", ".svg"),
                            help="draw the lesson's picture (PNG or SVG)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="list the lessons, one line each")
    add_file_option(parser)
    sub = parser.add_subparsers(dest="lesson", metavar="NAME", parser_class=type(parser))
    for name, module in lessons.LESSONS.items():
        add_lesson_arguments(sub.add_parser(name, help=module.summary, description=module.summary), module)


def list_lines() -> list[str]:
    width = max(len(name) for name in lessons.LESSONS)
    return [f"{name:<{width}}  {module.summary}" for name, module in lessons.LESSONS.items()]


def _progress():
    """A progress bar on stderr for the lessons that take a while (only on a terminal): ``(callback, bar)``."""
    # rich (about 80 ms) only for these lessons: the others, and every --format json, print without it
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    err = Console(stderr=True)
    bar = Progress(TextColumn("measuring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                   transient=True, disable=not err.is_terminal)
    task = bar.add_task("lesson", total=None)
    return (lambda done, total: bar.update(task, completed=done, total=total)), bar


def run(args: argparse.Namespace) -> int:
    if getattr(args, "list", False) or not args.lesson:
        print("\n".join(list_lines()))
        if not getattr(args, "list", False):
            print("\nRun: chainrule lesson NAME [--format text|markdown|json]", file=sys.stderr)
        return 0
    module = lessons.load(args.lesson)
    params = {p.name: getattr(args, p.name) for p in module.params}
    if module.reports_progress:  # a lesson that measures, and takes a while
        callback, bar = _progress()
        with bar:
            result = module.train(progress=callback, **params)
    else:
        result = module.train(**params)
    plot = getattr(args, "plot", None)
    if plot:
        module.plot(result, plot)
    emit(module.explain(result), args.format)
    if plot and args.format == "text":
        print(f"Plot written to {plot}", file=sys.stderr)
    return 0

"""``chainrule lesson NAME``: one rung of the ladder, built, trained and explained with your numbers.

Each lesson module in ``chainrule.lessons`` brings its own options; this
command adds ``--format text|markdown|json`` to every lesson and ``--plot FILE``
to those that draw. ``chainrule lesson --list`` lists the lessons.
"""

from __future__ import annotations

import argparse
import sys

from .. import lessons
from .demo import emit
from .options import add_format, output_file

HELP = "one rung of the ladder of lessons, explained with your numbers (--list to see them)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="list the lessons, one line each")
    sub = parser.add_subparsers(dest="lesson", metavar="NAME", parser_class=type(parser))
    for name, module in lessons.available().items():
        p = sub.add_parser(name, help=module.SUMMARY, description=module.SUMMARY)
        module.add_arguments(p)
        add_format(p)
        if _draws(module):
            p.add_argument("--plot", metavar="FILE", type=output_file(".png", ".svg"), help="draw the lesson's picture (PNG or SVG)")


def _draws(module) -> bool:
    """Whether the lesson's result has a ``plot(path)``: the module says so with ``PLOTS = True`` or a result class."""
    return getattr(module, "PLOTS", None) is True or any(
        callable(getattr(obj, "plot", None)) for obj in vars(module).values() if isinstance(obj, type) and obj.__module__ == module.__name__
    )


def list_lines() -> list[str]:
    found = lessons.available()
    width = max(len(name) for name in found)
    return [f"{name:<{width}}  {module.SUMMARY}" for name, module in found.items()]


def run(args: argparse.Namespace) -> int:
    if args.list or not args.lesson:
        print("\n".join(list_lines()))
        if not args.list:
            print("\nRun: chainrule lesson NAME [--format text|markdown|json]", file=sys.stderr)
        return 0
    module = lessons.load(args.lesson)
    result = module.run(args)
    plot = getattr(args, "plot", None)
    if plot:
        result.plot(plot)
    emit(result, args.format)
    if plot and args.format == "text":
        print(f"Plot written to {plot}", file=sys.stderr)
    return 0

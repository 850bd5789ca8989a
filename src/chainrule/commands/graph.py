"""``chainrule graph LESSON --out FILE``: draw a lesson's computation graph after one backward pass.

Each box is a value (name, data, grad); each arrow an edge labelled with its
local derivative. Needs the Graphviz program ``dot``.
"""

from __future__ import annotations

import argparse
import sys

from .. import lessons
from .options import output_file

HELP = "draw a lesson's computation graph after one backward pass (SVG or PNG, needs Graphviz)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lesson", metavar="LESSON", choices=list(lessons.available()),
                        help="the lesson whose graph to draw: " + ", ".join(lessons.available()))
    parser.add_argument("--out", metavar="FILE", required=True, type=output_file(".svg", ".png"), help="the picture to write (.svg or .png)")


def default_result(name: str):
    """Lesson ``name`` run with its default options."""
    module = lessons.load(name)
    parser = argparse.ArgumentParser(add_help=False)
    module.add_arguments(parser)
    return module.run(parser.parse_args([]))


def run(args: argparse.Namespace) -> int:
    from ..viz.graph import draw

    cost = default_result(args.lesson).graph()
    draw(cost, path=args.out)
    print(f"Graph of lesson {args.lesson!r} ({len(cost.nodes())} nodes) written to {args.out}", file=sys.stderr)
    return 0

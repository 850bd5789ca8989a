"""``chainrule graph LESSON --out FILE``: draw a lesson's computation graph after one backward pass.

Each box is a value (name, data, grad); each arrow an edge labelled with its
local derivative. The graph is the lesson's own network with its default
parameters. Needs the Graphviz program ``dot``.
"""

from __future__ import annotations

import argparse
import sys

from .. import lessons
from ..viz.graph import draw  # Graphviz itself loads when drawing
from .lesson_file import add_file_option
from .options import output_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lesson", metavar="LESSON", choices=list(lessons.LESSONS),
                        help="the lesson whose graph to draw: " + ", ".join(lessons.LESSONS))
    add_file_option(parser)
    parser.add_argument("--out", metavar="FILE", required=True, type=output_file(".svg", ".png"),
                        help="the picture to write (.svg or .png)")


def run(args: argparse.Namespace) -> int:
    cost = lessons.graph(args.lesson)
    draw(cost, path=args.out)
    print(f"Graph of lesson {args.lesson!r} ({len(cost.nodes())} nodes) written to {args.out}", file=sys.stderr)
    return 0

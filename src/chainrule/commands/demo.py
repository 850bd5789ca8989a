"""``chainrule demo``: the video's example, exactly, explained with its own numbers."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console

from ..lessons import simplest
from .options import add_format, output_file

HELP = "the video's example: one weight, the chain rule with numbers, gradient descent"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    simplest.add_arguments(parser)
    add_format(parser)
    parser.add_argument("--plot", metavar="FILE", type=output_file(".png", ".svg"),
                        help="draw the cost parabola, the steps and their tangents (PNG or SVG)")


def emit(result, fmt: str) -> None:
    """Print a lesson result in the chosen format on stdout."""
    if fmt == "json":
        print(json.dumps(result.to_json(), indent=2))
    elif fmt == "markdown":
        sys.stdout.write(result.to_markdown())
    else:
        Console(highlight=False).print(result.to_text())


def run(args: argparse.Namespace) -> int:
    result = simplest.run(args)
    if args.plot:
        result.plot(args.plot)
    emit(result, args.format)
    if args.plot and args.format == "text":
        print(f"Plot written to {args.plot}", file=sys.stderr)
    return 0

"""``chainrule slides LESSON --out FILE.html``: the lesson as a self-contained slide deck, one factor per click.

The deck needs nothing but a browser: math as MathML, the plot as inline
SVG, no network (its Content-Security-Policy forbids every fetch). It uses
the lesson's own numbers, or a worksheet's with ``--seed``/``--student``.
The library side is ``chainrule.exercises.slides``.
"""

from __future__ import annotations

import argparse

from .. import lessons
from ..errors import InvalidValueError
from ..exercises.slides import deck
from .exercise import add_exercise_source, chosen_seed, lesson_parsers, settings_of
from .options import output_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for p in lesson_parsers(parser):
        add_exercise_source(p)
        p.add_argument("--out", metavar="FILE.html", required=True, type=output_file(".html", ".htm"),
                       help="the deck to write")


def run(args: argparse.Namespace) -> int:
    if not args.lesson:
        raise InvalidValueError(f"which lesson? chainrule slides LESSON --out FILE.html; lessons: {', '.join(lessons.LESSONS)}")
    module = lessons.load(args.lesson)
    html = deck(args.lesson, chosen_seed(args), settings_of(args, module))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(html)
    print(f"slides of {args.lesson} written to {args.out} ({len(html) // 1024} KiB; open it in a browser, → to advance)")
    return 0

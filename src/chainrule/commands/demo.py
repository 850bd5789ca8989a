"""``chainrule demo``: the video's example, exactly, explained with its own numbers.

It is ``chainrule lesson simplest``: the same lesson (its ``Lesson``), options and output.
"""

from __future__ import annotations

import argparse

from .. import lessons
from . import lesson


def add_arguments(parser: argparse.ArgumentParser) -> None:
    lesson.add_lesson_arguments(parser, lessons.load("simplest"))


def run(args: argparse.Namespace) -> int:
    args.lesson = "simplest"
    return lesson.run(args)

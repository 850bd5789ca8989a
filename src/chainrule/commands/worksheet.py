"""``chainrule worksheet LESSON --students 30 --out DIR``: a sheet per student and the teacher's key.

    chainrule worksheet chain --students 30 --out sheets/       student 01 … student 30
    chainrule worksheet wide --names class.txt --out sheets/    one name per line
    chainrule grade sheets/key.csv answers.csv                  then mark what they wrote

Writes DIR/NAME.md and DIR/NAME.tex for each student, DIR/key.csv (student,
question, answer, and what makes the sheet again) and DIR/answers.csv (the
same rows, answers blank), and a PDF per sheet when a LaTeX program is
installed (else one line says which it looked for). ``--seed`` is the
class's seed (printed when not given): the same names and seed give the same
sheets. The library side is ``chainrule.exercises.worksheet``.
"""

from __future__ import annotations

import argparse
import os
import random

from .. import lessons
from ..errors import InvalidValueError
from ..exercises.draw import SEED
from ..exercises.worksheet import MAX_STUDENTS, render_pdfs, student_names, worksheets, write_worksheets
from ..files import read_text
from .exercise import lesson_parsers, settings_of
from .options import int_in_range

MAX_NAMES_BYTES = 100_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for p in lesson_parsers(parser):
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--students", type=int_in_range(1, MAX_STUDENTS), metavar="N",
                         help=f"how many students (named student 01, student 02, …; 1 to {MAX_STUDENTS})")
        who.add_argument("--names", metavar="FILE", help="the students' names, one per line")
        p.add_argument("--out", metavar="DIR", required=True, help="the folder to write the sheets and the key into")
        p.add_argument("--seed", type=int_in_range(SEED.low, SEED.high), metavar="N",
                       help="the class's seed: the same names and seed give the same sheets (default: a fresh one)")


def read_names(path: str) -> list[str]:
    return read_text(path, MAX_NAMES_BYTES).splitlines()


def run(args: argparse.Namespace) -> int:
    if not args.lesson:
        raise InvalidValueError(f"which lesson? chainrule worksheet LESSON --students N --out DIR; lessons: {', '.join(lessons.LESSONS)}")
    module = lessons.load(args.lesson)
    names = student_names(args.students, read_names(args.names) if args.names else None)
    class_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(SEED.low, SEED.high + 1)
    sheets = worksheets(args.lesson, names, class_seed, settings_of(args, module))
    written = write_worksheets(sheets, args.out)
    pdfs, how = render_pdfs(sheets, args.out)
    print(f"{len(sheets)} sheets of {args.lesson} (class seed {class_seed}) in {args.out}: "
          f"{len(written) - 2} Markdown and LaTeX files, key.csv, answers.csv")
    print(how)
    print(f"mark them: chainrule grade {os.path.join(args.out, 'key.csv')} ANSWERS.csv "
          f"(fill in {os.path.join(args.out, 'answers.csv')})")
    return 0

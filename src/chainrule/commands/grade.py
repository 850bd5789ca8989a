"""``chainrule grade KEY.csv ANSWERS.csv``: mark a class's answers, per student and per question.

ANSWERS.csv has the columns student, question, answer (``chainrule
worksheet`` writes a blank one). Each answer is marked as ``chainrule
exercise --answers`` marks it: to 3 significant digits or as a formula, the
common mistakes named. Prints a summary per student and per question (the
step the class got wrong most); ``--out DIR`` also writes marks.csv (every
answer, with its diagnosis), students.csv and questions.csv. Exit code 0 when
every answer is right, 1 when some are wrong, 2 for bad input.
"""

from __future__ import annotations

import argparse
import csv
import json
import os

from ..errors import InvalidValueError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="KEY.csv", help="the key chainrule worksheet wrote")
    parser.add_argument("answers", metavar="ANSWERS.csv", help="the class's answers: student, question, answer")
    parser.add_argument("--out", metavar="DIR", help="also write marks.csv, students.csv and questions.csv here")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")


def _write(path: str, rows: list[dict]) -> None:
    from ..exercises.worksheet import safe_cell  # the exercises load sympy and numpy: see run

    with open(path, "w", encoding="utf-8", newline="") as f:
        if not rows:
            return
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: safe_cell(v) for k, v in row.items()})


def run(args: argparse.Namespace) -> int:
    # the exercises load sympy and numpy (about 0.6 s), which the options do not need: `grade --help` and a
    # mistyped option answer at once
    from ..exercises.classroom import ANSWER_COLUMNS, mark_class, read_rows
    from ..exercises.worksheet import KEY_COLUMNS
    from .exercise import Out

    marks = mark_class(read_rows(args.key, KEY_COLUMNS), read_rows(args.answers, ANSWER_COLUMNS))
    out = Out()
    if args.format == "json":
        out(json.dumps(marks.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in marks.lines():
            out(line)
    if args.out:
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise InvalidValueError(f"cannot write into {args.out!r}: it is a file, not a folder")
        os.makedirs(args.out, exist_ok=True)
        for name, rows in (("marks.csv", marks.mark_rows()), ("students.csv", marks.student_rows()),
                           ("questions.csv", marks.question_rows())):
            _write(os.path.join(args.out, name), rows)
        if args.format == "text":
            out(f"written: marks.csv, students.csv, questions.csv in {args.out}")
    return 0 if marks.all_right else 1

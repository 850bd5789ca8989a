"""A class's answers marked against a worksheet's key: per student, per question, and the step most got wrong.

    key = read_rows("key.csv", worksheet.KEY_COLUMNS)     # made by chainrule worksheet
    answers = read_rows("answers.csv", ANSWER_COLUMNS)
    marks = mark_class(key, answers)

Each student's exercise is made again from the key (lesson, seed, settings)
and checked against the key's answers first: a key edited by hand, or made
by a chainrule that computed otherwise, is refused, naming the row. Then
every student's answers are marked exactly as ``chainrule exercise
--answers`` marks them (the same tolerance, error carried forward, the same
mistakes named); an answer that is not a number or formula is marked wrong,
saying why, and the marking goes on.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..errors import InvalidValueError
from .exercise import build, key_number
from ..files import read_text
from .grading import Result, grade
from .mistakes import MISTAKE_KINDS
from .questions import QUESTION_KINDS

__all__ = ["read_rows", "mark_class", "ClassMarks", "ANSWER_COLUMNS", "MAX_CSV_BYTES", "MAX_ROWS"]

ANSWER_COLUMNS = ("student", "question", "answer")
MAX_CSV_BYTES = 10_000_000
MAX_ROWS = 100_000
MAX_CELL = 1_000


def read_rows(path: str, needed: tuple[str, ...]) -> list[dict]:
    """The rows of a CSV file with at least the columns ``needed``; a clear error naming the file otherwise."""
    rows = []
    text = read_text(path, MAX_CSV_BYTES)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidValueError(f"{path!r} has no column {missing[0]!r}; it needs: {', '.join(needed)}")
        for line, row in enumerate(reader, 2):
            if len(rows) == MAX_ROWS:
                raise InvalidValueError(f"{path!r} has more than {MAX_ROWS} rows")
            cells = {c: (row.get(c) or "").strip() for c in needed}
            if any(len(v) > MAX_CELL for v in cells.values()):
                raise InvalidValueError(f"{path!r} line {line}: a cell longer than {MAX_CELL} characters")
            if not cells["student"] and not cells["question"]:
                continue  # a blank line
            cells["line"] = line
            rows.append(cells)
    except csv.Error as exc:
        raise InvalidValueError(f"{path!r} is not a valid CSV file: {exc}") from None
    return rows


def _settings(text: str, where: str) -> dict:
    out = {}
    for part in filter(None, text.split(";")):
        name, sep, value = part.partition("=")
        if not sep:
            raise InvalidValueError(f"{where}: settings {text!r} must read name=value;name=value")
        out[name] = int(value) if value.lstrip("-").isdigit() else {"True": True, "False": False}.get(value, value)
    return out


@dataclass
class ClassMarks:
    """Every student's ``Result``, and what they add up to."""

    results: dict[str, Result] = field(default_factory=dict)

    def student_rows(self) -> list[dict]:
        rows = []
        for student, r in self.results.items():
            wrong = r.wrong_steps()
            rows.append({"student": student, "right": r.right, "total": r.total,
                         "wrong steps": "; ".join(f"{k} ({n})" for k, n in wrong.most_common()),
                         "mistakes": "; ".join(f"{k} ({n})" for k, n in r.mistakes().most_common())})
        return rows

    def question_rows(self) -> list[dict]:
        """One row per question: how many got it right, and the mistake most made there."""
        order: list[str] = []
        right: Counter = Counter()
        asked: Counter = Counter()
        names: dict[str, str] = {}
        kinds: dict[str, str] = {}
        mistakes: dict[str, Counter] = defaultdict(Counter)
        for r in self.results.values():
            for v in r.verdicts:
                if v.id not in names:
                    order.append(v.id)
                names[v.id], kinds[v.id] = v.name, v.kind
                asked[v.id] += 1
                right[v.id] += v.correct
                if v.mistake:
                    mistakes[v.id][MISTAKE_KINDS[v.mistake]] += 1
        rows = []
        for qid in order:
            counts = mistakes[qid].most_common()
            tied = [(what, n) for what, n in counts if n == counts[0][1]] if counts else []  # every tie, not the first
            rows.append({"question": qid, "step": names[qid], "kind": QUESTION_KINDS[kinds[qid]],
                         "right": right[qid], "wrong": asked[qid] - right[qid],
                         "most common mistake": " and ".join(f"{what} ({n})" for what, n in tied)})
        return rows

    def hardest(self) -> dict | None:
        """The question the class got wrong most (the first of them in the order of backprop, when several tie)."""
        rows = [r for r in self.question_rows() if r["wrong"]]
        return max(rows, key=lambda r: r["wrong"]) if rows else None

    def mark_rows(self) -> list[dict]:
        return [{"student": s, "question": v.id, "given": v.given, "correct": v.correct, "expected": v.expected_text,
                 "mistake": MISTAKE_KINDS.get(v.mistake, "") if v.mistake else "", "diagnosis": v.diagnosis,
                 "follows from": " ".join(v.follows)}
                for s, r in self.results.items() for v in r.verdicts]

    @property
    def all_right(self) -> bool:
        return all(r.right == r.total for r in self.results.values())

    def lines(self) -> list[str]:
        out = ["per student:"]
        for row in self.student_rows():
            out.append(f"  {row['student']}: {row['right']}/{row['total']}"
                       + (f"; wrong: {row['wrong steps']}" if row["wrong steps"] else ""))
        out.append("per question:")
        for row in self.question_rows():
            line = f"  {row['question']:<14} {row['step']}: {row['right']} right, {row['wrong']} wrong"
            if row["most common mistake"]:
                line += f"; most often {row['most common mistake']}"
            out.append(line)
        hardest = self.hardest()
        if hardest:
            out.append(f"the step the class got wrong most: {hardest['step']} ({hardest['kind']}), "
                       f"{hardest['wrong']} of {hardest['right'] + hardest['wrong']} wrong"
                       + (f", most often {hardest['most common mistake']}" if hardest["most common mistake"] else ""))
        else:
            out.append("every answer is right")
        return out

    def to_json(self) -> dict:
        return {"students": self.student_rows(), "questions": self.question_rows(), "hardest": self.hardest(),
                "marks": self.mark_rows()}


def mark_class(key: list[dict], answers: list[dict]) -> ClassMarks:
    """Mark ``answers`` (rows: student, question, answer) against ``key`` (rows of a worksheet's key.csv)."""
    exercises = {}
    for row in key:
        where = f"key line {row['line']}"
        student = row["student"]
        if student not in exercises:
            try:
                seed = int(row["seed"])
            except ValueError:
                raise InvalidValueError(f"{where}: seed {row['seed']!r} is not a whole number") from None
            exercises[student] = build(row["lesson"], seed, _settings(row["settings"], where))
        ex = exercises[student]
        try:
            q = ex.question(row["question"])
        except InvalidValueError:
            raise InvalidValueError(f"{where}: {student}'s exercise has no question {row['question']!r}") from None
        if key_number(q.value) != row["answer"]:
            raise InvalidValueError(f"{where}: the key says {row['question']} = {row['answer']} for {student}, but "
                                    f"their exercise gives {key_number(q.value)}: the key was edited, or made by "
                                    "another version of chainrule")
    if not exercises:
        raise InvalidValueError("the key has no rows")
    given: dict[str, dict] = {s: {} for s in exercises}
    for row in answers:
        where = f"answers line {row['line']}"
        student, qid = row["student"], row["question"]
        if student not in exercises:
            raise InvalidValueError(f"{where}: {student!r} is not in the key")
        if qid in given[student]:
            raise InvalidValueError(f"{where}: a second answer from {student} to {qid!r}")
        if qid not in {q.id for q in exercises[student].questions}:
            raise InvalidValueError(f"{where}: {student}'s exercise has no question {qid!r}")
        given[student][qid] = row["answer"]
    marks = ClassMarks()
    for student, ex in exercises.items():
        marks.results[student] = grade(ex, given[student], lenient=True)
    return marks

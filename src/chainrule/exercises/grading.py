"""Marking an answer: right or wrong, and when wrong, which mistake it is, or a hint.

A **number** is right when it agrees with the answer to 3 significant digits
(``tolerance``), or with what the learner's own earlier answers give: a
learner who rounded a to 0.768 and computes C from it is right (error carried
forward, as teachers mark). A wrong earlier answer is carried forward too: a
later answer computed rightly from it *follows from* it (``Verdict.follows``)
and earns its mark, so only the first mistake counts, once, where it was
made, and the learner is told which earlier answer theirs follows from.

A **formula** (an answer with symbols, ``2(a − y)·i``) is right when it is the
same function as the expected one: it is evaluated at the exercise's numbers
and at ``exercise.POINTS`` other numbers (every given moved, every forward
value recomputed from them) and must agree at all of them. Two different
formulas agree at random points only by coincidence, so this checks the
formula as a formula (the idea of the Schwartz–Zippel test), in bounded
time whatever the learner typed: nothing is expanded or simplified.

A wrong answer is matched against the question's mistakes the same way, a
number at the exercise's numbers, a formula as a function: "∂C/∂w: you gave
0.6; that is 2(a − y) without the factor ∂a/∂w = i = 1.5". No mistake fits:
a hint says what to recompute. The answer itself comes only when asked
(``Verdict.answer``, shown after a second miss).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import InvalidValueError
from ..explainer.format import num
from .answers import Answer, AnswerError, parse_answer
from .exercise import Exercise, key_number
from .mistakes import MISTAKE_KINDS
from .questions import QUESTION_KINDS, Mistake, Question, hint
from .tolerance import agrees, same_value

__all__ = ["Verdict", "Result", "check", "grade", "read"]


@dataclass
class Verdict:
    """The mark of one answer."""

    id: str
    name: str
    kind: str
    given: str  # as the learner wrote it ("" when there was no answer)
    value: float | None  # its number at the exercise's numbers
    correct: bool
    expected: float
    expected_text: str  # 3 significant digits
    mistake: str | None = None  # a key of MISTAKE_KINDS
    diagnosis: str = ""  # what is wrong, when it can be said
    hint: str = ""  # what to recompute (never the answer)
    answer: str = ""  # the whole answer: chain, formula, number (to show after a second miss)
    note: str = ""  # a remark on a right answer, or on a formula right only at these numbers
    follows: tuple[str, ...] = ()  # the ids of the wrong earlier answers this right one was computed from

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "given": self.given, "value": self.value,
                "follows": list(self.follows),
                "correct": self.correct, "expected": self.expected, "expected_text": self.expected_text,
                "mistake": self.mistake, "diagnosis": self.diagnosis, "hint": self.hint, "answer": self.answer,
                "note": self.note}


def read(exercise: Exercise, question: Question, text) -> Answer:
    """``text`` parsed as an answer to ``question`` (its symbols only); ``AnswerError`` naming the question if not."""
    try:
        return parse_answer(text, exercise.names, exercise.refused(question))
    except AnswerError as exc:
        raise AnswerError(f"{question.id}: {exc}") from None


def _full_answer(q: Question) -> str:
    parts = [q.name]
    if q.chain and q.chain != q.formula:
        parts.append(q.chain)
    if q.formula and q.formula != key_number(q.value):
        parts.append(q.formula)
    parts.append(num(q.value))
    return " = ".join(parts)


def _as_function(exercise: Exercise, answer: Answer, target) -> bool:
    """``answer`` and ``target`` (a key, or a mistake) are one function: equal at every point where both exist."""
    checked = 0
    for env in [exercise.env, *exercise.points]:
        try:
            mine = answer.value(env)
            theirs = env[target] if isinstance(target, str) else target.compute(env)
        except (AnswerError, ArithmeticError, ValueError, KeyError):
            continue
        if not same_value(mine, theirs):
            return False
        checked += 1
    return checked >= 2


def check(exercise: Exercise, qid: str, text, previous: Mapping[str, float] | None = None,
          wrong: Mapping[str, str] | None = None) -> Verdict:
    """Mark ``text`` as the answer to question ``qid``.

    ``previous``: the givens and the learner's earlier answers (by key), for error carried forward; None: the
    exact ones. ``wrong``: the keys of the earlier answers that were wrong, and their ids (an answer right from
    them *follows* from them). ``AnswerError`` when ``text`` is not an answer (one line: why).
    """
    q = exercise.question(qid)
    answer = read(exercise, q, text)
    env = exercise.env if previous is None else previous
    verdict = Verdict(q.id, q.name, q.kind, answer.text, None, False, q.value, key_number(q.value),
                      answer=_full_answer(q))
    if answer.is_number:
        value = answer.value()
        verdict.value = value
        try:  # the learner's own earlier numbers may lie outside what a step accepts (a log of a negative)
            carried = q.compute(env) if previous is not None else q.value
        except (ArithmeticError, ValueError):
            carried = math.nan
        verdict.correct = agrees(value, q.value) or agrees(value, carried)
        if verdict.correct and not agrees(value, q.value):
            from_wrong = tuple(wrong[k] for k in q.factors if wrong and k in wrong)
            if from_wrong:
                verdict.follows = from_wrong
                verdict.note = (f"follows from your {', '.join(from_wrong)}, already marked there; right from it "
                                f"(from the right ones: {key_number(q.value)})")
            else:
                verdict.note = f"right from your earlier answers (from the exact ones: {key_number(q.value)})"
        mistake = None if verdict.correct else _matching_number(q, value, env if previous is not None else None)
        shown = answer.text
    else:
        value = answer.value(exercise.env)
        verdict.value = value
        verdict.correct = _as_function(exercise, answer, q.key)
        mistake = None
        if not verdict.correct:
            mistake = next((m for m in q.mistakes if _as_function(exercise, answer, m)), None)
            if mistake is None and agrees(value, q.value):
                verdict.note = (f"right at these numbers ({key_number(value)}), but as a formula it is not {q.name}: "
                                f"it must hold for any numbers")
        shown = f"{answer.text} (= {num(value, 4)} here)"
    if not verdict.correct:
        if mistake is not None:
            verdict.mistake = mistake.kind
            verdict.diagnosis = f"{q.name}: you gave {shown}; that is {mistake.what}"
        elif verdict.note:
            verdict.diagnosis = f"{q.name}: you gave {shown}; {verdict.note}"
        verdict.hint = hint(q, exercise.view, exercise.env, exercise.by_key())
    return verdict


def _matching_number(q: Question, value: float, carried_env) -> Mistake | None:
    for m in q.mistakes:
        if agrees(value, m.value):
            return m
    if carried_env is not None:
        for m in q.mistakes:
            try:
                if agrees(value, m.compute(carried_env)):
                    return m
            except (ArithmeticError, ValueError):
                continue
    return None


# ------------------------------------------------------------------- results
@dataclass
class Result:
    """The marks of a whole exercise, answered at once."""

    exercise: Exercise = field(repr=False)
    verdicts: list[Verdict]

    @property
    def right(self) -> int:
        return sum(v.correct for v in self.verdicts)

    @property
    def total(self) -> int:
        return len(self.verdicts)

    def wrong_steps(self) -> Counter:
        """How many answers went wrong, by kind of step (forward values, local derivatives, …)."""
        return Counter(QUESTION_KINDS[v.kind] for v in self.verdicts if not v.correct)

    def mistakes(self) -> Counter:
        """How many wrong answers were each named mistake."""
        return Counter(MISTAKE_KINDS[v.mistake] for v in self.verdicts if v.mistake)

    def to_json(self) -> dict:
        return {
            "lesson": self.exercise.lesson,
            "seed": self.exercise.seed,
            "score": {"right": self.right, "total": self.total},
            "wrong_steps": dict(self.wrong_steps()),
            "mistakes": dict(self.mistakes()),
            "questions": [v.to_json() for v in self.verdicts],
        }

    def lines(self) -> list[str]:
        """The marks as text: one line per question, then the score and what went wrong."""
        out = []
        for v in self.verdicts:
            mark = "✓" if v.correct else "✗"
            given = v.given or "(no answer)"
            line = f"{mark} {v.name} = {given}"
            if not v.correct:
                line += f"   expected {v.expected_text}"
                if v.diagnosis:
                    line += f"; {v.diagnosis.split(': you gave ', 1)[-1].split('; ', 1)[-1]}"
            elif v.follows:
                line += f"   follows from your {', '.join(v.follows)} (counted there)"
            out.append(line)
        out.append(summary_line(self.right, self.total, self.wrong_steps()))
        return out


def summary_line(right: int, total: int, wrong: Counter) -> str:
    text = f"score: {right}/{total}"
    if wrong:
        text += "; wrong: " + ", ".join(f"{kind} ({n})" for kind, n in wrong.most_common())
    return text


def grade(exercise: Exercise, answers: Mapping[str, object], lenient: bool = False) -> Result:
    """Mark every answer of ``answers`` (id → text or number), earlier right answers carried forward.

    An unknown id is refused (``InvalidValueError``); a question without an answer is wrong ("no answer").
    Text that is not an answer is refused (``AnswerError``), or with ``lenient`` marked wrong, saying why
    (a class's answers: one garbled answer must not stop the marking of the others).
    """
    ids = {q.id for q in exercise.questions}
    unknown = [k for k in answers if k not in ids]
    if unknown:
        raise InvalidValueError(f"no question {unknown[0]!r} in this exercise; the ids are "
                                + ", ".join(q.id for q in exercise.questions))
    previous = {g.key: g.value for g in exercise.givens}
    wrong: dict[str, str] = {}  # key -> id of the earlier answers marked wrong (and carried forward)
    verdicts = []
    for q in exercise.questions:
        if q.id not in answers or answers[q.id] is None or isinstance(answers[q.id], str) and not answers[q.id].strip():
            verdicts.append(Verdict(q.id, q.name, q.kind, "", None, False, q.value, key_number(q.value),
                                    diagnosis=f"{q.name}: no answer", answer=_full_answer(q)))
            previous[q.key] = q.value
            continue
        try:
            verdict = check(exercise, q.id, answers[q.id], previous, wrong)
        except AnswerError as exc:
            if not lenient:
                raise
            verdict = Verdict(q.id, q.name, q.kind, str(answers[q.id])[:80], None, False, q.value,
                              key_number(q.value), diagnosis=f"{q.name}: not an answer: {str(exc).split(': ', 1)[-1]}",
                              answer=_full_answer(q))
        verdicts.append(verdict)
        number = verdict.value is not None and math.isfinite(verdict.value)
        # a wrong number is carried forward (what follows rightly from it is not marked wrong again); a right one
        # that follows from a wrong one carries that mistake on, to the answers computed from it in turn
        previous[q.key] = verdict.value if number else q.value
        if number and (not verdict.correct or verdict.follows):
            wrong[q.key] = verdict.follows[0] if verdict.follows else q.id
    return Result(exercise, verdicts)

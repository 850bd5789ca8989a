"""An exercise worked through one question at a time, as in a terminal: two tries each, then the answer.

    right           ✓, and the next question
    first miss      the mistake named, when it can be ("that is 2(a − y) without the factor ∂a/∂w = i"),
                    else a hint; the same question again
    second miss     the mistake (if named) and the answer; the next question

Something that is not an answer at all (a typo, an unknown name) costs no
try: the learner is told why and asked again. Right answers are carried
forward, so a learner who rounds is marked against their own numbers. The
end: the score, and which kinds of step went wrong.

The session knows nothing of terminals (``commands/exercise.py`` prints it;
tests drive it directly).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .exercise import Exercise
from .grading import Verdict, check, summary_line
from .mistakes import MISTAKE_KINDS
from .questions import QUESTION_KINDS, Question

__all__ = ["Session", "Reply", "TRIES"]

TRIES = 2


@dataclass
class Reply:
    """What the session says to one answer: ``state`` is "right", "again" or "revealed"."""

    verdict: Verdict
    state: str
    lines: list[str] = field(default_factory=list)


class Session:
    """One learner, one exercise (see the module docstring)."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise
        self.k = 0
        self.tries = 0
        self.previous = {g.key: g.value for g in exercise.givens}
        self.first_try: list[bool] = []
        self.finally_right: list[bool] = []
        self.missed: list[Verdict] = []  # every wrong answer, both tries

    @property
    def answered(self) -> int:
        """How many answers were given (right or wrong, every try)."""
        return len(self.missed) + sum(self.finally_right)

    @property
    def done(self) -> bool:
        return self.k >= len(self.exercise.questions)

    @property
    def current(self) -> Question:
        return self.exercise.questions[self.k]

    def answer(self, text) -> Reply:
        """Mark ``text`` as the answer to the current question; ``AnswerError`` (no try used) if it is not one."""
        q = self.current
        verdict = check(self.exercise, q.id, text, self.previous)
        if verdict.correct:
            self._advance(q, verdict.value, right=True)
            return Reply(verdict, "right", ["✓" + (f"  ({verdict.note})" if verdict.note else "")])
        self.missed.append(verdict)
        self.tries += 1
        if self.tries < TRIES:
            if verdict.diagnosis:
                return Reply(verdict, "again", [f"✗ {verdict.diagnosis}", "try again:"])
            return Reply(verdict, "again", [f"✗ not {q.name}. Hint: {verdict.hint}", "try again:"])
        lines = [f"✗ {verdict.diagnosis}"] if verdict.diagnosis else ["✗"]
        lines.append(f"the answer: {verdict.answer}")
        self._advance(q, q.value, right=False)
        return Reply(verdict, "revealed", lines)

    def _advance(self, q: Question, value, right: bool) -> None:
        self.first_try.append(right and self.tries == 0)
        self.finally_right.append(right)
        self.previous[q.key] = value if value is not None else q.value
        self.k += 1
        self.tries = 0

    # --------------------------------------------------------------- the end
    @property
    def right(self) -> int:
        return sum(self.finally_right)

    @property
    def right_first_time(self) -> int:
        return sum(self.first_try)

    def wrong_steps(self) -> Counter:
        """The kinds of step with a wrong answer (at either try), one count per question."""
        seen = {}
        for v in self.missed:
            seen[v.id] = v.kind
        return Counter(QUESTION_KINDS[kind] for kind in seen.values())

    def mistakes(self) -> Counter:
        return Counter(MISTAKE_KINDS[v.mistake] for v in self.missed if v.mistake)

    def summary(self) -> list[str]:
        total = len(self.finally_right)
        lines = [summary_line(self.right, total, self.wrong_steps())
                 + f" (right the first time: {self.right_first_time}/{total})"]
        if self.mistakes():
            lines.append("mistakes: " + ", ".join(f"{k} ({n})" for k, n in self.mistakes().most_common()))
        return lines

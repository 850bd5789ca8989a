"""One exercise: a lesson's network with a learner's own numbers, and its questions, answers and mistakes.

``build("simplest", seed=7)`` draws the numbers (``draw``), trains the
lesson with them (its ``train``; the exercise reads ``result.graph()``, the
cost after one backward pass), sees the graph through its named quantities
(``network``), asks the questions of backprop in order (``questions``) and
names their common mistakes (``mistakes``). Nothing in it is written for one
lesson: a new rung gets its exercise from its graph.

A draw is kept when every answer is a number a person can write to 3
significant digits (between ``SMALLEST`` and ``LARGEST`` in size); else the
next numbers from the same seed are tried (at most ``MAX_DRAWS``), so a
seed still gives one exercise, always the same.

An exercise that asks for the updated weights descends: its learning rate
is drawn only from the values of the grid at which the whole update (every
weight moved by −lr·∂C/∂w at once) lowers that exercise's own cost, checked
by replaying the graph at the new weights (``cost_after_step``). For the
simplest network that is lr < 1/i²; in general no formula is needed, the
cost after the step says it, and the exercise asks it too ("C after the
step"). A learner never practises a "descent" that climbs by accident
(issue 23).

Divergence is taught on purpose only where the exercise says so
(``diverge=True``, ``chainrule exercise LESSON --diverge``): the learning
rate is then drawn from the rates of the grid at which the same update
*raises* the cost, and the exercise says why (``Exercise.note``): the step
overshoots the valley, C after the step is larger than C.

A softmax in the graph (``softmax``: eₖ = exp(zₖ − m), S = Σ eₖ, pₖ = eₖ/S,
C = −ln p_y) is asked whole: the forward in order with m = max z asked, not
given, every class's p and ∂C/∂zₖ, and the note says why m is subtracted.

A lesson whose graph computes through many unnamed nodes (a network built
without labels) has no exercise: a person could not say which number a
question asks for. ``MAX_INNER`` and ``MAX_QUESTIONS`` bound that.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field

from .. import lessons
from ..errors import InvalidValueError
from ..gradcheck import evaluate_graph
from .draw import DIVERGING_GRID, POSITIVE_GRID, SEED, descending_rates, draw_params
from . import softmax
from .mistakes import attach_mistakes
from .network import View, typed_name
from .questions import Given, Question, build_questions, fill
from .tolerance import DIGITS

__all__ = ["Exercise", "build", "key_number", "cost_after_step", "MAX_QUESTIONS", "MAX_INNER", "POINTS"]

MAX_DRAWS = 40
SMALLEST, LARGEST = 1e-4, 1e4
MAX_QUESTIONS = 80
MAX_INNER = 8  # unnamed nodes inside one named value (C = (a₁ − y)² + (a₂ − y)² has 5)
POINTS = 4  # other numbers at which a formula answer is checked as a formula


def key_number(x: float) -> str:
    """``x`` to 3 significant digits, as a plain decimal a learner would write: 1.23, −0.0457, 1230."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    rounded = float(f"{x:.{DIGITS}g}")
    decimals = max(0, DIGITS - 1 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:.{decimals}f}"


@dataclass
class Exercise:
    """A lesson's network with fixed numbers, and the questions of its backprop."""

    lesson: str
    seed: int | None
    settings: dict
    params: dict
    view: View = field(repr=False)
    givens: list[Given]
    questions: list[Question]
    env: dict[str, float] = field(repr=False)  # every given and every answer, by key
    points: list[dict[str, float]] = field(repr=False)  # the same at other numbers
    names: dict[str, str] = field(repr=False)  # every spelling a learner may type -> key
    summary: str = ""
    diverges: bool = False  # the learning rate is too large on purpose (``--diverge``)
    note: str = ""  # what the exercise says beyond its questions: why softmax subtracts m; ``--diverge``: predict
    # C after the step, say why

    # --------------------------------------------------------------- lookup
    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        ids = ", ".join(q.id for q in self.questions[:12]) + (", …" if len(self.questions) > 12 else "")
        raise InvalidValueError(f"no question {qid!r} in this exercise; the ids are {ids}")

    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}

    def refused(self, question: Question) -> dict[str, str]:
        """The names a formula answer to ``question`` may not use, and why (the value asked, those after it)."""
        allowed = set(question.symbols)
        out = {}
        for q in self.questions:
            if q.kind not in ("forward", "cost") or q.key in allowed:
                continue
            if q is question:
                why = "is what is asked"
            elif question.kind == "check":
                why = f"would give the check away; write it in {', '.join(question.factors)}"
            else:
                why = "comes later in the forward pass"
            for spelling in {q.key, typed_name(q.key)} - {None}:
                out[spelling] = f"{q.key} {why}; write it in the symbols before it"
        return out

    def spellings(self, key: str) -> str:
        """'w₁ (type w1)'."""
        typed = typed_name(key)
        return key if typed in (None, key) else f"{key} (type {typed})"

    @property
    def network(self) -> list[str]:
        """The forward pass, one line per named value: 'a = i·w', 'C = (a − y)²'."""
        return [f"{q.name} = {q.formula}" for q in self.questions if q.kind in ("forward", "cost")]

    # ------------------------------------------------------------------ json
    def to_json(self) -> dict:
        """The exercise without its answers: what a learner (or a page, or a teacher's tool) is given."""
        return {
            "lesson": self.lesson,
            "seed": self.seed,
            "settings": self.settings,
            "summary": self.summary,
            "diverges": self.diverges,
            "note": self.note,
            "network": self.network,
            "given": [{"symbol": g.key, "typed": g.typed, "value": g.value, "what": g.what} for g in self.givens],
            "tolerance": f"numbers to {DIGITS} significant digits; formulas checked as formulas",
            "questions": [
                {"id": q.id, "kind": q.kind, "name": q.name, "prompt": q.prompt,
                 "symbols": [self.spellings(k) for k in q.symbols]}
                for q in self.questions
            ],
        }

    def key(self) -> list[dict]:
        """The answers: for each question its number (3 significant digits and exact), formula and chain."""
        return [{"id": q.id, "kind": q.kind, "name": q.name, "answer": key_number(q.value), "value": q.value,
                 "formula": q.formula, "chain": q.chain} for q in self.questions]


# ---------------------------------------------------------------- building
def _assemble(lesson: str, module, seed, settings, params, cost, every_node: bool) -> Exercise:
    view = View.of(cost, every_node=every_node)
    inner = max((len(q.inner) - 1 for q in view.quantities.values()), default=0)
    if not every_node and inner > MAX_INNER:
        unnamed = sum(1 for n in cost.nodes() if n.op and not n.label)
        raise InvalidValueError(
            f"lesson {lesson!r} has no exercise: its graph computes through {unnamed} unnamed nodes, so a question "
            f"could not say which number it asks for (an exercise needs at most {MAX_INNER} unnamed nodes inside one "
            f"named value; label the network's values)")
    learning_rate = None
    if "learning_rate" in module.params and not every_node:
        p = module.params["learning_rate"]
        symbol = p.symbol or "lr"
        learning_rate = Given(symbol, typed_name(symbol), float(params["learning_rate"]), "the learning rate")
    position = {n: k for k, n in enumerate(cost.nodes())}

    def id_of(node):
        return f"node:{position[node]}" if every_node else (typed_name(view.name(node)) or f"node:{position[node]}")

    found = None if every_node else softmax.find(view)  # a softmax is asked whole (issue 23 §3)
    asked = view.leaves if every_node else softmax.asked(found) if found else None
    givens, questions = build_questions(view, id_of, learning_rate, asked)
    own = {}
    if found:
        givens, questions, own = softmax.whole(found, view, id_of, givens, questions)
    if len(questions) > MAX_QUESTIONS:
        raise InvalidValueError(f"lesson {lesson!r} has no exercise: it would ask {len(questions)} questions; "
                                f"at most {MAX_QUESTIONS} fit one sitting (make it smaller: fewer layers or neurons)")
    env = fill(questions, {g.key: g.value for g in givens})
    for q in questions:
        q.value = env[q.key]
    attach_mistakes(questions, view, env, own)
    names: dict[str, str] = {}
    for k in [g.key for g in givens] + [q.key for q in questions if q.kind in ("forward", "cost")]:
        names[k] = k
        typed = typed_name(k)
        if typed:
            names.setdefault(typed, k)
    return Exercise(lesson, seed, dict(settings), params, view, givens, questions, env,
                    _points(questions, givens, seed), names, module.summary,
                    note=softmax.note(found, view) if found else "")


def _points(questions: list[Question], givens: list[Given], seed) -> list[dict[str, float]]:
    """The exercise at ``POINTS`` other numbers near its own (each given moved by up to a quarter, and a little)."""
    rng = random.Random(f"chainrule exercise points {seed}")
    out = []
    for _ in range(POINTS):
        env = {g.key: g.value * (1 + rng.uniform(-0.25, 0.25)) + rng.uniform(-0.1, 0.1) for g in givens}
        try:
            out.append(fill(questions, env))
        except (ArithmeticError, ValueError):
            continue
    return out


def cost_after_step(exercise: Exercise, learning_rate: float | None = None) -> float | None:
    """The exercise's cost with every asked weight updated at once, w − lr·∂C/∂w (None: no update is asked).

    ``learning_rate``: another rate than the exercise's own (to try one). The graph is replayed at the new
    weights (``gradcheck.evaluate_graph``), so this is the cost the network really has after the step.
    """
    updates = [q for q in exercise.questions if q.kind == "update"]
    if not updates:
        return None
    lr = exercise.params["learning_rate"] if learning_rate is None else learning_rate
    moved = {q.below: q.below.data - lr * q.below.grad for q in updates}
    try:
        return float(evaluate_graph(exercise.view.cost, moved))
    except (ArithmeticError, ValueError):
        return math.inf


def _descends(exercise: Exercise, learning_rate: float | None = None) -> bool:
    after = cost_after_step(exercise, learning_rate)
    return after is None or after < exercise.view.cost.data


def _fault(exercise: Exercise) -> int:
    """How many answers a person could not write well to 3 significant digits (0 for a good draw)."""
    return sum(1 for q in exercise.questions
               if not math.isfinite(q.value) or not SMALLEST <= abs(q.value) <= LARGEST)


def _overshoot_note(exercise: Exercise, descending: list[float]) -> str:
    """Why the step of a ``--diverge`` exercise climbs: its rate, the largest of the grid that descends, C before."""
    lr = exercise.params["learning_rate"]
    bound = (f"the largest rate of the grid that lowers it here is {key_number(max(descending))}" if descending
             else "no rate of the grid lowers it here")
    return (f"On purpose, this learning rate is too large: lr = {key_number(lr)}, and {bound}. Predict C after the "
            "step, and say why it is larger than C: the step overshoots the bottom of the valley and lands higher "
            "up the other side.")


@functools.lru_cache(maxsize=64)  # bounded: a class of 30 and the explorer's few lessons fit
def _build(lesson: str, seed: int | None, settings: tuple, every_node: bool, diverge: bool = False) -> Exercise:
    module = lessons.load(lesson)
    if diverge and ("learning_rate" not in module.params or every_node):
        raise InvalidValueError(f"lesson {lesson!r} asks no step of descent, so it cannot diverge on purpose")
    rng = None if seed is None else random.Random(SEED.check(seed))
    best: tuple[int, Exercise] | None = None
    last_error = None
    for _ in range(MAX_DRAWS if seed is not None else 1):
        params = draw_params(module.params, seed, dict(settings), rng)
        try:
            cost = lessons.graph(lesson, **params)
        except (InvalidValueError, ArithmeticError) as exc:  # numbers this lesson refuses: draw again
            last_error = exc
            continue
        exercise = _assemble(lesson, module, seed, dict(settings), params, cost, every_node)
        if (rng is not None or diverge) and _descends(exercise) == diverge:
            # draw the rate again: from those that descend here (or, with diverge, from those that climb)
            rates = descending_rates(module.params["learning_rate"], lambda lr: _descends(exercise, lr) != diverge,
                                     DIVERGING_GRID if diverge else POSITIVE_GRID)
            if not rates:
                last_error = InvalidValueError(
                    f"no learning rate up to {max(DIVERGING_GRID):g} raises this draw's cost: its step cannot overshoot"
                    if diverge else "no learning rate of the grid lowers this draw's cost")
                continue
            params = {**params, "learning_rate": rng.choice(rates) if rng is not None else rates[0]}
            cost = lessons.graph(lesson, **params)
            exercise = _assemble(lesson, module, seed, dict(settings), params, cost, every_node)
        if diverge:
            descending = descending_rates(module.params["learning_rate"], lambda lr: _descends(exercise, lr))
            overshoot = _overshoot_note(exercise, descending)
            exercise.diverges, exercise.note = True, f"{exercise.note} {overshoot}" if exercise.note else overshoot
        wrong_way = _descends(exercise) == diverge  # climbing (or, with diverge, descending) is worse than any number
        fault = _fault(exercise) + (MAX_QUESTIONS if wrong_way else 0)
        if best is None or fault < best[0]:
            best = (fault, exercise)
        if fault == 0:
            break
    if best is None:
        raise InvalidValueError(f"lesson {lesson!r}: no exercise could be drawn ({last_error})")
    return best[1]


def build(lesson: str, seed: int | None = None, settings: dict | None = None, every_node: bool = False,
          diverge: bool = False) -> Exercise:
    """The exercise of ``lesson`` with the numbers of ``seed`` (None: the lesson's own numbers).

    ``settings``: the shape of the network (a lesson's sizes and choices, e.g. ``{"depth": 4}``).
    ``every_node``: every node of the graph is a question (the explorer's step-through) instead of the
    labelled ones. ``diverge``: the learning rate is too large on purpose (the step raises the cost; the
    exercise's ``note`` says so). The same arguments give the same exercise (and the same object: it is cached).
    """
    if seed is not None:
        seed = SEED.check(seed)
    return _build(lesson, seed, tuple(sorted((settings or {}).items())), every_node, bool(diverge))


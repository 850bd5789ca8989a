"""The explorer's step-through as an exercise: before an edge is revealed, the learner computes what it carries.

The step-through (``chainrule.explainer.trace``) plays the backward pass one
edge at a time, in the order ``Value.backward`` visits them:

    ∂C/∂input  +=  ∂C/∂user · ∂user/∂input      (the running product along this edge)

Here every node of the graph is a question (its value in the forward pass,
id ``node:N``, N its index in ``cost.nodes()``) and so is every edge (the
running product it carries, id ``edge:E``, E its index in ``cost.edges()``,
the ids of the trace and of the page). The edge questions are built on the
full view of the graph (``exercise.build(..., every_node=True)``), so they
are checked with the same grader and the same mistakes as ``chainrule
exercise``, plus those of a step-through: the whole ∂C/∂input (every path)
given for one edge's share, or the sum so far where paths meet.

    check_step(lesson, seed, "edge:3", "-0.16") -> Verdict
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import Mapping

from .. import lessons, ops
from ..explainer import trace as explain_trace
from ..explainer.format import num
from ..errors import InvalidValueError
from .answers import AnswerError
from .exercise import Exercise, build
from .grading import Verdict, check
from .mistakes import Mistake, carried, distinct
from .questions import Question, fill
from .step_causes import CAUSE_MISTAKES, edge_cause
from .tolerance import agrees

__all__ = ["step_exercise", "check_step", "step_questions", "check_answer", "MAX_ID", "MAX_EARLIER"]

MAX_ID = 64  # characters of a question's id ('dC/dw', 'node:2', 'edge:14')
MAX_EARLIER = 200  # answers sent with one check: more than the steps of any lesson's step-through (conv: 53)


def _edge_questions(exercise: Exercise) -> list[Question]:
    view = exercise.view
    cost = view.cost
    order = cost.nodes()
    running = {q.below: q for q in exercise.questions if q.below is not None and q.kind in ("delta", "gradient")}
    for q in exercise.questions:  # a node whose only user is the cost: its slope is its running product
        if q.kind in ("local", "gradient") and q.node is cost and q.below not in running:
            running[q.below] = q
    slopes = {(q.node, q.below): q for q in exercise.questions if q.kind in ("local", "gradient") and not q.terms}
    data = explain_trace.trace(cost, formulas=False)
    key = view.name
    out: list[Question] = []
    into: dict = {}  # input node -> the edge questions into it so far, in the order of the backward pass
    for event in data["events"]:
        edge = data["edges"][event["edge"]]
        user, child, k = order[edge["user"]], order[edge["input"]], edge["slot"]
        upstream = None if user is cost else running[user]
        slope = slopes[(user, child)]

        def compute(env, user=user, k=k, upstream=upstream):
            args = [env[key(c)] for c in user.inputs]
            local = ops.node_local(user, ops.FLOATS, k, args, env[key(user)])
            return (env[upstream.key] if upstream else 1.0) * local

        chain = (f"{upstream.name} · {slope.name}" if upstream else slope.name)
        q = Question(id=f"edge:{event['edge']}", key=f"edge:{event['edge']}", kind="edge",
                     name=f"the product along {slope.name}", prompt=f"{chain} = ?", formula="", chain=chain,
                     compute=compute, symbols=slope.symbols, factors=(upstream.key if upstream else "", slope.key),
                     node=user, below=child)
        q.value = compute(exercise.env)
        candidates = [Mistake("sign", f"{chain} with its sign flipped", lambda env, c=compute: -c(env))]
        if upstream:
            candidates += [
                Mistake("factor", f"{upstream.name} without the factor {slope.name} = {num(slope.value, 4)}",
                        lambda env, u=upstream.key: env[u]),
                Mistake("factor", f"{slope.name} alone, without the factor {upstream.name} = {num(upstream.value, 4)}",
                        lambda env, c=compute, u=upstream.key: c(env) / env[u] if env[u] else float("nan")),
            ]
        earlier = into.setdefault(child, [])
        if len([e for e in data["events"] if e["input"] == event["input"]]) > 1:
            whole = running.get(child)
            if whole is not None:
                candidates.append(Mistake("path", f"{whole.name}, every path into {key(child)} added; this edge "
                                          "carries only its own path's product", lambda env, w=whole.key: env[w]))
            if earlier:
                candidates.append(Mistake(
                    "path", f"the sum so far at {key(child)}; this edge carries only its own product",
                    lambda env, c=compute, e=tuple(earlier): c(env) + sum(x.compute(env) for x in e)))
        for m in slope.mistakes:
            candidates.append(carried(m, slope.name, lambda env, c=m.compute, u=upstream:
                                      (env[u.key] if u else 1.0) * c(env)))
        if upstream:
            for m in upstream.mistakes:
                candidates.append(carried(m, upstream.name, lambda env, c=m.compute, s=compute, u=upstream.key:
                                          c(env) * s(env) / env[u] if env[u] else float("nan")))
        q.mistakes = distinct(q, candidates, exercise.env)
        earlier.append(q)
        out.append(q)
    return out


@functools.lru_cache(maxsize=32)
def _step_exercise(lesson: str, seed: int | None) -> Exercise:
    full = build(lesson, seed, every_node=True)
    edges = _edge_questions(full)
    env = dict(full.env)
    for q in edges:
        env[q.key] = q.value
    points = []
    for point in full.points:
        p = dict(point)
        try:
            fill(edges, p)
        except (ArithmeticError, ValueError):
            continue
        points.append(p)
    return replace(full, questions=full.questions + edges, env=env, points=points)


def step_exercise(lesson: str, seed: int | None = None) -> Exercise:
    """The step-through of ``lesson`` as an exercise: ``node:N`` and ``edge:E`` questions (None: its own numbers)."""
    return _step_exercise(lesson, seed)


def step_questions(lesson: str, seed: int | None = None) -> dict:
    """What the page asks, without answers: the nodes' values and the edges' running products, in order."""
    exercise = step_exercise(lesson, seed)
    data = exercise.to_json()
    data["questions"] = [q for q in data["questions"] if q["id"].startswith(("node:", "edge:"))]
    return data


def exercise_for(lesson: str, seed: int | None, qid: str):
    """The exercise a question id belongs to: the step-through's (``node:N``, ``edge:E``) or the lesson's own."""
    return step_exercise(lesson, seed) if qid.startswith(("node:", "edge:")) else build(lesson, seed)


def check_step(lesson: str, seed: int | None, qid: str, answer, earlier: Mapping[str, str] | None = None) -> Verdict:
    """Mark one answer of the step-through (``node:N`` or ``edge:E``), or of the exercise's own questions.

    ``earlier``: the learner's own answers to the steps before ``qid`` (id → text, any of them, in any order).
    With them an answer is marked as a teacher marks it: right when it follows rightly from the learner's own
    earlier numbers (and then said to follow from the first wrong one, once), and a wrong product named by its
    cause, as ``check --fn`` names it (``step_causes``). ``InvalidValueError`` naming the id or the answer for an
    id that is not a step before ``qid``, or text that is not an answer.
    """
    exercise = exercise_for(lesson, seed, qid)
    if not earlier:
        verdict = check(exercise, qid, answer)
        return _with_cause(exercise, verdict, {}, {})
    if not qid.startswith(("node:", "edge:")):
        raise InvalidValueError(f"earlier: {qid!r} is not a step of the step-through; earlier answers go with "
                                "node:N and edge:E questions only")
    previous, wrong, numbers = _replayed(exercise, qid, earlier)
    verdict = check(exercise, qid, answer, previous, wrong)
    return _with_cause(exercise, verdict, numbers, wrong)


def check_answer(lesson: str, seed: int | None, qid: str, answer: str,
                 earlier: list[tuple[str, str]] | None = None) -> Verdict:
    """One answer of the explorer's exercise mode marked, as both its back ends mark it (the server's
    ``/api/exercise/check`` and the static explorer's ``answers``): ``check_step`` after the checks a request
    needs, each refusal an ``InvalidValueError`` naming its field (``question``, ``answer``, ``earlier``).

    ``earlier``: (question id, answer) pairs, the learner's own answers to the steps before ``qid``, each once.
    """
    if qid.startswith(("node:", "edge:")) and lesson not in lessons.step_exercises():
        raise InvalidValueError(f"question: {qid!r} is a step of the step-through, which lesson {lesson!r} does not "
                                f"offer as an exercise; lessons that do: {', '.join(lessons.step_exercises())}")
    try:
        exercise_for(lesson, seed, qid).question(qid)
    except InvalidValueError as exc:
        raise InvalidValueError(f"question: {exc}") from None
    given: dict[str, str] = {}
    for question, text in earlier or []:
        if question in given:
            raise InvalidValueError(f"earlier: {question!r} is answered twice; each step once")
        given[question] = text
    try:
        return check_step(lesson, seed, qid, answer, given)
    except AnswerError as exc:
        raise InvalidValueError(f"answer: {exc}") from None


def _steps_before(exercise: Exercise, qid: str) -> list[Question]:
    asked = [q for q in exercise.questions if q.id.startswith(("node:", "edge:"))]
    ids = [q.id for q in asked]
    return asked[:ids.index(qid)]


def _replayed(exercise: Exercise, qid: str, earlier: Mapping[str, str]) -> tuple[dict, dict, dict]:
    """The learner's earlier steps marked in order, each carried forward: (the numbers to mark ``qid`` with, the
    keys of the wrong ones → the id each first went wrong at, the learner's number for each step by id).

    A node's value stands for that node wherever it is read; an edge's product is added to the δ of the node it
    leaves (the edges not answered count with backprop's numbers), so the next edge's δₘ is the learner's own.
    """
    before = _steps_before(exercise, qid)
    known = {q.id for q in before}
    for key in earlier:
        if key not in known:
            raise InvalidValueError(f"earlier: {str(key)[:64]!r} is not a step before {qid}; the steps before it: "
                                    + (", ".join(q.id for q in before[:12]) + (", …" if len(before) > 12 else "")
                                       if before else "none"))
    running = {}  # node -> the key of its δ, as the edges out of it read it
    for q in exercise.questions:
        if q.kind == "edge" and q.factors[0]:
            running[q.node] = q.factors[0]
    previous = dict(exercise.env)
    wrong: dict[str, str] = {}
    numbers: dict[str, float] = {}
    roots: dict = {}  # node -> the id its δ first went wrong at
    for q in before:
        if q.id not in earlier:
            continue
        try:
            verdict = check(exercise, q.id, earlier[q.id], previous, wrong)
        except AnswerError as exc:
            raise InvalidValueError(f"earlier: {exc}") from None
        value = verdict.value if verdict.value is not None and math.isfinite(verdict.value) else q.value
        numbers[q.id] = value
        off = not verdict.correct or bool(verdict.follows)
        root = verdict.follows[0] if verdict.follows else q.id
        previous[q.key] = value
        if off:
            wrong[q.key] = root
        if q.kind != "edge":
            for user_q in exercise.questions:  # a local slope read from this node's wrong value
                if off and user_q.kind == "local" and (user_q.node is q.node or q.node in user_q.node.inputs):
                    wrong.setdefault(user_q.key, root)
            continue
        child = q.below
        if child in running:
            delta = running[child]
            previous[delta] += value - q.value
            if off:
                roots.setdefault(child, root)
            if child in roots and not agrees(previous[delta], exercise.env[delta]):
                wrong[delta] = roots[child]
            else:
                wrong.pop(delta, None)
    return previous, wrong, numbers


def _with_cause(exercise: Exercise, verdict: Verdict, numbers: Mapping[str, float], wrong: Mapping[str, str]) -> Verdict:
    """A wrong product along an edge, named by its cause (``step_causes``), and where the learner's δ it was made
    from was already wrong, the answer that went wrong first, named once."""
    if verdict.correct or not verdict.id.startswith("edge:") or verdict.value is None:
        return verdict
    cause = edge_cause(exercise, verdict.id, verdict.value, {k: v for k, v in numbers.items() if k.startswith("edge:")})
    if cause is None:
        return verdict
    q = exercise.question(verdict.id)
    upstream = q.factors[0]
    # the symptom the question's own mistakes name, when one fits, then the cause
    text = (f"{verdict.diagnosis}; the cause: " if verdict.diagnosis else f"{q.name}: you gave {verdict.given}; ") \
        + cause.text
    if upstream and upstream in wrong:
        text += (f" (your {exercise.by_key()[upstream].name} itself follows from your {wrong[upstream]}, "
                 "marked there)")
    verdict.diagnosis = text
    if verdict.mistake is None:
        verdict.mistake = "square" if cause.kind in ("halved", "doubled") and cause.factor.startswith("2(") else \
            CAUSE_MISTAKES[cause.kind]
    return verdict

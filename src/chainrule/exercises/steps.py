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
from dataclasses import replace

from .. import ops
from ..explainer import trace as explain_trace
from ..explainer.format import num
from .exercise import Exercise, build
from .grading import Verdict, check
from .mistakes import Mistake, carried, distinct
from .questions import Question, fill

__all__ = ["step_exercise", "check_step", "step_questions"]


def _edge_questions(exercise: Exercise) -> list[Question]:
    view = exercise.view
    cost = view.cost
    order = cost.nodes()
    by_key = exercise.by_key()
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


def check_step(lesson: str, seed: int | None, qid: str, answer) -> Verdict:
    """Mark one answer of the step-through (``node:N`` or ``edge:E``), or of the exercise's own questions."""
    return check(exercise_for(lesson, seed, qid), qid, answer)

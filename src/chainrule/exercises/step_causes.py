"""Why a running product typed in the step-through is wrong: the cause, found as ``check --fn`` finds it.

Stepping through backprop, the learner types, edge by edge in backward
order, the running product each edge m ← n carries (n feeds m):

    δₘ · ∂m/∂n        (δₘ = ∂C/∂m, the sum of what the edges out of m carried)

A wrong product is a symptom; its cause is one factor. The learner's
products so far are handed to the very search of ``chainrule check --fn``
(``chainrule.explainer.wrong_edge.graph_causes``), each edge an entry of its
own (its ∂C/∂p is the running product along it), and where no mistake on an
edge explains the number, to its ratios (``chainrule.explainer.causes``):
"your ∂C/∂z lacks σ′(z) = 0.178 (∂a/∂z)", or "∂C/∂w is 5.62× too large: one
factor shared by its paths; 1/σ′(z) = 5.62: σ′(z) is missing".

Only this answer's own mistake is looked for. An earlier wrong answer has
been marked where it was made; what follows rightly from it earns its mark
(``grading.check``'s follow-through credit). So the product is read against
the learner's own δₘ (the sum of their own answers on the edges out of m):
their number is scaled by δₘ/δₘ′, as if their δₘ had been right, and every
earlier product is taken as right. A learner who kept their own δₘ′ and
left out σ′(z) is told about σ′(z), not about the earlier slip again. Where
that explains nothing (they took the right δₘ shown after two tries), their
number is read against backprop's δₘ as it stands.

Numbers agree to the learner's rounding: twice half a unit of the third
significant digit (``tolerance``), for the edges and for a named factor.
"""

from __future__ import annotations

import math
from typing import Mapping

from ..explainer.causes import Cause, ratio_causes, wrapped
from ..explainer.paths import users_of
from ..explainer.wrong_edge import graph_causes, graph_factors
from .exercise import Exercise
from .tolerance import tolerance

__all__ = ["edge_cause", "edge_of", "CAUSE_MISTAKES"]

# a cause's kind -> the kind of mistake a verdict names (``mistakes.MISTAKE_KINDS``)
CAUSE_MISTAKES = {"missing": "factor", "twice": "factor", "ratio": "factor", "flipped": "sign",
                  "halved": "factor", "doubled": "factor", "left out": "path"}


def edge_of(exercise: Exercise, qid: str) -> tuple:
    """The edge an ``edge:E`` question asks about: (m, k), the edge from m.inputs[k] (E indexes ``cost.edges()``)."""
    user, child, k = _edges(exercise)[int(qid.split(":", 1)[1])]
    return user, k


def _edges(exercise: Exercise) -> list[tuple]:
    """Every edge of the exercise's graph as (user, input, slot), in the order of ``cost.edges()``."""
    cost = exercise.view.cost
    out = []
    for user in cost.nodes():
        for k, child in enumerate(user.inputs):
            out.append((user, child, k))
    return out


def _own_delta(exercise: Exercise, node, answers: Mapping[str, float], reference: Mapping[str, float]) -> float:
    """δ of ``node`` as the learner has it: the sum of their products on the edges out of it (backprop's where
    they gave none); 1 for the cost."""
    if node is exercise.view.cost:
        return 1.0
    total = 0.0
    for e, (user, child, _) in enumerate(_edges(exercise)):
        if child is node:
            qid = f"edge:{e}"
            total += answers.get(qid, reference[qid])
    return total


def edge_cause(exercise: Exercise, qid: str, value: float, answers: Mapping[str, float]) -> Cause | None:
    """The cause of the wrong product ``value`` typed for ``qid`` (an ``edge:E`` question), or None.

    ``answers``: the learner's own numbers for the edges answered before it
    (by id). Read first against the learner's own δₘ, then against
    backprop's (see the module docstring).
    """
    if not math.isfinite(value):
        return None
    asked = [q for q in exercise.questions if q.id.startswith("edge:")]
    order = [q.id for q in asked]
    reference = {q.id: q.value for q in asked}
    before = order[:order.index(qid)]
    user, _ = edge_of(exercise, qid)
    own, right = _own_delta(exercise, user, answers, reference), _own_delta(exercise, user, {}, reference)
    tries = [value * right / own] if own != 0.0 and math.isfinite(own) and own != right else []
    for given in [x for x in tries + [value] if math.isfinite(x)]:
        cause = _search(exercise, before + [qid], reference, given)
        if cause is not None:
            return cause
    return None


def _search(exercise: Exercise, ids: list[str], reference: Mapping[str, float], value: float) -> Cause | None:
    """``check --fn``'s search with the edges ``ids`` as entries, all right but the last, which is ``value``."""
    cost = exercise.view.cost
    edges = _edges(exercise)
    users = users_of(cost)
    leaves, names = [], []
    for qid in ids:
        user, child, k = edges[int(qid.split(":", 1)[1])]
        leaves.append((user, k))
        name = wrapped(exercise.view.name(child))
        names.append(name if len(users[child]) == 1 else f"{name} on the path through {exercise.view.name(user)}")
    expected = [reference[qid] for qid in ids]
    given = expected[:-1] + [value]
    slack = 2 * tolerance(value)  # the learner's rounding, and a little of the rounding they carried
    tol = slack / (1 + abs(value))
    mine = names[-1]
    for cause in graph_causes(cost, leaves, given, expected, names, tol):
        if mine in cause.entries:
            return cause
    if expected[-1] == 0.0 or value == 0.0:
        return None
    match = slack / abs(value)
    for cause in ratio_causes(given, expected, names, [len(ids) - 1], graph_factors(cost), tol, False, match):
        if mine in cause.entries:
            return cause
    return None

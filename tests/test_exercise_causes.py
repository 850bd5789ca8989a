"""Exercise mode names a wrong product by its cause, as ``chainrule check --fn`` does (issue 23 §6).

Every number here comes from the step-through's own exercise (``step_exercise``) with its seed: the sigmoid's
slope σ′(z) = a(1 − a), the running products along each edge, never a number written by hand.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chainrule.exercises.step_causes import edge_of
from chainrule.exercises.steps import check_step, step_exercise
from chainrule.explainer.causes import short
from chainrule.explainer.paths import users_of
from chainrule.explainer.wrong_edge import graph_causes
from chainrule.web.exercise_routes import MAX_EARLIER
from chainrule.web.server import create_app

LESSON, SEED = "activation", 3


def typed(x: float) -> str:
    """A number as a learner types it: 3 significant digits."""
    return f"{x:.3g}"


@pytest.fixture(scope="module")
def ex():
    return step_exercise(LESSON, SEED)


def edge_into(ex, node_name: str, from_name: str):
    """The edge question whose edge runs from ``from_name`` into ``node_name`` (z → a: into a, from z)."""
    for q in ex.questions:
        if q.id.startswith("edge:") and ex.view.name(q.node) == node_name and ex.view.name(q.below) == from_name:
            return q
    raise LookupError(node_name, from_name)


def steps_before(ex, qid: str) -> list:
    steps = [q for q in ex.questions if q.id.startswith(("node:", "edge:"))]
    return steps[:[q.id for q in steps].index(qid)]


def slope(ex) -> float:
    a = ex.env["a"]
    return a * (1 - a)  # σ′(z) = σ(z)(1 − σ(z)), from the forward value a = σ(z)


def test_a_sigmoid_slope_left_out_is_named_with_its_value(ex):
    q = edge_into(ex, "a", "z")
    delta_a = q.value / slope(ex)  # the product without σ′(z): ∂C/∂a alone
    right = {p.id: typed(p.value) for p in steps_before(ex, q.id)}
    verdict = check_step(LESSON, SEED, q.id, typed(delta_a), right)
    assert not verdict.correct and verdict.mistake == "factor"
    assert f"lacks σ′(z) = {short(slope(ex))}" in verdict.diagnosis
    assert f"1/σ′(z) = {short(1 / slope(ex))}×" in verdict.diagnosis  # the factor's own value, not the rounded ratio
    # the same without the earlier answers (they are taken as right)
    assert f"lacks σ′(z) = {short(slope(ex))}" in check_step(LESSON, SEED, q.id, typed(delta_a)).diagnosis


def test_a_flipped_sign_is_named_at_its_edge(ex):
    q = edge_into(ex, "a", "z")
    verdict = check_step(LESSON, SEED, q.id, typed(-q.value))
    assert verdict.mistake == "sign" and "the sign is flipped at ∂C/∂z" in verdict.diagnosis


def test_answers_that_follow_from_an_earlier_wrong_one_keep_their_credit_and_name_it_once(ex):
    first = edge_into(ex, "a", "z")
    answers = {p.id: typed(p.value) for p in steps_before(ex, first.id)}
    mine = first.value / slope(ex)  # σ′(z) left out, and kept
    answers[first.id] = typed(mine)
    later = [q for q in ex.questions if q.id.startswith("edge:")]
    later = later[[q.id for q in later].index(first.id) + 1:]
    own = {first.id: mine}
    for q in later:  # each product computed rightly from the learner's own numbers
        factor = q.value / (ex.env[q.factors[0]] if q.factors[0] else 1.0)
        upstream = sum(own[p.id] for p in later + [first] if p.below is q.node and p.id in own) if q.factors[0] else 1
        value = float(typed(upstream * factor))
        verdict = check_step(LESSON, SEED, q.id, typed(value), answers)
        assert verdict.correct and verdict.follows == (first.id,), (q.id, verdict)
        assert verdict.note.count("follows from your") == 1 and first.id in verdict.note and not verdict.diagnosis
        answers[q.id], own[q.id] = typed(value), value


def test_a_new_mistake_on_top_of_an_earlier_one_is_named_and_the_earlier_once(ex):
    first = edge_into(ex, "a", "z")
    answers = {p.id: typed(p.value) for p in steps_before(ex, first.id)}
    mine = float(typed(first.value / slope(ex)))
    answers[first.id] = typed(mine)
    nxt = edge_into(ex, "z", "i·w")  # ∂z/∂(i·w) = 1: the product is the learner's own ∂C/∂z
    answers.update({p.id: typed(p.value) for p in steps_before(ex, nxt.id) if p.id not in answers})
    verdict = check_step(LESSON, SEED, nxt.id, typed(-mine), answers)  # their own ∂C/∂z, sign flipped
    assert not verdict.correct and verdict.mistake == "sign"
    assert "the sign is flipped at ∂C/∂(i·w)" in verdict.diagnosis
    assert verdict.diagnosis.count(f"follows from your {first.id}") == 1


def test_an_answer_off_by_a_factor_shared_by_all_its_paths_is_named_so(ex):
    q = edge_into(ex, "i·w", "w")  # ∂C/∂w: every path from w to C runs through z → a
    right = {p.id: typed(p.value) for p in steps_before(ex, q.id)}  # ∂C/∂(i·w) given rightly, σ′ and all
    verdict = check_step(LESSON, SEED, q.id, typed(q.value / slope(ex)), right)
    assert not verdict.correct
    assert f"∂C/∂w is {short(1 / slope(ex))}× too large: one factor shared by its paths" in verdict.diagnosis
    assert f"1/σ′(z) = {short(1 / slope(ex))}: σ′(z) is missing" in verdict.diagnosis


def test_an_edge_of_a_node_with_several_users_is_one_path_and_said_so():
    ex = step_exercise("wide", SEED)
    users = users_of(ex.view.cost)
    q = next(q for q in ex.questions if q.id.startswith("edge:") and len(users[q.below]) > 1 and q.below.inputs)
    verdict = check_step("wide", SEED, q.id, repr(-q.value))
    assert verdict.mistake == "sign"
    assert f"on the path through {ex.view.name(q.node)}" in verdict.diagnosis


def test_the_search_takes_an_edges_running_product_as_an_entry(ex):
    # wrong_edge: an edge (m, k) as an entry is δₘ·∂m/∂(input k); a slope left out on it is found there
    q = edge_into(ex, "a", "z")
    user, k = edge_of(ex, q.id)
    (cause,) = graph_causes(ex.view.cost, [(user, k)], [q.value / slope(ex)], [q.value], ["z"], 1e-9)
    assert cause.kind == "missing" and cause.factor == "σ′(z)" and cause.value == pytest.approx(slope(ex))


def test_a_wrong_answer_right_from_nothing_the_learner_wrote_has_no_invented_cause(ex):
    q = edge_into(ex, "i·w", "w")
    verdict = check_step(LESSON, SEED, q.id, typed(q.value * 1.37))
    assert not verdict.correct and "the cause" not in verdict.diagnosis


# ------------------------------------------------------------------ the API
@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def post(client, **body):
    return client.post("/api/exercise/check", json={"lesson": LESSON, "seed": SEED, **body})


def test_the_check_takes_the_learners_earlier_answers_and_says_what_follows(client, ex):
    first = edge_into(ex, "a", "z")
    nxt = edge_into(ex, "z", "i·w")
    mine = typed(first.value / slope(ex))
    earlier = [{"question": p.id, "answer": typed(p.value)} for p in steps_before(ex, first.id)]
    earlier += [{"question": first.id, "answer": mine}]
    r = post(client, question=nxt.id, answer=mine, earlier=earlier)
    assert r.status_code == 200 and r.json()["correct"] and r.json()["follows"] == [first.id]
    r = post(client, question=first.id, answer=mine, earlier=earlier[:-1])
    assert r.status_code == 200 and f"lacks σ′(z) = {short(slope(ex))}" in r.json()["diagnosis"]


@pytest.mark.parametrize("earlier, named", [
    ([{"question": "edge:0", "answer": "1"}], "'edge:0'"),  # not a step before the question
    ([{"question": "node:2", "answer": "1"}] * 2, "'node:2' is answered twice"),
    ([{"question": "node:2", "answer": "1!"}], "node:2"),  # not an answer
    ([{"question": "node:2", "answer": "1", "extra": 1}], "earlier[0].extra"),
    ([{"question": f"node:{i}", "answer": "1"} for i in range(MAX_EARLIER + 1)], "at most 200"),
    ({"node:2": "1"}, "earlier"),
])
def test_earlier_answers_are_bounded_and_a_bad_one_is_named(client, ex, earlier, named):
    q = edge_into(ex, "a", "z")
    r = post(client, question=q.id, answer="1", earlier=earlier)
    assert r.status_code == 422 and named in r.json()["error"], r.json()
    assert r.json()["detail"][0]["field"].startswith("earlier")

"""Every lesson's exercise comes from its graph: the questions of backprop in order, with numbers the engine agrees with."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from chainrule import lessons
from chainrule.errors import InvalidValueError
from chainrule.exercises import build, seed_for_student
from chainrule.exercises.draw import GRID, POSITIVE_GRID, SEED
from chainrule.exercises.exercise import _build
from chainrule.gradcheck import is_parameter
from chainrule.lessons.contract import Lesson
from chainrule.params import Param, Params
from chainrule.scalar import Parameter, Value

LESSONS = ["simplest", "chain", "activation", "wide", "batch", "why-backprop"]
SEEDS = [None, 0, 1, 7, 2024, SEED.high]


def ids(ex):
    return [q.id for q in ex.questions]


def test_the_simplest_exercise_asks_the_steps_of_the_video_in_order():
    ex = build("simplest")
    assert ids(ex) == ["a", "C", "dC/da", "da/dw", "dC/dw", "w_new", "C_after"]
    prompts = [q.prompt for q in ex.questions]
    assert prompts == ["a = i·w = ?", "C = (a − y)² = ?", "∂C/∂a = ?", "∂a/∂w = ?", "∂C/∂w = ?",
                       "new w = w − lr·∂C/∂w = ?", "C at new w = ?"]
    # the video's numbers: C falls from 0.16 to (1.5·0.68 − 0.8)² = 0.0484 in one step
    assert [round(q.value, 12) for q in ex.questions] == [1.2, 0.16, 0.8, 1.5, 1.2, 0.68, 0.0484]
    assert [q.formula for q in ex.questions][:5] == ["i·w", "(a − y)²", "2(a − y)", "i", "2(a − y)·i"]


def test_the_chain_exercise_walks_the_delta_recursion_from_the_cost_down():
    ex = build("chain", 3)
    assert ids(ex) == ["a1", "a2", "a3", "C",
                       "dC/da3", "da3/dw3", "dC/dw3",
                       "da3/da2", "dC/da2", "da2/dw2", "dC/dw2",
                       "da2/da1", "dC/da1", "da1/dw1", "dC/dw1",
                       "w3_new", "w2_new", "w1_new", "C_after"]
    q = ex.question("dC/da2")
    assert q.kind == "delta" and q.chain == "∂C/∂a₃ · ∂a₃/∂a₂"  # δ₂ = δ₃·w₃


@pytest.mark.parametrize("lesson, question, paths", [("batch", "dC/dw", 2), ("wide", "dC/da1_1", 2)])
def test_where_paths_meet_the_running_product_is_their_sum(lesson, question, paths):
    ex = build(lesson, 5)
    q = ex.question(question)
    assert len(q.terms) == paths and q.chain.count(" + ") == paths - 1
    by_key = ex.by_key()
    assert q.value == pytest.approx(sum(ex.env[u] * ex.env[s] if u else ex.env[s] for u, s in q.terms), rel=1e-15)
    assert {by_key[s].node for _, s in q.terms} and q.value == pytest.approx(
        sum(by_key[u].value * by_key[s].value for u, s in q.terms))


def test_every_question_comes_after_the_answers_it_is_computed_from():
    for lesson in LESSONS:
        ex = build(lesson, 11)
        seen = {g.key for g in ex.givens}
        for q in ex.questions:
            assert set(q.factors) - {""} <= seen, (lesson, q.id, set(q.factors) - seen)
            seen.add(q.key)


@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_the_exercises_numbers_are_the_engines(lesson, seed):
    ex = build(lesson, seed)
    for q in ex.questions:
        if q.kind in ("forward", "cost"):
            assert q.value == q.node.data, (q.id, q.value, q.node.data)  # the op table's formulas, bit for bit
        if q.kind == "gradient":
            weight = q.below
            assert is_parameter(weight)
            assert q.value == pytest.approx(weight.grad, rel=1e-12, abs=1e-15), q.id  # the engine's backward()
        if q.kind == "update":
            w = ex.env[q.factors[0]]
            assert q.value == pytest.approx(w - ex.params["learning_rate"] * ex.env[q.factors[2]], rel=1e-12)


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_numbers_are_drawn_within_the_lessons_declared_bounds(lesson):
    module = lessons.load(lesson)
    for seed in range(12):
        ex = build(lesson, seed)
        assert module.params.resolve(ex.params)  # every value obeys its declaration
        for p in module.params:
            if p.name not in ex.params:  # not drawn, not shaping the network: the lesson's default
                continue
            value = ex.params[p.name]
            if p.kind == "float" and p.symbol:
                assert value in (POSITIVE_GRID if p.low is not None and p.low >= 0 else GRID), (p.name, value)
            if p.kind == "floats":
                assert all(x in GRID for x in value), (p.name, value)


def test_the_same_seed_gives_the_same_exercise_and_other_seeds_other_numbers():
    first = [(q.id, q.value) for q in build("wide", 42).questions]
    _build.cache_clear()
    assert [(q.id, q.value) for q in build("wide", 42).questions] == first
    others = {tuple(q.value for q in build("simplest", s).questions) for s in range(20)}
    assert len(others) == 20


def test_the_same_seed_gives_the_same_exercise_in_another_process():
    code = ("import json; from chainrule.exercises import build; "
            "print(json.dumps([[q.id, q.value] for q in build('activation', 99).questions]))")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(h), "PATH": ""}).stdout for h in (1, 2)]
    here = [[q.id, q.value] for q in build("activation", 99).questions]
    assert json.loads(runs[0]) == json.loads(runs[1]) == here


def test_a_students_name_is_their_seed_whatever_the_spacing_or_case():
    assert seed_for_student("Ada Lovelace") == seed_for_student("  ada   LOVELACE ")
    assert seed_for_student("Ada Lovelace") != seed_for_student("Alan Turing")
    assert seed_for_student("Ada", 1) != seed_for_student("Ada", 2) != seed_for_student("Ada")
    assert SEED.low <= seed_for_student("Ada") <= SEED.high
    for bad in ["", "   ", "x" * 81, "tab\x00"]:
        with pytest.raises(InvalidValueError):
            seed_for_student(bad)


def test_a_drawn_exercise_has_answers_a_person_can_write():
    for lesson in LESSONS:
        for seed in range(10):
            ex = build(lesson, seed)
            assert all(1e-4 <= abs(q.value) <= 1e4 for q in ex.questions), (lesson, seed)


def test_the_shape_of_the_network_can_be_set_and_is_small_by_default():
    assert len(build("chain", 1, {"depth": 2}).questions) < len(build("chain", 1).questions)
    assert build("activation", 1, {"activation": "tanh"}).question("a").formula == "tanh(z)"
    assert build("why-backprop", 1).params["max_params"] == 3  # a neuron of one input, not 256
    with pytest.raises(InvalidValueError, match="cannot be set"):
        build("simplest", 1, {"input": 2.0})


def test_a_lesson_computed_through_unnamed_nodes_is_refused_saying_why(monkeypatch):
    mean = _mean_lesson()

    def unnamed(**params):  # the same network with none of its values named
        cost = mean.graph(**params)
        for node in cost.nodes():
            if node.op:
                node.label = ""
        return cost

    lesson = dataclasses.replace(mean, name="unnamed", graph=unnamed)
    monkeypatch.setitem(lessons.LESSONS, lesson.name, lesson)
    with pytest.raises(InvalidValueError, match="has no exercise: its graph computes through .* unnamed nodes"):
        build(lesson.name, 1)


# ------------------------------------------------------- a rung nobody wrote an exercise for
def _mean_lesson() -> Lesson:
    """A lesson the exercises have never seen: two examples through one tanh neuron, the mean of their costs."""
    params = Params(
        Param("inputs", (1.5, 0.5), "the inputs", kind="floats", low=-10, high=10, length=(2, 2)),
        Param("target", 0.3, "the target y", low=-10, high=10, symbol="y"),
        Param("weight", 0.8, "the weight w", low=-10, high=10, symbol="w"),
        Param("bias", 0.1, "the bias b", low=-10, high=10, symbol="b"),
        Param("learning_rate", 0.1, "the learning rate", low=0, low_open=True, high=1, symbol="lr"),
    )

    def graph(**given):
        p = params.resolve(given)
        w, b, y = Parameter(p["weight"], label="w"), Parameter(p["bias"], label="b"), Value(p["target"], label="y")
        errors = []
        for k, x in enumerate(p["inputs"], 1):
            z = Value.dot([w], [Value(x, label=f"x{'₁₂'[k - 1]}")], b).named(f"z{'₁₂'[k - 1]}")
            a = z.tanh().named(f"a{'₁₂'[k - 1]}")
            errors.append((a - y) ** 2)
        C = (Value.sum(errors) * 0.5).named("C")
        C.backward()
        return C

    return Lesson(name="mean-tanh", summary="two examples, one tanh neuron, the mean cost", params=params,
                  graph=graph, train=graph, explain=lambda result: None)


def test_a_new_lesson_gets_its_exercise_and_its_mistakes_from_its_graph_alone(monkeypatch):
    lesson = _mean_lesson()
    monkeypatch.setitem(lessons.LESSONS, lesson.name, lesson)
    ex = build(lesson.name, 3)
    assert ids(ex) == ["z1", "a1", "z2", "a2", "C", "dC/da2", "da2/dz2", "dC/dz2", "dC/da1", "da1/dz1", "dC/dz1",
                       "dz1/db", "dz2/db", "dC/db", "dz1/dw", "dz2/dw", "dC/dw", "w_new", "b_new", "C_after"]
    kinds = {m.kind for q in ex.questions for m in q.mistakes}
    assert {"sign", "square", "activation", "mean", "path", "factor", "learning_rate", "forward"} <= kinds
    assert any("the mean's 1/2" in m.what for m in ex.question("dC/da1").mistakes)
    for q in ex.questions:
        if q.kind == "gradient":
            assert q.value == pytest.approx(q.below.grad, rel=1e-12)

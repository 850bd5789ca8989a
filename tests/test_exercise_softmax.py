"""softmax's exercise, practised whole (issue 23 §3): the forward in order with m = max z asked, not given; nothing
given that gives a later answer away; every class's p and ∂C/∂zₖ asked; clean formulas; "C after the step" last."""

from __future__ import annotations

import math
import re

import pytest

from chainrule import lessons
from chainrule.exercises import check, grade
from chainrule.exercises import softmax as softmax_exercise
from chainrule.exercises.exercise import build, cost_after_step, key_number
from chainrule.exercises.network import View
from chainrule.exercises.slides import slides_of
from chainrule.exercises.worksheet import markdown, worksheets
from chainrule.exercises.tolerance import agrees
from chainrule.lessons.softmax import forward
from chainrule.scalar import Parameter, Value

SEEDS = range(40)


def forward_ids(target: int) -> list[str]:
    return ["z1", "z2", "z3", "m", "e1", "e2", "e3", "S", "p1", "p2", "p3", f"p{target}_without_shift", "C"]


def backward_ids(target: int) -> list[str]:
    y = target
    head = [f"dC/dp{y}", f"dp{y}/dS", "dC/dS"]
    per_class = []
    for k in (1, 2, 3):
        direct = [f"dp{y}/de{y}"] if k == y else []
        per_class += [f"dS/de{k}", *direct, f"dC/de{k}", f"de{k}/dz{k}", f"dC/dz{k}", f"dz{k}/dw{k}", f"dC/dw{k}"]
    return head + per_class + ["w1_new", "w2_new", "w3_new", "C_after"]


@pytest.mark.parametrize("target", [1, 2, 3])
def test_the_questions_come_in_order_forward_then_class_by_class_and_c_after_the_step_last(target):
    ex = build("softmax", 1, {"target": target})
    assert [q.id for q in ex.questions] == forward_ids(target) + backward_ids(target)
    assert ex.questions[-1].kind == "after" and ex.questions[-1].name == "C after the step"
    assert [q.kind for q in ex.questions[:13]] == ["forward"] * 11 + ["check", "cost"]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_question_is_computed_from_the_givens_and_the_answers_before_it(seed):
    ex = build("softmax", seed)
    known = {g.key for g in ex.givens}
    values = set(known)  # the givens and the forward values: the symbols of a formula
    for q in ex.questions:
        assert set(q.factors) <= known, (q.id, set(q.factors) - known)
        if q.kind in ("forward", "cost"):
            assert set(q.symbols) == values  # a formula may use what is known by then, nothing later
            values.add(q.key)
        known.add(q.key)
    assert set(ex.question("p3_without_shift").symbols) == {g.key for g in ex.givens} | {"z₁", "z₂", "z₃"}


def test_m_is_defined_before_anything_uses_it_in_the_network_and_the_prompts():
    ex = build("softmax", 1)
    lines = ex.network
    assert lines[:4] == ["z₁ = b₁ + w₁·x", "z₂ = b₂ + w₂·x", "z₃ = b₃ + w₃·x", "m = max(z₁, z₂, z₃)"]
    assert lines[4:] == ["e₁ = exp(z₁ − m)", "e₂ = exp(z₂ − m)", "e₃ = exp(z₃ − m)", "S = e₁ + e₂ + e₃",
                         "p₁ = e₁/S", "p₂ = e₂/S", "p₃ = e₃/S", "C = −log(p₃)"]
    first_use = next(k for k, q in enumerate(ex.questions) if re.search(r"(?<!\w)m(?!\w)", q.prompt))
    assert ex.questions[first_use].id == "m"
    m = ex.question("m")
    assert m.value == max(ex.env["z₁"], ex.env["z₂"], ex.env["z₃"])
    assert "subtracted" in ex.note and "overflow" in ex.note and "cancels" in ex.note


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_given_is_a_value_the_learner_computes(seed):
    ex = build("softmax", seed)
    givens = {g.key for g in ex.givens}
    assert "m" not in givens and not givens & {q.key for q in ex.questions}
    assert givens == {"x", "w₁", "b₁", "w₂", "b₂", "w₃", "b₃", "lr"}
    assert [g.key for g in ex.givens] == ["x", "w₁", "b₁", "w₂", "b₂", "w₃", "b₃", "lr"]
    # a given may equal a later answer by chance (x = z₁ = −0.5 at seed 3, lr = e₂ = 1), never by construction:
    # moved with the other givens (the exercise's other numbers), the two part
    for g in ex.givens:
        for q in ex.questions:
            if q.kind in ("forward", "cost", "check") and ex.env[q.key] == g.value:
                assert any(point[q.key] != point[g.key] for point in ex.points), (g.key, q.key)


def test_the_old_giveaway_is_gone_at_the_issue_s_seed():
    ex = build("softmax", 1)  # m was given as 3.12, and z₂ = 3.12 was a later question
    largest = max(ex.env[z] for z in ("z₁", "z₂", "z₃"))
    assert largest == pytest.approx(3.12) and all(g.value != largest for g in ex.givens)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_class_s_p_and_dc_dz_are_asked_and_dc_dz_is_p_minus_onehot(seed):
    ex = build("softmax", seed)
    y = ex.params["target"]
    for k in (1, 2, 3):
        p = ex.question(f"p{k}")
        assert p.kind == "forward" and p.value == pytest.approx(ex.env[f"e{chr(0x2080 + k)}"] / ex.env["S"])
        dz = ex.question(f"dC/dz{k}")
        assert dz.kind == "delta"
        assert dz.value == pytest.approx(p.value - (k == y), rel=1e-9, abs=1e-12)
        assert dz.formula == (f"p{chr(0x2080 + k)} − 1" if k == y else f"p{chr(0x2080 + k)}")
        w = ex.question(f"dC/dw{k}")
        assert w.formula == (f"(p{chr(0x2080 + k)} − 1)·x" if k == y else f"p{chr(0x2080 + k)}·x")
        assert ex.question(f"w{k}_new").kind == "update"
    assert sum(ex.env[f"p{chr(0x2080 + k)}"] for k in (1, 2, 3)) == pytest.approx(1)
    assert ex.question(f"p{y}_without_shift").value == pytest.approx(ex.env[f"p{chr(0x2080 + y)}"], rel=1e-12)


def test_the_gradients_are_the_engine_s():
    ex = build("softmax", 4)
    for k, w in zip((1, 2, 3), ("w₁", "w₂", "w₃")):
        weight = next(leaf for leaf in ex.view.leaves if leaf.label == w)
        assert ex.question(f"dC/dw{k}").value == pytest.approx(weight.grad, rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_key_prints_clean_formulas(seed):
    ex = build("softmax", seed)
    for q in ex.questions:
        for text in (q.prompt, q.formula, q.chain):
            assert "(−1)" not in text and "−1(" not in text and "−m + " not in text, (q.id, text)
    assert ex.question("e2").formula == "exp(z₂ − m)"
    assert ex.question("dC/dS").formula == "e₃/(p₃·S²)"


@pytest.mark.parametrize("seed", SEEDS)
def test_c_after_the_step_moves_every_class_s_weight_and_lowers_the_cost(seed):
    ex = build("softmax", seed)
    after = ex.question("C_after")
    assert after.value == pytest.approx(cost_after_step(ex), rel=1e-12) and after.value < ex.view.cost.data
    assert {q.below.label for q in ex.questions if q.kind == "update"} == {"w₁", "w₂", "w₃"}


def test_the_key_s_answers_score_full_marks_and_formulas_of_the_collapse_are_right():
    ex = build("softmax", 2)
    result = grade(ex, {q.id: key_number(q.value) for q in ex.questions})
    assert result.right == result.total == len(ex.questions)
    assert check(ex, "dC/dz1", "p1").correct and check(ex, "dC/dz3", "p3 - 1").correct
    assert check(ex, "dC/dw2", "p2*x").correct
    assert check(ex, "p3_without_shift", "exp(z3)/(exp(z1)+exp(z2)+exp(z3))").correct
    assert not check(ex, "dC/dz1", "p1 - 1").correct


def test_the_softmax_mistakes_are_named():
    ex = build("softmax", 2)
    env = ex.env
    wrong_class = check(ex, "dC/dz1", key_number(env["p₁"] - 1))
    assert wrong_class.mistake == "onehot" and "true class" in wrong_class.diagnosis
    true_class = check(ex, "dC/dz3", key_number(env["p₃"]))
    assert true_class.mistake == "onehot" and "−1" in true_class.diagnosis
    smallest = check(ex, "m", key_number(min(env["z₁"], env["z₂"], env["z₃"])))
    assert smallest.mistake == "forward" and "smallest" in smallest.diagnosis
    unshifted = check(ex, "e1", key_number(math.exp(env["z₁"])))
    assert unshifted.mistake == "forward" and "not subtracted" in unshifted.diagnosis
    carried = check(ex, "dC/dw1", key_number((env["p₁"] - 1) * env["x"]))
    assert carried.mistake == "onehot"


def test_the_check_refuses_the_answer_it_checks():
    ex = build("softmax", 2)
    assert "would give the check away" in ex.refused(ex.question("p3_without_shift"))["p₃"]
    assert "m" in ex.refused(ex.question("p3_without_shift"))


def test_the_slides_and_the_worksheet_carry_m_and_why():
    ex = build("softmax", 1)
    deck = "".join(slides_of(ex))
    assert "subtracted" in deck and "max" in deck
    sheet = markdown(worksheets("softmax", ["Ada"], class_seed=7)[0])
    assert "subtracted from every logit" in sheet
    assert sheet.index("m = \\max(z_{1}, z_{2}, z_{3})") < sheet.index("e_{1} = \\exp(z_{1} - m)")


def test_only_a_softmax_is_reshaped():
    for name in (module.LESSON.name for module in lessons.BUILT_IN):
        if name == "softmax":
            continue
        assert softmax_exercise.find(View.of(lessons.graph(name))) is None, name
        assert not build(name, 0).note
    # the explorer's step-through asks every node, as before
    assert "m" in {g.key for g in build("softmax", every_node=True).givens}


def test_a_softmax_whose_shift_is_not_the_largest_logit_is_not_reshaped():
    net = forward(Value(1.5, label="x"), [Parameter(v, label=f"w{s}") for v, s in ((0.8, "₁"), (-0.5, "₂"), (0.3, "₃"))],
                  [Parameter(v, label=f"b{s}") for v, s in ((0.0, "₁"), (0.2, "₂"), (0.1, "₃"))], 3)
    view = View.of(net.C)
    assert softmax_exercise.find(view) is not None
    net.shift.data = 0.0  # m is then a number, not max z: nothing says the exercise may ask it as max z
    assert softmax_exercise.find(View.of(net.C)) is None


def test_a_right_number_is_right_to_three_significant_digits():
    ex = build("softmax", 5)
    for q in ex.questions:
        assert agrees(float(key_number(q.value)), q.value), q.id

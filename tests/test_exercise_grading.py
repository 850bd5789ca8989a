"""The grader is right: every generated mistake is named, right answers within 3 significant digits always pass."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.errors import InvalidValueError
from chainrule.exercises import AnswerError, build, check, grade
from chainrule.exercises.exercise import key_number
from chainrule.exercises.mistakes import MISTAKE_KINDS
from chainrule.exercises.session import Session
from chainrule.exercises.steps import check_step, step_exercise
from chainrule.exercises.tolerance import tolerance

LESSONS = ["simplest", "chain", "activation", "wide", "batch", "why-backprop"]
SEEDS = [None, 1, 2, 3, 99]


@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_generated_mistake_is_named_by_the_grader(lesson, seed):
    ex = build(lesson, seed)
    named = 0
    for q in ex.questions:
        for m in q.mistakes:
            for given_ in (repr(m.value), key_number(m.value)):  # the exact number, and as a learner rounds it
                v = check(ex, q.id, given_)
                assert not v.correct, (q.id, m.what)
                assert v.mistake == m.kind and m.what in v.diagnosis, (q.id, given_, m.kind, m.what, v.diagnosis)
            named += 1
    assert named >= len(ex.questions)  # every question has at least its sign, most have more


@pytest.mark.parametrize("lesson", ["simplest", "chain", "activation", "wide", "batch"])
def test_every_mistake_of_the_step_through_is_named(lesson):
    ex = step_exercise(lesson, 4)
    for q in ex.questions:
        if not q.id.startswith(("node:", "edge:")):
            continue
        for m in q.mistakes:
            v = check(ex, q.id, repr(m.value))
            assert not v.correct and v.mistake == m.kind, (q.id, m.what, v.diagnosis)


def test_the_issues_own_example_reads_as_the_issue_wrote_it():
    v = check(build("simplest"), "dC/dw", "0.8")  # 2(a − y) = 0.8, the factor ∂a/∂w = i = 1.5 forgotten
    assert v.diagnosis == "∂C/∂w: you gave 0.8; that is ∂C/∂a = 2(a − y) without the factor ∂a/∂w = i = 1.5"


@pytest.mark.parametrize("kind, lesson, question, answer", [
    ("sign", "simplest", "dC/dw", "-1.2"),
    ("square", "simplest", "dC/da", "0.4"),
    ("activation", "activation", "da/dz", "0.768525"),        # σ(z) given for σ′(z)
    ("path", "batch", "dC/dw", "1.2"),                         # only the first example's path
    ("learning_rate", "simplest", "w_new", "-0.4"),            # w − ∂C/∂w: the rate forgotten
    ("learning_rate", "simplest", "w_new", "0.92"),            # w + lr·∂C/∂w: the step added
    ("product", "simplest", "da/dw", "0.8"),                   # ∂(i·w)/∂w taken as w
])
def test_the_common_mistakes_of_the_issue_are_recognised(kind, lesson, question, answer):
    v = check(build(lesson), question, answer)
    assert not v.correct and v.mistake == kind, v.diagnosis
    assert v.diagnosis.startswith(f"{v.name}: you gave {answer}; that is ")


def test_a_transposed_weight_matrix_is_recognised():
    ex = build("wide", 5)
    q = ex.question("dC/da1_1")
    transposed = [m for m in q.mistakes if m.kind == "transpose"]
    assert transposed, "wide's ∂C/∂a¹₁ = Σₖ δ²ₖ·w²ₖ₁ has a transposed version Σₖ δ²ₖ·w²₁ₖ"
    v = check(ex, q.id, key_number(transposed[0].value))
    assert v.mistake == "transpose" and "transposed" in v.diagnosis


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(LESSONS), st.integers(0, 50), st.data())
def test_random_right_answers_within_three_significant_digits_are_always_accepted(lesson, seed, data):
    ex = build(lesson, seed)
    q = data.draw(st.sampled_from(ex.questions))
    off = data.draw(st.floats(-0.999, 0.999)) * tolerance(q.value)
    for text in (repr(q.value + off), key_number(q.value), f"{q.value:.3g}", f"{q.value:.6f}"):
        v = check(ex, q.id, text)
        assert v.correct, (lesson, seed, q.id, q.value, text, v.diagnosis)


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(LESSONS), st.integers(0, 50), st.data())
def test_answers_off_by_more_than_the_third_digit_are_never_accepted(lesson, seed, data):
    ex = build(lesson, seed)
    q = data.draw(st.sampled_from(ex.questions))
    off = data.draw(st.floats(2.5, 50)) * tolerance(q.value) * data.draw(st.sampled_from([-1, 1]))
    assert not check(ex, q.id, repr(q.value + off)).correct


@pytest.mark.parametrize("lesson, question, formula", [
    ("simplest", "dC/dw", "2*(a-y)*i"), ("simplest", "dC/dw", "2(i w - y) i"), ("simplest", "C", "(i*w - y)^2"),
    ("activation", "da/dz", "a*(1-a)"), ("activation", "da/dz", "sigmoid(z)*(1-sigmoid(z))"),
    ("activation", "da/dz", "exp(-z)/(1+exp(-z))^2"), ("activation", "dz/dw", "i"),
    ("chain", "dC/da1", "2*(a3-y)*w3*w2"), ("wide", "da1_1/dz1_1", "a1_1*(1-a1_1)"),
    ("batch", "dC/dw", "2*(a1-y)*i1 + 2*(a2-y)*i2"), ("batch", "dC/dw", "2(i1 w - y) i1 + 2(i2 w - y) i2"),
])
def test_formulas_are_checked_as_formulas_in_any_equivalent_form(lesson, question, formula):
    v = check(build(lesson, 8), question, formula)
    assert v.correct, v.diagnosis


def test_a_formula_right_only_at_these_numbers_is_wrong_and_says_so():
    ex = build("simplest")  # i = 1.5: 2(a − y)·1.5 has the right value here, but it is not ∂C/∂w
    v = check(ex, "dC/dw", "2*(a-y)*1.5")
    assert not v.correct and "as a formula it is not ∂C/∂w" in v.diagnosis


def test_a_wrong_formula_is_matched_to_its_mistake_as_a_function():
    ex = build("activation", 3)
    assert check(ex, "da/dz", "a").mistake == "activation"        # σ(z) for σ′(z)
    assert check(ex, "dC/da", "a - y").mistake == "square"        # the 2 of the square forgotten
    assert check(ex, "dC/dw", "2*(a-y)*a*(1-a)").mistake == "factor"  # ∂z/∂w = i left out


def test_a_formula_may_not_use_the_value_it_asks_for_or_one_computed_later():
    ex = build("chain", 1)
    with pytest.raises(AnswerError, match="is what is asked"):
        check(ex, "a2", "a2")
    with pytest.raises(AnswerError, match="comes later in the forward pass"):
        check(ex, "a1", "a3/w3/w2")


def test_a_learner_who_rounds_is_marked_against_their_own_earlier_answers():
    ex = build("activation")  # a = σ(1.2) = 0.768525; C = (a − 0.8)² = 0.000990689
    rounded = 0.769  # right to 3 digits
    own_cost = (rounded - 0.8) ** 2  # 0.000961: 3 % off the exact cost, right from the learner's own a
    result = grade(ex, {"z": "1.2", "a": str(rounded), "C": repr(own_cost)})
    marks = {v.id: v for v in result.verdicts}
    assert marks["a"].correct and marks["C"].correct and "earlier answers" in marks["C"].note
    assert not check(ex, "C", repr(own_cost)).correct  # alone, against the exact a, it is wrong


def test_marking_every_answer_gives_the_score_and_the_kinds_of_step_that_went_wrong():
    ex = build("simplest")
    answers = {q.id: key_number(q.value) for q in ex.questions}
    answers.update({"dC/da": "0.4", "dC/dw": "-1.2"})
    result = grade(ex, answers)
    assert (result.right, result.total) == (5, 7)
    assert result.wrong_steps() == {"local derivatives": 1, "gradients": 1}
    assert result.mistakes() == {MISTAKE_KINDS["square"]: 1, MISTAKE_KINDS["sign"]: 1}
    assert result.lines()[-1] == "score: 5/7; wrong: local derivatives (1), gradients (1)"
    with pytest.raises(InvalidValueError, match="no question 'nope'"):
        grade(ex, {"nope": "1"})
    assert not grade(ex, {}).verdicts[0].correct  # no answer is a wrong answer


def test_a_session_names_the_mistake_then_gives_the_answer_after_a_second_miss():
    s = Session(build("simplest"))
    assert s.answer("1.2").state == "right"
    assert s.answer("0.16").state == "right"
    first = s.answer("0.4")  # ∂C/∂a without its 2
    assert first.state == "again" and "the 2 that the square brings down" in first.lines[0]
    assert "0.8" not in " ".join(first.lines)  # the answer is not shown before it is given or missed twice
    second = s.answer("0.5")  # no known mistake: no diagnosis; the answer now
    assert second.state == "revealed" and second.lines[-1] == "the answer: ∂C/∂a = 2(a − y) = 0.8"
    with pytest.raises(AnswerError):
        s.answer("x")  # not an answer: costs no try
    assert s.current.id == "da/dw" and s.tries == 0
    third = s.answer("2")
    assert third.state == "again" and third.lines[0].startswith("✗ not ∂a/∂w. Hint: differentiate a = i·w")
    for text in ("1.5", "1.2", "0.68", "0.0484"):  # … new w, and C after the step: (1.5·0.68 − 0.8)²
        assert s.answer(text).state == "right"
    assert s.done and (s.right, s.right_first_time) == (6, 5)
    assert s.summary()[0].startswith("score: 6/7; wrong: local derivatives (2)")


def test_the_step_through_checks_each_edges_running_product():
    right = check_step("simplest", None, "edge:1", "1.2")  # ∂C/∂a · ∂a/∂w = 0.8 · 1.5
    assert right.correct and right.name == "the product along ∂a/∂w"
    flipped = check_step("simplest", None, "edge:1", "-1.2")
    assert not flipped.correct and flipped.mistake == "sign" and "sign flipped" in flipped.diagnosis
    assert check_step("simplest", None, "node:2", "1.2").correct  # a = i·w, the forward pass
    assert check_step("simplest", None, "dC/dw", "1.2").correct  # the exercise's own ids work too
    assert check_step("wide", 3, "edge:0", repr(step_exercise("wide", 3).question("edge:0").value)).correct


def test_a_number_that_is_zero_up_to_rounding_is_only_right_as_zero():
    assert math.isclose(tolerance(0.0), 1e-9)
    assert tolerance(1.2345) == pytest.approx(0.005) and tolerance(0.01234) == pytest.approx(0.00005)


def test_an_answer_computed_rightly_from_a_wrong_one_follows_from_it_and_only_the_first_mistake_counts():
    ex = build("simplest")  # i = 1.5, w = 0.8, y = 0.8, lr = 0.1
    answers = {q.id: key_number(q.value) for q in ex.questions}
    # the 2 of the square forgotten (0.4 for 0.8), then every later step done rightly from that 0.4
    answers.update({"dC/da": "0.4", "dC/dw": "0.6", "w_new": "0.74", "C_after": key_number((1.5 * 0.74 - 0.8) ** 2)})
    result = grade(ex, answers)
    marks = {v.id: v for v in result.verdicts}
    assert not marks["dC/da"].correct and marks["dC/da"].mistake == "square"
    for qid in ("dC/dw", "w_new", "C_after"):
        assert marks[qid].correct and marks[qid].follows == ("dC/da",), qid
        assert "follows from your dC/da" in marks[qid].note
    assert (result.right, result.total) == (6, 7) and result.wrong_steps() == {"local derivatives": 1}
    assert "✓ ∂C/∂w = 0.6   follows from your dC/da (counted there)" in result.lines()
    # a later answer that follows from nothing the learner wrote is still wrong
    answers["w_new"] = "0.5"
    marks = {v.id: v for v in grade(ex, answers).verdicts}
    assert not marks["w_new"].correct and not marks["w_new"].follows


def test_the_class_summary_shows_every_mistake_tied_for_most_common():
    from chainrule.exercises.classroom import ClassMarks

    ex = build("simplest", 4)
    right = {q.id: key_number(q.value) for q in ex.questions}
    dC_da = ex.question("dC/da").value
    square = {**right, "dC/da": key_number(dC_da / 2)}  # the 2 of the square forgotten
    sign = {**right, "dC/da": key_number(-dC_da)}  # the sign flipped
    marks = ClassMarks(results={"ann": grade(ex, square), "bob": grade(ex, sign), "cy": grade(ex, right)})
    row = next(r for r in marks.question_rows() if r["question"] == "dC/da")
    assert row["wrong"] == 2 and " and " in row["most common mistake"]
    assert row["most common mistake"].count("(1)") == 2


def test_a_hint_states_the_op_s_rule_in_letters_the_exercise_does_not_use():
    for lesson, seed in (("why-backprop", 1), ("simplest", 1), ("activation", 2), ("softmax", 1)):
        ex = build(lesson, seed)
        symbols = {g.key for g in ex.givens} | {q.key for q in ex.questions}
        for q in ex.questions:
            if q.kind not in ("local", "gradient") or q.chain:
                continue
            rule = check(ex, q.id, "12345").hint.split("held fixed. ", 1)[1]
            letters = set(re.findall(r"(?<![\w∂])([a-z])(?![\w(])", rule))
            assert letters and not letters & symbols, (lesson, q.id, rule)  # u, v (or p, q…), never a, b, i
    assert "∂tanh(u)/∂u = 1 − tanh(u)²" in check(build("why-backprop", 1), "da/dz", "9").hint

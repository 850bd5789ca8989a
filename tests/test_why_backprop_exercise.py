"""why-backprop's exercise (issue 23 §2, §7): hand-sized numbers and only the symbols the lesson prints.

The exercise is the lesson's neuron with three inputs (its shape at HAND_SIZE), whose three gradients share one
∂C/∂z: the lesson's point, by hand.
"""

from __future__ import annotations

import re

import pytest

from chainrule.exercises.exercise import LARGEST, SMALLEST, build
from chainrule.lessons import why_backprop

SEEDS = range(500)
INDICES = re.compile("[₀-₉⁰¹²³⁴-⁹ₐ-ₜⱼᵢˡᵈ⁻]")  # subscripts and superscripts: which weight, layer or index
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def significant_digits(number: str) -> int:
    """'0.0740' → 3, '2' → 1, '0.268227634878321' → 15."""
    mantissa = number.split("e")[0].replace(".", "").lstrip("0")
    return max(1, len(mantissa))


def symbols(text: str) -> set[str]:
    """The names in a line of notation, without their indices: 'w₁·x₁ + 2(a − y)' → {'w', 'x', 'a', 'y'}."""
    return set(re.findall(r"[^\W\d_]+", INDICES.sub(" ", text)))


def printed(exercise) -> list[str]:
    """Everything the exercise and its key print, but the exact values."""
    data = exercise.to_json()
    lines = list(data["network"]) + [q["prompt"] for q in data["questions"]] + [q["name"] for q in data["questions"]]
    for answer in exercise.key():
        lines += [answer["answer"], answer["formula"], answer["chain"]]
    return lines


def test_the_exercise_is_the_lesson_s_neuron_whose_three_gradients_share_one_dC_dz():
    exercise = build("why-backprop", 0)
    assert exercise.network == ["z = w₁·x₁ + w₂·x₂ + w₃·x₃", "a = tanh(z)", "C = (a − y)²"]
    gradients = [q for q in exercise.questions if q.kind == "gradient"]
    assert sorted(q.name for q in gradients) == ["∂C/∂w₁", "∂C/∂w₂", "∂C/∂w₃"]
    assert all(q.chain.startswith("∂C/∂z · ") for q in gradients)  # one δ for all three
    assert [g.key for g in exercise.givens] == ["w₁", "x₁", "w₂", "x₂", "w₃", "x₃", "y"]


@pytest.mark.parametrize("seed", SEEDS)
def test_givens_have_two_significant_digits_and_answers_three(seed):
    exercise = build("why-backprop", seed)
    for given in exercise.givens:
        assert float(f"{given.value:.2g}") == given.value, (given.key, given.value)
    for q in exercise.questions:
        assert SMALLEST <= abs(q.value) <= LARGEST, (q.id, q.value)  # a number a person writes to 3 digits
    for line in printed(exercise):
        for number in NUMBER.findall(line):
            assert significant_digits(number) <= 3, (line, number)


@pytest.mark.parametrize("seed", SEEDS[:50])
def test_the_exercise_uses_only_the_symbols_the_lesson_prints(seed):
    lesson = symbols(why_backprop.NETWORK.split(": ", 1)[1])  # z = Σₖ wₖ·xₖ, a = tanh(z), C = (a − y)²
    exercise = build("why-backprop", seed)
    used = set().union(*(symbols(line) for line in printed(exercise)), *(symbols(g.key) for g in exercise.givens))
    assert used <= lesson, used - lesson
    assert {"w", "x", "y", "z", "a", "C"} <= used

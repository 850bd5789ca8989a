"""The step-through's exercise mode in Chromium: a wrong product is named by its cause on the page (issue 23 §6).

The learner forgets σ′(z) on the edge z → a of the activation lesson, and the page says which factor is missing
and its value with these numbers; they keep their own number, and the next product, computed rightly from it,
is right and said to follow from it. Numbers come from ``step_exercise``, never written here.
"""

from __future__ import annotations

import pytest

from test_web_browser import base_url, browser, expect, visit  # noqa: F401

from chainrule.explainer.causes import short
from chainrule.exercises.steps import step_exercise

pytestmark = pytest.mark.browser

LESSON, SEED = "activation", 3


def typed(x: float) -> str:
    return f"{x:.3g}"


def answer(page, text: str):
    page.locator("#ex-answer").fill(text)
    page.locator("#ex-answer").press("Enter")


def test_a_sigmoid_slope_left_out_is_named_on_the_page_and_the_next_step_follows_from_it(visit):
    ex = step_exercise(LESSON, SEED)
    steps = [q for q in ex.questions if q.id.startswith(("node:", "edge:"))]
    at = next(k for k, q in enumerate(steps) if q.id.startswith("edge:") and ex.view.name(q.node) == "a")
    asked, after = steps[at], steps[at + 1]
    slope = ex.env["a"] * (1 - ex.env["a"])  # σ′(z) = a(1 − a)
    page = visit().goto(f"/backprop?lesson={LESSON}&mode=exercise&seed={SEED}")
    expect(page.locator("main")).to_have_attribute("data-mode", "exercise")
    for k, q in enumerate(steps[:at]):  # every step before, answered rightly on the page
        answer(page, typed(q.value))
        expect(page.locator("main")).to_have_attribute("data-marks", "r" * (k + 1))
    mine = typed(asked.value / slope)  # ∂C/∂a alone: σ′(z) forgotten
    answer(page, mine)
    feedback = page.locator("#ex-feedback")
    expect(feedback).to_have_attribute("data-kind", "wrong")
    expect(feedback).to_have_attribute("data-mistake", "factor")
    expect(feedback).to_contain_text(f"lacks σ′(z) = {short(slope)}")
    answer(page, mine)  # the same again: the answer is shown, and the learner keeps their own number
    expect(page.locator("main")).to_have_attribute("data-marks", "r" * at + "a")
    expect(feedback).to_have_attribute("data-kind", "shown")
    local = after.value / ex.env[after.factors[0]]  # the next edge's own slope (∂z/∂(i·w) or ∂z/∂b)
    answer(page, typed(float(mine) * local))  # computed rightly from their own ∂C/∂z
    expect(page.locator("main")).to_have_attribute("data-marks", "r" * at + "ar")
    expect(feedback).to_have_attribute("data-kind", "right")
    expect(feedback).to_contain_text(f"follows from your {asked.id}")

"""The home page and the step-through from the keyboard and for a screen reader (issue 24 §2), in a real browser.

* Focus never lands on a disabled control, on the page itself, or moves by itself onto a destructive control
  (Reset, ◀): after every click that disables the button that had the focus, it is on the next step or on the line
  that says why the button is off.
* Every page has one h1.
* axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules (target size included) pass in every state these tests reach:
  after each step below, on a laptop and on a phone.
"""

from __future__ import annotations

import pytest

from browser_checks import axe_violations
from test_web_browser import NARROW, WIDE, base_url, browser, expect, visit  # noqa: F401
from test_web_pages import set_field, wait_home

from chainrule.exercises.steps import step_exercise
from chainrule.web import stepper

pytestmark = pytest.mark.browser

DESTRUCTIVE = {"btn-reset", "btn-back"}


def focus_state(page) -> dict:
    return page.evaluate("""() => { const a = document.activeElement;
        return { id: a ? a.id : null, tag: a ? a.tagName : null, disabled: !!(a && a.disabled), body: a === document.body }; }""")


def assert_focus_is_safe(page, where, expected=None):
    f = focus_state(page)
    assert not f["body"] and f["id"], (where, "focus fell to the page", f)
    assert not f["disabled"], (where, "focus is on a disabled control", f)
    assert f["id"] not in DESTRUCTIVE, (where, "focus moved onto a destructive control", f)
    if expected:
        assert f["id"] == expected, (where, f)


@pytest.mark.parametrize("path,title", [("/", "The simplest network"), ("/backprop", "Step through backprop")])
def test_every_page_has_one_h1(visit, path, title):
    v = visit()
    page = v.goto(path)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text(title)


def test_home_focus_after_step_and_run_disable_themselves(visit):
    v = visit()
    page = v.goto("/?lr=0.2")
    wait_home(page, 0)
    page.locator("#btn-run").focus()
    page.keyboard.press("Enter")  # Run to the minimum: there Step and Run switch off
    expect(page.locator("main")).to_have_attribute("data-ended", "1", timeout=30_000)
    expect(page.locator("#btn-run")).to_be_disabled()
    assert_focus_is_safe(page, "after Run stopped at the minimum", "limit-note")
    expect(page.locator("#limit-note")).to_contain_text("Step and Run are off")
    assert axe_violations(page) == []
    # the most steps the lesson takes: Step switches itself off at the last one
    page.goto(v.base_url + "/?lr=0.01&tol=0&k=999")
    wait_home(page, 999)
    page.locator("#btn-step").focus()
    page.keyboard.press("Enter")
    wait_home(page, 1000)
    expect(page.locator("#btn-step")).to_be_disabled()
    assert_focus_is_safe(page, "after Step reached the most steps", "limit-note")
    expect(page.locator("#limit-note")).to_contain_text("1000 steps is the most the lesson takes")
    assert axe_violations(page) == []


def test_backprop_focus_after_every_button_that_disables_itself(visit):
    trace = stepper.trace_lesson("chain")
    total = len(trace["events"])
    v = visit()
    page = v.goto("/backprop?lesson=chain")
    expect(page.locator("main")).to_have_attribute("data-lesson", "chain")
    page.locator("#btn-forward").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#btn-forward")).to_be_disabled()
    assert_focus_is_safe(page, "Forward", "btn-backward")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_have_attribute("data-edge", "1")
    page.locator("#btn-back").focus()
    page.keyboard.press("Enter")  # back to edge 0: ◀ switches off; focus to Backward, never Reset
    expect(page.locator("main")).to_have_attribute("data-edge", "0")
    assert_focus_is_safe(page, "◀ at the first edge", "btn-backward")
    page.locator("#btn-finish").focus()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_have_attribute("data-edge", str(total))
    assert_focus_is_safe(page, "To the end", "progress")
    page.keyboard.press("Enter")  # the line that has the focus does nothing
    expect(page.locator("main")).to_have_attribute("data-edge", str(total))
    assert axe_violations(page) == []


def test_the_exercise_keeps_the_focus_on_the_answer_and_never_on_a_disabled_check(visit):
    questions = [q for q in step_exercise("simplest", 3).questions if q.id.startswith(("node:", "edge:"))]
    v = visit()
    page = v.goto("/backprop?lesson=simplest&mode=exercise&seed=3")
    expect(page.locator("main")).to_have_attribute("data-mode", "exercise")
    answer = page.locator("#ex-answer")
    answer.fill(repr(questions[0].value))
    page.locator("#btn-check").focus()
    page.keyboard.press("Enter")  # Check, from the keyboard
    expect(page.locator("main")).to_have_attribute("data-marks", "r")
    assert_focus_is_safe(page, "after Check", "ex-answer")
    page.locator("#btn-back").focus()
    page.keyboard.press("Enter")  # no marks left: ◀ switches off
    expect(page.locator("main")).to_have_attribute("data-marks", "")
    assert_focus_is_safe(page, "◀ with no marks left", "ex-answer")
    for k, q in enumerate(questions):
        page.locator("#ex-answer").fill(repr(q.value))
        page.locator("#ex-answer").press("Enter")
        expect(page.locator("main")).to_have_attribute("data-marks", "r" * (k + 1))
    assert_focus_is_safe(page, "the last answer", "ex-done")
    assert axe_violations(page) == []


AXE_STATES = [
    "/?k=3", "/?i=1e-8&y=0.8&w=0.8&lr=0.1", "/?i=abc&k=zz&colour=1", "/?lr=5&k=20",
    "/backprop?lesson=wide", "/backprop?lesson=learning-rate&forward=1&edge=40",
    "/backprop?lesson=recurrent&forward=1&edge=23", "/backprop?lesson=convexity&mode=exercise",
    "/backprop?lesson=nonsense&edge=99&zoom=1", "/backprop?lesson=wide&mode=exercise&seed=3&marks=rrrrrrrrrrrrrrrrrrrrrrrrrr",
]


@pytest.mark.parametrize("size", ["wide", "narrow"])
@pytest.mark.parametrize("path", AXE_STATES)
def test_axe_wcag_22_aa_passes_in_every_state(visit, path, size):
    v = visit(NARROW if size == "narrow" else WIDE)
    page = v.goto(path)
    expect(page.locator("main")).to_have_attribute("data-busy", "0")
    if path.startswith("/backprop"):
        expect(page.locator("#graph [data-node]").first).to_be_attached()
        page.locator("#graph-view").focus()  # its focus ring, and the view zoomed in by the keyboard
        page.keyboard.press("+")
    assert axe_violations(page) == []


def test_the_home_fields_type_and_tab_in_order(visit):
    v = visit()
    page = v.goto("/")
    wait_home(page, 0)
    order = []
    page.locator("#slide-i").focus()
    for _ in range(12):
        order.append(focus_state(page)["id"])
        page.keyboard.press("Tab")
    assert order[:10] == ["slide-i", "in-i", "slide-y", "in-y", "slide-w", "in-w", "slide-lr", "in-lr", "slide-tol", "in-tol"]
    assert order[10:12] == ["btn-step", "btn-run"]
    set_field(page, "tol", "0.01")
    wait_home(page, 0)

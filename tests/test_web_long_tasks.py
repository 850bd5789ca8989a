"""Fast to use, not just to draw (issue 24 §5): no main-thread task over 200 ms once the first number is drawn.

The Long Tasks API records every task of the page's main thread over 50 ms; the pages mark the moment they first
draw a number computed by the server (``CR.firstNumber()``). Each test acts as a learner would, from the first
load on (Run to the minimum, type, drag; step through all 97 edges of the learning-rate graph, zoom, change the
lesson), then reads every long task that ended after that mark. The home page draws its parabola as a plain SVG
and loads no plotly.js at all (parsing plotly's 4.8 MB held the main thread for one to two seconds).

Each test prints the longest task it saw and how many were over 50 ms (``pytest -s``); docs/benchmarks.md's
figures come from ``bench/bench_long_tasks.py`` (a plain load of each page, not these actions).
"""

from __future__ import annotations

import pytest

from browser_checks import LONG_TASK_MS, first_number_at, long_tasks_after_first_number, watch_long_tasks
from test_web_browser import NARROW, WIDE, base_url, browser, expect, visit  # noqa: F401
from test_web_pages import set_field, wait_home

from chainrule.web import stepper

pytestmark = pytest.mark.browser


def report(page, what: str) -> list[tuple[float, float]]:
    tasks = long_tasks_after_first_number(page)
    longest = max((d for _, d in tasks), default=0.0)
    print(f"\n{what}: first number at {first_number_at(page):.0f} ms; after it {len(tasks)} task(s) over 50 ms, "
          f"the longest {longest:.0f} ms")
    return tasks


@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_the_home_page_has_no_long_task_after_its_first_number(visit, size):
    v = visit(NARROW if size == "narrow" else WIDE)
    watch_long_tasks(v.page)
    page = v.goto("/?lr=0.05")
    wait_home(page, 0)
    page.locator("#btn-run").click()
    expect(page.locator("#stop-line")).to_contain_text("At the minimum", timeout=60_000)
    set_field(page, "w", "−2")
    wait_home(page, 0)
    slider = page.locator("#slide-lr")
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    wait_home(page, 0)
    for _ in range(5):
        page.locator("#btn-step").click()
    wait_home(page, 5)
    page.set_viewport_size({"width": 900, "height": 700})  # the chart is drawn again at its new width
    page.wait_for_timeout(300)
    assert not [u for u in v.requests if "plotly" in u], "the home page loads no plotly.js"
    tasks = report(page, f"home page ({size})")
    assert all(d <= LONG_TASK_MS for _, d in tasks), tasks


@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_the_step_through_has_no_long_task_after_its_first_number(visit, size):
    trace = stepper.trace_lesson("learning-rate")
    v = visit(NARROW if size == "narrow" else WIDE)
    watch_long_tasks(v.page)
    page = v.goto("/backprop?lesson=learning-rate")
    expect(page.locator("main")).to_have_attribute("data-lesson", "learning-rate")
    page.locator("#btn-forward").click()
    page.locator("#btn-backward").focus()
    for k in range(1, len(trace["events"]) + 1):
        page.keyboard.press("Enter")
    expect(page.locator("main")).to_have_attribute("data-edge", str(len(trace["events"])))
    page.locator("#graph-view").focus()
    for key in ["+", "+", "ArrowLeft", "ArrowUp", "-", "0", "f"]:
        page.keyboard.press(key)
    page.locator("#lesson").select_option("recurrent")
    expect(page.locator("main")).to_have_attribute("data-lesson", "recurrent")
    page.locator("#btn-finish").click()
    expect(page.locator("main")).to_have_attribute("data-done", "1")
    page.locator("#lesson").select_option("convexity")
    expect(page.locator("main")).to_have_attribute("data-lesson", "convexity")
    page.locator("#btn-finish").click()
    expect(page.locator("main")).to_have_attribute("data-done", "1")
    page.wait_for_timeout(300)
    tasks = report(page, f"step-through ({size})")
    assert all(d <= LONG_TASK_MS for _, d in tasks), tasks

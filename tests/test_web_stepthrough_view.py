"""The step-through's view of its graph in a real browser (issue 24 §3): readable at any size, zoomed and panned by
wheel, pinch, drag and keys, following the active edge, with an overview of where it sits.

"Readable" is measured, not assumed: the active edge's local derivative (the label in the port it enters) and the
running sum it sends to its source are inside the view, drawn at 11 px or more on screen (the text's font size times
the scale the SVG is drawn at). An edge too long for the view to hold both ends keeps its port in view and shows the
sum on a button at the view's edge that points to the source. Every edge of the recurrent and learning-rate graphs
is checked, and the first, middle and last of every other lesson's, at 1280 px and at 390 px wide.
"""

from __future__ import annotations

import pytest

from browser_checks import axe_violations
from test_web_browser import NARROW, WIDE, base_url, browser, expect, screenshot, screenshots, visit  # noqa: F401

from chainrule.web import stepper

pytestmark = pytest.mark.browser

LESSONS = stepper.available_lessons()
LEAST_PX = 11
# Where each followed text stands: inside the view, and its size on screen.
MEASURE = """(edge) => {
  const view = document.getElementById('graph-view').getBoundingClientRect();
  const look = (t) => {
    if (!t || !t.textContent) return null;
    const r = t.getBoundingClientRect(), m = t.getScreenCTM();
    return { text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
             inside: r.left >= view.left - 0.5 && r.right <= view.right + 0.5 && r.top >= view.top - 0.5 && r.bottom <= view.bottom + 0.5 };
  };
  const e = edge;
  const button = document.getElementById('btn-source');
  return { label: look(document.querySelector(`[data-edge-label="${e.edge}"]`)),
           sum: look(document.querySelector(`[data-grad="${e.source}"]`)),
           pointer: button.hidden ? null : { text: button.textContent, px: parseFloat(getComputedStyle(button).fontSize) },
           scale: Number(document.getElementById('graph-view').dataset.scale) };
}"""


def settled(page):
    expect(page.locator("#graph-view")).not_to_have_attribute("data-moving", "1")


def view_box(page) -> list[float]:
    """The part of the graph on screen, in layout px: x, y, width, height."""
    return [float(x) for x in page.locator("#graph-view").get_attribute("data-view").split()]


def scale(page) -> float:
    return float(page.locator("#graph-view").get_attribute("data-scale"))


def check_readable(page, trace, k: int, where: str):
    event = trace["events"][k - 1]
    found = page.evaluate(MEASURE, {"edge": event["edge"], "source": event["source"]})
    label, total = found["label"], found["sum"]
    assert label and label["text"] == trace["edges"][event["edge"]]["local_text"], (where, found)
    assert label["inside"] and label["px"] >= LEAST_PX - 1e-6, (where, "the edge's local derivative", found)
    if total and total["inside"]:
        assert total["px"] >= LEAST_PX - 1e-6, (where, "the running sum", found)
    else:  # the source is out of view: the button at the view's edge says where it is and what it now holds
        assert found["pointer"] and event["text"]["sum"] in found["pointer"]["text"], (where, found)
        assert found["pointer"]["px"] >= LEAST_PX, (where, found)


def edges_to_check(lesson: str, trace: dict) -> list[int]:
    n = len(trace["events"])
    if lesson in ("recurrent", "learning-rate"):
        return list(range(1, n + 1))
    return sorted({1, n // 2, n})


@pytest.mark.parametrize("size", ["wide", "narrow"])
@pytest.mark.parametrize("lesson", LESSONS)
def test_the_view_follows_the_active_edge_at_a_readable_size(visit, lesson, size):
    trace = stepper.trace_lesson(lesson)
    v = visit(NARROW if size == "narrow" else WIDE)
    v.page.emulate_media(reduced_motion="reduce")  # every move at once: the test reads the view where it ends
    page = v.goto(f"/backprop?lesson={lesson}&forward=1")
    expect(page.locator("main")).to_have_attribute("data-lesson", lesson)
    checks = edges_to_check(lesson, trace)
    backward = page.locator("#btn-backward")
    for k in range(1, max(checks) + 1):
        backward.click()
        expect(page.locator("main")).to_have_attribute("data-edge", str(k))
        if k in checks:
            settled(page)
            check_readable(page, trace, k, f"{lesson} at {size}, edge {k}")
            assert page.locator("#graph-view").get_attribute("data-following") == "1"


def test_an_address_with_an_edge_opens_on_it_and_the_overview_marks_it(visit, screenshots):
    trace = stepper.trace_lesson("learning-rate")
    k = 60
    v = visit(WIDE)
    page = v.goto(f"/backprop?lesson=learning-rate&forward=1&edge={k}")
    expect(page.locator("main")).to_have_attribute("data-edge", str(k))
    settled(page)
    check_readable(page, trace, k, "opened at edge 60")
    edge = trace["events"][k - 1]["edge"]
    expect(page.locator(f'#overview .o-edge.on[data-edge="{edge}"]')).to_have_count(1)
    expect(page.locator("#overview .o-edge.on")).to_have_count(1)
    # the overview's rectangle is the part of the graph on screen
    x, y, w, h = view_box(page)
    rect = page.locator("#overview .view-rect")
    assert float(rect.get_attribute("x")) == pytest.approx(max(0, x), abs=0.5)
    assert float(rect.get_attribute("y")) == pytest.approx(max(0, y), abs=0.5)
    screenshot(page, screenshots, "backprop-learning-rate-followed")


def test_keys_zoom_pan_show_the_whole_graph_and_follow_again(visit):
    v = visit(WIDE)
    v.page.emulate_media(reduced_motion="reduce")
    page = v.goto("/backprop?lesson=learning-rate&forward=1&edge=10")
    expect(page.locator("main")).to_have_attribute("data-edge", "10")
    settled(page)
    view = page.locator("#graph-view")
    view.focus()
    s0 = scale(page)
    page.keyboard.press("+")
    assert scale(page) == pytest.approx(min(4, s0 * 1.25), rel=1e-3)
    expect(view).to_have_attribute("data-following", "0")
    expect(page.locator("#btn-follow")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("-")
    assert scale(page) == pytest.approx(s0, rel=1e-3)
    x0 = view_box(page)[0]
    page.keyboard.press("ArrowRight")
    assert view_box(page)[0] > x0
    page.keyboard.press("0")  # the whole graph: all of it in view
    x, y, w, h = view_box(page)
    trace = stepper.trace_lesson("learning-rate")
    assert x <= 0 and y <= 0 and x + w >= trace["width"] and y + h >= trace["height"]
    assert scale(page) < 1
    page.keyboard.press("f")  # following again: readable
    expect(view).to_have_attribute("data-following", "1")
    check_readable(page, trace, 10, "after F")
    # the buttons do the same
    page.locator("#btn-zoom-in").click()
    expect(view).to_have_attribute("data-following", "0")
    page.locator("#btn-whole").click()
    settled(page)
    assert scale(page) < 1
    page.locator("#btn-follow").click()
    settled(page)
    check_readable(page, trace, 10, "after Follow the edge")
    # a step while the reader had moved away follows again
    page.locator("#btn-zoom-out").click()
    page.locator("#btn-backward").click()
    expect(page.locator("main")).to_have_attribute("data-edge", "11")
    settled(page)
    check_readable(page, trace, 11, "after a step")


def test_ctrl_wheel_zooms_about_the_pointer_a_plain_wheel_scrolls_the_page_and_a_drag_pans(visit):
    v = visit(WIDE)
    v.page.emulate_media(reduced_motion="reduce")
    page = v.goto("/backprop?lesson=wide&forward=1&edge=3")
    expect(page.locator("main")).to_have_attribute("data-edge", "3")
    settled(page)
    box = page.locator("#graph-view").bounding_box()
    px, py = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4
    x, y, w, h = view_box(page)
    s0 = scale(page)
    under = (x + (px - box["x"]) / s0, y + (py - box["y"]) / s0)  # the graph point under the pointer
    page.mouse.move(px, py)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    page.wait_for_timeout(100)
    s1 = scale(page)
    assert s1 > s0
    x, y, w, h = view_box(page)
    assert (x + (px - box["x"]) / s1, y + (py - box["y"]) / s1) == pytest.approx(under, abs=1.0), "it stays under the pointer"
    # a plain wheel leaves the graph as it is and says how to zoom
    page.mouse.wheel(0, 200)
    page.wait_for_timeout(100)
    assert scale(page) == pytest.approx(s1)
    expect(page.locator("#graph-view")).to_have_attribute("data-hint", "1")
    # a drag pans: the graph moves with the pointer
    before = view_box(page)
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(px - 120, py - 40, steps=4)
    page.mouse.up()
    after = view_box(page)
    assert after[0] == pytest.approx(before[0] + 120 / s1, abs=0.5) and after[1] == pytest.approx(before[1] + 40 / s1, abs=0.5)


def test_a_pinch_zooms_on_a_touch_screen(browser, base_url):
    context = browser.new_context(viewport=NARROW, has_touch=True, is_mobile=True, reduced_motion="reduce")
    errors = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base_url + "/backprop?lesson=wide&forward=1&edge=3")
        expect(page.locator("main")).to_have_attribute("data-edge", "3")
        settled(page)
        box = page.locator("#graph-view").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        s0 = scale(page)
        cdp = context.new_cdp_session(page)

        def touch(kind, points):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                {"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]})

        touch("touchStart", [(cx - 20, cy), (cx + 20, cy)])
        for d in range(20, 81, 10):
            touch("touchMove", [(cx - d, cy), (cx + d, cy)])
        touch("touchEnd", [])
        page.wait_for_timeout(100)
        assert scale(page) == pytest.approx(min(4, s0 * 4), rel=0.05), "fingers 40 px apart, then 160: four times larger"
        expect(page.locator("#graph-view")).to_have_attribute("data-following", "0")
        assert not errors
    finally:
        context.close()


def test_the_overview_moves_the_view_and_the_source_button_goes_to_the_source(visit, screenshots):
    trace = stepper.trace_lesson("recurrent")
    v = visit(NARROW)
    v.page.emulate_media(reduced_motion="reduce")
    # the recurrent net's shared weight feeds every time step: its longest edges cannot show both ends on a phone
    longest = max(range(1, len(trace["events"]) + 1), key=lambda k: abs(
        trace["nodes"][trace["events"][k - 1]["source"]]["box"]["x"] - trace["nodes"][trace["events"][k - 1]["target"]]["box"]["x"]))
    page = v.goto(f"/backprop?lesson=recurrent&forward=1&edge={longest}")
    expect(page.locator("main")).to_have_attribute("data-edge", str(longest))
    settled(page)
    event = trace["events"][longest - 1]
    pointer = page.locator("#btn-source")
    expect(pointer).to_be_visible()
    expect(pointer).to_contain_text(event["text"]["sum"])
    screenshot(page, screenshots, "backprop-phone-long-edge")
    pointer.click()
    settled(page)
    found = page.evaluate(MEASURE, {"edge": event["edge"], "source": event["source"]})
    assert found["sum"]["inside"] and found["sum"]["px"] >= LEAST_PX, found
    expect(page.locator("#graph-view")).to_have_attribute("data-following", "0")
    # a press on the overview centres the view on that point of the graph
    ov = page.locator("#overview").bounding_box()
    before = view_box(page)
    page.mouse.click(ov["x"] + ov["width"] * 0.9, ov["y"] + ov["height"] / 2)
    after = view_box(page)
    assert after[0] > before[0], "the view moved right, towards the cost"
    assert axe_violations(page) == []

"""The playground's third edition in a real browser (issue 24): never silent, keyboard and axe, streamed training,
several classes, sliders, a legend, hover views, and no long task once the numbers are drawn.

Each test acts like a learner: it opens a link (junk in it too), trains, pauses, hovers the network, tabs through
the controls, and reads what the page says. axe-core comes from npm and the long tasks are timed by
the browser's own Long Tasks API (both ``tests/browser_checks.py``). Screenshots go where ``CHAINRULE_SCREENSHOTS`` says
(``make screenshots``: the README's table against TensorFlow Playground).
"""

from __future__ import annotations

import filecmp
import json
import re
from pathlib import Path

import pytest

from test_web_browser import (  # noqa: F401 - fixtures
    NARROW, base_url, browser, screenshot, screenshots, visit,
)
from test_web_playground import query, record_requests, wait_idle, wait_step, wire_point  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from browser_checks import LONG_TASK_MS, axe_violations, long_tasks_after_first_number, watch_long_tasks  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "chainrule" / "web" / "static" / "vendor"


def axe_clean(page, state: str) -> None:
    """No violation of axe-core's WCAG 2.2 AA rules in this state of the page."""
    bad = axe_violations(page)
    assert not bad, f"{state}: " + "; ".join(bad)


def notes_text(page) -> str:
    return page.locator("#url-notes-list").text_content()


def focused(page) -> dict:
    return page.evaluate("() => { const e = document.activeElement;"
                         " return {id: e.id, tag: e.tagName, disabled: Boolean(e.disabled), hidden: e.offsetParent === null}; }")


def assert_focus_safe(page, where: str):
    """Focus on something the user can see and use: never a disabled or hidden control, the page, Reset or ◀ Back."""
    f = focused(page)
    assert f["tag"] != "BODY", f"{where}: the focus fell to the page"
    assert not f["disabled"] and not f["hidden"], f"{where}: the focus is on {f}"
    assert f["id"] not in ("btn-reset", "tr-back", "btn-clear"), f"{where}: the focus moved onto {f['id']}"


# --------------------------------------------------------------- 1. never silent
JUNK = [
    ("?t=99999999", "t", ["t=99,999,999", "at most 100,000 steps", "started at step 0"], 0),
    ("?data=nope", "data", ["data=nope: not a data set", "used data=moons"], 0),
    ("?problem=regression&data=moons", "data", ["data=moons: a data set of classification", "used data=plane"], 0),
    ("?act=softplus", "act", ['"softplus" is not an activation', "allowed: tanh, relu, sigmoid", "used tanh"], 0),
    ("?feat=x1,bogus", "feat", ['"bogus" is not a feature', "used feat=x1"], 0),
    ("?t=-5", "t", ["t=-5: not a step", "started at step 0"], 0),
    ("?t=2.5", "t", ["t=2.5: not a step"], 0),
    ("?edits=1,2,3", "edits", ["an edit is 5 numbers", "the last 3 numbers were ignored"], 0),
    ("?edits=0,9,9,9,1&layers=4", "edits", ["[0,9,9,9,1]: the network has no layer 9 (layers 1 to 2)"], 0),
    ("?layers=4&t=3&edits=5,1,1,1,0.5", "edits", ["step 5 is not a step from 0 to t=3"], 3),
    ("?reg=l3", "reg", ["reg=l3: not a regularization", "used reg=none"], 0),
    ("?show=both", "show", ["show=both", "used show=weights"], 0),
    ("?zoom=2", "unknown:ignored", ["Ignored in the address: “zoom”, not a setting of this page"], 0),
    ("?t=4&t=9&layers=3", "twice:t", ["t is given 2 times in the address; the first, “4”, is used"], 4),
    ("?data=custom#pts=%%%", "pts", ["#pts=…: the points in the address are not valid base64"], None),
]


@pytest.mark.parametrize("link,key,words,step", JUNK, ids=[j[0] for j in JUNK])
def test_every_refused_or_ignored_address_value_is_named_after_the_first_answer_and_stays(visit, link, key, words, step):
    v = visit()
    page = v.goto(f"/playground{link}")
    if step is None:
        expect(page.locator("main")).to_have_attribute("data-step", "empty")
    else:
        wait_step(page, step)
    page.wait_for_timeout(300)  # answers after the first must not wipe it either
    note = page.locator(f'#url-notes-list li[data-key="{key}"]')
    expect(note).to_have_count(1)
    for w in words:
        assert w in note.text_content(), (w, note.text_content())
    expect(page.locator("#url-notes")).to_be_visible()
    if step is not None and key.split(":")[-1] not in ("t", "edits"):  # training on does not change that setting: it stays
        page.locator("#btn-step").click()
        wait_step(page, step + 1)
        expect(note).to_have_count(1)
    axe_clean(page, f"the address's notes shown ({link})")


@pytest.mark.parametrize("link,key,change", [
    ("?data=nope", "data", lambda p: p.locator("#dataset").select_option("circles")),
    ("?act=softplus", "act", lambda p: p.locator("#act-1").select_option("relu")),
    ("?feat=x1,bogus", "feat", lambda p: p.locator("#feat-x2").check()),
    ("?t=99999999", "t", lambda p: p.locator("#btn-step").click()),
    ("?reg=l3", "reg", lambda p: p.locator("#reg").select_option("l2")),
])
def test_a_note_goes_when_its_setting_is_changed_and_not_before(visit, link, key, change):
    v = visit()
    page = v.goto(f"/playground{link}")
    wait_step(page, 0)
    expect(page.locator(f'#url-notes-list li[data-key="{key}"]')).to_have_count(1)
    page.locator("#btn-reset").click()  # a restart is no change of that setting ...
    wait_step(page, 0)
    if key != "t":
        expect(page.locator(f'#url-notes-list li[data-key="{key}"]')).to_have_count(1)
    change(page)  # ... but this is
    wait_idle(page)
    expect(page.locator(f'#url-notes-list li[data-key="{key}"]')).to_have_count(0)


def test_edits_that_name_no_weight_throw_nothing_and_the_rest_are_kept(visit):
    v = visit()
    page = v.goto("/playground?layers=4&t=5&edits=0,9,9,9,1,2,1,1,1,0.75")
    wait_step(page, 5)
    assert "[0,9,9,9,1]: the network has no layer 9" in notes_text(page)
    assert query(page)["edits"] == "2,1,1,1,0.75"  # the good edit stays in the address
    v.check_clean()  # no uncaught error on the way


def test_the_minus_sign_the_page_prints_is_accepted_wherever_a_number_is_typed(visit):
    v = visit()
    page = v.goto("/playground?data=custom&layers=3")
    expect(page.locator("main")).to_have_attribute("data-step", "empty")
    page.locator("#add-point summary").click()
    for x, y, c in (("−0.25", "−0.5", "0"), ("0.75", "−1e−1", "1")):
        page.locator("#pt-x").fill(x)
        page.locator("#pt-y").fill(y)
        page.locator("#pt-label").fill(c)
        page.locator("#btn-add-point").click()
    wait_step(page, 0)
    sent = record_requests(page)
    page.locator("#rate").fill("0")
    page.locator("#seed").fill("+3")
    page.locator("#seed").press("Tab")
    wait_step(page, 0)
    assert sent[-1]["points"] == [[-0.25, -0.5, 0], [0.75, -0.1, 1]] and sent[-1]["seed"] == 3
    page.locator("#csv-box summary").click()
    page.locator("#csv-text").fill("−1,0.5,0\n1,−0.5,2\n")
    page.locator("#btn-csv").click()
    wait_step(page, 0)
    expect(page.locator("#csv-errors")).to_contain_text("2 points read")


def test_a_long_rebuild_shows_its_progress_and_can_be_cancelled(visit, screenshots):
    v = visit()
    page = v.goto("/playground?data=moons&layers=8,8&t=30000")
    expect(page.locator("#rebuild")).to_be_visible(timeout=20_000)
    expect(page.locator("#rebuild-text")).to_contain_text("Rebuilding the address's network: step")
    page.wait_for_function("() => Number(document.getElementById('rebuild-progress').value) >= 2000", timeout=60_000)
    assert page.locator("#rebuild-progress").get_attribute("max") == "30000"
    screenshot(page, screenshots, "playground-rebuild")
    axe_clean(page, "a rebuild in progress")
    page.locator("#btn-cancel").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#rebuild")).to_be_hidden()
    wait_idle(page)
    step = page.locator("main").get_attribute("data-step")
    assert 2000 <= int(step) < 30000
    page.wait_for_timeout(600)  # nothing of the cancelled rebuild lands afterwards
    assert page.locator("main").get_attribute("data-step") == step and query(page)["t"] == step
    assert f"rebuilding was cancelled at step {int(step):,}" in notes_text(page)
    assert focused(page)["id"] == "btn-train"


# ------------------------------------------------------------- 2. keyboard and axe
def test_focus_never_lands_on_a_disabled_control_or_moves_onto_a_destructive_one(visit):
    v = visit()
    page = v.goto("/playground?data=xor&layers=3&t=5")
    wait_step(page, 5)
    for button in ("#btn-train", "#btn-train"):  # Train, then Pause: the same button keeps the focus
        page.locator(button).focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        assert_focus_safe(page, f"after {button}")
    wait_idle(page)
    page.locator("#btn-step").focus()
    page.keyboard.press("Enter")
    wait_idle(page)
    assert focused(page)["id"] == "btn-step"
    page.locator("#btn-trace").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#trace")).to_be_visible()
    assert focused(page)["id"] == "tr-next"
    page.locator("#tr-end").focus()
    page.keyboard.press("Enter")  # To the end disables itself and Next
    assert_focus_safe(page, "after To the end")
    assert focused(page)["id"] == "tr-event"
    page.keyboard.press("Enter")  # Enter on the sum does nothing destructive
    total = page.locator("#tr-progress").text_content()
    assert total.startswith("edge ") and total.split()[1] == total.split()[3]
    page.locator("#tr-back").focus()
    while not page.locator("#tr-back").is_disabled():
        page.keyboard.press("Enter")
    assert_focus_safe(page, "after ◀ Back reached the first edge")
    assert focused(page)["id"] == "tr-next"  # Back at the first edge hands the focus forward
    page.locator("#tr-close").focus()
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "btn-trace"
    # every control reached with Tab is enabled and visible
    page.locator("#btn-train").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        f = focused(page)
        assert f["tag"] == "BODY" or (not f["disabled"] and not f["hidden"]), f  # BODY: past the last control


def test_the_playground_has_an_h1_and_every_checkbox_is_a_24px_target(visit):
    page = visit().goto("/playground?data=moons&layers=3")
    wait_step(page, 0)
    assert page.locator("h1").count() == 1 and "Playground" in page.locator("h1").text_content()
    small = page.evaluate("""() => Array.from(document.querySelectorAll('input[type=checkbox], input[type=radio]'))
      .filter((e) => e.offsetParent !== null).map((e) => e.getBoundingClientRect())
      .filter((r) => r.width < 24 || r.height < 24).length""")
    assert small == 0


# ------------------------------------------------------------ 4. the playground's feel
# Each drawing of a frame: when, and which step (main's data-step is set once per drawn answer or frame).
WATCH_DRAWS = """
window.__draws = [];
document.addEventListener("DOMContentLoaded", () => {
  const main = document.querySelector("main");
  new MutationObserver(() => window.__draws.push([performance.now(), main.dataset.step]))
    .observe(main, { attributes: true, attributeFilter: ["data-step"] });
});
"""


def test_training_streams_frames_as_they_are_computed_drawn_one_per_animation_frame(visit, screenshots):
    v = visit()
    v.page.add_init_script(WATCH_DRAWS)
    streams = []
    v.page.on("request", lambda r: streams.append(json.loads(r.post_data)) if r.url.endswith("/api/playground/stream") else None)
    page = v.goto("/playground?data=spiral&layers=8,8&lr=0.03")
    wait_step(page, 0)
    page.evaluate("() => { window.__draws = []; }")
    page.locator("#btn-train").click()
    page.wait_for_function("() => Number(document.querySelector('main').dataset.step) >= 40", timeout=30_000)
    screenshot(page, screenshots, "playground-training")
    page.locator("#btn-train").click()  # Pause, at whatever frame is on the screen
    wait_idle(page)
    draws = page.evaluate("() => window.__draws")
    steps = [int(s) for _, s in draws if s.isdigit()]
    assert len(streams) == 1 and streams[0]["every"] == 1, streams  # one stream, one step a frame at first
    # frames drawn one after the other as they arrived (a busy machine draws fewer, each the newest at its frame)
    assert len(set(steps)) >= 10 and steps == sorted(steps), steps
    times = [t for t, _ in draws]
    assert min(b - a for a, b in zip(times, times[1:])) > 4, "two frames drawn within one animation frame"
    print(f"\nplayground: {len(set(steps))} frames drawn in {(times[-1] - times[0]) / 1000:.2f} s "
          f"({(len(set(steps)) - 1) / ((times[-1] - times[0]) / 1000):.0f} a second), steps {steps[0]} to {steps[-1]}")
    step = page.locator("main").get_attribute("data-step")
    page.wait_for_timeout(500)
    assert page.locator("main").get_attribute("data-step") == step == query(page)["t"] == str(steps[-1])
    rows = page.locator("#loss-table tbody tr")
    assert rows.last.locator("td").first.text_content() == step  # the loss curve ends at the frame shown
    # and the link retrains to exactly the paused frame
    shown = page.locator("#m-train-loss").get_attribute("data-value")
    again = visit().goto(page.url.replace(v.base_url, ""))
    wait_step(again, step)
    assert again.locator("#m-train-loss").get_attribute("data-value") == shown


def test_several_classes_train_with_softmax_and_the_legend_names_each(visit, screenshots):
    v = visit()
    page = v.goto("/playground?data=blobs&layers=6&lr=0.3&noise=0.05")
    wait_step(page, 0)
    expect(page.locator("#legend .chip")).to_have_count(4 + 2)  # four classes, a training and a test point
    expect(page.locator("#net-svg .neuron[data-layer='2']")).to_have_count(4)  # one output per class
    page.locator("#btn-train").click()
    page.wait_for_function("() => Number(document.getElementById('m-test-acc').dataset.value) >= 0.9", timeout=90_000)
    page.locator("#btn-train").click()
    wait_idle(page)
    expect(page.locator("#boundary-text")).to_contain_text("the likeliest of 4 classes")
    expect(page.locator("#net-note")).to_contain_text("2 features → 6 neurons (tanh) → 4 outputs")
    screenshot(page, screenshots, "playground-multiclass")
    axe_clean(page, "four classes")
    page.locator("#dataset").select_option("spiral3")
    wait_step(page, 0)
    expect(page.locator("#legend .chip")).to_have_count(3 + 2)


def test_sliders_set_the_learning_rate_the_noise_and_the_split(visit, screenshots):
    v = visit()
    page = v.goto("/playground?data=moons&layers=4&lr=0.1")
    wait_step(page, 0)
    sent = record_requests(page)
    page.locator("#lr-slider").focus()
    page.keyboard.press("ArrowRight")  # the next stop: 0.3
    wait_step(page, 0)
    assert page.locator("#lr").input_value() == "0.3" and sent[-1]["learning_rate"] == 0.3 and query(page)["lr"] == "0.3"
    page.locator("#noise-slider").fill("0.35")
    wait_step(page, 0)
    assert sent[-1]["noise"] == 0.35 and page.locator("#noise").input_value() == "0.35"
    page.locator("#test-slider").fill("0.5")
    wait_step(page, 0)
    assert sent[-1]["test_fraction"] == 0.5 and query(page)["test"] == "0.5"
    expect(page.locator("#boundary-text")).to_contain_text("100 test points")
    page.locator("#lr").fill("0.003")
    page.locator("#lr").press("Tab")
    wait_step(page, 0)
    assert page.locator("#lr-slider").input_value() == "3"  # the slider follows a typed number to its nearest stop
    page.locator(".settings").screenshot(path=str(screenshots / "playground-sliders.png"))


def test_each_hidden_layer_has_its_own_activation_in_the_request_and_the_link(visit):
    v = visit()
    page = v.goto("/playground?data=circles&layers=5,4")
    wait_step(page, 0)
    sent = record_requests(page)
    page.locator("#act-2").select_option("relu")
    wait_step(page, 0)
    assert sent[-1]["activations"] == ["tanh", "relu"] and query(page)["act"] == "tanh,relu"
    expect(page.locator("#net-note")).to_contain_text("5 neurons (tanh) → 4 neurons (relu)")
    page.locator("#btn-step").click()
    wait_step(page, 1)
    loss = page.locator("#m-train-loss").get_attribute("data-value")
    again = visit().goto(page.url.replace(v.base_url, ""))
    wait_step(again, 1)
    assert again.locator("#act-2").input_value() == "relu"
    assert again.locator("#m-train-loss").get_attribute("data-value") == loss


def test_the_legends_say_what_each_colour_means(visit):
    page = visit().goto("/playground?data=moons&layers=3")
    wait_step(page, 0)
    expect(page.locator("#legend .ramp")).to_have_count(1)
    assert page.locator("#legend .ticks").text_content() == "00.51"
    expect(page.locator("#legend")).to_contain_text("background: P(class 1)")
    expect(page.locator("#net-legend")).to_contain_text("w < 0")
    page.locator('input[name="show"][value="gradients"]').check()
    expect(page.locator("#net-legend")).to_contain_text("∂C/∂w < 0")
    page.locator("#problem").select_option("regression")
    wait_step(page, 0)
    expect(page.locator("#legend")).to_contain_text("low value")
    expect(page.locator("#legend .ticks")).to_contain_text("0")


def test_hovering_names_the_right_weight_at_every_point_of_its_line_crossings_included(visit, screenshots):
    v = visit()
    page = v.goto("/playground?data=xor&layers=4,4&t=10")
    wait_step(page, 10)
    wires = page.evaluate("""() => Array.from(document.querySelectorAll('#net-svg .wire')).map((g) => {
      const l = g.querySelector('line'); const a = (k) => Number(l.getAttribute(k));
      return {layer: +g.dataset.layer, source: +g.dataset.source, neuron: +g.dataset.neuron, x1: a('x1'), y1: a('y1'), x2: a('x2'), y2: a('y2')};
    })""")
    tip = page.locator("#net-tip")
    checked = crossings = 0
    for w in wires:
        name = f"w{w['layer']}[{w['source']},{w['neuron']}]"
        for t in (0.1, 0.3, 0.5, 0.7, 0.9):
            at = wire_point(page, w["layer"], w["source"], w["neuron"], t)
            page.mouse.move(at["x"], at["y"])
            expect(tip).to_be_visible()
            names = tip.get_attribute("data-names").split()
            assert name in names, (name, t, names)
            checked += 1
    # where two lines cross, the tip names both (the midpoints of symmetric layers are such crossings)
    for a in wires:
        for b in wires:
            if a["layer"] != b["layer"] or (a["source"], a["neuron"]) >= (b["source"], b["neuron"]):
                continue
            dx1, dy1, dx2, dy2 = a["x2"] - a["x1"], a["y2"] - a["y1"], b["x2"] - b["x1"], b["y2"] - b["y1"]
            det = dx1 * dy2 - dy1 * dx2
            if abs(det) < 1e-9:
                continue
            s = ((b["x1"] - a["x1"]) * dy2 - (b["y1"] - a["y1"]) * dx2) / det
            if not 0.05 < s < 0.95:
                continue
            at = wire_point(page, a["layer"], a["source"], a["neuron"], s)
            page.mouse.move(at["x"], at["y"])
            names = tip.get_attribute("data-names").split()
            assert {f"w{a['layer']}[{a['source']},{a['neuron']}]", f"w{b['layer']}[{b['source']},{b['neuron']}]"} <= set(names)
            crossings += 1
            if crossings > 25:
                break
    assert checked == 5 * len(wires) and crossings > 5
    # the tip says the value, the signed gradient and the edge's formula
    at = wire_point(page, 2, 3, 1, 0.2)
    page.mouse.move(at["x"], at["y"])
    text = tip.text_content()
    assert re.search(r"w2\[3,1\] = \S+ · ∂C/∂w2\[3,1\] = \S+", text)
    assert "z2[1] = Σᵢ w2[i,1]·a1[i] + b2[1]: this line adds w2[3,1]·a1[3]" in text
    assert "∂C/∂w2[3,1] = ∂C/∂z2[1] · a1[3]" in text
    page.locator("#net-svg").scroll_into_view_if_needed()
    screenshot(page, screenshots, "playground-hover")


def test_a_neuron_s_output_is_enlarged_on_hover_and_for_the_one_chosen(visit, screenshots):
    page = visit().goto("/playground?data=circles&layers=4&t=30")
    wait_step(page, 30)
    page.locator("#net-svg").scroll_into_view_if_needed()
    box = page.locator('#net-svg .neuron[data-layer="1"][data-neuron="2"] rect').bounding_box()
    assert box["width"] >= 40, box  # the heat maps are large enough to read
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    zoom = page.locator("#neuron-zoom")
    expect(zoom).to_be_visible()
    assert zoom.get_attribute("data-neuron") == "1,2"
    expect(page.locator("#neuron-zoom-text")).to_contain_text("a1[2] = tanh(z1[2]), layer 1 neuron 2")
    assert page.locator("#neuron-zoom-canvas").bounding_box()["width"] >= 160
    screenshot(page, screenshots, "playground-neuron-zoom")
    page.mouse.move(0, 0)
    expect(zoom).to_be_hidden()
    page.locator("#sel-kind").select_option("neuron")
    expect(page.locator("#sel-map-text")).to_contain_text("a1[1] = tanh(z1[1])")


def test_the_gradient_is_signed_everywhere_on_the_page(visit):
    page = visit().goto("/playground?data=moons&layers=3&t=10")
    wait_step(page, 10)
    assert "|" not in page.locator("#sel-text").text_content()
    expect(page.locator("#sel-text")).to_contain_text("∂C/∂w1[1,1] = ")
    expect(page.locator("#grad-note")).to_contain_text("∂C/∂w is signed")
    assert "|∂" not in page.locator("main").text_content()


# --------------------------------------------------- 5. no long task once the numbers are drawn
def test_no_main_thread_task_over_200ms_after_the_first_number(visit, screenshots):
    v = visit()
    watch_long_tasks(v.page)
    page = v.goto("/playground?data=spiral&layers=16,16,16&t=200")
    wait_step(page, 200, timeout=60_000)
    page.locator("#btn-train").click()
    page.wait_for_function("() => Number(document.querySelector('main').dataset.step) >= 260", timeout=30_000)
    at = wire_point(page, 2, 3, 5, 0.3)
    page.mouse.move(at["x"], at["y"])
    page.locator("#btn-train").click()
    wait_idle(page)
    page.locator('input[name="show"][value="gradients"]').check()
    page.locator("#btn-trace").click()
    expect(page.locator("#trace")).to_be_visible()
    page.locator("#tr-end").click()
    after = [d for _, d in long_tasks_after_first_number(page)]
    longest = max(after, default=0)
    first = page.evaluate("performance.getEntriesByName('chainrule:first-number')[0].startTime")
    print(f"\nplayground: first number drawn at {first:.0f} ms; long tasks after it: {len(after)}, longest {longest:.0f} ms")
    assert longest <= LONG_TASK_MS, f"a main-thread task of {longest:.0f} ms after the first number (tasks: {after})"


def test_the_playground_draws_its_numbers_and_chart_without_plotly(visit):
    v = visit()
    page = v.goto("/playground?data=moons&layers=4")
    wait_step(page, 0)
    expect(page.locator("#loss-chart .uplot")).to_have_count(1)
    assert not any("plotly" in u for u in v.requests)
    assert page.evaluate("typeof window.Plotly") == "undefined"


@pytest.mark.parametrize("name,source", [
    ("uPlot.iife.min.js", "uplot/dist/uPlot.iife.min.js"),
    ("uPlot.min.css", "uplot/dist/uPlot.min.css"),
    ("LICENSE", "uplot/LICENSE"),
])
def test_the_vendored_uplot_is_npm_s_own(name, source):
    installed = ROOT / "node_modules" / source
    if not installed.is_file():
        pytest.fail(f"{installed} is missing: run `npm ci` (make test does)")
    assert filecmp.cmp(VENDOR / "uplot" / name, installed, shallow=False), f"vendor/uplot/{name} differs from npm's"
    pinned = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/uplot"]["version"]
    assert json.loads((ROOT / "node_modules" / "uplot" / "package.json").read_text())["version"] == pinned


def test_on_a_phone_the_notes_the_legend_and_the_sliders_fit(visit, screenshots):
    v = visit(NARROW)
    page = v.goto("/playground?data=blobs&layers=5&act=softplus")
    wait_step(page, 0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, width
    axe_clean(page, "a phone, four classes, a note")
    screenshot(page, screenshots, "playground-phone-multiclass")

"""The home page and the step-through page in a real browser (Playwright drives Debian's Chromium).

Each test acts like a learner (drag a slider, type a value, step the backward
pass, use the keyboard, hold a phone), reads what the page shows and compares
it with the engine. The fixtures (a live explorer, the browser, a visit that
records every request and script error) are those of ``test_web_browser.py``.

Races are provoked, not hoped for: the page's answers are held back by
Playwright and let through in a shuffled order, so a late answer arrives
after a newer one on purpose.

Screenshots go to a temporary folder; ``make screenshots`` sends them to the
README's ``docs/screenshots/``.
"""

from __future__ import annotations

import itertools
import json
import random
from urllib.parse import parse_qs, urlparse

import pytest

from browser_checks import axe_violations
from test_web_browser import (  # noqa: F401 - fixtures, used by name
    NARROW,
    base_url,
    browser,
    expect,
    no_horizontal_scroll,
    screenshot,
    screenshots,
    shown_float,
    visit,
)

from chainrule.explainer.format import num
from chainrule.lessons import simplest
from chainrule.web import stepper

pytestmark = pytest.mark.browser

DECLARED = {p.name: p for p in simplest.PARAMS}
FIELDS = {"i": "input", "y": "target", "w": "weight", "lr": "learning_rate", "tol": "tolerance"}
# The tolerance the page asks with until the reader changes it: the lesson's declared one, as the address writes it.
TOL = "0.000001"


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def api_calls(v, path="/api/simplest") -> int:
    return sum(1 for u in v.requests if urlparse(u).path == path)


class HeldAnswers:
    """The page's calls to one API path, held back; let through when and in the order the test says."""

    def __init__(self, page, path: str, hold=lambda request: True):
        self.page = page
        self.held = []
        self.hold = hold
        page.route(f"**{path}", self._arrived)

    def _arrived(self, route):
        if self.hold(route.request):
            self.held.append(route)
        else:
            route.continue_()

    def wait_for(self, count: int):
        """Until ``count`` calls are held (the route handler runs while the page is being waited on)."""
        for _ in range(200):
            if len(self.held) >= count:
                return
            self.page.wait_for_timeout(25)
        raise AssertionError(f"{len(self.held)} calls held, expected {count}")

    def release(self, route):
        self.held.remove(route)
        route.fulfill(response=route.fetch())

    def release_shuffled(self, rng, count=None):
        routes = list(self.held)
        rng.shuffle(routes)
        for route in routes[: len(routes) if count is None else count]:
            self.release(route)


# ------------------------------------------------------------- the home page
def wait_home(page, step: int):
    expect(page.locator("main")).to_have_attribute("data-step", str(step))
    expect(page.locator("main")).to_have_attribute("data-busy", "0")


def set_field(page, key: str, text: str):
    page.locator(f"#in-{key}").fill(text)
    page.locator(f"#in-{key}").press("Enter")


def test_home_slider_step_and_reset_match_the_engine(visit):
    v = visit()
    page = v.goto("/")
    wait_home(page, 0)
    expect(page.locator("#closed-form")).to_contain_text("4.5w − 2.4")
    set_field(page, "w", "0.3")
    wait_home(page, 0)
    expect(page.locator("#current-weight")).to_have_text("0.3")
    page.locator("#btn-step").click()
    wait_home(page, 1)
    engine = simplest.train(input=1.5, target=0.8, weight=0.3, learning_rate=0.1, steps=1, tolerance=0.0).steps[1]
    assert shown_float(page, "#current-weight") == engine.parameters["w"]
    assert shown_float(page, "#current-gradient") == engine.gradients["w"]
    expect(page.locator("#current-gradient")).to_have_text(num(engine.gradients["w"]))
    expect(page.locator("#history tr")).to_have_count(2)
    assert query(page) == {"i": "1.5", "y": "0.8", "w": "0.3", "lr": "0.1", "tol": TOL, "k": "1"}
    page.locator("#btn-reset").click()
    wait_home(page, 0)
    assert shown_float(page, "#current-weight") == 0.3
    # dragging a slider: the field shows the stop the thumb is on, and that value is what is computed
    slider = page.locator("#slide-lr")
    slider.focus()
    slider.press("ArrowRight")
    wait_home(page, 0)
    moved = float(page.locator("#in-lr").input_value())
    assert moved > 0.1 and query(page)["lr"] == str(moved)
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", simplest.train(learning_rate=moved).verdict)


def test_home_run_reaches_the_minimum(visit):
    v = visit()
    page = v.goto("/?lr=0.2")
    wait_home(page, 0)
    page.locator("#btn-run").click()
    expect(page.locator("#stop-line")).to_contain_text("At the minimum", timeout=30_000)
    assert abs(shown_float(page, "#current-weight") - 0.8 / 1.5) < 1e-6


def test_home_controls_come_from_the_lessons_declaration(visit):
    v = visit()
    page = v.goto("/")
    wait_home(page, 0)
    for key, name in FIELDS.items():
        p = DECLARED[name]
        label = p.help.removeprefix("the ")
        expect(page.locator(f'label[for="in-{key}"]')).to_have_text(label)
        assert p.allowed() in page.locator(f"#in-{key}").get_attribute("title")
        stops = page.evaluate(f"""() => {{ const s = document.getElementById('slide-{key}');
            const out = []; for (const i of [0, Number(s.max)]) {{ s.value = String(i); s.dispatchEvent(new Event('input'));
            out.push(Number(document.getElementById('in-{key}').value)); }} return out; }}""")
        lowest = p.low if not p.low_open else None
        if lowest is not None:
            assert stops[0] == lowest, (name, stops)
        else:
            assert p.low < stops[0] < p.high / 1000, (name, stops)
        assert stops[1] == p.high, (name, stops)


def test_home_follows_a_different_declaration_with_no_bound_of_its_own(visit):
    # the same page, served a declaration with other bounds: its sliders, its refusals and its step limit follow
    v = visit()
    declared = json.loads(json.dumps(simplest.PARAMS.to_json()))
    for p in declared:
        if p["name"] == "input":
            p.update(high=7, allowed="a finite number from -100 to 7, |x| >= 1e-150")
        if p["name"] == "steps":
            p.update(high=5, allowed="a whole number from 0 to 5")
    v.page.route("**/api/lessons/simplest/params",
                 lambda route: route.fulfill(json={"lesson": "simplest", "params": declared}))
    page = v.goto("/?lr=0.01&k=4")
    wait_home(page, 4)
    top = page.evaluate("""() => { const s = document.getElementById('slide-i'); s.value = s.max;
        s.dispatchEvent(new Event('input')); return Number(document.getElementById('in-i').value); }""")
    assert top == 7
    wait_home(page, 0)
    set_field(page, "i", "8")
    expect(page.locator("#err-i")).to_have_text("input i: 8 is out of range; allowed: a finite number from -100 to 7, |x| >= 1e-150")
    set_field(page, "i", "1.5")
    wait_home(page, 0)
    for k in range(1, 6):
        page.locator("#btn-step").click()
        wait_home(page, k)
    expect(page.locator("#btn-step")).to_be_disabled()
    expect(page.locator("#limit-note")).to_contain_text("5 steps is the most the lesson takes")


def test_home_input_slider_skips_zero_and_a_typed_zero_is_refused_in_the_words_on_screen(visit):
    v = visit()
    page = v.goto("/")
    wait_home(page, 0)
    # the stops around the middle of the slider, where 0 would be, and its two ends
    around = page.evaluate("""() => { const s = document.getElementById('slide-i'); const f = document.getElementById('in-i');
        const top = Number(s.max), mid = Math.floor(top / 2);
        return [0, mid - 2, mid - 1, mid, mid + 1, mid + 2, top].map((k) => {
            s.value = String(k); s.dispatchEvent(new Event('input')); return Number(f.value); }); }""")
    assert around == [DECLARED["input"].low, -0.012, -0.011, -0.01, 0.01, 0.011, DECLARED["input"].high], around
    set_field(page, "i", "1.5")
    wait_home(page, 0)
    before, url = api_calls(v), page.url
    set_field(page, "i", "0")
    expected = f"input i: 0 is not allowed: {DECLARED['input'].nonzero}; allowed: {DECLARED['input'].allowed()}"
    expect(page.locator("#err-i")).to_have_text(expected)
    expect(page.locator("#in-i")).to_have_attribute("aria-invalid", "true")
    page.wait_for_timeout(500)
    assert api_calls(v) == before, "nothing is sent"
    assert page.url == url, "the URL keeps the last valid state"
    set_field(page, "i", "2")
    wait_home(page, 0)
    expect(page.locator("#err-i")).to_be_hidden()
    assert query(page)["i"] == "2"


@pytest.mark.parametrize("key,typed,words", [
    ("i", "abc", "input i: “abc” is not a number; allowed: "),
    ("i", "", "input i: no value; allowed: "),
    ("i", "1e-200", "input i: 1e-200 is so close to 0 that its square underflows; allowed: "),
    ("y", "101", "target y: 101 is out of range; allowed: "),
    ("w", "-100.5", "initial weight w: -100.5 is out of range; allowed: "),
    ("lr", "0", "learning rate lr: 0 is out of range; allowed: "),
    ("lr", "10.01", "learning rate lr: 10.01 is out of range; allowed: "),
])
def test_home_a_bad_value_is_marked_on_its_own_field_and_nothing_is_sent(visit, key, typed, words):
    v = visit()
    page = v.goto("/?w=0.5&k=2")
    wait_home(page, 2)
    before, url, weight = api_calls(v), page.url, page.locator("#current-weight").text_content()
    set_field(page, key, typed)
    expect(page.locator(f"#err-{key}")).to_have_text(words + DECLARED[FIELDS[key]].allowed())
    for other in FIELDS:
        if other != key:
            expect(page.locator(f"#err-{other}")).to_be_hidden()
    # the field keeps what was typed (nothing clamped or rounded), nothing is sent, the picture and URL stay
    assert page.locator(f"#in-{key}").input_value() == typed
    page.locator("#btn-step").click()
    page.wait_for_timeout(500)
    assert api_calls(v) == before and page.url == url
    expect(page.locator("#current-weight")).to_have_text(weight)


def test_home_url_values_are_kept_exactly_or_refused_visibly(visit):
    v = visit()
    page = v.goto("/?i=50&lr=5&w=1.234567")
    engine = simplest.train(input=50, learning_rate=5, weight=1.234567, steps=0, tolerance=0)
    wait_home(page, 0)
    assert shown_float(page, "#current-weight") == 1.234567  # not rounded to a slider stop
    expect(page.locator("#in-i")).to_have_value("50")
    expect(page.locator("#slide-i")).to_have_attribute("aria-valuetext", "50")
    assert page.evaluate("Number(document.getElementById('slide-i').value) < Number(document.getElementById('slide-i').max)")
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", engine.verdict)
    assert query(page)["w"] == "1.234567"

    refused = visit()
    page = refused.goto("/?i=500&k=abc")
    expect(page.locator("#err-i")).to_have_text(f"input i: 500 is out of range; allowed: {DECLARED['input'].allowed()}")
    expect(page.locator('#notes [data-key="k"]')).to_contain_text("step (k in the address): “abc” is not a number")
    expect(page.locator('#notes [data-key="k"]')).to_contain_text("showing step 0 instead")
    page.wait_for_timeout(500)
    assert api_calls(refused) == 0, "nothing is sent while a value is refused"
    assert query(page) == {"i": "500", "k": "abc"}
    expect(page.locator("#parabola-desc")).to_have_text("Nothing is drawn until every field holds an allowed value.")


def test_home_a_late_answer_never_reaches_the_picture_the_history_or_the_url(visit):
    v = visit()
    page = v.goto("/?lr=0.2")
    wait_home(page, 0)
    answers = HeldAnswers(page, "/api/simplest")
    page.locator("#btn-step").click()  # asks for k = 1, held
    expect(page.locator("main")).to_have_attribute("data-busy", "1")
    page.locator("#btn-reset").click()  # asks for k = 0, newer
    answers.wait_for(2)
    first, reset = answers.held
    answers.release(reset)
    wait_home(page, 0)
    answers.release(first)  # the answer for k = 1 arrives last
    page.wait_for_timeout(400)
    wait_home(page, 0)
    expect(page.locator("#history tr")).to_have_count(1)
    assert query(page)["k"] == "0"


def test_home_run_then_reset_or_change_at_random_moments_stays_consistent(visit):
    rng = random.Random(15)
    v = visit()
    page = v.goto("/?lr=0.05")
    wait_home(page, 0)
    answers = HeldAnswers(page, "/api/simplest")
    for trial in range(30):
        page.locator("#btn-run").click()
        for _ in range(rng.randint(0, 4)):
            page.wait_for_timeout(rng.randint(0, 60))
            answers.release_shuffled(rng, count=rng.randint(0, 2))
        action = rng.choice(["reset", "weight", "rate", "slider"])
        if action == "reset":
            page.locator("#btn-reset").click()
        elif action == "weight":
            set_field(page, "w", str(round(rng.uniform(-2, 2), 3)))
        elif action == "rate":
            set_field(page, "lr", str(round(rng.uniform(0.01, 0.3), 3)))
        else:
            page.locator("#slide-y").focus()
            page.locator("#slide-y").press(rng.choice(["ArrowLeft", "ArrowRight"]))
        while True:  # let everything through, in a shuffled order, until the page is idle
            page.wait_for_timeout(rng.randint(0, 40))
            answers.release_shuffled(rng)
            if not answers.held and page.locator("main").get_attribute("data-busy") == "0" and \
                    page.locator("#btn-run").text_content() == "Run":
                page.wait_for_timeout(50)
                if not answers.held:
                    break
        q = query(page)
        step = int(page.locator("main").get_attribute("data-step"))
        assert q["k"] == str(step) == "0", (trial, action, q)  # every action above starts the trail again
        for key in FIELDS:
            assert page.locator(f"#in-{key}").input_value() == q[key], (trial, key)
        expect(page.locator("#history tr")).to_have_count(step + 1)
        engine = simplest.train(input=float(q["i"]), target=float(q["y"]), weight=float(q["w"]),
                                learning_rate=float(q["lr"]), steps=0, tolerance=0)
        assert shown_float(page, "#current-weight") == engine.weights[-1], (trial, q)
        assert shown_float(page, "#current-gradient") == engine.gradients[-1], (trial, q)


def plot_state(page) -> dict:
    """The chart's view (its x and cost ranges, linear or log) and the exact w and C of its current point."""
    return page.evaluate("""() => { const s = document.querySelector('#parabola svg.chart'); const now = s.querySelector('circle.now');
        return { x: [Number(s.dataset.x0), Number(s.dataset.x1)], ytype: s.dataset.yAxis,
                 y: [Number(s.dataset.y0), Number(s.dataset.y1)], w: Number(now.dataset.w), c: Number(now.dataset.c) }; }""")


@pytest.mark.parametrize("lr,axis", [(5.0, "log"), (0.45, "linear")])
def test_home_divergence_follows_the_point_and_says_it_stopped(visit, screenshots, lr, axis):
    engine = simplest.train(learning_rate=lr, steps=20, tolerance=0)
    assert engine.stopped == "diverged"
    v = visit()
    page = v.goto(f"/?lr={lr}&k=20")
    wait_home(page, engine.steps[-1].step)
    expect(page.locator("#parabola svg.chart")).to_be_attached()
    s = plot_state(page)
    assert s["w"] == engine.weights[-1] and s["ytype"] == axis
    assert s["x"][0] < min(engine.weights) and max(engine.weights) < s["x"][1]
    assert max(st.cost for st in engine.steps) < s["y"][1], "the current point is inside the plot, not above it"
    # the address asked for step 20; the descent stopped before it, and the page says so
    expect(page.locator('#notes [data-key="k"]')).to_contain_text(
        f"step 20 (k in the address): the lesson's descent stopped at step {engine.steps[-1].step} (diverging for certain")
    expect(page.locator("main")).to_have_attribute("data-stopped", "diverged")
    expect(page.locator("#stop-line")).to_have_class("stop diverged")
    expect(page.locator("#stop-line")).to_contain_text(f"Stopped at step {engine.steps[-1].step}: diverging for certain")
    expect(page.locator("#btn-step")).to_be_disabled()
    expect(page.locator("#limit-note")).to_contain_text("diverged")
    assert "logarithmic" in page.locator("#parabola").get_attribute("aria-label") or axis == "linear"
    if axis == "log":
        screenshot(page, screenshots, "simplest-diverging")


def text_boxes(page, selector) -> list[dict]:
    return page.evaluate(f"""() => [...document.querySelectorAll('{selector}')].filter((t) => t.textContent)
        .map((t) => {{ const b = t.getBBox(); return {{ text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height }}; }})""")


def disjoint(a, b) -> bool:
    return a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]


@pytest.mark.parametrize("url", ["/?lr=0.001", "/?lr=0.2", "/?lr=0.44", "/?lr=0.65", "/?lr=5", "/?lr=10",
                                 "/?i=100&lr=10", "/?i=0.01&lr=0.001"])
def test_home_the_learning_rate_rulers_labels_never_overlap(visit, url):
    v = visit()
    page = v.goto(url)
    wait_home(page, 0)
    labels = text_boxes(page, "#lr-bar text")
    assert {"0"} <= {t["text"] for t in labels} and any(t["text"].startswith("1/C″") for t in labels)
    for a, b in itertools.combinations(labels, 2):
        assert disjoint(a, b), (a, b)
    box = page.evaluate("document.getElementById('lr-bar').viewBox.baseVal.width")
    for t in labels:
        assert 0 <= t["x"] and t["x"] + t["w"] <= box, t


# ----------------------------------------------------- step through backprop
LESSONS = stepper.available_lessons()


def test_backprop_wide_step_by_step_to_the_end(visit):
    from chainrule import lessons

    trace = stepper.trace_lesson("wide")
    n_events = len(trace["events"])
    v = visit()
    page = v.goto("/backprop?lesson=wide")
    expect(page.locator("main")).to_have_attribute("data-lesson", "wide")
    page.locator("#btn-forward").click()
    expect(page.locator("main")).to_have_attribute("data-forward", "1")
    cost = trace["nodes"][trace["cost"]]
    expect(page.locator(f'#graph [data-node="{cost["id"]}"] .val')).to_have_text(cost["value_text"])
    backward = page.locator("#btn-backward")
    met = False
    for k in range(1, n_events + 1):
        backward.click()
        expect(page.locator("main")).to_have_attribute("data-edge", str(k))
        event = trace["events"][k - 1]
        expect(page.locator("#graph .edge.active")).to_have_count(1)
        expect(page.locator(f'#graph path.edge.active[data-edge="{event["edge"]}"]')).to_have_count(1)
        expect(page.locator(f'#graph [data-edge-label="{event["edge"]}"]')).to_have_text(trace["edges"][event["edge"]]["local_text"])
        expect(page.locator("#event-sum")).to_have_text(event["text"]["sum"])
        met = met or page.locator("#event .meets").count() > 0
    assert met, "somewhere in the wide network two paths meet and the page says so"
    expect(backward).to_be_disabled()
    expect(page.locator("main")).to_have_attribute("data-done", "1")
    nodes = lessons.graph("wide").nodes()
    parameters = [n for n in trace["nodes"] if n["kind"] == "parameter"]
    for n in parameters:
        cell = page.locator(f'td.grad-cell[data-node="{n["id"]}"]')
        expect(cell).to_have_attribute("data-final", "1")
        assert float(cell.get_attribute("data-value")) == pytest.approx(nodes[n["id"]].grad, rel=1e-12, abs=1e-15)
        expect(cell).to_have_text(num(nodes[n["id"]].grad))
    expect(page.locator("#paths .deriv")).to_have_count(len(parameters))


def test_backprop_screenshot_halfway_with_partial_sums(visit, screenshots):
    trace = stepper.trace_lesson("wide")
    k = len(trace["events"]) // 2
    v = visit({"width": 1280, "height": 1000})
    page = v.goto(f"/backprop?lesson=wide&forward=1&edge={k}")
    expect(page.locator("main")).to_have_attribute("data-edge", str(k))
    expect(page.locator("#event-sum")).to_have_text(trace["events"][k - 1]["text"]["sum"])
    assert page.locator("#graph .so-far", has_text="so far").count() > 0, "halfway, some sums are still partial"
    no_horizontal_scroll(page)
    screenshot(page, screenshots, "backprop")


def test_backprop_shared_url_shows_the_same_step(visit):
    trace = stepper.trace_lesson("wide")
    k = 5
    v = visit()
    page = v.goto(f"/backprop?lesson=wide&forward=1&edge={k}")
    expect(page.locator("main")).to_have_attribute("data-edge", str(k))
    expect(page.locator("#progress")).to_contain_text(f"edge {k} of {len(trace['events'])}")
    expect(page.locator("#event-sum")).to_have_text(trace["events"][k - 1]["text"]["sum"])
    expect(page.locator(f'#graph path.edge.active[data-edge="{trace["events"][k - 1]["edge"]}"]')).to_have_count(1)
    page.get_by_role("button", name="Back one edge").click()
    expect(page.locator("main")).to_have_attribute("data-edge", str(k - 1))
    assert query(page)["edge"] == str(k - 1)


def test_backprop_a_late_answer_for_another_lesson_never_reaches_the_page(visit):
    v = visit()
    answers = HeldAnswers(v.page, "/api/backprop", hold=lambda r: json.loads(r.post_data)["lesson"] == "wide")
    page = v.goto("/backprop?lesson=wide")
    answers.wait_for(1)
    page.locator("#lesson").select_option("chain")
    expect(page.locator("main")).to_have_attribute("data-lesson", "chain")
    answers.release(answers.held[0])  # wide's answer, asked for first, arrives last
    page.wait_for_timeout(500)
    expect(page.locator("main")).to_have_attribute("data-lesson", "chain")
    expect(page.locator("#lesson")).to_have_value("chain")
    assert query(page)["lesson"] == "chain"
    chain = stepper.trace_lesson("chain")
    expect(page.locator("#graph [data-node]")).to_have_count(len(chain["nodes"]))


def states(trace) -> list[int]:
    """Edges shown at which to check a drawing: none, the first, the middle, every one."""
    n = len(trace["events"])
    return sorted({0, 1, n // 2, n})


@pytest.mark.parametrize("lesson", LESSONS)
def test_backprop_labels_fit_their_boxes_and_never_overlap(visit, lesson):
    trace = stepper.trace_lesson(lesson)
    v = visit()
    for edge in states(trace):
        page = v.goto(f"/backprop?lesson={lesson}&forward=1&edge={edge}")
        expect(page.locator("main")).to_have_attribute("data-edge", str(edge))
        found = page.evaluate("""() => [...document.querySelectorAll('#graph text')].filter((t) => t.textContent).map((t) => {
            const b = t.getBBox(); const g = t.closest('g[data-node]');
            const port = t.dataset.edgeLabel !== undefined ? g.querySelector(`[data-port="${t.dataset.edgeLabel}"]`) : null;
            const box = (port || g.querySelector('.box')).getBBox();
            return { text: t.textContent, node: g.dataset.node, port: !!port, t: { x: b.x, y: b.y, w: b.width, h: b.height },
                     box: { x: box.x, y: box.y, w: box.width, h: box.height }, shrunk: t.hasAttribute('textLength') }; })""")
        assert found
        for f in found:
            t, b = f["t"], f["box"]
            assert b["x"] - 0.5 <= t["x"] and t["x"] + t["w"] <= b["x"] + b["w"] + 0.5, f"{f['text']!r} runs out of its box"
            assert b["y"] - 0.5 <= t["y"] and t["y"] + t["h"] <= b["y"] + b["h"] + 0.5, f"{f['text']!r} runs out of its box"
            assert not f["shrunk"], f"{f['text']!r} had to be squeezed: the layout counted too few characters"
        for a, b in itertools.combinations(found, 2):
            assert disjoint(a["t"], b["t"]), f"{a['text']!r} and {b['text']!r} overlap"


def test_backprop_a_partial_gradient_says_so_far_until_every_path_has_arrived(visit):
    trace = stepper.trace_lesson("wide")
    events = trace["events"]
    k = next(n for n, e in enumerate(events, 1) if not e["complete"])
    node = events[k - 1]["source"]
    done = next(n for n, e in enumerate(events, 1) if e["source"] == node and e["complete"])
    assert done > k
    v = visit()
    page = v.goto(f"/backprop?lesson=wide&forward=1&edge={k}")
    expect(page.locator(f'#graph [data-node="{node}"] .so-far')).to_have_text("so far")
    expect(page.locator(f'#graph [data-node="{node}"] .grad')).to_have_text(events[k - 1]["text"]["after"])
    expect(page.locator("#event .so-far-note")).to_contain_text("so far")
    page.goto(v.base_url + f"/backprop?lesson=wide&forward=1&edge={done}")
    expect(page.locator("main")).to_have_attribute("data-edge", str(done))
    expect(page.locator(f'#graph [data-node="{node}"] .so-far')).to_have_text("")
    expect(page.locator(f'#graph [data-node="{node}"] .grad')).to_have_text(events[done - 1]["text"]["after"])
    # in the table, a parameter's partial sum is marked too
    param = next(e for e in events if not e["complete"] and trace["nodes"][e["source"]]["kind"] == "parameter") \
        if any(not e["complete"] and trace["nodes"][e["source"]]["kind"] == "parameter" for e in events) else None
    if param is not None:
        at = events.index(param) + 1
        page.goto(v.base_url + f"/backprop?lesson=wide&forward=1&edge={at}")
        cell = page.locator(f'td.grad-cell[data-node="{param["source"]}"]')
        expect(cell).to_contain_text("(so far)")
        expect(cell).to_have_attribute("data-partial", "1")


def test_backprop_buttons_keep_the_focus_when_they_disable_themselves(visit):
    trace = stepper.trace_lesson("simplest")
    v = visit()
    page = v.goto("/backprop?lesson=simplest")
    expect(page.locator("main")).to_have_attribute("data-lesson", "simplest")
    focused = lambda: page.evaluate("document.activeElement && document.activeElement.id")  # noqa: E731
    page.locator("#btn-forward").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#btn-forward")).to_be_disabled()
    assert focused() == "btn-backward"
    for _ in range(len(trace["events"])):
        page.keyboard.press("Enter")  # Backward, from the keyboard, to the last edge
    expect(page.locator("main")).to_have_attribute("data-done", "1")
    # not to the page, and not onto ◀ or Reset (the next Enter would walk back or wipe the run): to the line
    # that says where the pass stands
    assert focused() == "progress", "focus moves to the progress line when Backward disables itself"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_have_attribute("data-edge", str(len(trace["events"])))
    page.locator("#btn-reset").focus()
    page.keyboard.press("Enter")
    page.locator("#btn-finish").focus()
    page.keyboard.press("Enter")  # Forward is pressed for the learner; To the end disables itself
    assert focused() == "progress"
    assert page.get_by_role("button", name="Back one edge").count() == 1
    assert page.get_by_role("button", name="Backward: next edge").count() == 1


# ------------------------------------------------------ phones and every learner
PHONE_STATES = ["/?k=3", "/?lr=5&k=9", "/backprop?lesson=wide&forward=1&edge=5", "/backprop?lesson=batch&forward=1&edge=12"]


@pytest.mark.parametrize("path", PHONE_STATES)
def test_on_a_phone_nothing_scrolls_sideways_and_every_control_is_a_44px_target(visit, path):
    v = visit(NARROW)
    page = v.goto(path)
    if path.startswith("/backprop"):
        expect(page.locator("main")).to_have_attribute("data-edge", parse_qs(urlparse(path).query)["edge"][0])
    else:
        expect(page.locator("main")).to_have_attribute("data-busy", "0")
        expect(page.locator("main")).to_have_attribute("data-step", "3" if "k=3" in path else "3")
    no_horizontal_scroll(page)
    small = page.evaluate("""() => [...document.querySelectorAll('main button, main select, main input, header a')]
        .filter((e) => e.offsetParent !== null).map((e) => { const r = e.getBoundingClientRect();
        return { id: e.id || e.textContent.trim(), w: r.width, h: r.height }; }).filter((r) => r.w < 44 || r.h < 44)""")
    assert not small, f"touch targets under 44 px: {small}"
    if path.startswith("/backprop"):
        graph = page.locator("#graph").bounding_box()
        assert graph["width"] <= NARROW["width"], "the graph is scaled to the width"
        edge = page.locator(".event-box").bounding_box()
        card = page.locator("section.graph").bounding_box()
        assert 0 <= edge["y"] - (card["y"] + card["height"]) <= 16, "This edge comes right after the graph"
        assert edge["y"] < NARROW["height"], "and is on the first screen"


AXE_STATES = [
    ("/", None), ("/?lr=5&k=9", None), ("/?i=0&lr=abc", "invalid"), ("/backprop?lesson=wide", None),
    ("/backprop?lesson=wide&forward=1&edge=16", None), ("/backprop?lesson=batch&forward=1&edge=12", None),
]


@pytest.mark.parametrize("viewport", ["wide", "narrow"])
@pytest.mark.parametrize("path,kind", AXE_STATES)
def test_axe_finds_no_wcag_22_aa_violation(visit, path, kind, viewport):
    v = visit(NARROW) if viewport == "narrow" else visit()
    page = v.goto(path)
    if path.startswith("/backprop"):
        expect(page.locator("main")).to_have_attribute("data-lesson", parse_qs(urlparse(path).query)["lesson"][0])
    elif kind == "invalid":
        expect(page.locator("#err-i")).to_be_visible()
    else:
        expect(page.locator("main")).to_have_attribute("data-busy", "0")
        expect(page.locator("#parabola svg.chart")).to_be_attached()
    assert axe_violations(page) == []


def test_the_charts_have_a_text_alternative(visit):
    v = visit()
    page = v.goto("/?w=0.3&k=2")
    wait_home(page, 2)
    label = page.locator("#parabola").get_attribute("aria-label")
    assert page.locator("#parabola").get_attribute("role") == "img" and "step 2" in label
    expect(page.locator("#parabola-desc")).to_have_text(label)
    assert "learning rates" in page.locator("#lr-bar").get_attribute("aria-label")
    b = visit()
    page = b.goto("/backprop?lesson=wide&forward=1&edge=3")
    expect(page.locator("main")).to_have_attribute("data-edge", "3")
    expect(page.locator("#graph-desc")).to_contain_text("Edge 3 of 32")


def test_home_screenshots_wide_and_narrow(visit, screenshots):
    v = visit()
    page = v.goto("/?i=1.5&y=0.8&w=1.4&lr=0.1&k=6")
    wait_home(page, 6)
    expect(page.locator("#parabola svg.chart")).to_be_attached()
    no_horizontal_scroll(page)
    screenshot(page, screenshots, "simplest")
    n = visit(NARROW)
    page = n.goto("/?k=3")
    wait_home(page, 3)
    no_horizontal_scroll(page)


@pytest.mark.parametrize("address,words,edge", [
    ("lesson=wide&forward=1&edge=99", "edge in the address: “99” is not allowed; allowed: a whole number from 0 to 32 "
                                      "(this network has 32 edges). Showing edge 32 instead.", 32),
    ("lesson=wide&edge=2.5", "edge in the address: “2.5” is not allowed", 0),
    ("lesson=nonsense&edge=1", "lesson in the address: “nonsense” is not a network to step through; allowed: ", 1),
])
def test_backprop_an_address_out_of_range_is_said_not_silently_clamped(visit, address, words, edge):
    v = visit()
    page = v.goto(f"/backprop?{address}")
    expect(page.locator("main")).to_have_attribute("data-edge", str(edge))
    expect(page.locator("#notes")).to_contain_text(words)
    expect(page.locator("#error")).to_be_hidden()  # a note, not an error: the page shows what it says instead
    key = words.split(" ")[0]
    page.locator("#btn-reset").click()
    expect(page.locator("main")).to_have_attribute("data-edge", "0")
    if key == "edge":  # the reader changed the edge: the note about the address's edge goes
        expect(page.locator('#notes [data-key="edge"]')).to_have_count(0)
    else:  # the lesson is still the one shown instead of the address's: its note stays
        expect(page.locator('#notes [data-key="lesson"]')).to_contain_text(words)


def test_home_step_gives_its_focus_to_the_line_that_says_why_when_it_disables_itself(visit):
    # never to Reset: the next Enter would wipe the run
    v = visit()
    page = v.goto("/?lr=5")
    wait_home(page, 0)
    page.locator("#btn-step").focus()
    for _ in range(3):
        page.keyboard.press("Enter")
    expect(page.locator("main")).to_have_attribute("data-stopped", "diverged")
    expect(page.locator("#btn-step")).to_be_disabled()
    assert page.evaluate("document.activeElement.id") == "limit-note"
    expect(page.locator("#limit-note")).to_contain_text("the descent diverged")
    page.keyboard.press("Enter")  # nothing happens: the run stays where it is
    page.wait_for_timeout(300)
    wait_home(page, 3)


def test_backprop_shows_beside_the_edge_the_line_of_generated_code_that_performs_it(visit):
    trace = stepper.trace_lesson("wide")
    assert all("code" in event for event in trace["events"])  # every edge carries its line of generated code
    v = visit()
    for k in (1, 16, len(trace["events"])):
        event = trace["events"][k - 1]
        page = v.goto(f"/backprop?lesson=wide&forward=1&edge={k}")
        expect(page.locator("main")).to_have_attribute("data-edge", str(k))
        expect(page.locator("#event-code")).to_have_text(event["code"])
        page.locator(".code-line summary").click()
        current = page.locator(".program .line.current")
        expect(current).to_have_count(1)
        assert current.text_content().strip() == trace["program"].split("\n")[event["code_line"] - 1].strip()
        assert event["code"].split("#")[0].strip() in current.text_content()

"""The explorer in a real browser: Playwright drives Debian's Chromium against a live server.

Each test loads a page served by ``create_app()`` on a free localhost port,
acts like a learner (drag a slider, click Step, step the backward pass, train
the playground), reads what the page shows and compares it with the engine.
Every request the browser makes is recorded: none may leave localhost.

The tests save a screenshot of each page they check, in a temporary folder:
a test run leaves the working tree as it found it. ``make screenshots`` runs
them with ``CHAINRULE_SCREENSHOTS=docs/screenshots`` to refresh the README's
pictures, so those always show pages that passed these checks.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs the chromium package)", allow_module_level=True)

import httpx  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from chainrule.commands import serve as serve_command  # noqa: E402
from chainrule.explainer.format import num  # noqa: E402
from chainrule.lessons import simplest  # noqa: E402
from chainrule.web import create_app  # noqa: E402
from chainrule.web import stepper  # noqa: E402

pytestmark = pytest.mark.browser

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
# Where the screenshots go: a temporary folder, unless `make screenshots` names the README's.
SCREENSHOTS_ENV = "CHAINRULE_SCREENSHOTS"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
LOCAL = {"127.0.0.1", "localhost", "::1"}


# ------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def base_url():
    """A live explorer on a free localhost port, served as ``chainrule serve`` serves it, in a background thread."""
    sock = serve_command._listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app()
    loop_and_stop = {}

    def run():
        async def main():
            stop = asyncio.Event()
            loop_and_stop["stop"] = (asyncio.get_running_loop(), stop)
            await serve_command.serve(app, sock, shutdown_trigger=stop.wait)

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url + "/api/limits", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the explorer did not start")
        time.sleep(0.05)
    yield url
    loop, stop = loop_and_stop["stop"]
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """The folder the screenshots go to: ``$CHAINRULE_SCREENSHOTS`` if set (``make screenshots``), else a temporary one."""
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


class Visit:
    """A browser page that records every request and every script error."""

    def __init__(self, browser, base_url, viewport=WIDE):
        self.base_url = base_url
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def goto(self, path):
        self.page.goto(self.base_url + path)
        return self.page

    def check_clean(self):
        outside = [u for u in self.requests if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname not in LOCAL]
        assert not outside, f"the page requested something outside localhost: {outside}"
        assert not self.errors, f"script errors: {self.errors}"

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, base_url):
    opened = []

    def open_(viewport=WIDE):
        v = Visit(browser, base_url, viewport)
        opened.append(v)
        return v

    yield open_
    for v in opened:
        try:
            v.check_clean()
        finally:
            v.close()


def screenshot(page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000, f"{path} is nearly empty"


def shown_float(page, selector) -> float:
    """The exact number behind a shown value (the page keeps the server's float in data-value)."""
    return float(page.locator(selector).get_attribute("data-value"))


def no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"the page is {width}px wide in a {page.viewport_size['width']}px window"


# ------------------------------------------------------------- the home page
def wait_home(page, step: int):
    expect(page.locator("main")).to_have_attribute("data-step", str(step))
    expect(page.locator("#parabola .main-svg").first).to_be_attached()


def test_home_slider_and_step_match_the_engine(visit):
    v = visit()
    page = v.goto("/")
    wait_home(page, 0)
    expect(page.locator("#closed-form")).to_contain_text("4.5w − 2.4")

    page.locator("#in-w").fill("0.3")  # drag the weight slider
    expect(page.locator("#current-weight")).to_have_text("0.3")
    page.locator("#btn-step").click()
    wait_home(page, 1)

    engine = simplest.train(input=1.5, target=0.8, weight=0.3, learning_rate=0.1, steps=1, tolerance=0.0).steps[1]
    assert shown_float(page, "#current-weight") == engine.weight
    assert shown_float(page, "#current-gradient") == engine.gradient
    expect(page.locator("#current-weight")).to_have_text(num(engine.weight))
    expect(page.locator("#current-gradient")).to_have_text(num(engine.gradient))
    expect(page.locator("#history tr")).to_have_count(2)
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", "converges")
    assert "w=0.3" in page.url and "k=1" in page.url

    page.locator("#btn-step").click()
    wait_home(page, 2)
    assert shown_float(page, "#current-weight") == simplest.train(input=1.5, target=0.8, weight=0.3, learning_rate=0.1, steps=2, tolerance=0.0).steps[2].weight
    page.locator("#btn-reset").click()
    wait_home(page, 0)
    assert shown_float(page, "#current-weight") == 0.3


def test_home_run_reaches_the_minimum(visit):
    v = visit()
    page = v.goto("/?lr=0.2")
    wait_home(page, 0)
    page.locator("#btn-run").click()
    expect(page.locator("#stop-line")).to_contain_text("At the minimum", timeout=30_000)
    assert abs(shown_float(page, "#current-weight") - 0.8 / 1.5) < 1e-6


def test_home_shared_url_shows_the_same_state(visit, screenshots):
    v = visit()
    page = v.goto("/?i=2&y=-0.5&w=1.25&lr=0.3&k=4")
    engine = simplest.train(input=2.0, target=-0.5, weight=1.25, learning_rate=0.3, steps=4, tolerance=0.0)
    assert engine.stopped == "diverged" and engine.steps[-1].step == 3  # stopped once divergence was certain
    wait_home(page, 3)
    assert shown_float(page, "#current-weight") == engine.steps[-1].weight
    assert shown_float(page, "#current-gradient") == engine.steps[-1].gradient
    expect(page.locator("#in-w")).to_have_value("1.25")
    expect(page.locator("#in-lr")).to_have_value("0.3")
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", engine.verdict)
    screenshot(page, screenshots, "simplest-diverging" if engine.verdict == "diverges" else "simplest-shared")


def test_home_screenshots_wide_and_narrow(visit, screenshots):
    v = visit()
    page = v.goto("/?i=1.5&y=0.8&w=1.4&lr=0.1&k=6")
    wait_home(page, 6)
    no_horizontal_scroll(page)
    screenshot(page, screenshots, "simplest")
    n = visit(NARROW)
    page = n.goto("/?k=3")
    wait_home(page, 3)
    no_horizontal_scroll(page)


# ----------------------------------------------------- step through backprop
def engine_wide():
    """The wide lesson's nodes (in the API's order), after the engine's own backward pass."""
    from chainrule import lessons

    return lessons.default_graph("wide").nodes()


def test_backprop_wide_step_by_step_to_the_end(visit, screenshots):
    if "wide" not in stepper.available_lessons():
        pytest.fail("the wide lesson is missing from this build")
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
        expect(page.locator("#graph .edge.active")).to_have_count(1)
        event = trace["events"][k - 1]
        expect(page.locator("#event-sum")).to_have_text(event["text"]["sum"])
        met = met or page.locator("#event .meets").count() > 0
        if k == n_events // 2:
            screenshot(page, screenshots, "backprop")
    assert met, "somewhere in the wide network two paths meet and the page says so"
    expect(backward).to_be_disabled()
    expect(page.locator("main")).to_have_attribute("data-done", "1")

    nodes = engine_wide()
    parameters = [n for n in trace["nodes"] if n["kind"] == "parameter"]
    assert parameters
    for n in parameters:
        cell = page.locator(f'td.grad-cell[data-node="{n["id"]}"]')
        expect(cell).to_have_attribute("data-final", "1")
        assert float(cell.get_attribute("data-value")) == pytest.approx(nodes[n["id"]].grad, rel=1e-12, abs=1e-15)
        expect(cell).to_have_text(num(nodes[n["id"]].grad))
    expect(page.locator("#paths .deriv")).to_have_count(len(parameters))


def test_backprop_shared_url_shows_the_same_step(visit):
    lesson = "wide" if "wide" in stepper.available_lessons() else stepper.available_lessons()[-1]
    trace = stepper.trace_lesson(lesson)
    k = min(5, len(trace["events"]))
    v = visit()
    page = v.goto(f"/backprop?lesson={lesson}&forward=1&edge={k}")
    expect(page.locator("main")).to_have_attribute("data-edge", str(k))
    expect(page.locator("#progress")).to_contain_text(f"edge {k} of {len(trace['events'])}")
    expect(page.locator("#event-sum")).to_have_text(trace["events"][k - 1]["text"]["sum"])
    expect(page.locator(f'#graph [data-edge="{trace["events"][k - 1]["edge"]}"] .edge.active')).to_have_count(1)
    page.locator("#btn-back").click()
    expect(page.locator("main")).to_have_attribute("data-edge", str(k - 1))
    assert f"edge={k - 1}" in page.url


def test_backprop_every_lesson_loads_narrow(visit):
    v = visit(NARROW)
    for lesson in stepper.available_lessons():
        page = v.goto(f"/backprop?lesson={lesson}&forward=1&edge=1")
        expect(page.locator("main")).to_have_attribute("data-lesson", lesson)
        no_horizontal_scroll(page)


# ----------------------------------------------------------------- playground
# The playground's browser tests are in test_web_playground.py (they use the fixtures above).


# --------------------------------------------------------------- first render
@pytest.mark.parametrize("path,shown,chart", [
    ("/", "#current-weight", "#parabola .main-svg"),
    ("/playground", "#m-train-loss", "#loss-chart .main-svg"),
])
def test_the_first_render_does_not_wait_for_plotly(visit, path, shown, chart):
    # plotly.js is held back by the test: the page must render and show the server's numbers without it,
    # then draw its chart once plotly arrives
    v = visit()
    held = []
    v.page.route("**/vendor/plotly.min.js", lambda route: held.append(route))
    v.page.goto(v.base_url + path, wait_until="domcontentloaded")
    expect(v.page.locator(shown)).not_to_have_text("", timeout=20_000)
    expect(v.page.locator(shown)).not_to_have_text("—")
    assert held, "the page did not ask for plotly.js"
    assert v.page.evaluate("typeof window.Plotly") == "undefined"
    expect(v.page.locator(chart)).to_have_count(0)
    held[0].continue_()
    expect(v.page.locator(chart).first).to_be_attached(timeout=20_000)

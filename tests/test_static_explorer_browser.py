"""The static explorer in a real browser: chainrule's own Python, in Pyodide, answers serve's pages from a folder.

The folder is ``chainrule site``'s (the docs build's ``site/explorer`` when
CI made one, else built here from node_modules and build/wheels, as ``make
test`` prepares them). A plain static server (Python's ``http.server``)
serves it on 127.0.0.1, and Chromium resolves no other host at all
(``--host-resolver-rules``); every request the pages and their workers make
is recorded, and none may leave 127.0.0.1. Each test acts as a learner would:
open the video's example from a link, step, walk the step-through of
``wide`` (compared edge by edge with ``chainrule serve``'s own page), answer
an exercise, and come back with the server gone (the service worker's copy).

How long the first number took is printed (``-s``) and reported by ``make
bench`` in docs/benchmarks.md, never asserted: timings never go in tests.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs the chromium package)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from browser_checks import axe_violations, first_number_at  # noqa: E402
from chainrule.exercises.steps import step_exercise  # noqa: E402
from chainrule.static_explorer.build import build  # noqa: E402
from chainrule.stepthrough.lesson import trace_lesson  # noqa: E402
from live_server import LiveServer  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
# Chromium resolves 127.0.0.1 only: a request to any other host fails before it leaves the machine.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
LOADING = 90_000  # ms a first visit may take to start Python on a loaded 2-core machine (the benchmark times it)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The static explorer: the docs build's, or one built here."""
    site = os.environ.get("CHAINRULE_SITE")
    if site and (Path(site) / "explorer" / "explorer.json").is_file():
        return Path(site) / "explorer"
    return build(tmp_path_factory.mktemp("static") / "explorer", ROOT / "node_modules", ROOT / "build" / "wheels").out


class Folder:
    """``python -m http.server`` for the folder, on a free loopback port, that a test can stop (the network cut)."""

    def __init__(self, path: Path):
        handler = functools.partial(_Quiet, directory=str(path))
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a browser that drops a connection it no longer needs is no error of the folder's


@pytest.fixture
def served(folder):
    server = Folder(folder)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def visit(chromium):
    """A fresh browser profile (empty cache, no service worker); the URLs of every request its pages make."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, requests, errors
    context.close()
    assert not errors, errors
    strangers = [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    assert not strangers, strangers


def python_ready(page):
    expect(page.locator("#python-status")).to_have_attribute("data-stage", "ready", timeout=LOADING)


def test_the_video_example_from_a_link_is_computed_in_the_browser(served, visit):
    page, requests, _ = visit
    page.goto(served.url + "/?i=2&w=0.3&y=1")
    expect(page.locator("#python-status")).to_be_visible()  # the loading line, from the first moment
    # a = i·w = 0.6, ∂C/∂w = 2(a − y)·i = 2(0.6 − 1)·2 = −1.6
    expect(page.locator("#current-gradient")).to_have_text("−1.6", timeout=LOADING)
    expect(page.locator("#current-activation")).to_have_text("0.6")
    print(f"\nstatic explorer: first number drawn {first_number_at(page) / 1000:.1f} s after the page started loading")
    expect(page.locator("#error")).to_be_hidden()
    page.locator("#btn-step").click()
    # w ← 0.3 − 0.1·(−1.6) = 0.46, ∂C/∂w = 2(0.92 − 1)·2 = −0.32
    expect(page.locator("#current-step")).to_have_text("1")
    expect(page.locator("#current-weight")).to_have_text("0.46")
    expect(page.locator("#current-gradient")).to_have_text("−0.32")
    assert any(u.endswith("/pyodide/pyodide.asm.wasm") for u in requests)
    assert any("/wheels/chainrule-" in u for u in requests)


def edges_walked(page) -> list[tuple[str, str]]:
    """Walk the backward pass to its end, one click per edge: each edge's label and the running sum it reached."""
    page.locator("#btn-forward").click()
    seen = []
    backward = page.locator("#btn-backward")
    while backward.is_enabled():
        backward.click()
        k = int(page.locator("main").get_attribute("data-edge"))
        expect(page.locator("main")).to_have_attribute("data-edge", str(k))
        seen.append((page.locator(f'[data-edge-label="{k - 1}"]').text_content() if page.locator(
            f'[data-edge-label="{k - 1}"]').count() else "", page.locator("#event-sum").text_content()))
    return seen


def test_the_step_through_of_wide_walks_the_same_edges_as_chainrule_serve(served, visit, chromium):
    page, _, _ = visit
    page.goto(served.url + "/backprop?lesson=wide")
    python_ready(page)
    expect(page.locator("#graph path.edge").first).to_be_attached(timeout=LOADING)
    static = edges_walked(page)
    server = LiveServer()
    try:
        other = chromium.new_page()
        other.goto(server.url + "/backprop?lesson=wide")
        expect(other.locator("#graph path.edge").first).to_be_attached()
        served_edges = edges_walked(other)
        other.close()
    finally:
        server.stop()
    assert len(static) == len(trace_lesson("wide")["events"]) == len(served_edges)
    assert static == served_edges


def test_an_exercise_answer_is_graded_in_the_browser(served, visit):
    page, _, _ = visit
    page.goto(served.url + "/backprop?lesson=simplest&mode=exercise&seed=3")
    python_ready(page)
    expect(page.locator("main")).to_have_attribute("data-mode", "exercise", timeout=LOADING)
    first = next(q for q in step_exercise("simplest", 3).questions if q.id.startswith("node:"))
    page.locator("#ex-answer").fill("12345")  # wrong
    page.locator("#ex-answer").press("Enter")
    expect(page.locator("#ex-feedback")).to_have_attribute("data-kind", "wrong")
    page.locator("#ex-answer").fill(repr(first.value))
    page.locator("#ex-answer").press("Enter")
    expect(page.locator("#ex-feedback")).to_have_attribute("data-kind", "right")


def test_the_pages_work_again_with_the_network_cut_after_the_first_visit(folder, visit):
    page, _, _ = visit
    server = Folder(folder)
    page.goto(server.url + "/?i=2&w=0.3&y=1")
    expect(page.locator("#current-gradient")).to_have_text("−1.6", timeout=LOADING)
    # the service worker has kept every file of the folder
    files = json.loads((folder / "explorer.json").read_text())["wheels"]
    page.wait_for_function("""async (wheels) => {
        const keys = await caches.keys();
        if (!keys.length) return false;
        const cache = await caches.open(keys[0]);
        for (const w of wheels) if (!(await cache.match(new URL(w, location.href)))) return false;
        return true; }""", arg=files, timeout=LOADING)
    url = server.url
    server.stop()  # the network is cut: nothing answers on that port any more
    page.goto(url + "/?i=1&w=0.5&y=1")
    # a = 0.5, ∂C/∂w = 2(0.5 − 1)·1 = −1
    expect(page.locator("#current-gradient")).to_have_text("−1", timeout=LOADING)
    page.goto(url + "/backprop?lesson=chain")
    expect(page.locator("#graph path.edge").first).to_be_attached(timeout=LOADING)


def test_the_playground_page_says_it_needs_chainrule_serve_and_links_the_rest(served, visit):
    page, _, _ = visit
    page.goto(served.url + "/playground")
    expect(page.locator("h1")).to_contain_text("Playground")
    expect(page.locator("main")).to_contain_text("chainrule serve")
    expect(page.locator("main")).to_contain_text("numpy")
    assert axe_violations(page) == []
    page.locator("main a", has_text="Step through backprop").click()
    expect(page).to_have_url(served.url + "/backprop/")


def test_the_loading_line_and_the_computed_page_pass_axe(served, visit):
    page, _, _ = visit
    page.goto(served.url + "/")
    expect(page.locator("#python-status")).to_be_visible()
    assert axe_violations(page) == []
    expect(page.locator("#current-gradient")).to_have_text("1.2", timeout=LOADING)  # 4.5·0.8 − 2.4
    assert axe_violations(page) == []


def test_a_folder_python_cannot_start_from_says_so_on_the_page(folder, visit, tmp_path):
    broken = tmp_path / "explorer"
    shutil.copytree(folder, broken)
    (broken / "pyodide" / "pyodide.asm.wasm").unlink()  # a folder copied in part
    server = Folder(broken)
    try:
        page, _, _ = visit
        page.goto(server.url + "/?i=2&w=0.3&y=1")
        expect(page.locator("#python-status")).to_have_attribute("data-stage", "failed", timeout=LOADING)
        expect(page.locator("#python-status")).to_contain_text("could not start")
        expect(page.locator("#error")).to_contain_text("chainrule's Python could not start in this browser")
    finally:
        server.stop()

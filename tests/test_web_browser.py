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
from chainrule.web import create_app  # noqa: E402

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
    deadline = time.monotonic() + 60  # tells a server that never starts from one slowed by a busy machine
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


# The home page and the step-through page: tests/test_web_pages.py (with these fixtures).


# ----------------------------------------------------------------- playground
# The playground's browser tests are in test_web_playground.py (they use the fixtures above).


# --------------------------------------------------------------- first render
# No page waits for plotly: the home page draws its parabola itself (js/parabola.js, tests/test_web_long_tasks.py),
# the playground its loss curve with uPlot (tests/test_web_playground_feel.py).

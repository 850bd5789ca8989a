"""First render: how soon each explorer page is ready in a real browser, on loopback.

``chainrule serve`` runs in its own process on a free port of 127.0.0.1, as a
learner starts it; headless Chromium (Playwright, ``/usr/bin/chromium``)
opens each page ``LOADS`` times:

* **cold**: a fresh browser context each time (empty cache): everything is
  downloaded, plotly.js included;
* **warm**: the same context reloaded (the cache holds the static files and
  plotly.js; the server answers 304 or the browser does not ask).

Reported per page: the median time to DOMContentLoaded (the first render:
the HTML is parsed and the page's own scripts have run) and to ``load``
(every script, plotly.js included, has arrived), from the navigation
timing of the page itself, and the bytes transferred on a cold load.
Target: DOMContentLoaded under 0.6 s, cold.

Bounded: a few loads per page, 30 s per navigation; the server and the
browser are stopped at the end whatever happens. Prints one Markdown
section on stdout (``bench/run.py`` collects it). Not a test.
"""

from __future__ import annotations

import os
import statistics
import sys

from live_server import HOST, free_port, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
PAGES = ["/", "/backprop", "/playground"]
LOADS = int(os.environ.get("CHAINRULE_RENDER_LOADS", "5"))
TARGET_S = 0.6

TIMING = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  const bytes = performance.getEntriesByType("resource").reduce((s, r) => s + (r.transferSize || 0), n.transferSize || 0);
  return {dcl: n.domContentLoadedEventEnd / 1000, load: n.loadEventEnd / 1000, bytes};
}"""


def measure(browser, base: str, path: str) -> dict:
    cold, warm, sizes = [], [], []
    for _ in range(LOADS):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(base + path, wait_until="load")
        t = page.evaluate(TIMING)
        cold.append(t)
        sizes.append(t["bytes"])
        page.reload(wait_until="load")
        warm.append(page.evaluate(TIMING))
        context.close()
    med = lambda xs, k: statistics.median(x[k] for x in xs)  # noqa: E731
    return {"cold_dcl": med(cold, "dcl"), "cold_load": med(cold, "load"), "warm_dcl": med(warm, "dcl"),
            "warm_load": med(warm, "load"), "bytes": statistics.median(sizes)}


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is not installed", file=sys.stderr)
        return 1
    port = free_port()
    proc = start_server(port)
    base = f"http://{HOST}:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            try:
                measure(browser, base, "/")  # warm-up: the server compresses plotly.js once, Chromium starts up
                results = {path: measure(browser, base, path) for path in PAGES}
            finally:
                browser.close()
    finally:
        stop_server(proc)
    worst = max(r["cold_dcl"] for r in results.values())
    print("## First render: the explorer's pages in headless Chromium on loopback\n")
    print(f"`chainrule serve` on {HOST}; each page opened {LOADS} times in a fresh browser context (cold: empty "
          "cache) and reloaded once in it (warm). Medians of the page's own navigation timing. DOMContentLoaded "
          "is the first render: the HTML parsed and the page's own scripts run; `load` waits for plotly.js too.\n")
    print("| page | DOMContentLoaded, cold | load, cold | DOMContentLoaded, warm | load, warm | transferred, cold |")
    print("|---|---:|---:|---:|---:|---:|")
    for path, r in results.items():
        print(f"| `{path}` | {1000 * r['cold_dcl']:.0f} ms | {1000 * r['cold_load']:.0f} ms | "
              f"{1000 * r['warm_dcl']:.0f} ms | {1000 * r['warm_load']:.0f} ms | {r['bytes'] / 1024:.0f} KiB |")
    print()
    met = worst < TARGET_S
    print(f"Target: DOMContentLoaded under {TARGET_S:g} s on every page, cold: **{'met' if met else 'NOT met'}** "
          f"(slowest {1000 * worst:.0f} ms).\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

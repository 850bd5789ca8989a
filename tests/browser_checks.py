"""Checks the browser tests run on any page: axe-core's WCAG 2.2 AA rules, and the main thread's long tasks.

* ``axe_violations(page)``: axe-core (npm, ``node_modules/axe-core``, pinned in
  package-lock.json; ``make test`` runs ``npm ci``) evaluated in the page as it
  stands, nothing from the network, with the rules tagged ``wcag2a``,
  ``wcag2aa``, ``wcag21aa`` and ``wcag22aa`` (target size included); every
  violation, whatever its impact, one line each.
* ``watch_long_tasks(page)`` before the page loads, then
  ``long_tasks_after_first_number(page)``: the Long Tasks API's entries (every
  main-thread task over 50 ms) that end after the page's mark
  ``chainrule:first-number`` (``CR.firstNumber()``, set when the first number
  computed by the server is drawn), as (start, duration) in ms.
"""

from __future__ import annotations

import functools
from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
# The longest a main-thread task may run once the first number is drawn (issue 24 §5).
LONG_TASK_MS = 200
FIRST_NUMBER = "chainrule:first-number"


@functools.cache
def _axe_source() -> str:
    if not AXE.is_file():
        raise AssertionError(f"{AXE} is missing: run `npm ci` (make test does)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    """Every violation of axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page as it stands, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())  # evaluated by the browser's debugger, not a <script>: the page's CSP still holds
    results = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                            WCAG_22_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
            for v in results["violations"]]


WATCH = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
}).observe({ type: "longtask", buffered: true });
"""


def watch_long_tasks(page) -> None:
    """Record every long task of the pages ``page`` loads from now on (call it before ``goto``)."""
    page.add_init_script(WATCH)


def first_number_at(page) -> float | None:
    """When the page marked its first computed number (ms since it started loading), or None."""
    return page.evaluate(f"(() => {{ const m = performance.getEntriesByName('{FIRST_NUMBER}'); "
                         "return m.length ? m[0].startTime : null; })()")


def long_tasks_after_first_number(page) -> list[tuple[float, float]]:
    """The long tasks (start, duration in ms) that end after the first number was drawn."""
    first = first_number_at(page)
    assert first is not None, "the page never marked its first number"
    tasks = page.evaluate("window.__longTasks")
    return [(t["start"], t["duration"]) for t in tasks if t["start"] + t["duration"] > first]

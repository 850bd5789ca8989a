"""The step-through page's lessons, as the server hands them out: each one's trace computed once.

The trace itself is the library's (``chainrule.stepthrough.lesson``); the
server keeps each lesson's answer once it is computed, because the page asks
for the same handful again and again and they never change. The cache holds
at most one answer per lesson of the step-through.

Importing this imports no HTTP framework (``chainrule.web`` loads its app on
first use): the page's data is the library's.
"""

from __future__ import annotations

from functools import lru_cache

from .. import lessons
from ..stepthrough import lesson as step_through

__all__ = ["available_lessons", "trace_lesson"]


def available_lessons() -> list[str]:
    """The lessons of the step-through page."""
    return step_through.available()


@lru_cache(maxsize=len(lessons.step_through()))
def trace_lesson(name: str) -> dict:
    """The step-through of lesson ``name`` (``chainrule.stepthrough.lesson.trace_lesson``), computed once."""
    return step_through.trace_lesson(name)

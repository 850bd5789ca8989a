"""A lesson's step-through: its graph, with the numbers its ``Lesson`` declares for it, played edge by edge.

A lesson is read only through its contract (``lessons.contract.Lesson``):
its summary, its parameters, its graph, and ``step_through_params()``, the
parameters that differ from the defaults where those make a graph too long
to follow by hand (the recurrent lesson's 4 time steps, not 20).
"""

from __future__ import annotations

from .. import lessons
from .graph import trace_graph

__all__ = ["available", "trace_lesson"]


def available() -> list[str]:
    """The lessons that have a step-through, in the order of the ladder."""
    return list(lessons.step_through())


def trace_lesson(name: str) -> dict:
    """The step-through of lesson ``name`` (``trace_graph``), with its parameters, its name and its summary."""
    lesson = lessons.load(name)
    params = lesson.step_through_params()
    data = trace_graph(lesson.graph(**params))
    data["params"] = params
    data["lesson"] = name
    data["summary"] = lesson.summary
    if params:
        changed = ", ".join(f"{lesson.params[k].symbol or k} = {v} (the lesson's default: {lesson.params[k].default})"
                            for k, v in params.items())
        data["summary"] += f" Stepped through with {changed}, small enough to follow edge by edge."
    return data

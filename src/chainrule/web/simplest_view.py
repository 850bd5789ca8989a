"""The home page's answer for one request: the simplest lesson, read through its contract.

The page keeps four sliders (input, target, starting weight, learning rate)
and a step counter k, and asks for steps 0..k with a tolerance of 0. The
lesson computes everything the page draws (``chainrule.lessons.simplest``):
the descent (the shared ``descend``'s ``Step`` records), its explanation
(``explain``: the report's data, as ``--format json`` prints it), and what
the page shows beyond it (its result's ``explorer()``: the step k written
out, what the lesson's stop rule says there, the formulas as MathML, the
ruler's marks and the parabola sampled by the engine). This module only
turns the request into the lesson's parameters and the answer into JSON.
"""

from __future__ import annotations

from .. import lessons
from .api_models import SimplestRequest


def explore(req: SimplestRequest) -> dict:
    """The whole state of the home page for one request (see the module docstring)."""
    lesson = lessons.load("simplest")
    result = lesson.train(**req.model_dump())
    data = lesson.explain(result).to_json()
    data.update(result.explorer())
    return data

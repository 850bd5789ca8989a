"""The ladder: one module per rung, each building, training and explaining its network.

Every lesson module declares:

* ``NAME`` and ``SUMMARY``: its name and one line for ``chainrule lesson --list``;
* ``PARAMS``: its parameters (``chainrule.params``), declared once: the
  command-line options, the explorer's request models, ``check`` and ``graph``
  all derive from them;
* ``train(**params)``: builds and trains its network with the engine and
  returns a result holding the numbers (and ``result.graph()``, the cost
  ``Value`` after one backward pass);
* ``explain(result)``: the ``Report`` every renderer shows (text, Markdown, JSON);
* ``PLOTS``, and ``plot(result, path)`` where a picture helps;
* optionally ``graph(**params)``: the cost ``Value`` after one backward pass, built without
  the rest of the lesson's work, for a lesson whose ``train`` is slow (exercises build many).
* optionally ``STEP_THROUGH``: the parameters of the graph the explorer's step-through (one edge
  at a time) shows, when the defaults make one too long to step through by hand (recurrent:
  fewer time steps); ``False`` leaves the lesson out (why-backprop's point is that its paths are
  too many to list).
* optionally ``STEP_EXERCISE = False``: the step-through is not offered as an exercise (one
  question per node and per edge), when that would ask more than fit one sitting; the lesson's
  own exercise (``chainrule exercise``, its named values) still is.
"""

from __future__ import annotations

from ..errors import InvalidValueError
from . import (activation, batch, chain, conv, convexity, learning_rate, recurrent, simplest, softmax, wide,
               why_backprop)

# name -> module, in the order of the ladder
LESSONS = {module.NAME: module for module in (simplest, chain, activation, wide, batch, why_backprop, learning_rate,
                                              softmax, conv, recurrent, convexity)}


def step_through() -> tuple[str, ...]:
    """The lessons the explorer's step-through offers, in the order of the ladder."""
    return tuple(name for name, module in LESSONS.items() if getattr(module, "STEP_THROUGH", {}) is not False)


def step_exercises() -> tuple[str, ...]:
    """The lessons whose step-through the explorer also offers as an exercise ("I'll compute it")."""
    return tuple(name for name in step_through() if getattr(LESSONS[name], "STEP_EXERCISE", True))


def step_through_params(name: str) -> dict:
    """The parameters of lesson ``name``'s step-through graph that differ from its defaults."""
    params = getattr(load(name), "STEP_THROUGH", {})
    if params is False:
        raise InvalidValueError(f"lesson {name!r} has no step-through; lessons with one: {', '.join(step_through())}")
    return dict(params)


def load(name: str):
    """The lesson module called ``name``; a clear error naming the known lessons otherwise."""
    if name not in LESSONS:
        raise InvalidValueError(f"no lesson called {name!r}; known lessons: {', '.join(LESSONS)}")
    return LESSONS[name]


def run(name: str, **params):
    """Lesson ``name`` trained with ``params`` (the rest its defaults): ``(module, result)``."""
    module = load(name)
    return module, module.train(**params)


def graph(name: str, **params):
    """The cost ``Value`` of lesson ``name`` with ``params`` (the rest its defaults), after one backward pass.

    The lesson's own ``graph(**params)`` when it has one (no training, no explanation), else ``train(...).graph()``.
    """
    module = load(name)
    quick = getattr(module, "graph", None)
    return quick(**params) if quick is not None else module.train(**params).graph()

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
* ``PLOTS``, and ``plot(result, path)`` where a picture helps.
"""

from __future__ import annotations

from ..errors import InvalidValueError
from . import (activation, batch, chain, conv, convexity, learning_rate, recurrent, simplest, softmax, wide,
               why_backprop)

# name -> module, in the order of the ladder
LESSONS = {module.NAME: module for module in (simplest, chain, activation, wide, batch, why_backprop, learning_rate,
                                              softmax, conv, recurrent, convexity)}


def load(name: str):
    """The lesson module called ``name``; a clear error naming the known lessons otherwise."""
    if name not in LESSONS:
        raise InvalidValueError(f"no lesson called {name!r}; known lessons: {', '.join(LESSONS)}")
    return LESSONS[name]


def run(name: str, **params):
    """Lesson ``name`` trained with ``params`` (the rest its defaults): ``(module, result)``."""
    module = load(name)
    return module, module.train(**params)


def default_graph(name: str):
    """The cost ``Value`` of lesson ``name`` with its default parameters, after one backward pass."""
    return run(name)[1].graph()

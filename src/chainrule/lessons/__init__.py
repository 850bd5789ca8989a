"""The ladder: one module per rung, each building, training and explaining its network.

Every lesson module exposes:

* ``SUMMARY``: one line for ``chainrule lesson --list``;
* ``add_arguments(parser)``: its own options (``--format`` and ``--plot`` are added for it);
* ``run(args)``: builds, trains and explains; returns a result with
  ``to_text()`` (a rich renderable), ``to_markdown()`` (str), ``to_json()``
  (a JSON-ready dict), ``graph()`` (the cost ``Value`` after one backward pass)
  and, where a picture helps, ``plot(path)``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import InvalidValueError

# name -> module, in the order of the ladder
LESSONS = {
    "simplest": "chainrule.lessons.simplest",
    "chain": "chainrule.lessons.chain",
    "activation": "chainrule.lessons.activation",
    "wide": "chainrule.lessons.wide",
    "batch": "chainrule.lessons.batch",
    "why-backprop": "chainrule.lessons.why_backprop",
    "learning-rate": "chainrule.lessons.learning_rate",
}


def available() -> dict[str, ModuleType]:
    """The lessons present in this build, by name, in ladder order."""
    found = {}
    for name, module_name in LESSONS.items():
        try:
            found[name] = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
    return found


def load(name: str) -> ModuleType:
    """The lesson module called ``name``; a clear error naming the known lessons otherwise."""
    lessons = available()
    if name not in lessons:
        raise InvalidValueError(f"no lesson called {name!r}; known lessons: {', '.join(lessons)}")
    return lessons[name]

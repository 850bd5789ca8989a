"""Where Graphviz's ``dot`` runs for the step-through's layout: the ``dot`` program, or Graphviz compiled to WebAssembly.

``layout`` writes a graph in dot's language and reads back dot's JSON
(``-Tjson``: each node's centre, each edge's spline). On a machine with
Graphviz (``chainrule serve``, ``chainrule graph``) the program ``dot`` does
the work, through Graphviz's Python package. In the static explorer
(``chainrule site``) chainrule runs inside the browser (Pyodide), where no
program can be started: the page loads Graphviz compiled to WebAssembly (the
npm package ``@hpcc-js/wasm-graphviz``) and hands its layout function to
``use``. Either way the same dot source goes in and the same kind of JSON
comes out, so the server and the static pages draw each lesson from one
layout rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..errors import MissingDependencyError
from ..viz.graph import INSTALL_HINT

__all__ = ["run", "use"]

# dot source -> dot's JSON as text; None: the Graphviz program
_runner: Callable[[str], str] | None = None


def use(runner: Callable[[str], str] | None) -> None:
    """Lay graphs out with ``runner`` (dot source in, ``-Tjson`` text out); ``None``: the Graphviz program again."""
    global _runner
    _runner = runner


def run(source: str) -> dict:
    """dot's JSON layout of ``source``, from the runner in use."""
    if _runner is not None:
        return json.loads(_runner(source))
    import graphviz  # deferred: Graphviz's Python package loads only when a graph is laid out

    try:
        out = graphviz.Source(source).pipe(format="json", engine="dot")
    except graphviz.ExecutableNotFound:
        raise MissingDependencyError(f"the step-through's layout needs the Graphviz program 'dot'; {INSTALL_HINT}") from None
    return json.loads(out)

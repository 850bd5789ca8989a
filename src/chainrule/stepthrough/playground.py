"""Backprop through the playground's real network, one edge at a time, for a neuron, a weight or a bias.

``playground.rebuild`` writes the current network again as scalar ``Value``\\ s
for the first points of the next step's batch, keeping only the paths from
the focus to the cost; ``trace_graph`` plays that graph's backward pass as the
step-through page plays a lesson's: the same events, sentences and sums over
paths. The answer adds which node is the focus, the points, what was
summarised (when the paths hold more than ``MAX_TRACE_EDGES`` edges), and the
tensor engine's gradient of the same cost, which the last event must reach.
"""

from __future__ import annotations

from dataclasses import asdict

from ..playground.rebuild import Focus, rebuild
from ..playground.setup import Setup
from .graph import trace_graph

__all__ = ["MAX_TRACE_EDGES", "trace"]

# The most edges a step-through shows; beyond, the layers nearest the cost are summarised.
# (The explainer writes each edge's formula up to its FORMULA_LIMIT of 400 edges.)
MAX_TRACE_EDGES = 300


def trace(setup: Setup, focus: Focus, examples: int = 1) -> dict:
    """The step-through of backprop to ``focus`` for the first ``examples`` points of step ``setup.step``'s batch."""
    rebuilt = rebuild(setup, focus, examples, max_edges=MAX_TRACE_EDGES)
    data = trace_graph(rebuilt.cost)
    focus_ids = [n["id"] for n in data["nodes"] if n["label"] == rebuilt.name]
    data.update({
        "focus": {**asdict(focus), "name": rebuilt.name, "node": focus_ids[0] if focus_ids else None},
        "step": rebuilt.step,
        "examples": rebuilt.examples,
        "summarised": rebuilt.summarised(),
        "engine_gradient": rebuilt.engine_gradient,
        "problem": setup.problem,
    })
    return data

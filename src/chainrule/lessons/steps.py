"""What every lesson does at each step of its descent: a fresh graph, and which weight matters most.

The video's question, "which weight matters most?", is about *each* step:
the gradients change as the weights move, and so does the answer. Every
lesson that trains records a ``Ranking`` per step; ``ranking_section`` shows
them as one compact table (the full ranking of the first step has its own
table).
"""

from __future__ import annotations

from ..explainer.report import Section, Table
from ..scalar import Value


def fresh(v: Value) -> Value:
    """A new leaf with the same number and label: each step builds its own graph (the explained one keeps its pass)."""
    return Value(v.data, label=v.label)


def ranking_section(history: list[dict]) -> Section:
    """One row per step: the parameter the cost is most sensitive to, and the one whose relative step is largest."""
    rows = [[str(h["step"]), h["ranking"].short(), h["ranking"].short_relative()] for h in history]
    return Section("Which weight matters most, step by step",
                   table=Table(["step", "largest |∂C/∂p|", "largest |step|/|p|"], rows))

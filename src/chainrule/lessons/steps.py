"""What every lesson does at each step of its descent: a fresh graph, and which weight matters most.

The video's question, "which weight matters most?", is about *each* step:
the gradients change as the weights move, and so does the answer. Every
lesson that trains records a ``Ranking`` per step; ``ranking_section`` shows
them as one compact table (the full ranking of the first step has its own
table).
"""

from __future__ import annotations

from ..errors import InvalidValueError, NumericalOverflowError
from ..explainer.report import Section, Table
from ..scalar import Value

# What a descent step raises when its numbers outgrow a float: the lesson stops there and says so.
OVERFLOW = (NumericalOverflowError, InvalidValueError)


def fresh(v: Value) -> Value:
    """A new leaf with the same number and label: each step builds its own graph (the explained one keeps its pass)."""
    return type(v)(v.data, label=v.label)


def diverged(step: int, exc: Exception) -> str:
    """The line a lesson shows when its descent stopped because the numbers left the floats."""
    return (f"Descent stopped at step {step}: it diverged, and its numbers outgrew a float ({exc}). "
            "The learning rate is too large for this network: try a smaller one.")


def stop_section(stopped: str) -> list[Section]:
    """The warning section of a descent that diverged, or nothing."""
    return [Section("", [stopped], style="bold red")] if stopped else []


def ranking_section(history: list[dict]) -> Section:
    """One row per step: the parameter the cost is most sensitive to, and the one whose relative step is largest."""
    rows = [[str(h["step"]), h["ranking"].short(), h["ranking"].short_relative()] for h in history]
    return Section("Which weight matters most, step by step",
                   table=Table(["step", "largest |∂C/∂p|", "largest |step|/|p|"], rows))

"""Gradient descent, once for every lesson: w ← w − lr·∂C/∂w, one typed record per step.

Every lesson that descends calls ``descend`` with a function that builds its
cost from the parameters' current numbers. At each step ``descend`` builds a
fresh graph (the explained one keeps its single backward pass), runs the
backward pass, reads the gradient of every ``Parameter`` of the graph, ranks
them (the video's question, "which weight matters most?", asked at every step)
and moves each parameter against its gradient::

    C, gradients at w₀ → w₁ = w₀ − lr·∂C/∂w(w₀) → C, gradients at w₁ → …

The ranking (``explainer.ranking``) puts each parameter's predicted change of
the cost, ΔC ≈ −lr·(∂C/∂p)², beside the change *measured* by moving that
parameter alone: ``build`` again with only p moved by its step, a forward pass
and no backward one. That costs a forward pass per parameter, so it is taken at
the first step (``MEASURED_STEPS``), where every lesson shows the ranking in
full; the other steps' rankings are the prediction's and say so. ``build``
must therefore give the cost of whatever values it is handed, and any record it
keeps of the graphs it built must allow for these extra ones.

The history is a list of ``Step``\\ s, one shape for every lesson: the
command line's tables, ``--format json``, the explorer, the exercises and the
plots all read the same records. A descent whose numbers outgrow a float
stops there and says so (``Descent.stopped``), instead of printing inf or NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..errors import InvalidValueError, NumericalOverflowError
from ..explainer.ranking import Ranking, rank
from ..explainer.report import Section, Table
from ..gradcheck import graph_parameters

__all__ = ["Step", "Descent", "descend", "diverged", "measure", "ranking_section", "OVERFLOW", "MEASURED_STEPS"]

# What a descent step raises when its numbers outgrow a float: the descent stops there and says so.
OVERFLOW = (NumericalOverflowError, InvalidValueError)
# The steps whose ranking is measured (a forward pass per parameter), not only predicted: the first, shown in full.
MEASURED_STEPS = frozenset({0})


@dataclass(frozen=True)
class Step:
    """One step of the descent: the cost and every parameter's number and gradient *before* it moves."""

    step: int
    cost: float
    parameters: dict[str, float]
    gradients: dict[str, float]
    ranking: Ranking

    def to_json(self) -> dict:
        return {"step": self.step, "cost": self.cost, "parameters": dict(self.parameters),
                "gradients": dict(self.gradients), "ranking": self.ranking.to_json()}


@dataclass
class Descent:
    """A descent's history (``steps``, the first one before any move) and why it stopped early, if it did."""

    learning_rate: float
    steps: list[Step] = field(default_factory=list)
    stopped: str = ""

    @property
    def costs(self) -> list[float]:
        return [s.cost for s in self.steps]

    def values(self, name: str) -> list[float]:
        """Parameter ``name``'s number at every step."""
        return [s.parameters[name] for s in self.steps]

    def to_json(self) -> dict:
        return {"learning_rate": self.learning_rate, "steps": [s.to_json() for s in self.steps],
                "stopped": self.stopped}


def diverged(step: int, exc: Exception) -> str:
    """The line a lesson shows when its descent stopped because the numbers left the floats."""
    return (f"Descent stopped at step {step}: it diverged, and its numbers outgrew a float ({exc}). "
            "The learning rate is too large for this network: try a smaller one.")


def descend(build: Callable[[dict[str, float]], object], start: Mapping[str, float], learning_rate: float,
            steps: int, *, reason: Callable[[object], str] | None = None,
            stop: Callable[[Step], str] | None = None,
            direction: Callable[[dict[str, float]], dict[str, float]] | None = None,
            schedule: Callable[[int], float] | None = None) -> Descent:
    """``steps`` steps of gradient descent from ``start`` (parameter name → number); ``steps + 1`` records.

    ``build(values)`` returns the cost ``Value`` (before ``backward()``) with
    the parameters at ``values``; its ``Parameter`` leaves, found by label,
    are the ones that move. ``reason(cost)``: what the ranking says when no
    gradient reaches the parameters (e.g. "the ReLU is off"). ``stop(step)``:
    a non-empty line ends the descent after that record (e.g. "at the
    minimum"), kept in ``Descent.stopped``. ``direction(gradients)``: the
    vector the step moves against, when it is not the gradient itself (e.g.
    the gradient clipped to a largest norm); the records keep the true
    gradients. ``schedule(k)``: the learning rate of step ``k`` when it
    changes from step to step (``learning_rate`` is then the first one).
    """
    descent = Descent(learning_rate)
    current = dict(start)
    for k in range(steps + 1):
        lr = schedule(k) if schedule is not None else learning_rate
        try:
            cost = build(current)
            cost.backward()
        except OVERFLOW as exc:
            descent.stopped = diverged(k, exc)
            break
        found = {p.label: p for p in graph_parameters(cost)}
        missing = [name for name in current if name not in found]
        if missing:
            raise InvalidValueError(f"descent: the graph has no parameter labelled {', '.join(missing)}")
        gradients = {name: found[name].grad for name in current}
        why_none = reason(cost) if reason is not None else ""  # before measuring: it may read the graph just built
        moves = direction(gradients) if direction is not None else gradients
        deltas = {name: -lr * moves[name] for name in current}
        changes = measure(build, current, deltas, cost.data) if k in MEASURED_STEPS else None
        record = Step(k, cost.data, dict(current), gradients,
                      rank([(name, current[name], gradients[name]) for name in current], lr, why_none,
                           cost=cost.data, steps=deltas if direction is not None else None, measured=changes))
        descent.steps.append(record)
        why = stop(record) if stop is not None else ""
        if why:
            descent.stopped = why
            break
        current = {name: value + deltas[name] for name, value in current.items()}
    return descent


def measure(build: Callable[[dict[str, float]], object], values: Mapping[str, float], steps: Mapping[str, float],
            cost: float) -> dict[str, float | None]:
    """ΔC of each parameter moved alone: ``build`` with p at p + Δp and every other at ``values``, minus ``cost``.

    A forward pass per parameter (no backward); a parameter whose step is 0
    leaves the cost as it is (0, nothing built). None where the moved cost
    gave no number (``OVERFLOW``: it outgrew a float, or left the cost's
    domain, e.g. the log of a negative number).
    """
    changes: dict[str, float | None] = {}
    for name, step in steps.items():
        if step == 0.0:
            changes[name] = 0.0
            continue
        try:
            changes[name] = build({**values, name: values[name] + step}).data - cost
        except OVERFLOW:
            changes[name] = None
    return changes


def ranking_section(steps: list[Step]) -> Section:
    """One row per step: the parameter whose step alone lowers C most (and by how much), the largest relative step.

    Where the change was measured (``MEASURED_STEPS``) the row has the
    measured ΔC; elsewhere the prediction −lr·(∂C/∂p)², marked ≈.
    """
    rows = [[str(s.step), s.ranking.short(), s.ranking.short_relative()] for s in steps]
    measured = [str(s.step) for s in steps if s.ranking.measured]
    where = (f"At step {', '.join(measured)} the change is measured: the cost rebuilt with only that parameter moved. "
             if measured else "")
    return Section("Which weight matters most, step by step",
                   [where + "Elsewhere (≈) it is predicted, ΔC ≈ ∂C/∂p·Δp, which for a plain step is "
                    "−lr·(∂C/∂p)² and ranks the parameters as |∂C/∂p| does. |Δp|/|p| leaves out parameters near 0, "
                    "where it blows up."],
                   table=Table(["step", "lowers C most, moved alone: ΔC", "largest |Δp|/|p|"], rows))


def stop_section(stopped: str) -> list[Section]:
    """The warning section of a descent that stopped early, or nothing."""
    return [Section("", [stopped], style="bold red")] if stopped else []

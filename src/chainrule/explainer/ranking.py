"""Which weight matters most this step: each parameter's step, the change in cost it predicts, and the one measured.

Gradient descent moves every parameter θ (a weight or a bias; θ, because p is
a probability in the softmax lesson: one symbol, one meaning) by

    Δθ = −lr · ∂C/∂θ

Near the current point the cost is almost a straight line in each parameter,
so moving θ *alone* by Δθ changes the cost by about

    ΔC ≈ ∂C/∂θ · Δθ = −lr · (∂C/∂θ)²          (the prediction)

With one learning rate for all, the prediction ranks the parameters exactly
as |∂C/∂θ| does: it says nothing a gradient does not. So the ranking also
*measures* the change: the cost rebuilt with that one parameter moved by its
step and every other left where it is,

    ΔC = C(θ + Δθ, the others unchanged) − C        (the measurement)

and ranks the parameters by the measured decrease, largest first. The two
agree for small steps; where they part, the cost is curved over the length of
the step (a step can even overshoot and *raise* the cost). The measurement is
a forward pass per parameter, so the shared descent takes it at the first
step, where each lesson shows the ranking in full; at the other steps the
ranking is the prediction's, and says so (``measured``).

How much a step changes the parameter itself is another matter: a step of 0.1
is a lot for a weight of 0.5 and little for a weight of 10, so the relative
step |Δθ| / |θ| is ranked too. Near θ = 0 that ratio blows up (a bias of 0
changes "infinitely"), which says that θ is small, not that it matters. It is
shown only where |θ| is at least ``NEAR_ZERO`` times the largest |θ| of the
parameters (0 is always near 0), and the verdict says which ones it left out
and why.

Numbers equal up to rounding (``format.ROUNDING``) are a tie and are reported
as one; a measured change is rounding next to the cost it is taken from. When
every gradient is 0, no parameter matters: descent cannot move at all, and the
verdict says so (the lesson says why, e.g. a ReLU that is off passes no
gradient back: a dead unit).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .format import ROUNDING, is_rounding_zero, num

__all__ = ["NEAR_ZERO", "RankedParameter", "Ranking", "rank"]

# |θ| below this fraction of the largest |θ| is near 0: its relative step |Δθ|/|θ| is not shown (it blows up there).
NEAR_ZERO = 1e-3

# Significant digits of a change of cost: enough to set the prediction beside the measurement.
CHANGE_DIGITS = 4
# What the table says where a number is missing, and why.
NOT_MEASURED = "—"
OVERFLOWED = "no number"  # the moved cost outgrew a float, or left the cost's domain (log of a negative)


@dataclass
class RankedParameter:
    name: str
    value: float
    gradient: float
    step: float  # Δθ = −lr·∂C/∂θ (or the step the descent takes, e.g. a clipped one)
    predicted_change: float  # ΔC ≈ ∂C/∂θ·Δθ = −lr·(∂C/∂θ)²
    measured_change: float | None  # C(θ + Δθ, the others unchanged) − C; None: not measured, or no number came
    relative_step: float | None  # |Δθ| / |θ|; None where |θ| is near 0 (``near_zero``)
    near_zero: bool  # |θ| < NEAR_ZERO × the largest |θ|: no relative step
    rank_by_gradient: int  # 1 = largest |∂C/∂θ| (ties share a rank)
    rank_by_decrease: int  # 1 = lowers C most: measured where measured, else predicted
    rank_by_relative_step: int | None  # 1 = largest |Δθ|/|θ|; None where |θ| is near 0

    @property
    def decrease(self) -> float:
        """How much moving this parameter alone lowers C: measured where measured, else predicted."""
        return -(self.predicted_change if self.measured_change is None else self.measured_change)

    def to_json(self) -> dict:
        """The fields as a dict, written out (``dataclasses.asdict`` deep-copies: ~7 ms per 1000 steps)."""
        return {"name": self.name, "value": self.value, "gradient": self.gradient, "step": self.step,
                "predicted_change": self.predicted_change, "measured_change": self.measured_change,
                "relative_step": self.relative_step, "near_zero": self.near_zero,
                "rank_by_gradient": self.rank_by_gradient, "rank_by_decrease": self.rank_by_decrease,
                "rank_by_relative_step": self.rank_by_relative_step}


@dataclass
class Ranking:
    learning_rate: float
    parameters: list[RankedParameter]  # in order of rank_by_decrease, largest decrease first
    reason: str = ""  # why no gradient reaches the parameters, when none does
    cost: float | None = None  # C before the step: what a measured change is rounding next to
    measured: bool = False  # the changes were measured (a forward pass per parameter), not only predicted
    custom_step: bool = False  # the steps are not −lr·∂C/∂θ (e.g. clipped): the prediction is ∂C/∂θ·Δθ
    # Read by the verdict, the table and the JSON of every step: found once (``__post_init__``).
    no_gradient: bool = field(init=False, repr=False)  # every ∂C/∂θ is 0: descent cannot move any parameter
    most_sensitive: list[RankedParameter] = field(init=False, repr=False)  # the largest |∂C/∂θ| (ties: several)
    largest_decrease: list[RankedParameter] = field(init=False, repr=False)  # alone, lowers C most (ties: several)
    largest_relative_step: list[RankedParameter] = field(init=False, repr=False)  # the largest |Δθ|/|θ|
    near_zero: list[RankedParameter] = field(init=False, repr=False)  # left out of |Δθ|/|θ|

    def __post_init__(self) -> None:
        ps = self.parameters
        self.no_gradient = all(p.gradient == 0.0 for p in ps)
        self.most_sensitive = [p for p in ps if p.rank_by_gradient == 1]
        self.largest_decrease = [p for p in ps if p.rank_by_decrease == 1]
        self.largest_relative_step = [p for p in ps if p.rank_by_relative_step == 1]
        self.near_zero = [p for p in ps if p.near_zero]

    @property
    def overflowed(self) -> list[RankedParameter]:
        """Measured parameters whose move alone gave no number for C (it outgrew a float, or left its domain)."""
        return [p for p in self.parameters if self.measured and p.measured_change is None]

    def _prediction(self) -> str:
        return "∂C/∂θ·Δθ" if self.custom_step else "−lr·(∂C/∂θ)²"

    def columns(self) -> list[str]:
        step = "Δθ" if self.custom_step else "Δθ = −lr·∂C/∂θ"
        return ["parameter", "value", "∂C/∂θ", step, f"ΔC ≈ {self._prediction()}", "ΔC measured", "|Δθ|/|θ|",
                "rank"]

    def rows(self) -> list[list[str]]:
        scale = abs(self.cost) if self.cost is not None else 0.0
        return [
            [
                p.name,
                num(p.value),
                num(p.gradient),
                num(p.step),
                num(p.predicted_change, CHANGE_DIGITS),
                self._measured_text(p, scale),
                "— (θ ≈ 0)" if p.near_zero else num(p.relative_step, 3),
                str(p.rank_by_decrease),
            ]
            for p in self.parameters
        ]

    def _measured_text(self, p: RankedParameter, scale: float) -> str:
        if not self.measured:
            return NOT_MEASURED
        return OVERFLOWED if p.measured_change is None else num(p.measured_change, CHANGE_DIGITS, scale)

    def verdict(self) -> str:
        if self.no_gradient:
            text = "No gradient reaches any parameter: every ∂C/∂θ is 0, so descent cannot move"
            return text + (f": {self.reason}." if self.reason else ".")
        text = self._measured_verdict() if self.measured else self._predicted_verdict()
        return text + self._relative_verdict() + "."

    def _predicted_verdict(self) -> str:
        top = self.most_sensitive
        names = _names([p.name for p in top])
        size = num(abs(top[0].gradient))
        if len(top) == 1:
            return (f"The cost is most sensitive to {names} (|∂C/∂{names}| = {size}): its step is predicted to "
                    f"lower C most, by {num(-top[0].predicted_change, CHANGE_DIGITS)} ({self._prediction()}, "
                    "not measured at this step)")
        return (f"{names} tie (their gradients are equal up to rounding, |∂C/∂θ| = {size}): their steps are "
                f"predicted to lower C alike ({self._prediction()}, not measured at this step)")

    def _measured_verdict(self) -> str:
        scale = abs(self.cost) if self.cost is not None else 0.0
        best = self.largest_decrease
        first = best[0]
        names = _names([p.name for p in best])
        if first.measured_change is None:
            return ("Moved alone by its step, no parameter leaves a number for the cost: it outgrows a float, or "
                    f"leaves the cost's domain; the learning rate {num(self.learning_rate)} is far too large")
        if is_rounding_zero(first.measured_change, scale):
            text = (f"No parameter, moved alone by its step, changes the cost by more than rounding next to "
                    f"C = {num(self.cost)} (the prediction {self._prediction()} is at most "
                    f"{num(first.predicted_change, CHANGE_DIGITS)})")
        elif first.measured_change > 0.0:
            text = ("No parameter, moved alone by its step, lowers the cost: every step overshoots the valley "
                    f"(the prediction {self._prediction()} assumes a straight line; the learning rate "
                    f"{num(self.learning_rate)} is too large for this cost's curve)")
        else:
            measured = num(first.measured_change, CHANGE_DIGITS, scale)
            predicted = num(first.predicted_change, CHANGE_DIGITS)
            if len(best) == 1:
                text = (f"Moved alone by its step ({num(first.step)}), {names} lowers the cost most: C changes by "
                        f"{measured}, measured (the cost rebuilt with only {names} moved), against {predicted} "
                        f"predicted by {self._prediction()}")
            else:
                text = (f"{names} tie: moved alone by its step, each changes C by {measured}, measured "
                        f"({predicted} predicted by {self._prediction()})")
            if {p.name for p in self.most_sensitive} != {p.name for p in best}:
                text += (f"; the prediction alone would rank {_names([p.name for p in self.most_sensitive])} "
                         "first (the largest |∂C/∂θ|), but over the length of that step the cost curves away "
                         "from its tangent")
        if self.overflowed:
            text += (f"; moving {_names([p.name for p in self.overflowed])} alone gave no number for C (it "
                     "outgrew a float, or left the cost's domain), so it is ranked last")
        return text

    def _relative_verdict(self) -> str:
        text = ""
        relative = self.largest_relative_step
        if relative and {p.name for p in relative} != {p.name for p in self.largest_decrease}:
            text += (f"; relative to its size, {_names([p.name for p in relative])} changes most "
                     f"(|Δθ|/|θ| = {num(relative[0].relative_step, 3)})")
        near = self.near_zero
        if near:
            one = len(near) == 1
            if all(p.value == 0.0 for p in near):
                sizes = "it is 0" if one else "each is 0"
            else:
                largest = max(abs(p.value) for p in self.parameters)
                sizes = (", ".join(f"|{p.name}| = {num(abs(p.value))}" for p in near[:3])
                         + (", …" if len(near) > 3 else "")
                         + f": under {num(NEAR_ZERO)} of the largest |θ|, {num(largest)}")
            text += (f"; {_names([p.name for p in near])} {'is' if one else 'are'} left out of |Δθ|/|θ| ({sizes}): "
                     "near 0 the ratio blows up and says only that the parameter is small")
        return text

    def short(self) -> str:
        """The verdict in a few words, for one row of a per-step table: 'w₂: −0.00262', 'w₂: ≈ −0.00265'.

        A measured change is written as it is; a predicted one (−lr·(∂C/∂θ)², at a step where nothing was
        measured) with ≈ before it.
        """
        if self.no_gradient:
            return "none: every gradient is 0"
        best = self.largest_decrease
        names = _names([p.name for p in best])
        first = best[0]
        if not self.measured:
            return f"{names}: ≈ {num(first.predicted_change, CHANGE_DIGITS)}"
        if first.measured_change is None:
            return f"{names}: {OVERFLOWED}"
        scale = abs(self.cost) if self.cost is not None else 0.0
        return f"{names}: {num(first.measured_change, CHANGE_DIGITS, scale)}"

    def short_relative(self) -> str:
        """The largest relative step in a few words, 'w₁ (0.023)'; '—' when there is none to compare."""
        relative = self.largest_relative_step
        if not relative or self.no_gradient:
            return "—"
        return f"{_names([p.name for p in relative])} ({num(relative[0].relative_step, 3)})"

    def to_json(self) -> dict:
        """Every step's ranking in ``--format json`` and on the explorer's home page: plain dicts, written out."""
        moving = not self.no_gradient
        return {
            "learning_rate": self.learning_rate,
            "cost": self.cost,
            "measured": self.measured,
            "parameters": [p.to_json() for p in self.parameters],
            "most_sensitive": [p.name for p in self.most_sensitive] if moving else [],
            "largest_decrease": [p.name for p in self.largest_decrease] if moving else [],
            "largest_relative_step": [p.name for p in self.largest_relative_step] if moving else [],
            "no_gradient": not moving,
            "verdict": self.verdict(),
        }


def _names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _ranks(keys: list[float], scale: float = 0.0) -> list[int]:
    """Rank 1 for the largest; values equal up to rounding (``ROUNDING``, next to ``scale`` too) share a rank.

    An infinite key (a move that overflowed: −inf) ties only with an equal one.
    """
    order = sorted(range(len(keys)), key=lambda k: -keys[k])
    ranks = [0] * len(keys)
    rank, previous = 0, None
    for position, k in enumerate(order, 1):
        key = keys[k]
        if previous is None or (key != previous and (math.isinf(key) or math.isinf(previous) or abs(key - previous)
                                                     > ROUNDING * max(abs(key), abs(previous), scale))):
            rank = position
            previous = key
        ranks[k] = rank
    return ranks


def rank(parameters: list[tuple[str, float, float]], learning_rate: float, reason: str = "", *,
         cost: float | None = None, steps: Mapping[str, float] | None = None,
         measured: Mapping[str, float | None] | None = None) -> Ranking:
    """Rank ``(name, value, gradient)`` triples for a step of size ``learning_rate``.

    ``reason``: what to say when no gradient reaches any parameter (e.g. "the ReLU is off").
    ``cost``: C before the step. ``steps``: each parameter's step Δθ, when it is not −lr·∂C/∂θ (e.g. clipped).
    ``measured``: each parameter's measured change of C when it alone moves by its step (None where that
    overflowed); without it the ranking is the prediction's, ∂C/∂θ·Δθ.
    """
    rows = []
    largest = max((abs(value) for _, value, _ in parameters), default=0.0)
    for name, value, gradient in parameters:
        step = steps[name] if steps is not None else -learning_rate * gradient
        near = abs(value) < NEAR_ZERO * largest or value == 0.0
        relative = None if near else abs(step) / abs(value)
        if relative is not None and not math.isfinite(relative):  # |θ| so small the ratio leaves the floats
            near, relative = True, None
        change = measured[name] if measured is not None else None
        rows.append(RankedParameter(name, value, gradient, step, gradient * step, change, relative, near, 0, 0, None))
    scale = abs(cost) if cost is not None and measured is not None else 0.0
    decreases = [r.decrease if measured is None or r.measured_change is not None else float("-inf") for r in rows]
    for r, by_gradient, by_decrease in zip(rows, _ranks([abs(r.gradient) for r in rows]), _ranks(decreases, scale)):
        r.rank_by_gradient, r.rank_by_decrease = by_gradient, by_decrease
    with_value = [r for r in rows if r.relative_step is not None]
    for r, by_relative in zip(with_value, _ranks([r.relative_step for r in with_value])):
        r.rank_by_relative_step = by_relative
    order = sorted(range(len(rows)), key=lambda k: (rows[k].rank_by_decrease, rows[k].rank_by_gradient, k))
    return Ranking(learning_rate, [rows[k] for k in order], reason, cost, measured is not None, steps is not None)

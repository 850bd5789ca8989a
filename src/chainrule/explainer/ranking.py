"""Which weight matters most this step: the parameters ranked by their gradient and by their step.

Gradient descent moves every parameter by

    Δp = −lr · ∂C/∂p

so the parameter with the largest |∂C/∂p| is the one the cost is most
sensitive to, and takes the largest step. (With one learning rate for all,
ranking by |Δp| is ranking by |∂C/∂p|.) How much that step *changes* the
parameter is another matter: a step of 0.1 is a lot for a weight of 0.01 and
little for a weight of 10, so the parameters are also ranked by the relative
step |Δp| / |p| (undefined for a parameter that is 0: it is left out of that
ranking rather than called infinite).

Gradients equal up to rounding (``format.ROUNDING``) are a tie and are
reported as one. When every gradient is 0, no parameter matters: descent
cannot move at all, and the verdict says so (the lesson says why, e.g. a
ReLU that is off passes no gradient back: a dead unit).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .format import ROUNDING, num

__all__ = ["RankedParameter", "Ranking", "rank"]


@dataclass
class RankedParameter:
    name: str
    value: float
    gradient: float
    step: float  # Δp = −lr·∂C/∂p
    relative_step: float | None  # |Δp| / |p|, None for p = 0
    rank_by_gradient: int  # 1 = largest |∂C/∂p| (ties share a rank)
    rank_by_relative_step: int | None  # 1 = largest |Δp|/|p|; None for p = 0


@dataclass
class Ranking:
    learning_rate: float
    parameters: list[RankedParameter]  # in order of |gradient|, largest first
    reason: str = ""  # why no gradient reaches the parameters, when none does

    @property
    def no_gradient(self) -> bool:
        """True when every gradient is 0: descent cannot move any parameter."""
        return all(p.gradient == 0.0 for p in self.parameters)

    @property
    def most_sensitive(self) -> list[RankedParameter]:
        """The parameters with the largest |∂C/∂p| (several when they tie)."""
        return [p for p in self.parameters if p.rank_by_gradient == 1]

    @property
    def largest_relative_step(self) -> list[RankedParameter]:
        return [p for p in self.parameters if p.rank_by_relative_step == 1]

    def columns(self) -> list[str]:
        return ["parameter", "value", "∂C/∂p", "step −lr·∂C/∂p", "|step|/|p|", "rank |∂C/∂p|", "rank |step|/|p|"]

    def rows(self) -> list[list[str]]:
        return [
            [
                p.name,
                num(p.value),
                num(p.gradient),
                num(p.step),
                "—" if p.relative_step is None else num(p.relative_step, 3),
                str(p.rank_by_gradient),
                "—" if p.rank_by_relative_step is None else str(p.rank_by_relative_step),
            ]
            for p in self.parameters
        ]

    def verdict(self) -> str:
        if self.no_gradient:
            text = "No gradient reaches any parameter: every ∂C/∂p is 0, so descent cannot move"
            return text + (f": {self.reason}." if self.reason else ".")
        top = self.most_sensitive
        names = _names([p.name for p in top])
        size = num(abs(top[0].gradient))
        if len(top) == 1:
            text = f"The cost is most sensitive to {names} (|∂C/∂{names}| = {size}): it takes the largest step, {num(top[0].step)}"
        else:
            text = f"{names} tie (their gradients are equal up to rounding, |∂C/∂p| = {size}): they take the largest steps"
        relative = self.largest_relative_step
        if relative and {p.name for p in relative} != {p.name for p in top}:
            text += f"; relative to its size, {_names([p.name for p in relative])} changes most"
        return text + "."

    def short(self) -> str:
        """The verdict in a few words, for one row of a per-step table: 'w₂ (0.2304)', 'none (all 0)'."""
        if self.no_gradient:
            return "none: every gradient is 0"
        top = self.most_sensitive
        return f"{_names([p.name for p in top])} ({num(abs(top[0].gradient))})"

    def short_relative(self) -> str:
        relative = self.largest_relative_step
        if not relative or self.no_gradient:
            return "—"
        return f"{_names([p.name for p in relative])} ({num(relative[0].relative_step, 3)})"

    def to_json(self) -> dict:
        return {
            "learning_rate": self.learning_rate,
            "parameters": [asdict(p) for p in self.parameters],
            "most_sensitive": [p.name for p in self.most_sensitive] if not self.no_gradient else [],
            "largest_relative_step": [p.name for p in self.largest_relative_step] if not self.no_gradient else [],
            "no_gradient": self.no_gradient,
            "verdict": self.verdict(),
        }


def _names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _ranks(keys: list[float]) -> list[int]:
    """Rank 1 for the largest; values equal up to rounding (``ROUNDING``) share a rank."""
    order = sorted(range(len(keys)), key=lambda k: -keys[k])
    ranks = [0] * len(keys)
    rank, previous = 0, None
    for position, k in enumerate(order, 1):
        if previous is None or abs(keys[k] - previous) > ROUNDING * max(abs(keys[k]), abs(previous)):
            rank = position
            previous = keys[k]
        ranks[k] = rank
    return ranks


def rank(parameters: list[tuple[str, float, float]], learning_rate: float, reason: str = "") -> Ranking:
    """Rank ``(name, value, gradient)`` triples for a step of size ``learning_rate``.

    ``reason``: what to say when no gradient reaches any parameter (e.g. "the ReLU is off").
    """
    rows = []
    for name, value, gradient in parameters:
        step = -learning_rate * gradient
        relative = abs(step) / abs(value) if value != 0.0 else None
        rows.append((name, value, gradient, step, relative))
    by_gradient = _ranks([abs(r[2]) for r in rows])
    with_value = [k for k, r in enumerate(rows) if r[4] is not None]
    by_relative: dict[int, int] = dict(zip(with_value, _ranks([rows[k][4] for k in with_value])))
    order = sorted(range(len(rows)), key=lambda k: (by_gradient[k], k))
    ranked = [RankedParameter(*rows[k], by_gradient[k], by_relative.get(k)) for k in order]
    return Ranking(learning_rate, ranked, reason)

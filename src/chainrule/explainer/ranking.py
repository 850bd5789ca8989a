"""Which weight matters most this step: the parameters ranked by their gradient and by their step.

Gradient descent moves every parameter by

    Δp = −lr · ∂C/∂p

so the parameter with the largest |∂C/∂p| is the one the cost is most
sensitive to, and takes the largest step. (With one learning rate for all,
ranking by |Δp| is ranking by |∂C/∂p|.) How much that step *changes* the
parameter is another matter: a step of 0.1 is a lot for a weight of 0.01 and
little for a weight of 10, so the parameters are also ranked by the relative
step |Δp| / |p|.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .format import num

__all__ = ["RankedParameter", "Ranking", "rank"]


@dataclass
class RankedParameter:
    name: str
    value: float
    gradient: float
    step: float  # Δp = −lr·∂C/∂p
    relative_step: float | None  # |Δp| / |p|, None for p = 0
    rank_by_gradient: int  # 1 = largest |∂C/∂p|
    rank_by_relative_step: int  # 1 = largest |Δp|/|p| (p = 0 counts as the largest)


@dataclass
class Ranking:
    learning_rate: float
    parameters: list[RankedParameter]  # in order of |gradient|, largest first

    @property
    def most_sensitive(self) -> RankedParameter:
        return self.parameters[0]

    @property
    def largest_relative_step(self) -> RankedParameter:
        return min(self.parameters, key=lambda p: p.rank_by_relative_step)

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
                str(p.rank_by_relative_step),
            ]
            for p in self.parameters
        ]

    def verdict(self) -> str:
        top, rel = self.most_sensitive, self.largest_relative_step
        text = f"The cost is most sensitive to {top.name} (|∂C/∂{top.name}| = {num(abs(top.gradient))}): it takes the largest step, {num(top.step)}"
        if rel is not top:
            text += f"; relative to its size, {rel.name} changes most"
        return text + "."

    def to_json(self) -> dict:
        return {"learning_rate": self.learning_rate, "parameters": [asdict(p) for p in self.parameters]}


def rank(parameters: list[tuple[str, float, float]], learning_rate: float) -> Ranking:
    """Rank ``(name, value, gradient)`` triples for a step of size ``learning_rate``."""
    rows = []
    for name, value, gradient in parameters:
        step = -learning_rate * gradient
        relative = abs(step) / abs(value) if value != 0.0 else None
        rows.append([name, value, gradient, step, relative])
    by_gradient = sorted(range(len(rows)), key=lambda k: -abs(rows[k][2]))
    by_relative = sorted(range(len(rows)), key=lambda k: -(float("inf") if rows[k][4] is None else rows[k][4]))
    grad_rank = {k: r + 1 for r, k in enumerate(by_gradient)}
    rel_rank = {k: r + 1 for r, k in enumerate(by_relative)}
    ranked = [RankedParameter(*rows[k], grad_rank[k], rel_rank[k]) for k in by_gradient]
    return Ranking(learning_rate, ranked)

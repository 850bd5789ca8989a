"""The cost parabola C(w) with each gradient-descent step and its tangent: a figure, and the explorer's chart.

Two renderings of one picture of the simplest lesson's descent: ``plot_descent``
draws it with matplotlib (``chainrule lesson simplest --plot FILE``);
``chart`` computes what the explorer's home page draws with Plotly (the curve
sampled by the engine, the tangent at the current step, the view, the chart in
words). Both read a ``chainrule.lessons.simplest.SimplestResult``: its steps
(the shared descent's ``Step`` records), w*, the cost formula and ``cost_at``.
"""

from __future__ import annotations

import os

from ..errors import InvalidValueError
from ..explainer.format import num, pretty
from ..scalar import Value

# Points of the explorer's parabola: smooth at any zoom the page uses.
PARABOLA_POINTS = 121
# The cost axis turns logarithmic once the cost has grown this many times its start: the point flew off.
LOG_COSTS_FROM = 1e3


def figure_format(path: str) -> str:
    """'png' or 'svg' from the file name; anything else is refused."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in ("png", "svg"):
        raise InvalidValueError(f"cannot draw {path!r}: the file must end in .png or .svg")
    return ext


def plot_descent(result, path: str) -> None:
    """Draw C(w) = (i·w − y)², the steps (w_k, C_k) and the tangent of slope ∂C/∂w at each.

    The curve is evaluated with the same formula the explanation prints
    (the explainer's closed form, with the numbers in).
    """
    fmt = figure_format(path)
    # deferred: matplotlib loads only when a figure is drawn
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cost = result.cost_formula  # a Polynomial: evaluates arrays too
    weights, costs, gradients = result.weights, result.descent.costs, result.gradients
    w_star = result.optimum_weight
    span = max(abs(w - w_star) for w in weights) or 1.0
    low, high = w_star - 1.15 * span, w_star + 1.15 * span
    grid = np.linspace(low, high, 400)

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(grid, cost(grid), color="#444", lw=1.5, label="C(w) = (i·w − y)²")
    shown = list(zip(weights, costs, gradients))[:30]
    half = 0.22 * span
    for w, c, g in shown[:8]:  # later tangents crowd the bottom of the bowl
        tangent = np.array([w - half, w + half])
        ax.plot(tangent, c + g * (tangent - w), color="#d62728", lw=1.2, alpha=0.8, zorder=3)
    ax.plot([w for w, _, _ in shown], [c for _, c, _ in shown], "o-", color="#1f77b4", ms=4, lw=0.8,
            label=f"steps (lr = {result.learning_rate:g})")
    ax.axvline(w_star, color="#2ca02c", ls="--", lw=1, label=f"w* = y/i = {w_star:.4g}")
    ax.set_xlabel("weight w")
    ax.set_ylabel("cost C")
    if result.stopped == "diverged":  # the run stops as soon as divergence is certain: its few steps stay visible
        ax.set_title(f"lr = {result.learning_rate:g} diverges: |w − w*| grows at every step "
                     f"(stopped at step {result.steps[-1].step})")
    else:
        ax.set_title("Gradient descent on the simplest network (red: tangent, slope ∂C/∂w)")
    ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path, format=fmt)
    except OSError as exc:
        raise InvalidValueError(f"cannot write {path!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


# ------------------------------------------------------------ the explorer's chart
def plot_range(result) -> tuple[float, float]:
    """The w-interval to draw: the optimum, the start and every step, so that the current point is always in view.

    A diverging descent is followed wherever it goes (the lesson stops it as soon as divergence is certain, a few
    steps in); the cost axis then turns logarithmic (``cost_axis``) so that the early steps stay apart.
    """
    shown = result.weights + [result.optimum_weight, result.weight]
    low, high = min(shown), max(shown)
    margin = max(0.5, 0.15 * (high - low))
    return low - margin, high + margin


def cost_axis(costs: list[float]) -> str:
    """'log' when the cost grew more than ``LOG_COSTS_FROM`` times its start (a linear axis would flatten the
    first steps onto the floor), else 'linear'."""
    start, top = costs[0], max(costs)
    return "log" if start > 0 and top > LOG_COSTS_FROM * start else "linear"


def samples(low: float, high: float, weights: list[float], w_star: float) -> list[float]:
    """Where the parabola is evaluated: evenly over [low, high], plus the minimum and every step (so the curve
    passes through each drawn point even when the interval is wide)."""
    even = [low + (high - low) * n / (PARABOLA_POINTS - 1) for n in range(PARABOLA_POINTS)]
    return sorted(set(even + [w_star] + weights))


def chart(result) -> dict:
    """What the explorer's parabola shows at the descent's last step: the curve, the tangent, the view, in words.

    The curve is sampled by the engine's forward pass (``result.cost_at``), and
    at each step's weight it is that step's own cost (the same forward pass,
    made by the descent), so it passes through every drawn point exactly; the
    tangent is the line C_k + g_k·(w − w_k), evaluated with the engine's
    ``Value`` arithmetic.
    """
    last = result.steps[-1]
    w, g = result.weights[-1], result.gradients[-1]
    low, high = plot_range(result)
    ws = samples(low, high, result.weights, result.optimum_weight)
    axis = cost_axis(result.descent.costs)
    known = dict(zip(result.weights, result.descent.costs))
    half = (high - low) / 6.0
    tangent_w = [w - half, w + half]
    slope, cost = Value(g), Value(last.cost)
    scale = "a logarithmic" if axis == "log" else "a linear"
    description = (
        f"The cost C(w) = {pretty(result.cost_formula.text())} drawn for w from {num(low)} to {num(high)} on "
        f"{scale} cost axis, with the {len(result.steps)} point{'' if len(result.steps) == 1 else 's'} of the descent "
        "(listed in the step history): "
        f"now at step {last.step}, w = {num(w)}, C = {num(last.cost)}, slope ∂C/∂w = {num(g)}; the minimum is at "
        f"w* = {num(result.optimum_weight)}, where C = 0.")
    return {
        "parabola": {"w": ws, "cost": [known[x] if x in known else result.cost_at(x) for x in ws]},
        "tangent": {"w": tangent_w, "cost": [(cost + slope * (x - w)).data for x in tangent_w]},
        "plot_range": [low, high],
        "cost_axis": axis,
        "plot_description": description,
    }

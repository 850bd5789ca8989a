"""The cost parabola C(w) with each gradient-descent step and its tangent."""

from __future__ import annotations

import os

from ..errors import InvalidValueError


def figure_format(path: str) -> str:
    """'png' or 'svg' from the file name; anything else is refused."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in ("png", "svg"):
        raise InvalidValueError(f"cannot draw {path!r}: the file must end in .png or .svg")
    return ext


def plot_descent(result, path: str) -> None:
    """Draw C(w) = (i·w − y)², the steps (w_k, C_k) and the tangent of slope dC/dw at each.

    ``result`` is a ``chainrule.lessons.simplest.SimplestResult``; the curve
    is evaluated with the same formula the explanation prints (derived by sympy).
    """
    fmt = figure_format(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cost = result.cost_formula  # a Polynomial: evaluates arrays too
    weights = [s.weight for s in result.steps]
    w_star = result.optimum_weight
    span = max(abs(w - w_star) for w in weights) or 1.0
    low, high = w_star - 1.15 * span, w_star + 1.15 * span
    grid = np.linspace(low, high, 400)

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(grid, cost(grid), color="#444", lw=1.5, label="C(w) = (i·w − y)²")
    shown = result.steps[:30]
    half = 0.22 * span
    for s in shown[:8]:  # later tangents crowd the bottom of the bowl
        tangent = np.array([s.weight - half, s.weight + half])
        ax.plot(tangent, s.cost + s.gradient * (tangent - s.weight), color="#d62728", lw=1.2, alpha=0.8, zorder=3)
    ax.plot([s.weight for s in shown], [s.cost for s in shown], "o-", color="#1f77b4", ms=4, lw=0.8,
            label=f"steps (lr = {result.learning_rate:g})")
    ax.axvline(w_star, color="#2ca02c", ls="--", lw=1, label=f"w* = y/i = {w_star:.4g}")
    ax.set_xlabel("weight w")
    ax.set_ylabel("cost C")
    if result.stopped == "diverged":  # the run stops as soon as divergence is certain: its few steps stay visible
        ax.set_title(f"lr = {result.learning_rate:g} diverges: |w − w*| grows at every step "
                     f"(stopped at step {result.steps[-1].step})")
    else:
        ax.set_title("Gradient descent on the simplest network (red: tangent, slope dC/dw)")
    ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path, format=fmt)
    except OSError as exc:
        raise InvalidValueError(f"cannot write {path!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)

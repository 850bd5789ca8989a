"""Convexity, drawn: the parabola's constant curvature, the sigmoid's curvature changing sign, the twins' bump."""

from __future__ import annotations

from .descent import figure_format


def plot_convexity(result, path: str) -> None:
    """Three panels for a ``convexity`` lesson result.

    Left and middle: C(w) and its curvature C″(w) (backprop's gradient
    differentiated, on a second axis), the regions where C″ < 0 shaded.
    Right: the cost along the line through a minimum θ* and its twin θ*′.
    """
    fmt = figure_format(path)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.4), dpi=120, layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, c, title in ((axes[0], result.parabola, "The video's cost: a parabola, C″ = 2i² > 0"),
                         (axes[1], result.sigmoid, "Through a sigmoid: C″ changes sign")):
        ax.plot(c.weights, c.costs, color="#1f77b4", lw=1.8, label="C(w)")
        ax.set(xlabel="weight w", ylabel="cost C", title=title)
        ax.axvline(c.minimum, color="#2ca02c", ls="--", lw=1, label=f"minimum w* = {c.minimum:.3g}")
        twin = ax.twinx()
        twin.plot(c.weights, c.curvatures, color="#d62728", lw=1.2, label="C″(w), from backprop")
        twin.axhline(0, color="#d62728", lw=0.6, ls=":")
        twin.set_ylabel("curvature C″", color="#d62728")
        low, high = min(min(c.curvatures), 0.0), max(max(c.curvatures), 0.0)
        pad = 0.15 * (high - low or 1.0)
        twin.set_ylim(low - pad, high + 3 * pad)  # room above for the legend
        for w, curvature in zip(c.weights, c.curvatures):
            if curvature < 0:
                ax.axvspan(w - 0.05, w + 0.05, color="#d62728", alpha=0.08, lw=0)
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="best")
        ax.grid(True, alpha=0.3)
    t = result.twins
    ax = axes[2]
    ax.plot(t.slice_s, t.slice_costs, color="#444", lw=1.8)
    ax.plot([0, 1], [t.cost, t.twin_cost], "o", color="#2ca02c", ms=7, label="θ* and its twin θ*′ (units swapped)")
    ax.plot([0.5], [t.midpoint_cost], "s", color="#d62728", label=f"halfway: both units equal, C = {t.midpoint_cost:.3g}")
    ax.set(xlabel="s along θ* + s·(θ*′ − θ*)", ylabel="cost C", title="Two units: the bump between twin minima")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower center")
    fig.savefig(path, format=fmt)

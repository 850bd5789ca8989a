"""The learning rate, drawn: the cost at each step per rate (log scale, nothing clipped), and the range test."""

from __future__ import annotations

import math

from .descent import figure_format


def plot_sweep(result, path: str):
    """Three panels for a ``learning-rate`` lesson result: the simplest network, the small MLP, the range test.

    Costs are drawn on a log axis as they are, up to the last finite one: a
    diverging run climbs off the top of the picture rather than being clipped
    to a made-up ceiling.
    """
    fmt = figure_format(path)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.2), dpi=120, layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, sweeps, title in ((axes[0], result.simplest, "simplest network"), (axes[1], result.mlp, "MLP 1 → 4 → 1")):
        for s in sweeps:
            costs = [c for c in s.costs if math.isfinite(c) and c > 0]
            ax.plot(range(len(costs)), costs, "o-", ms=2.5, lw=1.2, label=f"lr = {s.learning_rate:.3g}: {s.behaviour}")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("cost C")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[2]
    shown = [(lr, c) for lr, c in result.range_test if math.isfinite(c) and c > 0]
    ax.plot([lr for lr, _ in shown], [c for _, c in shown], "o-", ms=3, lw=1.2)
    ax.axvline(result.suggested, color="#2ca02c", ls="--", lw=1, label=f"lowest cost: lr = {result.suggested:.3g}")
    if result.blow_up is not None:
        ax.axvline(result.blow_up, color="#d62728", ls=":", lw=1, label=f"too large from lr = {result.blow_up:.3g}")
    ax.set(xscale="log", yscale="log", xlabel="learning rate (geometric sweep)", ylabel="cost after a few steps",
           title="learning-rate range test (MLP)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, format=fmt)
    return fig

"""The cost at each step of descent, one curve per learning rate (log scale)."""

from __future__ import annotations

from .descent import figure_format


def plot_sweep(result, path: str) -> None:
    """Two panels for a ``learning-rate`` lesson result: the simplest network and the small MLP."""
    fmt = figure_format(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=120)
    for ax, sweeps, title in ((axes[0], result.simplest, "simplest network"), (axes[1], result.mlp, "MLP 1 → 4 → 1")):
        for s in sweeps:
            costs = np.clip(np.array(s.costs, dtype=float), 1e-16, 1e8)
            ax.plot(range(len(costs)), costs, "o-", ms=2.5, lw=1.2, label=f"lr = {s.learning_rate:.3g}: {s.behaviour}")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("cost C")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format=fmt)
    plt.close(fig)

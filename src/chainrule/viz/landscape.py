"""The cost over two parameters as a contour map, with the descent drawn on it.

For the simplest network C(w) is a parabola and its contours over two
weights would be ellipses; through an activation they bend into valleys and
plateaus. Every height on the map is a forward pass of the engine.
"""

from __future__ import annotations

from .descent import figure_format

GRID = 80


def plot_landscape(result, path: str) -> None:
    """Contours of C(w, b) for an ``activation`` lesson result, and its descent steps."""
    fmt = figure_format(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ws, bs = result.descent.values("w"), result.descent.values("b")
    cw, cb = float(np.mean(ws)), float(np.mean(bs))
    span = max(3.0, 1.5 * max(np.ptp(ws), np.ptp(bs)))
    W = np.linspace(cw - span, cw + span, GRID)
    B = np.linspace(cb - span, cb + span, GRID)
    Z = np.array([[result.cost_at(w, b) for w in W] for b in B])

    fig, ax = plt.subplots(figsize=(6.5, 5), dpi=120)
    contours = ax.contourf(W, B, Z, levels=30, cmap="viridis")
    ax.contour(W, B, Z, levels=15, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(contours, ax=ax, label="C")
    ax.plot(ws, bs, "o-", color="#e4572e", ms=4, lw=1.2, label="gradient descent")
    ax.set_xlabel("weight w")
    ax.set_ylabel("bias b")
    ax.set_title(f"C(w, b) through {result.activation}: not a parabola")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, format=fmt)
    plt.close(fig)

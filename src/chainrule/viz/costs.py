"""The cost of computing every gradient, by method, as the number of parameters grows (log-log)."""

from __future__ import annotations

from .descent import figure_format


def plot_costs(result, path: str) -> None:
    """Passes and measured seconds against n for a ``why-backprop`` lesson result."""
    fmt = figure_format(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [r.n for r in result.rows]
    methods = list(result.rows[0].passes)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for m in methods:
        left.plot(ns, [r.passes[m] for r in result.rows], "o-", label=m)
        right.plot(ns, [r.seconds[m] for r in result.rows], "o-", label=m)
    for ax, what in ((left, "passes over the graph"), (right, "seconds (this machine)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("number of parameters n")
        ax.set_ylabel(what)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("All n gradients: finite differences 2n, forward mode 1 + n, backprop 2")
    fig.tight_layout()
    fig.savefig(path, format=fmt)
    plt.close(fig)

"""The cost of computing every gradient: by method as the parameters grow, and by depth as the paths multiply.

Top row (log-log): the passes over the graph and the measured seconds of
finite differences (2n), forward mode (1 + n) and backprop (2) for all n
gradients. Bottom row, against depth d (log y, so that a quantity growing
×m per layer is a straight line): the paths from w¹₁₁ to C, counted, beside
the edges backprop multiplies along (a line that bends flat: they grow by a
fixed number per layer); and the measured seconds of backprop's pass beside
those of listing the paths and summing their products.
"""

from __future__ import annotations

from .descent import figure_format


def plot_costs(result, path: str):
    """Draw a ``why-backprop`` lesson result (``WhyBackpropResult``): its methods' costs, then its depth experiment.

    Returns the figure (closed), so that what was drawn can be read back.
    """
    fmt = figure_format(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [r.n for r in result.rows]
    methods = list(result.rows[0].passes)
    fig, ((left, right), (paths, seconds)) = plt.subplots(2, 2, figsize=(10, 8), dpi=120)
    for m in methods:
        left.plot(ns, [r.passes[m] for r in result.rows], "o-", label=m)
        right.plot(ns, [r.seconds[m] for r in result.rows], "o-", label=m)
    for ax, what in ((left, "passes over the graph"), (right, "seconds (this machine)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("number of parameters n")
        ax.set_ylabel(what)
        ax.set_title(f"all n gradients: {what}", fontsize=10)
    for (width, rows), colour in zip(result.by_width().items(), ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")):
        depths = [r.depth for r in rows]
        paths.plot(depths, [r.paths for r in rows], "o-", color=colour, label=f"paths w¹₁₁ → C, width {width}")
        paths.plot(depths, [r.edges for r in rows], "s--", color=colour, label=f"edges backprop visits, width {width}")
        seconds.plot(depths, [r.seconds for r in rows], "s--", color=colour, label=f"backprop's pass, width {width}")
        listed = [r for r in rows if r.listed_seconds is not None]
        seconds.plot([r.depth for r in listed], [r.listed_seconds for r in listed], "o-", color=colour,
                     label=f"the paths listed and summed, width {width}")
    for ax, what in ((paths, "count"), (seconds, "seconds (this machine)")):
        ax.set_yscale("log")
        ax.set_xlabel("depth d (layers)")
        ax.set_ylabel(what)
    paths.set_title("depth: the paths multiply, the edges add", fontsize=10)
    seconds.set_title("depth: listing the paths against backprop's pass", fontsize=10)
    for ax in (left, right, paths, seconds):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("All n gradients: finite differences 2n passes, forward mode 1 + n, backprop 2\n"
                 "With depth: the paths ×m per layer, backprop's work + one layer's edges")
    fig.tight_layout()
    fig.savefig(path, format=fmt)
    plt.close(fig)
    return fig

"""The descent as a chart: the cost at every step of w ← w − lr·∂C/∂w, drawn up to the frame's step.

The whole descent is drawn faintly from the first frame, so the eye sees
where it is going; the steps taken so far are drawn solid, the current one
marked. A cost that spans more than ``LOG_FROM`` times (a descent that
converges fast, or one that diverges) is drawn on a logarithmic axis, where
each factor is the same distance, when every cost is above 0. Tick labels
are written as every number of chainrule is (``explainer.format.num``).

As in ``graph_panel``, the axes hold what never changes (drawn once, kept as
an image by ``picture.Picture``) and the frame's lines are figure-level
artists in the axes' coordinates.
"""

from __future__ import annotations

from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from ...explainer.format import num
from .story import Curve

__all__ = ["DescentPanel"]

COLOURS = ("#2f6fdd", "#e07a1f", "#1d8a4e", "#7a4fd6")  # one per curve: the page's accent first
LOG_FROM = 1e3


class DescentPanel:
    """The curves in the figure's rectangle ``box`` = (left, top, width, height) px, with text of ``font_pt``."""

    def __init__(self, figure, curves: tuple[Curve, ...], cost_name: str, box: tuple[float, float, float, float],
                 font_pt: float):
        self.curves = curves
        left, top, width, height = box
        fw, fh = figure.bbox.width, figure.bbox.height
        # room for the tick labels and the axis names left of and below the chart
        pad_left, pad_bottom = 7 * font_pt, 3.2 * font_pt
        self.axes = figure.add_axes(((left + pad_left) / fw, 1 - (top + height) / fh + pad_bottom / fh,
                                     (width - pad_left) / fw, (height - pad_bottom) / fh))
        costs = [p.cost for c in curves for p in c.points]
        low, high = min(costs), max(costs)
        if low > 0 and high / low > LOG_FROM:
            self.axes.set_yscale("log")
        self.axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: num(y, 3)))
        self.axes.set_xlabel("step", fontsize=font_pt)
        self.axes.set_ylabel(cost_name, fontsize=font_pt)
        self.axes.tick_params(labelsize=0.85 * font_pt)
        self.axes.grid(True, color="#e5e9ef", lw=0.8)
        for side in ("top", "right"):
            self.axes.spines[side].set_visible(False)
        self.dynamic, self.drawn, handles = [], [], []
        for k, c in enumerate(curves):
            colour = COLOURS[k % len(COLOURS)]
            self.axes.plot([p.step for p in c.points], [p.cost for p in c.points], color=colour, lw=1.0, alpha=0.25)
            so_far = Line2D([], [], color=colour, lw=2.2, marker="o", markersize=0.45 * font_pt, zorder=2)
            now = Line2D([], [], color=colour, marker="o", markersize=1.1 * font_pt, ls="none",
                         markeredgecolor="#1f2933", zorder=3)
            for line in (so_far, now):
                line.set_transform(self.axes.transData)
                figure.add_artist(line)
                self.dynamic.append(line)
            self.drawn.append((c, so_far, now))
            handles.append(Line2D([], [], color=colour, lw=2.2, label=c.name))
        if len(curves) > 1:
            self.axes.legend(handles=handles, fontsize=font_pt, frameon=False)

    def show(self, at: int | None) -> None:
        """The descent up to its ``at``-th record (each curve's last, if it stopped sooner); None: hidden."""
        for line in self.dynamic:
            line.set_visible(at is not None)
        if at is None:
            return
        for c, so_far, now in self.drawn:
            k = min(at, len(c.points) - 1)
            taken = c.points[:k + 1]
            so_far.set_data([p.step for p in taken], [p.cost for p in taken])
            now.set_data([c.points[k].step], [c.points[k].cost])

"""Backprop through time, drawn: |∂C/∂hₜ| against t for several w, the product of factors as T grows, clipping."""

from __future__ import annotations

import math

from .descent import figure_format


def plot_recurrent(result, path: str) -> None:
    """Three panels for a ``recurrent`` lesson result (log scales: the growth and decay are geometric).

    Left: |∂C/∂hₜ| for t = 0 … T, one line per recurrent weight w, at the
    lesson's T. Middle: |Π w·tanh′| over the first T steps as T grows (hₜ
    does not depend on the length, so a shorter sequence is a prefix of the
    longest). Right: the cost during descent with and without clipping.
    """
    fmt = figure_format(path)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.4), dpi=120, layout="constrained")
    left, middle, right = fig.subplots(1, 3)
    for s in result.sweeps:
        shown = [(t, g) for t, g in enumerate(s.dC_dh) if g > 0]
        left.plot([t for t, _ in shown], [g for _, g in shown], "o-", ms=2.5, label=f"w = {s.weight:g}")
        running, products = 1.0, []
        for f in s.factors:
            running *= abs(f)
            products.append(running)
        shown = [(T, q) for T, q in enumerate(products, 1) if q > 0 and math.isfinite(q)]
        middle.plot([T for T, _ in shown], [q for _, q in shown], "-", label=f"w = {s.weight:g}")
    left.set(yscale="log", xlabel="time step t", ylabel="|∂C/∂hₜ|",
             title=f"Backprop through time, T = {result.time_steps}")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    middle.axhline(1.0, color="#444", lw=0.8)
    middle.set(yscale="log", xlabel="sequence length T", ylabel="|Π w·tanh′| = |∂h_T/∂h₀|",
               title="As T grows: vanishing (< 1) or exploding (> 1)")
    middle.grid(True, which="both", alpha=0.3)
    middle.legend(fontsize=8)
    for rows, label in ((result.plain, "without clipping"), (result.clipped, f"clipped at ‖g‖ ≤ {result.clip:g}")):
        shown = [(s.step, s.cost) for s in rows.steps if s.cost > 0]
        right.plot([k for k, _ in shown], [c for _, c in shown], "o-", ms=3, label=label)
    right.set(yscale="log", xlabel="descent step", ylabel="cost C",
              title=f"Gradient clipping (lr = {result.learning_rate:g}, w starts at {result.network.w.data:g})")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)
    fig.savefig(path, format=fmt)

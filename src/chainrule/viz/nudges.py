"""What each example wants, drawn: its own cost, its nudge beside the batch's sum and average, step by step."""

from __future__ import annotations

from .descent import figure_format


def plot_nudges(result, path: str) -> None:
    """Three panels for a ``batch`` lesson result.

    Left: each example's own cost Cₖ(w) = (iₖ·w − y)² and their mean (every
    height a forward pass of the engine), at the starting w. Middle: each
    example's nudge −lr·∂Cₖ/∂w as an arrow, then their sum and their
    average: the steps of the summed and the mean cost. Right: each
    example's gradient at every step of the mean's descent, and their average.
    """
    fmt = figure_format(path)
    from matplotlib.figure import Figure

    from ..scalar import Value

    fig = Figure(figsize=(16, 4.4), dpi=120, layout="constrained")
    left, middle, right = fig.subplots(1, 3)
    w0, y = result.weight, result.target
    examples = result.examples()

    def cost(i: float, w: float) -> float:
        return ((Value(i) * Value(w) - y) ** 2).data

    span = 1.0
    grid = [w0 - span + 2 * span * k / 200 for k in range(201)]
    for e in examples:
        left.plot(grid, [cost(e["input"], w) for w in grid], lw=1.4,
                  label=f"example {e['example']}: C{e['example']}(w), i = {e['input']:g}")
    left.plot(grid, [sum(cost(e["input"], w) for e in examples) / len(examples) for w in grid], color="#444", lw=2,
              label="their mean C(w)")
    left.axvline(w0, color="#999", ls=":", lw=1, label=f"w = {w0:g}")
    left.set(xlabel="weight w", ylabel="cost", title="Each example's own cost")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8)

    nudges = [e["nudge"] for e in examples]
    rows = [(f"example {e['example']} wants {e['wants']}", e["nudge"], None) for e in examples]
    rows += [("their sum (the summed cost's step)", sum(nudges), "#444"),
             ("their average (the mean cost's step)", sum(nudges) / len(nudges), "#000")]
    colours = [line.get_color() for line in left.get_lines()[:len(examples)]]
    for k, (label, value, colour) in enumerate(rows):
        at = len(rows) - 1 - k
        middle.annotate("", xy=(value, at), xytext=(0.0, at),
                        arrowprops={"arrowstyle": "-|>", "lw": 2.2, "color": colour or colours[k]})
        middle.text(value, at + 0.18, f"{value:+.3g}", ha="center", fontsize=8)
    middle.set_yticks(range(len(rows)), [label for label, _, _ in reversed(rows)], fontsize=8)
    reach = max(abs(v) for _, v, _ in rows) or 1.0
    middle.set_xlim(-1.3 * reach, 1.3 * reach)
    middle.set_ylim(-0.6, len(rows) - 0.4)
    middle.axvline(0, color="#999", lw=0.8)
    middle.set(xlabel="nudge to w: −lr·∂C/∂w", title=f"What each example wants (lr = {result.learning_rate:g})")
    middle.grid(True, axis="x", alpha=0.3)

    mean_steps, alone = result.descents["mean"].steps, result.example_gradients["mean"]
    steps = [s.step for s in mean_steps]
    for k in range(len(result.inputs)):
        right.plot(steps, [g[k] for g in alone], "o-", ms=3, color=colours[k],
                   label=f"dC{k + 1}/dw (example {k + 1} alone)")
    right.plot(steps, [s.gradients["w"] for s in mean_steps], "s-", color="#444", lw=2,
               label="∂C/∂w of the mean = their average")
    right.axhline(0, color="#999", lw=0.8)
    right.set(xlabel="step", ylabel="gradient", title="At every step of the mean's descent")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.savefig(path, format=fmt)

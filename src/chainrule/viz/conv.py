"""A convolution's gradients, drawn: which position gave how much to each kernel weight, and the input's gradient."""

from __future__ import annotations

from .descent import figure_format


def plot_conv(result, path: str) -> None:
    """Three panels for a ``conv`` lesson result.

    Left: the signal, the outputs and the targets. Middle: δₜ·(input under
    wₖ) for every position t and kernel weight k, the terms that add up to
    ∂C/∂wₖ (each row's sum is written at its end). Right: ∂C/∂xⱼ by the
    engine beside the flipped-kernel convolution.
    """
    fmt = figure_format(path)
    from matplotlib.figure import Figure

    n = result.network
    K, T = len(n.kernel), len(n.outputs)
    fig = Figure(figsize=(15, 4.4), dpi=120, layout="constrained")
    left, middle, right = fig.subplots(1, 3)

    left.plot(range(1, len(result.signal) + 1), result.signal, "o-", color="#444", label="signal x")
    # each output drawn at the middle of the window it reads
    centres = [result.stride * t + (K + 1) / 2 - result.padding for t in range(T)]
    left.plot(centres, [o.data for o in n.outputs], "s-", label="outputs o (this kernel)")
    left.plot(centres, n.targets, "^--", label="targets y (target kernel)")
    left.set(xlabel="position in the signal (an output at the middle of its window)",
             title=f"stride {result.stride}, padding {result.padding}")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8)

    terms = result.terms
    limit = max((abs(v) for row in terms for v in row), default=0.0) or 1.0
    image = middle.imshow(terms, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for k in range(K):
        for t in range(T):
            middle.text(t, k, f"{terms[k][t]:.2f}", ha="center", va="center", fontsize=8)
    middle.set_xticks(range(T), [f"o{t}" for t in range(1, T + 1)])
    middle.set_yticks(range(K), [f"w{k}: Σ = {n.kernel[k - 1].grad:.3g}" for k in range(1, K + 1)])
    middle.set_title("δₜ · input: each position's share of ∂C/∂wₖ")
    fig.colorbar(image, ax=middle, shrink=0.8)

    positions = list(range(1, len(result.signal) + 1))
    width = 0.38
    right.bar([j - width / 2 for j in positions], result.input_gradients, width, label="∂C/∂x (backprop)")
    right.bar([j + width / 2 for j in positions], result.input_by_formula, width, label="δ under the flipped kernel")
    right.axhline(0, color="#444", lw=0.8)
    right.set_xticks(positions, [f"x{j}" for j in positions])
    right.set_title("∂C/∂x: δ under the flipped kernel")
    right.legend(fontsize=8)
    fig.savefig(path, format=fmt)

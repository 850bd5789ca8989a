"""Softmax and cross-entropy, drawn: the Jacobian, p beside onehot(y) and their difference, the descent."""

from __future__ import annotations

from .descent import figure_format


def plot_softmax(result, path: str) -> None:
    """Three panels for a ``softmax`` lesson result: J = ∂p/∂z, the gradient p − onehot(y), p over the steps."""
    fmt = figure_format(path)
    from matplotlib.figure import Figure

    n = len(result.probabilities)
    classes = list(range(1, n + 1))
    fig = Figure(figsize=(14, 4.2), dpi=120, layout="constrained")
    left, middle, right = fig.subplots(1, 3)

    J = result.jacobian
    limit = max(abs(v) for row in J for v in row) or 1.0
    image = left.imshow(J, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for k in range(n):
        for j in range(n):
            left.text(j, k, f"{J[k][j]:.3f}", ha="center", va="center", fontsize=9)
    left.set_xticks(range(n), [f"z{j}" for j in classes])
    left.set_yticks(range(n), [f"p{k}" for k in classes])
    left.set_title("Jacobian ∂pₖ/∂zⱼ = pₖ([k = j] − pⱼ)")
    fig.colorbar(image, ax=left, shrink=0.8)

    width = 0.27
    middle.bar([c - width for c in classes], result.probabilities, width, label="p = softmax(z)")
    middle.bar(classes, result.onehot, width, label=f"onehot(y), y = {result.target}")
    middle.bar([c + width for c in classes], result.logit_gradients, width, label="∂C/∂z (backprop) = p − onehot(y)")
    middle.axhline(0, color="#444", lw=0.8)
    middle.set_xticks(classes, [f"class {c}" for c in classes])
    middle.set_title("The gradient on the logits is p − onehot(y)")
    middle.legend(fontsize=8)

    steps = [s.step for s in result.descent.steps]
    for k in classes:
        right.plot(steps, [p[k - 1] for p in result.step_probabilities], "o-", ms=3,
                   lw=2.2 if k == result.target else 1.0, label=f"p{k}" + (" (true class)" if k == result.target else ""))
    right.set(xlabel="step", ylabel="probability", ylim=(0, 1), title=f"Gradient descent, lr = {result.learning_rate:g}")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.savefig(path, format=fmt)

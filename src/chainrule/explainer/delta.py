"""The delta shorthand: backprop for layered networks, one number (or vector) per layer.

For a chain of single neurons, zₖ = wₖ·aₖ₋₁ (+ bₖ), aₖ = f(zₖ), the chain rule
for ∂C/∂wₖ has a long tail that every earlier weight shares. Call that tail
δₖ = ∂C/∂zₖ, the error of neuron k. Then

    δ_L = ∂C/∂a_L · f′(z_L)                 (the last neuron)
    δₖ  = δₖ₊₁ · wₖ₊₁ · f′(zₖ)               (one step back)
    ∂C/∂wₖ = aₖ₋₁ · δₖ        ∂C/∂bₖ = δₖ

(the video near 8:06). With several neurons per layer, zˡ = Wˡ aˡ⁻¹ + bˡ,
and each δ gathers the errors of every neuron it feeds, weighted:

    δᴸ = ∇ₐC ⊙ f′(zᴸ)
    δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ)
    ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ       ∂C/∂bˡ = δˡ

Every number is read from the engine's graph: the weights and activations
are the nodes' data, f′(z) is the local derivative stored on the edge z → a,
and ∇ₐC is the gradient backprop accumulated at the last activations. The
result is checked against the gradients backprop accumulated at the weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import InvalidValueError
from ..scalar import Value
from .format import factor, num, subscript, superscript
from .trace import final_gradients

if TYPE_CHECKING:  # numpy loads with the matrix form only (static_explorer/answers.py)
    import numpy as np

__all__ = ["LayerNodes", "DeltaForm", "delta_form", "matrix_text"]


@dataclass
class LayerNodes:
    """The nodes of one layer: ``weights[j][k]`` joins input k to neuron j; z and a per neuron.

    ``a[j] is z[j]`` for a linear neuron. ``biases`` may be empty (no bias).
    """

    weights: list[list[Value]]
    z: list[Value]
    a: list[Value]
    biases: list[Value] = field(default_factory=list)


def _slope(a: Value, z: Value) -> float:
    """f′(z): the local derivative on the edge z → a (1 for a linear neuron, a = z)."""
    if a is z:
        return 1.0
    for child, local in zip(a.inputs, a.local):
        if child is z:
            return local
    raise InvalidValueError("delta form: an activation node does not read its weighted input z")


@dataclass
class DeltaForm:
    inputs: np.ndarray  # a⁰
    W: list[np.ndarray]
    a: list[np.ndarray]  # a¹ … aᴸ
    slopes: list[np.ndarray]  # f′(zˡ)
    grad_a_last: np.ndarray  # ∇ₐC
    deltas: list[np.ndarray]  # δ¹ … δᴸ
    grad_W: list[np.ndarray]  # δˡ (aˡ⁻¹)ᵀ
    engine_grad_W: list[np.ndarray]  # what backprop accumulated on the weight nodes
    weight_names: list[list[list[str]]]
    names_a: list[list[str]]
    linear: list[bool] = field(default_factory=list)  # per layer: a = z (no activation, so no f′ to write)

    @property
    def max_difference(self) -> float:
        """Largest |delta-form gradient − backprop gradient| over every weight."""
        import numpy as np  # numpy loads for the matrix form only (static_explorer/answers.py)

        return max(float(np.max(np.abs(g - e))) for g, e in zip(self.grad_W, self.engine_grad_W))

    @property
    def scalar(self) -> bool:
        return all(w.shape == (1, 1) for w in self.W)

    def scalar_lines(self) -> list[str]:
        """δₖ = δₖ₊₁ · wₖ₊₁ · f′(zₖ) and ∂C/∂wₖ = aₖ₋₁ · δₖ, with numbers, from the last layer back."""
        L = len(self.W)
        lines = []
        for k in range(L - 1, -1, -1):
            d, s = self.deltas[k][0], self.slopes[k][0]
            # a linear link (a = z) has no activation: no f′ is written, rather than f′ = 1 in a chain without one
            slope = "" if self.linear and self.linear[k] else f" · f′(z{subscript(k + 1)})"
            slope_value = "" if slope == "" else f" · {factor(s)}"
            if k == L - 1:
                head = f"δ{subscript(k + 1)} = ∂C/∂{self.names_a[k][0]}{slope}"
                lines.append(f"{head} = {factor(self.grad_a_last[0])}{slope_value} = {num(d)}" if slope else f"{head} = {num(d)}")
            else:
                w_next = self.weight_names[k + 1][0][0]
                lines.append(
                    f"δ{subscript(k + 1)} = δ{subscript(k + 2)} · {w_next}{slope} = "
                    f"{factor(self.deltas[k + 1][0])} · {factor(self.W[k + 1][0, 0])}{slope_value} = {num(d)}"
                )
            prev = "i" if k == 0 else self.names_a[k - 1][0]
            prev_value = self.inputs[0] if k == 0 else self.a[k - 1][0]
            lines.append(
                f"∂C/∂{self.weight_names[k][0][0]} = {prev} · δ{subscript(k + 1)} = {factor(prev_value)} · {factor(d)} = {num(self.grad_W[k][0, 0])}"
            )
        return lines

    def matrix_lines(self) -> list[str]:
        """δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ), ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ, with the example's numbers."""
        L = len(self.W)
        lines = []
        for k in range(L - 1, -1, -1):
            l = superscript(k + 1)
            if k == L - 1:
                lines.append(
                    f"δ{l} = ∇ₐC ⊙ f′(z{l}) = {matrix_text(self.grad_a_last)} ⊙ {matrix_text(self.slopes[k])} = {matrix_text(self.deltas[k])}"
                )
            else:
                n = superscript(k + 2)
                lines.append(
                    f"δ{l} = (W{n})ᵀ δ{n} ⊙ f′(z{l}) = {matrix_text(self.W[k + 1].T)} {matrix_text(self.deltas[k + 1])} ⊙ "
                    f"{matrix_text(self.slopes[k])} = {matrix_text(self.deltas[k])}"
                )
            prev = self.inputs if k == 0 else self.a[k - 1]
            lines.append(
                f"∂C/∂W{l} = δ{l} (a{superscript(k)})ᵀ = {matrix_text(self.deltas[k])} {matrix_text(prev[None, :])} = {matrix_text(self.grad_W[k])}"
            )
        return lines

    def to_json(self) -> dict:
        return {
            "deltas": [d.tolist() for d in self.deltas],
            "slopes": [s.tolist() for s in self.slopes],
            "grad_W": [g.tolist() for g in self.grad_W],
            "engine_grad_W": [g.tolist() for g in self.engine_grad_W],
            "max_difference": self.max_difference,
            "lines": self.scalar_lines() if self.scalar else self.matrix_lines(),
        }




def matrix_text(m: np.ndarray) -> str:
    """A vector or matrix on one line: a column vector [0.1; 0.2], a matrix [0.1 0.2; 0.3 0.4]."""
    import numpy as np  # numpy loads for the matrix form only (static_explorer/answers.py)

    m = np.asarray(m, dtype=float)
    if m.ndim == 1:
        return "[" + "; ".join(num(x, 4) for x in m) + "]"
    return "[" + "; ".join(" ".join(num(x, 4) for x in row) for row in m) + "]"


def delta_form(inputs: list, layers: list[LayerNodes], cost: Value) -> DeltaForm:
    """Backprop by the delta rule over ``layers``, from the numbers in the graph ending at ``cost``."""
    import numpy as np  # numpy loads for the matrix form only (static_explorer/answers.py)

    if not layers:
        raise InvalidValueError("delta form: give at least one layer")
    grads = final_gradients(cost)
    a0 = np.array([x.data if isinstance(x, Value) else float(x) for x in inputs])
    W = [np.array([[w.data for w in row] for row in layer.weights]) for layer in layers]
    a = [np.array([v.data for v in layer.a]) for layer in layers]
    slopes = [np.array([_slope(av, zv) for av, zv in zip(layer.a, layer.z)]) for layer in layers]
    grad_a_last = np.array([grads.get(v, 0.0) for v in layers[-1].a])
    deltas: list[np.ndarray] = [np.zeros(0)] * len(layers)
    deltas[-1] = grad_a_last * slopes[-1]
    for k in range(len(layers) - 2, -1, -1):
        deltas[k] = (W[k + 1].T @ deltas[k + 1]) * slopes[k]
    grad_W = [np.outer(deltas[k], a0 if k == 0 else a[k - 1]) for k in range(len(layers))]
    engine = [np.array([[grads.get(w, 0.0) for w in row] for row in layer.weights]) for layer in layers]
    names = [[[w.label for w in row] for row in layer.weights] for layer in layers]
    names_a = [[v.label or "a" for v in layer.a] for layer in layers]
    linear = [all(av is zv for av, zv in zip(layer.a, layer.z)) for layer in layers]
    return DeltaForm(a0, W, a, slopes, grad_a_last, deltas, grad_W, engine, names, names_a, linear)

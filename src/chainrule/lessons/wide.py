"""Rung 4, several neurons per layer: x → 2 (or 3) neurons → 2 (or 3) neurons → a, C = (a − y)².

Neuron j of layer l computes zˡⱼ = Σₖ wˡⱼₖ·aˡ⁻¹ₖ + bˡⱼ and aˡⱼ = f(zˡⱼ).
A first-layer weight now reaches the cost along several paths, one through
each neuron of the next layer, and the chain rule *adds* them:

    ∂C/∂w¹₁₁ = Σⱼ ∂C/∂a²ⱼ · ∂a²ⱼ/∂a¹₁ · ∂a¹₁/∂w¹₁₁      (one term per path)

Written for all weights at once, the sums become matrix products, the
matrix form of backprop:

    δᴸ = ∇ₐC ⊙ f′(zᴸ),    δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ),    ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ

The lesson lists the paths of one weight, then computes every gradient by
the matrix form, with the example's numbers, and checks them against the
engine's.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field

from ..commands.options import float_in_range, int_in_range
from ..errors import InvalidValueError
from ..explainer import Derivation, explain
from ..explainer.delta import DeltaForm, LayerNodes, delta_form
from ..explainer.format import num
from ..explainer.forward import forward_lines
from ..explainer.format import subscript, superscript
from ..explainer.paths import count_paths
from ..explainer.ranking import Ranking, rank
from ..scalar import Value
from .report import Report, Section, Table

SUMMARY = "Two or three neurons per layer (--width): a weight reaches the cost by several paths that add, then the matrix form δˡ = (Wˡ⁺¹)ᵀδˡ⁺¹ ⊙ f′(zˡ)."

ACTIVATIONS = ("sigmoid", "tanh", "relu")
DEFAULTS = dict(width=2, inputs=(1.5, 0.5), target=0.8, activation="sigmoid", seed=1, learning_rate=0.5, steps=5)
@dataclass
class Network:
    x: list[Value]
    layers: list[LayerNodes]
    y: Value
    C: Value

    @property
    def output(self) -> Value:
        return self.layers[-1].a[0]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in [w for row in layer.weights for w in row] + layer.biases]


def initial_parameters(width: int, n_inputs: int, seed: int) -> list[tuple[list[list[float]], list[float]]]:
    """Weights drawn uniformly from [−1, 1] (seeded), biases 0: sizes n_inputs → width → width → 1."""
    rng = random.Random(seed)
    sizes = [n_inputs, width, width, 1]
    return [
        ([[round(rng.uniform(-1, 1), 2) for _ in range(sizes[l])] for _ in range(sizes[l + 1])], [0.0] * sizes[l + 1])
        for l in range(3)
    ]


def forward(x: list[Value], params, y: Value, activation: str) -> Network:
    """zˡⱼ = Σₖ wˡⱼₖ aˡ⁻¹ₖ + bˡⱼ, aˡⱼ = f(zˡⱼ) (the last layer linear), C = (a − y)²."""
    a_prev: list = x
    layers = []
    last = len(params)
    for l, (W, b) in enumerate(params, 1):
        Ws = [[w if isinstance(w, Value) else Value(w, label=f"w{superscript(l)}{subscript(j)}{subscript(k)}")
               for k, w in enumerate(row, 1)] for j, row in enumerate(W, 1)]
        bs = [v if isinstance(v, Value) else Value(v, label=f"b{superscript(l)}{subscript(j)}") for j, v in enumerate(b, 1)]
        zs, acts = [], []
        for j, (row, bias) in enumerate(zip(Ws, bs), 1):
            z = Value.dot(row, a_prev, bias)
            if l == last:
                a = z.named("a")
            else:
                z.named(f"z{superscript(l)}{subscript(j)}")
                a = getattr(z, activation)().named(f"a{superscript(l)}{subscript(j)}")
            zs.append(z)
            acts.append(a)
        layers.append(LayerNodes(Ws, zs, acts, bs))
        a_prev = acts
    C = ((a_prev[0] - y) ** 2).named("C")
    return Network(x, layers, y, C)


@dataclass
class WideResult(Report):
    width: int
    activation: str
    inputs: list[float]
    target: float
    learning_rate: float
    network: Network
    derivation: Derivation  # of the first weight: its paths
    delta: DeltaForm
    ranking: Ranking
    path_counts: list[tuple[str, int]]
    history: list[dict] = field(default_factory=list)

    lesson = "wide"

    @property
    def title(self) -> str:
        return (f"{self.width} neurons per layer: x({len(self.inputs)}) → {self.width} {self.activation} → "
                f"{self.width} {self.activation} → a (linear),  C = (a − y)²")

    def graph(self) -> Value:
        return self.network.C

    def sections(self) -> list[Section]:
        first = self.derivation.parameters[0]
        n_paths = ", ".join(f"{name}: {n}" for name, n in self.path_counts)
        return [
            Section("Forward pass", forward_lines(self.network.C), math=True),
            Section(f"Sum over paths: {first.name} reaches C along {first.n_paths} paths, and they add", derivation=self.derivation),
            Section("Paths from each parameter to the cost", [n_paths]),
            Section("Matrix form: δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ), ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ", self.delta.matrix_lines()
                    + [f"largest difference from the engine's gradients: {num(self.delta.max_difference)}"], math=True),
            Section("Which weight matters most this step", [self.ranking.verdict()],
                    table=Table(self.ranking.columns(), self.ranking.rows()[:8], title="the 8 largest gradients")),
            Section(f"Gradient descent (lr = {num(self.learning_rate)})",
                    table=Table(["step", "a", "C"], [[str(h["step"]), num(h["output"]), num(h["cost"])] for h in self.history])),
        ]

    def data(self) -> dict:
        return {
            "width": self.width,
            "activation": self.activation,
            "inputs": self.inputs,
            "target": self.target,
            "learning_rate": self.learning_rate,
            "derivation": self.derivation.to_json(),
            "path_counts": dict(self.path_counts),
            "delta": self.delta.to_json(),
            "ranking": self.ranking.to_json(),
            "steps": self.history,
        }


def train(width=DEFAULTS["width"], inputs=DEFAULTS["inputs"], target=DEFAULTS["target"], activation=DEFAULTS["activation"],
          seed=DEFAULTS["seed"], learning_rate=DEFAULTS["learning_rate"], steps=DEFAULTS["steps"]) -> WideResult:
    if width not in (2, 3):
        raise InvalidValueError(f"width = {width!r}: allowed 2 or 3 (more makes the paths unreadable)")
    if activation not in ACTIVATIONS:
        raise InvalidValueError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")
    inputs = [float(v) for v in inputs]
    x = [Value(v, label=f"x{subscript(k)}") for k, v in enumerate(inputs, 1)]
    y = Value(target, label="y")
    params = initial_parameters(width, len(x), seed)
    first = forward(x, params, y, activation)
    first.C.backward()
    w11 = first.layers[0].weights[0][0]
    derivation = explain(first.C, wrt=[w11])
    counts = [(p.label, count_paths(first.C, p)) for p in first.parameters()]
    ranking = rank([(p.label, p.data, p.grad) for p in first.parameters()], learning_rate)
    result = WideResult(width, activation, inputs, target, learning_rate, first, derivation,
                        delta_form(x, first.layers, first.C), ranking, counts)
    for k in range(steps + 1):
        net = forward([_fresh(v) for v in x], params, _fresh(y), activation)  # fresh leaves: the explained graph keeps one pass
        net.C.backward()
        result.history.append({"step": k, "output": net.output.data, "cost": net.C.data})
        params = [
            ([[w.data - learning_rate * w.grad for w in row] for row in layer.weights],
             [b.data - learning_rate * b.grad for b in layer.biases])
            for layer in net.layers
        ]
    return result


def _fresh(v: Value) -> Value:
    return Value(v.data, label=v.label)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=int_in_range(2, 3), default=DEFAULTS["width"], help="neurons per hidden layer: 2 or 3 (default 2)")
    parser.add_argument("--inputs", type=float_in_range(-1e3, 1e3), nargs="+", default=list(DEFAULTS["inputs"]),
                        help="the inputs x₁ x₂ … (default 1.5 0.5)")
    parser.add_argument("--target", type=float_in_range(-1e3, 1e3), default=DEFAULTS["target"], help="the target y (default 0.8)")
    parser.add_argument("--activation", choices=ACTIVATIONS, default=DEFAULTS["activation"], help="f of the hidden layers (default sigmoid)")
    parser.add_argument("--seed", type=int_in_range(0, 2**31 - 1), default=DEFAULTS["seed"], help="seed of the initial weights (default 1)")
    parser.add_argument("--learning-rate", "--lr", dest="learning_rate", type=float_in_range(0, 100, exclude_low=True),
                        default=DEFAULTS["learning_rate"], help="the learning rate (default 0.5)")
    parser.add_argument("--steps", type=int_in_range(0, 1000), default=DEFAULTS["steps"], help="descent steps (default 5)")


def run(args: argparse.Namespace) -> WideResult:
    if len(args.inputs) > 4:
        raise InvalidValueError(f"--inputs: got {len(args.inputs)} inputs; allowed: 1 to 4")
    return train(args.width, args.inputs, args.target, args.activation, args.seed, args.learning_rate, args.steps)

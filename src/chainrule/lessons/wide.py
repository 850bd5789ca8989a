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
engine's. Its tensor form (``tensors``) is that matrix form as a network of
``chainrule.Tensor``\\ s, z = a·W + b a layer at a time, from which ``chainrule
code wide --lang numpy|torch`` is written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..explainer import Derivation, explain as derive
from ..explainer.delta import DeltaForm, LayerNodes, delta_form
from ..explainer.format import num, subscript, superscript
from ..explainer.forward import forward_lines
from ..explainer.paths import count_paths
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson, LessonTensors
from .descent import Descent, descend, ranking_section, stop_section

NAME = "wide"
SUMMARY = ("Two or three neurons per layer (--width): a weight reaches the cost by several paths that add, then the "
           "matrix form δˡ = (Wˡ⁺¹)ᵀδˡ⁺¹ ⊙ f′(zˡ).")
ACTIVATIONS = ("sigmoid", "tanh", "relu")

PARAMS = Params(
    Param("width", 2, "neurons per hidden layer", kind="int", low=2, high=3),
    Param("inputs", (1.5, 0.5), "the inputs x₁ x₂ …", kind="floats", low=-1e3, high=1e3, length=(1, 4)),
    Param("target", 0.8, "the target y", low=-1e3, high=1e3, symbol="y"),
    Param("activation", "sigmoid", "f of the hidden layers", kind="choice", choices=ACTIVATIONS),
    Param("seed", 1, "seed of the initial weights", kind="int", low=0, high=2**31 - 1),
    Param("learning_rate", 0.5, "the learning rate", low=0, low_open=True, high=100, flags=("--lr",), symbol="lr"),
    Param("steps", 5, "descent steps", kind="int", low=0, high=1000),
)


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

    def numbers(self, values: dict[str, float]) -> list[tuple[list[list[float]], list[float]]]:
        """``values`` (parameter label → number) laid out as this network's layers, for ``forward``."""
        return [([[values[w.label] for w in row] for row in layer.weights], [values[b.label] for b in layer.biases])
                for layer in self.layers]


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
        Ws = [[w if isinstance(w, Value) else Parameter(w, label=f"w{superscript(l)}{subscript(j)}{subscript(k)}")
               for k, w in enumerate(row, 1)] for j, row in enumerate(W, 1)]
        bs = [v if isinstance(v, Value) else Parameter(v, label=f"b{superscript(l)}{subscript(j)}") for j, v in enumerate(b, 1)]
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
class WideResult:
    width: int
    activation: str
    inputs: list[float]
    target: float
    learning_rate: float
    network: Network
    derivation: Derivation  # of the first weight: its paths
    delta: DeltaForm
    path_counts: list[tuple[str, int]]
    descent: Descent  # one Step per step: the cost, every weight and bias and its gradient, the ranking

    @property
    def stopped(self) -> str:
        """Why the descent stopped early (it diverged), if it did."""
        return self.descent.stopped

    def graph(self) -> Value:
        return self.network.C

    def outputs(self) -> list[float]:
        """The network's output a at every step of the descent, by the engine's forward pass."""
        n = self.network
        return [forward(n.x, n.numbers(s.parameters), n.y, self.activation).output.data for s in self.descent.steps]


def explain(result: WideResult) -> Report:
    first = result.derivation.parameters[0]
    n_paths = ", ".join(f"{name}: {n}" for name, n in result.path_counts)
    steps = result.descent.steps
    ranking = steps[0].ranking
    title = (f"{result.width} neurons per layer: x({len(result.inputs)}) → {result.width} {result.activation} → "
             f"{result.width} {result.activation} → a (linear),  C = (a − y)²")
    sections = [
        Section("Forward pass", forward_lines(result.network.C), math=True),
        Section(f"Sum over paths: {first.name} reaches C along {first.n_paths} paths, and they add",
                derivation=result.derivation),
        Section("Paths from each parameter to the cost", [n_paths]),
        Section("Matrix form: δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ), ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ",
                [Math(line) for line in result.delta.matrix_lines()]
                + [f"largest difference from the engine's gradients: {num(result.delta.max_difference)}",
                   "Here a column vector is one example and Wˡ has a row per neuron (zˡ = Wˡaˡ⁻¹ + bˡ), as "
                   "textbooks write it; chainrule code wide --lang numpy keeps examples in rows, as numpy and "
                   "PyTorch do, so it writes z1 = x @ W1 + b1 with W1 = (W¹)ᵀ: the same numbers, transposed."]),
        Section("Which weight matters most, at the first step", [ranking.verdict()],
                table=Table(ranking.columns(), ranking.rows()[:8],
                            title="the 8 whose step, taken alone, lowers C most")),
        ranking_section(steps),
        Section(f"Gradient descent (lr = {num(result.learning_rate)})",
                table=Table(["step", "a", "C"], [[str(s.step), num(a), num(s.cost)]
                                                 for s, a in zip(steps, result.outputs())])),
        *stop_section(result.stopped),
    ]
    data = {
        "width": result.width,
        "activation": result.activation,
        "inputs": result.inputs,
        "target": result.target,
        "learning_rate": result.learning_rate,
        "derivation": result.derivation.to_json(),
        "path_counts": dict(result.path_counts),
        "delta": result.delta.to_json(),
        "ranking": ranking.to_json(),
        "steps": [s.to_json() for s in steps],
        "outputs": result.outputs(),
        "stopped": result.stopped,
    }
    return Report(NAME, title, sections, data)


def _dead_reason(net: Network) -> str:
    """Why no gradient flows, when every hidden relu of a layer is off."""
    for l, layer in enumerate(net.layers[:-1], 1):
        if all(z.data <= 0.0 for z in layer.z) and all(a.op == "relu" for a in layer.a):
            return f"every ReLU of layer {l} is off (all its z ≤ 0), so no gradient flows back through it: dead units"
    return ""


def _first(p: dict) -> Network:
    """The network at its seeded weights, after one backward pass: the graph the lesson explains."""
    x = [Value(float(v), label=f"x{subscript(k)}") for k, v in enumerate(p["inputs"], 1)]
    net = forward(x, initial_parameters(p["width"], len(x), p["seed"]), Value(p["target"], label="y"),
                  p["activation"])
    net.C.backward()
    return net


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains, without its paths and its descent."""
    return _first(PARAMS.resolve(params)).C


def train(**params) -> WideResult:
    p = PARAMS.resolve(params)
    width, activation, lr = p["width"], p["activation"], p["learning_rate"]
    first = _first(p)
    x, y = first.x, first.y
    w11 = first.layers[0].weights[0][0]
    derivation = derive(first.C, wrt=[w11])
    counts = [(q.label, count_paths(first.C, q)) for q in first.parameters()]
    built: list[Network] = []  # the network of the step being taken: its ReLUs say why no gradient flows

    def cost(values: dict[str, float]) -> Value:
        """C at the parameters ``values``, on fresh leaves: the explained graph keeps its one pass."""
        built[:] = [forward([Value(v.data, label=v.label) for v in x], first.numbers(values),
                            Value(y.data, label="y"), activation)]
        return built[0].C

    descent = descend(cost, {q.label: q.data for q in first.parameters()}, lr, p["steps"],
                      reason=lambda _: _dead_reason(built[0]))
    return WideResult(width, activation, [v.data for v in x], p["target"], lr, first, derivation,
                      delta_form(x, first.layers, first.C), counts, descent)


def tensors(**params) -> LessonTensors:
    """The network as tensors, the matrix form: z = a·W + b a layer at a time, the example a row (``dense``).

    ``forward`` computes neuron j's zˡⱼ = Σₖ wˡⱼₖ aˡ⁻¹ₖ + bˡⱼ one number at a
    time; here layer l is one product: the row aˡ⁻¹ (1 × inputs) times the
    matrix Wˡ (inputs × neurons) whose column j holds neuron j's weights, so
    wˡⱼₖ is ``W{l}[k-1, j-1]``, and bˡⱼ is ``b{l}[j-1]``. Rows being examples,
    the backward pass reads δˡ = (δˡ⁺¹ Wˡ⁺¹ᵀ) ⊙ f′(zˡ) and ∂C/∂Wˡ = aˡ⁻¹ᵀ δˡ:
    the module docstring's column form, transposed. Every number is read from
    the scalar network, and ``pairs`` holds each scalar parameter beside its
    matrix entry.
    """
    from .tensor_form import dense  # numpy loads with the tensor form only (static_explorer/answers.py)
    p = PARAMS.resolve(params)
    scalar = _first(p)
    layers = [(layer.weights, layer.biases, p["activation"]) for layer in scalar.layers]
    loss, pairs = dense([[v.data for v in scalar.x]], layers, [[scalar.y.data]])
    return LessonTensors(loss, scalar.C, pairs)


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain,
                tensors=tensors)

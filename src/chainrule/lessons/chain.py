"""Rung 2, a chain of weights: i —w₁→ a₁ —w₂→ a₂ —…—wₙ→ aₙ, C = (aₙ − y)².

Each link multiplies: aₖ = wₖ·aₖ₋₁ (a₀ = i). There is one path from each
weight to the cost, so the chain rule is one long product:

    ∂C/∂wₖ = ∂C/∂aₙ · ∂aₙ/∂aₙ₋₁ ⋯ ∂aₖ₊₁/∂aₖ · ∂aₖ/∂wₖ
           = 2(aₙ − y) · wₙ ⋯ wₖ₊₁ · aₖ₋₁

Every weight shares the tail of that product. Backprop computes the tail
once per link, from the cost backwards: that is the delta shorthand

    δₙ = 2(aₙ − y),   δₖ = δₖ₊₁ · wₖ₊₁,   ∂C/∂wₖ = aₖ₋₁ · δₖ

(f′ = 1 here: the links are linear). The lesson trains a few steps, ranks
the weights at every step, and checks that the delta form gives the engine's
gradients. The same ``forward`` run with ``chainrule.Tensor`` leaves is the
chain's tensor form (``tensors``), from which ``chainrule code chain --lang
numpy|torch`` is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..explainer import Derivation, explain as derive
from ..explainer.delta import DeltaForm, LayerNodes, delta_form
from ..explainer.format import num, subscript
from ..explainer.forward import forward_lines
from ..explainer.ranking import Ranking
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value, parameter
from .contract import Lesson, LessonTensors
from .descent import Descent, descend, ranking_section, stop_section

NAME = "chain"
SUMMARY = "A chain i —w₁→ a₁ —w₂→ … (--depth): the chain rule as one product, and the delta shorthand δₖ = δₖ₊₁·wₖ₊₁."
MAX_DEPTH = 12

PARAMS = Params(
    Param("depth", 3, "how many weights in the chain", kind="int", low=1, high=MAX_DEPTH),
    Param("input", 1.5, "the input i", low=-1e3, high=1e3, symbol="i"),
    Param("target", 0.8, "the target y", low=-1e3, high=1e3, symbol="y"),
    Param("weights", (0.8, 0.5, 1.2), "initial weights w₁ w₂ …, repeated to fill the chain", kind="floats",
          low=-1e3, high=1e3, length=(1, MAX_DEPTH)),
    Param("learning_rate", 0.05, "the learning rate", low=0, low_open=True, high=10, flags=("--lr",), symbol="lr"),
    Param("steps", 5, "descent steps", kind="int", low=0, high=1000),
)


@dataclass
class Network:
    i: Value
    weights: list[Value]
    activations: list[Value]
    y: Value
    C: Value


def forward(i: Value, weights: list[Value], y: Value) -> Network:
    """aₖ = wₖ·aₖ₋₁ with a₀ = i; C = (aₙ − y)².

    With ``chainrule.Tensor`` leaves the same lines build the tensor form
    (``tensors``): ``*``, ``-``, ``** 2`` and ``named`` are the tensor
    engine's too.
    """
    a, activations = i, []
    for k, w in enumerate(weights, 1):
        a = (w * a).named(f"a{subscript(k)}")
        activations.append(a)
    C = ((a - y) ** 2).named("C")
    return Network(i, weights, activations, y, C)


@dataclass
class ChainResult:
    depth: int
    input: float
    target: float
    learning_rate: float
    network: Network
    derivation: Derivation
    delta: DeltaForm
    descent: Descent  # one Step per step: the cost, every weight and its gradient, the ranking

    @property
    def stopped(self) -> str:
        """Why the descent stopped early (it diverged), if it did."""
        return self.descent.stopped

    def graph(self) -> Value:
        return self.network.C


def explain(result: ChainResult) -> Report:
    names = [w.label for w in result.network.weights]
    links = " ".join(f"—w{subscript(k)}→ a{subscript(k)}" for k in range(1, result.depth + 1))
    title = f"A chain of {result.depth} weight{'s' if result.depth > 1 else ''}: i {links},  C = (a{subscript(result.depth)} − y)²"
    steps = result.descent.steps
    first: Ranking = steps[0].ranking
    sections = [
        Section("Forward pass", forward_lines(result.network.C), math=True),
        Section("Chain rule: one path per weight, one product per path", derivation=result.derivation),
        Section("The delta shorthand: each δ reuses the next one (backprop)",
                [Math(line) for line in result.delta.scalar_lines()]
                + [f"largest difference from the engine's gradients: {num(result.delta.max_difference)}"]),
        Section("Which weight matters most, at the first step", [first.verdict()],
                table=Table(first.columns(), first.rows())),
        ranking_section(steps),
        Section(
            f"Gradient descent: w ← w − {num(result.learning_rate)}·∂C/∂w",
            table=Table(["step", "C", *names], [[str(s.step), num(s.cost), *(num(s.parameters[n]) for n in names)]
                                                for s in steps]),
        ),
        *stop_section(result.stopped),
    ]
    data = {
        "depth": result.depth,
        "input": result.input,
        "target": result.target,
        "learning_rate": result.learning_rate,
        "weights": [w.data for w in result.network.weights],
        "gradients": [p.total for p in result.derivation.parameters],
        "derivation": result.derivation.to_json(),
        "delta": result.delta.to_json(),
        "ranking": first.to_json(),
        "steps": [s.to_json() for s in steps],
        "stopped": result.stopped,
    }
    return Report(NAME, title, sections, data)


def _weights(p: dict) -> list[Parameter]:
    """w₁ … w_depth: the initial weights, repeated as often as needed to fill the chain."""
    return [Parameter(p["weights"][(k - 1) % len(p["weights"])], label=f"w{subscript(k)}")
            for k in range(1, p["depth"] + 1)]


def _first(p: dict) -> Network:
    """The chain at its initial weights, after one backward pass: the graph the lesson explains."""
    net = forward(Value(p["input"], label="i"), _weights(p), Value(p["target"], label="y"))
    net.C.backward()
    return net


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains, without the descent."""
    return _first(PARAMS.resolve(params)).C


def train(**params) -> ChainResult:
    """Explain the first step of a depth-``depth`` chain, then take ``steps`` steps of descent."""
    p = PARAMS.resolve(params)
    first = _first(p)
    i, y, weights = first.i, first.y, first.weights
    derivation = derive(first.C, wrt=weights)
    layers = [LayerNodes([[w]], [a], [a]) for w, a in zip(weights, first.activations)]

    def cost(values: dict[str, float]) -> Value:
        """C at the weights ``values``, built on fresh leaves (the explained graph keeps its one pass)."""
        return forward(Value(i.data, label="i"), [Parameter(values[w.label], label=w.label) for w in weights],
                       Value(y.data, label="y")).C

    descent = descend(cost, {w.label: w.data for w in weights}, p["learning_rate"], p["steps"])
    return ChainResult(p["depth"], p["input"], p["target"], p["learning_rate"], first, derivation,
                       delta_form([i], layers, first.C), descent)


def tensors(**params) -> LessonTensors:
    """The chain as tensors: ``forward`` itself, run with ``chainrule.Tensor`` leaves holding the same numbers.

    Each weight wₖ is a one-number tensor ``wk`` (``pairs``: the scalar wₖ
    beside it), so the numpy program is the chain's backward pass line by
    line: d_aₖ₋₁ = d_aₖ · wₖ, d_wₖ = d_aₖ · aₖ₋₁, the delta shorthand.
    """
    from ..tensor import Tensor  # numpy loads with the tensor form only (static_explorer/answers.py)
    scalar = _first(PARAMS.resolve(params))
    ws = [parameter(Tensor(w.data), f"w{k}") for k, w in enumerate(scalar.weights, 1)]
    net = forward(Tensor(scalar.i.data, name="i"), ws, Tensor(scalar.y.data, name="y"))
    for k, a in enumerate(net.activations, 1):
        a.named(f"a{k}")  # a program's names are plain letters and digits, as its weights': a1 = w1 * i
    return LessonTensors(net.C, scalar.C, [(w, t.name, ()) for w, t in zip(scalar.weights, ws)])


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain,
                tensors=tensors)

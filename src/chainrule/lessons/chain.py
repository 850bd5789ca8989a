"""Rung 2, a chain of weights: i —w₁→ a₁ —w₂→ a₂ —…—wₙ→ aₙ, C = (aₙ − y)².

Each link multiplies: aₖ = wₖ·aₖ₋₁ (a₀ = i). There is one path from each
weight to the cost, so the chain rule is one long product:

    dC/dwₖ = dC/daₙ · daₙ/daₙ₋₁ ⋯ daₖ₊₁/daₖ · daₖ/dwₖ
           = 2(aₙ − y) · wₙ ⋯ wₖ₊₁ · aₖ₋₁

Every weight shares the tail of that product. Backprop computes the tail
once per link, from the cost backwards: that is the delta shorthand

    δₙ = 2(aₙ − y),   δₖ = δₖ₊₁ · wₖ₊₁,   dC/dwₖ = aₖ₋₁ · δₖ

(f′ = 1 here: the links are linear). The lesson trains a few steps, ranks
the weights at every step, and checks that the delta form gives the engine's
gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..explainer import Derivation, explain as derive
from ..explainer.delta import DeltaForm, LayerNodes, delta_form
from ..explainer.format import num, subscript
from ..explainer.forward import forward_lines
from ..explainer.ranking import Ranking, rank
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson
from .steps import OVERFLOW, diverged, ranking_section, stop_section

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
    """aₖ = wₖ·aₖ₋₁ with a₀ = i; C = (aₙ − y)²."""
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
    history: list[dict] = field(default_factory=list)  # step, cost, weights, gradients, ranking
    stopped: str = ""  # why the descent stopped early (it diverged), if it did

    def graph(self) -> Value:
        return self.network.C


def explain(result: ChainResult) -> Report:
    names = [w.label for w in result.network.weights]
    links = " ".join(f"—w{subscript(k)}→ a{subscript(k)}" for k in range(1, result.depth + 1))
    title = f"A chain of {result.depth} weight{'s' if result.depth > 1 else ''}: i {links},  C = (a{subscript(result.depth)} − y)²"
    first: Ranking = result.history[0]["ranking"]
    sections = [
        Section("Forward pass", forward_lines(result.network.C), math=True),
        Section("Chain rule: one path per weight, one product per path", derivation=result.derivation),
        Section("The delta shorthand: each δ reuses the next one (backprop)",
                [Math(line) for line in result.delta.scalar_lines()]
                + [f"largest difference from the engine's gradients: {num(result.delta.max_difference)}"]),
        Section("Which weight matters most, at the first step", [first.verdict()],
                table=Table(first.columns(), first.rows())),
        ranking_section(result.history),
        Section(
            f"Gradient descent: w ← w − {num(result.learning_rate)}·dC/dw",
            table=Table(["step", "C", *names], [[str(h["step"]), num(h["cost"]), *(num(w) for w in h["weights"])]
                                                for h in result.history]),
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
        "steps": [{k: (v.to_json() if k == "ranking" else v) for k, v in h.items()} for h in result.history],
        "stopped": result.stopped,
    }
    return Report(NAME, title, sections, data)


def train(**params) -> ChainResult:
    """Explain the first step of a depth-``depth`` chain, then take ``steps`` steps of descent."""
    p = PARAMS.resolve(params)
    depth, lr = p["depth"], p["learning_rate"]
    i, y = Value(p["input"], label="i"), Value(p["target"], label="y")
    # the initial weights, repeated as often as needed to fill the chain
    weights = [Parameter(p["weights"][(k - 1) % len(p["weights"])], label=f"w{subscript(k)}") for k in range(1, depth + 1)]
    first = forward(i, weights, y)
    first.C.backward()
    derivation = derive(first.C, wrt=weights)
    layers = [LayerNodes([[w]], [a], [a]) for w, a in zip(weights, first.activations)]
    result = ChainResult(depth, p["input"], p["target"], lr, first, derivation, delta_form([i], layers, first.C))
    current = [w.data for w in weights]
    for k in range(p["steps"] + 1):
        try:
            ws = [Parameter(x, label=w.label) for x, w in zip(current, weights)]
            net = forward(Value(i.data, label="i"), ws, Value(y.data, label="y"))  # fresh leaves for every step
        except OVERFLOW as exc:
            result.stopped = diverged(k, exc)
            break
        net.C.backward()
        grads = [w.grad for w in ws]
        result.history.append({"step": k, "cost": net.C.data, "weights": current[:], "gradients": grads,
                               "ranking": rank([(w.label, w.data, w.grad) for w in ws], lr)})
        current = [w.data - lr * g for w, g in zip(ws, grads)]
    return result


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains."""
    return train(**params).graph()


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain)

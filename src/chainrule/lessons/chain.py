"""Rung 2, a chain of weights: i —w₁→ a₁ —w₂→ a₂ —…—wₙ→ aₙ, C = (aₙ − y)².

Each link multiplies: aₖ = wₖ·aₖ₋₁ (a₀ = i). There is one path from each
weight to the cost, so the chain rule is one long product:

    dC/dwₖ = dC/daₙ · daₙ/daₙ₋₁ ⋯ daₖ₊₁/daₖ · daₖ/dwₖ
           = 2(aₙ − y) · wₙ ⋯ wₖ₊₁ · aₖ₋₁

Every weight shares the tail of that product. Backprop computes the tail
once per link, from the cost backwards: that is the delta shorthand

    δₙ = 2(aₙ − y),   δₖ = δₖ₊₁ · wₖ₊₁,   dC/dwₖ = aₖ₋₁ · δₖ

(f′ = 1 here: the links are linear). The lesson trains a few steps and
checks that the delta form gives the engine's gradients.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from ..commands.options import float_in_range, int_in_range
from ..errors import InvalidValueError
from ..explainer import Derivation, explain
from ..explainer.delta import DeltaForm, LayerNodes, delta_form
from ..explainer.format import num
from ..explainer.forward import forward_lines
from ..explainer.format import subscript
from ..explainer.ranking import Ranking
from ..scalar import Value
from .report import Report, Section, Table

SUMMARY = "A chain i —w₁→ a₁ —w₂→ … (--depth): the chain rule as one product, and the delta shorthand δₖ = δₖ₊₁·wₖ₊₁."

DEFAULTS = dict(depth=3, input=1.5, target=0.8, weights=(0.8, 0.5, 1.2), learning_rate=0.05, steps=5)
MAX_DEPTH = 12
LIMIT = 1e3


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
class ChainResult(Report):
    depth: int
    input: float
    target: float
    learning_rate: float
    network: Network
    derivation: Derivation
    delta: DeltaForm
    ranking: Ranking
    history: list[dict] = field(default_factory=list)  # step, cost, weights

    lesson = "chain"

    @property
    def title(self) -> str:
        links = " ".join(f"—w{subscript(k)}→ a{subscript(k)}" for k in range(1, self.depth + 1))
        return f"A chain of {self.depth} weight{'s' if self.depth > 1 else ''}: i {links},  C = (a{subscript(self.depth)} − y)²"

    def graph(self) -> Value:
        return self.network.C

    def sections(self) -> list[Section]:
        names = [w.label for w in self.network.weights]
        return [
            Section("Forward pass", forward_lines(self.network.C), math=True),
            Section("Chain rule: one path per weight, one product per path", derivation=self.derivation),
            Section("The delta shorthand: each δ reuses the next one (backprop)", self.delta.scalar_lines()
                    + [f"largest difference from the engine's gradients: {num(self.delta.max_difference)}"], math=True),
            Section("Which weight matters most this step", [self.ranking.verdict()],
                    table=Table(self.ranking.columns(), self.ranking.rows())),
            Section(
                f"Gradient descent: w ← w − {num(self.learning_rate)}·dC/dw",
                table=Table(["step", "C", *names], [[str(h["step"]), num(h["cost"]), *(num(w) for w in h["weights"])] for h in self.history]),
            ),
        ]

    def data(self) -> dict:
        return {
            "depth": self.depth,
            "input": self.input,
            "target": self.target,
            "learning_rate": self.learning_rate,
            "weights": [w.data for w in self.network.weights],
            "gradients": [p.total for p in self.derivation.parameters],
            "derivation": self.derivation.to_json(),
            "delta": self.delta.to_json(),
            "ranking": self.ranking.to_json(),
            "steps": self.history,
        }


def train(depth=DEFAULTS["depth"], input=DEFAULTS["input"], target=DEFAULTS["target"], weights=DEFAULTS["weights"],
          learning_rate=DEFAULTS["learning_rate"], steps=DEFAULTS["steps"]) -> ChainResult:
    """Explain the first step of a depth-``depth`` chain, then take ``steps`` steps of descent."""
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidValueError(f"depth = {depth!r} is out of range; allowed: 1 to {MAX_DEPTH}")
    if not weights:
        raise InvalidValueError("weights: give at least one initial weight")
    i, y = Value(input, label="i"), Value(target, label="y")
    # the initial weights, repeated as often as needed to fill the chain
    weights = [Value(weights[(k - 1) % len(weights)], label=f"w{subscript(k)}") for k in range(1, depth + 1)]
    first = forward(i, weights, y)
    first.C.backward()
    derivation = explain(first.C, wrt=weights)
    layers = [LayerNodes([[w]], [a], [a]) for w, a in zip(weights, first.activations)]
    result = ChainResult(
        depth, input, target, learning_rate, first, derivation,
        delta_form([i], layers, first.C), derivation.ranking(learning_rate),
    )
    current = [w.data for w in weights]
    for k in range(steps + 1):
        ws = [Value(x, label=w.label) for x, w in zip(current, weights)]
        net = forward(_fresh(i), ws, _fresh(y))  # fresh leaves: the explained graph's keep one pass's gradients
        net.C.backward()
        result.history.append({"step": k, "cost": net.C.data, "weights": current[:], "gradients": [w.grad for w in ws]})
        current = [w.data - learning_rate * w.grad for w in ws]
    return result


def _fresh(v: Value) -> Value:
    return Value(v.data, label=v.label)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--depth", type=int_in_range(1, MAX_DEPTH), default=DEFAULTS["depth"], help="how many weights in the chain (default 3)")
    parser.add_argument("--input", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["input"], help="the input i (default 1.5)")
    parser.add_argument("--target", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["target"], help="the target y (default 0.8)")
    parser.add_argument("--weights", type=float_in_range(-LIMIT, LIMIT), nargs="+", default=list(DEFAULTS["weights"]),
                        help="initial weights w₁ w₂ …, repeated to fill the chain (default 0.8 0.5 1.2)")
    parser.add_argument("--learning-rate", "--lr", dest="learning_rate", type=float_in_range(0, 10, exclude_low=True),
                        default=DEFAULTS["learning_rate"], help="the learning rate (default 0.05)")
    parser.add_argument("--steps", type=int_in_range(0, 1000), default=DEFAULTS["steps"], help="descent steps (default 5)")


def run(args: argparse.Namespace) -> ChainResult:
    return train(args.depth, args.input, args.target, args.weights, args.learning_rate, args.steps)

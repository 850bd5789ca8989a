"""Rung 6, why backprop: the cost of *all* the gradients, three ways, as the parameters grow.

For a network with n parameters, C = (tanh(Σₖ wₖ·xₖ) − y)²:

* central finite differences: dC/dwₖ ≈ [C(wₖ + h) − C(wₖ − h)] / 2h, two
  forward passes per parameter: 2n passes;
* forward mode: one forward pass, then one sweep of the graph per
  parameter carrying d(node)/dwₖ forward along the edges
  (tangent(node) = Σ local · tangent(input)): 1 + n passes;
* backprop (reverse mode): one forward pass, one backward pass carrying
  dC/d(node) back along the same edges: 2 passes, whatever n.

That is the clever part: the backward pass shares the tail of every chain
(the δ of the chain lesson) among all the parameters at once. The lesson
counts the passes, times them on this machine, and checks the three agree.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field

from ..commands.options import int_in_range
from ..explainer.format import num
from ..scalar import Value
from .report import Report, Section, Table

SUMMARY = "Why backprop: passes and time for all n gradients by finite differences (2n), forward mode (1 + n) and backprop (2), as n grows (--plot)."

DEFAULTS = dict(max_params=256, seed=0)
H = 1e-6


def network(weights: list[float], inputs: list[float], target: float) -> tuple[list[Value], Value]:
    """Forward pass: z = Σₖ wₖ·xₖ, a = tanh(z), C = (a − y)²."""
    ws = [Value(w, label="w") for w in weights]
    z = Value.dot(ws, inputs).named("z")
    C = ((z.tanh().named("a") - target) ** 2).named("C")
    return ws, C


def by_backprop(weights, inputs, target) -> tuple[list[float], int]:
    ws, C = network(weights, inputs, target)
    C.backward()
    return [w.grad for w in ws], 2


def by_finite_differences(weights, inputs, target) -> tuple[list[float], int]:
    grads, passes = [], 0
    for k in range(len(weights)):
        up = weights[:k] + [weights[k] + H] + weights[k + 1:]
        down = weights[:k] + [weights[k] - H] + weights[k + 1:]
        grads.append((network(up, inputs, target)[1].data - network(down, inputs, target)[1].data) / (2 * H))
        passes += 2
    return grads, passes


def by_forward_mode(weights, inputs, target) -> tuple[list[float], int]:
    """One forward pass, then per parameter one sweep: tangent(node) = Σ local · tangent(input)."""
    ws, C = network(weights, inputs, target)
    order = C.nodes()
    grads = []
    for w in ws:
        tangent = {w: 1.0}
        for node in order:
            if node.inputs:
                tangent[node] = sum(local * tangent.get(child, 0.0) for child, local in zip(node.inputs, node.local))
        grads.append(tangent[C])
    return grads, 1 + len(ws)


METHODS = {"finite differences": by_finite_differences, "forward mode": by_forward_mode, "backprop": by_backprop}


@dataclass
class Row:
    n: int
    passes: dict[str, int]
    seconds: dict[str, float]
    max_difference: float  # largest |gradient − backprop's| over the other methods


@dataclass
class WhyBackpropResult(Report):
    sizes: list[int]
    rows: list[Row] = field(default_factory=list)
    example: tuple = ()

    lesson = "why-backprop"
    title = "Why backprop: the cost of every gradient, three ways"

    def graph(self) -> Value:
        weights, inputs, target = self.example
        _, C = network(weights, inputs, target)
        C.backward()
        return C

    def sections(self) -> list[Section]:
        names = list(METHODS)
        passes = Table(["n", *names], [[str(r.n), *(str(r.passes[m]) for m in names)] for r in self.rows])
        seconds = Table(["n", *names, "max |difference|"],
                        [[str(r.n), *(f"{r.seconds[m] * 1e3:.3g} ms" for m in names), num(r.max_difference, 2)] for r in self.rows])
        last = self.rows[-1]
        ratio = last.seconds["finite differences"] / max(last.seconds["backprop"], 1e-12)
        return [
            Section("Passes over the graph for all n gradients", [
                "finite differences: 2 forward passes per parameter = 2n",
                "forward mode: 1 forward pass + 1 tangent sweep per parameter = 1 + n",
                "backprop: 1 forward pass + 1 backward pass = 2, for any n",
            ], table=passes),
            Section("Measured time on this machine (and how far each method is from backprop's gradients)", table=seconds),
            Section("The clever part", [
                f"At n = {last.n}, finite differences took {ratio:.3g}× as long as backprop, and forward mode "
                f"{last.passes['forward mode'] / 2:.3g}× as many passes.",
                "Backprop walks the graph once, from the cost back, and at every node adds up the contributions of "
                "all the paths through it: each edge is visited once, for all the parameters together.",
            ]),
        ]

    def data(self) -> dict:
        return {"sizes": self.sizes, "rows": [r.__dict__ for r in self.rows]}

    def plot(self, path: str) -> None:
        from ..viz.costs import plot_costs

        plot_costs(self, path)


def compare(max_params: int = DEFAULTS["max_params"], seed: int = DEFAULTS["seed"]) -> WhyBackpropResult:
    sizes = []
    n = 1
    while n <= max_params:
        sizes.append(n)
        n *= 4
    result = WhyBackpropResult(sizes)
    rng = random.Random(seed)
    for n in sizes:
        weights = [rng.uniform(-1, 1) / n**0.5 for _ in range(n)]
        inputs = [rng.uniform(-1, 1) for _ in range(n)]
        target = 0.5
        grads, passes, seconds = {}, {}, {}
        for name, method in METHODS.items():
            start = time.perf_counter()
            grads[name], passes[name] = method(weights, inputs, target)
            seconds[name] = time.perf_counter() - start
        diff = max(abs(g - b) for name in grads for g, b in zip(grads[name], grads["backprop"]))
        result.rows.append(Row(n, passes, seconds, diff))
        if not result.example:
            result.example = (weights, inputs, target)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-params", type=int_in_range(1, 4096), default=DEFAULTS["max_params"],
                        help="the largest number of parameters (sizes 1, 4, 16, … up to it; default 256)")
    parser.add_argument("--seed", type=int_in_range(0, 2**31 - 1), default=DEFAULTS["seed"], help="seed of the weights (default 0)")


def run(args: argparse.Namespace) -> WhyBackpropResult:
    return compare(args.max_params, args.seed)

"""Rung 5, a batch of two: one weight, two examples, C = (a − y)² + (b − y)².

The question from the comments: with two inputs i₁ and i₂ through the same
weight, a = i₁·w and b = i₂·w, what is dC/dw? The weight now reaches the
cost along two paths, one per example, and the chain rule adds them:

    dC/dw = dC/da · da/dw + dC/db · db/dw = 2(a − y)·i₁ + 2(b − y)·i₂

So the gradient of a batch is the sum of the examples' gradients. With the
mean instead, C = ½[(a − y)² + (b − y)²], every gradient is halved, which is
the same as halving the learning rate: the sum's curvature is 2(i₁² + i₂²),
and descent is stable for lr < 2/curvature, twice as large for the mean.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import sympy

from ..commands.options import float_in_range, int_in_range
from ..errors import InvalidValueError
from ..explainer import Derivation, explain
from ..explainer.format import factor, num, pretty
from ..explainer.format import subscript
from ..explainer.symbolic import to_sympy
from ..explainer.forward import forward_lines
from ..scalar import Value
from .report import Report, Section, Table

SUMMARY = "A batch of two through one weight: C = (a − y)² + (b − y)², the two paths add; sum versus mean."

DEFAULTS = dict(inputs=(1.5, 0.5), target=0.8, weight=0.8, learning_rate=0.1, steps=5)
LIMIT = 1e3


@dataclass
class Network:
    inputs: list[Value]
    w: Value
    y: Value
    outputs: list[Value]  # a, b
    C: Value


def forward(i1: Value, i2: Value, w: Value, y: Value, reduction: str = "sum") -> Network:
    """a = i₁·w, b = i₂·w, C = (a − y)² + (b − y)² (the sum) or half of it (the mean)."""
    a = (i1 * w).named("a")
    b = (i2 * w).named("b")
    total = (a - y) ** 2 + (b - y) ** 2
    C = (total if reduction == "sum" else total * 0.5).named("C")
    return Network([i1, i2], w, y, [a, b], C)


def example_gradient(i: Value, w: Value, y: Value) -> float:
    """dCₖ/dw for one example alone, Cₖ = (i·w − y)², by the engine."""
    w_alone = Value(w.data, label="w")
    cost = ((Value(i.data, label=i.label) * w_alone).named("a") - Value(y.data, label=y.label)) ** 2
    cost.backward()
    return w_alone.grad


@dataclass
class BatchResult(Report):
    inputs: list[float]
    target: float
    weight: float
    learning_rate: float
    network: Network
    mean_network: Network
    derivation: Derivation
    per_example: list[float]
    history: dict = field(default_factory=dict)  # "sum"/"mean" -> rows

    lesson = "batch"
    title = "A batch of two: a = i₁·w, b = i₂·w,  C = (a − y)² + (b − y)²"

    def graph(self) -> Value:
        return self.network.C

    @property
    def curvature(self) -> float:
        """d²C/dw² of the sum: 2(i₁² + i₂²); the mean's is half of it."""
        return 2.0 * sum(i * i for i in self.inputs)

    def gradient_lines(self) -> list[str]:
        g1, g2 = self.per_example
        total, mean = self.network.w.grad, self.mean_network.w.grad
        paths = self.derivation.parameters[0].paths  # one per example, in the order of the graph
        lines = [f"example {k} alone: dC{subscript(k)}/dw = {p.formulas()} = {num(g)}" for k, (p, g) in enumerate(zip(paths, (g1, g2)), 1)]
        return lines + [
            f"the batch (sum): dC/dw = {factor(g1)} + {factor(g2)} = {num(g1 + g2)}; the engine: w.grad = {num(total)}",
            f"the batch (mean): dC/dw = ½({factor(g1)} + {factor(g2)}) = {num((g1 + g2) / 2)}; the engine: w.grad = {num(mean)}",
        ]

    def reduction_lines(self) -> list[str]:
        c = self.curvature
        return [
            f"sum: d²C/dw² = {self.curvature_formula} = {num(c)}, stable for lr < 2/{num(c)} = {num(2 / c)}",
            f"mean: d²C/dw² = ½({self.curvature_formula}) = {num(c / 2)}, stable for lr < {num(4 / c)}",
            "The mean's gradient is half the sum's: the same descent as the sum with half the learning rate, "
            "and it does not grow with the batch size.",
        ]

    @property
    def curvature_formula(self) -> str:
        """d²C/dw² of the sum, by sympy from the graph, the inputs kept as symbols: 2i₁² + 2i₂²."""
        n = self.network
        C = to_sympy(n.C, [n.w, *n.inputs])
        return pretty(sympy.diff(C, sympy.Symbol(n.w.label), 2))

    def sections(self) -> list[Section]:
        rows = []
        for s, m in zip(self.history["sum"], self.history["mean"]):
            rows.append([str(s["step"]), num(s["weight"]), num(s["cost"]), num(s["gradient"]), num(m["weight"]), num(m["cost"]), num(m["gradient"])])
        return [
            Section("Forward pass", forward_lines(self.network.C), math=True),
            Section("Chain rule: one path per example, and the paths add", derivation=self.derivation),
            Section("Gradients add", self.gradient_lines()),
            Section("Sum or mean", self.reduction_lines()),
            Section(f"Gradient descent (lr = {num(self.learning_rate)})",
                    table=Table(["step", "w (sum)", "C (sum)", "dC/dw (sum)", "w (mean)", "C (mean)", "dC/dw (mean)"], rows)),
        ]

    def data(self) -> dict:
        return {
            "inputs": self.inputs,
            "target": self.target,
            "weight": self.weight,
            "learning_rate": self.learning_rate,
            "derivation": self.derivation.to_json(),
            "per_example_gradients": self.per_example,
            "sum_gradient": self.network.w.grad,
            "mean_gradient": self.mean_network.w.grad,
            "curvature_sum": self.curvature,
            "stable_learning_rate_sum": 2 / self.curvature,
            "stable_learning_rate_mean": 4 / self.curvature,
            "steps": self.history,
        }


def train(inputs=DEFAULTS["inputs"], target=DEFAULTS["target"], weight=DEFAULTS["weight"],
          learning_rate=DEFAULTS["learning_rate"], steps=DEFAULTS["steps"]) -> BatchResult:
    if len(inputs) != 2:
        raise InvalidValueError(f"inputs: the batch has two examples; got {len(inputs)} inputs")
    if all(i == 0 for i in inputs):
        raise InvalidValueError("inputs: both are 0, so the weight changes nothing; give a non-zero input")
    i1, i2 = Value(inputs[0], label="i₁"), Value(inputs[1], label="i₂")
    y = Value(target, label="y")
    w = Value(weight, label="w")
    net = forward(i1, i2, w, y)
    net.C.backward()
    w_mean = Value(weight, label="w")
    mean = forward(_fresh(i1), _fresh(i2), w_mean, _fresh(y), "mean")
    mean.C.backward()
    result = BatchResult(
        [float(v) for v in inputs], target, weight, learning_rate, net, mean,
        explain(net.C, wrt=[w]), [example_gradient(i1, w, y), example_gradient(i2, w, y)],
    )
    for reduction in ("sum", "mean"):
        rows, wv = [], weight
        for k in range(steps + 1):
            wn = Value(wv, label="w")
            n = forward(_fresh(i1), _fresh(i2), wn, _fresh(y), reduction)  # fresh leaves: the explained graph keeps one pass
            n.C.backward()
            rows.append({"step": k, "weight": wv, "cost": n.C.data, "gradient": wn.grad})
            wv -= learning_rate * wn.grad
        result.history[reduction] = rows
    return result


def _fresh(v: Value) -> Value:
    return Value(v.data, label=v.label)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", type=float_in_range(-LIMIT, LIMIT), nargs=2, default=list(DEFAULTS["inputs"]),
                        metavar=("I1", "I2"), help="the two examples' inputs (default 1.5 0.5)")
    parser.add_argument("--target", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["target"], help="the target y (default 0.8)")
    parser.add_argument("--weight", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["weight"], help="the initial weight (default 0.8)")
    parser.add_argument("--learning-rate", "--lr", dest="learning_rate", type=float_in_range(0, 100, exclude_low=True),
                        default=DEFAULTS["learning_rate"], help="the learning rate (default 0.1)")
    parser.add_argument("--steps", type=int_in_range(0, 1000), default=DEFAULTS["steps"], help="descent steps (default 5)")


def run(args: argparse.Namespace) -> BatchResult:
    return train(args.inputs, args.target, args.weight, args.learning_rate, args.steps)

"""Rung 5, a batch of two: one weight, two examples, C = (a₁ − y)² + (a₂ − y)².

The question from the comments: with two inputs i₁ and i₂ through the same
weight, a₁ = i₁·w and a₂ = i₂·w, what is dC/dw? The weight now reaches the
cost along two paths, one per example, and the chain rule adds them:

    dC/dw = dC/da₁ · da₁/dw + dC/da₂ · da₂/dw = 2(a₁ − y)·i₁ + 2(a₂ − y)·i₂

So the gradient of a batch is the sum of the examples' gradients. With the
mean instead, C = ½[(a₁ − y)² + (a₂ − y)²], every gradient is halved, which
is the same as halving the learning rate: the sum's curvature is
2(i₁² + i₂²), and descent is stable for lr < 2/curvature, twice as large for
the mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..errors import InvalidValueError
from ..explainer import Derivation, explain as derive
from ..explainer.format import factor, num, pretty, subscript
from ..explainer.forward import forward_lines
from ..explainer.report import Report, Section, Table
from ..explainer.symbolic import to_sympy
from ..params import Param, Params
from ..scalar import Value
from .steps import fresh

NAME = "batch"
SUMMARY = "A batch of two through one weight: C = (a₁ − y)² + (a₂ − y)², the two paths add; sum versus mean."
PLOTS = False

PARAMS = Params(
    Param("inputs", (1.5, 0.5), "the two examples' inputs i₁ i₂", kind="floats", low=-1e3, high=1e3, length=(2, 2)),
    Param("target", 0.8, "the target y", low=-1e3, high=1e3, symbol="y"),
    Param("weight", 0.8, "the initial weight w", low=-1e3, high=1e3, symbol="w"),
    Param("learning_rate", 0.1, "the learning rate", low=0, low_open=True, high=100, flags=("--lr",), symbol="lr"),
    Param("steps", 5, "descent steps", kind="int", low=0, high=1000),
)


@dataclass
class Network:
    inputs: list[Value]
    w: Value
    y: Value
    outputs: list[Value]  # a₁, a₂
    C: Value


def forward(i1: Value, i2: Value, w: Value, y: Value, reduction: str = "sum") -> Network:
    """a₁ = i₁·w, a₂ = i₂·w, C = (a₁ − y)² + (a₂ − y)² (the sum) or half of it (the mean)."""
    a1 = (i1 * w).named("a₁")
    a2 = (i2 * w).named("a₂")
    total = (a1 - y) ** 2 + (a2 - y) ** 2
    C = (total if reduction == "sum" else total * 0.5).named("C")
    return Network([i1, i2], w, y, [a1, a2], C)


def example_gradient(i: Value, w: Value, y: Value) -> float:
    """dCₖ/dw for one example alone, Cₖ = (i·w − y)², by the engine."""
    w_alone = Value(w.data, label="w")
    cost = ((fresh(i) * w_alone).named("a") - fresh(y)) ** 2
    cost.backward()
    return w_alone.grad


@dataclass
class BatchResult:
    inputs: list[float]
    target: float
    weight: float
    learning_rate: float
    network: Network
    mean_network: Network
    derivation: Derivation
    per_example: list[float]
    history: dict = field(default_factory=dict)  # "sum"/"mean" -> rows

    def graph(self) -> Value:
        return self.network.C

    @property
    def curvature(self) -> float:
        """d²C/dw² of the sum: 2(i₁² + i₂²); the mean's is half of it."""
        return 2.0 * sum(i * i for i in self.inputs)

    @property
    def curvature_formula(self) -> str:
        """d²C/dw² of the sum, by sympy from the graph, the inputs kept as symbols: 2i₁² + 2i₂²."""
        n = self.network
        C = to_sympy(n.C, [n.w, *n.inputs])
        return pretty(sympy.diff(C, sympy.Symbol(n.w.label), 2))


def explain(result: BatchResult) -> Report:
    g1, g2 = result.per_example
    total, mean = result.network.w.grad, result.mean_network.w.grad
    paths = result.derivation.parameters[0].paths  # one per example, in the order of the graph
    scale = max(abs(g1), abs(g2))
    gradient_lines = [f"example {k} alone: dC{subscript(k)}/dw = {p.formulas()} = {num(g)}"
                      for k, (p, g) in enumerate(zip(paths, (g1, g2)), 1)]
    gradient_lines += [
        f"the batch (sum): dC/dw = {factor(g1)} + {factor(g2)} = {num(g1 + g2, scale=scale)}; "
        f"the engine: w.grad = {num(total, scale=scale)}",
        f"the batch (mean): dC/dw = ½({factor(g1)} + {factor(g2)}) = {num((g1 + g2) / 2, scale=scale)}; "
        f"the engine: w.grad = {num(mean, scale=scale)}",
    ]
    c = result.curvature
    reduction_lines = [
        f"sum: d²C/dw² = {result.curvature_formula} = {num(c)}, stable for lr < 2/{num(c)} = {num(2 / c)}",
        f"mean: d²C/dw² = ½({result.curvature_formula}) = {num(c / 2)}, stable for lr < {num(4 / c)}",
        "The mean's gradient is half the sum's: the same descent as the sum with half the learning rate, "
        "and it does not grow with the batch size.",
    ]
    rows = [[str(s["step"]), num(s["weight"]), num(s["cost"]), num(s["gradient"]), num(m["weight"]), num(m["cost"]),
             num(m["gradient"])] for s, m in zip(result.history["sum"], result.history["mean"])]
    sections = [
        Section("Forward pass", forward_lines(result.network.C), math=True),
        Section("Chain rule: one path per example, and the paths add", derivation=result.derivation),
        Section("Gradients add", gradient_lines),
        Section("Sum or mean", reduction_lines),
        Section(f"Gradient descent (lr = {num(result.learning_rate)})",
                table=Table(["step", "w (sum)", "C (sum)", "dC/dw (sum)", "w (mean)", "C (mean)", "dC/dw (mean)"], rows)),
    ]
    data = {
        "inputs": result.inputs,
        "target": result.target,
        "weight": result.weight,
        "learning_rate": result.learning_rate,
        "derivation": result.derivation.to_json(),
        "per_example_gradients": result.per_example,
        "sum_gradient": total,
        "mean_gradient": mean,
        "curvature_sum": c,
        "stable_learning_rate_sum": 2 / c,
        "stable_learning_rate_mean": 4 / c,
        "steps": result.history,
    }
    return Report(NAME, "A batch of two: a₁ = i₁·w, a₂ = i₂·w,  C = (a₁ − y)² + (a₂ − y)²", sections, data)


def train(**params) -> BatchResult:
    p = PARAMS.resolve(params)
    inputs, lr = [float(v) for v in p["inputs"]], p["learning_rate"]
    if all(i == 0 for i in inputs):
        raise InvalidValueError("inputs: both are 0, so the weight changes nothing; give a non-zero input")
    i1, i2 = Value(inputs[0], label="i₁"), Value(inputs[1], label="i₂")
    y = Value(p["target"], label="y")
    w = Value(p["weight"], label="w")
    net = forward(i1, i2, w, y)
    net.C.backward()
    w_mean = Value(p["weight"], label="w")
    mean = forward(fresh(i1), fresh(i2), w_mean, fresh(y), "mean")
    mean.C.backward()
    result = BatchResult(inputs, p["target"], p["weight"], lr, net, mean, derive(net.C, wrt=[w]),
                         [example_gradient(i1, w, y), example_gradient(i2, w, y)])
    for reduction in ("sum", "mean"):
        rows, wv = [], p["weight"]
        for k in range(p["steps"] + 1):
            wn = Value(wv, label="w")
            n = forward(fresh(i1), fresh(i2), wn, fresh(y), reduction)  # fresh leaves: the explained graph keeps one pass
            n.C.backward()
            rows.append({"step": k, "weight": wv, "cost": n.C.data, "gradient": wn.grad})
            wv -= lr * wn.grad
        result.history[reduction] = rows
    return result

"""Rung 5, a batch of two: one weight, two examples, C = (a₁ − y)² + (a₂ − y)².

The question from the comments: with two inputs i₁ and i₂ through the same
weight, a₁ = i₁·w and a₂ = i₂·w, what is ∂C/∂w? The weight now reaches the
cost along two paths, one per example, and the chain rule adds them:

    ∂C/∂w = ∂C/∂a₁ · ∂a₁/∂w + ∂C/∂a₂ · ∂a₂/∂w = 2(a₁ − y)·i₁ + 2(a₂ − y)·i₂

So the gradient of a batch is the sum of the examples' gradients. With the
mean instead, C = ½[(a₁ − y)² + (a₂ − y)²], every gradient is halved, which
is the same as halving the learning rate: the sum's curvature is
2(i₁² + i₂²), and descent is stable for lr < 2/curvature, twice as large for
the mean.

What each example wants. Alone, example k would move w by its own nudge
−lr·∂Cₖ/∂w: here example 1 (a₁ = 1.2 > y) wants w smaller, example 2
(a₂ = 0.4 < y) wants it larger. The batch does not pick one: its step is
the sum of the nudges, or (the mean) their average, 3Blue1Brown's picture of
averaging what every training example asks for. The lesson shows each
example's gradient and nudge beside their sum and mean at every step, and
``--plot`` draws them.

As tensors (``tensors``) the batch is a vector: x = (i₁, i₂), a = x·w entry
by entry, C = Σ(a − y)², from which ``chainrule code batch --lang
numpy|torch`` is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from ..errors import InvalidValueError
from ..explainer import Derivation, explain as derive
from ..explainer.format import factor, num, pretty, subscript
from ..explainer.forward import forward_lines
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value, parameter
from .contract import Lesson, LessonTensors
from .descent import Descent, descend, stop_section

if TYPE_CHECKING:  # numpy loads with the tensor form only (static_explorer/answers.py)
    from ..tensor import Tensor

NAME = "batch"
SUMMARY = ("A batch of two through one weight: C = (a₁ − y)² + (a₂ − y)², the two paths add; what each example "
           "wants w to do, and the sum or mean of their nudges (--plot).")

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


REDUCTIONS = ("sum", "mean")


def tensor_forward(x: Tensor, w: Tensor, y: Tensor) -> Tensor:
    """The batch as a vector: a = x·w entry by entry (aₖ = iₖ·w), C = Σₖ (aₖ − y)², ``forward``'s summed cost.

    ``forward`` writes one node per example; here the examples are the
    entries of x, so the two paths from w to C are the two entries of one
    product, and the sum over them is the sum of the examples' costs.
    """
    a = (x * w).named("a")
    return ((a - y) ** 2).sum().named("C")


def example_gradient(i: float, w: float, y: float) -> float:
    """∂Cₖ/∂w for one example alone, Cₖ = (i·w − y)², by the engine."""
    w_alone = Parameter(w, label="w")
    cost = ((Value(i, label="i") * w_alone).named("a") - Value(y, label="y")) ** 2
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
    descents: dict[str, Descent]  # "sum" and "mean": one descent each, from the same w
    example_gradients: dict[str, list[list[float]]]  # per descent, per step: each example's ∂Cₖ/∂w alone

    @property
    def stopped(self) -> str:
        """Why a descent stopped early (it diverged), if one did, each named by its reduction."""
        return "; ".join(f"{reduction}: {d.stopped}" for reduction, d in self.descents.items() if d.stopped)

    def graph(self) -> Value:
        return self.network.C

    def examples(self) -> list[dict]:
        """What each example wants at the first step: its activation, cost, gradient alone, and nudge −lr·∂Cₖ/∂w."""
        out = []
        for k, (i, a, g) in enumerate(zip(self.inputs, self.network.outputs, self.per_example), 1):
            nudge = -self.learning_rate * g
            out.append({"example": k, "input": i, "activation": a.data, "cost": (a.data - self.target) ** 2,
                        "gradient": g, "nudge": nudge, "wants": _wants(nudge)})
        return out

    @property
    def curvature(self) -> float:
        """d²C/dw² of the sum: 2(i₁² + i₂²); the mean's is half of it."""
        return 2.0 * sum(i * i for i in self.inputs)

    @property
    def curvature_formula(self) -> str:
        """d²C/dw² of the sum, by sympy from the graph, the inputs kept as symbols: 2i₁² + 2i₂²."""
        import sympy

        from ..explainer.symbolic import to_sympy

        n = self.network
        C = to_sympy(n.C, [n.w, *n.inputs])
        return pretty(sympy.diff(C, sympy.Symbol(n.w.label), 2))


def _wants(nudge: float) -> str:
    """What a nudge asks of w, in words."""
    return "w larger" if nudge > 0 else "w smaller" if nudge < 0 else "w as it is"


def nudge_lines(result: BatchResult) -> list:
    """Each example's nudge −lr·∂Cₖ/∂w, then their sum and their average: the step the batch takes."""
    lr, examples = result.learning_rate, result.examples()
    nudges = [e["nudge"] for e in examples]
    scale = max(abs(v) for v in nudges)
    lines = [Math(f"−lr·dC{subscript(e['example'])}/dw = −{factor(lr)}·{factor(e['gradient'])} = {num(e['nudge'])}",
                  note=f"example {e['example']} alone wants {e['wants']}") for e in examples]
    total, mean = sum(nudges), sum(nudges) / len(nudges)
    lines += [
        Math(f"−lr·∂C/∂w = {' + '.join(factor(v) for v in nudges)} = {num(total, scale=scale)}",
             note=f"their sum, the step of the summed cost: −lr·w.grad = "
                  f"{num(-lr * result.network.w.grad, scale=scale)}"),
        Math(f"−lr·∂C/∂w = ½({' + '.join(factor(v) for v in nudges)}) = {num(mean, scale=scale)}",
             note=f"their average, the step of the mean cost: −lr·w.grad = "
                  f"{num(-lr * result.mean_network.w.grad, scale=scale)}"),
        "The examples disagree, and the batch takes neither example's step: it adds the nudges (or averages "
        "them), so the example that is further off, or has the larger input, pulls harder."
        if (nudges[0] > 0) != (nudges[1] > 0) else
        "Both examples want w to move the same way; the batch's step adds (or averages) how far each wants it.",
    ]
    return lines


def explain(result: BatchResult) -> Report:
    g1, g2 = result.per_example
    total, mean = result.network.w.grad, result.mean_network.w.grad
    paths = result.derivation.parameters[0].paths  # one per example, in the order of the graph
    scale = max(abs(g1), abs(g2))
    gradient_lines = [f"example {k} alone: dC{subscript(k)}/dw = {p.formulas()} = {num(g)}"
                      for k, (p, g) in enumerate(zip(paths, (g1, g2)), 1)]
    gradient_lines += [
        f"the batch (sum): ∂C/∂w = {factor(g1)} + {factor(g2)} = {num(g1 + g2, scale=scale)}; "
        f"the engine: w.grad = {num(total, scale=scale)}",
        f"the batch (mean): ∂C/∂w = ½({factor(g1)} + {factor(g2)}) = {num((g1 + g2) / 2, scale=scale)}; "
        f"the engine: w.grad = {num(mean, scale=scale)}",
    ]
    c = result.curvature
    reduction_lines = [
        f"sum: d²C/dw² = {result.curvature_formula} = {num(c)}, stable for lr < 2/{num(c)} = {num(2 / c)}",
        f"mean: d²C/dw² = ½({result.curvature_formula}) = {num(c / 2)}, stable for lr < {num(4 / c)}",
        "The mean's gradient is half the sum's: the same descent as the sum with half the learning rate, "
        "and it does not grow with the batch size.",
    ]
    summed, mean_steps = result.descents["sum"].steps, result.descents["mean"].steps
    rows = [[str(s.step), num(s.parameters["w"]), num(s.cost), num(s.gradients["w"]), num(m.parameters["w"]),
             num(m.cost), num(m.gradients["w"])] for s, m in zip(summed, mean_steps)]
    example_rows = [[str(e["example"]), num(e["input"]), num(e["activation"]), num(e["cost"]), num(e["gradient"]),
                     num(e["nudge"]), e["wants"]] for e in result.examples()]
    per_step = [[str(m.step), num(m.parameters["w"]), *(num(g) for g in alone), num(sum(alone) / len(alone)),
                 num(m.gradients["w"])] for m, alone in zip(mean_steps, result.example_gradients["mean"])]
    sections = [
        Section("Forward pass", forward_lines(result.network.C), math=True),
        Section("Chain rule: one path per example, and the paths add", derivation=result.derivation),
        Section("Gradients add", gradient_lines),
        Section("What each example wants w to do", nudge_lines(result),
                table=Table(["example", "i", "a", "(a − y)²", "∂Cₖ/∂w alone", "nudge −lr·∂Cₖ/∂w", "wants"],
                            example_rows)),
        Section("Sum or mean", reduction_lines),
        Section("Each example's gradient at every step of the mean's descent",
                ["The examples' own gradients change as w moves; the batch follows their average (the last two "
                 "columns agree: the mean's gradient is the average of the examples')."],
                table=Table(["step", "w", *(f"dC{subscript(k)}/dw" for k in range(1, len(result.inputs) + 1)),
                             "their average", "∂C/∂w (mean)"], per_step)),
        Section(f"Gradient descent (lr = {num(result.learning_rate)})",
                table=Table(["step", "w (sum)", "C (sum)", "∂C/∂w (sum)", "w (mean)", "C (mean)", "∂C/∂w (mean)"], rows)),
        *stop_section(result.stopped),
    ]
    data = {
        "inputs": result.inputs,
        "target": result.target,
        "weight": result.weight,
        "learning_rate": result.learning_rate,
        "derivation": result.derivation.to_json(),
        "per_example_gradients": result.per_example,
        "examples": result.examples(),
        "sum_gradient": total,
        "mean_gradient": mean,
        "curvature_sum": c,
        "stable_learning_rate_sum": 2 / c,
        "stable_learning_rate_mean": 4 / c,
        "steps": {reduction: [s.to_json() for s in d.steps] for reduction, d in result.descents.items()},
        "example_gradients": result.example_gradients,
        "stopped": result.stopped,
    }
    return Report(NAME, "A batch of two: a₁ = i₁·w, a₂ = i₂·w,  C = (a₁ − y)² + (a₂ − y)²", sections, data)


def plot(result: BatchResult, path: str) -> None:
    """Each example's cost and nudge at the first step, and every step's gradients beside their average."""
    from ..viz.nudges import plot_nudges

    plot_nudges(result, path)


def _checked(p: dict) -> list[float]:
    """The two inputs, refused when both are 0 (then w changes nothing)."""
    inputs = [float(v) for v in p["inputs"]]
    if all(i == 0 for i in inputs):
        raise InvalidValueError("inputs: both are 0, so the weight changes nothing; give a non-zero input")
    return inputs


def _first(p: dict, reduction: str = "sum") -> Network:
    """The batch at the initial weight, after one backward pass (the sum's is the graph the lesson explains)."""
    inputs = _checked(p)
    net = forward(Value(inputs[0], label="i₁"), Value(inputs[1], label="i₂"), Parameter(p["weight"], label="w"),
                  Value(p["target"], label="y"), reduction)
    net.C.backward()
    return net


def _cost_at(inputs: list[float], y: float, reduction: str, values: dict[str, float]) -> Value:
    """C at w = ``values["w"]``, on fresh leaves (the explained graphs keep their one pass): a step of descent."""
    return forward(Value(inputs[0], label="i₁"), Value(inputs[1], label="i₂"), Parameter(values["w"], label="w"),
                   Value(y, label="y"), reduction).C


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains, without its descents."""
    return _first(PARAMS.resolve(params)).C


def train(**params) -> BatchResult:
    p = PARAMS.resolve(params)
    lr, inputs, y = p["learning_rate"], _checked(p), p["target"]
    net, mean = _first(p), _first(p, "mean")
    descents, alone = {}, {}
    for reduction in REDUCTIONS:
        descents[reduction] = descend(partial(_cost_at, inputs, y, reduction), {"w": p["weight"]}, lr, p["steps"])
        # what each example wants at every w of the descent
        alone[reduction] = [[example_gradient(i, s.parameters["w"], y) for i in inputs]
                            for s in descents[reduction].steps]
    return BatchResult(inputs, y, p["weight"], lr, net, mean, derive(net.C, wrt=[net.w]),
                       [example_gradient(i, p["weight"], y) for i in inputs], descents, alone)


def tensors(**params) -> LessonTensors:
    """The batch as tensors (``tensor_forward``): x = (i₁, i₂) a vector, w one number that needs its gradient."""
    from ..tensor import Tensor  # numpy loads with the tensor form only (static_explorer/answers.py)
    scalar = _first(PARAMS.resolve(params))
    w = parameter(Tensor(scalar.w.data), "w")
    loss = tensor_forward(Tensor([i.data for i in scalar.inputs], name="x"), w, Tensor(scalar.y.data, name="y"))
    return LessonTensors(loss, scalar.C, [(scalar.w, "w", ())])


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, plot=plot,
                tensors=tensors)

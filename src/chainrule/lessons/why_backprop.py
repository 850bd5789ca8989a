"""Rung 6, why backprop: the cost of *all* the gradients, three ways, as the parameters grow.

The network: one tanh neuron with n inputs, z = Σₖ wₖ·xₖ, a = tanh(z),
C = (a − y)², so n weights. Its n gradients, three ways:

* central finite differences: dC/dwₖ ≈ [C(wₖ + h) − C(wₖ − h)] / 2h, two
  forward passes per parameter: 2n passes;
* forward mode: one forward pass, then one sweep of the graph per
  parameter carrying d(node)/dwₖ forward along the edges
  (tangent(node) = Σ local · tangent(input)): 1 + n passes;
* backprop (reverse mode): one forward pass, one backward pass carrying
  dC/d(node) back along the same edges: 2 passes, whatever n.

That is the clever part: the backward pass shares the tail of every chain
(the δ of the chain lesson) among all the parameters at once. The lesson
counts the passes, times them on this machine (the median of repeated runs,
so that a burst of noise does not hide the trend), and checks the three agree.
Its graph (``graph``) is the largest network, built without timing anything;
its tensor form (``tensors``) is the same neuron with w and x vectors,
z = Σ w ⊙ x.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..explainer.format import num
from ..explainer.report import Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value, parameter
from ..tensor import Tensor
from .contract import Lesson, LessonTensors

NAME = "why-backprop"
SUMMARY = ("Why backprop: passes and time for all n gradients by finite differences (2n), forward mode (1 + n) and "
           "backprop (2), as n grows (--plot).")

PARAMS = Params(
    Param("max_params", 256, "the largest number of parameters (sizes 1, 4, 16, … up to it)", kind="int",
          low=1, high=4096),
    Param("seed", 0, "seed of the weights", kind="int", low=0, high=2**31 - 1),
)
H = 1e-6
# Each method is timed again and again until this much time is spent (at most REPEATS runs); the median counts.
TIME_BUDGET = 0.05
REPEATS = 25
NETWORK = "one tanh neuron with n inputs: z = Σₖ wₖ·xₖ, a = tanh(z), C = (a − y)²"


def network(weights: list[float], inputs: list[float], target: float) -> tuple[list[Value], Value]:
    """Forward pass: z = Σₖ wₖ·xₖ, a = tanh(z), C = (a − y)²."""
    ws = [Parameter(w, label="w") for w in weights]
    z = Value.dot(ws, inputs).named("z")
    C = ((z.tanh().named("a") - target) ** 2).named("C")
    return ws, C


def network_tensors(weights: list[float], inputs: list[float], target: float) -> Tensor:
    """``network`` with vectors: z = Σₖ (w ⊙ x)ₖ, a = tanh(z), C = (a − y)²; C before its backward pass.

    ``network`` adds the n products in one scalar node (``Value.dot``); here
    they are the n entries of one elementwise product, summed, so ∂C/∂w is a
    vector whose entry k is the scalar graph's ∂C/∂wₖ.
    """
    w = parameter(Tensor(weights), "w")
    z = (w * Tensor(inputs, name="x")).sum().named("z")
    return ((z.tanh().named("a") - Tensor(target, name="y")) ** 2).named("C")


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
    seconds: dict[str, float]  # the median over ``repeats`` runs
    repeats: dict[str, int]
    max_difference: float  # largest |gradient − backprop's| over the other methods


@dataclass
class WhyBackpropResult:
    sizes: list[int]
    rows: list[Row] = field(default_factory=list)
    example: tuple = ()  # the largest network: (weights, inputs, target)

    def graph(self) -> Value:
        """The lesson's largest network, n = the last size, after one backward pass."""
        return _backward(*self.example)


def explain(result: WhyBackpropResult) -> Report:
    names = list(METHODS)
    passes = Table(["n", *names], [[str(r.n), *(str(r.passes[m]) for m in names)] for r in result.rows])
    seconds = Table(["n", *names, "max |difference|"],
                    [[str(r.n), *(f"{r.seconds[m] * 1e3:.3g} ms" for m in names), num(r.max_difference, 2)]
                     for r in result.rows])
    last = result.rows[-1]
    time_ratio = last.seconds["finite differences"] / max(last.seconds["backprop"], 1e-12)
    sections = [
        Section(f"The network: {NETWORK}", [f"sizes n = {', '.join(str(n) for n in result.sizes)}"]),
        Section("Passes over the graph for all n gradients", [
            "finite differences: 2 forward passes per parameter = 2n",
            "forward mode: 1 forward pass + 1 tangent sweep per parameter = 1 + n",
            "backprop: 1 forward pass + 1 backward pass = 2, for any n",
        ], table=passes),
        Section("Measured time on this machine (median of repeated runs), and how far each method is from "
                "backprop's gradients", table=seconds),
        Section("The clever part", [
            f"At n = {last.n}, finite differences took {time_ratio:.3g}× as long as backprop.",
            f"At n = {last.n}, forward mode needed {last.passes['forward mode']} passes over the graph, backprop 2.",
            "Backprop walks the graph once, from the cost back, and at every node adds up the contributions of "
            "all the paths through it: each edge is visited once, for all the parameters together.",
        ]),
    ]
    data = {"network": NETWORK, "sizes": result.sizes, "rows": [r.__dict__ for r in result.rows]}
    return Report(NAME, "Why backprop: the cost of every gradient, three ways", sections, data)


def plot(result: WhyBackpropResult, path: str) -> None:
    from ..viz.costs import plot_costs

    plot_costs(result, path)


def _timed(method, weights, inputs, target) -> tuple[list[float], int, float, int]:
    """(gradients, passes, median seconds, repeats): the method run until ``TIME_BUDGET`` is spent."""
    times = []
    while True:
        start = time.perf_counter()
        grads, passes = method(weights, inputs, target)
        times.append(time.perf_counter() - start)
        if len(times) >= REPEATS or sum(times) >= TIME_BUDGET:
            return grads, passes, statistics.median(times), len(times)


def sizes(max_params: int) -> list[int]:
    """n = 1, 4, 16, … up to ``max_params``."""
    out, n = [], 1
    while n <= max_params:
        out.append(n)
        n *= 4
    return out


def networks(p: dict) -> Iterator[tuple[int, list[float], list[float], float]]:
    """(n, weights, inputs, target) for every size, drawn in turn from one seeded generator."""
    rng = random.Random(p["seed"])
    for n in sizes(p["max_params"]):
        weights = [rng.uniform(-1, 1) / n**0.5 for _ in range(n)]
        inputs = [rng.uniform(-1, 1) for _ in range(n)]
        yield n, weights, inputs, 0.5


def _backward(weights: list[float], inputs: list[float], target: float) -> Value:
    """The network's cost after one backward pass."""
    _, C = network(weights, inputs, target)
    C.backward()
    return C


def train(progress: Callable[[int, int], None] | None = None, **params) -> WhyBackpropResult:
    """Time the three methods for n = 1, 4, 16, … up to ``max_params``.

    ``progress(done, total)`` is called after each measurement (the command
    line shows a progress bar with it: the largest sizes take a while).
    """
    p = PARAMS.resolve(params)
    result = WhyBackpropResult(sizes(p["max_params"]))
    total, done = len(result.sizes) * len(METHODS), 0
    for n, weights, inputs, target in networks(p):
        grads, passes, seconds, repeats = {}, {}, {}, {}
        for name, method in METHODS.items():
            grads[name], passes[name], seconds[name], repeats[name] = _timed(method, weights, inputs, target)
            done += 1
            if progress is not None:
                progress(done, total)
        diff = max(abs(g - b) for name in grads for g, b in zip(grads[name], grads["backprop"]))
        result.rows.append(Row(n, passes, seconds, repeats, diff))
        result.example = (weights, inputs, target)
    return result


def _largest(params: dict) -> tuple[list[float], list[float], float]:
    """The largest network's (weights, inputs, target): the seeded draws replayed, nothing timed."""
    _, weights, inputs, target = list(networks(PARAMS.resolve(params)))[-1]
    return weights, inputs, target


def graph(**params) -> Value:
    """The largest network's cost after one backward pass: the graph ``train`` ends with, without its timings."""
    return _backward(*_largest(params))


def tensors(**params) -> LessonTensors:
    """The largest network as tensors (``network_tensors``); ``pairs``: each scalar wₖ beside the entry w[k]."""
    weights, inputs, target = _largest(params)
    loss = network_tensors(weights, inputs, target)
    ws, scalar = network(weights, inputs, target)
    scalar.backward()
    return LessonTensors(loss, scalar, [(w, "w", (k,)) for k, w in enumerate(ws)])


LESSON = Lesson(
    name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, plot=plot,
    tensors=tensors,
    reports_progress=True,  # train(progress=...) reports each measurement: the command line shows a progress bar
    step_through=None,  # its graph (256 weights) is for counting passes, not for stepping through edge by edge
)

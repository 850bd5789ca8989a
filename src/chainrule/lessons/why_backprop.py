"""Rung 6, why backprop: the cost of *all* the gradients, three ways, as the parameters grow.

The network: one tanh neuron with n inputs, z = Σₖ wₖ·xₖ, a = tanh(z),
C = (a − y)², so n weights. Its n gradients, three ways:

* central finite differences: ∂C/∂wₖ ≈ [C(wₖ + h) − C(wₖ − h)] / 2h, two
  forward passes per parameter: 2n passes;
* forward mode: one forward pass, then one sweep of the graph per
  parameter carrying d(node)/dwₖ forward along the edges
  (tangent(node) = Σ local · tangent(input)): 1 + n passes;
* backprop (reverse mode): one forward pass, one backward pass carrying
  ∂C/∂(node) back along the same edges: 2 passes, whatever n.

That is the clever part: the backward pass shares the tail of every chain
(the δ of the chain lesson) among all the parameters at once. The lesson
counts the passes, times them on this machine (the median of repeated runs,
so that a burst of noise does not hide the trend), and checks the three agree.

Then depth. In a network of m tanh neurons per layer and d layers, the
first weight w¹₁₁ reaches the cost along m^(d−1) paths: every path through
a neuron goes on to each of the m neurons of the next layer. The chain rule
sums a product over each of them, ∂C/∂w = Σ over paths Π local derivatives
(``explainer.paths``). Backprop lists none: at every node it adds what
reaches it from its users, so it multiplies along each edge once, and a
layer adds its edges while the paths multiply. The lesson counts the paths
on each real graph (``count_paths``), counts the edges backprop multiplies
along, times its pass, and, while there are few enough to list, lists the
paths, sums their products and times that too: the same number, at a cost
that grows as the paths do.

The numbers are written as a person writes them down: every weight and
input drawn (seeded) and kept to two significant digits, so the exercise
(``chainrule exercise why-backprop``: the neuron with n = 3 inputs x₁ x₂ x₃,
whose three gradients share one ∂C/∂z) gives hand-sized numbers with the
symbols printed here.
Its graph (``graph``) is the largest neuron, built without timing anything;
its tensor form (``tensors``) is the same neuron with w and x vectors,
z = Σ w ⊙ x.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ..explainer.format import num, subscript, superscript
from ..explainer.paths import count_paths, iter_paths, product_from_cost
from ..explainer.report import Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value, parameter
from .contract import Lesson, LessonTensors

if TYPE_CHECKING:  # numpy loads with the tensor form only (static_explorer/answers.py)
    from ..tensor import Tensor

NAME = "why-backprop"
SUMMARY = ("Why backprop: passes and time for all n gradients by finite differences (2n), forward mode (1 + n) and "
           "backprop (2), as n grows (--plot).")

PARAMS = Params(
    Param("max_params", 256, "the largest number of parameters (sizes 1, 4, 16, … and this one)", kind="int",
          low=1, high=4096),
    Param("target", 0.5, "the target y", low=-1, high=1, symbol="y"),
    Param("seed", 0, "seed of the weights and inputs", kind="int", low=0, high=2**31 - 1),
)
H = 1e-6
# Each method is timed again and again until this much time is spent (at most REPEATS runs); the median counts.
TIME_BUDGET = 0.05
REPEATS = 25
NETWORK = "one tanh neuron with n inputs: z = Σₖ wₖ·xₖ, a = tanh(z), C = (a − y)²"
# The depth experiment: m neurons per layer for each m of WIDTHS, d = 1 … MAX_DEPTH layers.
WIDTHS = (2, 3)
MAX_DEPTH = 10
# The paths are listed and their products summed one by one only up to this many (beyond: counted, not listed).
LISTED_PATHS = 1000
DEPTH_NETWORK = ("m tanh neurons per layer, d layers: zˡⱼ = Σₖ wˡⱼₖ·aˡ⁻¹ₖ, aˡⱼ = tanh(zˡⱼ), with a⁰ₖ = xₖ; "
                 "C = Σⱼ (aᵈⱼ − y)²")
FIRST = "w¹₁₁"  # the weight whose paths the depth experiment counts: the first of the first layer

T = TypeVar("T")


def written(x: float) -> float:
    """``x`` to two significant digits, as a person writes a number down: 0.26822 → 0.27, −0.0041893 → −0.0042."""
    return float(f"{x:.2g}")


def network(weights: list[float], inputs: list[float], target: float) -> tuple[list[Value], Value]:
    """Forward pass: z = Σₖ wₖ·xₖ, a = tanh(z), C = (a − y)².

    The weights are ``Parameter`` leaves w₁ … wₙ; the inputs x₁ … xₙ and the
    target y are labelled leaves (given, not learned), so every number of
    the graph has the symbol the lesson prints.
    """
    ws = [Parameter(w, label=f"w{subscript(k)}") for k, w in enumerate(weights, 1)]
    xs = [Value(x, label=f"x{subscript(k)}") for k, x in enumerate(inputs, 1)]
    z = Value.dot(ws, xs).named("z")
    C = ((z.tanh().named("a") - Value(target, label="y")) ** 2).named("C")
    return ws, C


def network_tensors(weights: list[float], inputs: list[float], target: float) -> Tensor:
    """``network`` with vectors: z = Σₖ (w ⊙ x)ₖ, a = tanh(z), C = (a − y)²; C before its backward pass.

    ``network`` adds the n products in one scalar node (``Value.dot``); here
    they are the n entries of one elementwise product, summed, so ∂C/∂w is a
    vector whose entry k is the scalar graph's ∂C/∂wₖ.
    """
    from ..tensor import Tensor  # numpy loads with the tensor form only (static_explorer/answers.py)
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


# ------------------------------------------------------------------ depth
def deep_network(width: int, depth: int, target: float, rng: random.Random) -> tuple[Parameter, Value]:
    """(w¹₁₁, C) of ``DEPTH_NETWORK``, before backward: ``width`` tanh neurons in each of ``depth`` layers.

    zˡⱼ = Σₖ wˡⱼₖ·aˡ⁻¹ₖ (one ``Value.dot`` node), aˡⱼ = tanh(zˡⱼ), from the
    inputs a⁰ₖ = xₖ; C = Σⱼ (aᵈⱼ − y)². Inputs and weights are drawn from
    ``rng`` (weights scaled by 1/√width), to two significant digits.
    """
    below = [Value(written(rng.uniform(-1, 1)), label=f"x{subscript(k)}") for k in range(1, width + 1)]
    first: list[Parameter] = []  # w¹₁₁, once made
    for layer in range(1, depth + 1):
        up = superscript(layer)
        above = []
        for j in range(1, width + 1):
            weights = [Parameter(written(rng.uniform(-1, 1) / width**0.5), label=f"w{up}{subscript(j)}{subscript(k)}")
                       for k in range(1, width + 1)]
            if not first:
                first.append(weights[0])
            z = Value.dot(weights, below).named(f"z{up}{subscript(j)}")
            above.append(z.tanh().named(f"a{up}{subscript(j)}"))
        below = above
    y = Value(target, label="y")
    return first[0], Value.sum([(a - y) ** 2 for a in below]).named("C")


def edges_below(cost: Value) -> int:
    """The edges of the graph below ``cost``: ``Value.backward`` multiplies along each of them once.

    Each node passes its gradient to each of its inputs, grad(input) += local · grad(node), one edge at a time,
    and passes it on only once (when all its users have passed theirs): so its work is one multiply-add per edge.
    """
    return sum(len(node.inputs) for node in cost.nodes())


def sum_over_paths(cost: Value, wrt: Value) -> float:
    """∂C/∂w as the chain rule writes it: every path from ``wrt`` to ``cost`` listed, its product taken, all added."""
    return sum(product_from_cost(path) for path in iter_paths(cost, wrt))


@dataclass
class DepthRow:
    width: int
    depth: int
    paths: int  # the paths from w¹₁₁ to C, counted on the graph (explainer.paths.count_paths)
    edges: int  # the edges below C: backprop multiplies along each once
    seconds: float  # backprop's pass, the median over ``repeats`` runs
    repeats: int
    gradient: float  # ∂C/∂w¹₁₁ by backprop
    listed_seconds: float | None = None  # the paths listed and summed (None: more than LISTED_PATHS, not listed)
    listed_repeats: int = 0
    path_sum: float | None = None  # ∂C/∂w¹₁₁ as that sum


def depth_row(width: int, depth: int, target: float, rng: random.Random) -> DepthRow:
    """One network of the depth experiment: its paths and edges counted, backprop (and the paths, if few) timed."""
    w, C = deep_network(width, depth, target, rng)
    order = C.nodes()
    paths = count_paths(C, w, order)
    C.backward()
    gradient = w.grad
    _, seconds, repeats = _timed(C.backward)
    row = DepthRow(width, depth, paths, edges_below(C), seconds, repeats, gradient)
    if paths <= LISTED_PATHS:
        row.path_sum, row.listed_seconds, row.listed_repeats = _timed(lambda: sum_over_paths(C, w))
    return row


# ----------------------------------------------------------------- result
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
    depth_rows: list[DepthRow] = field(default_factory=list)  # by width, then depth

    def graph(self) -> Value:
        """The lesson's largest network, n = the last size, after one backward pass."""
        return _backward(*self.example)

    def by_width(self) -> dict[int, list[DepthRow]]:
        """The depth experiment's rows, by width, each list by depth."""
        out: dict[int, list[DepthRow]] = {}
        for row in self.depth_rows:
            out.setdefault(row.width, []).append(row)
        return out


def _ms(seconds: float | None) -> str:
    return "not listed" if seconds is None else f"{seconds * 1e3:.3g} ms"


def _depth_sections(result: WhyBackpropResult) -> list[Section]:
    """The depth experiment: what was counted, one table per width, and the point in two sentences."""
    widths = result.by_width()
    sections = [Section("Depth: the paths multiply, backprop's work adds", [
        f"The network: {DEPTH_NETWORK}.",
        f"widths m = {', '.join(str(m) for m in widths)}; depths d = 1 … {MAX_DEPTH}; y = {num(result.example[2])}",
        f"paths: from {FIRST} to C, counted on each graph; edges: those backprop multiplies along, once each; "
        f"the paths are listed and their products summed where there are at most {LISTED_PATHS}",
    ])]
    for m, rows in widths.items():
        table = Table(["d", f"paths {FIRST} → C", "edges", "backprop's pass", "the paths listed and summed"],
                      [[str(r.depth), str(r.paths), str(r.edges), _ms(r.seconds), _ms(r.listed_seconds)]
                       for r in rows])
        gap = max(abs(r.path_sum - r.gradient) for r in rows if r.path_sum is not None)
        sections.append(Section(f"Width m = {m}", [
            f"where listed, the sum over the paths is backprop's ∂C/∂{FIRST} to within {num(gap, 2)}",
        ], table=table))
    m = max(widths)  # the widest: its paths multiply fastest
    rows = widths[m]
    last, before = rows[-1], rows[-2]
    listed = [r for r in rows if r.listed_seconds is not None][-1]
    sections.append(Section("The point, with depth", [
        f"At depth {last.depth} and width {m}, {FIRST} reaches C by {last.paths} paths, ×{last.paths // before.paths} "
        f"with every layer, while backprop multiplied along {last.edges} edges, {last.edges - before.edges} more "
        "per layer: it never lists a path, it adds at each node what the paths through it carry.",
        f"Listing and summing the {listed.paths} paths of depth {listed.depth} took {_ms(listed.listed_seconds)}, "
        f"backprop's whole pass {_ms(listed.seconds)}, for every weight at once.",
    ]))
    return sections


def explain(result: WhyBackpropResult) -> Report:
    names = list(METHODS)
    passes = Table(["n", *names], [[str(r.n), *(str(r.passes[m]) for m in names)] for r in result.rows])
    seconds = Table(["n", *names, "max |difference|"],
                    [[str(r.n), *(f"{r.seconds[m] * 1e3:.3g} ms" for m in names), num(r.max_difference, 2)]
                     for r in result.rows])
    last = result.rows[-1]
    time_ratio = last.seconds["finite differences"] / max(last.seconds["backprop"], 1e-12)
    sections = [
        Section(f"The network: {NETWORK}", [f"sizes n = {', '.join(str(n) for n in result.sizes)}; "
                                            f"y = {num(result.example[2])}"]),
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
        *_depth_sections(result),
    ]
    data = {"network": NETWORK, "sizes": result.sizes, "rows": [r.__dict__ for r in result.rows],
            "depth": {"network": DEPTH_NETWORK, "weight": FIRST, "widths": list(result.by_width()),
                      "max_depth": MAX_DEPTH, "listed_paths": LISTED_PATHS,
                      "rows": [asdict(r) for r in result.depth_rows]}}
    return Report(NAME, "Why backprop: the cost of every gradient, three ways", sections, data)


def plot(result: WhyBackpropResult, path: str) -> None:
    from ..viz.costs import plot_costs

    plot_costs(result, path)


def _timed(run: Callable[[], T]) -> tuple[T, float, int]:
    """(what ``run()`` returns, the median seconds of its runs, how many): run until ``TIME_BUDGET`` is spent."""
    times = []
    while True:
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
        if len(times) >= REPEATS or sum(times) >= TIME_BUDGET:
            return out, statistics.median(times), len(times)


def sizes(max_params: int) -> list[int]:
    """n = 1, 4, 16, … below ``max_params``, then ``max_params`` itself: the largest network has that many."""
    out, n = [], 1
    while n < max_params:
        out.append(n)
        n *= 4
    return out + [max_params]


def networks(p: dict) -> Iterator[tuple[int, list[float], list[float], float]]:
    """(n, weights, inputs, target) for every size, drawn in turn from one seeded generator (two digits each)."""
    rng = random.Random(p["seed"])
    for n in sizes(p["max_params"]):
        weights = [written(rng.uniform(-1, 1) / n**0.5) for _ in range(n)]
        inputs = [written(rng.uniform(-1, 1)) for _ in range(n)]
        yield n, weights, inputs, p["target"]


def _backward(weights: list[float], inputs: list[float], target: float) -> Value:
    """The network's cost after one backward pass."""
    _, C = network(weights, inputs, target)
    C.backward()
    return C


def train(progress: Callable[[int, int], None] | None = None, **params) -> WhyBackpropResult:
    """Time the three methods for n = 1, 4, 16, … up to ``max_params``; then the depth experiment.

    ``progress(done, total)`` is called after each timing of the three methods (the command line shows a
    progress bar with it: the largest sizes take a while; the depth experiment after them is quick).
    """
    p = PARAMS.resolve(params)
    result = WhyBackpropResult(sizes(p["max_params"]))
    total, done = len(result.sizes) * len(METHODS), 0
    for n, weights, inputs, target in networks(p):
        grads, passes, seconds, repeats = {}, {}, {}, {}
        for name, method in METHODS.items():
            (grads[name], passes[name]), seconds[name], repeats[name] = _timed(
                lambda method=method: method(weights, inputs, target))
            done += 1
            if progress is not None:
                progress(done, total)
        diff = max(abs(g - b) for name in grads for g, b in zip(grads[name], grads["backprop"]))
        result.rows.append(Row(n, passes, seconds, repeats, diff))
        result.example = (weights, inputs, target)
    rng = random.Random(p["seed"])
    result.depth_rows = [depth_row(m, d, p["target"], rng) for m in WIDTHS for d in range(1, MAX_DEPTH + 1)]
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

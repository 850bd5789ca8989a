"""Rung 7, the learning rate: where it comes from, and what it does.

The learning rate is not learned: it is a *hyperparameter*, a number a
person chooses before training. For the simplest network the good ones can
be derived: the cost is a parabola of curvature C″ = 2i², and each step
multiplies the distance to the answer by r = 1 − lr·C″:

    0 < lr < 1/C″        0 < r < 1     converges from one side
    lr = 1/C″            r = 0         lands in one step
    1/C″ < lr < 2/C″    −1 < r < 0    overshoots: oscillates, and converges
    lr = 2/C″            r = −1        oscillates forever
    lr > 2/C″            r < −1        diverges

A real network has no single curvature, so practitioners choose by trying:

* a **learning-rate range test**: train briefly at rates growing
  geometrically and watch the loss; it falls faster as the rate grows, then
  blows up. A good rate sits below the blow-up, near the fastest fall;
* a **schedule**: start large, then lower the rate as training goes on
  (step decay, cosine), so that early steps are bold and late ones settle;
* **Adam**, which gives each weight its own step, η·m̂/(√v̂ + ε): a weight
  whose gradients are small gets a relatively larger step.

The lesson shows each on a small network, MLP(1 → 4 tanh → 1), fitting four
points; ``--plot`` draws the sweeps and the range test. Every sweep, every
rate of the range test and both schedules are the one shared descent
(``descent.descend``) at another rate; Adam, an optimizer rather than
gradient descent, steps by its own loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..explainer.format import num, subscript
from ..explainer.report import Report, Section, Table
from ..gradcheck import graph_parameters
from ..neuron import MLP
from ..params import Param, Params
from ..scalar import Parameter, Value
from . import simplest
from .contract import Lesson, LessonTensors
from .descent import Descent, descend

NAME = "learning-rate"
SUMMARY = ("The learning rate: a hyperparameter. Convergence, oscillation and divergence, a range test, schedules "
           "and Adam, on the simplest network and a small MLP (--plot).")

PARAMS = Params(
    Param("steps", 60, "descent steps at each rate", kind="int", low=1, high=500),
    Param("seed", 1, "seed of the small network", kind="int", low=0, high=2**31 - 1),
)
# Learning rates of the sweeps: for the simplest network as fractions of 2/C″ (the edge of stability).
SIMPLEST_FRACTIONS = (0.1, 0.5, 0.75, 1.0, 1.1)
MLP_RATES = (0.1, 0.6, 0.7, 1.3, 2.0)
# A rate too large to use as it is on the small network, which a schedule still brings down.
SCHEDULE_RATE = 0.8
# The range test: rates from 10⁻³ to 10, each × 10^(1/3), a few steps each from the same start.
RANGE_RATES = tuple(10 ** (k / 3) for k in range(-9, 4))
RANGE_STEPS = 15
# Four points of y = x² − 0.5 for the small network to fit.
POINTS = ((-1.0, 0.5), (-0.3, -0.41), (0.4, -0.34), (0.9, 0.31))
DIVERGED = 1e6
ADAM = dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8)
NETWORK = "MLP(1 → 4 tanh → 1), mean squared error on 4 points of y = x² − 0.5"


def behaviour(costs: list[float]) -> str:
    """What descent did, read from the costs: 'diverges', 'oscillates', 'converges' or 'converges slowly'."""
    if not all(math.isfinite(c) for c in costs) or costs[-1] > costs[0] or costs[-1] > DIVERGED:
        return "diverges"
    if any(b > a * (1 + 1e-9) for a, b in zip(costs, costs[1:])):
        return "oscillates"
    if costs[-1] < 1e-2 * costs[0]:
        return "converges"
    return "converges slowly"


def weight_behaviour(weights: list[float], optimum: float) -> str:
    """What descent did, read from the distances w − w*: converges, overshoots, oscillates forever or diverges."""
    gaps = [w - optimum for w in weights]
    size = [abs(g) for g in gaps]
    if size[-1] > size[0] * (1 + 1e-9):
        return "diverges"
    flips = any(a * b < 0 for a, b in zip(gaps, gaps[1:]))
    if size[-1] >= size[0] * (1 - 1e-9) and size[0] > 0:
        return "oscillates forever" if flips else "stays"
    return "converges, oscillating" if flips else "converges"


# The small network's parameters, in the order MLP(1, [4, 1]) draws them: each hidden unit's weight and bias
# (w¹ⱼ: the input → unit j, b¹ⱼ), then the output's weights (w²ⱼ: unit j → the output) and its bias b².
HIDDEN = 4
NAMES = tuple(name for j in range(1, HIDDEN + 1) for name in (f"w¹{subscript(j)}", f"b¹{subscript(j)}")) + tuple(
    f"w²{subscript(j)}" for j in range(1, HIDDEN + 1)) + ("b²",)
# What the descent of a sweep says when its cost passes DIVERGED (it stops there: the rest would only grow).
TOO_LARGE = f"The cost passed {DIVERGED:g}: the descent diverged."


def start(seed: int) -> dict[str, float]:
    """The small network's first weights: MLP(1, [4, 1], tanh)'s seeded draw (uniform in [−1, 1], biases 0)."""
    return dict(zip(NAMES, (p.data for p in MLP(1, [HIDDEN, 1], activation="tanh", seed=seed).parameters())))


def mlp_cost(values: dict[str, float]) -> Value:
    """The small network's cost at ``values``: the mean squared error on ``POINTS``.

    hⱼₙ = tanh(w¹ⱼ·xₙ + b¹ⱼ), aₙ = Σⱼ w²ⱼ·hⱼₙ + b², eₙ = (aₙ − yₙ)², C = (e₁ + e₂ + e₃ + e₄)/4, the weights and
    biases made as ``Parameter``\\ s labelled ``NAMES`` (what ``descend`` moves); the values are named for
    point n: the hidden units hⱼₙ, the output aₙ and the squared error eₙ.
    """
    p = {name: Parameter(values[name], label=name) for name in NAMES}
    errors = []
    for n, (x, y) in enumerate(POINTS, 1):
        hidden = [Value.dot([p[f"w¹{subscript(j)}"]], [x], p[f"b¹{subscript(j)}"]).tanh()
                  .named(f"h{subscript(j)}{subscript(n)}") for j in range(1, HIDDEN + 1)]
        a = Value.dot([p[f"w²{subscript(j)}"] for j in range(1, HIDDEN + 1)], hidden, p["b²"]).named(f"a{subscript(n)}")
        errors.append(((a - y) ** 2).named(f"e{subscript(n)}"))
    return (Value.sum(errors) * (1.0 / len(POINTS))).named("C")


def mlp_descent(learning_rate: float, steps: int, seed: int, schedule: str = "constant") -> Descent:
    """Plain gradient descent on the small network (the shared ``descend``), stopped once the cost passes ``DIVERGED``.

    ``schedule``: "constant", or "cosine" (the rate of step k falls from
    ``learning_rate`` to 0 along half a cosine over the ``steps``:
    lr·(1 + cos(πk/steps))/2).
    """
    def cosine(k: int) -> float:
        return 0.5 * learning_rate * (1 + math.cos(math.pi * k / steps))

    return descend(mlp_cost, start(seed), learning_rate, steps, stop=lambda s: TOO_LARGE if s.cost > DIVERGED else "",
                   schedule=cosine if schedule == "cosine" else None)


def mlp_costs(learning_rate: float, steps: int, seed: int, schedule: str = "constant") -> list[float]:
    """The small network's cost at each step of ``mlp_descent``; inf last when the numbers outgrew a float."""
    d = mlp_descent(learning_rate, steps, seed, schedule)
    return d.costs + ([float("inf")] if d.stopped and d.stopped != TOO_LARGE else [])


def adam_steps(steps: int, seed: int) -> tuple[list[float], list[tuple[str, float, float, float]]]:
    """Adam on the small network: its costs, and at the first step each weight's gradient, plain step and Adam step.

    m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ) at the t-th step, and each
    weight moves by η·m̂/(√v̂ + ε). The loop is Adam's own, not the shared ``descend``: Adam is an optimizer, not
    gradient descent (its step is not lr·∂C/∂w), and it computes (η·m̂)/(√v̂ + ε); handed to ``descend`` as a
    direction m̂/(√v̂ + ε) that ``descend`` multiplies by η, the same step rounds differently, and the costs
    printed since this lesson was written would move in their last digits.
    """
    b1, b2, eps, lr = ADAM["beta1"], ADAM["beta2"], ADAM["eps"], ADAM["lr"]
    values = start(seed)
    m = dict.fromkeys(values, 0.0)
    v = dict.fromkeys(values, 0.0)
    costs, first = [], []
    for t in range(1, steps + 2):
        C = mlp_cost(values)
        costs.append(C.data)
        if t == steps + 1:
            break
        C.backward()
        gradients = {p.label: p.grad for p in graph_parameters(C)}
        for name in NAMES:
            g = gradients[name]
            m[name] = b1 * m[name] + (1 - b1) * g
            v[name] = b2 * v[name] + (1 - b2) * g * g
            step = lr * (m[name] / (1 - b1**t)) / (math.sqrt(v[name] / (1 - b2**t)) + eps)
            if t == 1:
                first.append((name, g, lr * g, step))
            values[name] -= step
    return costs, first


@dataclass
class Sweep:
    learning_rate: float
    costs: list[float]
    behaviour: str
    theory: str = ""  # the simplest network's verdict from r = 1 − lr·C″

    def to_json(self) -> dict:
        return dict(vars(self))


@dataclass
class LearningRateResult:
    steps: int
    seed: int
    curvature: float
    simplest: list[Sweep] = field(default_factory=list)
    mlp: list[Sweep] = field(default_factory=list)
    range_test: list[tuple[float, float]] = field(default_factory=list)  # (lr, cost after RANGE_STEPS)
    schedules: list[Sweep] = field(default_factory=list)  # constant and cosine, from the same too-large rate
    adam: list[float] = field(default_factory=list)
    adam_first_step: list[tuple[str, float, float, float]] = field(default_factory=list)

    def graph(self) -> Value:
        """The small network's cost after one backward pass: the network this lesson trains."""
        return small_network(self.seed)

    @property
    def suggested(self) -> float:
        """The range test's choice: the rate with the lowest cost after its few steps."""
        finite = [(c, lr) for lr, c in self.range_test if math.isfinite(c)]
        return min(finite)[1]

    @property
    def blow_up(self) -> float | None:
        """The smallest rate of the range test whose cost ended above where it started (or not finite)."""
        start = self.mlp[0].costs[0]  # every sweep starts from the same weights
        for lr, c in self.range_test:
            if not math.isfinite(c) or c > start:
                return lr
        return None


def explain(result: LearningRateResult) -> Report:
    c = result.curvature
    blow_up = result.blow_up
    range_lines = [f"Each rate trains {RANGE_STEPS} steps from the same start; the cost they reach:",
                   f"the lowest is at lr = {num(result.suggested, 3)}" + (
                       f"; from lr = {num(blow_up, 3)} the cost ends above where it started: too large." if blow_up
                       else ".")]
    constant, cosine = result.schedules
    sections = [
        Section("The learning rate is a hyperparameter", [
            "Nothing in backprop computes it: a person chooses it before training, and the same network can "
            "converge, oscillate or diverge depending on that choice.",
            "For the simplest network the stable range can be derived (below). For a real network practitioners "
            "find it by trying: a range test, then often a schedule, or an optimizer like Adam that adapts the step "
            "of each weight.",
        ]),
        Section("The simplest network: C″ = 2i²", [
            f"C″ = {num(c)}: one step at lr = 1/C″ = {num(1 / c)}; stable for lr < 2/C″ = {num(2 / c)}.",
            "Each step multiplies the distance to w* by r = 1 − lr·C″.",
        ], table=Table(["lr", "r = 1 − lr·C″", "theory", "C at the end", "what happened"], [
            [num(s.learning_rate), num(1 - s.learning_rate * c), s.theory, num(s.costs[-1]), s.behaviour]
            for s in result.simplest])),
        Section(f"A small network: {NETWORK}", [
            "No single curvature here, but the same behaviours appear as the rate grows.",
        ], table=Table(["lr", "C at step 0", "C at the end", "what happened"], [
            [num(s.learning_rate), num(s.costs[0]), num(s.costs[-1]), s.behaviour] for s in result.mlp])),
        Section("A learning-rate range test on the small network", range_lines,
                table=Table(["lr", f"C after {RANGE_STEPS} steps"],
                            [[num(lr, 3), num(cost)] for lr, cost in result.range_test])),
        Section(f"A schedule: lr = {num(constant.learning_rate)} (too large to keep), constant and cosine-decayed", [
            f"constant: C goes from {num(constant.costs[0])} to {num(constant.costs[-1])} ({constant.behaviour});",
            f"cosine (the rate falls to 0 along half a cosine over {result.steps} steps): C ends at "
            f"{num(cosine.costs[-1])} ({cosine.behaviour}).",
            "Bold steps while the cost is high, small ones near the bottom: most training recipes decay the rate.",
        ]),
        Section(f"Adam: a step size for each weight (lr = {num(ADAM['lr'])})", [
            "Adam steps by η·m̂/(√v̂ + ε), where m̂ and v̂ are running averages of the gradient and of its square: at the "
            "first step that is η·g/|g| = ±η for every weight, however small its gradient. Plain gradient descent "
            "steps by η·g: weights with small gradients barely move.",
            f"After {result.steps} steps Adam's cost is {num(result.adam[-1])} (it started at {num(result.adam[0])}).",
        ], table=Table(["parameter", "∂C/∂p", "plain step η·∂C/∂p", "Adam's step"],
                       [[name, num(g), num(plain), num(step)] for name, g, plain, step in result.adam_first_step])),
    ]
    data = {
        "steps": result.steps,
        "curvature": result.curvature,
        "simplest": [s.to_json() for s in result.simplest],
        "mlp": [s.to_json() for s in result.mlp],
        "range_test": [{"learning_rate": lr, "cost": cost} for lr, cost in result.range_test],
        "range_test_suggestion": result.suggested,
        "range_test_blow_up": blow_up,
        "schedules": [s.to_json() for s in result.schedules],
        "adam": {"settings": ADAM, "costs": result.adam,
                 "first_step": [{"parameter": n, "gradient": g, "plain_step": p, "adam_step": s}
                                for n, g, p, s in result.adam_first_step]},
    }
    return Report(NAME, "The learning rate: a hyperparameter, chosen by a person", sections, data)


def plot(result: LearningRateResult, path: str) -> None:
    from ..viz.sweep import plot_sweep

    plot_sweep(result, path)


def train(**params) -> LearningRateResult:
    p = PARAMS.resolve(params)
    steps, seed = p["steps"], p["seed"]
    first = simplest.train(steps=0)
    c = first.curvature
    result = LearningRateResult(steps, seed, c)
    for fraction in SIMPLEST_FRACTIONS:
        lr = fraction * 2 / c
        run = simplest.train(learning_rate=lr, steps=min(steps, simplest.PARAMS["steps"].high), tolerance=0.0)
        costs = [s.cost for s in run.steps]
        weights = [s.parameters["w"] for s in run.steps]
        result.simplest.append(Sweep(lr, costs, weight_behaviour(weights, run.optimum_weight), run.verdict))
    for lr in MLP_RATES:
        costs = mlp_costs(lr, steps, seed)
        result.mlp.append(Sweep(lr, costs, behaviour(costs)))
    result.range_test = [(lr, mlp_costs(lr, RANGE_STEPS, seed)[-1]) for lr in RANGE_RATES]
    for schedule in ("constant", "cosine"):
        costs = mlp_costs(SCHEDULE_RATE, steps, seed, schedule)
        result.schedules.append(Sweep(SCHEDULE_RATE, costs, behaviour(costs), schedule))
    result.adam, result.adam_first_step = adam_steps(steps, seed)
    return result


def small_network(seed: int) -> Value:
    """The small network's cost at its first weights (from ``seed``), after one backward pass."""
    C = mlp_cost(start(seed))
    C.backward()
    return C


def graph(**params) -> Value:
    """The cost after one backward pass: the small network the lesson trains, at its first weights."""
    return small_network(PARAMS.resolve(params)["seed"])


def tensors(**params) -> LessonTensors:
    """The small network as matrices: the 4 points are the rows of x, z1 = x·W1 + b1, a1 = tanh(z1), a = a1·W2 + b2.

    C = Σ(a − y)² · ¼, the mean squared error; W1[0, j − 1] is w¹ⱼ, W2[j − 1, 0] is w²ⱼ.
    """
    from .tensor_form import dense  # numpy loads with the tensor form only (static_explorer/answers.py)
    cost = graph(**params)
    p = {q.label: q for q in graph_parameters(cost)}
    units = range(1, HIDDEN + 1)
    layers = [([[p[f"w¹{subscript(j)}"]] for j in units], [p[f"b¹{subscript(j)}"] for j in units], "tanh"),
              ([[p[f"w²{subscript(j)}"] for j in units]], [p["b²"]], "linear")]
    loss, pairs = dense([[x] for x, _ in POINTS], layers, [[y] for _, y in POINTS], 1.0 / len(POINTS))
    return LessonTensors(loss, cost, pairs)


LESSON = Lesson(
    name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, tensors=tensors, plot=plot,
    # the step-through as an exercise would ask more questions than fit one sitting (a value for each of the
    # graph's nodes, a product for each of its 97 edges: 200 with the lesson's own); `chainrule exercise
    # learning-rate` asks the network's named values (42 questions)
    step_exercise=False,
)

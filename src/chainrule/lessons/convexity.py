"""Rung 9, why the cost is not convex: the video's parabola, a sigmoid that bends it, and minima that come in twins.

The video's cost is a parabola in w, C(w) = (i·w − y)², with curvature C″ = 2i² > 0
everywhere: it is *convex* (every chord lies above the curve), so it has one
minimum and descent finds it from anywhere.

Put a sigmoid in, C(w) = (σ(i·w) − y)², and the curvature changes sign: far from the
answer σ flattens and the cost flattens with it, so C″ < 0 there. The cost bends the
wrong way: a chord lies *below* the curve. It still has one minimum, but no longer
the guarantee.

With two hidden units the cost has many minima, for a reason that has nothing to
do with the data: the units can be swapped. If (unit 1, unit 2) is a minimum, so is
(unit 2, unit 1), with exactly the same cost; every minimum has a twin. A convex
function would be at most that cost on the whole segment between them, but halfway
the two units are equal and the network is as good as one unit: the cost rises, a
bump between the twins.

Curvature comes from backprop itself: the gradient, computed by ``backward()``, is
differentiated by central differences, C″(w) ≈ [C′(w + h) − C′(w − h)] / 2h, and
compared with sympy's second derivative of the same graph.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import InvalidValueError
from ..explainer.format import num, pretty, subscript, superscript
from ..explainer.report import Math, Report, Section, Table
from ..gradcheck import graph_parameters
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson, LessonTensors
from .descent import Step, descend, ranking_section

if TYPE_CHECKING:  # for annotations: sympy is imported where a formula is written
    import sympy

NAME = "convexity"
SUMMARY = ("Why the cost is not convex: the video's parabola (C″ = 2i² > 0), a sigmoid that makes C″ change sign, and "
           "two hidden units whose swap gives every minimum a twin (--plot).")
# The curvature of the one-weight costs is sampled on this grid of w (and shown at the few points below).
GRID = (-6.0, 6.0, 121)
CURVATURE_AT = (-4.0, -2.0, 0.0, 1.0, 3.0)
H = 1e-4  # central differences of the gradient
# The two-unit network learns a bump; it needs both units (one tanh is monotone).
DATA_X = (-2.0, -1.0, 0.0, 1.0, 2.0)
DATA_Y = (0.0, 0.5, 1.0, 0.5, 0.0)
SLICE = (-0.25, 1.25, 61)  # s along θ* + s·(twin − θ*)

PARAMS = Params(
    Param("input", 1.5, "the input i of the one-weight costs", low=-10, high=10, symbol="i", min_abs=1e-3,
          nonzero="C = (i·w − y)² would not depend on w"),
    Param("target", 0.8, "the target y of the one-weight costs (inside (0, 1): the sigmoid can reach it)",
          low=0, high=1, low_open=True, high_open=True, symbol="y"),
    Param("seed", 0, "seed of the two-unit network's initial weights", kind="int", low=0, high=2**31 - 1),
    Param("learning_rate", 0.05, "the two-unit network's learning rate (faster rates oscillate on this data)", low=0,
          low_open=True, high=0.1, flags=("--lr",), symbol="lr"),
    Param("steps", 2000, "descent steps of the two-unit network", kind="int", low=0, high=20000),
)


# ------------------------------------------------------------ one weight
def parabola(i: float, w: Value, y: float) -> Value:
    """The video's cost: a = i·w, C = (a − y)²."""
    a = (Value(i, label="i") * w).named("a")
    return ((a - Value(y, label="y")) ** 2).named("C")


def through_sigmoid(i: float, w: Value, y: float) -> Value:
    """The same with a sigmoid: z = i·w, a = σ(z), C = (a − y)²."""
    z = (Value(i, label="i") * w).named("z")
    a = z.sigmoid().named("a")
    return ((a - Value(y, label="y")) ** 2).named("C")


def gradient(build, i: float, y: float, weight: float) -> float:
    """C′(w) by one backward pass."""
    w = Parameter(weight, label="w")
    build(i, w, y).backward()
    return w.grad


def curvature(build, i: float, y: float, weight: float) -> float:
    """C″(w): backprop's gradient differentiated by central differences."""
    return (gradient(build, i, y, weight + H) - gradient(build, i, y, weight - H)) / (2 * H)


@dataclass
class Curve:
    """One one-weight cost over the grid: C, C′ and C″ from the engine, C″ from sympy."""

    name: str
    cost_formula: str
    curvature_formula: str
    variable: str  # what the formula's a stands for ("a = σ(1.5w)"), or "" when it is written in w
    weights: list[float]
    costs: list[float]
    gradients: list[float]
    curvatures: list[float]  # backprop, differentiated
    exact: list[float]  # sympy's C″ at the same weights
    sign_changes: list[float]  # where C″ = 0 (bisection on backprop's curvature)
    sign_changes_exact: list[float]  # where sympy's C″ = 0 (the roots of its factors in a = σ(i·w))
    minimum: float  # where C′ = 0 (bisection on backprop's gradient)

    @property
    def max_difference(self) -> float:
        return max(abs(a - b) for a, b in zip(self.curvatures, self.exact))

    @property
    def convex(self) -> bool:
        return all(c > 0 for c in self.exact)

    def to_json(self) -> dict:
        return dict(vars(self), max_difference=self.max_difference, convex=self.convex)


def _bisect(f, lo: float, hi: float, iterations: int = 60) -> float:
    """A root of f between lo and hi, where f changes sign."""
    f_lo = f(lo)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        f_mid = f(mid)
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return (lo + hi) / 2


def _in_activation(second: sympy.Expr, i: float) -> tuple[str, str, list[float]]:
    """C″ written with a = σ(i·w) and factored by sympy, and the w where a factor is 0 (C″ changes sign).

    For the parabola (no σ) it is C″ itself and there is no such w.
    """
    import sympy

    from ..explainer.symbolic import as_floats, sigmoid

    sigmas = list(second.atoms(sigmoid))
    if len(sigmas) != 1:
        return pretty(as_floats(sympy.factor(second))), "", []
    a = sympy.Symbol("a")
    factored = sympy.factor(second.xreplace({sigmas[0]: a}))
    roots = sorted(float(r) for r in sympy.real_roots(sympy.Poly(sympy.numer(sympy.together(factored)), a))
                   if 0.0 < float(r) < 1.0)
    where = [math.log(r / (1.0 - r)) / i for r in roots]  # σ(i·w) = r
    return pretty(as_floats(factored)), f"a = {pretty(as_floats(sigmas[0]))}", sorted(where)


def curve(name: str, build, i: float, y: float) -> Curve:
    import sympy

    from ..explainer.symbolic import as_floats, to_sympy

    w_sym = sympy.Symbol("w")
    leaf = Parameter(0.0, label="w")
    cost = to_sympy(build(i, leaf, y), symbols={leaf: w_sym})
    second = sympy.diff(cost, w_sym, 2)
    formula, variable, exact_changes = _in_activation(second, i)
    low, high, count = GRID
    weights = [low + (high - low) * k / (count - 1) for k in range(count)]
    costs = [build(i, Value(w), y).data for w in weights]
    gradients = [gradient(build, i, y, w) for w in weights]
    curvatures = [curvature(build, i, y, w) for w in weights]
    exact = [float(second.subs(w_sym, w).evalf()) for w in weights]
    changes = [_bisect(lambda v: curvature(build, i, y, v), a, b)
               for a, b, ca, cb in zip(weights, weights[1:], curvatures, curvatures[1:]) if (ca > 0) != (cb > 0)]
    k = min(range(count), key=lambda n: costs[n])
    lo, hi = weights[max(k - 1, 0)], weights[min(k + 1, count - 1)]
    minimum = _bisect(lambda v: gradient(build, i, y, v), lo, hi)
    return Curve(name, pretty(as_floats(sympy.expand(cost))), formula, variable, weights, costs, gradients,
                 curvatures, exact, changes, exact_changes, minimum)


# ---------------------------------------------------------- two units
UNIT_NAMES = tuple(f"{kind}{subscript(k)}" for k in (1, 2) for kind in (f"w{superscript(1)}", f"b{superscript(1)}",
                                                                           f"w{superscript(2)}"))
NAMES = UNIT_NAMES + (f"b{superscript(2)}",)  # w¹₁ b¹₁ w²₁ w¹₂ b¹₂ w²₂ b²


def two_units(theta: list) -> Value:
    """a(x) = w²₁·tanh(w¹₁x + b¹₁) + w²₂·tanh(w¹₂x + b¹₂) + b², C = Σ over the data of (a(x) − y)².

    The values are named for example n: hₖₙ (unit k), aₙ and its share of the cost Cₙ, so that an
    explanation (or an exercise) can say which number it means.
    """
    w11, b11, w21, w12, b12, w22, b2 = theta
    terms = []
    for n, (x, y) in enumerate(zip(DATA_X, DATA_Y), 1):
        h1 = Value.dot([w11], [x], b11).tanh().named(f"h₁{subscript(n)}")
        h2 = Value.dot([w12], [x], b12).tanh().named(f"h₂{subscript(n)}")
        a = Value.dot([w21, w22], [h1, h2], b2).named(f"a{subscript(n)}")
        terms.append(((a - y) ** 2).named(f"C{subscript(n)}"))
    return Value.sum(terms).named("C")


def leaves(theta: list[float]) -> list[Value]:
    return [Parameter(v, label=name) for v, name in zip(theta, NAMES)]


def cost_and_gradient(theta: list[float]) -> tuple[float, list[float]]:
    params = leaves(theta)
    C = two_units(params)
    C.backward()
    return C.data, [p.grad for p in params]


def swap(theta: list[float]) -> list[float]:
    """The twin: unit 1 and unit 2 exchanged (their input weight, bias and output weight), b² kept."""
    return theta[3:6] + theta[0:3] + theta[6:]


def flip(theta: list[float]) -> list[float]:
    """tanh is odd: unit 1 with every sign flipped computes the opposite, and its output weight flips it back."""
    return [-v for v in theta[0:3]] + theta[3:]


def initial(seed: int) -> list[float]:
    """Weights drawn uniformly from [−1, 1] (seeded), biases 0."""
    rng = random.Random(seed)
    theta = [round(rng.uniform(-1, 1), 2) for _ in NAMES]
    for k in (1, 4, 6):
        theta[k] = 0.0
    return theta


def slice_curvature(theta: list[float], direction: list[float], s: float) -> float:
    """d²C/ds² along θ + s·d: backprop's directional derivative ∇C·d, differentiated by central differences."""
    def slope(at: float) -> float:
        _, g = cost_and_gradient([t + at * d for t, d in zip(theta, direction)])
        return sum(a * b for a, b in zip(g, direction))

    return (slope(s + H) - slope(s - H)) / (2 * H)


def slice_curvature_exact(theta: list[float], direction: list[float], points: tuple[float, ...]) -> list[float]:
    """d²C/ds² along the same line by sympy, from the same graph (every leaf = θₖ + s·dₖ)."""
    import sympy

    from ..explainer.symbolic import to_sympy

    s = sympy.Symbol("s")
    params = leaves(theta)
    C = two_units(params)
    line = {p: sympy.Float(t) + s * sympy.Float(d) for p, t, d in zip(params, theta, direction)}
    second = sympy.diff(to_sympy(C, symbols=line, exact=False), s, 2)
    return [float(second.subs(s, at).evalf()) for at in points]


@dataclass
class Twins:
    seed: int
    initial: list[float]
    steps: int
    learning_rate: float
    theta: list[float]  # θ*, after descent
    cost: float
    gradient_norm: float
    twin_cost: float
    twin_gradient_norm: float
    flipped_cost: float
    slice_s: list[float]
    slice_costs: list[float]
    curvature_at: list[float]  # s = 0, ½, 1
    curvature: list[float]  # backprop, differentiated
    curvature_exact: list[float]  # sympy
    history: list[Step] = field(default_factory=list)  # the shared descent's records, every few steps and the last

    @property
    def twin(self) -> list[float]:
        return swap(self.theta)

    @property
    def midpoint_cost(self) -> float:
        return self.slice_costs[min(range(len(self.slice_s)), key=lambda k: abs(self.slice_s[k] - 0.5))]

    @property
    def bump(self) -> float:
        """The highest cost on the segment between the twins, above the twins' cost."""
        inside = [c for s, c in zip(self.slice_s, self.slice_costs) if 0.0 <= s <= 1.0]
        return max(inside) - max(self.cost, self.twin_cost)

    @property
    def distinct(self) -> bool:
        """The twins are two points (the units differ), not one."""
        return max(abs(a - b) for a, b in zip(self.theta, self.twin)) > 1e-6

    def to_json(self) -> dict:
        out = dict(vars(self))
        out["history"] = [s.to_json() for s in self.history]
        out.update(twin=self.twin, midpoint_cost=self.midpoint_cost, bump=self.bump, distinct=self.distinct,
                   names=list(NAMES))
        return out


def graph(**params) -> Value:
    """The two-unit network's cost at its initial weights (from ``seed``), after one backward pass.

    What ``train(**params).graph()`` gives, without the descent and the curvatures (which take a second).
    """
    p = PARAMS.resolve(params)
    C = two_units(leaves(initial(p["seed"])))
    C.backward()
    return C


def twins(seed: int, learning_rate: float, steps: int) -> Twins:
    """Descend from seed's start (the shared ``descend``), then look at where it stopped, its twin and between them."""
    start = initial(seed)
    descent = descend(lambda values: two_units(leaves([values[name] for name in NAMES])), dict(zip(NAMES, start)),
                      learning_rate, steps)
    if descent.stopped:
        raise InvalidValueError(f"learning_rate = {learning_rate}: descent from seed {seed} diverged at step "
                                f"{len(descent.steps)}; allowed: a smaller learning rate")
    record = max(1, steps // 10)
    history = [s for s in descent.steps if s.step % record == 0 or s.step == steps]
    last = descent.steps[-1]
    theta, C, g = [last.parameters[name] for name in NAMES], last.cost, [last.gradients[name] for name in NAMES]
    twin = swap(theta)
    C_twin, g_twin = cost_and_gradient(twin)
    direction = [b - a for a, b in zip(theta, twin)]
    low, high, count = SLICE
    ss = [low + (high - low) * k / (count - 1) for k in range(count)]
    costs = [two_units(leaves([t + s * d for t, d in zip(theta, direction)])).data for s in ss]
    at = (0.0, 0.5, 1.0)
    return Twins(
        seed=seed, initial=start, steps=steps, learning_rate=learning_rate, theta=theta, cost=C,
        gradient_norm=math.sqrt(sum(v * v for v in g)), twin_cost=C_twin,
        twin_gradient_norm=math.sqrt(sum(v * v for v in g_twin)),
        flipped_cost=two_units(leaves(flip(theta))).data, slice_s=ss, slice_costs=costs, curvature_at=list(at),
        curvature=[slice_curvature(theta, direction, s) for s in at],
        curvature_exact=slice_curvature_exact(theta, direction, at), history=history,
    )


# ------------------------------------------------------------- the lesson
@dataclass
class ConvexityResult:
    input: float
    target: float
    parabola: Curve
    sigmoid: Curve
    twins: Twins
    chord: tuple[float, float] | None  # two weights whose chord lies below the sigmoid cost

    def graph(self) -> Value:
        """The two-unit network's cost at its initial weights, after one backward pass."""
        C = two_units(leaves(self.twins.initial))
        C.backward()
        return C


def _regions(c: Curve, build, i: float, y: float) -> str:
    """Where C″ > 0 and where C″ < 0, between the sign changes: 'C″ > 0 for −0.58 < w < 1.51; C″ < 0 for …'."""
    edges = [None, *c.sign_changes, None]
    low, high = c.weights[0], c.weights[-1]
    parts: dict[bool, list[str]] = {True: [], False: []}
    for a, b in zip(edges, edges[1:]):
        sample = (a + b) / 2 if a is not None and b is not None else (low if a is None else high)
        where = (f"{num(a, 4)} < w < {num(b, 4)}" if a is not None and b is not None
                 else f"w < {num(b, 4)}" if a is None else f"w > {num(a, 4)}")
        parts[curvature(build, i, y, sample) > 0].append(where)
    return "; ".join(f"C″ {'>' if sign else '<'} 0 for {' and for '.join(parts[sign])}"
                     for sign in (True, False) if parts[sign])


def explain(result: ConvexityResult) -> Report:
    import sympy

    from ..explainer.symbolic import to_sympy

    i, y = result.input, result.target
    p, s, t = result.parabola, result.sigmoid, result.twins
    w_sym = sympy.Symbol("w")

    def table(c: Curve, build) -> Table:
        leaf = Parameter(0.0, label="w")
        second = sympy.diff(to_sympy(build(i, leaf, y), symbols={leaf: w_sym}), w_sym, 2)
        rows = [[num(w), num(build(i, Value(w), y).data), num(gradient(build, i, y, w)),
                 num(curvature(build, i, y, w)), num(float(second.subs(w_sym, w).evalf()))] for w in CURVATURE_AT]
        return Table(["w", "C", "C′ (backprop)", "C″ (backprop, differentiated)", "C″ (sympy)"], rows)

    parabola_lines = [
        Math(f"C(w) = (i·w − y)² = {p.cost_formula}", note="sympy, from the graph"),
        Math(f"d²C/dw² = 2i² = {p.curvature_formula}", note="sympy: the same at every w"),
        f"Backprop's gradient, differentiated by central differences (h = {num(H)}), gives C″ within "
        f"{num(p.max_difference, 3)} of it at all {len(p.weights)} weights from {num(GRID[0])} to {num(GRID[1])}.",
        f"C″ > 0 everywhere: C is convex, every chord lies above the curve, and the one minimum, "
        f"w* = {num(p.minimum, scale=GRID[1] - GRID[0])}, is where descent goes from any start.",
    ]
    changes = ", ".join(f"w = {num(w, 4)}" for w in s.sign_changes)
    exact_changes = ", ".join(f"w = {num(w, 4)}" for w in s.sign_changes_exact)
    sigmoid_lines = [
        Math(f"C(w) = (σ(i·w) − y)² = {s.cost_formula}"),
        Math(f"d²C/dw² = {s.curvature_formula}", note=f"sympy, from the graph, with {s.variable}"),
        f"Backprop's differentiated gradient agrees with sympy within {num(s.max_difference, 3)} on the grid.",
        (f"C″ changes sign at {changes} (bisection on backprop's curvature; sympy's factors vanish at "
         f"{exact_changes}): {_regions(s, through_sigmoid, i, y)}. Where C″ < 0 the sigmoid flattens and the cost "
         "flattens with it.") if s.sign_changes else "On this grid C″ does not change sign.",
    ]
    if result.chord is not None:
        a, b = result.chord
        ca, cb = s.costs[s.weights.index(a)], s.costs[s.weights.index(b)]
        mid = through_sigmoid(i, Value((a + b) / 2), y).data
        sigmoid_lines.append(Math(f"C({num((a + b) / 2)}) = {num(mid)} > (C({num(a)}) + C({num(b)}))/2 = "
                                  f"{num((ca + cb) / 2)}", note="a chord below the curve: not convex"))
    sigmoid_lines.append(f"There is still one minimum, at w* = {num(s.minimum, scale=GRID[1] - GRID[0])} (σ(i·w*) = y), but where C″ < 0 the "
                         "slope fades as w moves away: descent from far out crawls across a plateau.")
    unit = lambda th, k: ", ".join(f"{NAMES[3 * k + j]} = {num(th[3 * k + j], 4)}" for j in range(3))  # noqa: E731
    minimum_word = "a minimum" if t.gradient_norm < 1e-6 else "where descent stopped (not yet a minimum)"
    twin_lines = [
        f"a(x) = w²₁·tanh(w¹₁x + b¹₁) + w²₂·tanh(w¹₂x + b¹₂) + b², C = Σ (a(x) − y)² over the {len(DATA_X)} points "
        f"x = {', '.join(num(x) for x in DATA_X)} with y = {', '.join(num(v) for v in DATA_Y)} (a bump: one tanh "
        "cannot make it, two can).",
        f"After {t.steps} steps of descent (lr = {num(t.learning_rate)}, from seed {t.seed}'s start): θ*, "
        f"{minimum_word}:",
        f"unit 1: {unit(t.theta, 0)};  unit 2: {unit(t.theta, 1)};  b² = {num(t.theta[6], 4)}",
        Math(f"C(θ*) = {num(t.cost)},  |∇ C(θ*)| = {num(t.gradient_norm)}"),
        f"Its twin θ*′ swaps the two units: unit 1: {unit(t.twin, 0)};  unit 2: {unit(t.twin, 1)}",
        Math(f"C(θ*′) = {num(t.twin_cost)},  |∇ C(θ*′)| = {num(t.twin_gradient_norm)}",
             note="the same cost: the sum does not care which unit is which"),
        Math(f"C = {num(t.flipped_cost)}", note="with unit 1's signs flipped: tanh is odd, another copy of the minimum"),
        "So the minima come in copies (2 orders of the units times 2 signs for each: 8 here), and the cost cannot "
        "be convex: a convex cost would be at most C(θ*) on the whole segment between two minima.",
    ]
    slice_lines = [
        Math("θ(s) = θ* + s·(θ*′ − θ*)", note="s = 0 is θ*, s = 1 its twin"),
        Math(f"C(θ(½)) = {num(t.midpoint_cost)} > (C(θ*) + C(θ*′))/2 = {num((t.cost + t.twin_cost) / 2)}",
             note="halfway the two units are equal: the network is one unit twice"),
        f"The bump: the cost rises by {num(t.bump)} between the twins.",
    ]
    for at, c, e in zip(t.curvature_at, t.curvature, t.curvature_exact):
        slice_lines.append(Math(f"d²C/ds² at s = {num(at)}: {num(c)}", note=f"backprop, differentiated; sympy: {num(e)}"))
    slice_rows = [[num(sv), num(c)] for k, (sv, c) in enumerate(zip(t.slice_s, t.slice_costs)) if k % 5 == 0]
    sections = [
        Section("The video's cost is a parabola: convex", parabola_lines, table=table(p, parabola)),
        Section("Through a sigmoid the curvature changes sign", sigmoid_lines, table=table(s, through_sigmoid)),
        Section("Two hidden units: every minimum has a twin", twin_lines),
        Section("A slice through the twins: the bump between them", slice_lines,
                table=Table(["s", "C(θ(s))"], slice_rows)),
        ranking_section(t.history),
    ]
    data = {
        "input": i,
        "target": y,
        "grid_step": (GRID[1] - GRID[0]) / (GRID[2] - 1),
        "parabola": p.to_json(),
        "sigmoid": s.to_json(),
        "chord": list(result.chord) if result.chord is not None else None,
        "twins": t.to_json(),
        "data_x": list(DATA_X),
        "data_y": list(DATA_Y),
    }
    title = f"Why the cost is not convex: i = {num(i)}, y = {num(y)}; two hidden units, seed {t.seed}"
    return Report(NAME, title, sections, data)


def plot(result: ConvexityResult, path: str) -> None:
    from ..viz.convexity import plot_convexity

    plot_convexity(result, path)


def _chord(c: Curve) -> tuple[float, float] | None:
    """The widest run of grid weights where C″ < 0 (from backprop): its ends, whose chord lies below the curve."""
    best, start = None, None
    for k, value in enumerate(c.curvatures + [1.0]):
        if value < 0 and start is None:
            start = k
        elif value >= 0 and start is not None:
            if k - 1 > start and (best is None or k - 1 - start > best[1] - best[0]):
                best = (start, k - 1)
            start = None
    return None if best is None else (c.weights[best[0]], c.weights[best[1]])


def train(**params) -> ConvexityResult:
    """The curvature of the two one-weight costs, and the two-unit network trained and sliced between its twins."""
    p = PARAMS.resolve(params)
    i, y = p["input"], p["target"]
    sig = curve("sigmoid", through_sigmoid, i, y)
    return ConvexityResult(i, y, curve("parabola", parabola, i, y), sig,
                           twins(p["seed"], p["learning_rate"], p["steps"]), _chord(sig))


def tensors(**params) -> LessonTensors:
    """The two tanh units as a 1-2-1 network over the five points, the points the rows of x: C = Σ (a − y)².

    z1 = x·W1 + b1 (W1[0, k − 1] = w¹ₖ, b1[k − 1] = b¹ₖ), a1 = tanh(z1),
    a = a1·W2 + b2 (W2[k − 1, 0] = w²ₖ, b2[0] = b²), at seed's initial weights.
    """
    from .tensor_form import dense  # numpy loads with the tensor form only (static_explorer/answers.py)
    cost = graph(**params)
    leaf = {p.label: p for p in graph_parameters(cost)}
    w11, b11, w21, w12, b12, w22, b2 = (leaf[name] for name in NAMES)
    layers = [([[w11], [w12]], [b11, b12], "tanh"), ([[w21, w22]], [b2], "linear")]
    loss, pairs = dense([[x] for x in DATA_X], layers, [[y] for y in DATA_Y])
    return LessonTensors(loss, cost, pairs)


LESSON = Lesson(
    name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, tensors=tensors, plot=plot,
    # the step-through as an exercise would ask more questions than fit one sitting (a value for each of the
    # graph's nodes, a product for each of its 70 edges: 143 with the lesson's own); `chainrule exercise
    # convexity` asks the network's named values (43 questions)
    step_exercise=False,
)

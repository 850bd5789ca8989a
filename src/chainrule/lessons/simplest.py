"""Rung 1, the video's example: one input, one weight, one output, one cost.

    i —w→ a        a = i·w                 (the output, or activation)
                   C = (a − y)²            (the cost, for target y)

The chain rule:  dC/dw = dC/da · da/dw = 2(a − y) · i

With i = 1.5 and y = 0.8 that is 1.5·2(1.5w − 0.8) = 4.5w − 2.4 (the video
printed 4.5w − 1.5, which is the formula for y = 0.5). Gradient descent
repeats  w ← w − lr · dC/dw  until the gradient vanishes at w* = y/i.

Why the learning rate must be small: C is a parabola in w with curvature
C'' = 2i², so each step multiplies the distance to the answer by
r = 1 − lr·C'' = 1 − 2·lr·i². Descent converges when |r| < 1, that is for
0 < lr < 2/C'' = 1/i², and lands in one step at lr = 1/C'' = 1/(2i²).

Every number below is computed: the forward and backward passes by the
engine, the formulas by sympy from the same graph (derived once with i, y and
w as symbols, then given the numbers).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import sympy

from ..explainer.format import factor, num, pretty, substitute
from ..explainer.report import Math, Report, Section, Table
from ..explainer.polynomial import Polynomial
from ..explainer.symbolic import to_sympy
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson

NAME = "simplest"
SUMMARY = "The video's example: i —w→ a, C = (a − y)², the chain rule with numbers and gradient descent."

PARAMS = Params(
    Param("input", 1.5, "the input i", low=-100, high=100, symbol="i", min_abs=1e-150,
          nonzero="a = i·w is 0 whatever the weight, so there is nothing to learn (w* = y/i)"),
    Param("target", 0.8, "the target y", low=-100, high=100, symbol="y"),
    Param("weight", 0.8, "the initial weight w", low=-100, high=100, symbol="w"),
    Param("learning_rate", 0.1, "the learning rate lr", low=0, low_open=True, high=10, flags=("--lr",), symbol="lr"),
    Param("steps", 100, "the most descent steps", kind="int", low=0, high=1000),
    Param("tolerance", 1e-6, "stop once |dC/dw| is below this", low=0, high=1),
)
# The formula the video showed on screen, quoted to explain the typo.
VIDEO_TYPO = "4.5w − 1.5"
# Divergence is certain once the distance to w* grew this many steps in a row, or passed this many times the start.
GREW_IN_A_ROW = 3
GREW_BY = 1e6


@dataclass
class Network:
    """The graph of one forward pass: i and w feed a, which with y feeds C."""

    i: Value
    w: Value
    y: Value
    a: Value
    C: Value


def forward(i: Value, w: Value, y: Value) -> Network:
    """a = i·w, C = (a − y)²."""
    a = (i * w).named("a")
    C = ((a - y) ** 2).named("C")
    return Network(i, w, y, a, C)


@dataclass
class Step:
    """One row of the descent: the weight at this step and what it gives."""

    step: int
    weight: float
    activation: float
    cost: float
    gradient: float


@dataclass
class ChainFactor:
    """One link of the chain rule, e.g. dC/da = 2(a − y) = 2(1.2 − 0.8) = 0.8."""

    name: str  # "dC/da"
    formula: str  # "2(a − y)"
    with_numbers: str  # "2(1.2 − 0.8)"
    in_weight: str  # "2(1.5w − 0.8)": the formula with everything but w put in
    value: float


@dataclass
class SimplestResult:
    input: float
    target: float
    weight: float
    learning_rate: float
    tolerance: float
    max_steps: int
    factors: list[ChainFactor]
    gradient_formula: Polynomial  # exact, e.g. 9w/2 − 12/5 (written 4.5w − 2.4)
    cost_formula: Polynomial  # expanded: 9w²/4 − 12w/5 + 16/25
    optimum_weight: float
    curvature: float
    convergence_factor: float
    steps: list[Step] = field(default_factory=list)
    stopped: str = ""
    network: Network | None = None

    # ----------------------------------------------------------- derived facts
    @property
    def first(self) -> Step:
        return self.steps[0]

    @property
    def converged(self) -> bool:
        return self.stopped == "converged"

    @property
    def stable_learning_rates(self) -> tuple[float, float]:
        """Descent converges for learning rates strictly inside this interval: (0, 2/C'')."""
        return (0.0, 2.0 / self.curvature)

    @property
    def fastest_learning_rate(self) -> float:
        """1/C'': the rate that lands on w* in one step."""
        return 1.0 / self.curvature

    @property
    def verdict(self) -> str:
        r = self.convergence_factor
        if r == 0.0:
            return "one step"
        if 0.0 < r < 1.0:
            return "converges"
        if -1.0 < r < 0.0:
            return "converges, oscillating"
        if r == -1.0:
            return "oscillates forever"
        return "diverges"

    def gradient_text(self) -> str:
        """The closed form as sympy prints it, parsable back: '4.5*w - 2.4'."""
        return self.gradient_formula.text()

    def graph(self) -> Value:
        """The graph of the first step, rebuilt from fresh leaves, after one backward pass.

        Fresh leaves, because the leaves of ``network`` (i, y) are reused by
        the descent and have accumulated the gradients of every step.
        """
        n = self.network
        fresh = forward(*(type(v)(v.data, label=v.label) for v in (n.i, n.w, n.y)))
        fresh.C.backward()
        return fresh.C


# --------------------------------------------------------------- the explanation
def forward_lines(result: SimplestResult, step: Step) -> list[Math]:
    """a = i·w and C = (a − y)² at one step, with its numbers."""
    return [
        Math(f"a = i·w = {factor(result.input)} · {factor(step.weight)} = {num(step.activation)}"),
        Math(f"C = (a − y)² = ({num(step.activation)} − {factor(result.target)})² = {num(step.cost)}"),
    ]


def chain_rule_lines(result: SimplestResult, factors: list[ChainFactor] | None = None,
                     gradient: float | None = None) -> list[Math]:
    """dC/dw = dC/da · da/dw = 2(a − y) · i = 2(1.2 − 0.8) · 1.5 = 1.2 (at the first step unless told)."""
    factors = factors if factors is not None else result.factors
    gradient = result.first.gradient if gradient is None else gradient
    names = " · ".join(f.name for f in factors)
    formulas = " · ".join(f.formula for f in factors)
    numbers = " · ".join(f.with_numbers for f in factors)
    return [Math(f"dC/dw = {names} = {formulas}"), Math(f"      = {numbers} = {num(gradient)}")]


def closed_form_line(result: SimplestResult) -> str:
    factors = "·".join(f.in_weight for f in reversed(result.factors))
    return f"dC/dw = {factors} = {pretty(result.gradient_formula.text())}"


def typo_line(result: SimplestResult) -> str | None:
    """The video's typo, explained, when the run uses the video's input and target."""
    if (result.input, result.target) != (PARAMS["input"].default, PARAMS["target"].default):
        return None
    other = _analyse(result.input, 0.5).gradient
    return (
        f"The video's on-screen {VIDEO_TYPO} is a typo: that is the formula for y = 0.5 "
        f"({pretty(other.text())}); with y = {num(result.target)} it is {pretty(result.gradient_formula.text())}."
    )


def learning_rate_lines(result: SimplestResult) -> list[str]:
    lo, hi = result.stable_learning_rates
    return [
        f"C(w) = {pretty(result.cost_formula.text())} is a parabola with curvature "
        f"C'' = 2i² = {num(result.curvature)}.",
        f"Each step multiplies (w − w*) by r = 1 − lr·C'' = 1 − {factor(result.learning_rate)}·{factor(result.curvature)}"
        f" = {num(result.convergence_factor)}.",
        f"Descent converges for {num(lo)} < lr < 1/i² = {num(hi)}; it lands in one step at lr = 1/(2i²) = "
        f"{num(result.fastest_learning_rate)}.",
        f"With lr = {num(result.learning_rate)}: {result.verdict}.",
    ]


CHOOSING = (
    "The learning rate is not learned: it is a hyperparameter, a number a person chooses. For this parabola the "
    "range that works can be derived (above); for a real network practitioners find it by trying: a learning-rate "
    "range test (train briefly at rates growing geometrically and watch the loss), a schedule that lowers it as "
    "training goes on, or Adam, which scales each weight's step by the size of its recent gradients. "
    "`chainrule lesson learning-rate` shows all of them."
)


def warning(result: SimplestResult) -> str | None:
    r = result.convergence_factor
    lo, hi = result.stable_learning_rates
    if r <= -1.0:
        what = "oscillates without settling" if r == -1.0 else "diverges"
        return (
            f"Warning: lr = {num(result.learning_rate)} is too large: |r| = {num(abs(r))} ≥ 1, so descent {what}. "
            f"Use 0 < lr < {num(hi)}."
        )
    if r < 0.0:
        return (f"Note: lr = {num(result.learning_rate)} overshoots: w jumps across w* = {num(result.optimum_weight)} "
                "at every step (r < 0).")
    return None


def stop_line(result: SimplestResult) -> str:
    last = result.steps[-1]
    if result.stopped == "converged":
        return f"Converged after {last.step} steps: |dC/dw| = {num(abs(last.gradient))} < {num(result.tolerance)}."
    if result.stopped == "diverged":
        return (f"Stopped at step {last.step}: diverging for certain (the distance to w* = {num(result.optimum_weight)} "
                f"grew {GREW_IN_A_ROW} steps in a row, or passed {num(GREW_BY)} times where it started): "
                f"w = {num(last.weight)}, C = {num(last.cost)}.")
    return f"Stopped after the step limit ({result.max_steps}); |dC/dw| = {num(abs(last.gradient))}."


# How close to w* the weight must be for a stop to be called "at the minimum": a thousandth of w*'s size (or of 1).
AT_MINIMUM = 1e-3


def status_line(result: SimplestResult, last=None) -> str:
    """Where the descent stands at step ``last`` (default: the last step), in one line, by the run's own rules.

    The stop test is the run's: |dC/dw| below ``result.tolerance`` (the request's, not a fixed number); a
    tolerance of 0 asks for every step without stopping early (the explorer steps k at a time), and then the
    lesson's declared tolerance judges where the descent stands. A slope that small is not always a weight
    near w*: with a tiny input the cost is almost flat everywhere (C″ = 2i²), so the line says how far w
    still is when it is not within ``AT_MINIMUM`` of w*.
    """
    last = result.steps[-1] if last is None else last
    tolerance = result.tolerance or PARAMS["tolerance"].default
    w_star = result.optimum_weight
    away = abs(last.weight - w_star)
    if result.stopped == "diverged" and last is result.steps[-1]:
        return stop_line(result)
    if abs(last.gradient) < tolerance:
        if away <= AT_MINIMUM * max(1.0, abs(w_star)):
            return (f"At the minimum after {last.step} steps: |dC/dw| = {num(abs(last.gradient))} < "
                    f"{num(tolerance)}, w = {num(last.weight)} ≈ w* = y/i = {num(w_star)}.")
        return (f"Stopped after {last.step} steps: |dC/dw| = {num(abs(last.gradient))} is below the tolerance "
                f"{num(tolerance)}, yet w = {num(last.weight)} is {num(away)} from w* = y/i = {num(w_star)}: "
                f"with i = {num(result.input)} the cost is almost flat (C″ = 2i² = {num(2 * result.input ** 2)}), "
                "so its slope is tiny far from the minimum.")
    return f"w* = y/i = {num(w_star)}; the weight is {num(away)} away."


def explain(result: SimplestResult) -> Report:
    """The explanation of a run: forward pass, chain rule, closed form, the descent, the learning rate."""
    first = result.first
    title = (f"The network  i —w→ a      i = {num(result.input)}, w = {num(result.weight)}, "
             f"target y = {num(result.target)}, learning rate = {num(result.learning_rate)}")
    rows = [[str(s.step), num(s.weight), num(s.activation), num(s.cost), num(s.gradient)] for s in result.steps]
    sections = [
        Section("Forward pass", forward_lines(result, first)),
        Section("Chain rule (first step)", chain_rule_lines(result)),
        Section("Closed form (sympy)", [Math(closed_form_line(result))] + list(filter(None, [typo_line(result)]))),
        Section("Gradient descent: w ← w − lr · dC/dw", table=Table(["step", "w", "a", "C", "dC/dw"], rows)),
        Section("", [stop_line(result)]),
        Section("", [f"Answer: w* = y/i = {num(result.target)}/{factor(result.input)} = {num(result.optimum_weight)}"],
                style="bold"),
        Section("Where the learning rate comes from", learning_rate_lines(result) + [CHOOSING]),
    ]
    note = warning(result)
    if note:
        sections.append(Section("", [note], style="bold yellow" if result.convergence_factor > -1 else "bold red"))
    lo, hi = result.stable_learning_rates
    data = {
        "input": result.input,
        "target": result.target,
        "initial_weight": result.weight,
        "learning_rate": result.learning_rate,
        "tolerance": result.tolerance,
        "forward": {"activation": first.activation, "cost": first.cost},
        "chain_rule": [asdict(f) for f in result.factors],
        "gradient_formula": result.gradient_text(),
        "gradient_formula_latex": result.gradient_formula.latex(),
        "optimum_weight": result.optimum_weight,
        "curvature": result.curvature,
        "convergence_factor": result.convergence_factor,
        "stable_learning_rates": [lo, hi],
        "fastest_learning_rate": result.fastest_learning_rate,
        "verdict": result.verdict,
        "converged": result.converged,
        "stopped": result.stopped,
        "steps": [asdict(s) for s in result.steps],
    }
    return Report(NAME, title, sections, data)


def plot(result: SimplestResult, path: str) -> None:
    """The cost parabola, each step and its tangent (``viz.descent``)."""
    from ..viz.descent import plot_descent

    plot_descent(result, path)


# ------------------------------------------------------------------- the maths
_I, _Y, _W = sympy.symbols("i y w")


@dataclass(frozen=True)
class _InNumbers:
    """A formula of i and y, ready to be evaluated exactly: numerator and denominator as integer polynomials."""

    numerator: tuple[tuple[tuple[int, int], int], ...]  # ((power of i, power of y), integer coefficient), ...
    denominator: tuple[tuple[tuple[int, int], int], ...]

    @classmethod
    def of(cls, expr: sympy.Expr) -> "_InNumbers":
        top, bottom = sympy.fraction(sympy.together(expr))
        terms = lambda e: tuple((m, int(c)) for m, c in sympy.Poly(e, _I, _Y).terms())  # noqa: E731
        return cls(terms(top), terms(bottom))

    def __call__(self, i: Fraction, y: Fraction) -> Fraction:
        value = lambda terms: sum((c * i**a * y**b for (a, b), c in terms), Fraction(0))  # noqa: E731
        return value(self.numerator) / value(self.denominator)


@dataclass(frozen=True)
class _General:
    """What sympy derives from the graph once, with i, y and w as symbols.

    C and dC/dw are expanded, so with numbers for i and y they are
    polynomials in w (i²w² − 2iyw + y², 2i²w − 2iy): each is kept as its
    coefficients, formulas of i and y.
    """

    cost: tuple[_InNumbers, ...]
    gradient: tuple[_InNumbers, ...]
    activation: tuple[_InNumbers, ...]
    curvature: _InNumbers
    optimum: _InNumbers


@functools.lru_cache(maxsize=1)
def _general() -> _General:
    """C, dC/dw, a, C'' and w* as formulas of the symbols i, y, w: derived once, by sympy, from the graph."""
    net = forward(Value(1.0, label="i"), Parameter(1.0, label="w"), Value(1.0, label="y"))
    cost = sympy.expand(to_sympy(net.C, symbols={net.i: _I, net.w: _W, net.y: _Y}))
    gradient = sympy.expand(sympy.diff(cost, _W))
    (optimum,) = sympy.solve(gradient, _W)
    activation = to_sympy(net.a, symbols={net.i: _I, net.w: _W})
    in_w = lambda e: tuple(_InNumbers.of(c) for c in sympy.Poly(e, _W).all_coeffs())  # noqa: E731
    return _General(in_w(cost), in_w(gradient), in_w(activation), _InNumbers.of(sympy.diff(cost, _W, 2)),
                    _InNumbers.of(optimum))


@dataclass(frozen=True)
class _Analysis:
    """The general formulas with given i and y put in: exact polynomials in w, and C'' and w* as numbers."""

    cost_formula: Polynomial
    gradient: Polynomial
    curvature: float
    optimum: float
    activation_in_weight: str  # "1.5w"


@functools.lru_cache(maxsize=256)  # bounded: the explorer asks for the same (i, y) again and again
def _analyse(input: float, target: float) -> _Analysis:
    """The general formulas with this i and y put in, exactly (i and y as the decimals they are written as).

    No new derivation and no sympy expression: the coefficients sympy derived once are evaluated in exact
    fractions, and ``Polynomial`` writes the result as sympy would (the explorer does this for every request).
    """
    general = _general()
    i, y = Fraction(repr(float(input))), Fraction(repr(float(target)))  # as chainrule.explainer.symbolic.constant
    in_w = lambda coefficients: Polynomial("w", tuple(c(i, y) for c in coefficients))  # noqa: E731
    return _Analysis(
        cost_formula=in_w(general.cost),
        gradient=in_w(general.gradient),
        curvature=float(general.curvature(i, y)),
        optimum=float(general.optimum(i, y)),
        activation_in_weight=pretty(in_w(general.activation).text()),
    )


def activation_in_weight(input: float, target: float) -> str:
    """a as a formula of w with the numbers put in: '1.5w'."""
    return _analyse(float(input), float(target)).activation_in_weight


def gradient_formula(input: float, target: float) -> sympy.Expr:
    """dC/dw as an exact formula of w (sympy), from the graph of one forward pass."""
    return _analyse(float(input), float(target)).gradient.as_sympy()


@dataclass(frozen=True)
class _FactorTemplate:
    """One link of the chain rule as a formula in the labels, whatever the numbers."""

    name: str  # "dC/da"
    formula: str  # "2(a − y)"
    derivative: object  # the sympy expression
    evaluate: object  # the same, compiled to a Python function of the labels (sympy.lambdify): its value at the numbers
    labels: tuple[str, ...]  # the arguments of evaluate


@functools.lru_cache(maxsize=1)
def _factor_templates() -> tuple[_FactorTemplate, ...]:
    """dC/da and da/dw as formulas of the labels, derived once from the graph by sympy.

    Unlabelled intermediate nodes (a − y) are folded into the labelled node
    that uses them, so the chain runs over the named quantities w → a → C.
    """
    net = forward(Value(1.0, label="i"), Parameter(1.0, label="w"), Value(1.0, label="y"))
    sym = {v: sympy.Symbol(v.label) for v in (net.i, net.w, net.y, net.a)}
    templates = []
    for top, below in ((net.C, net.a), (net.a, net.w)):
        expr = to_sympy(top, symbols={v: s for v, s in sym.items() if v is not top})
        derivative = sympy.factor_terms(sympy.diff(expr, sym[below]))
        labels = tuple(sorted(str(x) for x in derivative.free_symbols))
        evaluate = sympy.lambdify([sympy.Symbol(x) for x in labels], derivative, "math")
        templates.append(_FactorTemplate(f"d{top.label}/d{below.label}", pretty(derivative), derivative, evaluate,
                                         labels))
    return tuple(templates)


def chain_factors(values: dict[str, float], activation_in_weight: str) -> list[ChainFactor]:
    """dC/da and da/dw at these numbers (i, y, a): the formulas, then with the numbers put in."""
    numbers = {name: factor(v) for name, v in values.items()}
    in_weight = dict(numbers, a=activation_in_weight)
    return [
        ChainFactor(
            name=t.name,
            formula=t.formula,
            with_numbers=substitute(t.formula, numbers),
            in_weight=substitute(t.formula, in_weight),
            value=float(t.evaluate(*(values[x] for x in t.labels))),
        )
        for t in _factor_templates()
    ]


def _diverging(distances: list[float]) -> bool:
    """Divergence is certain: the distance to w* grew ``GREW_IN_A_ROW`` steps in a row, or passed ``GREW_BY`` × the first."""
    if len(distances) > GREW_IN_A_ROW and all(b > a for a, b in zip(distances[-GREW_IN_A_ROW - 1:], distances[-GREW_IN_A_ROW:])):
        return True
    return distances[0] > 0 and distances[-1] > GREW_BY * distances[0]


def train(**params) -> SimplestResult:
    """Explain the first step, then descend until |dC/dw| < tolerance, the step limit, or certain divergence.

    ``params``: any of ``PARAMS`` (input, target, weight, learning_rate,
    steps, tolerance); the rest take the video's numbers.
    """
    p = PARAMS.resolve(params)
    i_node, w_node, y_node = Value(p["input"], label="i"), Parameter(p["weight"], label="w"), Value(p["target"], label="y")
    first = forward(i_node, w_node, y_node)
    first.C.backward()
    analysis = _analyse(p["input"], p["target"])
    values = {"i": p["input"], "y": p["target"], "a": first.a.data}
    result = SimplestResult(
        input=p["input"],
        target=p["target"],
        weight=p["weight"],
        learning_rate=p["learning_rate"],
        tolerance=p["tolerance"],
        max_steps=p["steps"],
        factors=chain_factors(values, analysis.activation_in_weight),
        gradient_formula=analysis.gradient,
        cost_formula=analysis.cost_formula,
        optimum_weight=analysis.optimum,
        curvature=analysis.curvature,
        convergence_factor=1.0 - p["learning_rate"] * analysis.curvature,
        network=first,
    )

    # Gradient descent with the engine: a fresh graph for each step, as in any training loop.
    lr, tolerance, w_star = p["learning_rate"], p["tolerance"], analysis.optimum
    w_node = Parameter(p["weight"], label="w")
    distances = []
    for k in range(p["steps"] + 1):
        net = forward(i_node, w_node, y_node)
        w_node.grad = 0.0
        net.C.backward()
        result.steps.append(Step(k, w_node.data, net.a.data, net.C.data, w_node.grad))
        distances.append(abs(w_node.data - w_star))
        if abs(w_node.grad) < tolerance:
            result.stopped = "converged"
            break
        if _diverging(distances):
            result.stopped = "diverged"
            break
        if k == p["steps"]:
            result.stopped = "step limit"
            break
        w_node.data -= lr * w_node.grad
    return result


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains."""
    return train(**params).graph()


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, plot=plot)

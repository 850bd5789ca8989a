"""Rung 1, the video's example: one input, one weight, one output, one cost.

    i —w→ a        a = i·w                 (the output, or activation)
                   C = (a − y)²            (the cost, for target y)

The chain rule:  ∂C/∂w = ∂C/∂a · ∂a/∂w = 2(a − y) · i

With i = 1.5 and y = 0.8 that is 1.5·2(1.5w − 0.8) = 4.5w − 2.4 (the video
printed 4.5w − 1.5, which is the formula for y = 0.5). Gradient descent
repeats  w ← w − lr · ∂C/∂w  until the gradient vanishes at w* = y/i.

Why the learning rate must be small: C is a parabola in w with curvature
C″ = 2i², so each step multiplies the distance to the answer by
r = 1 − lr·C″ = 1 − 2·lr·i². Descent converges when |r| < 1, that is for
0 < lr < 2/C″ = 1/i², and lands in one step at lr = 1/C″ = 1/(2i²).

At the edges of the inputs the same numbers need care in the writing. With
i = 0.001 and lr = 0.1, lr·C″ = 2·10⁻⁷: r = 0.9999998, which six digits round
to 1, and a descent that "converges" closes only 2·10⁻⁷ of the distance to
w* = 800 a step (about 3.5·10⁷ steps to come near it). So r is written with
as many digits as it takes to differ from 1 (or as 1 − lr·C″ when a float
cannot hold the difference), the verdict is read from lr·C″ itself, the
lines say how far from w* the descent stopped and how many steps it would
need, and every number, the formulas' coefficients too, is written one way:
``num``'s, with powers of ten as ·10ⁿ (never sympy's 1.0e-6).

Every number below is computed, as in every lesson: the forward and
backward passes by the engine; the descent by the shared ``descend``, one
``Step`` record per step (the table, ``--format json``, the plot and the
explorer's home page all read them); the chain rule and the closed form by
the explainer (``chainrule.explainer.explain``). The explainer's one path
from w to C runs through the unnamed node a − y; the video names only a, so
the lesson writes the path as one link per named quantity, ∂C/∂a · ∂a/∂w,
each link the product of the path's local derivatives between two names.

The explorer asks for this lesson at every move of a slider, each time with
new numbers for i and y. Deriving the closed form anew costs sympy about
7 ms, so it is derived once (``_general``): the explainer's closed form of
∂C/∂w with i, w and y all symbols, 2i(iw − y), kept as a polynomial in w
whose coefficients are formulas of i and y; a request only evaluates those
coefficients in exact fractions (``formulas``, about 0.1 ms). The tests hold
it against ``explain`` on the graph with the numbers in.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from ..explainer import Derivation, explain as derive
from ..explainer.format import factor, num, paren, substitute, superscript
from ..explainer.polynomial import Polynomial
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value, parameter
from ..viz.descent import chart, plot_descent
from .contract import Lesson, LessonTensors
from .descent import Descent, Step, descend

if TYPE_CHECKING:  # for annotations: sympy is imported where a formula is written
    import sympy

NAME = "simplest"
SUMMARY = "The video's example: i —w→ a, C = (a − y)², the chain rule with numbers and gradient descent."

PARAMS = Params(
    Param("input", 1.5, "the input i", low=-100, high=100, symbol="i", min_abs=1e-150,
          nonzero="a = i·w is 0 whatever the weight, so there is nothing to learn (w* = y/i)"),
    Param("target", 0.8, "the target y", low=-100, high=100, symbol="y"),
    Param("weight", 0.8, "the initial weight w", low=-100, high=100, symbol="w"),
    Param("learning_rate", 0.1, "the learning rate lr", low=0, low_open=True, high=10, flags=("--lr",), symbol="lr"),
    Param("steps", 100, "the most descent steps", kind="int", low=0, high=1000),
    Param("tolerance", 1e-6, "stop once |∂C/∂w| is below this", low=0, high=1),
)
# The weight's label: the name descent moves it by, and the one the explainer writes (∂C/∂w).
W = "w"
# The formula the video showed on screen, quoted to explain the typo.
VIDEO_TYPO = "4.5w − 1.5"
# Divergence is certain once the distance to w* grew this many steps in a row, or passed this many times the start.
GREW_IN_A_ROW = 3
GREW_BY = 1e6
# How close to w* the weight must be for a stop to be called "at the minimum": a thousandth of w*'s size (or of 1).
AT_MINIMUM = 1e-3
# Why a descent ended (``SimplestResult.stopped``): the stop rule's two verdicts, or it took every step it was given.
CONVERGED, DIVERGED, STEP_LIMIT = "converged", "diverged", "step limit"


@dataclass
class Network:
    """The graph of one forward pass: i and w feed a, which with y feeds C."""

    i: Value
    w: Value
    y: Value
    a: Value
    C: Value


def forward(i, w, y) -> Network:
    """a = i·w, C = (a − y)²: with ``Value`` leaves the scalar graph, with ``Tensor`` leaves the tensor form."""
    a = (i * w).named("a")
    C = ((a - y) ** 2).named("C")
    return Network(i, w, y, a, C)


def network(input: float, weight: float, target: float) -> Network:
    """A fresh graph with these numbers (w a ``Parameter``), after one backward pass."""
    net = forward(Value(input, label="i"), Parameter(weight, label=W), Value(target, label="y"))
    net.C.backward()
    return net


# ------------------------------------------------------------ the closed forms
@dataclass(frozen=True)
class _Coefficient:
    """A coefficient of a formula in w, itself a polynomial of i and y with exact coefficients: Σ c·iᵃ·yᵇ."""

    terms: tuple[tuple[int, int, Fraction], ...]

    @classmethod
    def of(cls, expr: sympy.Expr) -> "_Coefficient":
        import sympy

        i, y = sympy.symbols("i y")
        return cls(tuple((a, b, Fraction(int(c.p), int(c.q))) for (a, b), c in sympy.Poly(expr, i, y).terms()))

    def __call__(self, i: Fraction, y: Fraction) -> Fraction:
        return sum((c * i**a * y**b for a, b, c in self.terms), Fraction(0))


@dataclass(frozen=True)
class _General:
    """∂C/∂w, C and a as polynomials in w whose coefficients are formulas of i and y (highest power first)."""

    gradient: tuple[_Coefficient, ...]
    cost: tuple[_Coefficient, ...]
    activation: tuple[_Coefficient, ...]


@functools.lru_cache(maxsize=1)
def _general() -> _General:
    """Derived once from the graph with i, w and y as symbols.

    ∂C/∂w is the explainer's closed form (``explain(C, wrt=[i, w, y])``:
    2i(iw − y), the whole cost differentiated, checked against the chain
    rule's product of local derivatives); C and a are the same graph written
    as formulas (``to_sympy``, what ``explain`` differentiates).
    """
    import sympy

    from ..explainer.symbolic import to_sympy

    net = network(1.0, 1.0, 1.0)
    leaves = [net.i, net.w, net.y]
    gradient = derive(net.C, wrt=leaves)[W].closed_form
    in_w = lambda e: tuple(_Coefficient.of(c) for c in sympy.Poly(e, sympy.Symbol(W)).all_coeffs())  # noqa: E731
    return _General(in_w(gradient), in_w(to_sympy(net.C, leaves)), in_w(to_sympy(net.a, leaves)))


@dataclass(frozen=True)
class Formulas:
    """The closed forms with given i and y put in: exact polynomials in w, and C″ and w* as numbers."""

    gradient: Polynomial  # ∂C/∂w, e.g. 9w/2 − 12/5 (written 4.5w − 2.4)
    cost: Polynomial  # C, expanded: 9w²/4 − 12w/5 + 16/25
    activation_in_weight: str  # a with the numbers in: "1.5w"
    curvature: float  # C″ = 2i²: the slope of ∂C/∂w
    optimum: float  # w* = y/i: where ∂C/∂w is 0


@functools.lru_cache(maxsize=256)  # bounded: the explorer asks for the same (i, y) again and again
def formulas(input: float, target: float) -> Formulas:
    """The general formulas with this i and y put in, exactly (i and y as the decimals they are written as).

    No new derivation and no sympy expression: the coefficients derived once
    (``_general``) are evaluated in exact fractions, and ``Polynomial``
    writes the result as sympy would. C is a parabola, so ∂C/∂w is a line
    C″·w + b: its slope is the curvature, its root the answer w* = −b/C″.
    """
    general = _general()
    i, y = Fraction(repr(float(input))), Fraction(repr(float(target)))  # as chainrule.explainer.symbolic.constant
    in_w = lambda coefficients: Polynomial(W, tuple(c(i, y) for c in coefficients))  # noqa: E731
    gradient = in_w(general.gradient)
    slope, offset = gradient.coefficients
    return Formulas(gradient, in_w(general.cost), written(in_w(general.activation)), float(slope),
                    float(-offset / slope))


def written(formula: Polynomial) -> str:
    """A polynomial in w as the lesson writes numbers: 4.5w − 2.4, and 2·10⁻⁶·w − 0.0016 (not sympy's 2.0e-6*w).

    The terms in sympy's order (``Polynomial.terms``); each coefficient is
    ``num``'s, to 15 significant digits (sympy's own precision, so nothing is
    rounded that sympy kept), a power of ten as ·10ⁿ like every other number
    of the lesson; a coefficient written with a power of ten is set off from w
    by a ·, so 2·10⁻⁶·w cannot be read as 2·10 to the −6w.
    """
    out = []
    for k, (power, c) in enumerate(formula.terms()):
        size = num(float(abs(c)), 15)
        x = formula.symbol + (superscript(power) if power > 1 else "")
        term = size if power == 0 else x if size == "1" else f"{size}·{x}" if "·10" in size else f"{size}{x}"
        out.append(("−" if c < 0 else "") + term if k == 0 else (" − " if c < 0 else " + ") + term)
    return "".join(out) or "0"


def gradient_formula(input: float, target: float) -> sympy.Expr:
    """∂C/∂w as an exact formula of w (sympy), the explainer's closed form with these numbers."""
    return formulas(float(input), float(target)).gradient.as_sympy()


# --------------------------------------------------------------- the chain rule
@dataclass
class ChainFactor:
    """One link of the chain rule, e.g. ∂C/∂a = 2(a − y) = 2(1.2 − 0.8) = 0.8."""

    name: str  # "∂C/∂a"
    formula: str  # "2(a − y)"
    with_numbers: str  # "2(1.2 − 0.8)"
    in_weight: str  # "2(1.5w − 0.8)": the formula with everything but w put in
    value: float


def links(net: Network, derivation: Derivation, activation_in_weight: str) -> list[ChainFactor]:
    """∂C/∂w's one path, from the explainer, as one link per named quantity: ∂C/∂a · ∂a/∂w.

    The explainer's path is C → (a − y) → a → w, with local derivatives
    2(a − y), 1 and i. A link runs from one named node of the graph to the
    next (C to a, a to w): its formula is the product of the path's local
    derivatives between them (a factor 1 changes nothing and is left out),
    its value the product of their numbers, as backprop multiplies them.
    """
    named = {node.label for node in net.C.nodes() if node.label}
    numbers = {"i": factor(net.i.data), "y": factor(net.y.data), "a": factor(net.a.data)}
    in_weight = dict(numbers, a=activation_in_weight)
    (path,) = derivation[W].paths
    out, formulas_, value, top = [], [], 1.0, path.nodes[0]
    for below, edge in zip(path.nodes[1:], path.factors):
        value *= edge.value
        if edge.formula != "1":
            formulas_.append(edge.formula)
        if below not in named:
            continue
        formula = " · ".join(map(paren, formulas_)) if len(formulas_) > 1 else (formulas_ or ["1"])[0]
        out.append(ChainFactor(f"∂{top}/∂{below}", formula, substitute(formula, numbers),
                               substitute(formula, in_weight), value))
        formulas_, value, top = [], 1.0, below
    return out


def chain_at(input: float, weight: float, target: float) -> tuple[list[ChainFactor], float]:
    """The chain rule's links at these numbers, and ∂C/∂w (backprop's, = w.grad): a fresh graph, explained."""
    net = network(input, weight, target)
    derivation = derive(net.C, wrt=[net.w], symbolic=False)
    return links(net, derivation, formulas(input, target).activation_in_weight), derivation[W].total


# ---------------------------------------------------------------- the descent
def _diverging(distances: list[float]) -> bool:
    """Divergence is certain: the distance to w* grew ``GREW_IN_A_ROW`` steps in a row, or passed ``GREW_BY`` × the first."""
    if len(distances) > GREW_IN_A_ROW and all(b > a for a, b in zip(distances[-GREW_IN_A_ROW - 1:], distances[-GREW_IN_A_ROW:])):
        return True
    return distances[0] > 0 and distances[-1] > GREW_BY * distances[0]


class StopRule:
    """When the descent stops before its last step (``descend``'s ``stop``): at the minimum, or surely diverging.

    At the minimum: |∂C/∂w| < ``tolerance``; a tolerance of 0 never stops
    there (the explorer asks for steps 0..k and gets every one of them).
    Diverging for certain: ``_diverging`` on the distances to w* so far.
    """

    def __init__(self, tolerance: float, optimum: float):
        self.tolerance, self.optimum = tolerance, optimum
        self.distances: list[float] = []

    def __call__(self, step: Step) -> str:
        self.distances.append(abs(step.parameters[W] - self.optimum))
        if abs(step.gradients[W]) < self.tolerance:
            return CONVERGED
        if _diverging(self.distances):
            return DIVERGED
        return ""


@dataclass
class SimplestResult:
    """A run: the numbers, the first step explained (graph, derivation, links, closed forms) and the descent."""

    input: float
    target: float
    weight: float
    learning_rate: float
    tolerance: float
    max_steps: int
    network: Network  # the first step's graph, after its one backward pass: the one explained
    derivation: Derivation  # explain(C, wrt=[w]) of that graph: its path and local derivatives, with numbers
    factors: list[ChainFactor]  # the derivation as the video writes it: ∂C/∂a · ∂a/∂w
    formulas: Formulas
    descent: Descent
    activations: list[float]  # a at each step, from the graph descend built for that step

    # ----------------------------------------------------------- derived facts
    @property
    def steps(self) -> list[Step]:
        return self.descent.steps

    @property
    def first(self) -> Step:
        return self.steps[0]

    @property
    def weights(self) -> list[float]:
        return self.descent.values(W)

    @property
    def gradients(self) -> list[float]:
        return [s.gradients[W] for s in self.steps]

    @property
    def gradient_formula(self) -> Polynomial:
        return self.formulas.gradient

    @property
    def cost_formula(self) -> Polynomial:
        return self.formulas.cost

    @property
    def optimum_weight(self) -> float:
        return self.formulas.optimum

    @property
    def curvature(self) -> float:
        return self.formulas.curvature

    @property
    def convergence_factor(self) -> float:
        """r = 1 − lr·C″: what each step multiplies the distance to w* by."""
        return 1.0 - self.learning_rate * self.curvature

    @property
    def step_fraction(self) -> float:
        """lr·C″ = 1 − r: the part of the distance to w* a step closes (more than all of it past 1).

        The verdict is read from it, not from r: with a tiny input r = 1 − 2·10⁻³⁰¹ is 1 in floats, yet the
        descent converges (slowly).
        """
        return self.learning_rate * self.curvature

    @property
    def stopped(self) -> str:
        """Why the descent ended: ``CONVERGED``, ``DIVERGED`` (for certain, or its numbers outgrew a float) or
        ``STEP_LIMIT``."""
        why = self.descent.stopped
        if not why:
            return STEP_LIMIT
        return why if why in (CONVERGED, DIVERGED) else DIVERGED

    @property
    def converged(self) -> bool:
        return self.stopped == CONVERGED

    @property
    def judging_tolerance(self) -> float:
        """The tolerance that says where the descent stands: the run's, or the declared one when the run's is 0."""
        return self.tolerance or PARAMS["tolerance"].default

    @property
    def stable_learning_rates(self) -> tuple[float, float]:
        """Descent converges for learning rates strictly inside this interval: (0, 2/C″)."""
        return (0.0, 2.0 / self.curvature)

    @property
    def fastest_learning_rate(self) -> float:
        """1/C″: the rate that lands on w* in one step."""
        return 1.0 / self.curvature

    @property
    def verdict(self) -> str:
        """From lr·C″ (r = 1 − lr·C″): 1 lands in one step, below it converges, up to 2 oscillates in, past 2 out.

        lr and C″ = 2i² are both > 0, so lr·C″ > 0 in exact arithmetic; a float that rounds it to 0 (lr·C″
        below about 10⁻³²³) still stands for a descent that converges, infinitely slowly.
        """
        s = self.step_fraction
        if s == 1.0:
            return "one step"
        if s < 1.0:
            return "converges"
        if s < 2.0:
            return "converges, oscillating"
        if s == 2.0:
            return "oscillates forever"
        return "diverges"

    @property
    def start_distance(self) -> float:
        """|w₀ − w*|: how far the descent starts from the answer."""
        return abs(self.weight - self.optimum_weight)

    @property
    def distance(self) -> float:
        """|w − w*| where the descent stopped (its last step)."""
        return abs(self.weights[-1] - self.optimum_weight)

    @property
    def near_enough(self) -> float:
        """How close to w* counts as at the minimum: ``AT_MINIMUM`` of |w*| (or of 1, when w* is smaller)."""
        return AT_MINIMUM * max(1.0, abs(self.optimum_weight))

    def steps_to_minimum(self) -> float | None:  # a float: it can be 3.45·10³⁰¹
        """How many steps from w₀ bring w within ``near_enough`` of w*: ln(near/|w₀ − w*|) / ln|r|.

        The distance after k steps is |r|ᵏ·|w₀ − w*|. 0 when it starts there; None when it never gets there
        (|r| ≥ 1, or lr·C″ so small a float holds it as 0); inf when it takes more steps than a float counts.
        ln|r| is log1p(−lr·C″) below 1, exact for tiny lr·C″ where ln(1 − lr·C″) would be ln 1 = 0.
        """
        s, start = self.step_fraction, self.start_distance
        if start <= self.near_enough:
            return 0.0
        if s == 1.0:
            return 1.0
        if not 0.0 < s < 2.0:
            return None
        log_r = math.log1p(-s) if s < 1.0 else math.log(s - 1.0)
        steps = math.log(self.near_enough / start) / log_r
        return float(math.ceil(steps)) if math.isfinite(steps) else math.inf

    def gradient_text(self) -> str:
        """The closed form as sympy prints it, parsable back: '4.5*w - 2.4'."""
        return self.gradient_formula.text()

    def cost_at(self, weight: float) -> float:
        """C(w) = (i·w − y)², by a forward pass of the engine."""
        return forward(Value(self.input, label="i"), Value(weight, label=W), Value(self.target, label="y")).C.data

    def graph(self) -> Value:
        """The graph of the first step, rebuilt from fresh leaves, after one backward pass."""
        return network(self.input, self.weight, self.target).C

    @functools.cached_property
    def table(self) -> list[list[str]]:
        """The descent, one row per step: step, w, a, C, ∂C/∂w, written for people."""
        return [[str(s.step), num(s.parameters[W]), num(a), num(s.cost), num(s.gradients[W])]
                for s, a in zip(self.steps, self.activations)]

    def explorer(self) -> dict:
        """What the explorer's home page shows beyond ``explain``'s data (see ``explorer``)."""
        return explorer(self)


# --------------------------------------------------------------- the explanation
def forward_lines(result: SimplestResult, step: Step) -> list[Math]:
    """a = i·w and C = (a − y)² at one step, with its numbers."""
    a = result.activations[step.step]
    return [
        Math(f"a = i·w = {factor(result.input)} · {factor(step.parameters[W])} = {num(a)}"),
        Math(f"C = (a − y)² = ({num(a)} − {factor(result.target)})² = {num(step.cost)}"),
    ]


def chain_rule_lines(result: SimplestResult, factors: list[ChainFactor] | None = None,
                     gradient: float | None = None) -> list[Math]:
    """∂C/∂w = ∂C/∂a · ∂a/∂w = 2(a − y) · i = 2(1.2 − 0.8) · 1.5 = 1.2 (at the first step unless told)."""
    factors = factors if factors is not None else result.factors
    gradient = result.first.gradients[W] if gradient is None else gradient
    names = " · ".join(f.name for f in factors)
    formulas_ = " · ".join(f.formula for f in factors)
    numbers = " · ".join(f.with_numbers for f in factors)
    return [Math(f"∂C/∂w = {names} = {formulas_}"), Math(f"      = {numbers} = {num(gradient)}")]


def closed_form_line(result: SimplestResult) -> str:
    factors = "·".join(f.in_weight for f in reversed(result.factors))
    return f"∂C/∂w = {factors} = {written(result.gradient_formula)}"


def typo_line(result: SimplestResult) -> str | None:
    """The video's typo, explained, when the run uses the video's input and target."""
    if (result.input, result.target) != (PARAMS["input"].default, PARAMS["target"].default):
        return None
    other = formulas(result.input, 0.5).gradient
    return (
        f"The video's on-screen {VIDEO_TYPO} is a typo: that is the formula for y = 0.5 "
        f"({written(other)}); with y = {num(result.target)} it is {written(result.gradient_formula)}."
    )


def ratio(result: SimplestResult) -> str:
    """r = 1 − lr·C″ written so that it is right: '0.55', '1 − 2·10⁻⁷ = 0.9999998', '1 − 2·10⁻³⁰¹'.

    Six digits are enough unless r is within rounding of 1 or −1 (where the
    verdict changes): then as many digits as it takes to tell r from them,
    up to 15; and where lr·C″ is so small that 1 − lr·C″ is 1 in floats,
    r is left as the difference, which is exact. A small lr·C″ is written
    first, 1 − lr·C″ = 1 − 2·10⁻⁷, so the step's share of the gap is read
    without counting nines.
    """
    r, s = result.convergence_factor, result.step_fraction
    text = num(r)
    if text not in ("1", "−1") or r == -1.0 or s == 0.0:  # right as it is (s = 0: lr·C″ underflowed, r is 1)
        return text
    for digits in range(7, 16):
        longer = num(r, digits)
        if longer not in ("1", "−1"):
            return f"1 − {num(s)} = {longer}" if r > 0 else longer
    return f"1 − {num(s)}" if r > 0 else num(r, 17)


def alike(*numbers: float) -> list[str]:
    """Numbers shown side by side, in one notation: all with a power of ten if ``num`` writes any of them so.

    ``num`` writes 500000 but 1·10⁶ and 0.0001 but 5·10⁻⁵; two ends of one
    range read better as 5·10⁵ and 1·10⁶.
    """
    texts = [num(x) for x in numbers]
    if not any("·10" in t for t in texts):
        return texts
    out = []
    for x, t in zip(numbers, texts):
        if "·10" in t or x == 0.0:
            out.append(t)
            continue
        mantissa, exponent = f"{x:.5e}".split("e")
        out.append(f"{num(float(mantissa))}·10{superscript(int(exponent))}".replace("-", "−", 1))
    return out


def apart(a: float, b: float) -> tuple[str, str]:
    """Two different numbers written with the digits that tell them apart: 799.2 and 799.2 → 799.19968, 799.2.

    Six significant digits, or up to 15 where six would write two different
    distances the same (a slow descent moves little).
    """
    for digits in range(6, 16):
        texts = num(a, digits), num(b, digits)
        if texts[0] != texts[1] or a == b:
            return texts
    return texts


def distance_line(result: SimplestResult) -> str:
    """How far from w* the descent stopped, from how far it started, and (converging) how many steps it needs."""
    last = result.steps[-1]
    w, away, start, w_star = num(last.parameters[W]), result.distance, result.start_distance, result.optimum_weight
    if last.step == 0:
        text = f"The descent took no step: w = {w} is {num(away)} from w* = {num(w_star)}"
    else:
        now, then = apart(away, start)
        text = (f"The descent stopped after {last.step} step{'' if last.step == 1 else 's'} at w = {w}, "
                f"{now} from w* = {num(w_star)} (it started {then} away)")
    if away <= result.near_enough:
        return text + "."
    needed, s = result.steps_to_minimum(), result.step_fraction
    if not result.verdict.startswith("converges"):
        return text + f"; each step multiplies that distance by |r| = {num(abs(result.convergence_factor))}."
    if needed is None:  # lr·C″ rounds to 0 in floats: r is 1 and the weight cannot move
        return text + "; lr·C″ is below the smallest float, so no step moves the weight at all."
    how_many = f"about {num(needed, 3)} steps in all" if math.isfinite(needed) else "more steps than a float counts"
    return text + (f"; each step closes {num(s) if s < 1 else num(2 - s)} of what is left, so coming within "
                   f"{num(result.near_enough)} of w* takes {how_many}.")


def learning_rate_lines(result: SimplestResult) -> list[str]:
    lo, hi = result.stable_learning_rates
    top, one = alike(hi, result.fastest_learning_rate)
    largest = PARAMS["learning_rate"].high
    lines = [
        f"C(w) = {written(result.cost_formula)} is a parabola with curvature C″ = 2i² = {num(result.curvature)}.",
        f"Each step multiplies (w − w*) by r = 1 − lr·C″ = 1 − {factor(result.learning_rate)}·{factor(result.curvature)}"
        f" = {ratio(result)}.",
        f"Descent converges for {num(lo)} < lr < 1/i² = {top}; it lands in one step at lr = 1/(2i²) = {one}"
        + (f" (the lesson takes lr up to {num(largest)})." if result.fastest_learning_rate > largest else "."),
        f"With lr = {num(result.learning_rate)}: {result.verdict}.",
        distance_line(result),
    ]
    return lines


CHOOSING = (
    "The learning rate is not learned: it is a hyperparameter, a number a person chooses. For this parabola the "
    "range that works can be derived (above); for a real network practitioners find it by trying: a learning-rate "
    "range test (train briefly at rates growing geometrically and watch the loss), a schedule that lowers it as "
    "training goes on, or Adam, which scales each weight's step by the size of its recent gradients. "
    "`chainrule lesson learning-rate` shows all of them."
)


def divisor(x: float) -> str:
    """A number after /, in parentheses when it is negative or a power of ten: 0.8/1.5, 0.8/(1·10⁻⁷)."""
    text = factor(x)
    return f"({text})" if "·" in text and not text.startswith("(") else text


def warning(result: SimplestResult) -> str | None:
    r = result.convergence_factor
    hi = alike(*result.stable_learning_rates[1:], result.fastest_learning_rate)[0]
    if r <= -1.0:
        what = "oscillates without settling" if r == -1.0 else "diverges"
        return (
            f"Warning: lr = {num(result.learning_rate)} is too large: |r| = {num(abs(r))} ≥ 1, so descent {what}. "
            f"Use 0 < lr < {hi}."
        )
    if r < 0.0:
        return (f"Note: lr = {num(result.learning_rate)} overshoots: w jumps across w* = {num(result.optimum_weight)} "
                "at every step (r < 0).")
    return None


def _steps(n: int) -> str:
    """'1 step', '24 steps'."""
    return f"{n} step" if n == 1 else f"{n} steps"


def stop_line(result: SimplestResult) -> str:
    last = result.steps[-1]
    w, g = last.parameters[W], last.gradients[W]
    if result.descent.stopped not in (CONVERGED, DIVERGED, ""):  # the numbers outgrew a float: descend says where
        return result.descent.stopped
    if result.stopped == CONVERGED:
        if abs(w - result.optimum_weight) > result.near_enough:  # a flat cost's slope is small far from w* too
            return flat_line(result, last, result.tolerance)
        return f"Converged after {_steps(last.step)}: |∂C/∂w| = {num(abs(g))} < {num(result.tolerance)}."
    if result.stopped == DIVERGED:
        return (f"Stopped at step {last.step}: diverging for certain (the distance to w* = {num(result.optimum_weight)} "
                f"grew {GREW_IN_A_ROW} steps in a row, or passed {num(GREW_BY)} times where it started): "
                f"w = {num(w)}, C = {num(last.cost)}.")
    return f"Stopped after the step limit ({result.max_steps}); |∂C/∂w| = {num(abs(g))}."


def rests(result: SimplestResult, step: Step) -> str:
    """What the stop rule says at ``step``: ``CONVERGED`` (|∂C/∂w| below the judging tolerance), ``DIVERGED``, or ''.

    The explorer steps k at a time with a tolerance of 0 (every step taken);
    its Run button stops where this says the lesson's own descent would.
    """
    if result.stopped == DIVERGED and step is result.steps[-1]:
        return DIVERGED
    return CONVERGED if abs(step.gradients[W]) < result.judging_tolerance else ""


def status_line(result: SimplestResult, last: Step | None = None) -> str:
    """Where the descent stands at step ``last`` (default: the last step), in one line, by the run's own rules.

    The stop test is the run's: |∂C/∂w| below ``result.tolerance`` (the request's, not a fixed number); a
    tolerance of 0 asks for every step without stopping early (the explorer steps k at a time), and then the
    lesson's declared tolerance judges where the descent stands. A slope that small is not always a weight
    near w*: with a tiny input the cost is almost flat everywhere (C″ = 2i²), so the line says how far w
    still is when it is not within ``AT_MINIMUM`` of w*.
    """
    last = result.steps[-1] if last is None else last
    tolerance = result.judging_tolerance
    w, g, w_star = last.parameters[W], last.gradients[W], result.optimum_weight
    away = abs(w - w_star)
    verdict = rests(result, last)
    if verdict == DIVERGED:
        return stop_line(result)
    if verdict == CONVERGED:
        if away <= result.near_enough:
            return (f"At the minimum after {_steps(last.step)}: |∂C/∂w| = {num(abs(g))} < "
                    f"{num(tolerance)}, w = {num(w)} ≈ w* = y/i = {num(w_star)}.")
        return flat_line(result, last, tolerance)
    return f"w* = y/i = {num(w_star)}; the weight is {num(away)} away."


def flat_line(result: SimplestResult, last: Step, tolerance: float) -> str:
    """The stop rule's |∂C/∂w| < tolerance met far from w*: the cost is almost flat (tiny i), not at its minimum."""
    w, g, w_star = last.parameters[W], last.gradients[W], result.optimum_weight
    return (f"Stopped after {_steps(last.step)}: |∂C/∂w| = {num(abs(g))} is below the tolerance "
            f"{num(tolerance)}, yet w = {num(w)} is {num(abs(w - w_star))} from w* = y/i = {num(w_star)}: "
            f"with i = {num(result.input)} the cost is almost flat (C″ = 2i² = {num(result.curvature)}), "
            "so its slope is tiny far from the minimum.")


def explain(result: SimplestResult) -> Report:
    """The explanation of a run: forward pass, chain rule, closed form, the descent, the learning rate."""
    first = result.first
    title = (f"The network  i —w→ a      i = {num(result.input)}, w = {num(result.weight)}, "
             f"target y = {num(result.target)}, learning rate = {num(result.learning_rate)}")
    sections = [
        Section("Forward pass", forward_lines(result, first)),
        Section("Chain rule (first step)", chain_rule_lines(result)),
        Section("Closed form (sympy)", [Math(closed_form_line(result))] + list(filter(None, [typo_line(result)]))),
        Section("Gradient descent: w ← w − lr · ∂C/∂w",
                table=Table(["step", "w", "a", "C", "∂C/∂w"], result.table)),
        Section("", [stop_line(result)]),
        Section("", [f"Answer: w* = y/i = {num(result.target)}/{divisor(result.input)} = {num(result.optimum_weight)}"],
                style="bold"),
        Section("Where the learning rate comes from", learning_rate_lines(result) + [CHOOSING]),
    ]
    note = warning(result)
    if note:
        sections.append(Section("", [note], style="bold yellow" if result.convergence_factor > -1 else "bold red"))
    lo, hi = result.stable_learning_rates
    needed = result.steps_to_minimum()
    data = {
        "input": result.input,
        "target": result.target,
        "initial_weight": result.weight,
        "tolerance": result.tolerance,
        "forward": {"activation": result.activations[0], "cost": first.cost},
        "chain_rule": [asdict(f) for f in result.factors],
        "derivation": result.derivation.to_json(),
        "gradient_formula": result.gradient_text(),
        "gradient_formula_latex": result.gradient_formula.latex(),
        "optimum_weight": result.optimum_weight,
        "curvature": result.curvature,
        "convergence_factor": result.convergence_factor,
        "stable_learning_rates": [lo, hi],
        "fastest_learning_rate": result.fastest_learning_rate,
        "verdict": result.verdict,
        "converged": result.converged,  # the stop rule's: |∂C/∂w| < tolerance, which a flat cost meets far from w*
        "distance_to_optimum": result.distance,  # |w − w*| where the descent stopped
        "steps_to_minimum": needed if needed is not None and math.isfinite(needed) else None,  # None: never, or
        # more than a float counts (JSON has no inf); from w₀ to within AT_MINIMUM of w*
        **result.descent.to_json(),  # learning_rate and steps: the Step records, as every lesson's
        "stopped": result.stopped,  # the lesson's word for why it ended (converged, diverged, step limit)
    }
    return Report(NAME, title, sections, data)


def _mathml(formula: Polynomial) -> str:
    """Presentation MathML for a formula, as sympy prints it, wrapped in a <math> element."""
    body = formula.mathml().replace("<mo>-</mo>", "<mo>−</mo>")  # a real minus sign, as on a blackboard
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def explorer(result: SimplestResult) -> dict:
    """The explorer's home page beyond ``explain``'s data: the step the descent reached (its last), written out.

    ``current``: the forward pass, the chain rule (from the explainer, at
    w_k) and the update at step k, and ``stop``, what the stop rule says
    there (``rests``); the formulas as text and MathML; the learning-rate
    lines and the marks of the page's learning-rate ruler; the step history
    as text; and the picture (``viz.descent.chart``: the parabola sampled by
    the engine, the tangent at w_k, the view and its description).
    """
    last = result.steps[-1]
    w, g, a = last.parameters[W], last.gradients[W], result.activations[last.step]
    here, gradient = chain_at(result.input, w, result.target)
    next_weight = w - result.learning_rate * g
    hi = result.stable_learning_rates[1]
    return {
        "current": {
            "step": last.step,
            "weight": w,
            "activation": a,
            "cost": last.cost,
            "gradient": g,
            "next_weight": next_weight,
            "text": {"weight": num(w), "activation": num(a), "cost": num(last.cost), "gradient": num(g)},
            "forward_lines": [m.text for m in forward_lines(result, last)],
            "chain_rule": [dict(asdict(f), value_text=num(f.value)) for f in here],
            "chain_rule_lines": [m.text for m in chain_rule_lines(result, here, gradient)],
            "update_line": (f"w ← w − lr · ∂C/∂w = {num(w)} − {factor(result.learning_rate)} · {factor(g)}"
                            f" = {num(next_weight)}"),
            "stop": rests(result, last),
        },
        "closed_form_line": closed_form_line(result),
        "gradient_pretty": written(result.gradient_formula),
        "gradient_mathml": _mathml(result.gradient_formula),
        "cost_pretty": written(result.cost_formula),
        "cost_mathml": _mathml(result.cost_formula),
        "typo_line": typo_line(result),
        "learning_rate_lines": learning_rate_lines(result),
        "warning": warning(result),
        "stop_line": status_line(result, last),
        "ruler": {  # 0, 1/C″ (one step), 2/C″ (the edge of stability), and lr itself
            "fastest": result.fastest_learning_rate, "stable": hi,
            "fastest_text": f"1/C″ = {num(result.fastest_learning_rate)}", "stable_text": f"2/C″ = {num(hi)}",
            "learning_rate_text": f"lr = {num(result.learning_rate)}",
        },
        "steps_text": [dict(zip(("weight", "activation", "cost", "gradient"), row[1:]), step=s.step)
                       for s, row in zip(result.steps, result.table)],
        **chart(result),
    }


def plot(result: SimplestResult, path: str) -> None:
    """The cost parabola, each step and its tangent (``viz.descent``)."""
    plot_descent(result, path)


# ------------------------------------------------------------------ the lesson
def train(**params) -> SimplestResult:
    """Explain the first step, then descend until |∂C/∂w| < tolerance, the step limit, or certain divergence.

    ``params``: any of ``PARAMS`` (input, target, weight, learning_rate,
    steps, tolerance); the rest take the video's numbers.
    """
    p = PARAMS.resolve(params)
    i, y = p["input"], p["target"]
    first = network(i, p["weight"], y)
    derivation = derive(first.C, wrt=[first.w], symbolic=False)
    found = formulas(i, y)
    activations: dict[float, float] = {}  # w → a: descend also builds the cost at a moved w (its ranking measures)

    def build(values: dict[str, float]) -> Value:
        """The cost at the step's weight, on a fresh graph (its a recorded for the table)."""
        net = forward(Value(i, label="i"), Parameter(values[W], label=W), Value(y, label="y"))
        activations[values[W]] = net.a.data
        return net.C

    descent = descend(build, {W: p["weight"]}, p["learning_rate"], p["steps"],
                      stop=StopRule(p["tolerance"], found.optimum))
    return SimplestResult(
        input=i, target=y, weight=p["weight"], learning_rate=p["learning_rate"], tolerance=p["tolerance"],
        max_steps=p["steps"], network=first, derivation=derivation,
        factors=links(first, derivation, found.activation_in_weight), formulas=found, descent=descent,
        activations=[activations[s.parameters[W]] for s in descent.steps],
    )


def graph(**params) -> Value:
    """The cost after one backward pass, built directly (no descent): the graph ``train`` explains."""
    p = PARAMS.resolve(params)
    return network(p["input"], p["weight"], p["target"]).C


def tensors(**params) -> LessonTensors:
    """The same network as tensors: ``forward`` itself, run on ``chainrule.Tensor`` leaves (w a parameter).

    ``chainrule code --lang numpy|torch`` writes its program from it; ``pairs``
    says that the tensor ``w`` stands for the scalar graph's ``w``.
    """
    from ..tensor import Tensor  # numpy loads with the tensor form only (static_explorer/answers.py)
    p = PARAMS.resolve(params)
    net = forward(Tensor(p["input"], name="i"), parameter(Tensor(p["weight"]), W), Tensor(p["target"], name="y"))
    scalar = network(p["input"], p["weight"], p["target"])
    return LessonTensors(net.C, scalar.C, [(scalar.w, W, ())])


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain,
                tensors=tensors, plot=plot)

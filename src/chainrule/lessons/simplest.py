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
engine, the formulas by sympy from the same graph.
"""

from __future__ import annotations

import argparse
import functools
from dataclasses import asdict, dataclass, field

import sympy
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..commands.options import finite_float, int_in_range, non_negative_float
from ..errors import InvalidValueError
from ..explainer.format import num, pretty, substitute
from ..explainer.symbolic import as_floats, to_sympy
from ..scalar import Value

SUMMARY = "The video's example: i —w→ a, C = (a − y)², the chain rule with numbers and gradient descent."

# The video's numbers.
DEFAULTS = dict(input=1.5, target=0.8, weight=0.8, learning_rate=0.1, steps=100, tolerance=1e-6)
# What the command line accepts (bigger inputs only make the float arithmetic meaningless).
LIMIT = 1e6
MAX_STEPS = 100_000
# A run whose cost passes this is diverging; it stops while every number still fits in a float.
DIVERGED_COST = 1e100
# The formula the video showed on screen, quoted to explain the typo.
VIDEO_TYPO = "4.5w − 1.5"


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
    gradient_formula: sympy.Expr  # exact, e.g. 9w/2 − 12/5
    cost_formula: sympy.Expr
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
        return sympy.sstr(as_floats(self.gradient_formula), full_prec=False)

    # --------------------------------------------------------------- renderers
    def chain_rule_lines(self) -> list[str]:
        names = " · ".join(f.name for f in self.factors)
        formulas = " · ".join(f.formula for f in self.factors)
        numbers = " · ".join(f.with_numbers for f in self.factors)
        first = self.first
        return [
            f"dC/dw = {names} = {formulas}",
            f"      = {numbers} = {num(first.gradient)}",
        ]

    def closed_form_line(self) -> str:
        factors = "·".join(f.in_weight for f in reversed(self.factors))
        return f"dC/dw = {factors} = {pretty(as_floats(self.gradient_formula))}"

    def typo_line(self) -> str | None:
        """The video's typo, explained, when the run uses the video's input and target."""
        if (self.input, self.target) != (DEFAULTS["input"], DEFAULTS["target"]):
            return None
        other = gradient_formula(self.input, 0.5)
        return (
            f"The video's on-screen {VIDEO_TYPO} is a typo: that is the formula for y = 0.5 "
            f"({pretty(as_floats(other))}); with y = {num(self.target)} it is {pretty(as_floats(self.gradient_formula))}."
        )

    def learning_rate_lines(self) -> list[str]:
        lo, hi = self.stable_learning_rates
        lines = [
            f"C(w) = {pretty(as_floats(sympy.expand(self.cost_formula)))} is a parabola with curvature "
            f"C'' = 2i² = {num(self.curvature)}.",
            f"Each step multiplies (w − w*) by r = 1 − lr·C'' = 1 − {num(self.learning_rate)}·{num(self.curvature)}"
            f" = {num(self.convergence_factor)}.",
            f"Descent converges for {num(lo)} < lr < 1/i² = {num(hi)}; it lands in one step at lr = 1/(2i²) = "
            f"{num(self.fastest_learning_rate)}.",
            f"With lr = {num(self.learning_rate)}: {self.verdict}.",
        ]
        return lines

    def warning(self) -> str | None:
        r = self.convergence_factor
        lo, hi = self.stable_learning_rates
        if r <= -1.0:
            what = "oscillates without settling" if r == -1.0 else "diverges"
            return (
                f"Warning: lr = {num(self.learning_rate)} is too large: |r| = {num(abs(r))} ≥ 1, so descent {what}. "
                f"Use 0 < lr < {num(hi)}."
            )
        if r < 0.0:
            return f"Note: lr = {num(self.learning_rate)} overshoots: w jumps across w* = {num(self.optimum_weight)} at every step (r < 0)."
        return None

    def stop_line(self) -> str:
        last = self.steps[-1]
        if self.stopped == "converged":
            return f"Converged after {last.step} steps: |dC/dw| = {num(abs(last.gradient))} < {num(self.tolerance)}."
        if self.stopped == "diverged":
            return f"Stopped at step {last.step}: the cost reached {num(last.cost)} and keeps growing (diverging)."
        return f"Stopped after the step limit ({self.max_steps}); |dC/dw| = {num(abs(last.gradient))}."

    def to_text(self):
        """A rich renderable for the terminal."""
        first = self.first
        head = Text.assemble(
            ("The network  ", "bold"), f"i —w→ a      i = {num(self.input)}, w = {num(self.weight)}, "
            f"target y = {num(self.target)}, learning rate = {num(self.learning_rate)}",
        )
        forward_lines = [
            f"a = i·w = {num(self.input)} · {num(first.weight)} = {num(first.activation)}",
            f"C = (a − y)² = ({num(first.activation)} − {num(self.target)})² = {num(first.cost)}",
        ]
        table = Table(title="Gradient descent: w ← w − lr · dC/dw", title_justify="left")
        for column in ("step", "w", "a", "C", "dC/dw"):
            table.add_column(column, justify="right")
        for s in self.steps:
            table.add_row(str(s.step), num(s.weight), num(s.activation), num(s.cost), num(s.gradient))
        parts = [
            head,
            Panel("\n".join(forward_lines), title="Forward pass", title_align="left"),
            Panel("\n".join(self.chain_rule_lines()), title="Chain rule (first step)", title_align="left"),
            Panel(
                "\n".join(filter(None, [self.closed_form_line(), self.typo_line()])),
                title="Closed form (sympy)",
                title_align="left",
            ),
            table,
            Text(self.stop_line()),
            Text(f"Answer: w* = y/i = {num(self.target)}/{num(self.input)} = {num(self.optimum_weight)}", style="bold"),
            Panel("\n".join(self.learning_rate_lines()), title="Where the learning rate comes from", title_align="left"),
        ]
        warning = self.warning()
        if warning:
            parts.append(Text(warning, style="bold yellow" if self.convergence_factor > -1 else "bold red"))
        return Group(*parts)

    def to_markdown(self) -> str:
        """The same explanation as Markdown with LaTeX math."""
        first = self.first
        f = self.factors
        latex_names = r" \cdot ".join(rf"\frac{{\partial {x.name[1]}}}{{\partial {x.name[4:]}}}" for x in f)
        lines = [
            "## The simplest network",
            "",
            f"$i \\xrightarrow{{w}} a$ with $i = {num(self.input)}$, $w = {num(self.weight)}$, "
            f"$y = {num(self.target)}$, learning rate ${num(self.learning_rate)}$.",
            "",
            "### Forward pass",
            "",
            f"$$a = i\\,w = {num(self.input)} \\cdot {num(first.weight)} = {num(first.activation)}$$",
            f"$$C = (a - y)^2 = ({num(first.activation)} - {num(self.target)})^2 = {num(first.cost)}$$",
            "",
            "### Chain rule",
            "",
            f"$$\\frac{{dC}}{{dw}} = {latex_names} = "
            + r" \cdot ".join(_latex(x.formula) for x in f)
            + " = "
            + r" \cdot ".join(_latex(x.with_numbers) for x in f)
            + f" = {num(first.gradient)}$$",
            "",
            "```",
            *self.chain_rule_lines(),
            self.closed_form_line(),
            "```",
            "",
            f"Closed form (sympy): $\\frac{{dC}}{{dw}} = {sympy.latex(as_floats(self.gradient_formula))}$",
            "",
        ]
        typo = self.typo_line()
        if typo:
            lines += [f"> {typo}", ""]
        lines += [
            "### Gradient descent",
            "",
            "| step | w | a | C | dC/dw |",
            "|---:|---:|---:|---:|---:|",
            *(f"| {s.step} | {num(s.weight)} | {num(s.activation)} | {num(s.cost)} | {num(s.gradient)} |" for s in self.steps),
            "",
            self.stop_line(),
            "",
            f"**Answer:** $w^* = y/i = {num(self.optimum_weight)}$",
            "",
            "### Where the learning rate comes from",
            "",
            *(f"- {line}" for line in self.learning_rate_lines()),
        ]
        warning = self.warning()
        if warning:
            lines += ["", f"**{warning}**"]
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict:
        lo, hi = self.stable_learning_rates
        return {
            "lesson": "simplest",
            "input": self.input,
            "target": self.target,
            "initial_weight": self.weight,
            "learning_rate": self.learning_rate,
            "tolerance": self.tolerance,
            "forward": {"activation": self.first.activation, "cost": self.first.cost},
            "chain_rule": [asdict(f) for f in self.factors],
            "gradient_formula": self.gradient_text(),
            "gradient_formula_latex": sympy.latex(as_floats(self.gradient_formula)),
            "optimum_weight": self.optimum_weight,
            "curvature": self.curvature,
            "convergence_factor": self.convergence_factor,
            "stable_learning_rates": [lo, hi],
            "fastest_learning_rate": self.fastest_learning_rate,
            "verdict": self.verdict,
            "converged": self.converged,
            "stopped": self.stopped,
            "steps": [asdict(s) for s in self.steps],
        }

    def graph(self) -> Value:
        """The graph of the first step, rebuilt from fresh leaves, after one backward pass.

        Fresh leaves, because the leaves of ``network`` (i, y) are reused by
        the descent and have accumulated the gradients of every step.
        """
        n = self.network
        fresh = forward(*(Value(v.data, label=v.label) for v in (n.i, n.w, n.y)))
        fresh.C.backward()
        return fresh.C

    def plot(self, path: str) -> None:
        from ..viz.descent import plot_descent

        plot_descent(self, path)


def _latex(formula: str) -> str:
    """Our blackboard notation inside LaTeX math: real minus signs and cdots."""
    return formula.replace("−", "-").replace("·", r" \cdot ").replace("²", "^2")


# ------------------------------------------------------------------- the maths
def gradient_formula(input: float, target: float) -> sympy.Expr:
    """dC/dw as an exact formula of w, by sympy, from the graph of one forward pass."""
    return _analyse(float(input), float(target)).gradient


@dataclass(frozen=True)
class _FactorTemplate:
    """One link of the chain rule as a formula in the labels, whatever the numbers."""

    name: str  # "dC/da"
    formula: str  # "2(a − y)"
    derivative: object  # the sympy expression, to evaluate at the numbers


@functools.lru_cache(maxsize=1)
def _factor_templates() -> tuple[_FactorTemplate, ...]:
    """dC/da and da/dw as formulas of the labels, derived once from the graph by sympy.

    Unlabelled intermediate nodes (a − y) are folded into the labelled node
    that uses them, so the chain runs over the named quantities w → a → C.
    The formulas depend only on the graph's shape, not on its numbers, so
    they are derived once (sympy is slow; the explorer asks for them often).
    """
    net = forward(Value(1.0, label="i"), Value(1.0, label="w"), Value(1.0, label="y"))
    sym = {v: sympy.Symbol(v.label) for v in (net.i, net.w, net.y, net.a)}
    templates = []
    for top, below in ((net.C, net.a), (net.a, net.w)):
        expr = to_sympy(top, symbols={v: s for v, s in sym.items() if v is not top})
        derivative = sympy.factor_terms(sympy.diff(expr, sym[below]))
        templates.append(_FactorTemplate(f"d{top.label}/d{below.label}", pretty(derivative), derivative))
    return tuple(templates)


@dataclass(frozen=True)
class _Analysis:
    """What sympy derives from the graph for given i and y (exact formulas in w)."""

    cost_formula: sympy.Expr
    gradient: sympy.Expr
    curvature: float
    optimum: float
    activation_in_weight: str  # "1.5w"


@functools.lru_cache(maxsize=256)  # bounded: the explorer asks for the same (i, y) again and again
def _analyse(input: float, target: float) -> _Analysis:
    w = sympy.Symbol("w")
    net = forward(Value(input, label="i"), Value(0.0, label="w"), Value(target, label="y"))
    cost_formula = to_sympy(net.C, [net.w])
    gradient = sympy.expand(sympy.diff(cost_formula, w))
    (optimum,) = sympy.solve(gradient, w)
    return _Analysis(
        cost_formula=cost_formula,
        gradient=gradient,
        curvature=float(sympy.diff(cost_formula, w, 2)),
        optimum=float(optimum),
        activation_in_weight=pretty(as_floats(to_sympy(net.a, [net.w]))),
    )


def _chain_factors(net: Network, analysis: _Analysis) -> list[ChainFactor]:
    """dC/da and da/dw at this forward pass: the formulas, then with its numbers."""
    numbers = {v.label: num(v.data).replace("-", "−") for v in (net.i, net.y, net.a)}
    in_weight = dict(numbers, a=analysis.activation_in_weight)
    values = {sympy.Symbol(v.label): v.data for v in (net.i, net.y, net.a)}
    return [
        ChainFactor(
            name=t.name,
            formula=t.formula,
            with_numbers=substitute(t.formula, numbers),
            in_weight=substitute(t.formula, in_weight),
            value=float(t.derivative.xreplace(values)),
        )
        for t in _factor_templates()
    ]


def _check(name: str, x: float, low: float = -LIMIT, high: float = LIMIT) -> float:
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        raise InvalidValueError(f"{name} must be a number, got {x!r}")
    x = float(x)
    if not (low <= x <= high):
        raise InvalidValueError(f"{name} = {x!r} is out of range; allowed: {low:g} to {high:g}")
    return x


def train(
    input: float = DEFAULTS["input"],
    target: float = DEFAULTS["target"],
    weight: float = DEFAULTS["weight"],
    learning_rate: float = DEFAULTS["learning_rate"],
    steps: int = DEFAULTS["steps"],
    tolerance: float = DEFAULTS["tolerance"],
) -> SimplestResult:
    """Explain the first step, then descend until |dC/dw| < tolerance, the step limit, or divergence."""
    input, target, weight = _check("input", input), _check("target", target), _check("weight", weight)
    learning_rate = _check("learning_rate", learning_rate, 0.0, LIMIT)
    if learning_rate <= 0.0:
        raise InvalidValueError(f"learning_rate = {learning_rate!r} must be > 0")
    tolerance = _check("tolerance", tolerance, 0.0, LIMIT)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= MAX_STEPS:
        raise InvalidValueError(f"steps = {steps!r} is out of range; allowed: 0 to {MAX_STEPS}")
    if input == 0.0:
        raise InvalidValueError("input = 0 makes a = 0 whatever the weight: there is nothing to learn (w* = y/i)")
    if abs(input) < 1e-150:  # C'' = 2i² would underflow: no finite w* = y/i, no stable learning rate 2/C''
        raise InvalidValueError(f"input = {input!r} is so close to 0 that i² underflows to 0; allowed: |input| >= 1e-150")

    i_node, w_node, y_node = Value(input, label="i"), Value(weight, label="w"), Value(target, label="y")
    first = forward(i_node, w_node, y_node)
    first.C.backward()
    analysis = _analyse(input, target)
    result = SimplestResult(
        input=input,
        target=target,
        weight=weight,
        learning_rate=learning_rate,
        tolerance=tolerance,
        max_steps=steps,
        factors=_chain_factors(first, analysis),
        gradient_formula=analysis.gradient,
        cost_formula=analysis.cost_formula,
        optimum_weight=analysis.optimum,
        curvature=analysis.curvature,
        convergence_factor=1.0 - learning_rate * analysis.curvature,
        network=first,
    )

    # Gradient descent with the engine: a fresh graph for each step, as in any training loop.
    w_node = Value(weight, label="w")
    for k in range(steps + 1):
        net = forward(i_node, w_node, y_node)
        w_node.grad = 0.0
        net.C.backward()
        result.steps.append(Step(k, w_node.data, net.a.data, net.C.data, w_node.grad))
        if abs(w_node.grad) < tolerance:
            result.stopped = "converged"
            break
        if net.C.data > DIVERGED_COST:
            result.stopped = "diverged"
            break
        if k == steps:
            result.stopped = "step limit"
            break
        w_node.data -= learning_rate * w_node.grad
    return result


# ------------------------------------------------------------------ command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    bounded = _bounded
    parser.add_argument("--input", type=bounded(-LIMIT, LIMIT), default=DEFAULTS["input"], help="the input i (default 1.5)")
    parser.add_argument("--target", type=bounded(-LIMIT, LIMIT), default=DEFAULTS["target"], help="the target y (default 0.8)")
    parser.add_argument("--weight", type=bounded(-LIMIT, LIMIT), default=DEFAULTS["weight"], help="the initial weight w (default 0.8)")
    parser.add_argument(
        "--learning-rate", "--lr", dest="learning_rate", type=_positive_bounded, default=DEFAULTS["learning_rate"],
        help="the learning rate lr > 0 (default 0.1)",
    )
    parser.add_argument("--steps", type=int_in_range(0, MAX_STEPS), default=DEFAULTS["steps"], help="the most descent steps (default 100)")
    parser.add_argument("--tolerance", type=non_negative_float, default=DEFAULTS["tolerance"], help="stop when |dC/dw| < this (default 1e-6)")


def _bounded(low: float, high: float):
    def parse(text: str) -> float:
        x = finite_float(text)
        if not low <= x <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is out of range; allowed: {low:g} to {high:g}")
        return x

    return parse


def _positive_bounded(text: str) -> float:
    x = finite_float(text)
    if not 0 < x <= LIMIT:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range; allowed: 0 < lr <= {LIMIT:g}")
    return x


def run(args: argparse.Namespace) -> SimplestResult:
    if args.input == 0.0:
        raise InvalidValueError("--input 0 makes a = 0 whatever the weight: there is nothing to learn; give a non-zero input")
    return train(args.input, args.target, args.weight, args.learning_rate, args.steps, args.tolerance)

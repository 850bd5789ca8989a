"""What the home page shows, computed by ``chainrule.lessons.simplest`` and the scalar engine.

The page keeps four sliders (input, target, starting weight, learning rate)
and a step counter k. For each state it asks for one answer holding:

* the descent from the starting weight, steps 0..k (``lessons.simplest.train``);
* the forward pass and the chain rule *at the current weight* w_k, with numbers;
* the closed form dC/dw (derived by sympy, as text and as MathML);
* the cost parabola C(w) sampled by the engine over every step (the view follows
  a diverging point; its cost axis turns logarithmic once the point flew off),
  the tangent at w_k, and the chart in words (its text alternative);
* the learning-rate verdict (converges / oscillates / diverges, stable range)
  and the marks of the page's learning-rate ruler.

The page draws these; it computes nothing itself.
"""

from __future__ import annotations

from dataclasses import asdict

from ..explainer.format import factor, num, pretty
from ..explainer.polynomial import Polynomial
from ..lessons import simplest
from ..scalar import Value
from .api_models import SimplestRequest

# Points of the drawn parabola: smooth at any zoom the page uses.
PARABOLA_POINTS = 121


def _mathml(formula: Polynomial) -> str:
    """Presentation MathML for a formula, as sympy prints it, wrapped in a <math> element."""
    body = formula.mathml().replace("<mo>-</mo>", "<mo>−</mo>")  # a real minus sign, as on a blackboard
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def _cost_at(i: float, y: float, w: float) -> float:
    """C(w) = (i·w − y)², by a forward pass of the engine."""
    return simplest.forward(Value(i, label="i"), Value(w, label="w"), Value(y, label="y")).C.data


def _plot_range(result: simplest.SimplestResult, steps: list) -> tuple[float, float]:
    """The w-interval to draw: the optimum, the start and every step, so that the current point is always in view.

    A diverging descent is followed wherever it goes (the engine stops it as soon as divergence is certain, a few
    steps in); the cost axis then turns logarithmic (``_cost_axis``) so that the early steps stay apart.
    """
    w_star, w0 = result.optimum_weight, result.weight
    shown = [s.weight for s in steps] + [w_star, w0]
    low, high = min(shown), max(shown)
    margin = max(0.5, 0.15 * (high - low))
    return low - margin, high + margin


# The cost axis turns logarithmic once the cost has grown this many times its start: the point flew off.
LOG_COSTS_FROM = 1e3


def _cost_axis(steps: list) -> str:
    """'log' when the cost grew more than ``LOG_COSTS_FROM`` times its start (a linear axis would flatten the
    first steps onto the floor), else 'linear'."""
    start, top = steps[0].cost, max(s.cost for s in steps)
    return "log" if start > 0 and top > LOG_COSTS_FROM * start else "linear"


def _samples(low: float, high: float, steps: list, w_star: float) -> list[float]:
    """Where the parabola is evaluated: evenly over [low, high], plus the minimum and every step (so the curve
    passes through each drawn point even when the interval is wide)."""
    even = [low + (high - low) * n / (PARABOLA_POINTS - 1) for n in range(PARABOLA_POINTS)]
    return sorted(set(even + [w_star] + [s.weight for s in steps]))


def _ruler(result: simplest.SimplestResult, lr: float) -> dict:
    """The learning-rate ruler's marks: 0, 1/C'' (one step), 2/C'' (the edge of stability), and lr itself."""
    lo, hi = result.stable_learning_rates
    return {
        "fastest": result.fastest_learning_rate, "stable": hi,
        "fastest_text": f"1/C″ = {num(result.fastest_learning_rate)}", "stable_text": f"2/C″ = {num(hi)}",
        "learning_rate_text": f"lr = {num(lr)}",
    }


def _describe(result, last, low: float, high: float, axis: str) -> str:
    """The parabola chart in words (its text alternative; the step history table holds every point)."""
    scale = "a logarithmic" if axis == "log" else "a linear"
    return (f"The cost C(w) = {pretty(result.cost_formula.text())} drawn for w from {num(low)} to {num(high)} on "
            f"{scale} cost axis, with the {len(result.steps)} points of the descent (listed in the step history): "
            f"now at step {last.step}, w = {num(last.weight)}, C = {num(last.cost)}, slope dC/dw = "
            f"{num(last.gradient)}; the minimum is at w* = {num(result.optimum_weight)}, where C = 0.")


def explore(req: SimplestRequest) -> dict:
    """The whole state of the home page for one request (see the module docstring)."""
    result = simplest.train(**req.model_dump())
    last = result.steps[-1]
    i, y = req.input, req.target

    low, high = _plot_range(result, result.steps)
    ws = _samples(low, high, result.steps, result.optimum_weight)
    axis = _cost_axis(result.steps)
    half = (high - low) / 6.0
    tangent_w = [last.weight - half, last.weight + half]
    # The tangent line C_k + g_k·(w − w_k), evaluated with the engine's Value arithmetic.
    g, c = Value(last.gradient), Value(last.cost)
    tangent_c = [(c + g * (w - last.weight)).data for w in tangent_w]

    # The forward pass and the chain rule at w_k: the lesson's own explanation, at the current step.
    here = simplest.chain_factors({"i": i, "y": y, "a": last.activation}, simplest.activation_in_weight(i, y))
    factors = [dict(asdict(f), value_text=num(f.value)) for f in here]

    data = simplest.explain(result).to_json()
    data.update(
        {
            "current": {
                "step": last.step,
                "weight": last.weight,
                "activation": last.activation,
                "cost": last.cost,
                "gradient": last.gradient,
                "next_weight": last.weight - req.learning_rate * last.gradient,
                "text": {
                    "weight": num(last.weight),
                    "activation": num(last.activation),
                    "cost": num(last.cost),
                    "gradient": num(last.gradient),
                },
                "forward_lines": [m.text for m in simplest.forward_lines(result, last)],
                "chain_rule": factors,
                "chain_rule_lines": [m.text for m in simplest.chain_rule_lines(result, here, last.gradient)],
                "update_line": (
                    f"w ← w − lr · dC/dw = {num(last.weight)} − {factor(req.learning_rate)} · {factor(last.gradient)}"
                    f" = {num(last.weight - req.learning_rate * last.gradient)}"
                ),
            },
            "closed_form_line": simplest.closed_form_line(result),
            "gradient_pretty": pretty(result.gradient_formula.text()),
            "gradient_mathml": _mathml(result.gradient_formula),
            "cost_pretty": pretty(result.cost_formula.text()),
            "cost_mathml": _mathml(result.cost_formula),
            "typo_line": simplest.typo_line(result),
            "learning_rate_lines": simplest.learning_rate_lines(result),
            "warning": simplest.warning(result),
            "stop_line": simplest.status_line(result, last),
            "parabola": {"w": ws, "cost": [_cost_at(i, y, w) for w in ws]},
            "tangent": {"w": tangent_w, "cost": tangent_c},
            "plot_range": [low, high],
            "cost_axis": axis,
            "plot_description": _describe(result, last, low, high, axis),
            "ruler": _ruler(result, req.learning_rate),
            "steps_text": [
                {"step": s.step, "weight": num(s.weight), "activation": num(s.activation), "cost": num(s.cost),
                 "gradient": num(s.gradient)}
                for s in result.steps
            ],
        }
    )
    return data

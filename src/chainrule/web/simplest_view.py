"""What the home page shows, computed by ``chainrule.lessons.simplest`` and the scalar engine.

The page keeps four sliders (input, target, starting weight, learning rate)
and a step counter k. For each state it asks for one answer holding:

* the descent from the starting weight, steps 0..k (``lessons.simplest.train``);
* the forward pass and the chain rule *at the current weight* w_k, with numbers;
* the closed form dC/dw (sympy, as text and as MathML);
* the cost parabola C(w) sampled by the engine, and the tangent at w_k;
* the learning-rate verdict (converges / oscillates / diverges, stable range).

The page draws these; it computes nothing itself.
"""

from __future__ import annotations

import functools
from dataclasses import asdict

import sympy

from ..explainer.format import factor, num, pretty
from ..explainer.symbolic import as_floats
from ..lessons import simplest
from ..scalar import Value
from .api_models import SimplestRequest

# Points of the drawn parabola: smooth at any zoom the page uses.
PARABOLA_POINTS = 121


@functools.lru_cache(maxsize=512)  # bounded; the same few formulas are asked for again and again
def _mathml(expr: sympy.Expr) -> str:
    """Presentation MathML for a formula, as sympy prints it, wrapped in a <math> element."""
    body = sympy.printing.mathml(as_floats(expr), printer="presentation")
    body = body.replace("<mo>-</mo>", "<mo>−</mo>")  # a real minus sign, as on a blackboard
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def _cost_at(i: float, y: float, w: float) -> float:
    """C(w) = (i·w − y)², by a forward pass of the engine."""
    return simplest.forward(Value(i, label="i"), Value(w, label="w"), Value(y, label="y")).C.data


def _plot_range(result: simplest.SimplestResult, steps: list) -> tuple[float, float]:
    """The w-interval to draw: the optimum, the start and every step that stays near them."""
    w_star, w0 = result.optimum_weight, result.weight
    reach = 4.0 * abs(w0 - w_star) + 1.0  # a diverging trail runs off; draw its first jumps only
    shown = [s.weight for s in steps if abs(s.weight - w_star) <= reach]
    low, high = min(shown + [w_star, w0]), max(shown + [w_star, w0])
    margin = max(0.5, 0.15 * (high - low))
    return low - margin, high + margin


def _status(result: simplest.SimplestResult, last) -> str:
    """One line on where the descent stands: diverged, at the minimum, or how far from it."""
    if result.stopped == "diverged":
        return simplest.stop_line(result)
    if abs(last.gradient) < 1e-6:
        return (f"At the minimum after {last.step} steps: |dC/dw| = {num(abs(last.gradient))} < 10⁻⁶, "
                f"w = {num(last.weight)} ≈ w* = y/i = {num(result.optimum_weight)}.")
    return f"w* = y/i = {num(result.optimum_weight)}; the weight is {num(abs(last.weight - result.optimum_weight))} away."


def explore(req: SimplestRequest) -> dict:
    """The whole state of the home page for one request (see the module docstring)."""
    result = simplest.train(**req.model_dump())
    last = result.steps[-1]
    i, y = req.input, req.target

    low, high = _plot_range(result, result.steps)
    ws = [low + (high - low) * n / (PARABOLA_POINTS - 1) for n in range(PARABOLA_POINTS)]
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
            "gradient_pretty": pretty(as_floats(result.gradient_formula)),
            "gradient_mathml": _mathml(result.gradient_formula),
            "cost_pretty": pretty(as_floats(result.cost_formula)),
            "cost_mathml": _mathml(result.cost_formula),
            "typo_line": simplest.typo_line(result),
            "learning_rate_lines": simplest.learning_rate_lines(result),
            "warning": simplest.warning(result),
            "stop_line": _status(result, last),
            "parabola": {"w": ws, "cost": [_cost_at(i, y, w) for w in ws]},
            "tangent": {"w": tangent_w, "cost": tangent_c},
            "plot_range": [low, high],
            "steps_text": [
                {"step": s.step, "weight": num(s.weight), "activation": num(s.activation), "cost": num(s.cost),
                 "gradient": num(s.gradient)}
                for s in result.steps
            ],
        }
    )
    return data

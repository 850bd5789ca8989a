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

import sympy

from ..explainer.format import num, pretty, substitute
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
        return result.stop_line()
    if abs(last.gradient) < 1e-6:
        return (f"At the minimum after {last.step} steps: |dC/dw| = {num(abs(last.gradient))} < 10⁻⁶, "
                f"w = {num(last.weight)} ≈ w* = y/i = {num(result.optimum_weight)}.")
    return f"w* = y/i = {num(result.optimum_weight)}; the weight is {num(abs(last.weight - result.optimum_weight))} away."


def explore(req: SimplestRequest) -> dict:
    """The whole state of the home page for one request (see the module docstring)."""
    result = simplest.train(req.input, req.target, req.weight, req.learning_rate, req.steps, req.tolerance)
    # A diverging descent is cut where the weight leaves the lesson's range (|w| ≤ 10⁶):
    # beyond it the numbers mean nothing to a reader, and the lesson refuses to explain them.
    for n, s in enumerate(result.steps):
        if abs(s.weight) > simplest.LIMIT:
            del result.steps[max(n, 1):]
            result.stopped = "diverged"
            break
    last = result.steps[-1]
    # The explanation at the current weight: the same lesson, started from w_k, no steps taken.
    here = simplest.train(req.input, req.target, last.weight, req.learning_rate, 0, 0.0)
    i, y = req.input, req.target

    low, high = _plot_range(result, result.steps)
    ws = [low + (high - low) * n / (PARABOLA_POINTS - 1) for n in range(PARABOLA_POINTS)]
    half = (high - low) / 6.0
    tangent_w = [last.weight - half, last.weight + half]
    # The tangent line C_k + g_k·(w − w_k), evaluated with the engine's Value arithmetic.
    g, c = Value(last.gradient), Value(last.cost)
    tangent_c = [(c + g * (w - last.weight)).data for w in tangent_w]

    # The chain rule at w_k: the lesson's formulas, with the numbers written the way the page writes them.
    def signed(x: float) -> str:  # a real minus sign, so that substitute() brackets negative numbers
        return num(x).replace("-", "−")

    numbers = {"i": signed(i), "y": signed(y), "a": signed(last.activation), "w": signed(last.weight)}
    factors = [
        {"name": f.name, "formula": f.formula, "with_numbers": substitute(f.formula, numbers), "value": f.value,
         "value_text": num(f.value)}
        for f in here.factors
    ]

    data = result.to_json()
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
                "forward_lines": [
                    f"a = i·w = {num(i)} · {num(last.weight)} = {num(last.activation)}",
                    f"C = (a − y)² = ({num(last.activation)} − {num(y)})² = {num(last.cost)}",
                ],
                "chain_rule": factors,
                "chain_rule_lines": [
                    f"dC/dw = {' · '.join(f['name'] for f in factors)} = {' · '.join(f['formula'] for f in factors)}",
                    f"      = {' · '.join(f['with_numbers'] for f in factors)} = {num(last.gradient)}",
                ],
                "update_line": (
                    f"w ← w − lr · dC/dw = {num(last.weight)} − {num(req.learning_rate)} · {num(last.gradient)}"
                    f" = {num(last.weight - req.learning_rate * last.gradient)}"
                ),
            },
            "closed_form_line": result.closed_form_line(),
            "gradient_pretty": pretty(as_floats(result.gradient_formula)),
            "gradient_mathml": _mathml(result.gradient_formula),
            "cost_pretty": pretty(as_floats(sympy.expand(result.cost_formula))),
            "cost_mathml": _mathml(sympy.expand(result.cost_formula)),
            "typo_line": result.typo_line(),
            "learning_rate_lines": result.learning_rate_lines(),
            "warning": result.warning(),
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

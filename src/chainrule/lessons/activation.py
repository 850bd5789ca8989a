"""Rung 3, a bias and an activation: z = w·i + b, a = f(z), C = (a − y)².

The chain gains a link, the slope of the activation:

    dC/dw = dC/da · da/dz · dz/dw = 2(a − y) · f′(z) · i
    dC/db = dC/da · da/dz · dz/db = 2(a − y) · f′(z) · 1

with f′(z) = σ(z)(1 − σ(z)) for the sigmoid, 1 − tanh²z for tanh, and
1 or 0 for relu (by the sign of z). Because f bends, the cost is no longer a
parabola in w: its curvature d²C/dw² changes from place to place (for the
simplest network it was the constant 2i²), and far from the answer the
slope f′(z) flattens, so the gradient fades (the sigmoid's plateaus).
``--plot`` draws the cost over the weight and the bias, with the descent.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import sympy

from ..commands.options import float_in_range, int_in_range
from ..explainer import Derivation, explain
from ..explainer.format import num, pretty
from ..explainer.forward import forward_lines
from ..explainer.ranking import Ranking
from ..explainer.symbolic import as_floats, to_sympy
from ..scalar import Value
from .report import Report, Section, Table

SUMMARY = "A bias and an activation (sigmoid, tanh, relu): f′(z) joins the chain, and the cost stops being a parabola (--plot)."

ACTIVATIONS = ("sigmoid", "tanh", "relu")
DEFAULTS = dict(activation="sigmoid", input=1.5, target=0.8, weight=0.8, bias=0.0, learning_rate=0.5, steps=5)
LIMIT = 1e3
# Where the curvature d²C/dw² is shown, to see that it changes.
CURVATURE_AT = (-2.0, 0.0, 1.0, 3.0)


@dataclass
class Network:
    i: Value
    w: Value
    b: Value
    y: Value
    z: Value
    a: Value
    C: Value


def forward(i: Value, w: Value, b: Value, y: Value, activation: str) -> Network:
    """z = w·i + b, a = f(z), C = (a − y)²."""
    z = (w * i + b).named("z")
    a = getattr(z, activation)().named("a")
    C = ((a - y) ** 2).named("C")
    return Network(i, w, b, y, z, a, C)


@dataclass
class ActivationResult(Report):
    activation: str
    input: float
    target: float
    learning_rate: float
    network: Network
    derivation: Derivation
    ranking: Ranking
    cost_formula: sympy.Expr  # C(w, b)
    curvature: list[tuple[float, float | None]]  # (w, d²C/dw² at b)
    history: list[dict] = field(default_factory=list)

    lesson = "activation"

    @property
    def title(self) -> str:
        return f"A bias and an activation: z = w·i + b, a = {self.activation}(z), C = (a − y)²"

    def graph(self) -> Value:
        return self.network.C

    def curvature_lines(self) -> list[str]:
        values = ", ".join(f"{num(w)}: {'undefined' if c is None else num(c, 4)}" for w, c in self.curvature)
        return [
            f"C(w, b) = {pretty(as_floats(self.cost_formula))}",
            f"Curvature d²C/dw² at b = {num(self.network.b.data)}, for w = {values}.",
            f"A parabola has the same curvature everywhere (the simplest network: 2i² = {num(2 * self.input**2)}); "
            f"through {self.activation} it changes from place to place: the cost is no longer a parabola.",
        ]

    def sections(self) -> list[Section]:
        return [
            Section("Forward pass", forward_lines(self.network.C), math=True),
            Section("Chain rule: the activation's slope f′(z) joins the product", derivation=self.derivation),
            Section("The cost landscape", self.curvature_lines()),
            Section("Which parameter matters most this step", [self.ranking.verdict()],
                    table=Table(self.ranking.columns(), self.ranking.rows())),
            Section(
                f"Gradient descent (lr = {num(self.learning_rate)})",
                table=Table(["step", "w", "b", "a", "C", "dC/dw", "dC/db"], [
                    [str(h["step"]), num(h["weight"]), num(h["bias"]), num(h["activation"]), num(h["cost"]),
                     num(h["dC_dw"]), num(h["dC_db"])] for h in self.history]),
            ),
        ]

    def data(self) -> dict:
        return {
            "activation": self.activation,
            "input": self.input,
            "target": self.target,
            "learning_rate": self.learning_rate,
            "derivation": self.derivation.to_json(),
            "ranking": self.ranking.to_json(),
            "cost_formula": pretty(as_floats(self.cost_formula)),
            "curvature": [{"weight": w, "d2C_dw2": c} for w, c in self.curvature],
            "steps": self.history,
        }

    def cost_at(self, weight: float, bias: float) -> float:
        """C at (w, b), by the engine's forward pass."""
        n = self.network
        return forward(n.i, Value(weight), Value(bias), n.y, self.activation).C.data

    def plot(self, path: str) -> None:
        from ..viz.landscape import plot_landscape

        plot_landscape(self, path)


def train(activation=DEFAULTS["activation"], input=DEFAULTS["input"], target=DEFAULTS["target"], weight=DEFAULTS["weight"],
          bias=DEFAULTS["bias"], learning_rate=DEFAULTS["learning_rate"], steps=DEFAULTS["steps"]) -> ActivationResult:
    from ..errors import InvalidValueError

    if activation not in ACTIVATIONS:
        raise InvalidValueError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")
    i, y = Value(input, label="i"), Value(target, label="y")
    w, b = Value(weight, label="w"), Value(bias, label="b")
    first = forward(i, w, b, y, activation)
    first.C.backward()
    derivation = explain(first.C, wrt=[w, b])
    cost = to_sympy(first.C, [w, b])
    second = sympy.diff(cost, sympy.Symbol("w"), 2)
    curvature = []
    for at in CURVATURE_AT:
        try:
            c = float(second.subs({sympy.Symbol("w"): at, sympy.Symbol("b"): bias}))
        except (TypeError, ValueError):  # relu's kink: no second derivative there
            c = None
        curvature.append((at, c))
    result = ActivationResult(activation, input, target, learning_rate, first, derivation,
                              derivation.ranking(learning_rate), cost, curvature)
    wv, bv = weight, bias
    for k in range(steps + 1):
        ww, bb = Value(wv, label="w"), Value(bv, label="b")
        net = forward(_fresh(i), ww, bb, _fresh(y), activation)  # fresh leaves: the explained graph keeps one pass
        net.C.backward()
        result.history.append({"step": k, "weight": wv, "bias": bv, "activation": net.a.data, "cost": net.C.data,
                               "dC_dw": ww.grad, "dC_db": bb.grad})
        wv, bv = wv - learning_rate * ww.grad, bv - learning_rate * bb.grad
    return result


def _fresh(v: Value) -> Value:
    return Value(v.data, label=v.label)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--activation", choices=ACTIVATIONS, default=DEFAULTS["activation"], help="f (default sigmoid)")
    parser.add_argument("--input", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["input"], help="the input i (default 1.5)")
    parser.add_argument("--target", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["target"], help="the target y (default 0.8)")
    parser.add_argument("--weight", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["weight"], help="the initial weight (default 0.8)")
    parser.add_argument("--bias", type=float_in_range(-LIMIT, LIMIT), default=DEFAULTS["bias"], help="the initial bias (default 0)")
    parser.add_argument("--learning-rate", "--lr", dest="learning_rate", type=float_in_range(0, 100, exclude_low=True),
                        default=DEFAULTS["learning_rate"], help="the learning rate (default 0.5)")
    parser.add_argument("--steps", type=int_in_range(0, 1000), default=DEFAULTS["steps"], help="descent steps (default 5)")


def run(args: argparse.Namespace) -> ActivationResult:
    return train(args.activation, args.input, args.target, args.weight, args.bias, args.learning_rate, args.steps)

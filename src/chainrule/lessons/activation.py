"""Rung 3, a bias and an activation: z = w·i + b, a = f(z), C = (a − y)².

The chain gains a link, the slope of the activation:

    dC/dw = dC/da · da/dz · dz/dw = 2(a − y) · f′(z) · i
    dC/db = dC/da · da/dz · dz/db = 2(a − y) · f′(z) · 1

with f′(z) = σ(z)(1 − σ(z)) for the sigmoid, 1 − tanh²z for tanh, and
1 or 0 for relu (by the sign of z). Because f bends, the cost is no longer a
parabola in w: its curvature d²C/dw² changes from place to place (for the
simplest network it was the constant 2i²), and far from the answer the
slope f′(z) flattens, so the gradient fades (the sigmoid's plateaus). A relu
that is off (z ≤ 0) has slope 0: no gradient reaches w or b at all, and
descent cannot move them: a dead unit. ``--plot`` draws the cost over the
weight and the bias, with the descent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..explainer import Derivation, explain as derive
from ..explainer.format import num, pretty
from ..explainer.forward import forward_lines
from ..explainer.ranking import rank
from ..explainer.report import Report, Section, Table
from ..explainer.symbolic import as_floats, to_sympy
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson
from .steps import OVERFLOW, diverged, fresh, ranking_section, stop_section

NAME = "activation"
SUMMARY = "A bias and an activation (sigmoid, tanh, relu): f′(z) joins the chain, and the cost stops being a parabola (--plot)."
ACTIVATIONS = ("sigmoid", "tanh", "relu")

PARAMS = Params(
    Param("activation", "sigmoid", "the activation f", kind="choice", choices=ACTIVATIONS),
    Param("input", 1.5, "the input i", low=-1e3, high=1e3, symbol="i"),
    Param("target", 0.8, "the target y", low=-1e3, high=1e3, symbol="y"),
    Param("weight", 0.8, "the initial weight w", low=-1e3, high=1e3, symbol="w"),
    Param("bias", 0.0, "the initial bias b", low=-1e3, high=1e3, symbol="b"),
    Param("learning_rate", 0.5, "the learning rate", low=0, low_open=True, high=100, flags=("--lr",), symbol="lr"),
    Param("steps", 5, "descent steps", kind="int", low=0, high=1000),
)
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
class ActivationResult:
    activation: str
    input: float
    target: float
    learning_rate: float
    network: Network
    derivation: Derivation
    cost_formula: sympy.Expr  # C(w, b)
    curvature: list[tuple[float, float | None]]  # (w, d²C/dw² at b)
    history: list[dict] = field(default_factory=list)
    stopped: str = ""  # why the descent stopped early (it diverged), if it did

    def graph(self) -> Value:
        return self.network.C

    @property
    def dead(self) -> bool:
        """A relu that is off: its slope is 0, so no gradient reaches w or b."""
        return self.activation == "relu" and self.network.z.data <= 0.0

    def cost_at(self, weight: float, bias: float) -> float:
        """C at (w, b), by the engine's forward pass."""
        n = self.network
        return forward(n.i, Parameter(weight), Parameter(bias), n.y, self.activation).C.data


def _dead_reason(z: float) -> str:
    return (f"the ReLU is off (z = {num(z)} ≤ 0), so its slope f′(z) is 0 and no gradient flows back through it: "
            "a dead unit")


def explain(result: ActivationResult) -> Report:
    n = result.network
    values = ", ".join(f"{num(w)}: {'undefined' if c is None else num(c, 4)}" for w, c in result.curvature)
    landscape = [
        f"C(w, b) = {pretty(as_floats(result.cost_formula))}",
        f"Curvature d²C/dw² at b = {num(n.b.data)}, for w = {values}.",
        f"A parabola has the same curvature everywhere (the simplest network: 2i² = {num(2 * result.input**2)}); "
        f"through {result.activation} it changes from place to place: the cost is no longer a parabola.",
    ]
    first = result.history[0]["ranking"]
    sections = [
        Section("Forward pass", forward_lines(n.C), math=True),
        Section("Chain rule: the activation's slope f′(z) joins the product", derivation=result.derivation),
    ]
    if result.dead:
        sections.append(Section("A dead unit", [
            f"z = w·i + b = {num(n.z.data)} ≤ 0: the ReLU outputs 0 and its slope is 0 there.",
            "Every path from w and b to the cost goes through that slope, so ∂C/∂w = ∂C/∂b = 0: gradient descent "
            "cannot move them, at this step or any later one. The unit is dead.",
            "It comes back to life only if something else moves z above 0: a larger bias, another input, or "
            "another starting weight (try --weight 0.8).",
        ], style="bold yellow"))
    sections += [
        Section("The cost landscape", landscape),
        Section("Which parameter matters most, at the first step", [first.verdict()],
                table=Table(first.columns(), first.rows())),
        ranking_section(result.history),
        Section(
            f"Gradient descent (lr = {num(result.learning_rate)})",
            table=Table(["step", "w", "b", "a", "C", "dC/dw", "dC/db"], [
                [str(h["step"]), num(h["weight"]), num(h["bias"]), num(h["activation"]), num(h["cost"]),
                 num(h["dC_dw"]), num(h["dC_db"])] for h in result.history]),
        ),
        *stop_section(result.stopped),
    ]
    data = {
        "activation": result.activation,
        "input": result.input,
        "target": result.target,
        "learning_rate": result.learning_rate,
        "dead_unit": result.dead,
        "derivation": result.derivation.to_json(),
        "ranking": first.to_json(),
        "cost_formula": pretty(as_floats(result.cost_formula)),
        "curvature": [{"weight": w, "d2C_dw2": c} for w, c in result.curvature],
        "steps": [{k: (v.to_json() if k == "ranking" else v) for k, v in h.items()} for h in result.history],
        "stopped": result.stopped,
    }
    title = f"A bias and an activation: z = w·i + b, a = {result.activation}(z), C = (a − y)²"
    return Report(NAME, title, sections, data)


def plot(result: ActivationResult, path: str) -> None:
    from ..viz.landscape import plot_landscape

    plot_landscape(result, path)


def train(**params) -> ActivationResult:
    p = PARAMS.resolve(params)
    activation, lr = p["activation"], p["learning_rate"]
    i, y = Value(p["input"], label="i"), Value(p["target"], label="y")
    w, b = Parameter(p["weight"], label="w"), Parameter(p["bias"], label="b")
    first = forward(i, w, b, y, activation)
    first.C.backward()
    derivation = derive(first.C, wrt=[w, b])
    cost = to_sympy(first.C, [w, b])
    second = sympy.diff(cost, sympy.Symbol("w"), 2)
    curvature = []
    for at in CURVATURE_AT:
        try:
            c = float(second.subs({sympy.Symbol("w"): at, sympy.Symbol("b"): p["bias"]}))
        except (TypeError, ValueError):  # relu's kink: no second derivative there
            c = None
        curvature.append((at, c))
    result = ActivationResult(activation, p["input"], p["target"], lr, first, derivation, cost, curvature)
    wv, bv = p["weight"], p["bias"]
    for k in range(p["steps"] + 1):
        try:
            ww, bb = Parameter(wv, label="w"), Parameter(bv, label="b")
            net = forward(fresh(i), ww, bb, fresh(y), activation)  # fresh leaves: the explained graph keeps one pass
        except OVERFLOW as exc:
            result.stopped = diverged(k, exc)
            break
        net.C.backward()
        reason = _dead_reason(net.z.data) if activation == "relu" and net.z.data <= 0.0 else ""
        result.history.append({"step": k, "weight": wv, "bias": bv, "activation": net.a.data, "cost": net.C.data,
                               "dC_dw": ww.grad, "dC_db": bb.grad,
                               "ranking": rank([("w", wv, ww.grad), ("b", bv, bb.grad)], lr, reason)})
        wv, bv = wv - lr * ww.grad, bv - lr * bb.grad
    return result


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains."""
    return train(**params).graph()


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, plot=plot)

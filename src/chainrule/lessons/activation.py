"""Rung 3, a bias and an activation: z = w·i + b, a = f(z), C = (a − y)².

The chain gains a link, the slope of the activation:

    ∂C/∂w = ∂C/∂a · ∂a/∂z · ∂z/∂w = 2(a − y) · f′(z) · i
    ∂C/∂b = ∂C/∂a · ∂a/∂z · ∂z/∂b = 2(a − y) · f′(z) · 1

with f′(z) = σ(z)(1 − σ(z)) for the sigmoid, 1 − tanh²z for tanh, and
1 or 0 for relu (by the sign of z). Because f bends, the cost is no longer a
parabola in w: its curvature d²C/dw² changes from place to place (for the
simplest network it was the constant 2i²), and far from the answer the
slope f′(z) flattens, so the gradient fades (the sigmoid's plateaus). A relu
that is off (z ≤ 0) has slope 0: no gradient reaches w or b at all, and
descent cannot move them: a dead unit. ``--plot`` draws the cost over the
weight and the bias, with the descent. The same ``forward`` run with
``chainrule.Tensor`` leaves is the neuron's tensor form (``tensors``), from
which ``chainrule code activation --lang numpy|torch`` is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..explainer import Derivation, explain as derive
from ..explainer.format import num, pretty
from ..explainer.forward import forward_lines
from ..explainer.report import Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value, parameter
from .contract import Lesson, LessonTensors
from .descent import Descent, descend, ranking_section, stop_section

if TYPE_CHECKING:  # for annotations: sympy is imported where a formula is written
    import sympy

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
    """z = w·i + b, a = f(z), C = (a − y)².

    With ``chainrule.Tensor`` leaves the same lines build the tensor form
    (``tensors``): the tensor engine has the same operators, the same three
    activations and ``named``.
    """
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
    descent: Descent  # one Step per step: the cost, w and b and their gradients, the ranking

    @property
    def stopped(self) -> str:
        """Why the descent stopped early (it diverged), if it did."""
        return self.descent.stopped

    def graph(self) -> Value:
        return self.network.C

    def activations(self) -> list[float]:
        """The output a = f(w·i + b) at every step of the descent, by the engine's forward pass."""
        n = self.network
        return [forward(n.i, Parameter(s.parameters["w"]), Parameter(s.parameters["b"]), n.y, self.activation).a.data
                for s in self.descent.steps]

    @property
    def dead(self) -> bool:
        """A relu that is off: its slope is 0, so no gradient reaches w or b."""
        return self.activation == "relu" and self.network.z.data <= 0.0

    def cost_at(self, weight: float, bias: float) -> float:
        """C at (w, b), by the engine's forward pass."""
        n = self.network
        return forward(n.i, Parameter(weight), Parameter(bias), n.y, self.activation).C.data


def _dead_reason(cost: Value) -> str:
    """Why no gradient reaches w and b, when the graph's ReLU is off (its input z ≤ 0); "" otherwise."""
    for node in cost.nodes():
        if node.op == "relu" and node.inputs[0].data <= 0.0:
            return (f"the ReLU is off (z = {num(node.inputs[0].data)} ≤ 0), so its slope f′(z) is 0 and no gradient "
                    "flows back through it: a dead unit")
    return ""


def explain(result: ActivationResult) -> Report:
    from ..explainer.symbolic import as_floats

    n = result.network
    values = ", ".join(f"{num(w)}: {'undefined' if c is None else num(c, 4)}" for w, c in result.curvature)
    landscape = [
        f"C(w, b) = {pretty(as_floats(result.cost_formula))}",
        f"Curvature d²C/dw² at b = {num(n.b.data)}, for w = {values}.",
        f"A parabola has the same curvature everywhere (the simplest network: 2i² = {num(2 * result.input**2)}); "
        f"through {result.activation} it changes from place to place: the cost is no longer a parabola.",
    ]
    steps = result.descent.steps
    first = steps[0].ranking
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
        ranking_section(steps),
        Section(
            f"Gradient descent (lr = {num(result.learning_rate)})",
            table=Table(["step", "w", "b", "a", "C", "∂C/∂w", "∂C/∂b"], [
                [str(s.step), num(s.parameters["w"]), num(s.parameters["b"]), num(a), num(s.cost),
                 num(s.gradients["w"]), num(s.gradients["b"])] for s, a in zip(steps, result.activations())]),
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
        "steps": [s.to_json() for s in steps],
        "activations": result.activations(),
        "stopped": result.stopped,
    }
    title = f"A bias and an activation: z = w·i + b, a = {result.activation}(z), C = (a − y)²"
    return Report(NAME, title, sections, data)


def plot(result: ActivationResult, path: str) -> None:
    from ..viz.landscape import plot_landscape

    plot_landscape(result, path)


def _first(p: dict) -> Network:
    """The neuron at its initial weight and bias, after one backward pass: the graph the lesson explains."""
    net = forward(Value(p["input"], label="i"), Parameter(p["weight"], label="w"), Parameter(p["bias"], label="b"),
                  Value(p["target"], label="y"), p["activation"])
    net.C.backward()
    return net


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains, without its sympy and its descent."""
    return _first(PARAMS.resolve(params)).C


def train(**params) -> ActivationResult:
    import sympy

    from ..explainer.symbolic import to_sympy

    p = PARAMS.resolve(params)
    activation, lr = p["activation"], p["learning_rate"]
    first = _first(p)
    i, w, b, y = first.i, first.w, first.b, first.y
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

    def step_cost(values: dict[str, float]) -> Value:
        """C at (w, b) = ``values``, on fresh leaves: the explained graph keeps its one pass."""
        return forward(Value(i.data, label="i"), Parameter(values["w"], label="w"), Parameter(values["b"], label="b"),
                       Value(y.data, label="y"), activation).C

    descent = descend(step_cost, {"w": p["weight"], "b": p["bias"]}, lr, p["steps"], reason=_dead_reason)
    return ActivationResult(activation, p["input"], p["target"], lr, first, derivation, cost, curvature, descent)


def tensors(**params) -> LessonTensors:
    """The neuron as tensors: ``forward`` itself, run with one-number ``chainrule.Tensor`` leaves.

    w and b are tensors that need their gradient (``pairs``: each beside the
    scalar parameter it stands for); i and y are data.
    """
    from ..tensor import Tensor  # numpy loads with the tensor form only (static_explorer/answers.py)
    p = PARAMS.resolve(params)
    scalar = _first(p)
    w, b = parameter(Tensor(scalar.w.data), "w"), parameter(Tensor(scalar.b.data), "b")
    net = forward(Tensor(scalar.i.data, name="i"), w, b, Tensor(scalar.y.data, name="y"), p["activation"])
    return LessonTensors(net.C, scalar.C, [(scalar.w, "w", ()), (scalar.b, "b", ())])


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, plot=plot,
                tensors=tensors)

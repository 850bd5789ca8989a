"""Rung 8, a recurrent unit: one weight w used at every time step, backprop through time, vanishing and exploding.

One tanh unit reads a sequence x₁ … x_T, carrying its state h from step to step
(h₀ = 0):

    zₜ = w·hₜ₋₁ + u·xₜ,     hₜ = tanh(zₜ),      C = (h_T − y)²

Unrolled, it is a chain of T links, and w sits on every link. So w reaches the cost
along one path per time step, and the chain rule adds them (backprop through time):

    ∂C/∂w = Σₜ ∂C/∂hₜ · tanh′(zₜ) · hₜ₋₁,      tanh′(zₜ) = 1 − hₜ²

where ∂C/∂hₜ comes back from the end of the sequence one link at a time:

    ∂C/∂hₜ₋₁ = ∂C/∂hₜ · w·tanh′(zₜ)      so      ∂C/∂h₀ = ∂C/∂h_T · Πₜ w·(1 − hₜ²)

a product of T factors. Where the factors are below 1 in size the gradient from
the far past shrinks geometrically: it *vanishes*, and early inputs cannot be
learned. Where they are above 1 it grows geometrically: it *explodes*. A factor
above 1 needs |w| > 1 and h in tanh's linear range, |h| < √(1 − 1/|w|); a unit
that saturates (|h| → 1, tanh′ → 0) makes the factors small again, so in a tanh
unit explosion lasts while h stays small, and vanishing is the rule over long
sequences. The fix for explosion is gradient clipping: when the gradient's norm
‖g‖ passes a threshold c, descend along g·c/‖g‖ instead (same direction, bounded
step). The lesson measures all of it with the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..explainer import Derivation, explain as derive
from ..explainer.format import factor, num, subscript
from ..explainer.forward import forward_lines
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson, LessonTensors
from .descent import Descent, Step, descend, ranking_section, stop_section

NAME = "recurrent"
SUMMARY = ("A recurrent tanh unit over T steps (--time-steps): backprop through time, one path per step, the same w; "
           "the product of T factors w·tanh′, vanishing, exploding, clipping (--plot).")
MAX_TIME_STEPS = 100
# The weights compared as the sequence grows, and the sequence lengths.
SWEEP_WEIGHTS = (0.5, 0.9, 1.2, 1.5, 2.0)
SWEEP_LENGTHS = (5, 10, 20, 40)
# The derivation lists every path for an unroll of this many steps (a path crosses every later step: long lines).
LISTED_STEPS = 3
# The forward pass shows this many first and last steps of a longer sequence.
SHOWN_STEPS = 3
# A product of factors beyond these is called exploding or vanishing.
EXPLODES, VANISHES = 10.0, 0.1

PARAMS = Params(
    Param("time_steps", 20, "the sequence length T (steps of time the unit is unrolled over)", kind="int", low=1,
          high=MAX_TIME_STEPS, symbol="T"),
    Param("inputs", (0.5, -0.8, 0.3), "the inputs x₁ x₂ …, repeated to fill the sequence", kind="floats",
          low=-10, high=10, length=(1, 10)),
    Param("weight", 1.2, "the initial recurrent weight w", low=-10, high=10, symbol="w"),
    Param("input_weight", 0.2, "the initial input weight u", low=-10, high=10, symbol="u"),
    Param("target", -0.5, "the target y for the last state h_T", low=-1, high=1, symbol="y"),
    Param("clip", 1.0, "gradient clipping: the largest gradient norm |g| a step may use", low=0, low_open=True,
          high=1e3, symbol="c"),
    Param("learning_rate", 0.5, "the learning rate", low=0, low_open=True, high=10, flags=("--lr",), symbol="lr"),
    Param("steps", 10, "descent steps (with and without clipping)", kind="int", low=0, high=1000),
)


@dataclass
class Network:
    w: Value
    u: Value
    h0: Value
    x: list[Value]
    z: list[Value]  # z₁ … z_T
    h: list[Value]  # h₁ … h_T
    y: Value
    C: Value


def forward(w: Value, u: Value, inputs: list[float], target: float) -> Network:
    """zₜ = w·hₜ₋₁ + u·xₜ, hₜ = tanh(zₜ) from h₀ = 0, C = (h_T − y)²."""
    h0 = Value(0.0, label="h₀")
    x = [Value(v, label=f"x{subscript(t)}") for t, v in enumerate(inputs, 1)]
    h, zs, hs = h0, [], []
    for t, xt in enumerate(x, 1):
        z = Value.dot([w, u], [h, xt]).named(f"z{subscript(t)}")
        h = z.tanh().named(f"h{subscript(t)}")
        zs.append(z)
        hs.append(h)
    y = Value(target, label="y")
    C = ((h - y) ** 2).named("C")
    return Network(w, u, h0, x, zs, hs, y, C)


def sequence(inputs: list[float], length: int) -> list[float]:
    """The inputs repeated to fill ``length`` steps."""
    return [inputs[t % len(inputs)] for t in range(length)]


def run(weight: float, input_weight: float, inputs: list[float], target: float) -> Network:
    """One forward and one backward pass on fresh leaves."""
    net = forward(Parameter(weight, label="w"), Parameter(input_weight, label="u"), inputs, target)
    net.C.backward()
    return net


def factors(net: Network) -> list[float]:
    """w·tanh′(zₜ) = w·(1 − hₜ²) for t = 1 … T: what each link multiplies the gradient by on its way back."""
    return [net.w.data * _slope(h) for h in net.h]


def _slope(h: Value) -> float:
    """tanh′(z) as the engine stored it on the edge z → h (the op table's 1 − tanh²z)."""
    return h.local[0]


@dataclass
class Sweep:
    """One recurrent weight over several sequence lengths: the product of the factors, and the gradients."""

    weight: float
    lengths: list[int]
    products: list[float]  # |∂C/∂h₀| / |∂C/∂h_T| = |Π w·tanh′| at each length
    dC_dh: list[float]  # |∂C/∂hₜ| for t = 0 … T at the lesson's own length (the plot)
    factors: list[float]  # w·tanh′(zₜ) at the longest length (hₜ does not depend on T: a shorter run is a prefix)
    weight_gradient: list[float]  # ∂C/∂w at each length

    @property
    def verdict(self) -> str:
        last = self.products[-1]
        return "explodes" if last > EXPLODES else "vanishes" if last < VANISHES else "neither"

    def to_json(self) -> dict:
        return dict(vars(self), verdict=self.verdict)


def sweep(weight: float, input_weight: float, inputs: list[float], target: float, lengths, length: int) -> Sweep:
    """Runs of ``weight`` at each of ``lengths`` (and at the lesson's ``length``, for |∂C/∂hₜ| against t)."""
    products, grads, net = [], [], None
    for T in lengths:
        net = run(weight, input_weight, sequence(inputs, T), target)
        products.append(abs(net.h0.grad / net.h[-1].grad) if net.h[-1].grad != 0.0 else 0.0)
        grads.append(net.w.grad)
    longest = factors(net)
    own = run(weight, input_weight, sequence(inputs, length), target)
    dC_dh = [abs(own.h0.grad)] + [abs(h.grad) for h in own.h]
    return Sweep(weight, list(lengths), products, dC_dh, longest, grads)


def clip_by_norm(gradients: list[float], threshold: float) -> tuple[list[float], float, float]:
    """g·min(1, c/‖g‖): the clipped gradient, ‖g‖, and the scale applied (1 when ‖g‖ ≤ c)."""
    norm = math.sqrt(sum(g * g for g in gradients))
    scale = threshold / norm if norm > threshold else 1.0
    return [g * scale for g in gradients], norm, scale


def descent(weight: float, input_weight: float, inputs: list[float], target: float, learning_rate: float,
            steps: int, clip: float | None) -> Descent:
    """Gradient descent on (w, u) (the shared ``descend``), each step along the gradient clipped to ``clip`` when given.

    The records keep the true gradient g; the step moves by lr·g·min(1, c/‖g‖)
    (``clip_by_norm``), the same direction as g and never longer than lr·c.
    """
    def cost(values: dict[str, float]) -> Value:
        return forward(Parameter(values["w"], label="w"), Parameter(values["u"], label="u"), inputs, target).C

    def clipped(gradients: dict[str, float]) -> dict[str, float]:
        return dict(zip(gradients, clip_by_norm(list(gradients.values()), clip)[0]))

    return descend(cost, {"w": weight, "u": input_weight}, learning_rate, steps,
                   direction=clipped if clip is not None else None)


def step_norm(step: Step, clip: float | None) -> tuple[float, float]:
    """The step's ‖g‖ and the scale its gradient was multiplied by: 1 without clipping, min(1, c/‖g‖) with it.

    Without clipping ‖g‖ is ``math.hypot``'s, with it ``clip_by_norm``'s √(Σg²), the one the clipped step used
    (the two can differ in the last digit).
    """
    g = list(step.gradients.values())
    if clip is None:
        return math.hypot(*g), 1.0
    _, norm, scale = clip_by_norm(g, clip)
    return norm, scale


@dataclass
class RecurrentResult:
    time_steps: int
    inputs: list[float]  # the whole sequence
    target: float
    clip: float
    learning_rate: float
    network: Network
    derivation: Derivation
    sweeps: list[Sweep]
    plain: Descent  # descent without clipping: the shared descent's records
    clipped: Descent  # descent along the gradient clipped to ‖g‖ ≤ clip

    def graph(self) -> Value:
        return self.network.C

    @property
    def factors(self) -> list[float]:
        return factors(self.network)

    @property
    def state_gradients(self) -> list[float]:
        """∂C/∂hₜ for t = 0 … T, by the engine."""
        n = self.network
        return [n.h0.grad] + [h.grad for h in n.h]

    @property
    def product(self) -> float:
        """Π w·tanh′(zₜ) over the T steps: ∂h_T/∂h₀."""
        return math.prod(self.factors)

    def terms(self) -> list[tuple[float, float]]:
        """For each step t, its path's share of ∂C/∂w and of ∂C/∂u: ∂C/∂hₜ·tanh′(zₜ)·hₜ₋₁ and ·xₜ."""
        n = self.network
        previous = [n.h0] + n.h[:-1]
        return [(h.grad * _slope(h) * p.data, h.grad * _slope(h) * x.data) for h, p, x in zip(n.h, previous, n.x)]


def _short(values: list[float], digits: int = 4) -> str:
    return " ".join(num(v, digits) for v in values)


def explain(result: RecurrentResult) -> Report:
    n = result.network
    T = result.time_steps
    sub = subscript
    grads = result.state_gradients
    fs = result.factors
    lines = forward_lines(n.C)  # zₜ and hₜ for each step, then C
    if T > 2 * SHOWN_STEPS:
        hidden = T - 2 * SHOWN_STEPS
        lines = (lines[:2 * SHOWN_STEPS] + [f"… {hidden} more steps alike (every state is in the JSON) …"]
                 + lines[-2 * SHOWN_STEPS - 1:])
    forward = [line if line.startswith("…") else Math(line) for line in lines]
    # backprop through time
    recursion = [Math(f"∂C/∂h{sub(T)} = 2(h{sub(T)} − y) = 2({num(n.h[-1].data)} − {factor(result.target)}) = "
                      f"{num(grads[T])}")]
    for t in range(T, 0, -1):
        recursion.append(Math(
            f"∂C/∂h{sub(t - 1)} = ∂C/∂h{sub(t)} · w·(1 − h{sub(t)}²) = {factor(grads[t])} · {factor(n.w.data)}·"
            f"{factor(_slope(n.h[t - 1]))} = {num(grads[t - 1])}"))
    terms = result.terms()
    previous = [n.h0] + n.h[:-1]
    rows = [[str(t), num(previous[t - 1].data), num(n.x[t - 1].data), num(_slope(n.h[t - 1])), num(grads[t]),
             num(terms[t - 1][0]), num(terms[t - 1][1])] for t in range(1, T + 1)]
    rows.append(["Σ", "", "", "", "", num(n.w.grad), num(n.u.grad)])
    scale_w = max(abs(a) for a, _ in terms)
    scale_u = max(abs(b) for _, b in terms)
    bptt = [
        "∂C/∂w = Σₜ ∂C/∂hₜ · (1 − hₜ²) · h(t−1): one path per time step, the same w on every one. The terms:",
        Math(f"∂C/∂w = {' + '.join(factor(a) for a, _ in terms)} = {num(sum(a for a, _ in terms), scale=scale_w)}",
             note=f"engine: w.grad = {num(n.w.grad, scale=scale_w)}"),
        Math(f"∂C/∂u = {' + '.join(factor(b) for _, b in terms)} = {num(sum(b for _, b in terms), scale=scale_u)}",
             note=f"engine: u.grad = {num(n.u.grad, scale=scale_u)}"),
        "The path of step 1 reads h₀ = 0, so it adds nothing to ∂C/∂w; every other step's path does.",
    ]
    # the product of T factors
    product_lines = [
        Math(f"∂h{sub(T)}/∂h₀ = {' · '.join(factor(f) for f in fs)} = {num(result.product)}",
             note=f"the product of w·(1 − hₜ²) for t = 1 … {T}"),
        Math(f"∂C/∂h₀ = ∂C/∂h{sub(T)} · ∂h{sub(T)}/∂h₀ = {factor(grads[T])} · {factor(result.product)} = "
             f"{num(grads[T] * result.product)}", note=f"engine: h₀.grad = {num(n.h0.grad)}"),
        _product_verdict(result.product, T),
    ]
    above = [f for f in fs if abs(f) > 1.0]
    if abs(n.w.data) > 1.0:
        edge = math.sqrt(1.0 - 1.0 / abs(n.w.data))
        product_lines.append(
            f"|w·(1 − h²)| > 1 needs |h| < √(1 − 1/|w|) = {num(edge, 4)}: {len(above)} of the {T} factors are above 1 "
            f"here. Where the unit saturates (|h| near 1) the slope 1 − h² falls toward 0.")
    else:
        product_lines.append(f"|w| = {num(abs(n.w.data))} ≤ 1 and 1 − h² ≤ 1, so every factor is at most |w| in "
                             "size: over a long sequence the gradient can only vanish.")
    sweep_rows = [[num(s.weight), *(num(p, 3) for p in s.products), s.verdict,
                   f"{num(min(s.factors, key=abs), 3)} … {num(max(s.factors, key=abs), 3)}"] for s in result.sweeps]
    growth = [
        f"The same inputs and u, for several w, as the sequence grows: |∂C/∂h₀| / |∂C/∂h_T| = |Π w·(1 − hₜ²)| "
        f"(below {num(VANISHES)}: vanishes; above {num(EXPLODES)}: explodes, at T = {SWEEP_LENGTHS[-1]}).",
        "Each factor above 1 multiplies the gradient up, each below 1 shrinks it: over T steps the product is "
        "geometric. A w above 1 explodes only while h stays in tanh's linear range; once the state saturates, "
        "the slopes 1 − h² are small and the product vanishes after all. Below |w| = 1 it always vanishes: "
        "the gradient from early steps is lost, so the unit cannot learn what the early inputs said.",
    ]
    # clipping: each step's ‖g‖ (and the scale clipping applied), the weight w and the cost, in both runs
    plain, clipped = result.plain.steps, result.clipped.steps
    plain_norms = [step_norm(s, None)[0] for s in plain]
    clipped_norms = [step_norm(s, result.clip) for s in clipped]
    clip_rows = [[str(a.step), num(na), num(a.parameters["w"]), num(a.cost), num(nb), num(scale, 3),
                  num(b.parameters["w"]), num(b.cost)]
                 for a, na, b, (nb, scale) in zip(plain, plain_norms, clipped, clipped_norms)]
    lr = result.learning_rate
    biggest_plain = max(abs(g) * lr for g in plain_norms[:-1]) if len(plain) > 1 else 0.0
    biggest_clipped = max(abs(g * scale) * lr for g, scale in clipped_norms[:-1]) if len(clipped) > 1 else 0.0
    triggered = sum(1 for _, scale in clipped_norms[:-1] if scale < 1.0)
    clipping = [
        Math(f"g′ = g · min(1, c/|g|),  c = {num(result.clip)}",
             note="the clipped gradient: the same direction, a step never longer than lr·c"),
        f"Clipping acted at {triggered} of the {max(len(clipped) - 1, 0)} steps. The longest step without clipping: "
        f"{num(biggest_plain)}; with clipping: {num(biggest_clipped)} (at most lr·c = "
        f"{num(result.learning_rate * result.clip)}).",
        f"After {len(plain) - 1} steps: C = {num(plain[-1].cost)} without clipping, {num(clipped[-1].cost)} "
        "with it.",
    ]
    if len(plain) > 1:
        clipping.insert(1, f"Without clipping the first step takes w from {num(plain[0].parameters['w'])} to "
                           f"{num(plain[1].parameters['w'])} (|g| = {num(plain_norms[0])}); there |g| = "
                           f"{num(plain_norms[1])}. With clipping it goes to {num(clipped[1].parameters['w'])}.")
    listed = min(T, LISTED_STEPS)
    derivation_title = (f"The paths from w to C: one per time step ({T}), and they add" if T <= LISTED_STEPS
                        else f"The paths from w to C, written out for the first {listed} steps (T = {listed}): "
                             "one per step, and they add")
    sections = [
        Section("Forward pass, unrolled over time", forward),
        Section("Backprop through time: each link hands the gradient back, multiplied by w·tanh′", recursion),
        Section("One path per time step, the same w on each: the sum", bptt,
                table=Table(["t", "h(t−1)", "xₜ", "1 − hₜ²", "∂C/∂hₜ", "to ∂C/∂w", "to ∂C/∂u"], rows)),
        Section(derivation_title, derivation=result.derivation),
        Section(f"The product of {T} factors w·tanh′", product_lines),
        Section("What happens as T grows: vanishing and exploding", growth,
                table=Table(["w", *(f"T = {L}" for L in SWEEP_LENGTHS), f"at T = {SWEEP_LENGTHS[-1]}",
                             f"factors at T = {SWEEP_LENGTHS[-1]}"], sweep_rows)),
        Section(f"Gradient clipping, the fix for explosion (lr = {num(result.learning_rate)})", clipping,
                table=Table(["step", "|g|", "w", "C", "|g| (clipped run)", "scale", "w (clipped)", "C (clipped)"],
                            clip_rows)),
        Section("Which weight matters most, at the first step", [plain[0].ranking.verdict()],
                table=Table(plain[0].ranking.columns(), plain[0].ranking.rows())),
        ranking_section(plain),
        *stop_section(result.plain.stopped),
        *stop_section(result.clipped.stopped),
    ]
    data = {
        "time_steps": T,
        "inputs": result.inputs,
        "target": result.target,
        "weight": n.w.data,
        "input_weight": n.u.data,
        "states": [h.data for h in n.h],
        "cost": n.C.data,
        "state_gradients": grads,
        "factors": fs,
        "product": result.product,
        "weight_gradient": n.w.grad,
        "input_weight_gradient": n.u.grad,
        "path_terms": [{"weight": a, "input_weight": b} for a, b in terms],
        "derivation": result.derivation.to_json(),
        "sweeps": [s.to_json() for s in result.sweeps],
        "clip": result.clip,
        "learning_rate": result.learning_rate,
        "steps": [dict(s.to_json(), norm=g, scale=1.0) for s, g in zip(plain, plain_norms)],
        "steps_clipped": [dict(s.to_json(), norm=g, scale=scale) for s, (g, scale) in zip(clipped, clipped_norms)],
        "stopped": result.plain.stopped,
        "stopped_clipped": result.clipped.stopped,
    }
    title = f"A recurrent unit over T = {T} steps: zₜ = w·h(t−1) + u·xₜ, hₜ = tanh(zₜ), C = (h_T − y)²"
    return Report(NAME, title, sections, data)


def _product_verdict(product: float, T: int) -> str:
    size = abs(product)
    if size > 1.0:
        return (f"|Π| = {num(size)} > 1: over these {T} steps the gradient grows on its way back, "
                f"{num(size)} times larger at h₀ than at h_T (exploding).")
    if size < 1.0:
        return (f"|Π| = {num(size)} < 1: over these {T} steps the gradient shrinks on its way back, "
                f"to {num(size)} of its size at h_T (vanishing).")
    return "|Π| = 1: the gradient keeps its size on its way back."


def _short_derivation(net: Network, weight: float, input_weight: float, inputs: list[float], target: float):
    """Every path from w to C, listed by ``explain``: on the lesson's graph, or on its first few steps if longer."""
    if len(inputs) > LISTED_STEPS:
        net = run(weight, input_weight, inputs[:LISTED_STEPS], target)
    return derive(net.C, wrt=[net.w], symbolic=False)


def plot(result: RecurrentResult, path: str) -> None:
    from ..viz.recurrent import plot_recurrent

    plot_recurrent(result, path)


def train(**params) -> RecurrentResult:
    """Explain backprop through time at the first step, sweep w and T, and descend with and without clipping."""
    p = PARAMS.resolve(params)
    T, lr = p["time_steps"], p["learning_rate"]
    inputs = sequence(p["inputs"], T)
    net = run(p["weight"], p["input_weight"], inputs, p["target"])
    return RecurrentResult(
        time_steps=T, inputs=inputs, target=p["target"], clip=p["clip"], learning_rate=lr, network=net,
        derivation=_short_derivation(net, p["weight"], p["input_weight"], inputs, p["target"]),
        sweeps=[sweep(w, p["input_weight"], p["inputs"], p["target"], SWEEP_LENGTHS, T) for w in SWEEP_WEIGHTS],
        plain=descent(p["weight"], p["input_weight"], inputs, p["target"], lr, p["steps"], None),
        clipped=descent(p["weight"], p["input_weight"], inputs, p["target"], lr, p["steps"], p["clip"]),
    )


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains, without its sweeps and descents."""
    p = PARAMS.resolve(params)
    return run(p["weight"], p["input_weight"], sequence(p["inputs"], p["time_steps"]), p["target"]).C


def tensors(**params) -> LessonTensors:
    """The unrolled recurrence with tensors: zₜ = w·hₜ₋₁ + u·xₜ, hₜ = tanh(zₜ) from h₀ = 0, C = (h_T − y)².

    w and u are one-number tensors that need a gradient (``requires_grad``);
    the inputs x₁ … x_T, the state h₀ and the target y are data. The same w
    and u are read at every time step: backprop through time adds their T
    contributions, as the scalar graph does.
    """
    from ..tensor import Tensor  # numpy loads with the tensor form only (static_explorer/answers.py)
    p = PARAMS.resolve(params)
    n = run(p["weight"], p["input_weight"], sequence(p["inputs"], p["time_steps"]), p["target"])
    w = Tensor(n.w.data, requires_grad=True, name="w")
    u = Tensor(n.u.data, requires_grad=True, name="u")
    h = Tensor(n.h0.data, name="h0")
    for t, x in enumerate(n.x, 1):
        z = (w * h + u * Tensor(x.data, name=f"x{t}")).named(f"z{t}")
        h = z.tanh().named(f"h{t}")
    C = ((h - Tensor(n.y.data, name="y")) ** 2).named("C")
    return LessonTensors(C, n.C, [(n.w, "w", ()), (n.u, "u", ())])


LESSON = Lesson(
    name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, tensors=tensors, plot=plot,
    # the explorer steps through 4 time steps: 20 unrolled steps are 66 nodes in a row, far wider than a page
    step_through={"time_steps": 4},
)

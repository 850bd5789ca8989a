"""Rung 7, a 1-D convolution: one small kernel slides over a short signal, and the same weights are used everywhere.

A kernel w = (w₁ … w_K) and a bias b slide over the signal x = (x₁ … xₙ), padded with
p zeros at each end, s positions at a time (the stride):

    oₜ = Σₖ wₖ · x₍ₛ₍ₜ₋₁₎₊ₖ₋ₚ₎ + b,       t = 1 … ⌊(n + 2p − K)/s⌋ + 1

(deep learning's "convolution" is this cross-correlation). The cost compares the
outputs with a target signal, y = the signal filtered by a target kernel
(default −1 0 1, an edge detector), so descent has a kernel to learn:

    C = Σₜ (oₜ − yₜ)²,     δₜ = ∂C/∂oₜ = 2(oₜ − yₜ)

Each kernel weight is used at every position: it reaches the cost along one path
per output, and the chain rule adds them, the batch lesson's "paths add":

    ∂C/∂wₖ = Σₜ δₜ · x₍ₛ₍ₜ₋₁₎₊ₖ₋ₚ₎        (upstream · input, summed over positions)
    ∂C/∂b  = Σₜ δₜ

and each input is read by the kernel weights that land on it, so its gradient is
δ slid under the *flipped* kernel (with s − 1 zeros between the δ's when s > 1):

    ∂C/∂xⱼ = Σ over the (t, k) with s(t − 1) + k − p = j of wₖ · δₜ

A padded zero is a constant: it contributes nothing to ∂C/∂wₖ; an input that no
position reads (a stride that skips it) gets gradient 0. Every number is the
engine's; the formulas are read off the graph's edges and checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidValueError
from ..explainer import Derivation, explain as derive
from ..explainer.format import factor, num, subscript
from ..explainer.forward import forward_lines
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson, LessonTensors
from .descent import Descent, descend, ranking_section

NAME = "conv"
SUMMARY = ("A 1-D convolution: one kernel at every position, so ∂C/∂wₖ adds δₜ·input over the positions (paths add) "
           "and ∂C/∂x is δ under the flipped kernel; stride and padding (--plot).")
MAX_SIGNAL = 12
MAX_KERNEL = 5
# The other (stride, padding) pairs the lesson runs, to show what each does to the numbers.
VARIANTS = ((1, 0), (2, 0), (1, 1), (2, 1))

PARAMS = Params(
    Param("signal", (1.0, 2.0, -1.0, 0.5, 3.0, -2.0), "the input signal x₁ x₂ …", kind="floats", low=-100, high=100,
          length=(2, MAX_SIGNAL)),
    Param("kernel", (0.5, -1.0, 0.25), "the initial kernel w₁ w₂ …", kind="floats", low=-10, high=10,
          length=(1, MAX_KERNEL)),
    Param("bias", 0.0, "the initial bias b", low=-10, high=10, symbol="b"),
    Param("target_kernel", (-1.0, 0.0, 1.0), "the kernel that makes the target signal y (as long as --kernel)",
          kind="floats", low=-10, high=10, length=(1, MAX_KERNEL)),
    Param("stride", 1, "how many positions the kernel moves at a time", kind="int", low=1, high=3),
    Param("padding", 0, "zeros added at each end of the signal", kind="int", low=0, high=2),
    Param("learning_rate", 0.01, "the learning rate", low=0, low_open=True, high=1, flags=("--lr",), symbol="lr"),
    Param("steps", 5, "descent steps", kind="int", low=0, high=1000),
)


def output_length(n: int, kernel: int, stride: int, padding: int) -> int:
    """⌊(n + 2p − K)/s⌋ + 1 positions fit (0 when the kernel is longer than the padded signal)."""
    room = n + 2 * padding - kernel
    return room // stride + 1 if room >= 0 else 0


def reads(n: int, kernel: int, stride: int, padding: int) -> list[list[int | None]]:
    """For each output t, the input index (1-based) under each kernel weight, or None for a padded zero."""
    out = []
    for t in range(output_length(n, kernel, stride, padding)):
        row = []
        for k in range(kernel):
            j = stride * t + k - padding  # 0-based index into the unpadded signal
            row.append(j + 1 if 0 <= j < n else None)
        out.append(row)
    return out


def correlate(signal: list[float], kernel: list[float], stride: int, padding: int) -> list[float]:
    """The plain-number convolution (cross-correlation), for the target signal: y = target kernel over x."""
    return [sum(w * signal[j - 1] for w, j in zip(kernel, row) if j is not None)
            for row in reads(len(signal), len(kernel), stride, padding)]


@dataclass
class Network:
    x: list[Value]
    kernel: list[Value]
    b: Value
    outputs: list[Value]
    targets: list[float]
    C: Value

    def parameters(self) -> list[Value]:
        return self.kernel + [self.b]


def forward(x: list[Value], kernel: list[Value], b: Value, targets: list[float], stride: int, padding: int) -> Network:
    """oₜ = Σₖ wₖ·x₍ₛ₍ₜ₋₁₎₊ₖ₋ₚ₎ + b (a padded position reads the constant 0), C = Σₜ (oₜ − yₜ)²."""
    outputs = []
    for t, row in enumerate(reads(len(x), len(kernel), stride, padding), 1):
        inputs = [x[j - 1] if j is not None else 0.0 for j in row]
        outputs.append(Value.dot(kernel, inputs, b).named(f"o{subscript(t)}"))
    C = Value.sum([(o - y) ** 2 for o, y in zip(outputs, targets)]).named("C")
    return Network(x, kernel, b, outputs, targets, C)


def input_gradient_by_flipped_kernel(deltas: list[float], kernel: list[float], n: int, stride: int,
                                     padding: int) -> list[float]:
    """∂C/∂x as a convolution: δ, with s − 1 zeros between its entries, slid under the flipped kernel.

    The padded signal's gradient at i is Σᵣ flip(w)ᵣ · δ↑[i − K + 1 + r] (δ↑ the
    spread-out δ, 0 outside); the padding's own entries are cut off.
    """
    K = len(kernel)
    spread = [0.0] * ((len(deltas) - 1) * stride + 1) if deltas else []
    for t, d in enumerate(deltas):
        spread[stride * t] = d
    flipped = kernel[::-1]
    padded = []
    for i in range(n + 2 * padding):
        total = 0.0
        for r, w in enumerate(flipped):
            at = i - K + 1 + r
            if 0 <= at < len(spread):
                total += w * spread[at]
        padded.append(total)
    return padded[padding:padding + n]


@dataclass
class Variant:
    """One (stride, padding) pair, run by the engine: how many outputs, the kernel's gradient, unread inputs."""

    stride: int
    padding: int
    outputs: int
    cost: float
    kernel_gradient: list[float]
    bias_gradient: float
    unread: list[int]  # inputs no position reads: their gradient is 0

    def to_json(self) -> dict:
        return dict(vars(self))


@dataclass
class ConvResult:
    signal: list[float]
    target_kernel: list[float]
    stride: int
    padding: int
    learning_rate: float
    network: Network
    derivation: Derivation  # of w₁: one path per position
    deltas: list[float]  # δₜ = ∂C/∂oₜ, by the engine
    terms: list[list[float]]  # terms[k][t] = δₜ · (∂oₜ/∂wₖ, read from the graph's edge)
    input_by_formula: list[float]  # the flipped-kernel convolution
    variants: list[Variant]
    curvature: float  # the largest eigenvalue of the cost's curvature matrix in (w, b)
    flattest: float  # its smallest: 0 when the outputs do not pin the kernel down (a valley of minima)
    descent: Descent  # the shared descent's records: cost, kernel, bias and gradients at every step

    @property
    def diverged_at(self) -> int | None:
        """The step whose cost no longer fitted in a float (the descent stopped there), or None."""
        return len(self.descent.steps) if self.descent.stopped else None

    @property
    def stable_learning_rate(self) -> float:
        """Descent on this quadratic cost converges for lr < 2/λ, λ the largest curvature."""
        return 2.0 / self.curvature if self.curvature > 0 else float("inf")

    def graph(self) -> Value:
        return self.network.C

    @property
    def reads(self) -> list[list[int | None]]:
        return reads(len(self.signal), len(self.network.kernel), self.stride, self.padding)

    @property
    def input_gradients(self) -> list[float]:
        return [x.grad for x in self.network.x]


def _edge_local(node: Value, leaf: Value) -> float:
    """The local derivative stored on the edge leaf → node (what the node's op says ∂node/∂leaf is)."""
    for child, local in zip(node.inputs, node.local):
        if child is leaf:
            return local
    return 0.0


def _x_name(j: int | None) -> str:
    return "0" if j is None else f"x{subscript(j)}"


def explain(result: ConvResult) -> Report:
    n = result.network
    K, T = len(n.kernel), len(n.outputs)
    s, p, size = result.stride, result.padding, len(result.signal)
    sub = subscript
    rows = result.reads
    deltas = result.deltas
    forward = [Math(f"y = {_row(n.targets)}", note=f"the target: the target kernel {_row(result.target_kernel)} over x")]
    forward += [Math(line) for line in forward_lines(n.C)]
    # ∂C/∂wₖ: one term per position
    weight_lines = [f"δₜ = ∂C/∂oₜ = 2(oₜ − yₜ), from the engine: δ = {_row(deltas)}"]
    for k, w in enumerate(n.kernel):
        terms = result.terms[k]
        scale = max((abs(v) for v in terms), default=0.0)
        names = " + ".join(f"δ{sub(t)}·{_x_name(rows[t - 1][k])}" for t in range(1, T + 1))
        numbers = " + ".join(f"{factor(deltas[t])}·{factor(_input(result.signal, rows[t][k]))}" for t in range(T))
        weight_lines.append(Math(f"∂C/∂w{sub(k + 1)} = {names} = {numbers} = {num(sum(terms), scale=scale)}",
                                 note=f"engine: w{sub(k + 1)}.grad = {num(w.grad, scale=scale)}"))
    weight_lines.append(Math(f"∂C/∂b = {' + '.join(f'δ{sub(t)}' for t in range(1, T + 1))} = {num(sum(deltas))}",
                             note=f"engine: b.grad = {num(n.b.grad)}"))
    table_rows = [[f"o{sub(t + 1)}", num(deltas[t]), *(num(result.terms[k][t]) for k in range(K))] for t in range(T)]
    table_rows.append(["Σ", num(sum(deltas)), *(num(w.grad) for w in n.kernel)])
    # ∂C/∂x: the flipped kernel
    flipped = " ".join(f"w{sub(k)}" for k in range(K, 0, -1))
    input_lines = [
        f"Each input is read by the kernel weights that land on it, so ∂C/∂x is δ slid under the flipped kernel "
        f"({flipped})" + (f", with {s - 1} zero{'s' if s > 2 else ''} between the δ's (the stride)" if s > 1 else "")
        + (f", the {p} padded position{'s' if p > 1 else ''} at each end cut off" if p else "") + ":",
    ]
    for j in range(1, size + 1):
        pairs = [(t, k) for t in range(T) for k in range(K) if rows[t][k] == j]
        value = result.input_gradients[j - 1]
        if not pairs:
            input_lines.append(Math(f"∂C/∂x{sub(j)} = 0", note=f"no position reads x{sub(j)}; engine: {num(value)}"))
            continue
        names = " + ".join(f"w{sub(k + 1)}·δ{sub(t + 1)}" for t, k in pairs)
        numbers = " + ".join(f"{factor(n.kernel[k].data)}·{factor(deltas[t])}" for t, k in pairs)
        scale = max(abs(n.kernel[k].data * deltas[t]) for t, k in pairs)
        input_lines.append(Math(f"∂C/∂x{sub(j)} = {names} = {numbers} = {num(result.input_by_formula[j - 1], scale=scale)}",
                                note=f"engine: x{sub(j)}.grad = {num(value, scale=scale)}"))
    difference = max(abs(a - b) for a, b in zip(result.input_by_formula, result.input_gradients))
    input_lines.append(f"largest difference between the flipped-kernel convolution and the engine: {num(difference)}")
    # stride and padding
    geometry = [
        Math(f"T = (n + 2p − K)/s + 1 = ({size} + 2·{p} − {K})/{s} + 1 = {T}",
             note="the division rounded down: how many positions the kernel fits"),
    ]
    if p:
        geometry.append(f"The {p} zero{'s' if p > 1 else ''} added at each end add outputs at the edges; a zero is a "
                        "constant, so its terms in ∂C/∂wₖ are 0 (and the zeros have no gradient of their own).")
    unread = [j for j in range(1, size + 1) if all(j not in row for row in rows)]
    if unread:
        geometry.append(f"With stride {s} no position reads {', '.join(f'x{sub(j)}' for j in unread)}: "
                        "its gradient is 0, whatever the cost.")
    variant_rows = [[f"{v.stride}", f"{v.padding}", str(v.outputs), num(v.cost),
                     " ".join(num(g, 4) for g in v.kernel_gradient), num(v.bias_gradient),
                     ", ".join(f"x{sub(j)}" for j in v.unread) or "—"] for v in result.variants]
    steps = result.descent.steps
    first = steps[0].ranking
    names = [w.label for w in n.kernel]
    sections = [
        Section("Forward pass: the same kernel at every position", forward),
        Section(f"Reading the signal (stride {s}, padding {p})",
                [f"Output t reads the window that starts at position s(t − 1) + 1 − p; each row lists the input under "
                 f"each kernel weight{' (0: a padded zero)' if p else ''}."],
                table=Table(["output", *(f"w{sub(k)}" for k in range(1, K + 1))],
                            [[f"o{sub(t + 1)}", *(_x_name(j) for j in row)] for t, row in enumerate(rows)])),
        Section("One weight, every position: ∂C/∂wₖ = Σₜ δₜ · (the input under wₖ)", weight_lines),
        Section("What each position contributes to each kernel weight",
                ["Each row is one position t, each column one kernel weight: the term δₜ · (the input under wₖ). "
                 "The last row adds each column up: the gradients above."],
                table=Table(["position", "δₜ", *(f"to ∂C/∂w{sub(k)}" for k in range(1, K + 1))], table_rows)),
        Section(f"The paths from w₁ to C: one per position ({T}), and they add", derivation=result.derivation),
        Section("The input's gradient: a convolution with the flipped kernel", input_lines),
        Section("Stride and padding, with numbers",
                geometry + ["The same signal and kernel with other strides and paddings (the engine's numbers):"],
                table=Table(["stride", "padding", "outputs", "C", "∂C/∂w", "∂C/∂b", "unread inputs"], variant_rows)),
        Section("Which weight matters most, at the first step", [first.verdict()],
                table=Table(first.columns(), first.rows())),
        ranking_section(steps),
        Section(f"Gradient descent (lr = {num(result.learning_rate)})", descent_lines(result),
                table=Table(["step", "C", *names, "b"],
                            [[str(s.step), num(s.cost), *(num(s.parameters[name]) for name in names),
                              num(s.parameters["b"])] for s in steps])),
    ]
    data = {
        "signal": result.signal,
        "kernel": [w.data for w in n.kernel],
        "bias": n.b.data,
        "target_kernel": result.target_kernel,
        "targets": n.targets,
        "stride": s,
        "padding": p,
        "learning_rate": result.learning_rate,
        "outputs": [o.data for o in n.outputs],
        "cost": n.C.data,
        "reads": rows,
        "deltas": deltas,
        "contributions": result.terms,
        "kernel_gradients": [w.grad for w in n.kernel],
        "bias_gradient": n.b.grad,
        "input_gradients": result.input_gradients,
        "input_gradients_by_flipped_kernel": result.input_by_formula,
        "variants": [v.to_json() for v in result.variants],
        "curvature": result.curvature,
        "flattest_curvature": result.flattest,
        "stable_learning_rate": result.stable_learning_rate,
        "diverged_at": result.diverged_at,
        "derivation": result.derivation.to_json(),
        "ranking": first.to_json(),
        "steps": [s.to_json() for s in steps],
        "stopped": result.descent.stopped,
    }
    title = (f"A 1-D convolution: a kernel of {K} over a signal of {size}, stride {s}, padding {p}:  "
             "oₜ = Σₖ wₖ·(the input under wₖ) + b,  C = Σₜ (oₜ − yₜ)²")
    return Report(NAME, title, sections, data)


def descent_lines(result: ConvResult) -> list:
    """Where descent goes, and the learning rates for which it gets there."""
    lr, bound = result.learning_rate, result.stable_learning_rate
    lines = [Math(f"lr < 2/λ = 2/{num(result.curvature)} = {num(bound)}",
                  note="C is a quadratic in the kernel and bias; λ, its largest curvature, is backprop's gradient "
                       "differentiated")]
    pinned = result.flattest > 1e-9 * result.curvature
    if lr < bound and pinned:
        lines.append(f"With lr = {num(lr)} descent converges: the kernel moves toward the target kernel "
                     f"{_row(result.target_kernel)} (and b toward 0), the one minimum.")
    elif lr < bound:
        lines.append(f"With lr = {num(lr)} descent converges, but the {len(result.network.outputs)} outputs do not pin "
                     f"down the {len(result.network.kernel) + 1} numbers of the kernel and bias (the smallest curvature "
                     "is 0: a valley of minima): it reaches one of them, not necessarily the target kernel "
                     f"{_row(result.target_kernel)}.")
    else:
        lines.append(f"lr = {num(lr)} is past that bound: each step overshoots further and the cost grows.")
    if result.diverged_at is not None:
        lines.append(f"Stopped at step {result.diverged_at}: the cost no longer fits in a float. Use lr < {num(bound)}.")
    return lines


def _row(values) -> str:
    return "[" + " ".join(num(v, 4) for v in values) + "]"


def _input(signal: list[float], j: int | None) -> float:
    return 0.0 if j is None else signal[j - 1]


def plot(result: ConvResult, path: str) -> None:
    from ..viz.conv import plot_conv

    plot_conv(result, path)


def curvatures(signal: list[float], kernel: list[float], bias: float, targets: list[float], stride: int,
               padding: int) -> tuple[float, float]:
    """The smallest and largest eigenvalues of ∂²C/∂θ² for θ = (w₁ … w_K, b): backprop's gradient differentiated.

    C is a quadratic in θ, so central differences of the gradient give its
    curvature matrix up to rounding, whatever the step.
    """
    import numpy as np  # numpy loads for the curvature only (static_explorer/answers.py)

    theta = list(kernel) + [bias]

    def grad(at: list[float]) -> list[float]:
        ws = [Parameter(v) for v in at[:-1]]
        b = Parameter(at[-1])
        forward(_signal(signal), ws, b, targets, stride, padding).C.backward()
        return [w.grad for w in ws] + [b.grad]

    columns = []
    for k in range(len(theta)):
        up, down = theta[:], theta[:]
        up[k] += 0.5
        down[k] -= 0.5
        columns.append([a - b for a, b in zip(grad(up), grad(down))])
    hessian = np.array(columns)
    eigenvalues = np.linalg.eigvalsh((hessian + hessian.T) / 2)
    return float(eigenvalues[0]), float(eigenvalues[-1])


def _signal(signal: list[float]) -> list[Value]:
    """The input x₁ x₂ …: givens, not parameters."""
    return [Value(v, label=f"x{subscript(j)}") for j, v in enumerate(signal, 1)]


def _run(signal: list[float], kernel: list[float], bias: float, target_kernel: list[float], stride: int,
         padding: int) -> Network:
    """One forward and one backward pass: the kernel w₁ … w_K and the bias b are the parameters."""
    ws = [Parameter(v, label=f"w{subscript(k)}") for k, v in enumerate(kernel, 1)]
    net = forward(_signal(signal), ws, Parameter(bias, label="b"), correlate(signal, target_kernel, stride, padding),
                  stride, padding)
    net.C.backward()
    return net


def _checked(params: dict) -> dict:
    """The resolved parameters, with the kernel as long as the target kernel and a window that fits the signal."""
    p = PARAMS.resolve(params)
    signal, kernel, target_kernel, stride, padding = (p["signal"], p["kernel"], p["target_kernel"], p["stride"],
                                                      p["padding"])
    if len(target_kernel) != len(kernel):
        raise InvalidValueError(f"target_kernel: got {len(target_kernel)} numbers; allowed: as many as the kernel "
                                f"({len(kernel)})")
    if output_length(len(signal), len(kernel), stride, padding) == 0:
        raise InvalidValueError(f"signal: {len(signal)} numbers with padding {padding} are fewer than the kernel's "
                                f"{len(kernel)}; allowed: at least {max(len(kernel) - 2 * padding, 2)} numbers")
    return p


def _lesson_run(p: dict) -> Network:
    """The lesson's own network (its stride and padding), after one backward pass."""
    return _run(p["signal"], p["kernel"], p["bias"], p["target_kernel"], p["stride"], p["padding"])


def train(**params) -> ConvResult:
    """Explain the first step (and the other strides and paddings), then take ``steps`` steps of descent."""
    p = _checked(params)
    signal, kernel, target_kernel = p["signal"], p["kernel"], p["target_kernel"]
    stride, padding, lr = p["stride"], p["padding"], p["learning_rate"]
    net = _lesson_run(p)
    deltas = [o.grad for o in net.outputs]
    terms = [[deltas[t] * _edge_local(o, w) for t, o in enumerate(net.outputs)] for w in net.kernel]
    variants = []
    for s, pad in VARIANTS:
        if output_length(len(signal), len(kernel), s, pad) == 0:
            continue
        v = _run(signal, kernel, p["bias"], target_kernel, s, pad)
        read = {j for row in reads(len(signal), len(kernel), s, pad) for j in row}
        variants.append(Variant(s, pad, len(v.outputs), v.C.data, [w.grad for w in v.kernel], v.b.grad,
                                [j for j in range(1, len(signal) + 1) if j not in read]))

    def cost(values: dict[str, float]) -> Value:
        """The cost at ``values`` on a graph of its own (the explained one keeps its one backward pass)."""
        ws = [Parameter(values[w.label], label=w.label) for w in net.kernel]
        return forward(_signal(signal), ws, Parameter(values["b"], label="b"), net.targets, stride, padding).C

    flattest, curvature = curvatures(signal, kernel, p["bias"], net.targets, stride, padding)
    # a learning rate past 2/λ makes the cost outgrow a float: the shared descent stops there and says so
    descent = descend(cost, {**{w.label: w.data for w in net.kernel}, "b": net.b.data}, lr, p["steps"])
    return ConvResult(
        signal=list(signal), target_kernel=list(target_kernel), stride=stride, padding=padding, learning_rate=lr,
        network=net, derivation=derive(net.C, wrt=[net.kernel[0]], symbolic=False), deltas=deltas, terms=terms,
        input_by_formula=input_gradient_by_flipped_kernel(deltas, [w.data for w in net.kernel], len(signal), stride,
                                                          padding),
        variants=variants, curvature=curvature, flattest=flattest, descent=descent,
    )


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains, without its variants, curvature and descent."""
    return _lesson_run(_checked(params)).C


def tensors(**params) -> LessonTensors:
    """The convolution as one tensor operation: o = conv1d(x, W, b), C = Σₜ (oₜ − yₜ)².

    The signal is one example with one channel, x of shape (1, n, 1); the
    kernel W has shape (K, 1, 1) (K taps, one channel in, one out), so
    W[k − 1, 0, 0] is wₖ; b has shape (1,). ``conv1d`` slides W with the
    lesson's stride and padding, as the scalar graph does one product at a
    time, and its backward adds δₜ · (the input under wₖ) over the positions.
    """
    import numpy as np  # numpy loads with the tensor form only (static_explorer/answers.py)

    from ..convolution import conv1d
    from ..tensor import Tensor
    p = _checked(params)
    n = _lesson_run(p)
    x = Tensor(np.array(p["signal"], dtype=np.float64).reshape(1, -1, 1), name="x")
    W = Tensor(np.array([w.data for w in n.kernel], dtype=np.float64).reshape(-1, 1, 1), requires_grad=True, name="W")
    b = Tensor(np.array([n.b.data]), requires_grad=True, name="b")
    o = conv1d(x, W, b, stride=p["stride"], padding=p["padding"]).named("o")
    y = Tensor(np.array(n.targets, dtype=np.float64).reshape(1, -1, 1), name="y")
    C = ((o - y) ** 2).sum().named("C")
    pairs = [(w, "W", (k, 0, 0)) for k, w in enumerate(n.kernel)] + [(n.b, "b", (0,))]
    return LessonTensors(C, n.C, pairs)


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, tensors=tensors,
                plot=plot)

"""Rung 6, softmax and cross-entropy: three classes, one example, and why the gradient is just p − onehot(y).

The last layer gives one number per class, the logits zₖ = wₖ·x + bₖ. Softmax
turns them into probabilities, and the cost is the surprise at the true class y:

    m = max(z₁, z₂, z₃),   eₖ = exp(zₖ − m),   S = e₁ + e₂ + e₃,   pₖ = eₖ/S,   C = −ln p_y

(m, the largest logit, is a number held fixed: exp(zₖ − m)/Σ exp(zⱼ − m) is
the same pₖ, because the factor exp(−m) cancels, and no exponential can
overflow, as none is larger than exp(0) = 1.) Every pₖ depends on every
logit, through S, so the chain rule has a Jacobian in it:

    ∂C/∂zⱼ = Σₖ ∂C/∂pₖ · ∂pₖ/∂zⱼ,      ∂pₖ/∂zⱼ = pₖ([k = j] − pⱼ)

([k = j] is 1 when k = j and 0 otherwise, the Iverson bracket) and C reads
only p_y (∂C/∂p_y = −1/p_y, every other ∂C/∂pₖ = 0), so the sum has one
term, and p_y cancels:

    ∂C/∂zⱼ = (−1/p_y) · p_y([y = j] − pⱼ) = pⱼ − tⱼ,   that is   ∂C/∂z = p − t,

where t = onehot(y), tⱼ = [j = y]: 1 for the true class, 0 for the others.

The lesson computes the Jacobian with the engine (one backward pass per
pₖ), has sympy check the formula pₖ([k = j] − pⱼ) against the graph's own
exponentials and simplify the product, and checks p − t against the
gradient backprop accumulated on the logits. Then ∂C/∂wₖ = (pₖ − tₖ)·x and
∂C/∂bₖ = pₖ − tₖ, and a few steps of gradient descent.

One symbol, one meaning: p is a probability (the parameters are w and b),
[k = j] the indicator, t the one-hot target; δ is not used here (elsewhere
in chainrule it is backprop's running product ∂C/∂z).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..explainer import Derivation, explain as derive
from ..explainer.format import factor, num, pretty, subscript
from ..explainer.report import Math, Report, Section, Table
from ..params import Param, Params
from ..scalar import Parameter, Value
from .contract import Lesson, LessonTensors
from .descent import Descent, descend, ranking_section, stop_section

NAME = "softmax"
# (README.md's ladder quotes this line, and a test holds the two equal: it changes with README.md, by the lead,
# to "... the Jacobian ∂pₖ/∂zⱼ = pₖ([k = j] − pⱼ) and why ...", the bracket the lesson's text now uses)
SUMMARY = ("Softmax and cross-entropy, three classes: the Jacobian ∂pₖ/∂zⱼ = pₖ(δₖⱼ − pⱼ) and why ∂C/∂z collapses "
           "to p − onehot(y) (--plot).")
CLASSES = 3

PARAMS = Params(
    Param("input", 1.5, "the input x", low=-10, high=10, symbol="x"),
    Param("weights", (0.8, -0.5, 0.3), "the weights w₁ w₂ w₃, one per class", kind="floats", low=-10, high=10,
          length=(CLASSES, CLASSES)),
    Param("biases", (0.0, 0.2, 0.1), "the biases b₁ b₂ b₃, one per class", kind="floats", low=-10, high=10,
          length=(CLASSES, CLASSES)),
    Param("target", 3, "the true class y", kind="int", low=1, high=CLASSES, symbol="y"),
    Param("learning_rate", 0.5, "the learning rate", low=0, low_open=True, high=10, flags=("--lr",), symbol="lr"),
    Param("steps", 5, "descent steps", kind="int", low=0, high=1000),
)


@dataclass
class Network:
    x: Value
    weights: list[Value]
    biases: list[Value]
    logits: list[Value]  # z₁ z₂ z₃
    shift: Value  # m = max z
    exps: list[Value]  # e₁ e₂ e₃
    total: Value  # S
    probabilities: list[Value]  # p₁ p₂ p₃ (only p_y is read by C)
    C: Value

    def parameters(self) -> list[Value]:
        return self.weights + self.biases


def softmax_nodes(logits: list[Value]) -> tuple[Value, list[Value], Value, list[Value]]:
    """eₖ = exp(zₖ − m), S = Σ eₖ, pₖ = eₖ/S: built from exp, a sum and divisions.

    m = max z is a leaf holding that number (data, not a parameter): it
    changes no pₖ, and backprop confirms it, ∂C/∂m = −Σⱼ(pⱼ − tⱼ) = 0.
    (An exercise asks m = max(z₁, z₂, z₃) after the logits: the exercises
    recognise this leaf as softmax's shift, ``exercises.softmax``.)
    """
    m = Value(max(z.data for z in logits), label="m")
    exps = [(z - m).exp().named(f"e{subscript(k)}") for k, z in enumerate(logits, 1)]
    total = Value.sum(exps).named("S")
    return m, exps, total, [(e / total).named(f"p{subscript(k)}") for k, e in enumerate(exps, 1)]


def forward(x: Value, weights: list[Value], biases: list[Value], target: int) -> Network:
    """zₖ = wₖ·x + bₖ, p = softmax(z), C = −ln p_y."""
    logits = [Value.dot([w], [x], b).named(f"z{subscript(k)}") for k, (w, b) in enumerate(zip(weights, biases), 1)]
    shift, exps, total, probabilities = softmax_nodes(logits)
    C = (-probabilities[target - 1].log()).named("C")
    return Network(x, weights, biases, logits, shift, exps, total, probabilities, C)


def jacobian_by_backprop(logits: list[float]) -> list[list[float]]:
    """∂pₖ/∂zⱼ by the engine: one backward pass from each pₖ gives row k (backprop's vector-Jacobian product)."""
    rows = []
    for k in range(len(logits)):
        zs = [Value(v, label=f"z{subscript(j)}") for j, v in enumerate(logits, 1)]
        _, _, _, p = softmax_nodes(zs)
        p[k].backward()
        rows.append([z.grad for z in zs])
    return rows


# ------------------------------------------------------------------- sympy
@dataclass(frozen=True)
class _Symbolic:
    """What sympy derives from the graph of softmax and the cost, for n classes and true class y."""

    indicator: tuple[tuple[int, ...], ...]  # [k = j] found by sympy: ∂pₖ/∂zⱼ / pₖ + pⱼ
    dC_dp: tuple[str, ...]  # ∂C/∂pₖ: "−1/p₃" for k = y, "0" otherwise
    products: tuple[str, ...]  # ∂C/∂p_y · ∂p_y/∂zⱼ written with sympy's factors: "(−1/p₃) · (−p₁·p₃)"
    simplified: tuple[str, ...]  # the product simplified: "p₁", "p₃ − 1"
    cost_minus_p: tuple[int, ...]  # ∂C/∂zⱼ − pⱼ from the whole cost in exponentials: −1 for j = y, else 0


@functools.lru_cache(maxsize=8)
def symbolic(classes: int, target: int) -> _Symbolic:
    """Differentiate the graph's softmax and cost with sympy: the Jacobian's [k = j], the product, the collapse.

    The graph is built on symbolic logits; every exponential eᶻ is then
    written as a symbol E so that the ratios cancel exactly (``sympy.cancel``,
    a polynomial computation that always ends).
    """
    import sympy

    from ..explainer.symbolic import to_sympy

    Z = [sympy.Symbol(f"z{subscript(k)}") for k in range(1, classes + 1)]
    P = [sympy.Symbol(f"p{subscript(k)}") for k in range(1, classes + 1)]
    E = [sympy.Symbol(f"E{k}") for k in range(1, classes + 1)]
    leaves = [Value(0.0, label=str(s)) for s in Z]
    _, _, _, p_nodes = softmax_nodes(leaves)
    C_node = (-p_nodes[target - 1].log()).named("C")
    on_z = {leaf: s for leaf, s in zip(leaves, Z)}
    p_z = [to_sympy(p, symbols=on_z) for p in p_nodes]
    C_z = to_sympy(C_node, symbols=on_z)

    def as_E(power: sympy.Expr) -> sympy.Expr:
        """exp(c₁z₁ + c₂z₂ + … + c) = E₁^c₁ · E₂^c₂ ⋯ eᶜ: the exponentials as powers of the symbols E."""
        arg = sympy.expand(power.args[0])
        coefficients = [arg.coeff(z) for z in Z]
        rest = sympy.expand(arg - sum(c * z for c, z in zip(coefficients, Z)))
        return sympy.exp(rest) * sympy.Mul(*(e ** c for e, c in zip(E, coefficients)))

    def cancel(expr) -> sympy.Expr:
        return sympy.cancel(expr.replace(lambda e: isinstance(e, sympy.exp), as_E))

    indicator = []
    for k in range(classes):
        row = []
        for j in range(classes):
            found = cancel(sympy.diff(p_z[k], Z[j]) / p_z[k] + p_z[j])
            if found not in (0, 1):
                raise AssertionError(f"sympy: ∂p{k + 1}/∂z{j + 1} is not p([k = j] − p): {found}")
            row.append(int(found))
        indicator.append(tuple(row))
    C_p = to_sympy(C_node, symbols={p_nodes[target - 1]: P[target - 1]})
    dC_dp = [sympy.diff(C_p, P[k]) for k in range(classes)]
    products, simplified, cost_minus_p = [], [], []
    y = target - 1
    for j in range(classes):
        jac = P[y] * (indicator[y][j] - P[j])
        products.append(f"({pretty(dC_dp[y])}) · ({pretty(jac)})")
        simplified.append(pretty(sympy.expand(dC_dp[y] * jac)))
        cost_minus_p.append(int(cancel(sympy.diff(C_z, Z[j]) - p_z[j])))
    return _Symbolic(tuple(indicator), tuple(pretty(d) for d in dC_dp), tuple(products), tuple(simplified),
                     tuple(cost_minus_p))


# ----------------------------------------------------------------- the run
@dataclass
class SoftmaxResult:
    input: float
    target: int
    learning_rate: float
    network: Network
    jacobian: list[list[float]]  # by the engine, row k = ∂pₖ/∂z
    jacobian_formula: list[list[float]]  # pₖ([k = j] − pⱼ) with the engine's p
    symbols: _Symbolic
    logit_derivation: Derivation  # ∂C/∂z_y: its paths (the direct one and the ones through S)
    derivation: Derivation  # ∂C/∂w and ∂C/∂b
    descent: Descent  # the shared descent's records: cost, weights, biases and gradients at every step
    step_probabilities: list[list[float]]  # p₁ p₂ p₃ at every step of the descent

    def graph(self) -> Value:
        return self.network.C

    @property
    def probabilities(self) -> list[float]:
        return [p.data for p in self.network.probabilities]

    @property
    def onehot(self) -> list[float]:
        return [1.0 if k == self.target else 0.0 for k in range(1, CLASSES + 1)]

    @property
    def p_minus_onehot(self) -> list[float]:
        return [p - t for p, t in zip(self.probabilities, self.onehot)]

    @property
    def jacobian_formula_verified(self) -> bool:
        """sympy found [k = j] for every pair: ∂pₖ/∂zⱼ = pₖ([k = j] − pⱼ) holds on the graph."""
        n = len(self.symbols.indicator)
        return all(self.symbols.indicator[k][j] == (k == j) for k in range(n) for j in range(n))

    @property
    def logit_gradients(self) -> list[float]:
        """∂C/∂zⱼ as backprop accumulated it on the logit nodes."""
        return [z.grad for z in self.network.logits]

    @property
    def chain_products(self) -> list[float]:
        """Σₖ ∂C/∂pₖ · ∂pₖ/∂zⱼ with the engine's Jacobian and ∂C/∂p_y = −1/p_y."""
        y = self.target - 1
        dC_dpy = -1.0 / self.probabilities[y]
        return [dC_dpy * self.jacobian[y][j] for j in range(CLASSES)]


def _vector(values) -> str:
    return "[" + "; ".join(num(v, 4) for v in values) + "]"


def _matrix(rows) -> str:
    return "[" + "; ".join(" ".join(num(v, 4) for v in row) for row in rows) + "]"


def _forward_lines(result: SoftmaxResult) -> list[Math]:
    """The forward pass in the order a person computes it: every z, then m, every e, S, every p, then C.

    (The graph's own order, as ``explainer.forward`` walks it back from C, starts at z_y and uses m before any
    line says what it is.)
    """
    n, sub, y = result.network, subscript, result.target
    classes = range(1, CLASSES + 1)
    m, total = n.shift.data, n.total.data
    lines = [Math(f"z{sub(k)} = w{sub(k)}·x + b{sub(k)} = {factor(w.data)}·{factor(n.x.data)} + {factor(b.data)} = "
                  f"{num(z.data)}") for k, w, b, z in zip(classes, n.weights, n.biases, n.logits)]
    zs = ", ".join(f"z{sub(k)}" for k in classes)
    lines.append(Math(f"m = max({zs}) = max({', '.join(num(z.data) for z in n.logits)}) = {num(m)}",
                      note="the largest logit: then no eₖ exceeds 1, and exp(−m) cancels in eₖ/S"))
    lines += [Math(f"e{sub(k)} = exp(z{sub(k)} − m) = exp({num(z.data)} − {factor(m)}) = {num(e.data)}")
              for k, z, e in zip(classes, n.logits, n.exps)]
    lines.append(Math(f"S = {' + '.join(f'e{sub(k)}' for k in classes)} = "
                      f"{' + '.join(num(e.data) for e in n.exps)} = {num(total)}"))
    lines += [Math(f"p{sub(k)} = e{sub(k)}/S = {num(e.data)}/{num(total)} = {num(q.data)}",
                   note="" if k == y else "C does not read it, but ∂C/∂z" + sub(k) + " will be it")
              for k, e, q in zip(classes, n.exps, n.probabilities)]
    lines.append(Math(f"C = −ln(p{sub(y)}) = −ln({num(n.probabilities[y - 1].data)}) = {num(n.C.data)}",
                      note=f"the true class is y = {y}"))
    return lines


def explain(result: SoftmaxResult) -> Report:
    n, sym = result.network, result.symbols
    y = result.target
    p = result.probabilities
    sub = subscript
    jac_diff = max(abs(a - b) for ra, rb in zip(result.jacobian, result.jacobian_formula) for a, b in zip(ra, rb))
    logit_diff = max(abs(a - b) for a, b in zip(result.logit_gradients, result.p_minus_onehot))
    forward = _forward_lines(result)
    holds = "the formula holds" if result.jacobian_formula_verified else "it does NOT hold"
    jacobian_lines = [
        Math("∂pₖ/∂zⱼ = pₖ([k = j] − pⱼ)", note="[k = j] is 1 when k = j, 0 otherwise"),
        f"sympy, from the graph's exponentials: ∂pₖ/∂zⱼ / pₖ + pⱼ cancels to 1 when k = j and to 0 otherwise, for "
        f"all {CLASSES * CLASSES} pairs: {holds}.",
        Math(f"J = ∂p/∂z = {_matrix(result.jacobian)}", note="the engine: one backward pass from each pₖ gives a row"),
        Math(f"pₖ([k = j] − pⱼ) = {_matrix(result.jacobian_formula)}",
             note=f"the formula with these p; largest difference {num(jac_diff)}"),
        "Each row sums to 0 (the probabilities always add to 1, so moving a logit only moves probability from one "
        "class to another); the diagonal is positive (raising zⱼ raises pⱼ), the rest negative.",
    ]
    dcdp = [f"∂C/∂p{sub(k)} = {sym.dC_dp[k - 1]}" for k in range(1, CLASSES + 1)]
    product_lines = [
        Math("; ".join(dcdp), note=f"C = −ln p{sub(y)} reads only p{sub(y)}"),
        Math(f"∂C/∂zⱼ = Σₖ ∂C/∂pₖ · ∂pₖ/∂zⱼ = ∂C/∂p{sub(y)} · ∂p{sub(y)}/∂zⱼ"),
    ]
    scale = max(abs(v) for v in result.chain_products) or 1.0
    dC_dpy = -1.0 / p[y - 1]
    for j in range(1, CLASSES + 1):
        product_lines.append(Math(
            f"∂C/∂z{sub(j)} = {sym.products[j - 1]} = {factor(dC_dpy)} · {factor(result.jacobian[y - 1][j - 1])} = "
            f"{num(result.chain_products[j - 1], scale=scale)}"))
        product_lines.append(Math(f"{' ' * 7}= {sym.simplified[j - 1]} = {num(result.p_minus_onehot[j - 1])}",
                                  note="simplified by sympy"))
    collapse = [
        f"sympy multiplies and cancels p{sub(y)}: every ∂C/∂zⱼ is pⱼ, minus 1 for the true class j = y = {y}.",
        Math(f"∂C/∂z = p − t = {_vector(p)} − {_vector(result.onehot)} = {_vector(result.p_minus_onehot)}",
             note=f"t = onehot({y}), tⱼ = [j = {y}]: 1 for the true class, 0 elsewhere"),
        Math(f"∂C/∂z = {_vector(result.logit_gradients)}",
             note="backprop: the gradient the engine accumulated on z₁ z₂ z₃"),
        Math(f"∂C/∂m = {num(n.shift.grad, scale=1.0)}",
             note="the shift m = max z changes no probability, and backprop agrees"),
        f"largest difference from p − t: {num(logit_diff)}; and sympy, differentiating the whole cost in "
        f"exponentials: ∂C/∂zⱼ − pⱼ = {', '.join(num(v) for v in sym.cost_minus_p)} for "
        f"j = {', '.join(str(j) for j in range(1, CLASSES + 1))}.",
        "The probability of a wrong class pushes its logit down by exactly that probability; the true class is pulled "
        "up by 1 − p_y, what it still lacks. No exponential and no division survive: that is why libraries fuse "
        "softmax and cross-entropy into one step (chainrule.losses.cross_entropy, PyTorch's CrossEntropyLoss).",
    ]
    weight_lines = []
    for k, (w, b) in enumerate(zip(n.weights, n.biases), 1):
        g = result.p_minus_onehot[k - 1]
        t = f"t{sub(k)}"
        weight_lines.append(Math(f"∂C/∂w{sub(k)} = (p{sub(k)} − {t})·x = {factor(g)} · {factor(result.input)} = "
                                 f"{num(g * result.input)}", note=f"engine: {num(w.grad)}"))
        weight_lines.append(Math(f"∂C/∂b{sub(k)} = p{sub(k)} − {t} = {num(g)}", note=f"engine: {num(b.grad)}"))
    steps = result.descent.steps
    first = steps[0].ranking
    sections = [
        Section("Forward pass", forward),
        Section("The Jacobian of softmax: every pₖ depends on every logit", jacobian_lines),
        Section("The chain-rule product, then simplified (sympy)", product_lines + collapse),
        Section(f"The paths from z{sub(y)} to C: the direct one through e{sub(y)}, and the one through S",
                derivation=result.logit_derivation),
        Section("The weights and biases: the logit's gradient times what feeds it", weight_lines),
        Section("Which weight matters most, at the first step", [first.verdict()],
                table=Table(first.columns(), first.rows())),
        ranking_section(steps),
        Section(f"Gradient descent (lr = {num(result.learning_rate)})",
                table=Table(["step", "C", *(f"p{sub(k)}" for k in range(1, CLASSES + 1))],
                            [[str(s.step), num(s.cost), *(num(v) for v in ps)]
                             for s, ps in zip(steps, result.step_probabilities)])),
        *stop_section(result.descent.stopped),
    ]
    data = {
        "input": result.input,
        "target": y,
        "learning_rate": result.learning_rate,
        "weights": [w.data for w in n.weights],
        "biases": [b.data for b in n.biases],
        "logits": [z.data for z in n.logits],
        "probabilities": p,
        "cost": n.C.data,
        "onehot": result.onehot,
        "jacobian": result.jacobian,
        "jacobian_formula": result.jacobian_formula,
        "jacobian_formula_verified": result.jacobian_formula_verified,
        "dC_dp": list(sym.dC_dp),
        "chain_products": result.chain_products,
        "simplified": list(sym.simplified),
        "p_minus_onehot": result.p_minus_onehot,
        "logit_gradients": result.logit_gradients,
        "weight_gradients": [w.grad for w in n.weights],
        "bias_gradients": [b.grad for b in n.biases],
        "derivation": result.derivation.to_json(),
        "logit_derivation": result.logit_derivation.to_json(),
        "ranking": first.to_json(),
        "steps": [dict(s.to_json(), probabilities=ps) for s, ps in zip(steps, result.step_probabilities)],
        "stopped": result.descent.stopped,
    }
    title = (f"Softmax and cross-entropy: zₖ = wₖ·x + bₖ, p = softmax(z), C = −ln p_y, "
             f"{CLASSES} classes, true class y = {y}")
    return Report(NAME, title, sections, data)


def plot(result: SoftmaxResult, path: str) -> None:
    from ..viz.softmax import plot_softmax

    plot_softmax(result, path)


def _start(p: dict) -> dict[str, float]:
    """Parameter label → number, the weights then the biases: where the descent starts."""
    return {**{f"w{subscript(k)}": v for k, v in enumerate(p["weights"], 1)},
            **{f"b{subscript(k)}": v for k, v in enumerate(p["biases"], 1)}}


def _network(p: dict, values: dict[str, float] | None = None) -> Network:
    """The network with the resolved parameters ``p``; its weights and biases (``Parameter``\\ s) at ``values``."""
    at = _start(p) if values is None else values
    classes = range(1, CLASSES + 1)
    weights = [Parameter(at[f"w{subscript(k)}"], label=f"w{subscript(k)}") for k in classes]
    biases = [Parameter(at[f"b{subscript(k)}"], label=f"b{subscript(k)}") for k in classes]
    return forward(Value(p["input"], label="x"), weights, biases, p["target"])


def _explained(p: dict) -> Network:
    """The network at the lesson's weights and biases, after one backward pass: the graph the lesson explains."""
    net = _network(p)
    net.C.backward()
    return net


def train(**params) -> SoftmaxResult:
    """Explain the first step, then take ``steps`` steps of gradient descent on the weights and biases."""
    p = PARAMS.resolve(params)
    target = p["target"]
    net = _explained(p)
    probabilities = [q.data for q in net.probabilities]
    formula = [[probabilities[k] * ((k == j) - probabilities[j]) for j in range(CLASSES)] for k in range(CLASSES)]
    # each step builds its own graph (the explained one keeps its one backward pass)
    descent = descend(lambda values: _network(p, values).C, _start(p), p["learning_rate"], p["steps"])
    return SoftmaxResult(
        input=p["input"], target=target, learning_rate=p["learning_rate"], network=net,
        jacobian=jacobian_by_backprop([z.data for z in net.logits]), jacobian_formula=formula,
        symbols=symbolic(CLASSES, target),
        logit_derivation=derive(net.C, wrt=[net.logits[target - 1]], symbolic=False),
        derivation=derive(net.C, wrt=net.parameters(), symbolic=False),
        descent=descent,
        step_probabilities=[[q.data for q in _network(p, s.parameters).probabilities] for s in descent.steps],
    )


def graph(**params) -> Value:
    """The cost after one backward pass: the graph ``train`` explains, without its Jacobian, sympy and descent."""
    return _explained(PARAMS.resolve(params)).C


def tensors(**params) -> LessonTensors:
    """z = w·x + b (one weight and bias per class, vectors), p = softmax(z) as the lesson builds it, C = −Σ onehot·ln p.

    m = max z is a number (data, not a parameter), as in the lesson; only the
    true class's term of the sum is not 0: C = −ln p_y.
    """
    import numpy as np  # numpy loads with the tensor form only (static_explorer/answers.py)

    from ..tensor import Tensor
    p = PARAMS.resolve(params)
    n = _explained(p)
    x = Tensor(n.x.data, name="x")
    w = Tensor([v.data for v in n.weights], requires_grad=True, name="w")
    b = Tensor([v.data for v in n.biases], requires_grad=True, name="b")
    z = (w * x + b).named("z")
    e = (z - Tensor(n.shift.data, name="m")).exp().named("e")
    probabilities = (e / e.sum().named("S")).named("p")
    onehot = Tensor(np.array([1.0 if k == p["target"] else 0.0 for k in range(1, CLASSES + 1)]), name="onehot")
    C = (-(onehot * probabilities.log()).sum()).named("C")
    pairs = [(v, "w", (k,)) for k, v in enumerate(n.weights)] + [(v, "b", (k,)) for k, v in enumerate(n.biases)]
    return LessonTensors(C, n.C, pairs)


LESSON = Lesson(name=NAME, summary=SUMMARY, params=PARAMS, graph=graph, train=train, explain=explain, tensors=tensors,
                plot=plot)

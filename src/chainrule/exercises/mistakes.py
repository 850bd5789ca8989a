"""The common mistakes of each question, generated from the graph and the op table, so the grader can name them.

A mistake is the right computation with one rule changed, replayed on the
same numbers (``network.View``'s overrides), so it exists for any graph:

    sign            the answer with its sign flipped (a − y for y − a, + for −)
    square          a power's exponent not brought down: (a − y) for 2(a − y)
    activation      the function itself for its slope: σ(z) for σ′(z) = σ(z)(1 − σ(z))
    product         the wrong factor of a product: ∂(i·w)/∂w taken as w instead of i
    transpose       a weight from the transposed matrix: w²₁₂ where w²₂₁ belongs
    mean            the mean's 1/n forgotten (a constant factor of the cost left out)
    factor          a factor of the chain left out: 2(a − y) without ∂a/∂w = i
    path            one path of several, where the paths add
    learning_rate   the learning rate forgotten, or the step added instead of subtracted
    forward         a step of the forward pass left out: z for σ(z), a − y not squared, the bias forgotten
    onehot          softmax's ∂C/∂zₖ = pₖ − [k = y] with the −1 on a wrong class, or left off the true one

A question may also bring mistakes of its own, said in its lesson's words
(``attach_mistakes``'s ``own``: the softmax's m = min z, eₖ not divided by
S); a question that no quantity of the graph computes (m = max z, a p the
cost does not read) has only those and its flipped sign.

A running product or an update also inherits the mistakes of its factors
(the gradient made with a ∂C/∂a that forgot its 2 is named as the forgotten
2). Mistakes that give the right number, or the number of an earlier
mistake, to 3 significant digits are dropped: the grader could not tell them
apart, so it never names one wrongly.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Mapping

from .. import ops
from ..explainer.format import num, pretty, superscript
from ..scalar import Value
from .network import View, edge_formula
from .questions import Mistake, Question
from .tolerance import apart

__all__ = ["MISTAKE_KINDS", "attach_mistakes", "distinct", "carried", "MAX_MISTAKES"]

# kind -> what a summary calls it
MISTAKE_KINDS = {
    "sign": "a flipped sign",
    "square": "the missing 2 of a square's derivative",
    "activation": "the activation σ(z) given for its slope σ′(z)",
    "product": "the wrong factor of a product",
    "transpose": "a transposed matrix",
    "mean": "the mean's 1/n forgotten",
    "factor": "a factor of the chain left out",
    "path": "one path of several",
    "learning_rate": "the learning rate forgotten or added",
    "forward": "a step of the forward pass left out",
    "onehot": "the true class's −1 on another class, or left off",
}
MAX_MISTAKES = 40  # per question, after dropping those that cannot be told apart
_SLOPE_FUNCTIONS = ("sigmoid", "tanh", "relu", "log")  # exp is its own slope: no mistake to name there

Env = Mapping[str, float]


def _mean_divisor(c: float) -> int | None:
    """n when the constant c is 1/n (the mean over n), else None."""
    if c <= 0 or c >= 1:
        return None
    n = Fraction(c).limit_denominator(10_000).denominator
    return n if abs(1.0 / n - c) <= 1e-12 else None


def _constant(node: Value, k: int):
    """The number at operand k of ``node``, or None when that operand is an input."""
    const = node.const
    return None if const is None or const[k] is None else const[k]


# ------------------------------------------------------------------ matrices
def _matrices(view: View) -> dict[Value, tuple[list[list[Value]], int]]:
    """For each dot node (a neuron's z = Σ wₖ·xₖ + b): its layer's weight matrix and its row.

    A layer is the dot nodes that read the same inputs x in the same order; row j of its matrix holds the
    weights of neuron j, column k those that multiply xₖ. Only Value weights count.
    """
    layers: dict[tuple, list[tuple[Value, list[Value]]]] = {}
    for node in view.cost.nodes():
        if node.op != "dot":
            continue
        terms, _ = ops.fold_terms(ops.OPS["dot"], ops.operands(node))
        if not all(isinstance(w, Value) and isinstance(x, Value) for w, x in terms):
            continue
        layers.setdefault(tuple(x for _, x in terms), []).append((node, [w for w, _ in terms]))
    out = {}
    for rows in layers.values():
        matrix = [weights for _, weights in rows]
        for j, (node, _) in enumerate(rows):
            out[node] = (matrix, j)
    return out


def _transposed(view: View, matrices, node: Value, k: int) -> tuple[Value, Value] | None:
    """For the edge of dot ``node`` from input k, an x: (the weight on it, the weight of the transposed matrix)."""
    if node not in matrices:
        return None
    matrix, row = matrices[node]
    slot = ops.input_positions(node)[k]
    terms = len(matrix[0])
    if slot >= 2 * terms or slot % 2 == 0:  # a weight or the bias, not an x
        return None
    col = slot // 2
    if col >= len(matrix) or row >= len(matrix[col]):
        return None  # the transposed matrix has no such entry (a layer that is not square there)
    return matrix[row][col], matrix[col][row]


# --------------------------------------------------------------- generators
def _sign(q: Question) -> Mistake:
    return Mistake("sign", f"{q.name} with its sign flipped", lambda env, q=q: -q.compute(env))


def _forward(q: Question, view: View) -> list[Mistake]:
    node = q.node
    inputs = view.quantities[node].inputs
    exprs = view.inner_formulas(node)
    key = view.name

    def replayed(override: dict) -> Callable[[Env], float]:
        return lambda env: view.value(node, {p: env[key(p)] for p in inputs}, override)

    out = [_sign(q)]
    for n in view.quantities[node].inner:
        shown = [pretty(exprs[c]) for c in n.inputs]
        if n.op in ops.FUNCTIONS:
            function = "relu" if n.op == "relu" else ops.FUNCTION_FORMS[n.op][0].split("(")[0]
            out.append(Mistake("forward", f"{shown[0]}, before {function} is applied",
                               replayed({n: lambda args, v: args[0]})))
        elif n.op == "**" and _constant(n, 1) is not None and _constant(n, 1) not in (0.0, 1.0):
            p = _constant(n, 1)
            power = superscript(int(p)) if float(p).is_integer() and p > 0 else f"^{num(p)}"
            out.append(Mistake("forward", f"{shown[0]} without the power {power}",
                               replayed({n: lambda args, v: args[0]})))
            if p == 2.0:
                out.append(Mistake("forward", f"2·({shown[0]}): doubled instead of squared",
                                   replayed({n: lambda args, v: 2.0 * args[0]})))
        elif n.op == "dot" and (n.const is None or n.const[-1] is None):
            bias = n.inputs[-1]
            out.append(Mistake("forward", f"{q.name} without the bias {pretty(exprs[bias])}",
                               replayed({n: lambda args, v: v - args[-1]})))
        elif n.op == "+" and n.const is None:
            for k in (0, 1):
                out.append(Mistake("forward", f"{q.name} without the term {shown[k]}",
                                   replayed({n: lambda args, v, k=k: args[1 - k]})))
        elif n.op in ("*", "/") and n.const is not None:
            c = next(x for x in n.const if x is not None)
            factor = c if n.op == "*" else 1.0 / c
            divisor = _mean_divisor(factor)
            what = (f"{q.name} without the mean's 1/{divisor}" if divisor
                    else f"{q.name} without the factor {num(factor)}")
            out.append(Mistake("mean" if divisor else "forward", what,
                               replayed({n: lambda args, v, f=factor: v / f})))
    return out


def _product(n: Value, k: int, exprs, replayed) -> Mistake:
    """∂(x·w)/∂w taken as w: the factor itself instead of the other one."""
    return Mistake("product", f"{pretty(exprs[n.inputs[k]])} itself: along one factor, the slope of a product is "
                   "the other factor", replayed({(n, k): lambda s, o, a, k=k: a[k]}))


def _local(q: Question, view: View, matrices) -> list[Mistake]:
    user, below = q.node, q.below
    inputs = view.quantities[user].inputs
    exprs = view.inner_formulas(user)
    key = view.name

    def replayed(override: dict) -> Callable[[Env], float]:
        return lambda env: view.local(user, below, {p: env[key(p)] for p in inputs}, override)

    out = [_sign(q)]
    for n, k in view.inner_edges(user, below):
        child = n.inputs[k]
        if n.op == "**" and k == 0 and _constant(n, 1) is not None and _constant(n, 1) not in (0.0, 1.0):
            p = _constant(n, 1)
            if p == 2.0:
                what = f"{q.name} without the 2 that the square brings down: d(u²)/du = 2u"
            else:
                what = f"{q.name} without the exponent {num(p)} brought down: d(uⁿ)/du = n·uⁿ⁻¹"
            out.append(Mistake("square", what, replayed({(n, k): lambda s, o, a, p=p: s / p})))
        elif n.op in _SLOPE_FUNCTIONS:
            value = pretty(exprs[n])
            slope = pretty(edge_formula(view, user, n, k), as_written=True)
            out.append(Mistake("activation", f"{value}, the function itself; its slope is {slope}",
                               replayed({(n, k): lambda s, o, a: o})))
        elif n.op == "dot":
            slot = ops.input_positions(n)[k]
            if slot >= 2 * len(ops.fold_terms(ops.OPS["dot"], ops.operands(n))[0]):
                continue  # the bias: its slope is 1
            t = _transposed(view, matrices, n, k)
            if t is not None:
                right, wrong = t
                out.append(Mistake(
                    "transpose",
                    f"{key(wrong)} where {key(right)} belongs: the weight matrix transposed "
                    f"({key(right)} is the weight from {key(child)} to {pretty(exprs[n])})"
                    if n is not user else
                    f"{key(wrong)} where {key(right)} belongs: the weight matrix transposed "
                    f"({key(right)} is the weight from {key(child)} to {view.name(user)})",
                    lambda env, n=n, k=k, wrong=key(wrong): view.local(
                        user, below, {p: env[key(p)] for p in inputs}, {(n, k): lambda s, o, a: env[wrong]})))
            out.append(_product(n, k, exprs, replayed))
        elif n.op == "*" and n.const is None:
            out.append(_product(n, k, exprs, replayed))
        elif n.op in ("*", "/") and n.const is not None:
            c = next(x for x in n.const if x is not None)
            factor = c if n.op == "*" else 1.0 / c
            divisor = _mean_divisor(factor)
            if divisor:
                out.append(Mistake("mean", f"{q.name} without the mean's 1/{divisor}",
                                   replayed({(n, k): lambda s, o, a, f=factor: s / f})))
    return out


def _running(q: Question, by_key: Mapping[str, Question], view: View, matrices, env: Env) -> list[Mistake]:
    terms = [(by_key[u] if u else None, by_key[s]) for u, s in q.terms]

    def with_term(index: int, which: int, replace: Callable[[Env], float]) -> Callable[[Env], float]:
        def compute(env):
            total = 0.0
            for j, (up, slope) in enumerate(terms):
                a = env[up.key] if up else 1.0
                b = env[slope.key]
                if j == index:
                    if which == 0:
                        a = replace(env)
                    else:
                        b = replace(env)
                total += a * b
            return total
        return compute

    def term_value(env, j: int) -> float:
        up, slope = terms[j]
        return (env[up.key] if up else 1.0) * env[slope.key]

    out = [_sign(q)]
    parts = q.chain.split(" + ")
    if len(terms) > 1:
        for j, (up, slope) in enumerate(terms):
            through = view.name(slope.node)
            out.append(Mistake("path", f"only the path through {through}, {parts[j]} = {_n(term_value(env, j))}; "
                               f"the {len(terms)} paths add: {q.chain}",
                               lambda env, j=j: term_value(env, j)))
    elif terms[0][0] is not None:
        up, slope = terms[0]
        shown_up = f"{up.name} = {up.formula}" if up.formula and len(up.formula) < 30 else up.name
        shown_slope = f"{slope.name} = {slope.formula}" if slope.formula and slope.formula != _n(slope.value) else slope.name
        out.append(Mistake("factor", f"{shown_up} without the factor {shown_slope} = {_n(slope.value)}",
                           lambda env, up=up: env[up.key]))
        out.append(Mistake("factor", f"{shown_slope} alone, without the factor {up.name} = {_n(up.value)}",
                           lambda env, slope=slope: env[slope.key]))
    # all the weights of the transposed matrix at once: δ¹ = (W²)ᵀδ² written W²δ²
    swapped = []
    for up, slope in terms:
        t = None
        if up is not None and slope.node in view.quantities and view.quantities[slope.node].inner == (slope.node,):
            ks = [k for k, c in enumerate(slope.node.inputs) if c is slope.below]
            t = _transposed(view, matrices, slope.node, ks[0]) if len(ks) == 1 else None
        swapped.append(None if t is None else view.name(t[1]))
    if any(swapped):
        def transposed(env, swapped=tuple(swapped)):
            return sum((env[up.key] if up else 1.0) * (env[w] if w else env[slope.key])
                       for (up, slope), w in zip(terms, swapped))
        below = view.name(q.below)
        out.append(Mistake("transpose", f"the weight matrix transposed: the weights from {below} are a column of the "
                           f"matrix (Wᵀ multiplies δ), not the row of {below}'s own neuron", transposed))
    # the mistakes of each factor, carried into the product
    for j, (up, slope) in enumerate(terms):
        for which, factor in ((0, up), (1, slope)):
            if factor is None:
                continue
            for m in factor.mistakes:
                out.append(carried(m, factor.name, with_term(j, which, m.compute)))
    return out


def carried(m: Mistake, factor: str, compute: Callable[[Env], float]) -> Mistake:
    """A factor's mistake carried into a product or an update, named by its first cause."""
    return Mistake(m.kind, f"what {factor} = {_n(m.value)} gives, where {m.origin}", compute, origin=m.origin)


def _n(x: float) -> str:
    """A number in a mistake's words: 4 significant digits."""
    return num(x, 4)


def _update(q: Question, by_key: Mapping[str, Question], env: Env) -> list[Mistake]:
    w, lr, g = q.factors
    gradient = by_key[g]
    name = gradient.name
    out = [
        Mistake("learning_rate", f"{w} − {name}: the learning rate {lr} = {_n(env[lr])} is forgotten",
                lambda env: env[w] - env[g]),
        Mistake("learning_rate", f"{w} + {lr}·{name}: the step is added; descent subtracts it, to go downhill",
                lambda env: env[w] + env[lr] * env[g]),
        Mistake("learning_rate", f"{lr}·{name}, the step alone; the new weight is {w} minus the step",
                lambda env: env[lr] * env[g]),
        Mistake("learning_rate", f"{w} + {name}: the learning rate forgotten and the step added",
                lambda env: env[w] + env[g]),
    ]
    for m in gradient.mistakes:
        out.append(carried(m, name, lambda env, c=m.compute: env[w] - env[lr] * c(env)))
    return out


def _after(q: Question, view: View) -> list[Mistake]:
    """C after the step: the forward pass not redone (C as before), or every weight moved up the gradient."""
    cost = view.name(view.cost)
    news = [k for k in q.factors if k.endswith("_new")]

    def uphill(env):  # w + lr·∂C/∂w = 2w − (w − lr·∂C/∂w)
        return q.compute({**env, **{k: 2 * env[k[:-len("_new")]] - env[k] for k in news}})

    return [
        Mistake("forward", f"{cost} at the old weights: the forward pass was not done again with the new ones",
                lambda env: env[cost]),
        Mistake("sign", "the weights moved up the gradient (w + lr·∂C/∂w): the step's sign flipped", uphill),
    ]


def attach_mistakes(questions: list[Question], view: View, env: Env,
                    own: Mapping[str, list[Mistake]] | None = None) -> None:
    """Give every question its mistakes, with their values at ``env``, dropping those that cannot be told apart.

    ``own``: by question key, mistakes said in the lesson's words, put before the generated ones (so of two that
    give the same number, the one in the lesson's words is kept).
    """
    by_key = {q.key: q for q in questions}
    matrices = _matrices(view)
    own = own or {}
    for q in questions:
        if q.kind in ("forward", "cost", "check") and q.node not in view.quantities:
            candidates = [_sign(q)]  # not computed by a quantity of the graph: its own mistakes say the rest
        elif q.kind in ("forward", "cost"):
            candidates = _forward(q, view)
        elif q.kind == "update":
            candidates = _update(q, by_key, env)
        elif q.kind == "after":
            candidates = _after(q, view)
        elif q.terms:
            candidates = _running(q, by_key, view, matrices, env)
        else:
            candidates = _local(q, view, matrices)
        q.mistakes = distinct(q, own.get(q.key, []) + candidates, env)


def distinct(q: Question, candidates: list[Mistake], env: Env) -> list[Mistake]:
    """The candidates with their values at ``env``, without those the grader could not tell apart.

    Dropped: a mistake that gives no number, or one so close to the right number or to a mistake kept before it
    that an answer rounded to 3 significant digits could be either (``tolerance.apart``); at most
    ``MAX_MISTAKES`` are kept.
    """
    kept: list[Mistake] = []
    for m in candidates:
        try:
            m.value = float(m.compute(env))
        except (ArithmeticError, ValueError):
            continue
        if not math.isfinite(m.value) or not apart(m.value, q.value):
            continue
        if not all(apart(m.value, k.value) for k in kept):
            continue
        kept.append(m)
        if len(kept) == MAX_MISTAKES:
            break
    return kept

"""The questions of an exercise, in the order a person computes backprop, generated from the graph.

    forward values   a = i·w = ?            each quantity, inputs before users (the cost last)
    local slopes     ∂a/∂w = ?              each edge of the paths from the asked weights to the cost
    running products ∂C/∂a₂ = ?             ∂C/∂N = Σ over N's users U of ∂C/∂U · ∂U/∂N (the δ of the chain lesson)
    gradients        ∂C/∂w = ?              the running product at a weight: the sum over its paths
    updates          w − lr·∂C/∂w = ?       one step of gradient descent

Going backwards, each node is finished once all its users are (Kahn's order
from the cost, as ``Value.backward``): first the local slope of each edge
into it, then its running product. A node whose only user is the cost has
one question, ∂C/∂a = 2(a − y): its slope is its running product.

Every question knows how to compute its answer from the answers before it
(``compute(env)``: ``env`` maps the givens and the earlier answers to
numbers), so the same question can be answered at other numbers (to check a
formula as a formula) or from a learner's own rounded answers (error carried
forward). Which weights are asked: all of them when there are at most
``MAX_GRADIENTS``, else the one with the most paths to the cost (the one that
shows the paths adding).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ..explainer.format import num, pretty
from ..explainer.paths import count_paths
from ..gradcheck import evaluate_graph, is_parameter
from ..scalar import Value
from .network import View, plus, times, typed_name

__all__ = ["Question", "Mistake", "Given", "build_questions", "shown", "QUESTION_KINDS", "MAX_GRADIENTS"]

MAX_GRADIENTS = 3
# A formula longer than this is not printed with the answer (the chain of factor names is).
MAX_SHOWN_FORMULA = 90

# kind -> what a summary calls a wrong answer of that kind
QUESTION_KINDS = {
    "forward": "forward values",
    "cost": "the cost",
    "check": "checks (a forward value computed another way)",
    "local": "local derivatives",
    "delta": "running products (δ)",
    "gradient": "gradients",
    "update": "updated weights",
    "after": "the cost after the step",
    "edge": "running products along an edge",
}

Env = Mapping[str, float]


@dataclass
class Mistake:
    """A common mistake for one question: its ``kind``, ``what`` it is, and the number it gives."""

    kind: str
    what: str  # "2(a − y) without the factor ∂a/∂w = i = 1.5"
    compute: Callable[[Env], float] = field(repr=False)
    value: float = math.nan  # at the exercise's numbers
    origin: str = ""  # for a mistake carried from a factor: the first mistake, in its own words

    def __post_init__(self):
        self.origin = self.origin or self.what


@dataclass
class Given:
    """A number the learner is given: a leaf of the graph (i, w, y) or the learning rate."""

    key: str  # its symbol as printed, and its key in an env
    typed: str | None  # how it is typed: w1 for w₁
    value: float
    what: str  # "the input", "a weight", …


@dataclass
class Question:
    """One step of the hand computation."""

    id: str  # stable, typed: "a", "dC/da", "w_new"
    key: str  # its key in an env (a forward value's is its symbol: a¹₁)
    kind: str  # one of QUESTION_KINDS
    name: str  # "∂C/∂w"
    prompt: str  # "∂C/∂w = ?"
    formula: str  # the expected formula, in the symbols: "2(a − y)·i" ("" when too long to show)
    chain: str  # how it is made of earlier answers: "∂C/∂a · ∂a/∂w" ("" for a forward value)
    compute: Callable[[Env], float] = field(repr=False)
    symbols: tuple[str, ...] = ()  # the keys a formula answer may use
    factors: tuple[str, ...] = ()  # the keys of the earlier answers it is computed from
    terms: tuple = ()  # a running product's terms: (upstream key or None for the cost, slope key), one per user
    hint: str = ""
    node: Value | None = field(default=None, repr=False)  # the node asked about (None for an update)
    below: Value | None = field(default=None, repr=False)  # for a slope ∂U/∂N or a running product: N
    expr: object = field(default=None, repr=False)  # the expected formula as a sympy expression
    mistakes: list[Mistake] = field(default_factory=list)
    value: float = math.nan  # the answer, at the exercise's numbers


def asked_parameters(view: View) -> list[Value]:
    """The weights whose gradients are asked: all when few, else the one with the most paths (first in graph order)."""
    params = [leaf for leaf in view.leaves if is_parameter(leaf) and leaf in view.users]
    if len(params) <= MAX_GRADIENTS:
        return params
    paths = {p: count_paths(view.cost, p) for p in params}
    most = max(paths.values())
    return [next(p for p in params if paths[p] == most)]


def shown(expr) -> str:
    """A formula as printed with an answer, factors as written ("" when longer than ``MAX_SHOWN_FORMULA``)."""
    text = pretty(expr, as_written=True)
    return text if len(text) <= MAX_SHOWN_FORMULA else ""


def _backward_order(view: View, asked: list[Value]) -> list[Value]:
    """The nodes on the paths from the asked weights to the cost, each after all its users (the cost first)."""
    below: set[Value] = set(asked)  # reached from an asked weight
    for node in view.cost.nodes():
        if node in view.quantities and any(p in below for p in view.quantities[node].inputs):
            below.add(node)
    relevant = below | {view.cost}
    waiting = {n: sum(1 for u in view.users.get(n, ()) if u in relevant) for n in relevant}
    position = {n: k for k, n in enumerate(view.cost.nodes())}
    ready, order = [view.cost], []
    while ready:
        # a weight as soon as it is ready (its gradient right after the δ it needs), else the latest node
        ready.sort(key=lambda n: (is_parameter(n), position[n]))
        node = ready.pop()
        order.append(node)
        for p in view.quantities[node].inputs if node in view.quantities else ():
            if p in relevant:
                waiting[p] -= 1
                if waiting[p] == 0:
                    ready.append(p)
    return order


def build_questions(view: View, id_of: Callable[[Value], str], learning_rate: Given | None,
                    asked: list[Value] | None = None) -> tuple[list[Given], list[Question]]:
    """The givens and the questions of the graph seen through ``view``; ``id_of`` names a node in ids."""
    asked = asked_parameters(view) if asked is None else asked
    key = view.name  # a leaf's or a quantity's key in an env is its symbol
    givens = [Given(key(leaf), typed_name(key(leaf)), leaf.data,
                    "a weight" if is_parameter(leaf) else "given") for leaf in view.leaves if leaf in view.users]
    if learning_rate is not None:
        givens.append(learning_rate)
    given_keys = tuple(g.key for g in givens)
    questions: list[Question] = []

    # ---------------------------------------------------------------- forward
    forward_keys: list[str] = []
    for node in view.cost.nodes():
        if node not in view.quantities:
            continue
        q = view.quantities[node]
        expr = view.formula(node)

        def compute(env, node=node, inputs=q.inputs):
            return view.value(node, {p: env[key(p)] for p in inputs})

        is_cost = node is view.cost
        formula = pretty(expr)
        questions.append(Question(
            id=id_of(node), key=key(node), kind="cost" if is_cost else "forward", name=q.name,
            prompt=f"{q.name} = ?" if formula == q.name else f"{q.name} = {formula} = ?", formula=formula, chain="", compute=compute,
            symbols=given_keys + tuple(forward_keys), factors=tuple(key(p) for p in q.inputs), node=node, expr=expr,
        ))
        forward_keys.append(key(node))
    every_symbol = given_keys + tuple(forward_keys)

    # --------------------------------------------------------------- backward
    running: dict[Value, Question] = {}  # ∂C/∂N, by N
    order = _backward_order(view, asked)
    relevant = set(order)
    for node in order[1:]:
        users = [u for u in view.users.get(node, ()) if u in relevant]
        slopes = []
        for user in users:
            direct = user is view.cost and len(users) > 1  # ∂C/∂N along C's own edge, not the whole ∂C/∂N
            qid = f"d{id_of(user)}/d{id_of(node)}" + ("_direct" if direct else "")
            name = view.derivative(user, node) + (" (C's own edge)" if direct else "")
            expr = view.local_formula(user, node)
            inputs = view.quantities[user].inputs

            def compute(env, user=user, node=node, inputs=inputs):
                return view.local(user, node, {p: env[key(p)] for p in inputs})

            kind = "local"
            if user is view.cost and len(users) == 1:
                kind = "gradient" if is_parameter(node) else "local"
            slope = Question(
                id=qid, key=qid, kind=kind, name=name, prompt=f"{name} = ?", formula=shown(expr), chain="",
                compute=compute, symbols=every_symbol, factors=tuple(key(p) for p in inputs), node=user,
                below=node, expr=expr)
            questions.append(slope)
            slopes.append((user, slope))
        if len(slopes) == 1 and slopes[0][0] is view.cost:
            running[node] = slopes[0][1]
            continue
        terms, parts, factor_keys = [], [], []
        expr = 0
        for user, slope in slopes:
            if user is view.cost:
                terms.append((None, slope))
                parts.append(view.derivative(user, node))
                factor_keys.append(slope.key)
                expr = plus(expr, slope.expr)
                continue
            upstream = running[user]
            terms.append((upstream, slope))
            parts.append(f"{upstream.name} · {view.derivative(user, node)}")
            factor_keys += [upstream.key, slope.key]
            expr = plus(expr, times(upstream.expr, slope.expr))

        def compute(env, terms=tuple(terms)):
            total = 0.0
            for upstream, slope in terms:
                total += (env[upstream.key] if upstream else 1.0) * env[slope.key]
            return total

        qid = f"d{id_of(view.cost)}/d{id_of(node)}"
        name = view.derivative(view.cost, node)
        question = Question(
            id=qid, key=qid, kind="gradient" if is_parameter(node) else "delta", name=name, prompt=f"{name} = ?",
            formula=shown(expr), chain=" + ".join(parts), compute=compute, symbols=every_symbol,
            factors=tuple(factor_keys), node=view.cost, below=node, expr=expr,
            terms=tuple((u.key if u else None, sl.key) for u, sl in terms))
        questions.append(question)
        running[node] = question

    # ---------------------------------------------------------------- updates
    if learning_rate is not None:
        lr = learning_rate.key
        for weight in asked:
            gradient = running[weight]
            w = key(weight)

            def compute(env, w=w, g=gradient.key):
                return env[w] - env[lr] * env[g]

            name = f"new {w}"
            questions.append(Question(
                id=f"{id_of(weight)}_new", key=f"{w}_new", kind="update", name=name,
                prompt=f"{name} = {w} − {lr}·{gradient.name} = ?", formula=f"{w} − {lr}·{gradient.name}",
                chain=f"{w} − {lr}·{gradient.name}", compute=compute, symbols=every_symbol,
                factors=(w, lr, gradient.key), below=weight))
        questions.append(_after_the_step(view, asked, key, id_of))
    return givens, questions


def _after_the_step(view: View, asked: list[Value], key: Callable[[Value], str],
                    id_of: Callable[[Value], str]) -> Question:
    """C after the step: the cost recomputed at the new weights (the givens unchanged). Did the step go downhill?

    The answer is the graph replayed at the new numbers (``gradcheck.evaluate_graph``): the forward pass again,
    with every asked weight w replaced by w − lr·∂C/∂w at once.
    """
    cost = key(view.cost)
    leaves = tuple(leaf for leaf in view.leaves if leaf in view.users)
    moved = tuple((weight, f"{key(weight)}_new") for weight in asked)

    def compute(env):
        values = {leaf: env[key(leaf)] for leaf in leaves}
        values.update({weight: env[new] for weight, new in moved})
        return float(evaluate_graph(view.cost, values))

    news = ", ".join(f"new {key(weight)}" for weight in asked)
    name = f"{cost} after the step"
    return Question(
        id=f"{id_of(view.cost)}_after", key=f"{cost}_after", kind="after", name=name,
        prompt=f"{cost} at {news} = ?" if len(asked) == 1 else f"{name} = ?", formula="",
        chain=f"{cost} at {news}", compute=compute,
        factors=tuple(new for _, new in moved) + tuple(key(leaf) for leaf in leaves if not is_parameter(leaf)))


def fill(questions: list[Question], env: dict[str, float]) -> dict[str, float]:
    """Every question's answer at the givens in ``env`` (added to it, in order); returns ``env``."""
    for q in questions:
        env[q.key] = q.compute(env)
    return env


# Letters for the rule of an operation in a hint: never one of the exercise's own symbols (a hint that said "a − b"
# in an exercise with an a and no b would name a symbol that is not there, or the wrong one).
_NEUTRAL = (("u", "v"), ("p", "q"), ("r", "s"), ("f", "g"))


def _rule(node: Value, k: int, taken: set[str]) -> str:
    """The rule of ``node``'s operation for its ``k``-th input, in letters the exercise does not use: ∂(u²)/∂u = 2u.

    Derived from the op table (``ops.node_value`` and ``ops.node_local`` with sympy symbols), so it is the rule the
    engine applies, written once for every operation. A sum or a weighted sum of many terms is written for one
    term, with an index.
    """
    import sympy

    from .. import ops
    from ..explainer.symbolic import EXACT

    u, v = next((pair for pair in _NEUTRAL if not set(pair) & taken), _NEUTRAL[0])
    op = ops.OPS[node.op]
    if op.name == "sum":
        return f"∂(Σᵢ {u}ᵢ)/∂{u}ₖ = 1: every term's slope is 1."
    if op.name == "dot":
        return f"∂(Σᵢ {u}ᵢ·{v}ᵢ + c)/∂{u}ₖ = {v}ₖ and ∂/∂{v}ₖ = {u}ₖ: each term's slope is its other factor."
    symbols = [sympy.Symbol((u, v)[j]) for j in range(len(node.inputs))]
    out = ops.node_value(node, EXACT, symbols)
    slope = ops.node_local(node, EXACT, k, symbols, out)
    shown = pretty(out)
    if not re.fullmatch(r"\w+(\(.*\))?|\w+[²³]?", shown):  # a function of u or a power stays bare: tanh(u), u²
        shown = f"({shown})"
    return f"∂{shown}/∂{symbols[k]} = {pretty(slope)}."


def hint(question: Question, view: View, env: Env, by_key: Mapping[str, Question]) -> str:
    """What to recompute, without the answer: the formula and the numbers that go in, or the rule of the op."""
    from .. import ops

    def value_of(k: str) -> str:
        return f"{by_key[k].name if k in by_key else k} = {num(env[k])}"

    if question.kind in ("forward", "cost"):
        inputs = ", ".join(value_of(k) for k in question.factors)
        return f"put the numbers into {question.name} = {question.formula}: {inputs}"
    if question.kind == "check":
        inputs = ", ".join(value_of(k) for k in question.factors)
        return f"put the numbers into {question.name}, the exponentials of the values themselves: {inputs}"
    if question.kind == "edge":
        upstream, slope = (by_key.get(k) for k in question.factors)
        head = (f"the running product {value_of(upstream.key)} times " if upstream else "")
        return f"{question.chain}: {head}the slope {slope.name} = {slope.formula or 'its local derivative'}"
    if question.kind == "after":
        return (f"the forward pass once more, from the givens and the new weights ("
                + ", ".join(value_of(k) for k in question.factors if k.endswith("_new"))
                + f"), up to {view.name(view.cost)}: lower than before if the step went downhill")
    if question.kind == "update":
        return (f"{question.formula}, with " + ", ".join(value_of(k) for k in question.factors)
                + ": descent steps against the gradient")
    if question.kind in ("local",) or question.kind == "gradient" and not question.chain:
        user, below = question.node, question.below
        taken = set(by_key) | {view.name(leaf) for leaf in view.leaves}
        rules = []
        for n, k in view.inner_edges(user, below):
            rule = _rule(n, k, taken)
            if rule not in rules:
                rules.append(rule)
        asked = by_key.get(view.name(user))  # the formula as the forward question printed it (exp(z₃ − m))
        formula = asked.formula if asked is not None and asked.formula else pretty(view.formula(user))
        return (f"differentiate {view.name(user)} = {formula} with respect to {view.name(below)}, "
                f"everything else held fixed. " + " ".join(rules))
    terms = question.chain.split(" + ")
    how = "multiply the factors" if len(terms) == 1 else f"one product per path ({len(terms)} paths), and add them"
    return f"{question.name} = {question.chain}: {how}, with " + ", ".join(value_of(k) for k in question.factors)

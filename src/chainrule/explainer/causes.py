"""What went wrong in a backward pass written by hand: the cause, named once.

A learner's backward pass gives one number per parameter, ∂C/∂w; backprop
gives the right ones. Saying "wrong" for each of them names a symptom. The
cause is usually one edge of the graph: one local derivative left out,
taken with the wrong sign, or counted twice. Every gradient below that edge
inherits the mistake, so one flipped sign at ∂C/∂a makes every gradient of
the layers below it flipped. This module finds the edge and says it once.

**Edge by edge** (``graph_causes``), when the learner's forward ran on
``Value``s and the graph is known. The chain rule writes each gradient as
a sum over paths; the paths through one edge m ← n (n feeds m) add up to

    δₘ · ∂m/∂n · ∂n/∂p        (δₘ = ∂C/∂m, and ∂n/∂p summed over the paths from p up to n)

so if the learner used e′ instead of e = ∂m/∂n on that edge, their ∂C/∂p
is backprop's plus (e′ − e)·δₘ·∂n/∂p, for every parameter p at once. The
hypotheses tried, edge by edge in backward order (from the cost down, as
backprop walks), are the mistakes people make:

* a factor **missing**: e′ = 1 ("your ∂C/∂z lacks σ′(z) = 0.168"), also for
  a chain of edges that makes one function (1/(1 + exp(−z)) is four nodes:
  their product is σ′(z), which is named by recognising σ in the numbers);
* a factor **twice**: e′ = e²;
* the **sign** flipped: e′ = −e; a factor 2 **missing** or **extra**:
  e′ = e/2, 2e; a path **left out**: e′ = 0; the same for a node's whole
  gradient where several edges meet (δₙ scaled by −1, ½, 2).

A hypothesis explains the learner's numbers when it predicts each number it
changes to within the tolerance, and changes no number that is right. The
first that does, in backward order, is the cause: a sign flipped at the top
edge is found there, not again at each of the nine gradients below it.

**By the ratios** (``ratio_cause``), for what the edges leave unexplained
and for a forward that hid its work from the graph (``math.exp`` or numpy on
floats): learner/reference over all wrong entries. One ratio for all of them
means one factor shared by all their paths ("every entry is 5.94× too
large"), and if a local derivative of the forward at these numbers
(``number_factors``: σ′(z), tanh′(z), 2(a − y), an input) equals the ratio
or its inverse to 1e-6, it is named ("1/σ′(z) = 5.94: σ′(z) is missing").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..scalar import Value
from .format import num
from .names import Names, local_formula, name_nodes, partial
from .paths import users_of
from .trace import final_gradients

__all__ = ["Cause", "graph_causes", "graph_factors", "ratio_cause", "number_factors", "MATCH"]

MATCH = 1e-6  # a named factor is the ratio when they agree to this relative size
MAX_WORK = 4_000_000  # nodes × parameters: beyond it, edge by edge costs too much (the ratios still work)
MAX_CHAIN = 12  # edges in one chain tried as one function (1/(1 + exp(−z)): four)
MAX_CAUSES = 4
MAX_LISTED = 6  # gradients named in a cause's sentence; the rest are counted
_SAME = 1e-10  # two numbers of the forward are related (v = σ(u)) when they agree to this relative size


@dataclass
class Cause:
    """One mistake that explains several wrong gradients at once.

    ``kind``: "missing", "twice", "flipped", "halved", "doubled", "left out"
    (edge by edge) or "ratio" (only the ratios were read); ``edge``: where,
    "a ← z" (n feeds m), or ""; ``factor`` and ``value``: the factor named,
    "σ′(z)" and 0.168; ``ratio``: yours / reference where every gradient it
    explains shares one; ``entries``: the gradients it explains, by name.
    """

    kind: str
    text: str
    entries: list[str]
    edge: str = ""
    factor: str = ""
    value: float | None = None
    ratio: float | None = None


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * (1 + abs(b))


def _n(x: float) -> str:
    """A factor or a ratio in a sentence: three significant digits, as a learner computes them."""
    return num(x, 3)


def _gradients(names: list[str]) -> str:
    """'∂C/∂w and ∂C/∂b'; past ``MAX_LISTED``, the first few and how many: '∂C/∂w, ∂C/∂b, … (9 gradients)'."""
    shown = [f"∂C/∂{n}" for n in names]
    if len(shown) <= 2:
        return " and ".join(shown)
    if len(shown) <= MAX_LISTED:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return ", ".join(shown[:MAX_LISTED - 1]) + f", … ({len(shown)} gradients)"


def _ratio(given: list, reference: list, picked: list[int], tol: float) -> float | None:
    """yours / reference, where every picked entry shares one (read where the reference is largest)."""
    base = max(picked, key=lambda p: abs(reference[p]))
    if reference[base] == 0.0:
        return None
    rho = given[base] / reference[base]
    return rho if all(_close(given[p], rho * reference[p], tol) for p in picked) else None


# ------------------------------------------------------------------ naming a factor by its numbers
def _sigmoid(u: float) -> float:
    return 1 / (1 + math.exp(-u)) if u >= 0 else math.exp(u) / (1 + math.exp(u))


def _related(u: float, v: float) -> str:
    """Which function of u the number v is: "σ", "tanh", "exp", or ""."""
    for name, f in (("σ", _sigmoid), ("tanh", math.tanh), ("exp", math.exp)):
        try:
            if abs(v - f(u)) <= _SAME * (1 + abs(v)):
                return name
        except OverflowError:
            continue
    return ""


def _wrapped(name: str) -> str:
    return f"({name})" if any(ch in name for ch in " +−·/") else name


def _derivative_name(function: str, u: str) -> str:
    return {"σ": f"σ′({u})", "tanh": f"tanh′({u})", "exp": f"exp({u})"}[function]


def number_factors(numbers: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Local derivatives of a forward at its own numbers, each with its name, to match a ratio against.

    ``numbers``: (name, value) of the forward's inputs, intermediates and
    constants. Where one number is a function of another (a = σ(z), found
    by computing σ(z) and comparing), its derivative is a factor of every
    path through it: σ′(z) = a(1 − a), tanh′(z) = 1 − h², exp′(z) = exp(z);
    where one is a square of a difference (C = (a − y)²), the factor is
    2(a − y). Then every number itself: an input is the local derivative of
    a product (∂(w·i)/∂w = i). Relations first, so the name says why.
    """
    out: list[tuple[str, float]] = []
    for nv, v in numbers:
        for nu, u in numbers:
            if nu == nv:
                continue
            function = _related(u, v)
            if function:
                slope = {"σ": v * (1 - v), "tanh": 1 - v * v, "exp": v}[function]
                out.append((_derivative_name(function, nu), slope))
    values = np.array([v for _, v in numbers], dtype=np.float64)
    if values.size:
        diff = values[:, None] - values[None, :]  # u − t
        square = diff[None, :, :] ** 2  # (u − t)², against each v
        hits = np.argwhere(np.abs(square - values[:, None, None]) <= _SAME * (1 + np.abs(values))[:, None, None])
        for iv, iu, it in hits:
            if len({iv, iu, it}) == 3 and diff[iu, it] != 0.0:
                out.append((f"2({numbers[iu][0]} − {numbers[it][0]})", 2 * float(diff[iu, it])))
    out += [(name, v) for name, v in numbers]
    return out


def ratio_cause(given: list, reference: list, names: list[str], picked: list[int],
                factors: list[tuple[str, float]], tol: float, every: bool) -> Cause | None:
    """The cause read from the ratios yours/reference of the ``picked`` wrong entries, or None.

    ``every``: whether they are all the entries with a nonzero reference
    (then the factor is shared by all paths of the cost, not of a part).
    One ratio is named when a factor's value or its inverse equals it to
    ``MATCH``; a ratio of −1, 2 or ½ is a sign or a factor 2; an unnamed
    ratio is said only for two or more entries (for one, it says nothing
    its number does not).
    """
    if not picked or any(given[p] is None or reference[p] == 0.0 for p in picked):
        return None
    rho = _ratio(given, reference, picked, tol)
    if rho is None or rho == 0.0 or _close(rho, 1.0, MATCH):
        return None
    listed = [names[p] for p in picked]
    who, where = ("every entry", "all paths") if every else ("each of " + _gradients(listed), "their paths")
    for special, kind, words, hint in (
            (-1.0, "flipped", "has the wrong sign: one sign flipped", "(a − y) written (y − a)?"),
            (2.0, "doubled", "is twice backprop's: one factor 2 too many", "the 2 of a square kept twice?"),
            (0.5, "halved", "is half of backprop's: one factor 2 missing", "did you drop the 2 of a square?")):
        if _close(rho, special, MATCH):
            if len(picked) < 2:
                return None
            return Cause(kind, f"{who} {words} where {where} still run together, one mistake reported once ({hint})",
                         listed, ratio=rho)
    size = f"{_n(rho)}× too large" if rho > 1 else f"{_n(rho)}× backprop's"
    text = f"{who} is {size}: one factor shared by {where}"
    for name, value in factors:
        if value in (0.0, 1.0, -1.0, 2.0, 0.5) or not math.isfinite(value):
            continue
        if abs(value - rho) <= MATCH * abs(rho):
            return Cause("ratio", f"{text}; {name} = {_n(value)}: your backward pass has an extra {name}", listed,
                         factor=name, value=value, ratio=rho)
        if abs(value * rho - 1) <= MATCH:
            return Cause("ratio", f"{text}; 1/{_wrapped(name)} = {_n(1 / value)}: {name} is missing", listed,
                         factor=name, value=value, ratio=rho)
    return Cause("ratio", text, listed, ratio=rho) if len(picked) >= 2 else None


# ------------------------------------------------------------------ edge by edge
@dataclass
class _Graph:
    """What the hypotheses read: names, each node's δ = ∂C/∂node and ∂node/∂p for each entry p."""

    names: Names
    users: dict
    delta: dict
    below: dict  # node -> {entry index: ∂node/∂p}


def _graph(cost: Value, leaves: list) -> _Graph | None:
    order = cost.nodes()
    if len(order) * max(1, len(leaves)) > MAX_WORK:
        return None
    where = {id(leaf): p for p, leaf in enumerate(leaves) if leaf is not None}
    below: dict = {}
    for node in order:  # inputs before users: forward-mode derivatives, ∂node/∂p = Σ local · ∂input/∂p
        if not node.inputs:
            below[node] = {where[id(node)]: 1.0} if id(node) in where else {}
            continue
        acc: dict = {}
        for child, local in zip(node.inputs, node.local):
            for p, d in below[child].items():
                acc[p] = acc.get(p, 0.0) + local * d
        below[node] = acc
    names = name_nodes(cost, order, formulas=len(order) <= 1000)
    return _Graph(names, users_of(cost, order), final_gradients(cost), below)


def _chains(g: _Graph, top: Value, k: int):
    """The edge top ← top.inputs[k], then the chains below it through nodes of one input and one user.

    Yields (the nodes from ``top`` down to the bottom node, the product of
    their local derivatives): ∂top/∂bottom along the one path.
    """
    nodes, product, node, child = [top], top.local[k], top, top.inputs[k]
    while True:
        nodes.append(child)
        yield nodes[:], product
        if len(nodes) > MAX_CHAIN or len(child.inputs) != 1 or len(g.users[child]) != 1:
            return
        node, child = child, child.inputs[0]
        product *= node.local[0]


def _factor_name(g: _Graph, nodes: list, product: float) -> str:
    """How a learner writes ∂top/∂bottom: σ′(z), tanh′(z), exp(z), 2(a − y), i, or ∂a/∂z."""
    top, bottom = nodes[0], nodes[-1]
    below = g.names[bottom]
    if len(nodes) == 2:
        if top.op == "sigmoid":
            return f"σ′({below})"
        if top.op == "tanh":
            return f"tanh′({below})"
        if top.op == "**" and top.const == (None, 2.0):
            return f"2{_wrapped(below)}"
        k = next(i for i, child in enumerate(top.inputs) if child is bottom)
        return local_formula(g.names, top, k)
    function = _related(bottom.data, top.data)
    if function and (function != "exp" or _close(product, top.data, _SAME)):
        return _derivative_name(function, below)
    return partial(g.names[top], below)


def _predict(g: _Graph, scale: float, node: Value, reference: list) -> dict:
    """{entry: its number if the gradient reaching ``node`` along the tried edge were off by ``scale``}."""
    return {p: reference[p] + scale * d for p, d in g.below[node].items()}


def _explains(predicted: dict, given: list, reference: list, free: set, tol: float) -> list[int] | None:
    """The entries a hypothesis explains: all it changes, each as given, none already explained; else None."""
    changed = [p for p, x in predicted.items() if not _close(x, reference[p], tol)]
    if not changed:
        return None
    for p in changed:
        if given[p] is not None and (p not in free or not _close(given[p], predicted[p], tol)):
            return None
    hit = [p for p in changed if given[p] is not None]
    return hit or None


def _value(factor: str, value: float) -> str:
    """'σ′(z) = 0.168'; a factor that is a number already is written once: '1.5'."""
    try:
        float(factor.replace("−", "-"))
        return _n(value)
    except ValueError:
        return f"{factor} = {_n(value)}"


def _one_path_below(g: _Graph, node: Value) -> list[Value]:
    """The nodes below ``node`` on its one path down: while a node has one input, and that input one user.

    A sign flipped (or a factor 2) anywhere on such a path gives the same
    numbers for every gradient below it, so the numbers name the top of the
    path and say the mistake may be anywhere on it.
    """
    out = []
    while len(node.inputs) == 1 and node.inputs[0].inputs and len(g.users[node.inputs[0]]) == 1 \
            and len(out) < MAX_CHAIN:
        node = node.inputs[0]
        out.append(node)
    return out


def _hints(top: Value, bottom: Value, path: list[Value]) -> str:
    """Where a flipped sign usually comes from, on the edge it was found at and the one path below it."""
    hints = []
    for node in [top, bottom] + path:
        if node.op == "**" and node.const == (None, 2.0):
            hints.append("(a − y) written (y − a)?")
        elif node.op == "tanh" or path and _related(path[-1].data, node.data) == "tanh":
            hints.append("tanh′ = 1 − tanh², not tanh² − 1?")
        elif node.op == "sigmoid" or path and _related(path[-1].data, node.data) == "σ":
            hints.append("σ′ = σ(1 − σ), not σ(σ − 1)?")
    hints = list(dict.fromkeys(hints)) or ["a minus lost on the way?"]
    return "; ".join(hints[:2])


def _sentence(kind: str, g: _Graph, nodes: list, factor: str, value: float, listed: list[str],
              ratio: float | None, adds: float) -> str:
    """The cause in words: where (the first wrong edge), what (the factor and its value), and what follows."""
    top, bottom = nodes[0], nodes[-1]
    here = partial("C", g.names[bottom])
    edge = partial(g.names[top], g.names[bottom])
    spread = bottom.inputs and len(listed) > 1  # the mistake reaches several gradients below the edge
    follows = f"every gradient below {g.names[bottom]} ({_gradients(listed)})" if spread else _gradients(listed)
    if kind in ("missing", "twice"):
        text = f"your {here} " + (f"lacks {_value(factor, value)} ({edge})" if kind == "missing" else
                                  f"has {_value(factor, value)} twice ({edge}, multiplied in once more)")
        if not bottom.inputs:
            return text
        if ratio is None:
            return text + f", and {follows} takes the wrong number from it"
        size = f"1/{_wrapped(factor)} = {_n(ratio)}" if kind == "missing" else _n(ratio)
        return text + f", so {follows} {'is' if spread or len(listed) == 1 else 'are'} {size}× backprop's"
    path = _one_path_below(g, bottom)
    anywhere = f" (or anywhere on its one path down to ∂C/∂{_wrapped(g.names[path[-1]])}: the numbers cannot tell " \
        "where)" if path else ""
    if kind == "flipped":
        what = f"the sum of its {len(g.users[top])} edges" if top is bottom else \
            f"{edge} = {_value(factor, value)}"
        text = f"the sign is flipped at {here}{anywhere}: {what} taken as {_n(-value)}"
        if bottom.inputs:
            text += f", so {follows} has the wrong sign" + (": one mistake, reported once" if spread else "")
        return text + f" ({_hints(top, bottom, path)})"
    if kind == "halved":
        text = f"your {here} is half of backprop's{anywhere}" + (f", and so is {follows}" if bottom.inputs else "")
        if top is not bottom and top.op == "**" and top.const == (None, 2.0):
            return text + f": the 2 of {factor} is missing; did you drop the 2 of a square (d(a − y)²/da = 2(a − y))?"
        return text + f": a factor 2 is missing at {edge} = {_value(factor, value)}"
    if kind == "doubled":
        if ratio is not None and _close(ratio, 2.0, MATCH):
            return (f"off by a factor 2 from {here} down{anywhere} ({_gradients(listed)}): did you keep the 2 of a square "
                    "twice, or count every path twice?")
        return f"did you count the path through {g.names[bottom]} (it adds {_n(adds)}) twice?"
    if kind == "left out":
        return (f"you left out the path through {g.names[bottom]} (it adds {_n(adds)}"
                + (f" to ∂C/∂{listed[0]}" if len(listed) > 1 else "") + "): the chain rule adds every path")
    raise ValueError(kind)


def graph_causes(cost: Value, leaves: list, given: list, reference: list, names: list[str],
                 tol: float) -> list[Cause]:
    """The causes of the wrong entries, edge by edge in backward order (see the module docstring).

    ``leaves[p]``: the leaf of entry p in the graph of ``cost`` (None: not in
    it); ``given[p]``: the learner's number (None: unknown, left free);
    ``reference[p]``: backprop's. Returns the causes found, each explaining
    the entries it names; an entry no cause explains is left to others.
    """
    free = {p for p in range(len(given)) if given[p] is not None and not _close(given[p], reference[p], tol)}
    if not free:
        return []
    g = _graph(cost, leaves)
    if g is None:
        return []
    causes: list[Cause] = []
    for top in reversed(g.names.order):  # users before inputs: backward order, from the cost down
        if not free or len(causes) >= MAX_CAUSES:
            break
        for kind, nodes, factor, value, scale in _hypotheses(g, top):
            bottom = nodes[-1]
            predicted = _predict(g, scale, bottom, reference)
            hit = _explains(predicted, given, reference, free, tol)
            if hit is None:
                continue
            if kind == "left out" and all(_close(predicted[p], 0.0, tol) for p in hit):
                continue  # nothing left at all: "you gave 0" says it better, entry by entry
            listed = [names[p] for p in hit]
            ratio = _ratio(given, reference, hit, tol) if all(reference[p] != 0.0 for p in hit) else None
            adds = value * g.delta[top] * g.below[bottom][hit[0]]  # what the paths through the edge add
            text = _sentence(kind, g, nodes, factor, value, listed, ratio, adds)
            edge = g.names[top] if top is bottom else f"{g.names[bottom]} → {g.names[top]}"
            causes.append(Cause(kind, text, listed, edge, factor, value, ratio))
            free -= set(hit)
            break
    return causes


def _hypotheses(g: _Graph, top: Value):
    """(kind, nodes top..bottom, factor's name, its value, the change per unit of ∂bottom/∂p), in order.

    For the edge (or chain) m ← … ← n with product e and δₘ, using e′ for e
    changes ∂C/∂p by (e′ − e)·δₘ·∂n/∂p. A chain of several edges is tried
    only where its product is a function the numbers show (σ, tanh, exp):
    "σ′(z) is missing" teaches; "∂(a − 0.8)/∂z is missing" does not.
    """
    delta = g.delta.get(top, 0.0)
    if delta == 0.0:
        return
    if len(g.users.get(top, ())) > 1:  # a node where several edges meet: its whole δ off
        for kind, k in (("flipped", -1.0), ("halved", 0.5), ("doubled", 2.0)):
            yield kind, [top, top], partial("C", g.names[top]), delta, (k - 1) * delta
    for k in range(len(top.inputs)):
        for nodes, e in _chains(g, top, k):
            single = len(nodes) == 2
            factor = _factor_name(g, nodes, e)
            if e != 0.0 and not _close(e, 1.0, _SAME) and (single or not factor.startswith("∂")):
                yield "missing", nodes, factor, e, (1 - e) * delta
                if not _close(e, -1.0, _SAME):
                    yield "twice", nodes, factor, e, (e * e - e) * delta
            if single and e != 0.0:
                yield "flipped", nodes, factor, e, -2 * e * delta
                yield "halved", nodes, factor, e, -0.5 * e * delta
                yield "doubled", nodes, factor, e, e * delta
                yield "left out", nodes, factor, e, -e * delta


def graph_factors(cost: Value) -> list[tuple[str, float]]:
    """Every named local derivative of the graph (chains included) and every labelled node's value."""
    g = _graph(cost, [])
    if g is None:
        return []
    out = []
    for top in reversed(g.names.order):
        for k in range(len(top.inputs)):
            for nodes, e in _chains(g, top, k):
                out.append((_factor_name(g, nodes, e), e))
    out += [(g.names[node], node.data) for node in g.names.order if node.label]
    return out

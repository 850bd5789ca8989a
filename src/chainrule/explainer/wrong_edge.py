"""The first wrong edge of a backward pass written by hand, found in the graph, and said once.

When the learner's forward ran on ``Value``\\ s, chainrule has the graph, and
the chain rule says exactly how a mistake on one edge spreads. The paths
through an edge m ← n (n feeds m) add up, in ∂C/∂p, to

    δₘ · ∂m/∂n · ∂n/∂p        (δₘ = ∂C/∂m; ∂n/∂p summed over the paths from p up to n)

so a learner who uses e′ instead of e = ∂m/∂n there gets backprop's ∂C/∂p
plus (e′ − e)·δₘ·∂n/∂p, for every parameter p at once. ``graph_causes``
tries, edge by edge in backward order (from the cost down, as backprop
walks), the mistakes people make:

* a factor **missing**: e′ = 1 ("your ∂C/∂z lacks σ′(z) = 0.168"), also
  for a chain of edges that makes one function: 1/(1 + exp(−z)) is four
  nodes, whose product is σ′(z), named so because the numbers show a = σ(z);
* a factor **twice**: e′ = e²;
* the **sign** flipped: e′ = −e; a factor 2 **missing** or **extra**:
  e′ = e/2, 2e; a path **left out**: e′ = 0; and the same for a node's
  whole gradient where several edges meet (δₙ times −1, ½ or 2).

A hypothesis explains the learner's numbers when it predicts each number it
changes to within the tolerance and changes no number that is right. The
first that does, in backward order, is the cause: a sign flipped at the top
edge is found there, once, not again at each of the nine gradients below.
The same mistake at several nodes of one layer (tanh′ left out of a whole
hidden layer) is one cause at several places. Where no one mistake
explains everything, two that do together are looked for (a mistake, and
another on top of it), in graphs small enough to try every pair.

An entry is usually a parameter's ∂C/∂p. It may also be any node's whole
∂C/∂n, or one edge's running product δₘ·∂m/∂n (``(m, k)``, the edge from
``m.inputs[k]``): what a learner computes stepping through backprop edge by
edge, one path's share of ∂C/∂n where n feeds several nodes. A mistake on
that very edge changes it by δₘ·∂m/∂n·(e′/e − 1); a mistake above m changes
it through δₘ, as it changes any entry below.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scalar import Value
from .causes import Cause, close, derivative_name, gradients, related, short, shared_ratio, wrapped
from .names import Names, local_formula, name_nodes, partial
from .paths import users_of
from .trace import final_gradients

__all__ = ["graph_causes", "graph_factors"]

MAX_WORK = 500_000  # nodes × parameters: beyond it, edge by edge costs too much time and memory (ratios still work)
MAX_PAIRS = 5_000_000  # the work of trying pairs of mistakes (edges first, or rules first): beyond it, not tried
MAX_CHAIN = 12  # edges in one chain tried as one function (1/(1 + exp(−z)): four)
MAX_NAMED = 1000  # nodes: in a bigger graph only the functions' slopes are named for the ratios (sympy is slow)
MAX_CAUSES = 4
_SAME = 1e-10


@dataclass
class _Graph:
    """What the hypotheses read: each node's δ = ∂C/∂node and ∂node/∂p for each entry p, and the names."""

    cost: Value
    order: list[Value]
    leaves: list
    names: Names
    users: dict
    delta: dict
    below: dict  # node -> {entry index: ∂node/∂p}
    changed: dict  # the learner's mistakes this graph is made with: {(id(node), k): m}

    def reference(self, outside: list) -> list[float]:
        """Each entry's gradient in this graph (``outside[p]`` for an entry whose leaf is not in it)."""
        return [outside[p] if leaf is None else self.along(leaf) if isinstance(leaf, tuple) else
                self.delta.get(leaf, 0.0) for p, leaf in enumerate(self.leaves)]

    def along(self, edge: tuple) -> float:
        """The running product along ``edge`` = (m, k): δₘ · ∂m/∂(m.inputs[k]), the edge taken as changed."""
        node, k = edge
        return self.delta.get(node, 0.0) * node.local[k] * self.changed.get((id(node), k), 1.0)


def _graph(cost: Value, leaves: list, names: Names | None = None, users: dict | None = None,
           changed: dict | None = None) -> _Graph | None:
    """The graph's δ and ∂node/∂p; ``changed``: {(id(node), k): m}, the edge from node.inputs[k] taken m times.

    Without ``changed``, δ is backprop's own (``final_gradients``); with it,
    the backward pass of a learner who made those mistakes. An entry that is
    a node is seeded there (∂n/∂n = 1); one that is an edge (m, k), as a
    number added to m's input k (∂m/∂p = ∂m/∂(input k)), so its ∂C/∂p is the
    running product along that edge.
    """
    order = cost.nodes() if names is None else names.order
    if len(order) * max(1, len(leaves)) > MAX_WORK:
        return None
    changed = changed or {}
    where = {id(leaf): p for p, leaf in enumerate(leaves) if leaf is not None and not isinstance(leaf, tuple)}
    on_edge = {(id(leaf[0]), leaf[1]): p for p, leaf in enumerate(leaves) if isinstance(leaf, tuple)}
    below: dict = {}
    for node in order:  # inputs before users: forward-mode derivatives, ∂node/∂p = Σ local · ∂input/∂p
        acc: dict = {where[id(node)]: 1.0} if id(node) in where else {}
        for k, (child, local) in enumerate(zip(node.inputs, node.local)):
            local *= changed.get((id(node), k), 1.0)
            for p, d in below[child].items():
                acc[p] = acc.get(p, 0.0) + local * d
            if (id(node), k) in on_edge:
                p = on_edge[(id(node), k)]
                acc[p] = acc.get(p, 0.0) + local
        below[node] = acc
    if changed:
        delta = {cost: 1.0}
        for node in reversed(order):  # users before inputs: each δ is complete when it is passed on
            d = delta.get(node, 0.0)
            for k, (child, local) in enumerate(zip(node.inputs, node.local)):
                delta[child] = delta.get(child, 0.0) + local * changed.get((id(node), k), 1.0) * d
    else:
        delta = final_gradients(cost)
    names = names or name_nodes(cost, order, formulas=len(order) <= MAX_NAMED)
    return _Graph(cost, order, leaves, names, users or users_of(cost, order), delta, below, changed)


# ------------------------------------------------------------------ the hypotheses
@dataclass
class _Try:
    """One mistake tried: on the edge (or chain) ``nodes`` (top first), or on a node's whole δ (``nodes`` = [n, n]).

    ``diff``: e′ − e, the learner's factor less backprop's (for a node's whole
    δ: m − 1), so the change of ∂C/∂p is diff·δ(top)·∂(bottom)/∂p in any graph.
    """

    kind: str
    nodes: list[Value]
    k: int  # the top edge: from nodes[0].inputs[k]
    function: str  # the function the chain is, where one is recognised: "σ", "tanh", "exp", "a square"
    value: float  # its value, the product of the chain's local derivatives
    diff: float
    changed: dict  # the same mistake as changed edges: {(id(node), k): m}

    def scale(self, g: _Graph) -> float:
        return self.diff * g.delta.get(self.nodes[0], 0.0)

    def factor(self, g: _Graph) -> str:
        """The factor's name, as a learner writes it: σ′(z), 2(a − y), W2[0] (made only when said: sympy is slow)."""
        if self.nodes[0] is self.nodes[-1]:
            return partial("C", g.names[self.nodes[0]])
        return _factor_name(g, self.nodes, self.k, self.function)


def _chains(g: _Graph, top: Value, k: int):
    """The edge top ← top.inputs[k], then the chains below it through nodes of one input and one user.

    Yields (the nodes from ``top`` down to the bottom node, the product of
    their local derivatives: ∂top/∂bottom along the one path).
    """
    nodes, product, child = [top], top.local[k], top.inputs[k]
    while True:
        nodes.append(child)
        yield nodes[:], product
        if len(nodes) > MAX_CHAIN or len(child.inputs) != 1 or len(g.users[child]) != 1:
            return
        product *= child.local[0]
        child = child.inputs[0]


def _square(node: Value) -> bool:
    return node.op == "**" and node.const == (None, 2.0)


def _function(nodes: list, product: float) -> str:
    """Which function the edge or chain top ← … ← bottom is: "σ", "tanh", "exp", "a square", or "".

    One edge says it by its op; a chain by its numbers: a = σ(z) for the
    four nodes of 1/(1 + exp(−z)).
    """
    top, bottom = nodes[0], nodes[-1]
    if len(nodes) == 2:
        return {"sigmoid": "σ", "tanh": "tanh", "exp": "exp"}.get(top.op, "a square" if _square(top) else "")
    function = related(bottom.data, top.data)
    return function if function != "exp" or close(product, top.data, _SAME) else ""


def _factor_name(g: _Graph, nodes: list, k: int, function: str) -> str:
    """How a learner writes ∂top/∂bottom (bottom = top.inputs[k] for one edge): σ′(z), tanh′(z), 2(a − y), i, ∂a/∂z."""
    top, bottom = nodes[0], nodes[-1]
    below = g.names[bottom]
    if function == "a square":
        return f"2{wrapped(below)}"
    if function:
        return derivative_name(function, below)
    if len(nodes) == 2:
        return local_formula(g.names, top, k)
    return partial(g.names[top], below)


def _hypotheses(g: _Graph, top: Value):
    """Every ``_Try`` at ``top``: its whole δ where several edges meet there, then each edge below it, each chain.

    For the edge (or chain) m ← … ← n with product e, using e′ for e
    changes ∂C/∂p by (e′ − e)·δₘ·∂n/∂p. A chain of several edges is tried
    only where its product is a function the numbers show (σ, tanh, exp):
    "σ′(z) is missing" teaches; "∂(a − 0.8)/∂z is missing" does not.
    """
    if g.delta.get(top, 0.0) == 0.0:
        return
    users = g.users.get(top, ())
    if len(users) > 1:  # a node where several edges meet: its whole δ off
        for kind, m in (("flipped", -1.0), ("halved", 0.5), ("doubled", 2.0)):
            yield _Try(kind, [top, top], 0, "", 1.0, m - 1, {(id(u), j): m for u, j in users})
    for k in range(len(top.inputs)):
        for nodes, e in _chains(g, top, k):
            if e == 0.0:
                continue
            function = _function(nodes, e)
            edge = (id(top), k)
            if not close(e, 1.0, _SAME) and (len(nodes) == 2 or function):
                yield _Try("missing", nodes, k, function, e, 1 - e, {edge: 1 / e})
                if not close(e, -1.0, _SAME):
                    yield _Try("twice", nodes, k, function, e, e * e - e, {edge: e})
            if len(nodes) == 2:
                for kind, m in (("flipped", -1.0), ("halved", 0.5), ("doubled", 2.0), ("left out", 0.0)):
                    yield _Try(kind, nodes, k, function, e, (m - 1) * e, {edge: m})


def _own_edges(g: _Graph, t: _Try) -> dict:
    """{entry: its change} for the entries inside what ``t`` changes: an edge entry on an edge it changes, and
    for a chain of edges, the nodes and edges between its top and its bottom (each of one user: all of their δ
    flows through the top edge, so it is taken m times as the top edge is)."""
    inside = {id(node) for node in t.nodes[1:-1]} if t.nodes[0] is not t.nodes[-1] else set()
    m = t.changed.get((id(t.nodes[0]), t.k), 1.0) if inside else 1.0
    out = {}
    for p, leaf in enumerate(g.leaves):
        if isinstance(leaf, tuple) and (id(leaf[0]), leaf[1]) in t.changed:
            out[p] = g.along(leaf) * (t.changed[(id(leaf[0]), leaf[1])] - 1.0)
        elif isinstance(leaf, tuple) and id(leaf[0]) in inside:
            out[p] = g.along(leaf) * (m - 1.0)
        elif leaf is not None and not isinstance(leaf, tuple) and id(leaf) in inside:
            out[p] = g.delta.get(leaf, 0.0) * (m - 1.0)
    return out


def _changes(g: _Graph, t: _Try) -> dict:
    """{entry: how much ``t`` changes it}: through δ of the edge's top for the entries below the edge, and the
    edge entries on the edges it changes."""
    scale = t.scale(g)
    out = {p: scale * d for p, d in g.below[t.nodes[-1]].items()}
    for p, d in _own_edges(g, t).items():
        out[p] = out.get(p, 0.0) + d
    return out


def _explains(g: _Graph, t: _Try, given: list, reference: list, free: set, tol: float) -> list[int] | None:
    """The entries ``t`` explains: every one it changes, each as given and none already explained; else None."""
    changed = []
    for p, d in _changes(g, t).items():
        predicted = reference[p] + d
        if close(predicted, reference[p], tol):
            continue
        if given[p] is not None and (p not in free or not close(given[p], predicted, tol)):
            return None
        if t.kind == "left out" and close(predicted, 0.0, tol):
            return None  # nothing left at all: "you gave 0" says it better, entry by entry
        changed.append(p)
    hit = [p for p in changed if given[p] is not None]
    return hit or None


@dataclass
class _Rule:
    """One slip in a rule of the learner's backward pass (their tanh′, their σ′), made wherever the rule is used."""

    kind: str
    function: str  # "tanh", "σ", "a square"
    members: list[_Try]  # the same slip at each node, the highest first
    changed: dict


def _rules(g: _Graph) -> list[_Rule]:
    """The slips that a rule used at several nodes makes at all of them: tanh′ left out of every tanh node, ….

    A backward pass written for a whole layer (or a loop over examples)
    writes each derivative once: one slip in it is the same slip at every
    node of that function. Tried for tanh, σ (as a node or as 1/(1 + exp(−z)))
    and squares, each kind of slip at once on all of them.
    """
    groups: dict = {}
    for top in reversed(g.order):
        for t in _hypotheses(g, top):
            if t.nodes[0] is t.nodes[-1] or t.kind == "left out":
                continue
            if t.function:
                groups.setdefault((t.kind, t.function), []).append(t)
    return [_Rule(kind, function, members, {e: m for t in members for e, m in t.changed.items()})
            for (kind, function), members in groups.items() if len(members) > 1]


def _composed(*changes: dict) -> dict:
    """Several mistakes at once: the multipliers of an edge changed twice multiply."""
    out: dict = {}
    for changed in changes:
        for edge, m in changed.items():
            out[edge] = out.get(edge, 1.0) * m
    return out


# ------------------------------------------------------------------ the cause in words
def _value(factor: str, value: float) -> str:
    """'σ′(z) = 0.168'; a factor that is a number already is written once: '1.5'."""
    try:
        float(factor.replace("−", "-"))
        return short(value)
    except ValueError:
        return f"{factor} = {short(value)}"


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


def _hints(nodes: list[Value]) -> str:
    """Where a flipped sign usually comes from, on the edge it was found at and the one path below it."""
    hints = []
    for node in nodes:
        function = node.op if node.op in ("tanh", "sigmoid") else related(nodes[-1].data, node.data)
        if _square(node):
            hints.append("(a − y) written (y − a)?")
        elif function == "tanh":
            hints.append("tanh′ = 1 − tanh², not tanh² − 1?")
        elif function in ("sigmoid", "σ"):
            hints.append("σ′ = σ(1 − σ), not σ(σ − 1)?")
    hints = list(dict.fromkeys(hints)) or ["a minus lost on the way?"]
    return "; ".join(hints[:2])


def _sentence(g: _Graph, t: _Try, listed: list[str], ratio: float | None, adds: float, against: str,
              tol: float = 1e-6) -> str:
    """The cause in words: where (the first wrong edge), what (the factor and its value), and what follows.

    ``against``: what the learner's numbers are compared with, "backprop's",
    or for a second mistake, what the first alone gives; ``tol``: how near
    their ratio must be to 2 to be every path doubled (not one path of
    several counted twice).
    """
    kind, factor, value = t.kind, t.factor(g), t.value
    top, bottom = t.nodes[0], t.nodes[-1]
    shared = top is not bottom and len(g.users[bottom]) > 1  # the edge is one of several into ∂C/∂bottom
    here = partial("C", g.names[bottom]) + (f" on the path through {g.names[t.nodes[-2]]}" if shared else "")
    edge = partial(g.names[top], g.names[bottom])
    spread = bool(bottom.inputs) and len(listed) > 1  # the mistake reaches several gradients below the edge
    follows = f"every gradient below {g.names[bottom]} ({gradients(listed)})" if spread else gradients(listed)
    if kind in ("missing", "twice"):
        text = f"your {here} " + (f"lacks {_value(factor, value)} ({edge})" if kind == "missing" else
                                  f"has {_value(factor, value)} twice ({edge}, multiplied in once more)")
        if not bottom.inputs:
            return text
        if ratio is None:
            return text + f", and {follows} takes the wrong number from it"
        size = f"1/{wrapped(factor)} = {short(ratio)}" if kind == "missing" else short(ratio)
        return text + f", so {follows} {'is' if spread or len(listed) == 1 else 'are'} {size}× {against}"
    path = [] if shared else _one_path_below(g, bottom)
    anywhere = f" (or anywhere on its one path down to ∂C/∂{wrapped(g.names[path[-1]])}: the numbers cannot tell " \
        "where)" if path else ""
    if kind == "flipped":
        what = f"the sum of its {len(g.users[top])} edges = {short(g.delta[top])}" if top is bottom else \
            f"{edge} = {_value(factor, value)}"
        taken = -g.delta[top] if top is bottom else -value
        text = f"the sign is flipped at {here}{anywhere}: {what} taken as {short(taken)}"
        if bottom.inputs:
            text += f", so {follows} has the wrong sign" + (": one mistake, reported once" if spread else "")
        # the edge's own slope is top's; bottom's is on the path below, where the flip may be when there is one
        return text + f" ({_hints([top, bottom] + path if path else [top])})"
    if kind == "halved":
        text = f"your {here} is half of {against}{anywhere}" + (f", and so is {follows}" if bottom.inputs else "")
        if top is not bottom and _square(top):
            return text + f": the 2 of {factor} is missing; did you drop the 2 of a square (d(a − y)²/da = 2(a − y))?"
        return text + f": a factor 2 is missing at {edge}" + ("" if top is bottom else f" = {_value(factor, value)}")
    if kind == "doubled":
        if ratio is None or not close(ratio, 2.0, tol):  # one path of several: the others are right
            return f"did you count the path through {g.names[bottom]} (it adds {short(adds)}) twice?"
        if not bottom.inputs:
            return f"off by a factor 2 at {here}: {edge} = {_value(factor, value)} taken twice (a 2 once too often?)"
        square = any(_square(node) for node in [top, bottom] + path)
        return (f"off by a factor 2 from {here} down{anywhere} ({gradients(listed)}): "
                + ("did you keep the 2 of a square twice, or count every path twice?" if square else
                   "did you count every path twice, or multiply by 2 once too often?"))
    if kind == "left out":
        return (f"you left out the path through {g.names[bottom]} (it adds {short(adds)}"
                + (f" to ∂C/∂{listed[0]}" if len(listed) > 1 else "") + "): the chain rule adds every path")
    raise ValueError(kind)


def _cause(g: _Graph, t: _Try, hit: list[int], given: list, reference: list, names: list[str], tol: float,
           against: str = "backprop's", wrong: set | None = None) -> Cause:
    """``t`` as a ``Cause`` of the entries ``hit`` (only those in ``wrong`` listed as explained, when given)."""
    top, bottom = t.nodes[0], t.nodes[-1]
    listed = [names[p] for p in hit]
    # the ratio the mistake gives (it gives the learner's numbers to ``tol``): exact, so a sentence's "1/σ′(z) = 5.62"
    # is true where the learner's rounded numbers say 5.63
    change = _changes(g, t)
    predicted = [r + change.get(p, 0.0) for p, r in enumerate(reference)]
    ratio = shared_ratio(predicted, reference, hit, tol) \
        if all(reference[p] != 0.0 and given[p] is not None for p in hit) else None
    # what the paths through the edge add: through the edge's bottom, or the edge's own product
    adds = t.value * g.delta[top] * g.below[bottom][hit[0]] if hit[0] in g.below[bottom] else \
        g.along(g.leaves[hit[0]])
    text = _sentence(g, t, listed, ratio, adds, against, tol)
    edge = g.names[top] if top is bottom else f"{g.names[bottom]} → {g.names[top]}"
    explained = [names[p] for p in hit if wrong is None or p in wrong]
    return Cause(t.kind, text, explained, edge, t.factor(g), t.value, ratio)


_SLIPS = {"missing": "left out", "twice": "multiplied in twice", "flipped": "taken with the wrong sign",
          "halved": "taken at half its size", "doubled": "taken twice its size"}


def _rule_cause(g: _Graph, rule: _Rule, touched: list[int], names: list[str], wrong: set) -> Cause:
    """A rule's slip as a ``Cause``: what slipped, at how many nodes, the first of them, and what it spoils."""
    first = rule.members[0]
    slope = {"tanh": "tanh′", "σ": "σ′", "exp": "exp′", "a square": "the slope 2(a − y) of a square"}[rule.function]
    where = "at every square" if rule.function == "a square" else f"wherever {rule.function} is used"
    text = (f"{slope} is {_SLIPS[rule.kind]} {where}: {len(rule.members)} nodes, one rule of your backward pass used "
            f"at each (the first: {_value(first.factor(g), first.value)}), so "
            f"{gradients([names[p] for p in touched])} take the wrong numbers from it")
    if rule.kind == "flipped":
        text += f" ({_hints(first.nodes)})"
    edges = "; ".join(f"{g.names[t.nodes[-1]]} → {g.names[t.nodes[0]]}" for t in rule.members)
    return Cause(rule.kind, text, [names[p] for p in touched if p in wrong], edges, first.factor(g), first.value)


def _same_mistake(t: _Try) -> tuple:
    """What makes two causes one mistake at several places: a kind, the same ops, the same length of chain."""
    return t.kind, t.nodes[0].op, t.nodes[-1].op, len(t.nodes), t.nodes[0] is t.nodes[-1]


def _merged(found: list, given: list, reference: list, names: list[str], tol: float) -> list[Cause]:
    """Causes that are one mistake at several places (a layer's tanh′ left out at each unit) as one cause."""
    out: list[Cause] = []
    groups: dict = {}
    for t, cause, hit in found:
        groups.setdefault(_same_mistake(t), []).append((cause, hit))
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0][0])
            continue
        hit = [p for _, h in members for p in h]
        ratio = shared_ratio(given, reference, hit, tol) \
            if all(reference[p] != 0.0 and given[p] is not None for p in hit) else None
        first = members[0][0]
        text = (f"the same mistake at {len(members)} places (one line of your backward pass for a whole layer?): "
                + "; ".join(c.text for c, _ in members))
        out.append(Cause(first.kind, text, [n for c, _ in members for n in c.entries],
                         "; ".join(c.edge for c, _ in members), first.factor, first.value, ratio))
    return out


# ------------------------------------------------------------------ the search
def _search(g: _Graph, given: list, reference: list, names: list[str], tol: float, free: set,
            against: str = "backprop's") -> tuple[list, set]:
    """One pass down the graph: (the (try, cause, entries) found, in backward order; the entries left)."""
    free = set(free)
    found = []
    for top in reversed(g.order):  # users before inputs: backward order, from the cost down
        if not free or len(found) >= MAX_CAUSES:
            break
        for t in _hypotheses(g, top):
            hit = _explains(g, t, given, reference, free, tol)
            if hit is not None:
                found.append((t, _cause(g, t, hit, given, reference, names, tol, against), hit))
                free -= set(hit)
                break
    return found, free


def _wrong_in(given: list, reference: list, tol: float) -> set:
    return {p for p, x in enumerate(given) if x is not None and not close(x, reference[p], tol)}


def _rule_alone(g: _Graph, rules: list[_Rule], given: list, reference: list, names: list[str], tol: float,
                base: dict | None = None):
    """The first rule that, with the mistakes ``base`` already in, gives every number: (rule, cause) or None."""
    for rule in rules:
        changed = _composed(base or {}, rule.changed)
        g1 = _graph(g.cost, g.leaves, g.names, g.users, changed)
        if g1 is None:
            return None
        ref1 = g1.reference(reference)
        if _wrong_in(given, ref1, tol):
            continue
        before = reference if not base else _graph(g.cost, g.leaves, g.names, g.users, base).reference(reference)
        touched = [p for p in range(len(given)) if not close(ref1[p], before[p], tol)]
        if touched:
            return rule, _rule_cause(g, rule, touched, names, _wrong_in(given, before, tol))
    return None


def _two_mistakes(g: _Graph, rules: list[_Rule], given: list, reference: list, names: list[str], tol: float,
                  free: set):
    """Two mistakes that together give the learner's numbers: one, and another on top of it.

    Each mistake tried first (every edge's, in backward order, then the
    rules', each group where the graph is small enough) makes the learner's backward
    pass with it (``_graph`` with the changed edges); one more pass then
    looks for the rest in it, an edge or a rule. Returns the two causes or None.
    """
    tries = [t for top in reversed(g.order) for t in _hypotheses(g, top)]
    n = len(g.order) * max(1, len(given))
    each = n + len(tries) * len(given) + len(rules) * n  # a graph made, a pass down it, the rules on it
    firsts = [group for group in (tries, rules) if len(group) * each <= MAX_PAIRS]
    firsts = [first for group in firsts for first in group]
    for first in firsts:
        g1 = _graph(g.cost, g.leaves, g.names, g.users, first.changed)
        if g1 is None:
            return None
        ref1 = g1.reference(reference)
        touched = [p for p in range(len(given)) if not close(ref1[p], reference[p], tol)]
        free1 = _wrong_in(given, ref1, tol)
        if not set(touched) & free or not free1:
            continue  # it changes no wrong number, or alone it explains them all (found before)
        later = "what the first mistake alone gives"
        found, left = _search(g1, given, ref1, names, tol, free1, later)
        second = _merged(found, given, ref1, names, tol) if found and not left else []
        if len(second) != 1:
            on_top = _rule_alone(g, [r for r in rules if r is not first], given, reference, names, tol, first.changed)
            second = [on_top[1]] if on_top is not None else []
        if len(second) != 1:
            continue
        if isinstance(first, _Rule):
            cause = _rule_cause(g, first, touched, names, free)
        else:
            cause = _cause(g, first, touched, [None] * len(given), reference, names, tol, wrong=free)
        second[0].after = 0
        return [cause, second[0]]
    return None


def graph_causes(cost: Value, leaves: list, given: list, reference: list, names: list[str],
                 tol: float) -> list[Cause]:
    """The causes of the wrong entries, edge by edge in backward order (see the module docstring).

    ``leaves[p]``: the leaf of entry p in the graph of ``cost`` (None: not in
    it); ``given[p]``: the learner's number (None: unknown, left free);
    ``reference[p]``: backprop's. Returns the causes found, each explaining
    the entries it names; an entry no cause explains is left to others.
    In order: one pass down the graph (one mistake, or several on separate
    branches, each alone); else one slip in a rule used at many nodes; else
    two mistakes together (the second ``after`` the first); else what the
    one pass found.
    """
    free = _wrong_in(given, reference, tol)
    if not free:
        return []
    g = _graph(cost, leaves)
    if g is None:
        return []
    found, left = _search(g, given, reference, names, tol, free)
    causes = _merged(found, given, reference, names, tol)
    if not left and len(causes) == 1:
        return causes
    rules = _rules(g)
    alone = _rule_alone(g, rules, given, reference, names, tol)
    if alone is not None:
        return [alone[1]]
    if (left or len(causes) > 2) and len(free) >= 3:  # two mistakes on one path, perhaps
        pair = _two_mistakes(g, rules, given, reference, names, tol, free)
        if pair is not None:
            return pair
    return causes


def graph_factors(cost: Value) -> list[tuple[str, float]]:
    """The graph's local derivatives as a learner names them (chains only where a function is recognised)."""
    g = _graph(cost, [])
    if g is None:
        return []
    out = []
    for top in reversed(g.order):
        for k in range(len(top.inputs)):
            for nodes, e in _chains(g, top, k):
                function = _function(nodes, e)
                if function or len(nodes) == 2 and len(g.order) <= MAX_NAMED:
                    out.append((_factor_name(g, nodes, k, function), e))
    out += [(g.names[node], node.data) for node in g.order if node.label]
    return out

"""``explain(cost, wrt)``: every gradient written out as the chain rule computes it.

For a parameter w, the chain rule says

    ∂C/∂w = Σ over the paths w → … → C of Π over the path's edges of ∂(user)/∂(input)

Each edge's local derivative is shown twice: as a formula in the nodes'
names (∂a/∂w = i, by sympy, from the node's operation) and as the number the
engine stored on the edge. Then the product along each path (multiplied from
the cost down, as backprop does), the sum over paths, and the total.

The total is the gradient as backpropagation accumulates it, replayed from
the graph without touching it (``trace.final_gradients``): after one
``cost.backward()`` on fresh leaves it is bit for bit ``w.grad``. The sum
over paths is the same number up to rounding (it adds in another order).

For small graphs sympy also writes each gradient in closed form, as a
formula of the parameters, two ways: by differentiating the whole cost, and
by multiplying the local derivatives along the paths; ``symbolic_check``
says whether the two formulas agree (they always should: that *is* the
chain rule).

Paths explode: a layer of n neurons multiplies their number by n. Past
``max_paths`` paths in all, a derivation stops listing them and summarizes
instead: for each parameter the number of paths and the few largest ones,
and for every node the gradient backprop accumulated there, which is how
backprop avoids the explosion (one visit per edge).

Paths can also be long: a chain of 100,000 operations is one path of
100,000 factors. A path of more than ``MAX_PATH_FACTORS`` factors shows its
first and last ``SHOWN_FACTORS`` (the cost's end and the parameter's) and
says how many it leaves out between them; its product still multiplies
every factor. A graph of more than ``names.MAX_FORMULA_NODES`` nodes names
its unlabelled nodes by position (v₇) rather than by formula. So the work
of explaining grows with the size of the graph, not faster, and the output
stays a few lines per path whatever the depth.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from ..errors import InvalidValueError
from ..scalar import Value
from .format import factor, latex, num, paren, pretty, sympy_latex
from .names import MAX_FORMULA_NODES, Names, local_formula, name_nodes, partial
from .paths import count_paths, iter_paths, product_from_cost, top_paths, users_of
from .. import ops
from .ranking import rank
from .report import Math, Prose, Report, Section, Table
from .trace import final_gradients

if TYPE_CHECKING:  # for annotations: sympy is imported where a formula is written
    import sympy

__all__ = ["explain", "Derivation", "ParameterDerivation", "PathTerm", "EdgeFactor"]

# Beyond this many paths (all parameters together) the derivation summarizes.
MAX_PATHS = 64
# Symbolic closed forms only for graphs up to this many nodes, formulas up to this many operations, and within
# this many seconds for all parameters together: past any of them a derivation says what it skipped.
MAX_SYMBOLIC_NODES = 40
MAX_SYMBOLIC_SIZE = 4000
SYMBOLIC_BUDGET = 5.0
# How many paths a summary shows per parameter, and how many node gradients.
TOP_PATHS = 3
TOP_NODES = 12
# Closed forms longer than this (in characters) are not printed, only kept in the JSON.
MAX_CLOSED_FORM = 160
# A path of more factors than this shows only its first and last SHOWN_FACTORS, and how many it leaves out.
MAX_PATH_FACTORS = 24
SHOWN_FACTORS = 4


@dataclass
class EdgeFactor:
    """One link of a path: ∂(user)/∂(input) = formula = value."""

    derivative: str  # "∂a/∂w"
    formula: str  # "i"
    value: float  # 1.5, the number stored on the edge

    def to_json(self) -> dict:
        return {"derivative": self.derivative, "formula": self.formula, "value": self.value}


@dataclass
class PathTerm:
    """One path from the parameter to the cost, written from the cost down, and its product.

    A long path (``MAX_PATH_FACTORS``) keeps only its first and last
    ``SHOWN_FACTORS`` factors: ``left_out`` factors lie between them (and
    ``"…"`` between their nodes' names), and the texts show a … there. The
    product is always that of every factor.
    """

    nodes: list[str]  # names from the cost down to the parameter: ["C", "a − y", "a", "w"]
    factors: list[EdgeFactor]
    product: float
    left_out: int = 0  # factors not shown, between factors[:SHOWN_FACTORS] and the rest

    def to_json(self) -> dict:
        return {"nodes": self.nodes, "factors": [f.to_json() for f in self.factors], "product": self.product,
                "left_out": self.left_out}

    @property
    def length(self) -> int:
        """How many factors the path has, shown or not."""
        return len(self.factors) + self.left_out

    def joined(self, parts: list[str], dot: str = " · ", gap: str = "…") -> str:
        """One text per factor, joined with ``dot``, and ``gap`` where a long path leaves factors out."""
        if self.left_out:
            parts = parts[:SHOWN_FACTORS] + [gap] + parts[SHOWN_FACTORS:]
        return dot.join(parts)

    def chain(self) -> str:
        return self.joined([f.derivative for f in self.factors])

    def formulas(self) -> str:
        return self.joined([paren(f.formula or f.derivative) for f in self.factors])

    def numbers(self) -> str:
        return self.joined([factor(f.value) for f in self.factors])

    def gap_line(self) -> str:
        """The line that says what a long path leaves out ('' for a path shown whole)."""
        if not self.left_out:
            return ""
        return (f"… stands for {self.left_out:,} of the path's {self.length:,} factors, left out here; the product "
                "multiplies them all, as backprop does")


@dataclass
class ParameterDerivation:
    """∂C/∂parameter: its paths, their products, their sum and the total."""

    name: str
    node: Value = field(repr=False)
    value: float
    n_paths: int
    paths: list[PathTerm]  # all of them, or the largest ones when ``listed_all`` is false
    listed_all: bool
    path_sum: float | None  # Σ of the products (None when not every path is listed)
    total: float  # backprop's accumulated gradient: equals .grad after one backward()
    closed_form: sympy.Expr | None = None  # by differentiating the whole cost
    chain_rule_form: sympy.Expr | None = None  # by multiplying local derivatives along the paths
    symbolic_check: bool | None = None
    symbolic_skipped: str = ""  # why no closed form was derived, when it was skipped

    derivative: str = ""  # "∂C/∂w"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "value": self.value,
            "derivative": self.derivative,
            "n_paths": self.n_paths,
            "listed_all": self.listed_all,
            "paths": [p.to_json() for p in self.paths],
            "path_sum": self.path_sum,
            "total": self.total,
            "closed_form": None if self.closed_form is None else pretty(_as_floats(self.closed_form)),
            "closed_form_latex": None if self.closed_form is None else sympy_latex(_as_floats(self.closed_form)),
            "chain_rule_form": None if self.chain_rule_form is None else pretty(_as_floats(self.chain_rule_form)),
            "symbolic_check": self.symbolic_check,
            "symbolic_skipped": self.symbolic_skipped,
        }


@dataclass
class Derivation:
    """The derivation of ∂C/∂p for each parameter p: ``report()`` shows it (text, Markdown), ``to_json`` holds it."""

    cost_name: str
    cost_value: float
    parameters: list[ParameterDerivation]
    summarized: bool
    total_paths: int
    n_nodes: int
    n_edges: int
    node_gradients: list[tuple[str, float]]  # (name, ∂C/∂node) for the nodes with the largest gradients
    variables: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> ParameterDerivation:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"no parameter named {name!r}; known: {', '.join(p.name for p in self.parameters)}")

    def report(self) -> Report:
        """The derivation as a ``Report``: the cost, then a section per parameter (and, summarized, per node).

        ``explainer.report`` renders it, as it renders every explanation: ``to_text``, ``to_markdown`` and
        ``str`` below are that renderer's. The numbers are ``to_json``'s.
        """
        cost = f"{self.cost_name} = {num(self.cost_value)}"
        sections = []
        if self.summarized:
            summary = (
                f"{self.total_paths} paths in all: too many to list. Backprop never lists them: it visits each of "
                f"the {self.n_edges} edges once and adds, at every node, the contributions of the paths that meet "
                f"there. Shown instead: the {TOP_PATHS} largest paths per parameter and the gradient accumulated at "
                "each node."
            )
            sections.append(Section("", [Prose(summary, f"> {summary}")], style="yellow"))
        sections += [Section(_parameter_head(p), _parameter_items(p), markdown_title=_parameter_markdown_head(p))
                     for p in self.parameters]
        if self.summarized and self.node_gradients:
            table = Table(["node", "gradient"], [[f"${latex(n)}$", num(g)] for n, g in self.node_gradients])
            sections.append(Section(
                "Gradients accumulated at the nodes (largest first)",
                [Math(f"{partial(self.cost_name, n)} = {num(g)}", markdown="") for n, g in self.node_gradients]
                + [Prose("", table.to_markdown())],
                markdown_title=""))
        return Report("", cost, sections, markdown_title=(
            f"Derivation of the gradients of ${latex(self.cost_name)} = {latex(num(self.cost_value))}$"))

    def to_text(self, width: int | None = None, ascii: bool = False):
        """A rich renderable: one panel per parameter (formulas wrapped to ``width`` between factors)."""
        return self.report().to_text(width=width, ascii=ascii)

    def to_markdown(self) -> str:
        """Markdown with LaTeX math, one section per parameter."""
        return self.report().to_markdown(level=3)

    _repr_markdown_ = to_markdown

    def __str__(self) -> str:
        return str(self.report())

    def to_json(self) -> dict:
        return {
            "cost": self.cost_name,
            "cost_value": self.cost_value,
            "summarized": self.summarized,
            "total_paths": self.total_paths,
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "variables": self.variables,
            "parameters": [p.to_json() for p in self.parameters],
            "node_gradients": [{"name": n, "grad": g} for n, g in self.node_gradients],
        }

    def ranking(self, learning_rate: float):
        """The parameters ranked by the change of cost their steps predict, −lr·(∂C/∂θ)² (``explainer.ranking``).

        A derivation has the graph but no way to rebuild it, so nothing is measured here: the shared descent
        (``lessons.descent``) measures each parameter's step alone where a lesson shows the ranking in full.
        """
        return rank([(p.name, p.value, p.total) for p in self.parameters], learning_rate)


# --------------------------------------------------------------- the report
def _scale(p: ParameterDerivation) -> float:
    """The largest path's size: the gradient is zero up to rounding below ``format.ROUNDING`` times it."""
    return max((abs(t.product) for t in p.paths), default=0.0)


def _paths_count(p: ParameterDerivation) -> str:
    return f"{p.n_paths} path{'s' if p.n_paths != 1 else ''}"


def _parameter_head(p: ParameterDerivation) -> str:
    return f"{p.derivative}   ({p.name} = {num(p.value)}; {_paths_count(p)})"


def _fraction(p: ParameterDerivation) -> str:
    """∂C/∂w in LaTeX, as a fraction."""
    return r"\frac{" + latex(p.derivative).replace("/", "}{") + "}"


def _parameter_markdown_head(p: ParameterDerivation) -> str:
    return f"${_fraction(p)}$ with ${latex(p.name)} = {latex(num(p.value))}$ ({_paths_count(p)})"


def _parameter_items(p: ParameterDerivation) -> list:
    """The body of one parameter's derivation: formulas (``Math``) and prose (``Prose``), each in text and Markdown."""
    scale = _scale(p)
    frac = _fraction(p)
    out: list = []
    if p.n_paths == 0:
        out.append(Prose(f"no path leads from {p.name} to the cost: it does not depend on {p.name}",
                         f"No path leads from ${latex(p.name)}$ to the cost: it does not depend on it."))
    if not p.listed_all:
        out.append(Prose(f"the {len(p.paths)} largest of {p.n_paths} paths:",
                         f"The {len(p.paths)} largest of {p.n_paths} paths:"))
    for k, path in enumerate(p.paths, 1):
        lead = f"path {k}: " if p.n_paths > 1 else ""
        pad = " " * len(lead)
        chain = path.joined([_latex_frac(f.derivative) for f in path.factors], r" \cdot ", r"\cdots")
        out.append(Math(f"{lead}{path.chain()}", markdown=(  # one line of LaTeX for the three of text
            f"$${chain} = {latex(path.formulas())} = {latex(path.numbers())} = {latex(num(path.product))}$$")))
        out.append(Math(f"{pad}= {path.formulas()}", markdown=""))
        out.append(Math(f"{pad}= {path.numbers()} = {num(path.product)}", markdown=""))
        if path.left_out:
            out.append(Prose(path.gap_line(), path.gap_line() + "."))
    if p.listed_all and p.n_paths > 1:
        out.append(Prose("", "The sum over the paths:"))
        out.append(Math(" + ".join(factor(t.product) for t in p.paths) + f" = {num(p.path_sum, scale=scale)}",
                        note="the sum over the paths", markdown=(
                            f"$${' + '.join(latex(factor(t.product)) for t in p.paths)} = "
                            f"{latex(num(p.path_sum, scale=scale))}$$")))
    out.append(Math(f"{p.derivative} = {num(p.total, scale=scale)}", note=f"backprop's accumulated gradient, = {p.name}.grad",
                    markdown=f"$${frac} = {latex(num(p.total, scale=scale))}$$ (backprop's accumulated gradient, "
                             f"`{p.name}.grad`)"))
    if p.closed_form is not None:
        closed = pretty(_as_floats(p.closed_form))
        shown = len(closed) <= MAX_CLOSED_FORM
        if shown:
            out.append(Math(f"{p.derivative} = {closed}", note="closed form, sympy",
                            markdown=f"$${frac} = {sympy_latex(_as_floats(p.closed_form))}$$ (closed form, sympy)"))
        else:
            out.append(Prose(f"closed form (sympy): {len(closed)} characters long, too long to print (it is in the "
                             "JSON)", ""))
        if p.symbolic_check is not None:
            agree = "agrees" if p.symbolic_check else "DISAGREES"
            marked = "agrees" if p.symbolic_check else "**disagrees**"
            out.append(Prose(f"differentiating the whole cost {agree} with the chain-rule product of local derivatives",
                             f"Differentiating the whole cost {marked} with the chain-rule product of local "
                             "derivatives." if shown else ""))
    elif p.symbolic_skipped:
        out.append(Prose(p.symbolic_skipped, p.symbolic_skipped[0].upper() + p.symbolic_skipped[1:] + "."))
    return out


def _latex_frac(derivative: str) -> str:
    top, below = derivative.split("/∂", 1)
    return r"\frac{" + latex(top) + "}{" + latex("∂" + below) + "}"


# ----------------------------------------------------------------- building
def _path_term(path, names: Names, formulas: dict) -> PathTerm:
    """The term of one path, from the cost down; a path longer than ``MAX_PATH_FACTORS`` keeps only its two ends.

    Only the factors shown are written out (a formula costs sympy about a
    millisecond); the product multiplies every factor.
    """
    steps = path[::-1]  # from the cost down
    left_out = 0
    if len(steps) > MAX_PATH_FACTORS:
        left_out = len(steps) - 2 * SHOWN_FACTORS
        steps = steps[:SHOWN_FACTORS] + steps[-SHOWN_FACTORS:]
    factors, nodes = [], []
    for j, (node, k) in enumerate(steps):
        child = node.inputs[k]
        if not nodes or (left_out and j == SHOWN_FACTORS):  # the first node of each shown stretch
            nodes += ["…", names[node]] if nodes else [names[node]]
        nodes.append(names[child])
        key = (node, k)
        if key not in formulas:
            formulas[key] = local_formula(names, node, k)
        factors.append(EdgeFactor(partial(names[node], names[child]), formulas[key], node.local[k]))
    return PathTerm(nodes, factors, product_from_cost(path), left_out)


def _as_floats(expr: sympy.Expr) -> sympy.Expr:
    """``symbolic.as_floats``, imported only when there is a closed form to write: numbers never load sympy."""
    from .symbolic import as_floats

    return as_floats(expr)


def _symbolic(cost: Value, params: list[Value], names: Names, all_paths: dict) -> dict:
    """Closed forms of ∂C/∂p, by differentiating C and by the chain-rule products, and whether they agree.

    Both sides are built from the op table's formulas (``chainrule.ops``, in
    sympy): the whole cost differentiated by sympy, and the product of the
    table's local derivatives along each path, summed. They agree when their
    difference expands to 0. The work is polynomial in the size of the
    formulas (no ``simplify``, whose time has no bound): σ, tanh and relu stay
    whole functions, so nothing is rewritten into exponentials.
    """
    import sympy

    from .symbolic import EXACT, constant, local_derivative

    symbols = {p: sympy.Symbol(names[p]) for p in params}
    exprs: dict[Value, sympy.Expr] = {}
    for node in names.order:
        if node in symbols:
            exprs[node] = symbols[node]
        elif not node.op:
            exprs[node] = constant(node.data)
        else:
            exprs[node] = ops.node_value(node, EXACT, [exprs[c] for c in node.inputs])
    whole = exprs[cost]
    out = {}
    start = time.perf_counter()
    for p in params:
        if time.perf_counter() - start > SYMBOLIC_BUDGET:
            out[p] = f"closed form skipped: the formulas took more than {SYMBOLIC_BUDGET:g} s to derive"
            continue
        closed = sympy.diff(whole, symbols[p])
        chain = sympy.Add(
            *(
                sympy.Mul(*(local_derivative(node, k, [exprs[c] for c in node.inputs], out=exprs[node])
                            for node, k in path))
                for path in all_paths[p]
            )
        )
        size = sympy.count_ops(closed) + sympy.count_ops(chain)
        if size > MAX_SYMBOLIC_SIZE:  # expanding could take very long: say so instead
            out[p] = f"closed form skipped: too large to expand ({size} operations; at most {MAX_SYMBOLIC_SIZE})"
            continue
        agree = sympy.expand(closed - chain) == 0
        out[p] = (sympy.factor_terms(sympy.expand(closed)) if closed.is_polynomial() else closed, chain, agree)
    return out


def explain(
    cost: Value,
    wrt: Iterable[Value] | None = None,
    *,
    max_paths: int = MAX_PATHS,
    symbolic: bool | None = None,
) -> Derivation:
    """Derive ∂cost/∂p for each ``p`` in ``wrt`` (default: every leaf of the graph).

    ``symbolic``: compute closed forms with sympy (default: for graphs of at
    most ``MAX_SYMBOLIC_NODES`` nodes whose paths are all listed).
    """
    if not isinstance(cost, Value):
        raise InvalidValueError(f"explain: the cost must be a Value, got {type(cost).__name__}")
    order = cost.nodes()  # walked once, and handed to every step below
    names = name_nodes(cost, order, formulas=len(order) <= MAX_FORMULA_NODES)
    if wrt is None:
        params = [n for n in names.order if not n.inputs and not n.op and n is not cost]
    else:
        params = list(wrt)
        for p in params:
            if not isinstance(p, Value):
                raise InvalidValueError(f"explain: wrt must hold Values, got {type(p).__name__}")
    outside = [p for p in params if p not in names.index]  # the cost does not depend on them: 0 paths
    for k, p in enumerate(outside):
        names.name[p] = p.label or f"p{k}"
    grads = final_gradients(cost)
    counts = {p: count_paths(cost, p, order) for p in params}
    total_paths = sum(counts.values())
    summarized = total_paths > max_paths
    users = users_of(cost, order)
    formulas: dict = {}
    all_paths: dict = {}
    derivations = []
    for p in params:
        if summarized:
            listed = [path for _, path in top_paths(cost, p, TOP_PATHS, order)]
        else:
            listed = list(iter_paths(cost, p, users))
            all_paths[p] = listed
        terms = [_path_term(path, names, formulas) for path in listed]
        listed_all = not summarized
        path_sum = None
        if listed_all:
            path_sum = 0.0
            for t in terms:
                path_sum += t.product
        d = ParameterDerivation(
            name=names[p],
            node=p,
            value=p.data,
            n_paths=counts[p],
            paths=terms,
            listed_all=listed_all,
            path_sum=path_sum,
            total=grads.get(p, 0.0),
            derivative=partial(names[cost], names[p]),
        )
        derivations.append(d)
    if symbolic is None:
        symbolic = not summarized and len(names.order) <= MAX_SYMBOLIC_NODES
    if symbolic and params and not summarized:
        forms = _symbolic(cost, params, names, all_paths)
        for d in derivations:
            form = forms.get(d.node)
            if isinstance(form, str):
                d.symbolic_skipped = form
            elif form is not None:
                d.closed_form, d.chain_rule_form, d.symbolic_check = form
    node_gradients = []
    if summarized:
        ranked = sorted((n for n in names.order if n is not cost), key=lambda n: -abs(grads.get(n, 0.0)))
        node_gradients = [(names[n], grads.get(n, 0.0)) for n in ranked[:TOP_NODES]]
    return Derivation(
        cost_name=names[cost],
        cost_value=cost.data,
        parameters=derivations,
        summarized=summarized,
        total_paths=total_paths,
        n_nodes=len(names.order),
        n_edges=sum(len(n.inputs) for n in names.order),
        node_gradients=node_gradients,
        variables=[names[p] for p in params],
    )

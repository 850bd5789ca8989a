"""Step through backprop: a graph and its backward pass, one edge at a time, as the step-through page plays it.

Backpropagation hands each node's gradient ∂C/∂node back to the node's
inputs, multiplied by the local derivative of the edge between them:

    ∂C/∂input  +=  ∂node/∂input · ∂C/∂node
                   (local)        (upstream: the running product so far)

``chainrule.explainer.trace`` records one *event* per edge, in exactly the
order ``Value.backward`` visits them (the same Kahn order, the same
additions). ``trace_graph`` adds what a page needs to play it edge by edge:
where each node is drawn, the sentence of each step (the running product,
the local derivative, the sum where two paths meet), and, for every
parameter, the sum over paths of the product of local derivatives; and the
line of generated code that performs each step (``chainrule.compile``: the
whole graph as a program in ``program``, each event's line in ``code``). At
the end each node's running sum is the gradient the engine computes.

Formulas come from ``chainrule.explain`` (sympy differentiates each
operation), numbers from the graph itself: nothing is typed in by hand.
Names are the explainer's, except where it could only number a node by its
place (v₅₇): there ``names`` writes what the node computes (e₁ + … + e₄,
a₁ − 0), in every text of the trace.

Where each node and edge is drawn comes from ``layout`` (Graphviz's dot, in
layer columns, one port per input, every box sized for every text it will
show: its running sums and the words ``SO_FAR`` included). Each node says
which of those columns it stands in (``layer``, from 1 at the left), and
``layers`` says what each column holds in words (``columns``), so that a page
can fold a layer into one box without guessing where the layers are.
"""

from __future__ import annotations

from ..codegen import compile as compile_graph
from ..explainer import explain
from ..explainer import trace as explain_trace
from ..explainer.format import factor, num
from ..explainer.names import name_nodes, partial
from ..gradcheck import is_parameter
from ..scalar import Value
from . import columns, layout
from .names import readable_names, rename

__all__ = ["trace_graph", "SO_FAR"]


def _kind(node: Value, output: Value) -> str:
    """'cost', 'parameter' (a leaf made as a ``Parameter``: a weight, a bias), 'input' (other leaves) or 'intermediate'."""
    if node is output:
        return "cost"
    if node.inputs:
        return "intermediate"
    return "parameter" if is_parameter(node) else "input"


# What a node shows under its gradient while some of the paths into it have not arrived yet.
SO_FAR = "so far"


def _drawing(order: list[Value], kinds: list[str], nodes: list[dict], edges: list[dict], events: list[dict]) -> dict:
    """Where the page draws each node and edge (``layout``: dot, in layer columns, one port per input).

    Each box is sized for the widest text it will ever show: its name, its value, every running sum it passes
    through (and its final gradient), and the word ``SO_FAR``; each port for its edge's local derivative. A
    layer's parameters get a column of their own: an edge from any other node into a node that reads a parameter
    spans two columns, so the parameters stand between the activations they multiply and the sums they feed.
    """
    grads: dict[int, list[str]] = {n["id"]: [n["grad_text"]] for n in nodes}
    for e in events:
        grads[e["source"]].append(e["text"]["after"])
    reads_parameter = {e["target"] for e in edges if kinds[e["source"]] == "parameter"}
    ports: dict[int, list[tuple[int, str]]] = {}
    for e in edges:
        ports.setdefault(e["target"], []).append((e["slot"], e["local_text"]))
    boxes = [
        layout.Box(
            n["id"],
            (n["name"], n["value_text"], max(grads[n["id"]] + ["1"], key=layout.text_width), SO_FAR),
            tuple(text for _, text in sorted(ports.get(n["id"], []))),
        )
        for n in nodes
    ]
    links = [
        layout.Link(e["id"], e["source"], e["target"], e["slot"],
                          minlen=2 if e["target"] in reads_parameter and kinds[e["source"]] != "parameter" else 1)
        for e in edges
    ]
    return layout.lay_out(boxes, links)


def trace_graph(output: Value) -> dict:
    """Nodes, edges and the backward pass of the graph ending at ``output``, as JSON-ready data.

    The events come from ``chainrule.explainer.trace`` (which replays
    ``Value.backward`` without touching the graph); this adds what the page
    draws: each node's place, the sentences of each step, and each
    parameter's sum over paths.
    """
    data = explain_trace.trace(output)
    order = output.nodes()
    program = compile_graph(output)  # every leaf a parameter: every edge has its line of code
    names = name_nodes(output, order)
    renamed = readable_names(names)  # never a name by position (v₅₇): what the node computes (e₁ + … + e₄)
    _rename_all(data, renamed)
    cost = data["cost"]
    cost_name = rename(names[output], renamed)
    kinds = [_kind(node, output) for node in order]

    # the largest contribution each node has received so far, event by event: a sum that is 0 up to rounding
    # next to it is written 0 (format.ROUNDING), as everywhere
    largest: dict[int, float] = {}
    sizes = []
    for e in data["events"]:
        largest[e["input"]] = max(largest.get(e["input"], 0.0), abs(e["contribution"]))
        sizes.append(largest[e["input"]])
    nodes = []
    for n, node in zip(data["nodes"], order):
        nodes.append(
            {
                "id": n["id"],
                "name": n["name"],
                "label": n["label"],
                "op": n["op"],
                "kind": kinds[n["id"]],
                "value": n["data"],
                "value_text": num(n["data"]),
                "grad": n["grad"],  # d(cost)/d(node) for this one backward pass
                "grad_text": num(n["grad"], scale=largest.get(n["id"], 0.0)),
                "engine_grad": node.grad,  # what the node itself holds after the lesson's backward()
            }
        )
    edges = [
        {
            "id": e["id"],
            "source": e["input"],  # the input...
            "target": e["user"],  # ...read by this node
            "slot": e["slot"],  # ...as its input number slot (the port the edge enters)
            "local": e["local"],
            "local_text": num(e["local"]),
            "derivative": e["derivative"],
            "formula": e["formula"],
        }
        for e in data["edges"]
    ]
    events = []
    code_lines = program.edge_lines()
    for e, size in zip(data["events"], sizes):
        code, code_line = code_lines[(e["user"], data["edges"][e["edge"]]["slot"])]
        up = partial(cost_name, e["user_name"]) if e["user"] != cost else f"∂{cost_name}/∂{cost_name}"
        into = partial(cost_name, e["input_name"])
        before, after, contribution = e["input_grad_before"], e["input_grad_after"], e["contribution"]
        events.append(
            {
                "step": e["step"],
                "edge": e["edge"],
                "source": e["input"],
                "target": e["user"],
                "local": e["local"],
                "upstream": e["user_grad"],
                "contribution": contribution,
                "before": before,
                "after": after,
                "meets": e["paths_meet"],  # a second (third...) path arrives: the chain rule adds
                "complete": e["input_complete"],  # every path into this node has now arrived
                "code": code,  # the line of the compiled backward pass that performs this step (chainrule.compile)
                "code_line": code_line,  # its number in "program" (from 1)
                "text": {
                    "chain": f"{up} · {e['derivative']}",
                    "formula": f"{e['derivative']} = {e['local_formula']}" if e["local_formula"] else e["derivative"],
                    "numbers": f"{factor(e['user_grad'])} · {factor(e['local'])} = {num(contribution)}",
                    "sum": (f"{into} = {num(before)} + {factor(contribution)} = {num(after, scale=size)}"
                            if e["paths_meet"] else f"{into} = {num(after)}"),
                    "local": num(e["local"]),
                    "upstream": num(e["user_grad"]),
                    "contribution": num(contribution),
                    "after": num(after, scale=size),
                },
            }
        )
    grad = {node: n["grad"] for node, n in zip(order, nodes)}
    drawing = _drawing(order, kinds, nodes, edges, events)
    for n in nodes:
        n["box"] = drawing["boxes"][n["id"]]
    for key, layer in columns.column_of({n["id"]: n["box"]["x"] + n["box"]["w"] / 2 for n in nodes}).items():
        nodes[key]["layer"] = layer  # the column dot drew it in, 1 at the left
    for e in edges:
        e.update(drawing["links"][e["id"]])
    return {
        "cost": cost,
        "cost_name": cost_name,
        "nodes": nodes,
        "edges": edges,
        "events": events,
        "parameters": [k for k, kind in enumerate(kinds) if kind == "parameter"],
        "derivations": _derivations(output, order, names, grad, renamed),
        "layers": columns.layers(nodes),  # each column: its nodes, its box and its words, to fold it into one
        "width": drawing["width"],
        "height": drawing["height"],
        "so_far": SO_FAR,
        "program": program.source,  # the whole graph as straight-line Python: forward, then one line per edge
    }


def _rename_all(data: dict, renamed: dict[str, str]) -> None:
    """Every name and formula of the explainer's trace written with the step-through's names (``names.rename``)."""
    if not renamed:
        return
    for n in data["nodes"]:
        n["name"] = rename(n["name"], renamed)
    for e in data["edges"]:
        e["derivative"], e["formula"] = rename(e["derivative"], renamed), rename(e["formula"], renamed)
    for e in data["events"]:
        for key in ("input_name", "user_name", "derivative", "local_formula"):
            e[key] = rename(e[key], renamed)


def _derivations(output, order, names, grad, renamed: dict[str, str]) -> list[dict]:
    """For each named leaf: ∂C/∂leaf as the sum over paths of the product of local derivatives.

    The paths, their products and their sum come from ``chainrule.explain``
    (the same derivation every lesson prints, summarized the same way when
    the paths are too many to list), their names the step-through's (``names.rename``).
    """
    leaves = [leaf for leaf in order if not leaf.op and leaf.label]
    derivation = explain(output, wrt=leaves, symbolic=False)
    out = []
    for leaf, d in zip(leaves, derivation.parameters):
        entry = {"node": names.index[leaf], "name": names[leaf], "paths": d.n_paths, "grad": grad[leaf]}
        scale = max((abs(t.product) for t in d.paths), default=0.0)
        entry["grad_text"] = num(grad[leaf], scale=scale)
        head = partial(rename(names[output], renamed), names[leaf])
        if d.listed_all:
            several = d.n_paths > 1
            entry["formula"] = rename(f"{head} = " + " + ".join(t.chain() for t in d.paths), renamed)
            entry["numbers"] = ("= " + " + ".join(f"({t.numbers()})" if several else t.numbers() for t in d.paths)
                                + f" = {entry['grad_text']}")
        else:
            entry["formula"] = f"{head} = the sum over {d.n_paths} paths of the product of the local derivatives"
            entry["numbers"] = f"= {entry['grad_text']}"
        out.append(entry)
    return out

"""The playground's network rebuilt as scalar ``Value``\\ s, to follow backprop to one weight, bias or neuron.

The playground trains with the tensor engine (matrices). To *show* how the
gradient of one weight comes about, ``rebuild`` writes the current network
again with ``chainrule.scalar`` for the first points of the next step's
batch: a graph of single numbers whose backward pass can be followed edge by
edge (``chainrule.stepthrough.playground`` plays it).

Only what depends on the focus is a ``Value``: the focused weight (or bias,
or the neuron's incoming weights and bias) is a ``Parameter`` leaf, and so is
every node it feeds; every other weight and every input is a plain number,
folded into the nodes as a constant (``Value.dot`` takes constants). So the
graph holds exactly the paths from the focus to the cost, and each node's
gradient is what full backpropagation gives it: every user of a node that
depends on the focus depends on it too.

Where paths are many (a first-layer weight of a deep, wide network), the
network beyond some layer is *summarised*: its activations there, each with
the gradient ∂C/∂a that backprop carried back to it (computed on the full
scalar graph of the layers after), feed the cost through one node,

    C = Σⱼ (∂C/∂aⱼ)·aⱼ + (C − Σⱼ (∂C/∂aⱼ)·aⱼ)   (the second part a constant),

whose local derivatives are exactly those gradients. The chain rule then
gives every node below the same gradient as the whole network does, and the
answer says which layers were summarised and how many edges they hold.

The cost is the one training minimises for those points: the mean data loss
(cross-entropy of the logits: for two classes written log(1 + e^d) with d
the other logit minus the right one; for more, log(1 + Σₖ e^{dₖ}) with
dₖ = zₖ − z_y over the other classes k, the same −log softmax(z)_y; or the
squared error of the value), plus the
regularization of the focused weights (λ·½w² or λ·|w|, with |w| = relu(w) +
relu(−w)) and, as a constant, the rest of the penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValueError
from ..scalar import Parameter, Value
from .features import features
from .network import Network, network
from .points import batch_indices, points, split
from .setup import Setup

__all__ = ["Focus", "Rebuilt", "rebuild", "FOCUS_KINDS"]

# What backprop can be followed to: a neuron (its incoming weights and bias), one weight, or one bias.
FOCUS_KINDS = ("neuron", "weight", "bias")

# Each activation on a Value (an op of the engine) and on a plain number (the same function, in numpy).
_ON_VALUES = {"tanh": Value.tanh, "relu": Value.relu, "sigmoid": Value.sigmoid}
_ON_NUMBERS = {"tanh": np.tanh, "relu": lambda v: max(v, 0.0), "sigmoid": lambda v: 1 / (1 + np.exp(-v))}


@dataclass(frozen=True)
class Focus:
    """What to follow backprop to: a neuron, one of its incoming weights, or its bias.

    ``layer`` counts the network's layers of neurons from 1 (the first hidden
    layer) to the output layer; ``neuron`` counts within it from 1;
    ``source`` (for a weight) is the input it multiplies, from 1: a feature
    for layer 1, a neuron of the layer before otherwise.
    """

    kind: str = "weight"
    layer: int = 1
    neuron: int = 1
    source: int = 1

    def __post_init__(self):
        if self.kind not in FOCUS_KINDS:
            raise InvalidValueError(f"focus.kind = {self.kind!r}: allowed: one of: {', '.join(FOCUS_KINDS)}")
        for name, value in (("layer", self.layer), ("neuron", self.neuron), ("source", self.source)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidValueError(f"focus.{name} = {value!r}: allowed: a whole number >= 1")


@dataclass
class Rebuilt:
    """The scalar graph of the focus's paths to the cost, and what it stands for.

    ``cost``: the cost ``Value`` (labelled C; not yet differentiated); ``name``: the focus's label in it;
    ``step``: the step whose batch it averages over; ``examples``: those points, [x₁, x₂, label or value];
    ``cut``: the last layer written out node by node (the layers after it are summarised, see the module
    docstring; ``layers``: their count in the network, so ``cut == layers`` when nothing is); ``summarised_edges``:
    the edges the summary stands for; ``engine_gradient``: the tensor engine's gradient of the same cost for the
    focused weight or bias (None for a neuron).
    """

    cost: Value
    name: str
    step: int
    examples: list[list[float]]
    cut: int
    layers: int
    summarised_edges: int
    engine_gradient: float | None

    def summarised(self) -> dict | None:
        """Which layers the graph summarises and how many edges they hold (None: the whole network is drawn)."""
        if self.cut == self.layers:
            return None
        return {"after_layer": self.cut, "layers": list(range(self.cut + 1, self.layers + 1)),
                "edges": self.summarised_edges}


def _label(kind: str, layer: int, neuron: int, source: int = 0, example: int = 0, examples: int = 1) -> str:
    """w2[3,1]: the weight of layer 2 from input 3 to neuron 1; b2[1], z2[1], a2[1]; ⁽ᵉ⁾ for the example when several."""
    text = f"{kind}{layer}[{source},{neuron}]" if kind == "w" else f"{kind}{layer}[{neuron}]"
    if examples > 1 and kind in ("z", "a"):
        text += "⁽" + "⁰¹²³⁴⁵⁶⁷⁸⁹"[example + 1] + "⁾"
    return text


def _focus_leaves(focus: Focus, sizes: list[int]) -> set[tuple]:
    """The parameters that become leaves: ('w', layer, input, neuron) and ('b', layer, neuron), all 1-based."""
    f = focus
    layers = len(sizes) - 1
    if f.layer > layers:
        raise InvalidValueError(f"focus.layer: {f.layer} is past the output layer; allowed: 1 to {layers} for this network")
    if f.neuron > sizes[f.layer]:
        raise InvalidValueError(f"focus.neuron: layer {f.layer} has {sizes[f.layer]} neurons; allowed: 1 to {sizes[f.layer]}")
    if f.kind == "weight":
        if f.source > sizes[f.layer - 1]:
            raise InvalidValueError(
                f"focus.source: layer {f.layer} reads {sizes[f.layer - 1]} inputs; allowed: 1 to {sizes[f.layer - 1]}")
        return {("w", f.layer, f.source, f.neuron)}
    if f.kind == "bias":
        return {("b", f.layer, f.neuron)}
    return {("w", f.layer, i, f.neuron) for i in range(1, sizes[f.layer - 1] + 1)} | {("b", f.layer, f.neuron)}


def _activate(z, activation: str):
    """The activation of a node (a ``Value``: an op of the graph) or of a plain number."""
    if isinstance(z, Value):
        return _ON_VALUES[activation](z)
    return float(_ON_NUMBERS[activation](z))


def _dot(weights, inputs, bias):
    """Σ wᵢ·xᵢ + b: a ``Value`` when anything in it is one, else the same sum of plain numbers, in the same order."""
    if any(isinstance(v, Value) for v in (*weights, *inputs, bias)):
        return Value.dot(weights, inputs, bias)
    total = 0.0
    for w, x in zip(weights, inputs):
        total += w * x
    return total + bias


def _leaves(params, keys: set[tuple]) -> dict[tuple, Value]:
    """One ``Parameter`` leaf per focused parameter, shared by every example."""
    out = {}
    for key in sorted(keys):
        if key[0] == "w":
            _, k, i, j = key
            out[key] = Parameter(float(params[k - 1][0][i - 1, j - 1]), label=_label("w", k, j, i))
        else:
            _, k, j = key
            out[key] = Parameter(float(params[k - 1][1][j - 1]), label=_label("b", k, j))
    return out


def _forward(params, inputs, activations, leaves: dict, first: int, last: int, example: int, examples: int):
    """Layers ``first``..``last`` (1-based) on one example's inputs; parameters in ``leaves`` are its ``Value`` leaves.

    ``activations``: each hidden layer's activation, from layer 1 up.
    """
    a = list(inputs)
    for k in range(first, last + 1):
        W, b = params[k - 1]
        n_in, n_out = W.shape
        out = []
        for j in range(n_out):
            weights = [leaves.get(("w", k, i + 1, j + 1), float(W[i, j])) for i in range(n_in)]
            bias = leaves.get(("b", k, j + 1), float(b[j]))
            z = _dot(weights, a, bias)
            if isinstance(z, Value):
                z.label = _label("z", k, j + 1, example=example, examples=examples)
            if k < len(params):
                z = _activate(z, activations[k - 1])
                if isinstance(z, Value):
                    z.label = _label("a", k, j + 1, example=example, examples=examples)
            out.append(z)
        a = out
    return a


def _example_cost(outputs, target, problem: str):
    """One example's data loss: log(1 + e^d), d = (other logit) − (right logit); or (value − target)².

    With more than two classes: log(1 + Σₖ e^{dₖ}), dₖ = zₖ − z_y for each other class k (``_several``).
    """
    if problem == "regression":
        return (outputs[0] - float(target)) ** 2
    if len(outputs) > 2:
        return _several(outputs, int(target))
    right, other = outputs[int(target)], outputs[1 - int(target)]
    d = other - right
    if not isinstance(d, Value):
        return float(np.logaddexp(0.0, d))
    d.label = "d"
    if d.data <= 0:  # log(1 + e^d) as written, or d + log(1 + e^−d): the same number, never overflowing
        e = d.exp()
        e.label = "eᵈ"
        return (e + 1.0).log()
    e = (-d).exp()
    e.label = "e⁻ᵈ"
    return d + (e + 1.0).log()


def _several(outputs, target: int):
    """−log softmax(z)_y = log(1 + Σₖ e^{dₖ}), dₖ = zₖ − z_y over the classes k ≠ y; as m + log(e^{−m} + Σₖ e^{dₖ − m})
    with m the largest dₖ when that is positive, so that no exponential overflows."""
    right = outputs[target]
    ds = []
    for k, z in enumerate(outputs):
        if k == target:
            continue
        d = z - right
        if isinstance(d, Value):
            d.label = f"d{'₀₁₂₃₄₅₆₇₈₉'[k]}"  # dₖ for class k, numbered from 0 as on the page
        ds.append(d)
    if not any(isinstance(d, Value) for d in ds):
        return float(np.logaddexp.reduce([0.0, *[float(d) for d in ds]]))
    top = max(float(d.data if isinstance(d, Value) else d) for d in ds)
    shift = max(top, 0.0)
    total = None
    for d in ds:
        if isinstance(d, Value):
            e = (d - shift if shift else d).exp()
        else:
            e = float(np.exp(d - shift))
        total = e if total is None else total + e
    total = total + float(np.exp(-shift))
    return total.log() + shift if shift else total.log()


def _mean(costs: list):
    total = costs[0]
    for c in costs[1:]:
        total = total + c
    return total * (1.0 / len(costs)) if len(costs) > 1 else total


def _focus_label(focus: Focus, layers: int, examples: int) -> str:
    """The focus's label in the graph (a neuron's: its activation, or the output's z, in the first example)."""
    f = focus
    if f.kind == "weight":
        return _label("w", f.layer, f.neuron, f.source)
    if f.kind == "bias":
        return _label("b", f.layer, f.neuron)
    return _label("a" if f.layer < layers else "z", f.layer, f.neuron, examples=examples)


def _with_penalty(data: Value, params, leaves, setup: Setup) -> Value:
    """The data loss plus the regularization: the focused weights' part as nodes, the rest as a number."""
    rate, kind = setup.regularization_rate, setup.regularization
    if kind == "none" or rate == 0:
        data.label = "C"
        return data
    data.label = "L"  # the data loss; C adds the penalty
    rest, live = 0.0, []
    for k, (W, _) in enumerate(params, start=1):
        for (i, j), w in np.ndenumerate(W):
            if ("w", k, i + 1, j + 1) in leaves:
                continue
            rest += rate * (0.5 * w * w if kind == "l2" else abs(w))
    for key, w in leaves.items():
        if key[0] != "w":
            continue
        live.append((w * w) * (0.5 * rate) if kind == "l2" else (w.relu() + (-w).relu()) * rate)
    total = data
    for term in live:
        total = total + term
    total = total + float(rest)
    total.label = "C"
    return total


def _edges_after(sizes: list[int], cut: int) -> int:
    """Edges of the summarised layers (a weight and an input into each neuron's dot, one into each activation)."""
    count = 0
    for k in range(cut + 1, len(sizes)):
        count += sizes[k] * (2 * sizes[k - 1] + 1) + (sizes[k] if k < len(sizes) - 1 else 0)
    return count


def _engine_gradient(net: Network, F, targets, focus: Focus) -> float | None:
    """The tensor engine's gradient of the same cost for the focused weight or bias (None for a neuron)."""
    f = focus
    if f.kind == "neuron":
        return None
    grads = net.gradients(F, targets)
    gW, gb = grads[f.layer - 1]
    return float(gW[f.source - 1, f.neuron - 1]) if f.kind == "weight" else float(gb[f.neuron - 1])


def rebuild(setup: Setup, focus: Focus, examples: int = 1, max_edges: int | None = None) -> Rebuilt:
    """The scalar graph of backprop to ``focus`` for the first ``examples`` points of step ``setup.step``'s batch.

    With ``max_edges``, the layers nearest the cost are summarised, one more at a time, until the graph has at
    most that many edges (or only the focus's own layer is left written out).
    """
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise InvalidValueError(f"examples = {examples!r}: allowed: a whole number >= 1")
    X, y = points(setup)
    train_idx, _ = split(len(y), setup.test_fraction, setup.seed)
    Xtr, ytr = X[train_idx], y[train_idx]
    net, step = network(setup)
    sizes = setup.sizes()
    params = [(np.asarray(W), np.asarray(b)) for W, b in net.params()]
    leaves = _leaves(params, _focus_leaves(focus, sizes))
    chosen = batch_indices(setup, len(ytr), step)[:examples]
    F = features(Xtr[chosen], setup.features)
    targets = ytr[chosen]
    layers = len(params)
    B = len(chosen)
    activations = setup.layer_activations()

    # The cost's value and, for any cut, ∂(data loss)/∂(activations of each layer): the scalar graph of the rest.
    def rest_of_network(cut: int):
        """Each example's activations after layer ``cut`` as leaves, the layers after them as numbers: C and ∂C/∂a."""
        starts, costs = [], []
        for e in range(B):
            a = _forward(params, F[e], activations, {}, 1, cut, e, B)
            leaf = [Value(float(v)) for v in a]
            out = _forward(params, leaf, activations, {}, cut + 1, layers, e, B) if cut < layers else leaf
            starts.append(leaf)
            costs.append(_example_cost(out, targets[e], setup.problem))
        total = _mean(costs)
        total.backward()
        return total.data, [[v.grad for v in leaf] for leaf in starts]

    chosen_cut, cost = None, None
    for cut in range(layers, focus.layer - 1, -1):  # no cut first, then summarise more and more of the top
        per_example = [_forward(params, F[e], activations, leaves, 1, cut, e, B) for e in range(B)]
        if cut == layers:
            data = _mean([_example_cost(per_example[e], targets[e], setup.problem) for e in range(B)])
        else:
            value, grads = rest_of_network(cut)
            weights, inputs = [], []
            for e in range(B):
                for g, v in zip(grads[e], per_example[e]):
                    if isinstance(v, Value):
                        weights.append(g)
                        inputs.append(v)
            data = Value.dot(weights, inputs, value - sum(g * v.data for g, v in zip(weights, inputs)))
        if not isinstance(data, Value):
            raise InvalidValueError("focus: nothing in the cost depends on it")  # cannot happen: every layer feeds the next
        cost = _with_penalty(data, params, leaves, setup)
        chosen_cut = cut
        if max_edges is None or sum(len(node.inputs) for node in cost.nodes()) <= max_edges:
            break
    return Rebuilt(
        cost=cost,
        name=_focus_label(focus, layers, examples),
        step=step,
        examples=[[float(Xtr[i, 0]), float(Xtr[i, 1]), float(ytr[i])] for i in chosen],
        cut=chosen_cut,
        layers=layers,
        summarised_edges=_edges_after(sizes, chosen_cut) * B,
        engine_gradient=_engine_gradient(net, F, targets, focus),
    )

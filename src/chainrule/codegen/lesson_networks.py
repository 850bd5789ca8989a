"""Each lesson's network as ``Tensor``\\ s: the same numbers, written with vectors and matrices.

A lesson builds its network one number at a time (``Value``); the numpy and
PyTorch programs of ``chainrule code`` are written with arrays. This module
rebuilds each lesson's network with ``chainrule.Tensor``, reading every
number (weights, inputs, targets) from the lesson's own graph, never
restating it:

* a dense layer z = a·W + b keeps examples in rows: the weight wˡⱼₖ (input k
  → neuron j) is ``W{l}[k-1, j-1]``, so ``z1 = x @ W1 + b1`` and backprop's
  δ recursion reads ``d_z1 = (d_z2 @ W2.T) * f′(z1)``;
* a batch is a vector: ``a = x * w``, the cost a sum over its entries.

``tensor_network(name)`` returns the tensor graph (before ``backward()``),
the lesson's scalar cost, and which tensor entry stands for which scalar
parameter (``pairs``), so a test can hold the two side by side: same cost,
same gradients.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import lessons
from ..errors import InvalidValueError

__all__ = ["LessonTensors", "tensor_network", "NETWORKS"]


@dataclass
class LessonTensors:
    """``loss``: the tensor graph's loss; ``cost``: the lesson's scalar cost; ``pairs``: (scalar leaf, tensor, index)."""

    loss: object
    cost: object
    pairs: list


def _named(t, name: str):
    t.name = name
    return t


def _leaves(cost) -> dict:
    found = {}
    for node in cost.nodes():
        if not node.op and node.label:
            found.setdefault(node.label, node)
    return found


def _square_error(a, y, name: str = "C"):
    return _named((a - y) ** 2, name)


def _simplest(result) -> LessonTensors:
    from ..tensor import Tensor

    cost = result.graph()
    leaf = _leaves(cost)
    i, w, y = Tensor(leaf["i"].data, name="i"), Tensor(leaf["w"].data, requires_grad=True, name="w"), Tensor(
        leaf["y"].data, name="y")
    a = _named(i * w, "a")
    return LessonTensors(_square_error(a, y), cost, [(leaf["w"], "w", ())])


def _activation(result) -> LessonTensors:
    from ..tensor import Tensor

    n = result.network
    i, y = Tensor(n.i.data, name="i"), Tensor(n.y.data, name="y")
    w, b = Tensor(n.w.data, requires_grad=True, name="w"), Tensor(n.b.data, requires_grad=True, name="b")
    z = _named(w * i + b, "z")
    a = _named(getattr(z, result.activation)(), "a")
    return LessonTensors(_square_error(a, y), n.C, [(n.w, "w", ()), (n.b, "b", ())])


def _chain(result) -> LessonTensors:
    from ..tensor import Tensor

    n = result.network
    a = Tensor(n.i.data, name="i")
    pairs = []
    for k, w in enumerate(n.weights, 1):
        weight = Tensor(w.data, requires_grad=True, name=f"w{k}")
        a = _named(weight * a, f"a{k}")
        pairs.append((w, f"w{k}", ()))
    return LessonTensors(_square_error(a, Tensor(n.y.data, name="y")), n.C, pairs)


def _batch(result) -> LessonTensors:
    from ..tensor import Tensor

    n = result.network
    x = Tensor([i.data for i in n.inputs], name="x")
    w = Tensor(n.w.data, requires_grad=True, name="w")
    a = _named(x * w, "a")
    C = _named(((a - Tensor(n.y.data, name="y")) ** 2).sum(), "C")
    return LessonTensors(C, n.C, [(n.w, "w", ())])


def _dense(x_rows: list[list[float]], layers: list, y_rows: list[list[float]], scale: float | None):
    """z = a·W + b layer after layer (``layers``: (weights[j][k] Values, biases, activation)); C = Σ(a − y)² (× scale).

    Returns the loss and the pairs (scalar weight, "W{l}", (k, j)) / (scalar bias, "b{l}", (j,)).
    """
    import numpy as np

    from ..tensor import Tensor

    a = Tensor(np.array(x_rows, dtype=np.float64), name="x")
    pairs = []
    last = len(layers)
    for l, (weights, biases, activation) in enumerate(layers, 1):
        n_out, n_in = len(weights), len(weights[0])
        W = np.array([[weights[j][k].data for j in range(n_out)] for k in range(n_in)], dtype=np.float64)
        pairs += [(weights[j][k], f"W{l}", (k, j)) for j in range(n_out) for k in range(n_in)]
        Wt = Tensor(W, requires_grad=True, name=f"W{l}")
        z = a @ Wt
        if biases:
            b = Tensor(np.array([v.data for v in biases], dtype=np.float64), requires_grad=True, name=f"b{l}")
            pairs += [(v, f"b{l}", (j,)) for j, v in enumerate(biases)]
            z = z + b
        if l == last:
            a = _named(z, "a")
        else:
            _named(z, f"z{l}")
            a = _named(z if activation == "linear" else getattr(z, activation)(), f"a{l}")
    total = ((a - Tensor(np.array(y_rows, dtype=np.float64), name="y")) ** 2).sum()
    if scale is not None:
        total = total * scale
    return _named(total, "C"), pairs


def _wide(result) -> LessonTensors:
    n = result.network
    layers = [(layer.weights, layer.biases, result.activation) for layer in n.layers]
    loss, pairs = _dense([[v.data for v in n.x]], layers, [[n.y.data]], None)
    return LessonTensors(loss, n.C, pairs)


def _learning_rate(result) -> LessonTensors:
    from ..lessons import learning_rate as lesson
    from ..neuron import MLP

    net = MLP(1, [4, 1], activation="tanh", seed=result.seed)  # the network the lesson trains (its graph())
    cost = lesson.mlp_cost(net)
    layers = [([neuron.w for neuron in layer.neurons], [neuron.b for neuron in layer.neurons], neuron_activation)
              for layer, neuron_activation in zip(net.layers, ["tanh"] * (len(net.layers) - 1) + ["linear"])]
    loss, pairs = _dense([[x] for x, _ in lesson.POINTS], layers, [[y] for _, y in lesson.POINTS],
                         1.0 / len(lesson.POINTS))
    return LessonTensors(loss, cost, pairs)


def _why_backprop(result) -> LessonTensors:
    from ..lessons import why_backprop as lesson
    from ..tensor import Tensor

    weights, inputs, target = result.example
    ws, cost = lesson.network(weights, inputs, target)
    w = Tensor([v.data for v in ws], requires_grad=True, name="w")
    z = _named((w * Tensor(list(inputs), name="x")).sum(), "z")
    a = _named(z.tanh(), "a")
    return LessonTensors(_square_error(a, Tensor(float(target), name="y")), cost,
                         [(v, "w", (k,)) for k, v in enumerate(ws)])


def _softmax(result) -> LessonTensors:
    """z = w·x + b (one weight and bias per class), p = softmax(z) as the lesson builds it, C = −Σ onehot·ln p."""
    import numpy as np

    from ..tensor import Tensor

    n = result.network
    x = Tensor(n.x.data, name="x")
    w = Tensor([v.data for v in n.weights], requires_grad=True, name="w")
    b = Tensor([v.data for v in n.biases], requires_grad=True, name="b")
    z = _named(w * x + b, "z")
    m = Tensor(n.shift.data, name="m")  # max z, a number (data, not a parameter), as in the lesson
    e = _named((z - m).exp(), "e")
    p = _named(e / _named(e.sum(), "S"), "p")
    onehot = Tensor(np.array(result.onehot), name="onehot")
    C = _named(-(onehot * p.log()).sum(), "C")  # only the true class's term is not 0: −ln p_y
    pairs = [(v, "w", (k,)) for k, v in enumerate(n.weights)] + [(v, "b", (k,)) for k, v in enumerate(n.biases)]
    return LessonTensors(C, n.C, pairs)


def _convexity(result) -> LessonTensors:
    """The two tanh units of the lesson as a 1-2-1 network over its five points: C = Σ (a − y)²."""
    from ..lessons import convexity as lesson

    cost = result.graph()
    leaf = _leaves(cost)
    w11, b11, w21, w12, b12, w22, b2 = (leaf[name] for name in lesson.NAMES)
    layers = [([[w11], [w12]], [b11, b12], "tanh"), ([[w21, w22]], [b2], "linear")]
    loss, pairs = _dense([[x] for x in lesson.DATA_X], layers, [[y] for y in lesson.DATA_Y], None)
    return LessonTensors(loss, cost, pairs)


NETWORKS = {
    "simplest": _simplest,
    "chain": _chain,
    "activation": _activation,
    "wide": _wide,
    "batch": _batch,
    "why-backprop": _why_backprop,
    "learning-rate": _learning_rate,
    "softmax": _softmax,
    "convexity": _convexity,
}


def tensor_network(name: str, result=None) -> LessonTensors:
    """Lesson ``name``'s network as tensors, with its default parameters (or the ``result`` of its ``train``)."""
    module = lessons.load(name)
    if name not in NETWORKS:
        raise InvalidValueError(f"lesson {name!r} has no matrix form yet; lessons with one: {', '.join(NETWORKS)}")
    if result is None:
        result = module.train()
    return NETWORKS[name](result)

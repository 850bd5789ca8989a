"""A lesson's network as ``Tensor``\\ s: the same numbers, written with vectors and matrices.

A lesson builds its network one number at a time (``Value``); the numpy and
PyTorch programs of ``chainrule code`` are written with arrays. A lesson's
``tensors(**params)`` (``contract.LessonTensors``) writes its network again
with ``chainrule.Tensor``, reading every weight from the scalar graph it
builds with the same parameters, never restating a number. Two shapes recur:

* a dense layer z = a·W + b keeps examples in rows: the weight wˡⱼₖ (input k
  → neuron j of layer l) is ``W{l}[k-1, j-1]``, so ``z1 = x @ W1 + b1`` and
  backprop's δ recursion reads ``d_z1 = (d_z2 @ W2.T) * f′(z1)``
  (``dense``);
* a tensor result gets the name the scalar graph gives its number
  (``Tensor.named``), so the emitted program reads like the lesson.
"""

from __future__ import annotations

import numpy as np

from ..scalar import Value
from ..tensor import Tensor

__all__ = ["dense"]


def dense(x_rows: list[list[float]], layers: list[tuple[list[list[Value]], list[Value], str]],
          y_rows: list[list[float]], scale: float | None = None) -> tuple[Tensor, list]:
    """z = a·W + b layer after layer, C = Σ(a − y)² (× ``scale`` when given), from the scalar network's own weights.

    ``layers``: for each layer, its weights ``weights[j][k]`` (input k →
    neuron j, the scalar ``Parameter``\\ s), its biases (or none) and its
    activation ("tanh", "sigmoid", "relu", "linear"; the last layer is always
    linear, its output named ``a``). Returns the loss (before ``backward()``)
    and the pairs (scalar weight, "W{l}", (k, j)) and (scalar bias, "b{l}",
    (j,)) that ``LessonTensors.pairs`` lists.
    """
    a = Tensor(np.array(x_rows, dtype=np.float64), name="x")
    pairs = []
    last = len(layers)
    for l, (weights, biases, activation) in enumerate(layers, 1):
        n_out, n_in = len(weights), len(weights[0])
        W = np.array([[weights[j][k].data for j in range(n_out)] for k in range(n_in)], dtype=np.float64)
        pairs += [(weights[j][k], f"W{l}", (k, j)) for j in range(n_out) for k in range(n_in)]
        z = a @ Tensor(W, requires_grad=True, name=f"W{l}")
        if biases:
            b = Tensor(np.array([v.data for v in biases], dtype=np.float64), requires_grad=True, name=f"b{l}")
            pairs += [(v, f"b{l}", (j,)) for j, v in enumerate(biases)]
            z = z + b
        if l == last:
            a = z.named("a")
        else:
            a = _activate(z.named(f"z{l}"), activation).named(f"a{l}")
    total = ((a - Tensor(np.array(y_rows, dtype=np.float64), name="y")) ** 2).sum()
    if scale is not None:
        total = total * scale
    return total.named("C"), pairs


def _activate(z: Tensor, activation: str) -> Tensor:
    """f(z) for a hidden layer: the tensor engine's own tanh, sigmoid or relu; "linear" leaves z as it is."""
    if activation == "linear":
        return z
    return {"tanh": Tensor.tanh, "sigmoid": Tensor.sigmoid, "relu": Tensor.relu}[activation](z)

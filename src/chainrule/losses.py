"""Costs: how wrong a network's outputs are, as one number to minimise.

The video's cost is C = (a − y)² for one output. For a batch of many
outputs we average: the mean squared error. For classification the network
outputs one score (*logit*) per class and the cost is the cross-entropy of
the softmax of the scores: −log of the probability given to the right class.

Both are single graph nodes with their gradient written out, because that
gradient is much simpler than the chain of small steps it summarises:

    cross-entropy:  dC/dzᵢⱼ = (softmax(zᵢ)ⱼ − [j = yᵢ]) / N
    squared error:  dC/daᵢ = 2 (aᵢ − yᵢ) / N

(the first one is the famous "prediction minus target" of softmax regression).
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidValueError
from .tensor import Tensor, _node, _shape_text

__all__ = ["cross_entropy", "mse_loss", "accuracy"]


_sum = np.add.reduce

# each native integer dtype and the unsigned dtype of its size (a view as unsigned makes negatives huge)
_UNSIGNED = {np.dtype(f"{kind}{size}"): np.dtype(f"u{size}") for kind in "iu" for size in (1, 2, 4, 8)}


def _labels(labels, n: int, n_classes: int) -> np.ndarray:
    y = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and y.size and np.all(y == np.round(y)):
            y = y.astype(np.intp)
        else:
            raise InvalidValueError(f"cross_entropy: labels must be integers (class numbers), got dtype {y.dtype}")
    if y.shape != (n,):
        raise InvalidValueError(f"cross_entropy: logits of shape ({n}, {n_classes}) need labels of shape ({n},), got {_shape_text(y.shape)}")
    unsigned = _UNSIGNED.get(y.dtype)
    # one pass for both ends when it can: seen as unsigned, a negative label becomes huge
    if n and (y.view(unsigned).max() >= n_classes if unsigned is not None else y.min() < 0 or y.max() >= n_classes):
        bad = y.min() if y.min() < 0 else y.max()
        raise InvalidValueError(f"cross_entropy: label {int(bad)} is out of range for {n_classes} classes (allowed 0 to {n_classes - 1})")
    return y


def cross_entropy(logits: Tensor, labels, reduction: str = "mean") -> Tensor:
    """C = (1/N) Σᵢ −log softmax(zᵢ)[yᵢ] from raw scores ``logits`` (N, K) and integer ``labels`` (N,).

    Stable: log softmax(z)ⱼ = (zⱼ − m) − log Σₖ e^{zₖ − m} with m = max z, so
    no exponential overflows. Gradient: (softmax(z) − onehot(y)) / N.
    ``reduction``: "mean" (default) or "sum".
    """
    if not isinstance(logits, Tensor):
        logits = Tensor(logits)
    z = logits.data
    if z.ndim != 2:
        raise InvalidValueError(f"cross_entropy: logits must have shape (N, classes), got {_shape_text(z.shape)}")
    if reduction not in ("mean", "sum"):
        raise InvalidValueError(f"cross_entropy: reduction must be 'mean' or 'sum', got {reduction!r}")
    n, k = z.shape
    if n == 0:
        raise InvalidValueError("cross_entropy: the batch is empty")
    y = _labels(labels, n, k)
    rows = np.arange(n)
    # (np.maximum.reduce and np.add.reduce are what .max() and .sum() call, minus a layer of Python)
    shifted = z - np.maximum.reduce(z, 1, keepdims=True)
    e = np.exp(shifted)
    s = np.add.reduce(e, 1, keepdims=True)
    total = _sum(np.log(s), None) - _sum(shifted[rows, y], None)
    scale = 1.0 / n if reduction == "mean" else 1.0
    e /= s  # e is now softmax(z), saved for the backward pass
    out = np.asarray(total * scale, dtype=z.dtype)
    return _node(out, "cross_entropy", (logits,), _cross_entropy_backward, (e, y, rows, scale))


def _cross_entropy_backward(node, g):
    p, y, rows, scale = node._ctx
    c = float(g) * scale
    d = p * c
    d[rows, y] -= c
    return (d,)


def mse_loss(pred: Tensor, target, reduction: str = "mean") -> Tensor:
    """C = (1/N) Σ (a − y)² over every element: the video's cost, averaged.  dC/da = 2(a − y)/N.

    ``target`` must have the same shape as ``pred`` (no silent broadcasting:
    a (N, 1) output against (N,) targets is a classic bug).
    """
    if not isinstance(pred, Tensor):
        pred = Tensor(pred)
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=pred.data.dtype))
    if t.data.shape != pred.data.shape:
        raise InvalidValueError(
            f"mse_loss: prediction shape {_shape_text(pred.shape)} and target shape {_shape_text(t.shape)} differ"
        )
    if reduction not in ("mean", "sum"):
        raise InvalidValueError(f"mse_loss: reduction must be 'mean' or 'sum', got {reduction!r}")
    if pred.data.size == 0:
        raise InvalidValueError("mse_loss: the batch is empty")
    d = pred.data - t.data
    scale = 1.0 / d.size if reduction == "mean" else 1.0
    out = np.asarray(np.vdot(d, d) * scale, dtype=d.dtype)
    return _node(out, "mse", (pred, t), _mse_backward, (d, scale))


def _mse_backward(node, g):
    d, scale = node._ctx
    gp = d * (2.0 * scale * float(g))
    pred, t = node._parents
    return (gp if pred.requires_grad else None, -gp if t.requires_grad else None)


def accuracy(logits, labels) -> float:
    """The fraction of rows whose largest score is the right class."""
    z = logits.data if isinstance(logits, Tensor) else np.asarray(logits)
    y = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if len(y) == 0:
        return float("nan")
    return float(np.mean(z.argmax(axis=1) == y))

"""Tensor operations written once, checked twice.

Each case pairs a chainrule expression with the same expression in PyTorch
(a function of the torch module, so this file never imports torch):
``test_tensor.py`` checks the chainrule side against finite differences,
``test_tensor_vs_torch.py`` against PyTorch's autograd (skipped where torch
is not installed).
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings, strategies as st

from chainrule.losses import cross_entropy, mse_loss
from chainrule.tensor import Tensor, concatenate, linear, stack

SETTINGS = settings(max_examples=15, deadline=None)

# name -> (chainrule f(a, b), torch f(torch, a, b))
BINARY = {
    "add": (lambda a, b: a + b, lambda torch, a, b: a + b),
    "sub": (lambda a, b: a - b, lambda torch, a, b: a - b),
    "mul": (lambda a, b: a * b, lambda torch, a, b: a * b),
    "div": (lambda a, b: a / b, lambda torch, a, b: a / b),
    "pow": (lambda a, b: a ** b, lambda torch, a, b: a ** b),
}

# name -> (chainrule f(a), torch f(torch, a)); applied to inputs >= 0.5
UNARY = {
    "neg": (lambda a: -a, lambda torch, a: -a),
    "square": (lambda a: a ** 2, lambda torch, a: a ** 2),
    "pow-const": (lambda a: a ** 3.5, lambda torch, a: a ** 3.5),
    "rpow": (lambda a: 2.0 ** a, lambda torch, a: 2.0 ** a),
    "rsub": (lambda a: 3.0 - a, lambda torch, a: 3.0 - a),
    "rdiv": (lambda a: 1.5 / a, lambda torch, a: 1.5 / a),
    "radd-rmul": (lambda a: 1.0 + 2.0 * a, lambda torch, a: 1.0 + 2.0 * a),
    "exp": (lambda a: a.exp(), lambda torch, a: torch.exp(a)),
    "log": (lambda a: a.log(), lambda torch, a: torch.log(a)),
    "tanh": (lambda a: a.tanh(), lambda torch, a: torch.tanh(a)),
    "sigmoid": (lambda a: a.sigmoid(), lambda torch, a: torch.sigmoid(a)),
    "relu": (lambda a: (a - 1.3).relu(), lambda torch, a: torch.relu(a - 1.3)),
}

REDUCTIONS = ("sum", "mean", "max")


def torch_reduction(torch, name, a, axis, keepdims, ndim):
    f = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[name]
    if axis is None:
        r = f(a)
        return r.reshape((1,) * ndim) if keepdims else r
    return f(a, dim=axis, keepdim=keepdims)


ACTIVATIONS = {"relu": lambda torch: torch.relu, "tanh": lambda torch: torch.tanh, "sigmoid": lambda torch: torch.sigmoid}

INDICES = {
    "slice": (slice(1, 3),), "int": (0,), "column": (slice(None), -1), "ellipsis": (Ellipsis, 1),
    "repeated-fancy": (np.array([0, 2, 0]),), "mask": (np.array([True, False, True]),),
    "step-newaxis": (slice(None, None, 2), None),
}

# name -> (chainrule f, torch f(torch, ...), input shapes)
SHAPE_CASES = {
    "reshape": (lambda a: a.reshape(3, 4) * 2.0, lambda torch, a: a.reshape(3, 4) * 2.0, [(2, 6)]),
    "transpose": (lambda a: a.transpose(2, 0, 1), lambda torch, a: a.permute(2, 0, 1), [(2, 3, 4)]),
    "T-matmul": (lambda a: a.T @ a, lambda torch, a: a.T @ a, [(3, 2)]),
    "sum-two-axes": (lambda a: a.sum(axis=(0, 2)), lambda torch, a: a.sum(dim=(0, 2)), [(2, 3, 4)]),
    "stack": (lambda a, b: stack([a, b], axis=1), lambda torch, a, b: torch.stack([a, b], dim=1), [(2, 3), (2, 3)]),
    "negative-step": (lambda a: a[::-1, 1:] * 2.0, lambda torch, a: a.flip(0)[:, 1:] * 2.0, [(3, 4)]),
}


def concat_case(parts, axis):
    shapes = [(p, 3) if axis == 0 else (3, p) for p in parts]
    return (lambda *ts: concatenate(ts, axis=axis)), (lambda torch, *ts: torch.cat(ts, dim=axis)), shapes


def cross_entropy_case(y, reduction):
    return (lambda t: cross_entropy(t, y, reduction=reduction),
            lambda torch, t: torch.nn.functional.cross_entropy(t, torch.tensor(y), reduction=reduction))


MSE = (mse_loss, lambda torch, a, b: torch.nn.functional.mse_loss(a, b))
LINEAR = (linear, lambda torch, x, W, b: x @ W + b)


# ------------------------------------------------------------------ shapes
dims = st.integers(1, 4)
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple)


@st.composite
def broadcast_pair(draw):
    """Two shapes that numpy broadcasts: the second drops leading axes and/or has 1s."""
    a = draw(st.lists(dims, min_size=1, max_size=3).map(tuple))
    drop = draw(st.integers(0, len(a)))
    b = list(a[drop:])
    for i in range(len(b)):
        if draw(st.booleans()):
            b[i] = 1
    if draw(st.booleans()):
        a, b = tuple(b), a
    return tuple(a), tuple(b)


@st.composite
def shape_and_axis(draw, allow_none=True):
    shape = draw(st.lists(dims, min_size=1, max_size=3).map(tuple))
    choices = [None] if allow_none else []
    choices += list(range(-len(shape), len(shape)))
    return shape, draw(st.sampled_from(choices))


@st.composite
def matmul_shapes(draw):
    n, k, m = draw(dims), draw(dims), draw(dims)
    kind = draw(st.sampled_from(["2d", "batched", "broadcast", "vec-mat", "mat-vec", "vec-vec"]))
    if kind == "2d":
        return (n, k), (k, m)
    if kind == "batched":
        b = draw(dims)
        return (b, n, k), (b, k, m)
    if kind == "broadcast":
        b = draw(dims)
        return (b, n, k), (k, m)
    if kind == "vec-mat":
        return (k,), (k, m)
    if kind == "mat-vec":
        return (n, k), (k,)
    return (k,), (k,)


def arr(shape, seed, low=None):
    x = np.random.default_rng(seed).standard_normal(shape)
    if low is not None:
        x = np.abs(x) + low
    return x


# ------------------------------------------------------- chainrule's side
def weights_for(f, arrays):
    """A fixed random R shaped like f's output: every check differentiates sum(f(inputs) · R)."""
    out = f(*[Tensor(a) for a in arrays]).data
    return np.random.default_rng(1).standard_normal(out.shape)


def engine_grads(f, arrays, R):
    """chainrule's output of f and its gradients of sum(f · R) for each input (float64 copies of ``arrays``)."""
    ts = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = f(*ts)
    (out * Tensor(R)).sum().backward()
    return out.data, [t.grad for t in ts]

"""Tensor operations written once, checked twice.

Each case pairs a chainrule expression with the same expression in PyTorch
(a function of the torch module, so this file never imports torch):
``test_tensor.py`` checks the chainrule side against finite differences
(``check_grads``), ``test_tensor_vs_torch.py`` against PyTorch's autograd
(skipped where torch is not installed); the convolution, pooling and
recurrent cases likewise in ``test_convolution*.py`` and ``test_recurrence*.py``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings, strategies as st

from chainrule.convolution import avg_pool1d, conv1d, max_pool1d, output_length
from chainrule.losses import cross_entropy, mse_loss
from chainrule.recurrence import gru, rnn
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


# ------------------------------------------- convolution, pooling, recurrence
# chainrule's sequences are (N, L, C), PyTorch's (N, C, L); a chainrule kernel is (K, C_in, C_out), torch's (C_out, C_in, K)
def to_torch_layout(x):
    return x.permute(0, 2, 1).contiguous()


@st.composite
def conv_configs(draw):
    """(input shape, kernel shape, stride, padding, dilation) with at least one window."""
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k, stride, padding, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    length = draw(st.integers(max(1, dilation * (k - 1) + 1 - 2 * padding), 12))
    assert output_length(length, k, stride, padding, dilation) >= 1
    return (n, length, c_in), (k, c_in, c_out), stride, padding, dilation


def conv_case(stride, padding, dilation, activation=None):
    """conv1d(x, W, b) in chainrule and in PyTorch (``torch.nn.functional.conv1d`` in its own layout)."""
    act = {None: lambda torch, z: z, "relu": lambda torch, z: torch.relu(z), "tanh": lambda torch, z: torch.tanh(z),
           "sigmoid": lambda torch, z: torch.sigmoid(z)}[activation]

    def torch_f(torch, x, W, b):
        z = torch.nn.functional.conv1d(to_torch_layout(x).contiguous(), W.permute(2, 1, 0).contiguous(), b, stride, padding,
                                       dilation)
        return act(torch, to_torch_layout(z))

    return (lambda x, W, b: conv1d(x, W, b, stride, padding, dilation, activation)), torch_f


@st.composite
def pool_configs(draw, dilated=True):
    """(input shape, kernel_size, stride or None, padding, dilation): padding at most half the kernel, as PyTorch allows."""
    k, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3)) if dilated else 1
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    reach = dilation * (k - 1) + 1
    padding = draw(st.integers(0, k // 2))
    # max pooling: at least the window's reach, so that no window lies entirely in the padding (its maximum would be −∞)
    length = draw(st.integers(reach if dilated else max(1, reach - 2 * padding), 12))
    return (draw(st.integers(1, 3)), length, draw(st.integers(1, 3))), k, stride, padding, dilation


def max_pool_case(k, stride, padding, dilation):
    return ((lambda x: max_pool1d(x, k, stride, padding, dilation)),
            (lambda torch, x: to_torch_layout(torch.nn.functional.max_pool1d(to_torch_layout(x), k, stride, padding, dilation))))


def avg_pool_case(k, stride, padding):
    return ((lambda x: avg_pool1d(x, k, stride, padding)),
            (lambda torch, x: to_torch_layout(torch.nn.functional.avg_pool1d(to_torch_layout(x), k, stride, padding))))


@st.composite
def recurrent_shapes(draw):
    """(N, T, F, H)."""
    return draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(1, 4))


def _torch_recurrent(torch, kind, x, W_ih, W_hh, b_ih, b_hh, h0):
    """A torch GRU (kind "gru") or RNN (kind: its nonlinearity) run on the given chainrule-layout weights (autograd reaches them)."""
    features, hidden = x.shape[2], W_hh.shape[0]
    module = (torch.nn.GRU(features, hidden, batch_first=True) if kind == "gru"
              else torch.nn.RNN(features, hidden, nonlinearity=kind, batch_first=True)).double()
    weights = {"weight_ih_l0": W_ih.T, "weight_hh_l0": W_hh.T, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    out, _ = torch.func.functional_call(module, weights, (x, h0[None]))
    return out


def rnn_case(activation):
    """rnn(x, W_ih, W_hh, b, h0) in chainrule and PyTorch (whose two biases are b and 0)."""
    return ((lambda x, W_ih, W_hh, b, h0: rnn(x, W_ih, W_hh, b, h0, activation)),
            (lambda torch, x, W_ih, W_hh, b, h0: _torch_recurrent(torch, activation, x, W_ih, W_hh, b, torch.zeros_like(b), h0)))


GRU_CASE = (gru, lambda torch, x, W_ih, W_hh, b_ih, b_hh, h0: _torch_recurrent(torch, "gru", x, W_ih, W_hh, b_ih, b_hh, h0))


def recurrent_arrays(n, t, f, h, gates, seed):
    """x, W_ih, W_hh, then the biases (two for a GRU, one for an RNN), then h0: modest weights, so tanh is not saturated."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, t, f)), rng.standard_normal((f, gates * h)) * 0.6,
              rng.standard_normal((h, gates * h)) * 0.6]
    arrays += [rng.standard_normal(gates * h) * 0.3 for _ in range(2 if gates == 3 else 1)]
    return arrays + [rng.standard_normal((n, h)) * 0.5]


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


# ------------------------------------------------- finite differences
def numeric_grads(f, arrays, R, eps=1e-6):
    """Central differences of sum(f(arrays) * R), for every entry of every input array."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        it = np.nditer(a, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            old = a[idx]
            a[idx] = old + eps
            up = np.sum(f(*[Tensor(x) for x in arrays]).data * R)
            a[idx] = old - eps
            down = np.sum(f(*[Tensor(x) for x in arrays]).data * R)
            a[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def check_grads(f, *arrays, rtol=1e-5, atol=1e-7):
    """The engine's gradients of sum(f * R) match central finite differences (float64)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    R = weights_for(f, arrays)
    expected = numeric_grads(f, arrays, R)
    _, grads = engine_grads(f, arrays, R)
    for g, e, a in zip(grads, expected, arrays):
        assert g is not None and g.shape == a.shape
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol * max(1.0, np.abs(e).max(initial=0.0)))

"""Convolution and pooling along a sequence: one small set of weights slid along the signal.

Layout. A batch of sequences is an array (N, L, C): N examples, L positions
along the signal, C channels at each position (a plain signal has C = 1).
The channels come last, as the features of a dense layer do (``x W``), and
as in Keras; PyTorch puts them before the length, (N, C, L), and
``interop.to_torch`` turns one layout into the other.

A 1-D convolution with K taps, stride s, padding p and dilation d computes,
for every example n, output position t and output channel o,

    z[n, t, o] = b[o] + Σ_k Σ_c x[n, t·s + k·d − p, c] · W[k, c, o]

(reading 0 where t·s + k·d − p falls outside the signal: the padding), with
W of shape (K, C_in, C_out) and L_out = ⌊(L + 2p − d·(K − 1) − 1)/s⌋ + 1
output positions. (Strictly this is a cross-correlation: the kernel is not
flipped. Every deep-learning library calls it a convolution.)

The same weight at every position. W[k, c, o] is used at every t, so its
gradient is the **sum over positions** of (upstream gradient · input): the
"paths add" of the chain rule, exactly as a weight shared by a batch of
examples adds the examples' gradients. Likewise an input position is read
by every window that covers it, and its gradient adds what each window sends
back: the input's gradient is a convolution of g with the flipped kernel.

How it is computed (im2col). Copy every window into a row of a matrix
``cols`` of shape (N·L_out, K·C_in) (``_im2col``: one strided copy per tap
k, the input shifted by k·d). Then the convolution is one matrix product,
the dense layer of ``tensor.linear`` applied to every window:

    z = cols · W₂ + b          with W₂ = W reshaped to (K·C_in, C_out)
    dC/dW₂ = colsᵀ · G         (the sum over positions, as one product)
    dC/db = Σ_rows G
    dC/dx  = G convolved with the flipped kernel (``_input_gradient``):
             the windows of G, one product, exactly like the forward

(Adding each window's row G·W₂ᵀ back onto the positions it was read from,
``_col2im``, gives the same numbers; pooling's backward does that.)

Pooling uses the same windows: max pooling keeps each window's largest
entry (and sends the gradient back to it alone), average pooling its mean
(and sends g/K to each of its K entries).
"""

from __future__ import annotations

import functools

import numpy as np

from .errors import InvalidValueError
from .tensor import (_ACCUMULATE, _ACTIVATION_RULES, _LAYER_OPS, Tensor, _activate_in_place, _into_buffer, _node,
                     _plus_bias, _shape_text)

__all__ = ["conv1d", "max_pool1d", "avg_pool1d", "output_length"]

# activation -> the name of the convolution's node ("conv1d", "conv1d+relu", ...), as a dense layer names its own
_CONV_OPS = {act: op.replace("linear", "conv1d", 1) for act, op in _LAYER_OPS.items()}


def _whole(op: str, name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InvalidValueError(f"{op}: {name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def output_length(length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """L_out = ⌊(L + 2p − d·(K − 1) − 1)/s⌋ + 1: how many windows fit along a signal of ``length`` (< 1: none)."""
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


@functools.lru_cache(maxsize=512)
def _taps(length: int, kernel_size: int, stride: int, padding: int, dilation: int) -> tuple[int, tuple]:
    """(L_out, one (k, t0, t1, i0) per tap k): outputs t0 ≤ t < t1 read input i0 + (t − t0)·s, which lies inside the signal.

    Output t reads input position t·s + k·d − p at tap k; the outputs whose
    position falls into the padding (before 0 or from ``length`` on) are
    left out of [t0, t1): they read a padded value.
    """
    L_out = output_length(length, kernel_size, stride, padding, dilation)
    taps = []
    for k in range(kernel_size):
        offset = k * dilation - padding  # the input position that output 0 reads at this tap
        t0 = max(0, -(offset // stride))  # the first t with t·s + offset >= 0
        t1 = min(L_out, (length - 1 - offset) // stride + 1)  # one past the last t with t·s + offset < length
        taps.append((k, t0, t1, t0 * stride + offset) if t1 > t0 else (k, 0, 0, 0))
    return L_out, tuple(taps)


def _im2col(X: np.ndarray, L_out: int, taps: tuple, stride: int, fill: float) -> np.ndarray:
    """Every window of X (N, L, C) as an array (N, L_out, K, C): [n, t, k] = X[n, t·s + k·d − p] (``fill`` in the padding)."""
    N, _, C = X.shape
    cols = np.empty((N, L_out, len(taps), C), X.dtype)
    for k, t0, t1, i0 in taps:
        if t1 > t0:
            cols[:, t0:t1, k] = X[:, i0:i0 + stride * (t1 - t0 - 1) + 1:stride]
        if t0 > 0:
            cols[:, :t0, k] = fill
        if t1 < L_out:
            cols[:, t1:, k] = fill
    return cols


def _windows(X: np.ndarray, L_out: int, taps: tuple, stride: int, fill: float) -> np.ndarray:
    """The windows of X as (N, L_out, K, C), like ``_im2col``; a view of X, without a copy, when they tile it exactly.

    They tile it when they sit side by side (stride = K, no dilation, no
    padding), the usual pooling: then they are X's rows regrouped. Only for
    reading (the view shares X's memory).
    """
    K = len(taps)
    N, L, C = X.shape
    if stride == K and all(t0 == 0 and t1 == L_out and i0 == k for k, t0, t1, i0 in taps) and X.flags.c_contiguous:
        return X[:, :L_out * K].reshape(N, L_out, K, C)
    return _im2col(X, L_out, taps, stride, fill)


def _col2im(G4: np.ndarray, length: int, taps: tuple, stride: int) -> np.ndarray:
    """The backward of ``_im2col``: each window entry's gradient G4[n, t, k] added onto the input position it was read from.

    A position read by several windows (overlapping windows) receives the sum of their gradients: the chain rule's
    paths add. Padded positions were no input: their gradients are dropped.
    """
    N, _, _, C = G4.shape
    dx = np.zeros((N, length, C), G4.dtype)
    for k, t0, t1, i0 in taps:
        if t1 > t0:
            part = dx[:, i0:i0 + stride * (t1 - t0 - 1) + 1:stride]
            np.add(part, G4[:, t0:t1, k], out=part)
    return dx


def _sequence_input(op: str, x) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.data.ndim != 3:
        raise InvalidValueError(f"{op}: the input must have 3 axes (batch, length, channels), got shape {_shape_text(x.shape)}; "
                                "a batch of plain signals (N, L) is x.reshape(N, L, 1)")
    return x


def _no_windows(op: str, length: int, kernel_size: int, padding: int, dilation: int) -> InvalidValueError:
    reach = dilation * (kernel_size - 1) + 1
    return InvalidValueError(f"{op}: an input of length {length} (padded to {length + 2 * padding}) is shorter than the "
                             f"kernel's reach {reach} (kernel_size {kernel_size}, dilation {dilation}): no window fits")


# ------------------------------------------------------------------ convolution
def conv1d(x, W: Tensor, b: Tensor | None = None, stride: int = 1, padding: int = 0, dilation: int = 1,
           activation: str | None = None) -> Tensor:
    """z[n, t, o] = b[o] + Σ_k Σ_c x[n, t·s + k·d − p, c] · W[k, c, o], as one node (see the module's docstring).

    ``x``: (N, L, C_in), ``W``: (K, C_in, C_out), ``b``: (C_out,) or None;
    the result has shape (N, L_out, C_out). With G = dC/dz and the windows
    ``cols`` (N·L_out, K·C_in):

        dC/dW = colsᵀ G (reshaped to W's shape),   dC/db = Σ_{n,t} G,
        dC/dx = the rows of G Wᵀ added back onto the positions each window read.

    ``activation`` ("relu", "tanh", "sigmoid"; None or "linear" for none)
    makes the node a whole convolutional layer, a = f(z), as in
    ``tensor.linear``: f is applied in place and backward first multiplies G
    by f′ read off a. When W (or b) has a ``grad_buffer`` and no gradient
    yet, its gradient is written straight into it.
    """
    x = _sequence_input("conv1d", x)
    X, Wd = x.data, W.data
    if Wd.ndim != 3:
        raise InvalidValueError(f"conv1d: the weight must have 3 axes (kernel_size, in_channels, out_channels), "
                                f"got shape {_shape_text(Wd.shape)}")
    K, C, C_out = Wd.shape
    if X.shape[2] != C:
        raise InvalidValueError(f"conv1d: the input has {X.shape[2]} channels (shape {_shape_text(X.shape)}) but the "
                                f"weight (shape {_shape_text(Wd.shape)}) reads {C}")
    if K < 1:
        raise InvalidValueError(f"conv1d: the weight has no taps (shape {_shape_text(Wd.shape)}); kernel_size must be >= 1")
    s, p, d = _whole("conv1d", "stride", stride, 1), _whole("conv1d", "padding", padding, 0), _whole("conv1d", "dilation", dilation, 1)
    op = _CONV_OPS.get(activation) if activation is None or type(activation) is str else None
    if op is None:
        raise InvalidValueError(f"conv1d: activation must be one of relu, tanh, sigmoid, linear or None, got {activation!r}")
    N, L, _ = X.shape
    L_out, taps = _taps(L, K, s, p, d)
    if L_out < 1:
        raise _no_windows("conv1d", L, K, p, d)
    cols = _im2col(X, L_out, taps, s, 0.0)
    parents = (x, W) if b is None else (x, W, b)
    act = None if op == "conv1d" else activation
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # (a non-finite result is detect_anomaly's to name)
        out = cols.reshape(N * L_out, K * C) @ Wd.reshape(K * C, C_out)
        if b is not None:
            out = _plus_bias("conv1d", out, b, C_out)
        if act is not None:
            _activate_in_place(out, act)
    return _node(out.reshape(N, L_out, C_out), op, parents, _conv1d_backward, (cols, s, p, d, act))


def _as_matrix(a: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """A view of the contiguous array ``a`` as (rows, columns); never a copy (writing into it writes into ``a``)."""
    view = a.view()
    view.shape = (rows, columns)
    return view


def _input_gradient(G: np.ndarray, W: np.ndarray, length: int, stride: int, padding: int, dilation: int) -> np.ndarray:
    """dC/dx for z = conv1d(x, W): a convolution of G with the flipped kernel, computed like the forward (im2col, one product).

    dC/dx[i] = Σ over the (t, k) with t·s + k·d − p = i of G[t] W[k]ᵀ. Spread G
    out to the input's spacing (G[t] at position t·s, zeros between, for a
    stride s > 1); then position i collects G at i + p − k·d for every tap k,
    which, with k' = K − 1 − k, is a stride-1 convolution of the spread G with
    the kernel W[K − 1 − k']ᵀ (taps reversed, in and out channels swapped),
    dilation d and padding d·(K − 1) − p. The spread G gets as many zeros at
    its end as the forward's windows left input positions unread, so the
    result has exactly ``length`` positions. (One matrix product instead of
    adding every window's row back position by position.)
    """
    N, L_out, C_out = G.shape
    K, C, _ = W.shape
    reach = dilation * (K - 1)
    unread = (length + 2 * padding - reach - 1) % stride  # positions past the last window's first tap
    if stride > 1 or unread:
        spread = np.zeros((N, (L_out - 1) * stride + 1 + unread, C_out), G.dtype)
        spread[:, :(L_out - 1) * stride + 1:stride] = G
        G = spread
    L_t, taps = _taps(G.shape[1], K, 1, reach - padding, dilation)
    flipped = np.ascontiguousarray(W[::-1].transpose(0, 2, 1)).reshape(K * C_out, C)
    cols = _im2col(G, L_t, taps, 1, 0.0)
    dx = np.empty((N, L_t, C), np.result_type(cols, flipped))  # an array of its own (not a reshaped view): a leaf keeps it
    np.matmul(cols.reshape(N * L_t, K * C_out), flipped, out=_as_matrix(dx, N * L_t, C))
    return dx


def _conv1d_backward(node, g):
    cols, stride, padding, dilation, act = node._ctx
    if act is not None:  # through f first: G·f′(z), with f′ read off a = f(z) by f's own rule
        (g,) = _ACTIVATION_RULES[act](node, g)
    parents = node._parents
    x, W = parents[0], parents[1]
    N, L_out, K, C = cols.shape
    C_out = W.data.shape[2]
    g2 = g.reshape(N * L_out, C_out)
    cols2 = cols.reshape(N * L_out, K * C)
    gx = gW = None
    if x.requires_grad:
        gx = _input_gradient(g.reshape(N, L_out, C_out), W.data, x.data.shape[1], stride, padding, dilation)
    if W.requires_grad:
        with _ACCUMULATE:  # W's first gradient, delivered straight into its buffer (as in tensor.linear)
            out = _into_buffer(W, x, W.data.shape, g2.dtype if cols2.dtype == g2.dtype else None)
            if out is not None:
                np.matmul(cols2.T, g2, out=_as_matrix(out, K * C, C_out))
                gW = W.grad = out
        if gW is None:
            gW = (cols2.T @ g2).reshape(W.data.shape)
    if len(parents) == 3:
        b = parents[2]
        gb = None
        if b.requires_grad:  # Σ over every example and position: a product with a row of ones (np.add.reduce
            ones = np.ones(len(g2), g2.dtype)  # along the long axis 0 is 5× slower)
            with _ACCUMULATE:
                out = _into_buffer(b, x, b.data.shape, g2.dtype)
                if out is not None:
                    gb = b.grad = np.matmul(ones, g2, out=out)
            if gb is None:
                gb = ones @ g2
        return gx, gW, gb
    return gx, gW


# ---------------------------------------------------------------------- pooling
def _pool_arguments(op: str, x: Tensor, kernel_size, stride, padding, dilation=1) -> tuple:
    K = _whole(op, "kernel_size", kernel_size, 1)
    s = K if stride is None else _whole(op, "stride", stride, 1)
    p, d = _whole(op, "padding", padding, 0), _whole(op, "dilation", dilation, 1)
    if 2 * p > K:  # as in PyTorch: otherwise a window could lie entirely in the padding
        raise InvalidValueError(f"{op}: padding {p} is more than half the kernel_size {K}; allowed: 0 to {K // 2}")
    L = x.data.shape[1]
    L_out, taps = _taps(L, K, s, p, d)
    if L_out < 1:
        raise _no_windows(op, L, K, p, d)
    return K, s, L_out, taps


def max_pool1d(x, kernel_size: int, stride: int | None = None, padding: int = 0, dilation: int = 1) -> Tensor:
    """m[n, t, c] = max_k x[n, t·s + k·d − p, c]: the largest entry of each window, channel by channel.

    ``x``: (N, L, C); ``stride`` defaults to ``kernel_size`` (windows side
    by side); padded positions hold −∞, so they are never the maximum, and
    a NaN in a window makes its maximum NaN. The maximum is one of the
    window's entries, so ∂m/∂x is 1 for that entry and 0 for the others:
    dC/dx = g at the position of each window's maximum, 0 elsewhere (a
    position that is the maximum of several overlapping windows receives the
    sum). Of tied entries the first one takes the gradient, as in PyTorch.
    """
    x = _sequence_input("max_pool1d", x)
    K, s, L_out, taps = _pool_arguments("max_pool1d", x, kernel_size, stride, padding, dilation)
    cols = _windows(x.data, L_out, taps, s, -np.inf)
    out = cols[:, :, 0].copy()
    for k in range(1, K):  # tap by tap (K is small): elementwise maxima are fast, a reduction over a middle axis is not
        np.maximum(out, cols[:, :, k], out=out)
    return _node(out, "max_pool1d", (x,), _max_pool1d_backward, (cols, taps, s))


def _max_pool1d_backward(node, g):
    cols, taps, stride = node._ctx
    out = node.data
    N, L, C = node._parents[0].data.shape
    dx = np.zeros((N, L, C), g.dtype)
    taken = None  # the windows whose maximum an earlier tap held already
    for k, t0, t1, i0 in taps:  # each tap sends g back where it holds the maximum (the first such tap only)
        hit = np.equal(cols[:, :, k], out)
        if taken is None:
            taken = hit
        else:
            hit &= ~taken
            taken |= hit
        if t1 > t0:
            part = dx[:, i0:i0 + stride * (t1 - t0 - 1) + 1:stride]
            np.add(part, np.multiply(g[:, t0:t1], hit[:, t0:t1]), out=part)
    return (dx,)


def avg_pool1d(x, kernel_size: int, stride: int | None = None, padding: int = 0) -> Tensor:
    """m[n, t, c] = (1/K) Σ_k x[n, t·s + k − p, c]: the mean of each window, channel by channel.

    ``stride`` defaults to ``kernel_size``; padded positions count as 0
    and are included in the K (as PyTorch's default ``count_include_pad``).
    ∂m/∂x = 1/K for each of the window's entries: dC/dx = g/K sent to each
    of them (added up where windows overlap).
    """
    x = _sequence_input("avg_pool1d", x)
    K, s, L_out, taps = _pool_arguments("avg_pool1d", x, kernel_size, stride, padding)
    cols = _windows(x.data, L_out, taps, s, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.add.reduce(cols, 2)
        out *= 1.0 / K
    return _node(out, "avg_pool1d", (x,), _avg_pool1d_backward, (taps, s, K))


def _avg_pool1d_backward(node, g):
    taps, stride, K = node._ctx
    N, L_out, C = g.shape
    share = np.broadcast_to((g * (1.0 / K))[:, :, None, :], (N, L_out, K, C))
    return (_col2im(share, node._parents[0].data.shape[1], taps, stride),)

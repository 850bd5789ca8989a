"""Recurrent layers: one cell applied at every step of a sequence, its state carried from step to step.

Layout. A batch of sequences is an array (N, T, F): N examples, T steps,
F features per step (batch first, as ``convolution``'s (N, L, C)). The
result holds the state after every step, (N, T, H).

A plain recurrent network (Elman) with H units:

    hₜ = f(xₜ W_ih + hₜ₋₁ W_hh + b)        (f = tanh, or relu; h₋₁ = h0, zeros by default)

A GRU (Cho et al. 2014, in PyTorch's form) adds two gates that decide how
much of the state to keep, which is what lets gradients survive long
sequences:

    r = σ(xₜ W_ir + b_ir + hₜ₋₁ W_hr + b_hr)          the reset gate
    z = σ(xₜ W_iz + b_iz + hₜ₋₁ W_hz + b_hz)          the update gate
    n = tanh(xₜ W_in + b_in + r ⊙ (hₜ₋₁ W_hn + b_hn))  the candidate state
    hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁

with the three input weights side by side in W_ih (F, 3H), in the order
r, z, n, the three hidden ones in W_hh (H, 3H), and the biases b_ih, b_hh
(3H,) likewise.

Backpropagation through time. Unrolled over the T steps the network is a
deep graph whose every layer uses the same W_hh. The backward rule walks
the steps from the last to the first: the gradient reaching hₜ is what the
output sends to step t plus what step t + 1 sends back through W_hh, and
each step's share of dC/dW_hh is hₜ₋₁ᵀ · (the gradient of that step's
weighted input). The shared weight's gradient is the **sum over the time
steps**, one path per step: the same "paths add" as a convolution's kernel
or a batch's weights. On its way back from step t to step t − k the
gradient is multiplied by k factors W_hh·f′: it shrinks geometrically
when they are small (vanishing gradients) and grows when they are large
(exploding: ``optim.clip_grad_norm`` is the usual fix).

How it is computed. One node for the whole sequence: the input products
xₜ W_ih of every step are one matrix product before the loop (and their
gradients one product after it), so only hₜ₋₁ W_hh and the elementwise
gate arithmetic run step by step, in time-major arrays (T, N, ·) whose
step t is one contiguous block.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidValueError
from .tensor import Tensor, _node, _pass_where_on, _shape_text, _sigmoid_in_place, is_grad_enabled

__all__ = ["rnn", "gru", "RNN_ACTIVATIONS"]

RNN_ACTIVATIONS = ("tanh", "relu")


def _operands(op: str, x, W_ih: Tensor, W_hh: Tensor, biases: tuple, h0, gates: int) -> tuple:
    """The checked operands: (x, parents, which biases are there, whether h0 is, N, T, F, H)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    X = x.data
    if X.ndim != 3:
        raise InvalidValueError(f"{op}: the input must have 3 axes (batch, steps, features), got shape {_shape_text(X.shape)}; "
                                "a batch of plain signals (N, T) is x.reshape(N, T, 1)")
    N, T, F = X.shape
    if T < 1:
        raise InvalidValueError(f"{op}: the sequences have no steps (shape {_shape_text(X.shape)}); at least one is needed")
    Wi, Wh = W_ih.data, W_hh.data
    if Wh.ndim != 2 or Wh.shape[1] != gates * Wh.shape[0] or Wh.shape[0] < 1:
        want = "(H, H)" if gates == 1 else f"(H, {gates}·H)"
        raise InvalidValueError(f"{op}: the hidden-to-hidden weight must have shape {want} for H >= 1 units, got "
                                f"{_shape_text(Wh.shape)}")
    H = Wh.shape[0]
    if Wi.shape != (F, gates * H):
        raise InvalidValueError(f"{op}: the input-to-hidden weight must have shape ({F}, {gates * H}) for inputs of {F} "
                                f"features and {H} units, got {_shape_text(Wi.shape)}")
    parents = [x, W_ih, W_hh]
    present = []
    for b in biases:
        if b is not None:
            if b.data.shape != (gates * H,):
                raise InvalidValueError(f"{op}: a bias must have shape ({gates * H},), got {_shape_text(b.data.shape)}")
            parents.append(b)
        present.append(b is not None)
    if h0 is not None:
        h0 = h0 if isinstance(h0, Tensor) else Tensor(h0)
        if h0.data.shape != (N, H):
            raise InvalidValueError(f"{op}: the initial state must have shape ({N}, {H}), got {_shape_text(h0.data.shape)}")
        parents.append(h0)
    return x, tuple(parents), tuple(present), h0 is not None, N, T, F, H


def _input_products(X: np.ndarray, W_ih: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(the input time-major as (T·N, F), xₜ W_ih + b for every step as (T, N, G)): one matrix product for all steps."""
    N, T, F = X.shape
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2)).reshape(T * N, F)
    # one feature per step (a plain signal): the product is an outer product, and a broadcast multiply computes it
    # several times faster than a matrix product whose inner dimension is 1
    XI = Xt * W_ih if F == 1 else Xt @ W_ih
    if b is not None:
        XI += b
    return Xt, XI.reshape(T, N, W_ih.shape[1])  # (the width named: −1 cannot be worked out for an empty batch)


def _start(h0: Tensor | None, N: int, H: int, dtype) -> np.ndarray:
    return np.zeros((N, H), dtype) if h0 is None else h0.data


def _parameter_gradients(node, Xt: np.ndarray, Hprev: np.ndarray, DI: np.ndarray, DH: np.ndarray, dh: np.ndarray) -> tuple:
    """The gradients of (x, W_ih, W_hh, biases…, h0) once the steps have been walked back.

    ``DI``/``DH`` (T·N, G·H): each step's gradient of its input-side and
    hidden-side weighted inputs; ``Hprev`` (T·N, H) the state each step read,
    ``dh`` the gradient that reached h0. Every weight's gradient sums its
    steps' shares in one product.
    """
    x, W_ih, W_hh = node._parents[:3]
    present, has_h0 = node._ctx[-2:]
    N, T, F = x.data.shape
    gx = (DI @ W_ih.data.T).reshape(T, N, F).transpose(1, 0, 2) if x.requires_grad else None
    out = [gx, Xt.T @ DI if W_ih.requires_grad else None, Hprev.T @ DH if W_hh.requires_grad else None]
    parents = node._parents[3:]
    k = 0
    for is_there, D in zip(present, (DI, DH)):
        if is_there:
            out.append(np.add.reduce(D, 0) if parents[k].requires_grad else None)
            k += 1
    if has_h0:
        out.append(dh)
    return tuple(out)


def _previous_states(Hs: np.ndarray, h_start: np.ndarray) -> np.ndarray:
    """[h₋₁, h₀, …, h_{T−2}] as (T·N, H): the state each step read."""
    T, N, H = Hs.shape
    Hprev = np.empty_like(Hs)
    Hprev[0] = h_start
    Hprev[1:] = Hs[:-1]
    return Hprev.reshape(T * N, H)


# ----------------------------------------------------------------------- Elman
def rnn(x, W_ih: Tensor, W_hh: Tensor, b: Tensor | None = None, h0=None, activation: str = "tanh") -> Tensor:
    """hₜ = f(xₜ W_ih + hₜ₋₁ W_hh + b) for t = 0 … T − 1: every state, shape (N, T, H).

    ``x``: (N, T, F), ``W_ih``: (F, H), ``W_hh``: (H, H), ``b``: (H,) or
    None, ``h0``: (N, H) or None (zeros). ``activation``: "tanh" or "relu".
    Backward, from the last step to the first, with aₜ the weighted input
    of step t and Gₜ = dC/dhₜ from the output:

        dC/dhₜ = Gₜ + dC/daₜ₊₁ · W_hhᵀ,      dC/daₜ = dC/dhₜ · f′(aₜ)
        dC/dW_hh = Σₜ hₜ₋₁ᵀ dC/daₜ,   dC/dW_ih = Σₜ xₜᵀ dC/daₜ,   dC/db = Σₜ Σₙ dC/daₜ
        dC/dxₜ = dC/daₜ W_ihᵀ,        dC/dh0 = dC/da₀ W_hhᵀ

    (f′ read off hₜ: 1 − hₜ² for tanh, [hₜ > 0] for relu).
    """
    if activation not in RNN_ACTIVATIONS:
        raise InvalidValueError(f"rnn: activation must be one of {', '.join(RNN_ACTIVATIONS)}, got {activation!r}")
    x, parents, present, has_h0, N, T, F, H = _operands("rnn", x, W_ih, W_hh, (b,), h0, 1)
    Xt, A = _input_products(x.data, W_ih.data, b.data if b is not None else None)
    Wh = W_hh.data
    Hs = np.empty((T, N, H), np.result_type(A, Wh))
    h = _start(parents[-1] if has_h0 else None, N, H, Hs.dtype)
    h_start = h
    for t in range(T):
        ht = Hs[t]
        np.matmul(h, Wh, out=ht)
        ht += A[t]
        if activation == "tanh":
            np.tanh(ht, out=ht)
        else:
            np.maximum(ht, 0, out=ht)
        h = ht
    return _node(Hs.transpose(1, 0, 2), f"rnn+{activation}", parents, _rnn_backward,
                 (Xt, Hs, h_start, activation, present, has_h0))


def _rnn_backward(node, g):
    Xt, Hs, h_start, activation, _, _ = node._ctx
    Wh_T = node._parents[2].data.T
    T, N, H = Hs.shape
    G = g.transpose(1, 0, 2)  # (T, N, H): step t's gradient from the output
    DA = np.empty(Hs.shape, np.result_type(Hs, g))
    dh = np.zeros((N, H), DA.dtype)
    for t in range(T - 1, -1, -1):
        da = DA[t]
        np.add(dh, G[t], out=da)  # dC/dhₜ: from the output, and from step t + 1 through W_hh
        ht = Hs[t]
        if activation == "tanh":
            da *= 1.0 - ht * ht
        else:
            _pass_where_on(da, ht, out=da)  # relu's mask: an off unit passes on exactly 0, as tensor.relu does
        dh = da @ Wh_T
    DA2 = DA.reshape(T * N, H)
    return _parameter_gradients(node, Xt, _previous_states(Hs, h_start), DA2, DA2, dh)


# ------------------------------------------------------------------------- GRU
def gru(x, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None, h0=None) -> Tensor:
    """A GRU over the sequence (the module's docstring has its equations): every state, shape (N, T, H).

    ``x``: (N, T, F), ``W_ih``: (F, 3H), ``W_hh``: (H, 3H), ``b_ih``,
    ``b_hh``: (3H,) or None, ``h0``: (N, H) or None (zeros); the column
    blocks are the gates r, z, n. Backward, step by step from the last, with
    δ = dC/dhₜ (from the output plus from step t + 1) and aᵣ, a_z, a_n the
    gates' weighted inputs, hn = hₜ₋₁ W_hn + b_hn:

        dC/dn = δ ⊙ (1 − z),    dC/dz = δ ⊙ (hₜ₋₁ − n),    dC/dhₜ₋₁ ∋ δ ⊙ z
        dC/da_n = dC/dn ⊙ (1 − n²),     dC/dr = dC/da_n ⊙ hn
        dC/daᵣ = dC/dr ⊙ r(1 − r),       dC/da_z = dC/dz ⊙ z(1 − z)
        input side:  [dC/daᵣ, dC/da_z, dC/da_n]          → W_ih, b_ih, xₜ
        hidden side: [dC/daᵣ, dC/da_z, dC/da_n ⊙ r]      → W_hh, b_hh, and hₜ₋₁ through W_hhᵀ

    and each weight's gradient is the sum of its steps' shares.
    """
    x, parents, present, has_h0, N, T, F, H = _operands("gru", x, W_ih, W_hh, (b_ih, b_hh), h0, 3)
    Xt, XI = _input_products(x.data, W_ih.data, b_ih.data if b_ih is not None else None)
    Wh, bh = W_hh.data, b_hh.data if b_hh is not None else None
    dtype = np.result_type(XI, Wh)
    # what backward reads, for every step; without a graph to record (evaluation) one step's worth is reused
    kept = T if is_grad_enabled() and any(p.requires_grad for p in parents) else 1
    Hs = np.empty((T, N, H), dtype)
    RZ = np.empty((kept, N, 2 * H), dtype)   # the gates r (first H) and z (last H) of every step
    Nn = np.empty((kept, N, H), dtype)       # the candidate states n
    HN = np.empty((kept, N, H), dtype)       # hₜ₋₁ W_hn + b_hn, which r multiplies
    hh = np.empty((N, 3 * H), dtype)
    h = _start(parents[-1] if has_h0 else None, N, H, dtype)
    h_start = h
    for t in range(T):
        np.matmul(h, Wh, out=hh)
        if bh is not None:
            hh += bh
        xi = XI[t]
        s = t if kept > 1 else 0
        rz, n, ht = RZ[s], Nn[s], Hs[t]
        np.add(xi[:, :2 * H], hh[:, :2 * H], out=rz)
        _sigmoid_in_place(rz)
        HN[s] = hh[:, 2 * H:]
        np.multiply(rz[:, :H], hh[:, 2 * H:], out=n)
        n += xi[:, 2 * H:]
        np.tanh(n, out=n)
        np.subtract(h, n, out=ht)       # hₜ = n + z ⊙ (hₜ₋₁ − n) = (1 − z) ⊙ n + z ⊙ hₜ₋₁
        ht *= rz[:, H:]
        ht += n
        h = ht
    return _node(Hs.transpose(1, 0, 2), "gru", parents, _gru_backward, (Xt, Hs, h_start, RZ, Nn, HN, present, has_h0))


def _gru_backward(node, g):
    Xt, Hs, h_start, RZ, Nn, HN, _, _ = node._ctx
    Wh_T = node._parents[2].data.T
    T, N, H = Hs.shape
    G = g.transpose(1, 0, 2)
    dtype = np.result_type(Hs, g)
    Hprev = _previous_states(Hs, h_start).reshape(T, N, H)
    R, Z = RZ[:, :, :H], RZ[:, :, H:]
    # the local derivatives, for every step at once (they depend on the forward pass only):
    # dhₜ/da_n = (1 − z)(1 − n²),  dhₜ/da_z = (hₜ₋₁ − n) z(1 − z),  da_n/daᵣ = hn r(1 − r)
    to_n = (1.0 - Z) * (1.0 - Nn * Nn)
    to_z = (Hprev - Nn) * Z * (1.0 - Z)
    to_r = HN * R * (1.0 - R)
    DI = np.empty((T, N, 3 * H), dtype)   # dC/d(input-side weighted inputs) of every step
    DH = np.empty((T, N, 3 * H), dtype)   # dC/d(hidden-side weighted inputs)
    dh = np.zeros((N, H), dtype)
    for t in range(T - 1, -1, -1):
        delta = dh + G[t]                 # dC/dhₜ: from the output, and from step t + 1
        di, dhh = DI[t], DH[t]
        np.multiply(delta, to_n[t], out=di[:, 2 * H:])         # dC/da_n
        np.multiply(delta, to_z[t], out=di[:, H:2 * H])        # dC/da_z
        np.multiply(di[:, 2 * H:], to_r[t], out=di[:, :H])     # dC/daᵣ
        dhh[:, :2 * H] = di[:, :2 * H]
        np.multiply(di[:, 2 * H:], R[t], out=dhh[:, 2 * H:])   # hn enters a_n through r ⊙ hn
        dh = delta * Z[t]                 # the path that skips the cell: hₜ = … + z ⊙ hₜ₋₁
        dh += dhh @ Wh_T
    return _parameter_gradients(node, Xt, Hprev.reshape(T * N, H), DI.reshape(T * N, 3 * H),
                                DH.reshape(T * N, 3 * H), dh)

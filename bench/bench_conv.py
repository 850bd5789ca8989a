"""Benchmark of chainrule's convolutions: one MNIST-1D CNN training epoch against PyTorch (CPU) and hand-written numpy.

Run: ``.venv/bin/python bench/bench_conv.py``; prints one Markdown section.

1. One training epoch of the default MNIST-1D CNN (``models.cnn``: three
   Conv1d layers of 32 channels, each with ReLU and MaxPool1d(2), then a
   Linear layer; batch 100, float32, Adam; 4,000 examples, 40 steps), on
   chainrule, on PyTorch with the same architecture and the same initial
   weights (``interop.to_torch``), and on a hand-written numpy im2col
   implementation of the same network. Targets: chainrule no slower than
   PyTorch (PyTorch / chainrule ≥ 1.0) and at most 1.2× the hand-written
   numpy.
2. ``conv1d`` forward+backward time / forward time, on the shapes of the
   network's second convolution (batch 100, 20 positions, 32 → 32
   channels, 3 taps, padding 1); target ≤ 3×.

Contenders are interleaved, every order in turn (``bench_tensor.interleaved``),
and medians reported with the spread of the per-round ratios, so a slow spell
of a shared machine hits them all alike.
"""

from __future__ import annotations

import os
import platform
import sys

import numpy as np

from bench_tensor import REPEATS, blas_info, interleaved, round_ratios  # sets OMP_WAIT_POLICY before torch loads

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from chainrule import data, models  # noqa: E402
from chainrule.convolution import conv1d  # noqa: E402
from chainrule.losses import cross_entropy  # noqa: E402
from chainrule.optim import Adam  # noqa: E402
from chainrule.tensor import Tensor  # noqa: E402

LR, BATCH = 3e-3, 100
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


def default_cnn():
    return models.cnn((40, 1), 10, (32, 32, 32), "relu", seed=0, dtype=np.float32)


def order(epoch: int, n: int) -> np.ndarray:
    """The same batch order for every contender: epoch e's permutation."""
    return np.random.default_rng([0, epoch]).permutation(n)


# ------------------------------------------------------------ contenders
def chainrule_epoch(X, y):
    model = default_cnn()
    opt = Adam(model.parameters(), lr=LR)
    state = {"epoch": 0}

    def epoch():
        perm = order(state["epoch"], len(X))
        state["epoch"] += 1
        Xs, ys = X[perm], y[perm]
        for i in range(0, len(X), BATCH):
            loss = cross_entropy(model(Tensor(Xs[i:i + BATCH])), ys[i:i + BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def torch_epoch(X, y):
    import torch

    from chainrule.interop import to_torch

    model = to_torch(default_cnn())
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(BETA1, BETA2), eps=EPS)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    f = torch.nn.functional.cross_entropy
    state = {"epoch": 0}

    def epoch():
        perm = torch.from_numpy(order(state["epoch"], len(X)))
        state["epoch"] += 1
        Xs, ys = Xt[perm], yt[perm]
        for i in range(0, len(X), BATCH):
            loss = f(model(Xs[i:i + BATCH]), ys[i:i + BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch, torch


def numpy_epoch(X, y):
    """The same network, forward, backward and Adam written out by hand in numpy (im2col convolutions)."""
    model = default_cnn()
    convs = [(m.weight.data.copy(), m.bias.data.copy(), m.kernel_size, m.padding)
             for m in model.layers if type(m).__name__ == "Conv1d"]
    linear = model.layers[-1]
    params = [p for W, b, _, _ in convs for p in (W, b)] + [linear.weight.data.copy(), linear.bias.data.copy()]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    state = {"epoch": 0, "t": 0}

    def step(xb, yb):
        N = len(xb)
        a = xb.reshape(N, 40, 1)
        caches = []
        for k in range(len(convs)):
            W, b, K, p = params[2 * k], params[2 * k + 1], convs[k][2], convs[k][3]
            _, L, C = a.shape
            ap = np.zeros((N, L + 2 * p, C), a.dtype)
            ap[:, p:p + L] = a
            cols = np.lib.stride_tricks.sliding_window_view(ap, K, axis=1)      # (N, L, C, K)
            cols = cols.transpose(0, 1, 3, 2).reshape(N * L, K * C)             # im2col: one copy
            z = cols @ W.reshape(K * C, -1)
            z += b
            np.maximum(z, 0, out=z)
            z = z.reshape(N, L, -1)
            first = z[:, 0::2] >= z[:, 1::2]                                     # max-pool 2: which one wins
            pooled = np.maximum(z[:, 0::2], z[:, 1::2])
            caches.append((cols, z, first, ap.shape))
            a = pooled
        flat = a.reshape(N, -1)
        Wl, bl = params[-2], params[-1]
        logits = flat @ Wl + bl
        p_ = np.exp(logits - logits.max(axis=1, keepdims=True))
        p_ /= p_.sum(axis=1, keepdims=True)
        p_[np.arange(N), yb] -= 1.0
        d = p_ / N
        grads = [None] * len(params)
        grads[-2], grads[-1] = flat.T @ d, d.sum(axis=0)
        da = (d @ Wl.T).reshape(a.shape)
        for k in range(len(convs) - 1, -1, -1):
            W, K, p = params[2 * k], convs[k][2], convs[k][3]
            cols, z, first, padded_shape = caches[k]
            N_, L, Co = z.shape
            dz = np.zeros_like(z)
            dz[:, 0::2] = da * first
            dz[:, 1::2] = da * ~first
            dz *= z > 0
            dz2 = dz.reshape(N * L, Co)
            grads[2 * k], grads[2 * k + 1] = (cols.T @ dz2).reshape(W.shape), dz2.sum(axis=0)
            if k:
                dcols = (dz2 @ W.reshape(-1, Co).T).reshape(N, L, K, -1)
                dap = np.zeros(padded_shape, z.dtype)
                for j in range(K):
                    dap[:, j:j + L] += dcols[:, :, j]
                da = dap[:, p:p + L]
        state["t"] += 1
        t = state["t"]
        step_size = LR / (1 - BETA1 ** t)
        bc2 = np.sqrt(1 - BETA2 ** t)
        for w, g, m, v in zip(params, grads, ms, vs):
            m *= BETA1
            m += (1 - BETA1) * g
            v *= BETA2
            v += (1 - BETA2) * g * g
            w -= step_size * m / (np.sqrt(v) / bc2 + EPS)

    def epoch():
        perm = order(state["epoch"], len(X))
        state["epoch"] += 1
        Xs, ys = X[perm], y[perm]
        for i in range(0, len(X), BATCH):
            step(Xs[i:i + BATCH], ys[i:i + BATCH])

    return epoch


def conv_forward_backward():
    """(forward, forward+backward) of one conv1d on the second layer's shapes."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((BATCH, 20, 32)).astype(np.float32), requires_grad=True)
    W = Tensor((rng.standard_normal((3, 32, 32)) * 0.1).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(32, np.float32), requires_grad=True)
    G = rng.standard_normal((BATCH, 20, 32)).astype(np.float32)

    def forward():
        return conv1d(x, W, b, padding=1)

    def forward_backward():
        for t in (x, W, b):
            t.grad = None
        conv1d(x, W, b, padding=1).backward(G)

    return forward, forward_backward


def measure(threads: int | None, X, y):
    """Both measurements with the libraries' own thread counts (None) or everything on one thread."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    cr = chainrule_epoch(X, y)
    npy = numpy_epoch(X, y)
    th, torch = torch_epoch(X, y)
    default_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads) if threads is not None else nullcontext():
            t1, rounds1 = interleaved({"chainrule": cr, "numpy": npy, "torch": th}, REPEATS)
            fwd, fb = conv_forward_backward()
            t2, rounds2 = interleaved({"forward": fwd, "fwd+bwd": fb}, REPEATS * 4)
    finally:
        torch.set_num_threads(default_threads)
    return t1, rounds1, t2, rounds2, torch


def ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def report(title: str, t1, rounds1, t2, rounds2, targets: bool) -> None:
    r_torch = t1["torch"] / t1["chainrule"]
    r_numpy = t1["chainrule"] / t1["numpy"]
    r_fb = t2["fwd+bwd"] / t2["forward"]
    print(f"### {title}")
    print()
    print("| contender | ms per epoch | relative to chainrule |")
    print("|---|---:|---:|")
    for k, label in (("chainrule", "chainrule"), ("torch", "PyTorch (same architecture and weights, to_torch)"),
                     ("numpy", "hand-written numpy (im2col)")):
        print(f"| {label} | {1e3 * t1[k]:.1f} | {t1[k] / t1['chainrule']:.2f}× |")
    print()
    verdict = (lambda flag: f": {ok(flag)}") if targets else (lambda flag: "")
    print(f"- PyTorch / chainrule = {r_torch:.2f}×{' (target ≥ 1.0×, chainrule no slower)' if targets else ''}"
          f"{verdict(r_torch >= 1.0)}; spread: {round_ratios(rounds1, 'torch', 'chainrule')}")
    print(f"- chainrule / hand-written numpy = {r_numpy:.2f}×{' (target ≤ 1.2×)' if targets else ''}"
          f"{verdict(r_numpy <= 1.2)}; spread: {round_ratios(rounds1, 'chainrule', 'numpy')}")
    print(f"- conv1d forward+backward / forward (batch 100, 20 positions, 32 → 32 channels, 3 taps, padding 1): "
          f"{1e3 * t2['forward']:.3f} ms and {1e3 * t2['fwd+bwd']:.3f} ms, {r_fb:.2f}×"
          f"{' (target ≤ 3×)' if targets else ''}{verdict(r_fb <= 3)}; spread: {round_ratios(rounds2, 'fwd+bwd', 'forward')}")
    print()


def main() -> None:
    ds = data.load("mnist1d", seed=0)
    X, y = ds.X_train, ds.y_train
    t1, rounds1, t2, rounds2, torch = measure(None, X, y)
    s1, srounds1, s2, srounds2, _ = measure(1, X, y)

    env = ", ".join(f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith(("OPENBLAS_", "OMP_", "MKL_")))
    print("## Convolutions: an MNIST-1D CNN epoch on chainrule vs PyTorch (CPU) vs hand-written numpy")
    print()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs; Python {platform.python_version()}; numpy {np.__version__} "
          f"(BLAS: {blas_info()}); PyTorch {torch.__version__} ({torch.get_num_threads()} threads). "
          f"Environment: {env or 'no BLAS variables set'}. Medians of {REPEATS} interleaved epochs and "
          f"{4 * REPEATS} interleaved conv1d calls, float32. The network (``models.cnn``): Conv1d 1→32 (5 taps), "
          "32→32 (3 taps), 32→32 (3 taps), each with ReLU and MaxPool1d(2), then Linear 160→10; one epoch is "
          "4,000 examples in batches of 100 with Adam (40 steps), the same batches for every contender.")
    print()
    report("1. with each library's own threads (the targets)", t1, rounds1, t2, rounds2, targets=True)
    report("2. everything on one thread (numpy's BLAS through threadpoolctl, torch.set_num_threads(1))",
           s1, srounds1, s2, srounds2, targets=False)
    print("Every matrix product here is small (at most 2,000 × 96 by 96 × 32). PyTorch runs such small work on one "
          "thread; OpenBLAS splits it between its threads, which helps little on idle cores and costs a lot when "
          "the cores are busy with other work (table 2 removes that effect from both numpy contenders).")
    print()


if __name__ == "__main__":
    main()

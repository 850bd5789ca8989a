"""The scalar engine against micrograd and PyTorch, side by side in one run.

Two comparisons, each run interleaved (every engine once per round, several
rounds) so that a burst of noise on this shared machine hits all of them
alike; we report the median and the minimum over the rounds, and a target
counts as met only when the ratio of medians and the ratio of minima both
reach it.

1. The video's loop: 1000 gradient-descent steps on C = (i·w − y)² with
   i = 1.5, y = 0.8, w₀ = 0.8, lr = 0.1, the gradient from autograd: chainrule,
   micrograd and PyTorch scalar tensors all run the same expression. The
   closed-form floor is the same loop with dC/dw = 2i²·w − 2iy computed
   directly: the cost of the Python loop itself. ``chainrule.compile`` runs
   it twice more: the graph compiled once and its function called at each
   step, and the whole descent loop compiled (``descend``); both take the
   engine's steps bit for bit (checked).
2. micrograd's moons demo: MLP(2, [16, 16, 1]) on 100 ``make_moons`` points
   (noise 0.1, seed 1), SVM max-margin loss + 1e-4 L2, full batch; one
   training step = forward + backward + update. Both engines start from the
   same weights (micrograd's random init, copied into chainrule's MLP) and
   must agree on the first loss. ``chainrule.compile`` compiles chainrule's
   graph once (its compile time and source size are reported) and then
   calls the compiled function at each step with the new weights (its
   losses equal the engine's bit for bit, checked); a hand-written numpy
   step of the same network is the floor for context.

Prints one Markdown section on stdout (``bench/run.py`` collects it).
Timings never go in tests; this is not a test.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
from time import perf_counter

import micrograd.engine
import micrograd.nn
import numpy as np
import torch
from sklearn.datasets import make_moons

import chainrule
from chainrule import MLP, Value

# --------------------------------------------------------------- the video
I, Y, W0, LR = 1.5, 0.8, 0.8, 0.1
VIDEO_STEPS = 1000
VIDEO_ROUNDS = 60

# -------------------------------------------------------------- the moons
MOONS_ROUNDS = 5
MOONS_STEPS_PER_ROUND = 2  # consecutive steps per engine per round, each timed
ALPHA = 1e-4  # L2 weight of micrograd's demo


# ========================================================= 1. the video loop
def video_chainrule(steps: int) -> float:
    w = Value(W0)
    for _ in range(steps):
        C = (I * w - Y) ** 2
        w.grad = 0.0
        C.backward()
        w.data -= LR * w.grad
    return w.data


def video_micrograd(steps: int) -> float:
    w = micrograd.engine.Value(W0)
    for _ in range(steps):
        C = (I * w - Y) ** 2
        w.grad = 0
        C.backward()
        w.data -= LR * w.grad
    return w.data


def video_torch(steps: int) -> float:
    w = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        C = (I * w - Y) ** 2
        w.grad = None  # what optimizer.zero_grad() does by default, and the fastest way
        C.backward()
        w.data -= LR * w.grad  # (faster here than `with torch.no_grad(): w -= ...` or torch.optim.SGD)
    return w.item()


def video_closed_form(steps: int) -> float:
    # C = (i·w − y)²  ⇒  dC/dw = 2(i·w − y)·i = (2i²)·w − 2iy  (= 4.5w − 2.4 here)
    slope, offset = 2.0 * I * I, 2.0 * I * Y
    w = W0
    for _ in range(steps):
        w -= LR * (slope * w - offset)
    return w


def _video_compiled():
    """The video's graph, built once and compiled once (outside every clock)."""
    w = Value(W0, label="w")
    return chainrule.compile((I * w - Y) ** 2, params=[w])


VIDEO_COMPILED = _video_compiled()


def video_compiled_calls(steps: int) -> float:
    # the compiled forward + backward, called at each step (the bare function: the checked one validates arguments)
    step = VIDEO_COMPILED.function
    w = W0
    for _ in range(steps):
        _, grads = step(w=w)
        w -= LR * grads["w"]
    return w


def video_compiled_loop(steps: int) -> float:
    params, _ = VIDEO_COMPILED.descend(steps, LR, w=W0)
    return params["w"]


COMPILED_CALLS = "chainrule.compile: the step compiled, called at each step"
COMPILED_LOOP = "chainrule.compile: the whole loop compiled (descend)"
CLOSED = "closed form (no autograd)"
VIDEO_ENGINES = [
    ("chainrule", video_chainrule),
    ("micrograd", video_micrograd),
    ("PyTorch scalar tensors (float64)", video_torch),
    (COMPILED_CALLS, video_compiled_calls),
    (COMPILED_LOOP, video_compiled_loop),
    (CLOSED, video_closed_form),
]


def bench_video():
    # Same weights everywhere, or the comparison is meaningless.
    finals = {name: fn(VIDEO_STEPS) for name, fn in VIDEO_ENGINES}
    for name, w in finals.items():
        assert abs(w - Y / I) < 1e-9, f"{name} did not converge to w* = y/i: {w!r}"
    for name in (COMPILED_CALLS, COMPILED_LOOP):  # the compiled code takes the engine's steps exactly
        assert finals[name] == finals["chainrule"], f"{name}: {finals[name]!r} != {finals['chainrule']!r}"
    times = {name: [] for name, _ in VIDEO_ENGINES}
    for _ in range(VIDEO_ROUNDS):
        for name, fn in VIDEO_ENGINES:
            gc.collect()
            t0 = perf_counter()
            fn(VIDEO_STEPS)
            times[name].append((perf_counter() - t0) / VIDEO_STEPS)
    return times


# ========================================================== 2. the moons demo
def moons_data():
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    y = y * 2 - 1  # labels −1 / +1
    # Python floats and ints for both engines: numpy scalars would slow micrograd's arithmetic down.
    return X.tolist(), y.tolist()


def micrograd_model():
    # The notebook: np.random.seed(1337); random.seed(1337); model = MLP(2, [16, 16, 1]).
    random.seed(1337)
    return micrograd.nn.MLP(2, [16, 16, 1])


def chainrule_model_like(mg_model) -> MLP:
    """chainrule's MLP(2, [16, 16, 1]) with micrograd's initial weights copied in."""
    model = MLP(2, [16, 16, 1])
    for cr_layer, mg_layer in zip(model.layers, mg_model.layers, strict=True):
        for cr_n, mg_n in zip(cr_layer.neurons, mg_layer.neurons, strict=True):
            for cr_w, mg_w in zip(cr_n.w, mg_n.w, strict=True):
                cr_w.data = float(mg_w.data)
            cr_n.b.data = float(mg_n.b.data)
    return model


def notebook_loss(ValueClass, model, X, Y):
    """micrograd's demo notebook, line for line (accuracy left out)."""
    inputs = [list(map(ValueClass, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum((p * p for p in model.parameters()))
    return data_loss + reg_loss


def chainrule_loss(model, X, Y):
    """The same loss in chainrule's idiom: inputs stay plain numbers, each sum is one node."""
    scores = [model(x) for x in X]
    losses = [(1 - yi * score).relu() for yi, score in zip(Y, scores)]
    data_loss = Value.sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * Value.sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def train_step(model, loss_fn, k):
    """One step of the notebook's loop: forward, zero_grad, backward, SGD update."""
    total_loss = loss_fn(model)
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data


def compiled_moons_step(X, Y, mg_model):
    """chainrule's moons graph compiled once; a step calls it with the current weights and updates them.

    Returns (step(k) -> loss, compile statistics). The weights live in a plain
    list: a step is one call of the generated function and the SGD update.
    """
    model = chainrule_model_like(mg_model)
    params = model.parameters()
    t0 = perf_counter()
    f = chainrule.compile(chainrule_loss(model, X, Y), params=params)
    seconds = perf_counter() - t0
    function, names = f.function, f.parameters
    weights = [p.data for p in params]

    def step(k):
        loss, grads = function(**dict(zip(names, weights)))
        learning_rate = 1.0 - 0.9 * k / 100
        weights[:] = [w - learning_rate * grads[n] for n, w in zip(names, weights)]
        return loss

    stats = {"nodes": f.n_nodes, "edges": f.n_edges, "seconds": seconds, "bytes": len(f.source.encode()),
             "lines": f.source.count("\n")}
    return step, stats


def micrograd_shaped_loss(model, X, Y):
    """The notebook's loss built as micrograd builds it, one node per + and · (its neuron is
    ``sum((wi * xi for ...), b)``), with chainrule Values: micrograd's graph of ≈ 40,000 nodes."""
    last = len(model.layers) - 1

    def forward(x):
        for l, layer in enumerate(model.layers):
            acts = [sum((wi * xi for wi, xi in zip(n.w, x)), n.b) for n in layer.neurons]
            x = acts if l == last else [a.relu() for a in acts]
        return x[0]

    scores = [forward(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(Y, scores)]
    return sum(losses) * (1.0 / len(losses)) + ALPHA * sum((p * p for p in model.parameters()))


def micrograd_shaped_compile_stats(X, Y, mg_model) -> dict:
    """Compile time and size for a graph of micrograd's shape (≈ 40,000 nodes)."""
    model = chainrule_model_like(mg_model)
    cost = micrograd_shaped_loss(model, X, Y)
    t0 = perf_counter()
    f = chainrule.compile(cost, params=model.parameters())
    seconds = perf_counter() - t0
    return {"nodes": f.n_nodes, "edges": f.n_edges, "seconds": seconds, "bytes": len(f.source.encode()),
            "lines": f.source.count("\n")}


def numpy_moons_step(X, Y, mg_model):
    """The same network and loss written by hand with numpy matrices (rows are points): a floor, for context."""
    x, y = np.array(X), np.array(Y, dtype=np.float64)
    params = []
    for layer in mg_model.layers:  # neuron j's weight k → W[k, j]
        params.append(np.array([[float(n.w[k].data) for n in layer.neurons] for k in range(len(layer.neurons[0].w))]))
        params.append(np.array([float(n.b.data) for n in layer.neurons]))
    n = len(y)

    def step(k):
        W1, b1, W2, b2, W3, b3 = params
        z1 = x @ W1 + b1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0.0)
        score = (h2 @ W3 + b3)[:, 0]
        margin = 1.0 - y * score
        loss = np.maximum(margin, 0.0).sum() / n + ALPHA * sum(float((p * p).sum()) for p in params)
        d_score = (-(y * (margin > 0)) / n)[:, None]
        d_z2 = (d_score @ W3.T) * (z2 > 0)
        d_z1 = (d_z2 @ W2.T) * (z1 > 0)
        grads = [x.T @ d_z1, d_z1.sum(axis=0), h1.T @ d_z2, d_z2.sum(axis=0), h2.T @ d_score, d_score.sum(axis=0)]
        learning_rate = 1.0 - 0.9 * k / 100
        for p, g in zip(params, grads):
            p -= learning_rate * (g + 2.0 * ALPHA * p)
        return loss

    return step


COMPILED_MOONS = "chainrule.compile: compiled once, called at each step"
NUMPY_MOONS = "hand-written numpy step (context)"


def bench_moons():
    X, Y = moons_data()
    mg_on, mg_off = micrograd_model(), micrograd_model()
    cr, cr_verbatim, cr_off = (chainrule_model_like(mg_on) for _ in range(3))
    compiled, compile_stats = compiled_moons_step(X, Y, mg_on)
    verbatim_stats = micrograd_shaped_compile_stats(X, Y, mg_on)
    engines = [
        # name, step(k) -> loss, collector on?
        ("chainrule", lambda k: train_step(cr, lambda m: chainrule_loss(m, X, Y), k), True),
        ("micrograd", lambda k: train_step(mg_on, lambda m: notebook_loss(micrograd.engine.Value, m, X, Y), k), True),
        ("micrograd, collector off (context)",
         lambda k: train_step(mg_off, lambda m: notebook_loss(micrograd.engine.Value, m, X, Y), k), False),
        ("chainrule, notebook code verbatim (context)",
         lambda k: train_step(cr_verbatim, lambda m: notebook_loss(Value, m, X, Y), k), True),
        ("chainrule, collector off (context)", lambda k: train_step(cr_off, lambda m: chainrule_loss(m, X, Y), k),
         False),
        (COMPILED_MOONS, compiled, True),
        (NUMPY_MOONS, numpy_moons_step(X, Y, mg_on), True),
    ]
    times = {name: [] for name, *_ in engines}
    losses = {name: [] for name, *_ in engines}
    k = 0
    for _ in range(MOONS_ROUNDS):
        for name, step, collector in engines:
            gc.collect()  # start each engine from a clean heap (outside the clock)
            if not collector:
                gc.disable()
            try:
                for j in range(MOONS_STEPS_PER_ROUND):
                    t0 = perf_counter()
                    loss = step(k + j)
                    times[name].append(perf_counter() - t0)
                    losses[name].append(float(loss))
            finally:
                gc.enable()
        k += MOONS_STEPS_PER_ROUND
    gc.collect()
    first = {name: ls[0] for name, ls in losses.items()}
    last = {name: ls[-1] for name, ls in losses.items()}
    ref = first["micrograd"]
    for name, value in first.items():
        assert abs(value - ref) <= 1e-12 * abs(ref), f"first loss differs: {name} {value!r} vs micrograd {ref!r}"
    assert losses[COMPILED_MOONS] == losses["chainrule"], "the compiled steps must be the engine's, bit for bit"
    return times, first, last, compile_stats, verbatim_stats


# ================================================================== report
def fmt(x: float) -> str:
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def table(times, base: str, unit: str, scale: float):
    med = {name: statistics.median(ts) for name, ts in times.items()}
    low = {name: min(ts) for name, ts in times.items()}
    rows = [
        f"| engine | median {unit}/step | min {unit}/step | time ÷ {base}'s (median) | time ÷ {base}'s (min) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in times:
        rows.append(
            f"| {name} | {fmt(med[name] * scale)} | {fmt(low[name] * scale)} "
            f"| {med[name] / med[base]:.2f} | {low[name] / low[base]:.2f} |"
        )
    return "\n".join(rows), med, low


def within(name: str, med, low, slow: str, fast: str, target: float) -> str:
    """A 'within target× of' verdict: met when slow/fast ≤ target on medians and on minima alike."""
    ratio, ratio_min = med[slow] / med[fast], low[slow] / low[fast]
    if ratio <= target and ratio_min <= target:
        ok = "**met**"
    elif ratio > target and ratio_min > target:
        ok = "**missed**"
    else:
        ok = "**unclear** (noise: medians and minima disagree)"
    return f"- {name} within {target:g}× of the closed form: {ok}: {ratio:.1f}× on medians ({ratio_min:.1f}× on minima)"


def verdict(name: str, med, low, base: str, other: str, target: float) -> str:
    ratio, ratio_min = med[other] / med[base], low[other] / low[base]
    # Met only if it holds on medians and on minima alike: noise that hits one engine can flatter either.
    if ratio >= target and ratio_min >= target:
        ok = "**met**"
    elif ratio < target and ratio_min < target:
        ok = "**missed**"
    else:
        ok = "**unclear** (noise: medians and minima disagree)"
    return f"- ≥ {target:g}× faster than {name}: {ok}: {ratio:.1f}× on medians ({ratio_min:.1f}× on minima)"


def main() -> int:
    out = []

    def say(line=""):
        out.append(line)
        print(line, flush=True)

    say("## Scalar engine: chainrule vs micrograd vs PyTorch (`bench/bench_scalar.py`)")
    say()
    say(f"### The video's loop: {VIDEO_STEPS} descent steps with autograd")
    say()
    say(
        f"C = (i·w − y)², i = {I}, y = {Y}, w₀ = {W0}, lr = {LR}; every engine runs the same code: "
        f"`C = (i * w - y) ** 2`, zero `w.grad`, `C.backward()`, `w.data -= lr * w.grad`. "
        f"{VIDEO_ROUNDS} interleaved rounds of {VIDEO_STEPS} steps per engine."
    )
    say()
    times = bench_video()
    text, med, low = table(times, "chainrule", "µs", 1e6)
    say(text)
    say()
    say("Targets (chainrule vs the others; met when the ratio of medians and the ratio of minima both reach it):")
    say()
    say(verdict("micrograd", med, low, "chainrule", "micrograd", 3))
    say(verdict("PyTorch", med, low, "chainrule", "PyTorch scalar tensors (float64)", 20))
    say(
        f"- the closed-form floor (the bare Python loop) is "
        f"{med['chainrule'] / med[CLOSED]:.0f}× faster than chainrule: "
        f"what building and walking a graph costs"
    )
    say(within("the compiled loop (`chainrule.compile`, `descend`)", med, low, COMPILED_LOOP, CLOSED, 5))
    say(
        f"- context: the compiled step called from a Python loop is {med[COMPILED_CALLS] / med[CLOSED]:.1f}× the "
        f"closed form (a call, a dict and a tuple per step); the engine is "
        f"{med['chainrule'] / med[COMPILED_LOOP]:.0f}× the compiled loop's time. Both compiled versions end on the "
        f"engine's weight bit for bit."
    )
    say()
    say("### micrograd's moons demo: one training step")
    say()
    say(
        "MLP(2, [16, 16, 1]) (337 parameters), 100 `make_moons` points (noise 0.1, random_state 1, labels ±1), "
        "loss = mean(relu(1 − yᵢ·scoreᵢ)) + 1e-4·Σp², full batch; a step = forward + zero_grad + backward + "
        "SGD update with the notebook's schedule lr = 1 − 0.9k/100. Both engines start from micrograd's "
        "`random.seed(1337)` weights. chainrule writes the loss in its own idiom (inputs as plain numbers, "
        "`Value.sum`, `Value.dot` in the neurons); micrograd runs its notebook's code line for line. "
        f"{MOONS_ROUNDS} interleaved rounds × {MOONS_STEPS_PER_ROUND} consecutive steps per engine, "
        "each step timed; Python's cycle collector on except where noted."
    )
    say()
    times, first, last, compiled, verbatim = bench_moons()
    text, med, low = table(times, "chainrule", "ms", 1e3)
    say(text)
    say()
    say(
        f"First loss (same weights, checked equal to 1e-12): chainrule {first['chainrule']!r}, "
        f"micrograd {first['micrograd']!r}. After {len(times['chainrule'])} steps: "
        f"chainrule {last['chainrule']!r}, micrograd {last['micrograd']!r}."
    )
    say()
    say("Target (chainrule vs micrograd with its collector on, as shipped; same rule):")
    say()
    say(verdict("micrograd", med, low, "chainrule", "micrograd", 40))
    off = "chainrule, collector off (context)"
    gc_cost, gc_cost_min = med["chainrule"] / med[off], low["chainrule"] / low[off]
    gc_ok = ("**met**" if gc_cost <= 1.5 and gc_cost_min <= 1.5 else "**missed**" if gc_cost > 1.5 and
             gc_cost_min > 1.5 else "**unclear** (noise: medians and minima disagree)")
    say(f"- the cycle collector costs chainrule at most 1.5× its collector-off time: {gc_ok}: {gc_cost:.2f}× on "
        f"medians ({gc_cost_min:.2f}× on minima)")
    say(
        f"- context: micrograd with the collector off is {med['micrograd, collector off (context)'] / med['chainrule']:.1f}× "
        f"chainrule's time; the collector alone costs micrograd "
        f"{med['micrograd'] / med['micrograd, collector off (context)']:.1f}×"
    )
    say(verdict("micrograd, for the compiled step", med, low, COMPILED_MOONS, "micrograd", 100))
    say(
        f"- the compiled step is {med[COMPILED_MOONS] / med[NUMPY_MOONS]:.0f}× the hand-written numpy step "
        f"({fmt(med[NUMPY_MOONS] * 1e3)} ms: the network as a few matrix products) and "
        f"{med['chainrule'] / med[COMPILED_MOONS]:.1f}× faster than the engine building and walking its graph; "
        "its losses are the engine's bit for bit"
    )
    for what, stats in (("chainrule's moons graph (`Value.dot` neurons)", compiled),
                        ("a graph of micrograd's shape (one node per + and ·, micrograd's neurons)", verbatim)):
        say(
            f"- compile time for {what}: {stats['nodes']:,} nodes, {stats['edges']:,} edges: "
            f"{stats['seconds']:.2f} s, {stats['lines']:,} lines of source ({stats['bytes'] / 2**20:.1f} MiB)"
        )
    say(
        f"- context: chainrule's graph has no cycles, yet the collector still runs (CPython starts it by "
        f"allocation counts), and each full collection walks the whole heap, "
        f"{len(gc.get_objects()):,} objects in this process (numpy, scikit-learn and torch are loaded)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

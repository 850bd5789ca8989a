"""Thousands of random tensor graphs against PyTorch's autograd in float64: values and gradients agree.

Each graph is a short random program over tensors of random shapes (empty ones and 0-d ones included),
with broadcasting, reductions followed by every one-input operation, matrix products, softmax, shape
operations, and leaves whose magnitudes reach 1e±150 to 1e±300. The same program runs on chainrule and on
PyTorch; the output and the gradient of sum(output · R) for every leaf must agree.

How close is close enough, on any machine. The two engines round differently (their exp/log/tanh differ
in the last bit, they add sums in different orders), and a graph can amplify such differences (x − y
with x ≈ y, 1 − tanh²x where tanh x ≈ 1). So chainrule also runs each graph three more times with every
value nudged as it is made (each entry of each leaf and each node's output moved by up to 1e−12 of
itself plus 1e−13 of its array's typical size, at random): a rounding difference of 1e−16 anywhere in
the graph moves an entry 1e3 to 1e4 times less than these nudges do. How much an entry moves (its *spread*) thus measures, at that point and on this machine, how
much it amplifies rounding. An entry passes when

    |chainrule − torch| ≤ 1e−9 · |value| + 10 · spread + 1e−300,

a margin of 10⁴ to 10⁵ over rounding differences, while a wrong rule, off by the size of the value itself,
fails unless the entry is wildly ill-conditioned (then no two implementations could be compared there).
Graphs in which PyTorch meets a NaN or an infinity (a value of the forward pass, or a gradient flowing
back into one) are not compared: there each library's formulas make what they make of IEEE's special
cases (−0, 0 · ∞). Otherwise the output is compared and, unless the output is itself ill-conditioned
(moved by more than 1e−6 of itself by the nudges: then its gradients are rounding residue), every leaf's
gradient; a NaN or an infinity must be one in both engines, except where a nudge makes it finite (the
edge of overflow). At least 5,000 graphs have their gradients compared (CHAINRULE_RANDOM_GRAPHS and
CHAINRULE_RANDOM_GRAPHS_SEED run more, or others). Failures print the graph's seed and program.
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")

from chainrule.tensor import Tensor, concatenate  # noqa: E402

GRAPHS = int(os.environ.get("CHAINRULE_RANDOM_GRAPHS", "5000"))
SEED = int(os.environ.get("CHAINRULE_RANDOM_GRAPHS_SEED", "20240611"))
NUDGE = 1e-12

SHAPES = [(), (0,), (1,), (3,), (2, 3), (3, 1), (1, 3), (2, 0), (0, 3), (2, 1, 3), (4,), (2, 2)]
SCALES = [1.0] * 10 + [1e-150, 1e150, 1e-200, 1e200, 1e-300, 1e300]

# one-input operations: name -> (chainrule, torch)
UNARY = {
    "neg": (lambda x: -x, lambda x: -x),
    "exp": (lambda x: x.exp(), lambda x: torch.exp(x)),
    "log": (lambda x: x.log(), lambda x: torch.log(x)),
    "tanh": (lambda x: x.tanh(), lambda x: torch.tanh(x)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: torch.sigmoid(x)),
    "relu": (lambda x: x.relu(), lambda x: torch.relu(x)),
    "square": (lambda x: x ** 2, lambda x: x ** 2),
    "pow0": (lambda x: x ** 0, lambda x: x ** 0),
    "sqrt": (lambda x: x ** 0.5, lambda x: x ** 0.5),
    "cube": (lambda x: x ** 3, lambda x: x ** 3),
    "recip": (lambda x: x ** -1, lambda x: x ** -1),
    "rsub": (lambda x: 2.5 - x, lambda x: 2.5 - x),
    "rdiv": (lambda x: 1.5 / x, lambda x: torch.tensor(1.5, dtype=torch.float64) / x),  # see _torch_number
    "affine": (lambda x: x * 3.0 + 1.0, lambda x: x * 3.0 + 1.0),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x),
    "softmax": (lambda x: x.softmax(axis=-1), lambda x: torch.softmax(x, dim=-1)),
    "log_softmax": (lambda x: x.log_softmax(axis=-1), lambda x: torch.log_softmax(x, dim=-1)),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
}
NUMBERS = [2.0, -0.5, 3.0, 0.0, 1e-150, -1e150, 1e300]
REDUCTIONS = ("sum", "mean", "max")


def _reduce(engine, name, x, axis, keepdims):
    if engine == "chainrule":
        return getattr(x, name)(axis=axis, keepdims=keepdims)
    f = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[name]
    if axis is None:
        r = f(x) if name != "max" else torch.amax(x, dim=tuple(range(x.ndim)))
        return r.reshape((1,) * x.ndim) if keepdims else r
    return f(x, dim=axis, keepdim=keepdims)


# ---------------------------------------------------------------- programs
def _broadcastable_to(shape, rng) -> tuple:
    """A shape that broadcasts against ``shape``: leading axes dropped and/or some axes set to 1."""
    out = list(shape[rng.integers(0, len(shape) + 1):])
    for i in range(len(out)):
        if rng.random() < 0.4:
            out[i] = 1
    return tuple(out)


def make_graph(seed: int, first: tuple | None = None):
    """(leaves, program): leaf arrays and instructions over a growing list of node shapes.

    ``first`` = (reduction, unary) forces the program to start with that reduction followed by that op.
    """
    rng = np.random.default_rng(seed)
    leaves, shapes, program = [], [], []

    def leaf(shape, positive=False):
        scale = SCALES[rng.integers(len(SCALES))]
        values = rng.standard_normal(shape) * scale
        if positive:
            values = np.abs(values) + 0.1 * scale
        elif values.size and rng.random() < 0.15:
            values.flat[rng.integers(values.size)] = 0.0  # exact zeros: x ** 0, relu's kink, log 0, 0 / 0
        program.append(("leaf", len(leaves)))
        leaves.append(values)
        shapes.append(tuple(shape))
        return len(shapes) - 1

    if first is None:
        leaf(SHAPES[rng.integers(len(SHAPES))])
    else:  # a positive, non-empty start, so that log, sqrt, 1/x of its reduction are finite
        leaf([s for s in SHAPES if 0 not in s][rng.integers(len(SHAPES) - 3)], positive=True)

    def reduction(i):
        shape = shapes[i]
        name = REDUCTIONS[rng.integers(3)]
        axis = None if not shape or rng.random() < 0.4 else int(rng.integers(-len(shape), len(shape)))
        keepdims = bool(rng.random() < 0.3)
        reduced = range(len(shape)) if axis is None else [axis % len(shape)]
        if name in ("mean", "max") and any(shape[a] == 0 for a in reduced):
            name = "sum"  # chainrule refuses these (test_tensor.py checks the refusal); PyTorch gives nan or an error
        if keepdims:
            out = tuple(1 if a in reduced else n for a, n in enumerate(shape))
        else:
            out = tuple(n for a, n in enumerate(shape) if a not in reduced)
        program.append(("reduce", i, name, axis, keepdims))
        shapes.append(out)
        return name

    if first is not None:
        name, op = first
        if name in ("mean", "max") and 0 in shapes[0]:
            name = "sum"
        program.append(("reduce", 0, name, None, False))
        shapes.append(())
        program.append(("unary", len(shapes) - 1, op))
        shapes.append(())
    for _ in range(int(rng.integers(1, 8))):
        i = len(shapes) - 1 if rng.random() < 0.6 else int(rng.integers(len(shapes)))
        shape = shapes[i]
        kind = rng.choice(["unary", "binary", "number", "reduce", "matmul", "shape"], p=[0.3, 0.25, 0.1, 0.15, 0.1, 0.1])
        if kind == "unary":
            program.append(("unary", i, list(UNARY)[rng.integers(len(UNARY))]))
            shapes.append(shape)
        elif kind == "binary":
            partners = [j for j, s in enumerate(shapes) if _broadcasts(s, shape)]
            j = int(rng.choice(partners)) if partners and rng.random() < 0.5 else leaf(_broadcastable_to(shape, rng))
            a, b = (i, j) if rng.random() < 0.5 else (j, i)
            program.append(("binary", a, b, list(BINARY)[rng.integers(len(BINARY))]))
            shapes.append(np.broadcast_shapes(shapes[a], shapes[b]))
        elif kind == "number":
            program.append(("number", i, list(BINARY)[rng.integers(len(BINARY))], NUMBERS[rng.integers(len(NUMBERS))],
                            bool(rng.random() < 0.5)))
            shapes.append(shape)
        elif kind == "reduce":
            reduction(i)
        elif kind == "matmul" and shape:
            n = shape[-1]
            right = (n,) if rng.random() < 0.3 else (n, int(rng.integers(0, 4)))
            j = leaf(right)
            program.append(("matmul", i, j))
            shapes.append(np.matmul(np.zeros(shape), np.zeros(right)).shape)
        elif kind == "shape" and shape:
            how = ["flatten", "transpose", "slice", "stride", "concat"][rng.integers(5)]
            program.append(("shape", i, how))
            shapes.append({"flatten": (int(np.prod(shape)),), "transpose": shape[::-1],
                           "slice": (max(shape[0] - 1, 0),) + shape[1:],
                           "stride": shape[:-1] + ((shape[-1] + 1) // 2,),
                           "concat": (2 * shape[0],) + shape[1:]}[how])
    return leaves, program, shapes


def _broadcasts(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _nudged(a: np.ndarray, rng) -> np.ndarray:
    """a, each entry moved by up to 1e−12 of itself plus 1e−13 of the array's typical size (its RMS).

    The second part stands for rounding in sums, softmax and matrix products, which is relative to the
    size of the terms, not of the result (log_softmax's largest entry, −log(1 + ε), is −ε give or take
    1e−16, whatever ε is).
    """
    finite = a[np.isfinite(a)]
    typical = float(np.sqrt(np.mean(finite * finite))) if finite.size else 0.0
    with np.errstate(all="ignore"):
        return np.asarray(a + (NUDGE * np.abs(a) + 0.1 * NUDGE * typical) * rng.uniform(-1, 1, a.shape))


def run(program, leaves, engine, nudge=None):
    """(output, each leaf's gradient of sum(output · R), whether every value and intermediate gradient was finite).

    R is drawn from the program's length. ``nudge``: a Generator; then (chainrule only) every leaf and
    every node's value is multiplied by 1 + NUDGE·u, u uniform in [−1, 1], as it is made.
    """
    cr = engine == "chainrule"
    if cr:
        inputs = [Tensor(a.copy(), requires_grad=True) for a in leaves]
    else:
        inputs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in leaves]
    nodes = []
    with np.errstate(all="ignore"):
        for step in program:
            op, i = step[0], step[1]
            if op == "leaf":
                if nudge is not None:
                    inputs[i].data = _nudged(inputs[i].data, nudge)
                nodes.append(inputs[i])
                continue
            x = nodes[i]
            if op == "unary":
                out = UNARY[step[2]][0 if cr else 1](x)
            elif op == "binary":
                out = BINARY[step[3]](nodes[step[1]], nodes[step[2]])
            elif op == "number":
                _, _, name, number, left = step
                if left and not cr:
                    number = _torch_number(number)
                out = BINARY[name](number, x) if left else BINARY[name](x, number)
            elif op == "reduce":
                out = _reduce(engine, step[2], x, step[3], step[4])
            elif op == "matmul":
                out = x @ nodes[step[2]]
            else:
                how = step[2]
                if how == "flatten":
                    out = x.reshape(-1)
                elif how == "transpose":
                    out = x.transpose() if cr else x.permute(*reversed(range(x.ndim)))
                elif how == "slice":
                    out = x[1:]
                elif how == "stride":
                    out = x[..., ::2]
                else:
                    out = concatenate([x, x]) if cr else torch.cat([x, x])
            if nudge is not None:
                out.data = _nudged(out.data, nudge)  # a new array: views of the old one stay intact
            nodes.append(out)
        out = nodes[-1]
        R = np.random.default_rng(len(program)).standard_normal(tuple(out.shape))
        if cr:
            finite = all(np.isfinite(n.data).all() for n in nodes)
            (out * Tensor(R)).sum().backward()
            grads = [t.grad if t.grad is not None else np.zeros_like(t.data) for t in inputs]
            return np.array(out.data), grads, finite
        finite = [all(bool(torch.isfinite(n).all()) for n in nodes)]
        for n in nodes:  # and every gradient flowing into an intermediate value
            if n.requires_grad and n.grad_fn is not None:
                n.register_hook(lambda grad: finite.__setitem__(0, finite[0] and bool(torch.isfinite(grad).all())))
        (out * torch.tensor(R)).sum().backward()
        finite = finite[0]
        grads = [t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for t in inputs]
        return out.detach().numpy(), grads, finite


def _torch_number(number: float):
    """A number on the left of a torch operator, as a 0-d tensor.

    PyTorch computes ``number / x`` as ``x.reciprocal() * number``, whose
    backward squares 1/x: for |x| < 1e−154 that overflows and turns a zero
    gradient into NaN (the −a/(b·b) pattern). A 0-d tensor makes it a plain
    division, with the rule −g·(c/b) that chainrule uses too.
    """
    return torch.tensor(number, dtype=torch.float64)


def disagreements(ours, nudged, theirs) -> tuple[int, int, bool]:
    """(entries compared, entries that disagree, whether the array is ill-conditioned) for one array.

    ``ours`` and its ``nudged`` versions against ``theirs``. Ill-conditioned: some finite entry moved by
    more than a millionth of itself under the nudges (the graph amplifies 1e−12 into 1e−6 there).
    """
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    if ours.shape != theirs.shape:
        return 1, 1, False
    nudged = np.stack([np.asarray(n, np.float64) for n in nudged])
    with np.errstate(all="ignore"):
        finite = np.isfinite(ours)
        stable = (np.isfinite(nudged) == finite).all(axis=0)
        spread = np.where(finite, np.abs(nudged - ours).max(axis=0), 0.0)
        both = finite & np.isfinite(theirs) & stable
        tol = 1e-9 * np.maximum(np.abs(ours), np.abs(theirs)) + 10.0 * spread + 1e-300
        bad = both & ~(np.abs(ours - theirs) <= tol)
        bad |= stable & (finite != np.isfinite(theirs))
        ill = bool((~stable | (spread > 1e-6 * np.abs(ours) + 1e-300)).any())
    return int(stable.sum()), int(bad.sum()), ill


def compare_graph(seed: int, first=None) -> dict:
    leaves, program, shapes = make_graph(seed, first)
    ours = run(program, leaves, "chainrule")
    theirs = run(program, leaves, "torch")
    rng = np.random.default_rng([seed, 1])
    nudged = [run(program, leaves, "chainrule", nudge=rng) for _ in range(3)]
    result = {"leaves": leaves, "program": program, "shapes": shapes, "compared": 0, "bad": 0, "gradients": False}
    if not theirs[2]:
        # Through a NaN or an infinity, values are whatever each library's formulas make of IEEE's special
        # cases (PyTorch takes x ** −0.5 as rsqrt(x): −inf at x = −0 where pow gives +inf; BLAS may return
        # +0 where PyTorch has −0, and 1.5/±0 is ±inf; max and max-pooling multiply an infinite gradient by
        # their 0/1 mask, NaN in chainrule where PyTorch passes 0): such graphs are not compared.
        return result
    compared, bad, ill = disagreements(ours[0], [n[0] for n in nudged], theirs[0])
    if not ill:  # an output this sensitive (say −1e150 + x swallowing x) leaves its gradients mere rounding residue
        for k in range(len(leaves)):
            n, b, _ = disagreements(ours[1][k], [nudge[1][k] for nudge in nudged], theirs[1][k])
            compared, bad = compared + n, bad + b
    result.update(compared=compared, bad=bad, gradients=not ill)
    return result


@pytest.mark.slow
def test_thousands_of_random_tensor_graphs_agree_with_pytorch_in_float64():
    failures, seen = [], Counter()
    seeds = iter(range(SEED, SEED + 10 * GRAPHS))

    def one(head=None) -> bool:
        seed = next(seeds)
        result = compare_graph(seed, head)
        if result["bad"]:
            failures.append((seed, head, result))
        seen["graphs"] += 1
        if not result["gradients"]:
            return False
        leaves, program, shapes = result["leaves"], result["program"], result["shapes"]
        seen["graphs with gradients compared"] += 1
        seen["with an empty tensor"] += any(0 in s for s in shapes)
        seen["with a 0-d tensor"] += any(s == () for s in shapes)
        seen["with extreme magnitudes"] += any(np.any((np.abs(a) > 1e100) | ((a != 0) & (np.abs(a) < 1e-100))) for a in leaves)
        seen["with broadcasting"] += any(p[0] == "binary" and shapes[p[1]] != shapes[p[2]] for p in program)
        return True

    first = [(r, u) for r in REDUCTIONS for u in UNARY]  # every reduction followed by every one-input op:
    uncovered = [pair for pair in first if not any(one(pair) for _ in range(10))]  # up to 10 graphs until one compares
    while seen["graphs with gradients compared"] < GRAPHS and seen["graphs"] < 3 * GRAPHS:
        one()
    details = "\n".join(f"seed {s} (starts with {h}): {r['bad']} of {r['compared']} entries disagree; "
                        f"program {r['program']}; leaf shapes {[a.shape for a in r['leaves']]}" for s, h, r in failures[:5])
    assert not failures, f"{len(failures)} of {seen['graphs']} graphs disagree with PyTorch:\n{details}"
    assert not uncovered, f"no graph starting with these could be compared: {uncovered}"
    assert seen["graphs with gradients compared"] >= GRAPHS, dict(seen)
    for what in ("with an empty tensor", "with a 0-d tensor", "with extreme magnitudes", "with broadcasting"):
        assert seen[what] >= GRAPHS // 20, (what, dict(seen))

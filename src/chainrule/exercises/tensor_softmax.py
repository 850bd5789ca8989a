"""Tensor gradients by hand: a batch through a linear layer and softmax cross-entropy, backward in numpy.

The scalar exercises ask one number at a time; a real network's backward
pass is written with whole arrays. Here a learner gets a batch of N
examples, X (N×D), through one linear layer with weight decay::

    logits = X @ W + b                      # (N, K)
    loss   = mean over the batch of −ln softmax(logits)[y]  +  lam·Σ W²

and writes, in numpy, in a file of their own, the four gradients:

    dlogits = ∂loss/∂logits   (N, K): (softmax(logits) − onehot(y)) / N
    dW      = ∂loss/∂W        (D, K): X.T @ dlogits + 2·lam·W   (W is used twice: add both)
    db      = ∂loss/∂b        (K,):   dlogits.sum(axis=0)        (b is added to every row)
    dX      = ∂loss/∂X        (N, D): dlogits @ W.T

``check(exercise, path)`` runs the file in its own process with a time and
memory limit (``chainrule.user_code``, as ``check --fn`` does), checks each
array's shape first, then every element against chainrule's tensor engine
(``Tensor.backward``), and names the usual mistakes where the numbers show
them: the mean's 1/N left out, W's gradient transposed, a sum over the wrong
axis, and a gradient overwritten where the tensor is used twice (only one of
W's two uses). Sizes are chosen so that each mistake shows: N, D and K all
differ.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidValueError
from ..user_code import clean, limit_resources, load, run_worker, user_error
from .draw import GRID

__all__ = ["TensorExercise", "build", "template", "check", "Mark", "Marks", "NAMES", "TIME_LIMIT"]

N, D, K = 4, 2, 3  # examples, inputs, classes: all different, so a transposed or wrong-axis answer has the wrong shape
LAM = 0.1
NAMES = ("dlogits", "dW", "db", "dX")
TIME_LIMIT = 20.0  # seconds for the learner's file, start-up included
RTOL, ATOL = 1e-6, 1e-9  # an entry agrees when |yours − engine's| ≤ ATOL + RTOL·|engine's|
SHAPES = {"dlogits": ("N", "K"), "dW": ("D", "K"), "db": ("K",), "dX": ("N", "D")}
OF = {"dlogits": "logits", "dW": "W", "db": "b", "dX": "X"}


@dataclass
class TensorExercise:
    """One draw: the batch, the layer, the labels, and the engine's gradients."""

    seed: int
    X: np.ndarray
    W: np.ndarray
    b: np.ndarray
    y: np.ndarray
    lam: float = LAM
    loss: float = 0.0
    gradients: dict = field(default_factory=dict)  # name -> the engine's array

    def shape(self, name: str) -> tuple[int, ...]:
        sizes = {"N": N, "D": D, "K": K}
        return tuple(sizes[s] for s in SHAPES[name])

    def to_json(self) -> dict:
        return {"exercise": "tensor-softmax", "seed": self.seed, "X": self.X.tolist(), "W": self.W.tolist(),
                "b": self.b.tolist(), "y": self.y.tolist(), "lam": self.lam,
                "asked": {name: list(self.shape(name)) for name in NAMES}}


def _engine_gradients(X, W, b, y, lam) -> tuple[float, dict]:
    """The loss and the four gradients, by chainrule's tensor engine (the reference the learner is checked against)."""
    from ..losses import cross_entropy
    from ..tensor import Tensor

    Xt, Wt, bt = (Tensor(a, requires_grad=True) for a in (X, W, b))
    logits = Xt @ Wt + bt
    loss = cross_entropy(logits, y) + (Wt ** 2).sum() * lam
    loss.backward()
    # dlogits: the same loss from logits as a leaf of its own (its gradient is what flows into X @ W + b)
    leaf = Tensor(logits.data, requires_grad=True)
    (cross_entropy(leaf, y) + (Tensor(W) ** 2).sum() * lam).backward()
    return float(loss.data), {"dlogits": leaf.grad, "dW": Wt.grad, "db": bt.grad, "dX": Xt.grad}


def build(seed: int) -> TensorExercise:
    """The exercise of ``seed``: every number one decimal from −2 to 2 (not 0), the labels any class."""
    rng = random.Random(f"chainrule tensor-softmax {seed}")
    draw = lambda *shape: np.array([rng.choice(GRID) for _ in range(int(np.prod(shape)))]).reshape(shape)  # noqa: E731
    X, W, b = draw(N, D), draw(D, K), draw(K)
    y = np.array([rng.randrange(K) for _ in range(N)])
    loss, gradients = _engine_gradients(X, W, b, y, LAM)
    return TensorExercise(seed, X, W, b, y, LAM, loss, gradients)


def _literal(a: np.ndarray) -> str:
    return f"np.array({a.tolist()!r})"


def template(ex: TensorExercise) -> str:
    """The file a learner fills in: the numbers, the forward pass, and the four gradients to write."""
    return f'''"""chainrule exercise tensor-softmax --seed {ex.seed}: write the backward pass in numpy.

Fill in dlogits, dW, db and dX below, then mark them:
    chainrule exercise tensor-softmax --seed {ex.seed} --answers {{this file}}
"""
import numpy as np

# the exercise's numbers (keep them as they are)
X = {_literal(ex.X)}  # (N, D) = ({N}, {D}): a batch of {N} examples
W = {_literal(ex.W)}  # (D, K) = ({D}, {K})
b = {_literal(ex.b)}  # (K,) = ({K},)
y = {_literal(ex.y)}  # (N,): each example's true class
lam = {ex.lam!r}  # weight decay

# forward pass
N = X.shape[0]
logits = X @ W + b  # (N, K)
shifted = logits - logits.max(axis=1, keepdims=True)
probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
loss = -np.log(probs[np.arange(N), y]).mean() + lam * (W ** 2).sum()

# backward pass: your numpy
dlogits = None  # ∂loss/∂logits, shape (N, K)
dW = None  # ∂loss/∂W, shape (D, K): W is used twice, in the logits and in the weight decay
db = None  # ∂loss/∂b, shape (K,)
dX = None  # ∂loss/∂X, shape (N, D)
'''


def key(ex: TensorExercise) -> str:
    """The answers, as numpy a learner could have written (and their numbers)."""
    lines = ["dlogits = probs.copy(); dlogits[np.arange(N), y] -= 1; dlogits /= N   # (softmax − onehot(y)) / N",
             "dW = X.T @ dlogits + 2 * lam * W   # both uses of W add",
             "db = dlogits.sum(axis=0)           # b is added to every row",
             "dX = dlogits @ W.T"]
    numbers = [f"{name} = {np.array2string(ex.gradients[name], precision=4, suppress_small=True)}" for name in NAMES]
    return "\n".join(lines + [""] + numbers)


# ------------------------------------------------------------------ marking
@dataclass
class Mark:
    """One array: right, or what is wrong with it."""

    name: str
    correct: bool
    why: str = ""  # the shape, the mistake, or how many entries differ

    def to_json(self) -> dict:
        return {"name": self.name, "correct": self.correct, "why": self.why}


@dataclass
class Marks:
    seed: int
    marks: list[Mark]

    @property
    def right(self) -> int:
        return sum(m.correct for m in self.marks)

    def lines(self) -> list[str]:
        out = [f"{'✓' if m.correct else '✗'} {m.name}" + (f": {m.why}" if m.why else "") for m in self.marks]
        return out + [f"score: {self.right}/{len(self.marks)}"]

    def to_json(self) -> dict:
        return {"exercise": "tensor-softmax", "seed": self.seed, "score": {"right": self.right,
                                                                          "total": len(self.marks)},
                "marks": [m.to_json() for m in self.marks]}


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= ATOL + RTOL * np.abs(b)))


def _mark(ex: TensorExercise, name: str, given: np.ndarray) -> Mark:
    """Shape first, then the numbers; a named mistake where the numbers show one."""
    ref = ex.gradients[name]
    wanted = ex.shape(name)
    shape_text = "(" + ", ".join(SHAPES[name]) + ")"
    if given.shape != wanted:
        why = f"shape {given.shape}, but {name} is shaped like {OF[name]}: {shape_text} = {wanted}"
        if name == "dW" and given.shape == wanted[::-1]:
            why += "; yours is transposed: dW = X.T @ dlogits, not dlogits.T @ X"
        elif name == "db" and given.shape == (N,):
            why += "; you summed over the wrong axis: b is added to every row, so db sums the rows, axis=0"
        elif name == "dX" and given.shape == wanted[::-1]:
            why += "; yours is transposed: dX = dlogits @ W.T"
        return Mark(name, False, why)
    if _close(given, ref):
        return Mark(name, True)
    if name == "dW":
        data_part = ex.X.T @ ex.gradients["dlogits"]
        decay_part = 2 * ex.lam * ex.W
        if _close(given, data_part):
            return Mark(name, False, "only X.T @ dlogits: W is used twice, in the logits and in the weight decay; "
                                     "its gradient adds both uses, + 2·lam·W (yours was overwritten, not added to)")
        if _close(given, decay_part):
            return Mark(name, False, "only 2·lam·W: W is used twice; the logits' use adds X.T @ dlogits "
                                     "(yours was overwritten, not added to)")
        if _close(given, data_part * N + decay_part) or _close(given, data_part * N):
            return Mark(name, False, f"the data part is {N} = N times too large: the mean's 1/N is missing")
    if name == "dW" and D == K and _close(given.T, ref):
        return Mark(name, False, "transposed: dW = X.T @ dlogits")
    nonzero = ref != 0
    if np.any(nonzero) and np.all(given[nonzero] != 0):
        ratio = given[nonzero] / ref[nonzero]
        if np.allclose(ratio, N, rtol=RTOL):
            return Mark(name, False, f"every entry is {N} = N times too large: the mean's 1/N is missing")
        if np.allclose(ratio, -1, rtol=RTOL):
            return Mark(name, False, "every entry has the wrong sign")
    differ = int(np.sum(~(np.abs(given - ref) <= ATOL + RTOL * np.abs(ref))))
    worst = np.unravel_index(int(np.argmax(np.abs(given - ref))), ref.shape)
    return Mark(name, False, f"{differ} of {ref.size} entries differ; e.g. {name}{list(worst)} is "
                             f"{given[worst]:.6g}, the engine's {ref[worst]:.6g}")


def check(ex: TensorExercise, path: str, time_limit: float = TIME_LIMIT) -> Marks:
    """Run the learner's file (own process, time and memory limit) and mark its four arrays."""
    if not str(path).endswith(".py"):
        raise InvalidValueError(f"--answers: {clean(path)!r} is not a Python file (.py); write the backward pass "
                                "in the file --template gives")
    if not os.path.isfile(path):
        raise InvalidValueError(f"--answers: no such file: {clean(path)!r}")
    with tempfile.TemporaryDirectory(prefix="chainrule-tensor-") as tmp:
        out = os.path.join(tmp, "arrays.npz")
        error = os.path.join(tmp, "error.json")
        given = {k: getattr(ex, k) for k in ("X", "W", "b", "y")}
        np.savez(os.path.join(tmp, "given.npz"), **given)
        run_worker("chainrule.exercises.tensor_softmax", [os.path.abspath(path), tmp], path, time_limit,
                   "an endless loop?")
        if os.path.exists(error):
            with open(error, encoding="utf-8") as f:
                raise InvalidValueError(json.load(f)["error"])
        with np.load(out, allow_pickle=False) as arrays:
            return Marks(ex.seed, [_mark(ex, name, arrays[name]) for name in NAMES])


def _worker(argv: list[str]) -> int:
    """The learner's file, in its own process: run it, check it kept the numbers, save the four arrays."""
    path, tmp = argv
    limit_resources()
    shown = os.path.basename(path)

    def fail(message: str) -> int:
        with open(os.path.join(tmp, "error.json"), "w", encoding="utf-8") as f:
            json.dump({"error": message}, f)
        return 0

    try:
        namespace = load(path, "__chainrule_tensor_softmax__")
    except BaseException as exc:  # noqa: BLE001 - the learner's file: any failure is one line
        if isinstance(exc, SystemExit):
            return fail(f"{shown} called exit() while it ran")
        return fail(user_error(exc, path, f"running {shown}"))
    with np.load(os.path.join(tmp, "given.npz"), allow_pickle=False) as given:
        for name in given.files:
            kept = namespace.get(name)
            try:
                same = np.array_equal(np.asarray(kept, dtype=float), given[name])
            except (TypeError, ValueError):
                same = False
            if not same:
                return fail(f"{shown} changed {name}: keep the exercise's numbers as --template wrote them")
    arrays = {}
    for name in NAMES:
        value = namespace.get(name)
        if value is None:
            return fail(f"{shown} leaves {name} unset: assign it the numpy expression of ∂loss/∂{OF[name]}")
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return fail(f"{shown}: {name} is not an array of numbers (got {clean(type(value).__name__)})")
        if array.size > 10_000 or not np.all(np.isfinite(array)):
            return fail(f"{shown}: {name} has {'too many entries' if array.size > 10_000 else 'inf or nan'}")
        arrays[name] = array
    np.savez(os.path.join(tmp, "arrays.npz"), **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))

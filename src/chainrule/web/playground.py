"""The playground: train a small network on 2-D points, a few steps per request, with no server state.

A request carries everything: the data recipe (or your own points), the
problem (classes, or a target value: regression), the features the network
reads, its shape, the optimiser and regularization settings, and, to
continue, the weights of the last answer and its step count. The answer
carries the new weights and everything the page draws: the network's answer
on a grid, train and test loss (and accuracy) along the way, each
parameter's gradient, each neuron's output as a small heat map, and whether
the loss swings (a learning rate too large).

Training is reproducible: the data and the split come from ``seed``; the
starting weights too; and the minibatch of step t is drawn from a generator
seeded with (seed, t). So a shared link (settings + step count) retrains to
exactly the network its sender saw, however the steps were split into calls.

The numbers come from ``engine.py``: chainrule's own data, nn, losses and optim.
"""

from __future__ import annotations

import base64
import math

import numpy as np

from .. import csv_points
from ..errors import InvalidValueError
from . import engine
from .api_models import COORD_LIMIT, MAX_POINTS, TARGET_LIMIT, WEIGHT_LIMIT, PlaygroundNetwork, PlaygroundRequest, PointsCsvRequest

# How many points of the loss curves one call returns at most (plus the last one).
HISTORY_POINTS = 25
# The square the page lets the learner click points into: [-2, 2]².
CUSTOM_EXTENT = 2.0
# A loss that swings: within one call the training loss jumped up SWING_JUMPS times or more, each time
# by more than SWING_RISE and to more than SWING_RATIO times what it was (minibatch noise wobbles far less).
SWING_JUMPS = 3
SWING_RISE = 0.3
SWING_RATIO = 1.5


def dataset(req: PlaygroundNetwork) -> tuple[np.ndarray, np.ndarray]:
    """The points (coordinates) and their labels or target values."""
    if req.dataset == "custom":
        if len(req.points) < 2 or len({p[2] for p in req.points}) < 2:
            raise InvalidValueError(
                "points: the custom dataset needs points of both classes; allowed: 2 to 2000 points [x, y, class]"
            )
        X = np.array([[p[0], p[1]] for p in req.points], dtype=float)
        y = np.array([p[2] for p in req.points], dtype=np.int64)
        return X, y
    if req.dataset == "custom_regression":
        if len(req.values) < 2:
            raise InvalidValueError(
                "values: the custom regression dataset needs at least 2 points; allowed: 2 to 2000 points [x, y, value]"
            )
        return (np.array([[p[0], p[1]] for p in req.values], dtype=float),
                np.array([p[2] for p in req.values], dtype=float))
    return engine.make_dataset(req.dataset, req.n_points, req.noise, req.seed)


def split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test points: a seeded shuffle, the last ``fraction`` kept for testing."""
    order = np.random.default_rng([seed, 2]).permutation(n)
    n_test = min(int(math.floor(fraction * n)), n - 1)
    return order[: n - n_test], order[n - n_test:]


def batch_indices(req: PlaygroundNetwork, n_train: int, step: int) -> np.ndarray:
    """The training points of step ``step`` (drawn from a generator seeded with (seed, step) alone)."""
    batch = min(req.batch_size, n_train)
    return np.random.default_rng([req.seed, 3, step]).choice(n_train, size=batch, replace=False)


def _check_params(params: list, sizes: list[int]) -> None:
    """The weights sent back must fit the network described by ``features`` and ``layers``."""
    if len(params) != len(sizes) - 1:
        raise InvalidValueError(
            f"params: {len(params)} layers sent for a network of {len(sizes) - 1} layers "
            f"(sizes {sizes}); allowed: exactly {len(sizes) - 1}, or none to start afresh"
        )
    for k, layer in enumerate(params):
        rows, cols = sizes[k], sizes[k + 1]
        if len(layer.W) != rows or any(len(r) != cols for r in layer.W):
            raise InvalidValueError(f"params[{k}].W: wrong shape; allowed: {rows} rows of {cols} numbers")
        if len(layer.b) != cols:
            raise InvalidValueError(f"params[{k}].b: wrong length; allowed: exactly {cols} numbers")


def network(req: PlaygroundNetwork) -> tuple[engine.Network, int]:
    """The request's network (its params, or the seeded start) and the step it is at."""
    sizes = req.sizes()
    kwargs = dict(problem=req.problem, regularization=req.regularization, rate=req.regularization_rate,
                  weight_limit=WEIGHT_LIMIT)
    if req.params is not None:
        _check_params(req.params, sizes)
        return engine.Network(sizes, req.activation, params=[(l.W, l.b) for l in req.params], **kwargs), req.step
    return engine.Network(sizes, req.activation, seed=req.seed, **kwargs), 0


def _metrics(net, X, y) -> tuple[float | None, float | None]:
    """Loss and accuracy on (X, y); None for both when the set is empty (a tiny custom dataset)."""
    if len(y) == 0:
        return None, None
    return net.evaluate(X, y)


def swinging(history: list[dict]) -> bool:
    """Whether the training loss swings: it jumped up ``SWING_JUMPS`` times (see the constants) in this history.

    Gradient descent with a fitting learning rate mostly goes down (a minibatch
    step may undo a little); one with too large a rate overshoots the valley
    and the loss leaps up again and again (on the simplest network: |1 − lr·C″| > 1).
    """
    losses = [h["train_loss"] for h in history if h["train_loss"] is not None]
    jumps = sum(1 for a, b in zip(losses, losses[1:]) if b - a > SWING_RISE and b > SWING_RATIO * a)
    return jumps >= SWING_JUMPS


def _quantized(values: np.ndarray) -> dict:
    """A heat map as bytes: each value v becomes round(255·(v − lo)/(hi − lo)), base64-packed, with lo and hi."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo
    q = np.zeros(values.shape, np.uint8) if span <= 0 else np.rint((values - lo) * (255.0 / span)).astype(np.uint8)
    return {"lo": lo, "hi": hi, "q": base64.b64encode(q.tobytes()).decode("ascii")}


def extent_of(req: PlaygroundNetwork, X: np.ndarray) -> float:
    """The square drawn, [-extent, extent]²: a round number that holds every point.

    Clicked points live in the fixed square of the custom canvas, so the picture never jumps.
    """
    reach = float(np.max(np.abs(X))) if len(X) else 0.0
    if req.dataset in ("custom", "custom_regression") and reach <= CUSTOM_EXTENT:
        return CUSTOM_EXTENT
    return float(max(1.5, np.ceil(reach * 1.15 * 2) / 2))


def _grid(extent: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres of n × n cells covering [-extent, extent]², as (axis, points row by row from the bottom)."""
    axis = -extent + (np.arange(n) + 0.5) * (2 * extent / n)
    gx, gy = np.meshgrid(axis, axis)
    return axis, np.column_stack([gx.ravel(), gy.ravel()])


def train(req: PlaygroundRequest) -> dict:
    X, y = dataset(req)
    train_idx, test_idx = split(len(y), req.test_fraction, req.seed)
    Xtr, ytr, Xte, yte = X[train_idx], y[train_idx], X[test_idx], y[test_idx]
    Ftr, Fte = engine.features(Xtr, req.features), engine.features(Xte, req.features)
    net, start = network(req)

    every = max(1, req.steps // HISTORY_POINTS)
    history = []

    def record(step):
        train_loss, train_acc = _metrics(net, Ftr, ytr)
        test_loss, test_acc = _metrics(net, Fte, yte)
        history.append(
            {"step": step, "train_loss": train_loss, "test_loss": test_loss,
             "train_accuracy": train_acc, "test_accuracy": test_acc}
        )

    if req.params is None or req.steps == 0:
        record(start)
    diverged = False
    step = start
    for t in range(start, start + req.steps):
        idx = batch_indices(req, len(ytr), t)
        if not net.sgd_step(Ftr[idx], ytr[idx], req.learning_rate):
            diverged = True  # the step would have sent a weight past ±WEIGHT_LIMIT; the network stays as it was
            break
        step = t + 1
        if (step - start) % every == 0 or step == start + req.steps:
            record(step)
    if not history or history[-1]["step"] != step:  # stopped early (diverged): the network as it stayed
        record(step)

    # The pictures of the network as it is now.
    extent = extent_of(req, X)
    axis, cells = _grid(extent, req.grid)
    picture = net.predict(engine.features(cells, req.features)).reshape(req.grid, req.grid)
    grads = net.gradients(Ftr, ytr)
    answer = {
        "step": step,
        "diverged": diverged,
        "swinging": swinging(history),
        "problem": req.problem,
        "sizes": req.sizes(),
        "features": list(req.features),
        "params": [{"W": W.tolist(), "b": b.tolist()} for W, b in net.params()],
        "gradients": [{"W": np.abs(gW).tolist(), "b": np.abs(gb).tolist()} for gW, gb in grads],
        "gradient_norms": [float(np.sqrt(np.sum(gW**2) + np.sum(gb**2))) for gW, gb in grads],
        "history": history,
        "metrics": history[-1],
        "train_points": np.column_stack([Xtr, ytr]).tolist(),
        "test_points": np.column_stack([Xte, yte]).tolist(),
        "boundary": {"x": axis.tolist(), "y": axis.tolist(), "p": picture.tolist(), "extent": extent},
        "engine": engine.NAME,
        "max_steps_per_call": req.max_steps_per_call(),
    }
    if req.neuron_grid:
        _, small = _grid(extent, req.neuron_grid)
        inputs = engine.features(small, req.features)
        answer["neurons"] = {
            "grid": req.neuron_grid,
            "features": [_quantized(inputs[:, k]) for k in range(inputs.shape[1])],
            "layers": [[_quantized(layer[:, j]) for j in range(layer.shape[1])] for layer in net.neuron_outputs(inputs)],
        }
    return answer


def read_csv(req: PointsCsvRequest) -> dict:
    """The points of CSV text, read by ``chainrule.csv_points`` within the playground's bounds."""
    points = csv_points.parse_points(
        req.csv, kind=req.problem, classes=engine.CLASSES, max_points=MAX_POINTS,
        coord_limit=COORD_LIMIT, target_limit=TARGET_LIMIT, source="csv",
    )
    return {"points": points.rows(), "count": len(points), "classes": points.classes, "problem": req.problem}

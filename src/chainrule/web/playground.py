"""The playground: train a small network on 2-D points, a few steps per request, with no server state.

A request carries everything: the data recipe (or the clicked points), the
network's shape, the optimiser settings, and, to continue, the weights of the
last answer and its step count. The answer carries the new weights and
everything the page draws: the decision boundary on a grid, train and test
loss and accuracy along the way, and each parameter's gradient.

Training is reproducible: the data and the split come from ``seed``; the
starting weights too; and the minibatch of step t is drawn from a generator
seeded with (seed, t). So a shared link (settings + step count) retrains to
exactly the network its sender saw, however the steps were split into calls.

The numbers come from ``engine.py``: chainrule's own data, nn, losses and optim.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidValueError
from . import engine
from .api_models import PlaygroundRequest

# How many points of the loss curves one call returns at most (plus the last one).
HISTORY_POINTS = 25
# The square the page lets the learner click points into: [-2, 2]².
CUSTOM_EXTENT = 2.0


def _dataset(req: PlaygroundRequest) -> tuple[np.ndarray, np.ndarray]:
    if req.dataset == "custom":
        if len(req.points) < 2 or len({p[2] for p in req.points}) < 2:
            raise InvalidValueError(
                "points: the custom dataset needs points of both classes; allowed: 2 to 2000 points [x, y, class]"
            )
        X = np.array([[p[0], p[1]] for p in req.points], dtype=float)
        y = np.array([p[2] for p in req.points], dtype=np.int64)
        return X, y
    return engine.make_dataset(req.dataset, req.n_points, req.noise, req.seed)


def _split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test points: a seeded shuffle, the last ``fraction`` kept for testing."""
    order = np.random.default_rng([seed, 2]).permutation(n)
    n_test = min(int(math.floor(fraction * n)), n - 1)
    return order[: n - n_test], order[n - n_test:]


def _check_params(params: list, sizes: list[int]) -> None:
    """The weights sent back must fit the network described by ``layers``."""
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


def _metrics(net, X, y) -> tuple[float | None, float | None]:
    """Loss and accuracy on (X, y); None for both when the set is empty (a tiny custom dataset)."""
    if len(y) == 0:
        return None, None
    return net.evaluate(X, y)


def train(req: PlaygroundRequest) -> dict:
    X, y = _dataset(req)
    train_idx, test_idx = _split(len(y), req.test_fraction, req.seed)
    Xtr, ytr, Xte, yte = X[train_idx], y[train_idx], X[test_idx], y[test_idx]
    sizes = [2, *req.layers, engine.CLASSES]  # 2 inputs (x, y), one logit per class

    if req.params is not None:
        _check_params(req.params, sizes)
        net = engine.Network(sizes, req.activation, params=[(layer.W, layer.b) for layer in req.params])
        start = req.step
    else:
        net = engine.Network(sizes, req.activation, seed=req.seed)
        start = 0

    every = max(1, req.steps // HISTORY_POINTS)
    history = []

    def record(step):
        train_loss, train_acc = _metrics(net, Xtr, ytr)
        test_loss, test_acc = _metrics(net, Xte, yte)
        history.append(
            {"step": step, "train_loss": train_loss, "test_loss": test_loss,
             "train_accuracy": train_acc, "test_accuracy": test_acc}
        )

    if req.params is None or req.steps == 0:
        record(start)
    batch = min(req.batch_size, len(ytr))
    diverged = False
    step = start
    for t in range(start, start + req.steps):
        idx = np.random.default_rng([req.seed, 3, t]).choice(len(ytr), size=batch, replace=False)
        if not net.sgd_step(Xtr[idx], ytr[idx], req.learning_rate):
            diverged = True  # the step would have made a weight infinite; the network stays as it was
            break
        step = t + 1
        if (step - start) % every == 0 or step == start + req.steps:
            record(step)

    # The pictures of the network as it is now.
    # The square drawn: [-extent, extent]², a round number that holds every point. Clicked
    # points live in the fixed square of the custom canvas, so the picture never jumps.
    reach = float(np.max(np.abs(X))) if len(X) else 0.0
    if req.dataset == "custom" and reach <= CUSTOM_EXTENT:
        extent = CUSTOM_EXTENT
    else:
        extent = float(max(1.5, np.ceil(reach * 1.15 * 2) / 2))
    axis = -extent + (np.arange(req.grid) + 0.5) * (2 * extent / req.grid)  # the centres of grid × grid cells
    gx, gy = np.meshgrid(axis, axis)
    probs = net.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(req.grid, req.grid)
    grads = net.gradients(Xtr, ytr)
    last = history[-1]
    return {
        "step": step,
        "diverged": diverged,
        "sizes": sizes,
        "params": [{"W": W.tolist(), "b": b.tolist()} for W, b in net.params()],
        "gradients": [{"W": np.abs(gW).tolist(), "b": np.abs(gb).tolist()} for gW, gb in grads],
        "gradient_norms": [float(np.sqrt(np.sum(gW**2) + np.sum(gb**2))) for gW, gb in grads],
        "history": history,
        "metrics": last,
        "train_points": np.column_stack([Xtr, ytr]).tolist(),
        "test_points": np.column_stack([Xte, yte]).tolist(),
        "boundary": {"x": axis.tolist(), "y": axis.tolist(), "p": probs.tolist(), "extent": extent},
        "engine": engine.NAME,
        "max_steps_per_call": req.max_steps_per_call(),
    }

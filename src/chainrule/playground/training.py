"""A few steps of the playground's training, and what it shows of the network afterwards.

From a ``Setup`` (the data, the network, the settings, the weights and step
reached so far), ``train`` takes ``steps`` steps of minibatch gradient
descent, recording the training and test loss (and accuracy) along the way,
and returns the network as it is then: its answer on a grid of the plane (the
decision boundary: each class's probability at each cell; or the fitted
surface), each parameter's gradient on all the training points (signed, as
gradient descent reads it: w ← w − lr·∂C/∂w), and, when asked, each neuron's
output on a grid.

A step that would send a weight past the setup's ``weight_limit`` is not
taken: training stops there and says so (``diverged``), with the network as
it was. A loss that *swings* (``swinging``) says the learning rate is too
large: gradient descent with a fitting rate mostly goes down, one with too
large a rate overshoots the valley and the loss leaps up again and again (on
the video's network: |1 − lr·C″| > 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InvalidValueError
from .features import features
from .network import Network, network
from .points import batch_indices, points, split
from .setup import Setup

__all__ = ["Record", "Training", "train", "swinging", "extent_of", "grid", "HISTORY_POINTS", "CUSTOM_EXTENT"]

# How many points of the loss curves one call records at most (plus the last one).
HISTORY_POINTS = 25
# The square your own points are placed in: [-2, 2]².
CUSTOM_EXTENT = 2.0
# A loss that swings: within one call the training loss jumped up SWING_JUMPS times or more, each time
# by more than SWING_RISE and to more than SWING_RATIO times what it was (minibatch noise wobbles far less).
SWING_JUMPS = 3
SWING_RISE = 0.3
SWING_RATIO = 1.5


@dataclass(frozen=True)
class Record:
    """One point of the loss curves: after ``step`` steps, the mean data loss (and accuracy) on each set.

    None where a set is empty (a tiny data set of your own), and the accuracies for regression.
    """

    step: int
    train_loss: float | None
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Training:
    """What ``train`` returns: the network after the steps, and everything the playground shows of it.

    ``history``: the loss curves (``Record``\\ s); ``train_points`` and ``test_points``: (X, y) of each set;
    ``axis``: the centres of the grid's cells along x₁ (and x₂), over [-extent, extent]; ``boundary``: the
    network's answer at each cell (rows from the bottom), P(class 1) or the value; ``probabilities``: for a
    classification, every class's probability at each cell (rows, columns, classes); ``gradients``: (∂/∂W, ∂/∂b)
    of each layer, on all the training points; ``neuron_inputs`` and ``neuron_outputs``: with a ``neuron_grid``,
    each feature and each neuron's output at the cells of that coarser grid (None without).
    """

    network: Network
    step: int
    diverged: bool
    history: list[Record]
    train_points: tuple[np.ndarray, np.ndarray]
    test_points: tuple[np.ndarray, np.ndarray]
    extent: float
    axis: np.ndarray
    boundary: np.ndarray
    gradients: list[tuple[np.ndarray, np.ndarray]]
    probabilities: np.ndarray | None = None
    neuron_inputs: np.ndarray | None = None
    neuron_outputs: list[np.ndarray] | None = None

    @property
    def swinging(self) -> bool:
        """Whether the training loss swung in these steps (``swinging``): a learning rate too large."""
        return swinging([r.train_loss for r in self.history])

    @property
    def gradient_norms(self) -> list[float]:
        """Each layer's gradient length, √(Σ(∂C/∂w)² + Σ(∂C/∂b)²)."""
        return [float(np.sqrt(np.sum(gW**2) + np.sum(gb**2))) for gW, gb in self.gradients]


def swinging(losses) -> bool:
    """Whether a training loss swings: it jumped up ``SWING_JUMPS`` times (see the constants) in ``losses``.

    Losses that are None (no training points to measure) are skipped.
    """
    losses = [x for x in losses if x is not None]
    jumps = sum(1 for a, b in zip(losses, losses[1:]) if b - a > SWING_RISE and b > SWING_RATIO * a)
    return jumps >= SWING_JUMPS


def extent_of(setup: Setup, X: np.ndarray) -> float:
    """The square drawn, [-extent, extent]²: a round number that holds every point.

    Points of your own live in the fixed square of the custom canvas, so the picture never jumps.
    """
    reach = float(np.max(np.abs(X))) if len(X) else 0.0
    if setup.dataset in ("custom", "custom_regression") and reach <= CUSTOM_EXTENT:
        return CUSTOM_EXTENT
    return float(max(1.5, np.ceil(reach * 1.15 * 2) / 2))


def grid(extent: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres of n × n cells covering [-extent, extent]², as (axis, points row by row from the bottom)."""
    axis = -extent + (np.arange(n) + 0.5) * (2 * extent / n)
    gx, gy = np.meshgrid(axis, axis)
    return axis, np.column_stack([gx.ravel(), gy.ravel()])


def _metrics(net: Network, X, y) -> tuple[float | None, float | None]:
    """Loss and accuracy on (X, y); None for both when the set is empty (a tiny custom dataset)."""
    if len(y) == 0:
        return None, None
    return net.evaluate(X, y)


def train(setup: Setup, steps: int, resolution: int = 40, neuron_grid: int = 0,
          history_points: int = HISTORY_POINTS) -> Training:
    """``steps`` steps from the setup's weights (or its seeded start), then the pictures of the network.

    ``resolution``: the boundary's grid is ``resolution`` × ``resolution`` cells; ``neuron_grid``: each neuron's
    own picture has that many cells a side (0: none); ``history_points``: how many points of the loss curves
    these steps record at most, evenly spaced, the last step always among them (1: the last step alone, as a
    frame of an animation records it).
    """
    for name, value, low in (("steps", steps, 0), ("resolution", resolution, 1), ("neuron_grid", neuron_grid, 0),
                             ("history_points", history_points, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidValueError(f"{name} = {value!r}: allowed: a whole number >= {low}")
    X, y = points(setup)
    train_idx, test_idx = split(len(y), setup.test_fraction, setup.seed)
    Xtr, ytr, Xte, yte = X[train_idx], y[train_idx], X[test_idx], y[test_idx]
    Ftr, Fte = features(Xtr, setup.features), features(Xte, setup.features)
    net, start = network(setup)

    every = max(1, steps // history_points)
    history: list[Record] = []

    def record(step):
        train_loss, train_acc = _metrics(net, Ftr, ytr)
        test_loss, test_acc = _metrics(net, Fte, yte)
        history.append(Record(step, train_loss, test_loss, train_acc, test_acc))

    if setup.params is None or steps == 0:
        record(start)
    diverged = False
    step = start
    for t in range(start, start + steps):
        idx = batch_indices(setup, len(ytr), t)
        if not net.sgd_step(Ftr[idx], ytr[idx], setup.learning_rate):
            diverged = True  # the step would have sent a weight past the limit; the network stays as it was
            break
        step = t + 1
        if (step - start) % every == 0 or step == start + steps:
            record(step)
    if not history or history[-1].step != step:  # stopped early (diverged): the network as it stayed
        record(step)

    extent = extent_of(setup, X)
    axis, cells = grid(extent, resolution)
    inputs = features(cells, setup.features)
    probabilities = None
    if setup.problem == "regression":
        boundary = net.predict(inputs).reshape(resolution, resolution)
    else:
        probabilities = net.probabilities(inputs).reshape(resolution, resolution, -1)
        boundary = probabilities[:, :, 1]
    result = Training(net, step, diverged, history, (Xtr, ytr), (Xte, yte), extent, axis, boundary,
                      net.gradients(Ftr, ytr), probabilities)
    if neuron_grid:
        _, small = grid(extent, neuron_grid)
        result.neuron_inputs = features(small, setup.features)
        result.neuron_outputs = net.neuron_outputs(result.neuron_inputs)
    return result

"""The playground's points, its split into training and test points, and the minibatch of each step.

* the points: ``chainrule.data.make_2d`` (moons, circles, xor, spiral; seeded)
  for two classes, ``make_classes`` for more (three spiral arms, four blobs),
  two surfaces for regression (``make_surface``), or your own
  (``Setup.points``, ``Setup.values``);
* the split: a seeded shuffle, the last ``test_fraction`` kept for testing;
* the minibatch of step t: drawn from a generator seeded with (seed, t) alone.

So training is reproducible however it is cut into calls: the data and the
split come from the seed, and so does every step's batch; a shared link
(settings + step count) retrains to exactly the network its sender saw.
"""

from __future__ import annotations

import math

import numpy as np

from ..data import make_2d
from ..errors import InvalidValueError
from .setup import DATASET_CLASSES, Setup

__all__ = ["SURFACES", "GAUSSIANS", "GAUSSIAN_WIDTH", "BLOB_CENTRES", "BLOB_WIDTH", "make_dataset", "make_classes",
           "make_surface", "points", "split", "batch_indices"]

# The regression surfaces: y = f(x₁, x₂) on the square [-1, 1]².
SURFACES = ("plane", "gaussians")
# The bumps of "gaussians": (centre x₁, centre x₂, height); each of width GAUSSIAN_WIDTH.
GAUSSIANS = ((-0.5, 0.5, 1.0), (0.5, 0.5, -1.0), (-0.5, -0.5, -1.0), (0.5, -0.5, 1.0), (0.0, 0.0, 0.6))
GAUSSIAN_WIDTH = 0.3
# The four blobs of "blobs": class k is a round cloud of standard deviation BLOB_WIDTH around centre k.
BLOB_CENTRES = ((-0.6, 0.6), (0.6, 0.6), (0.6, -0.6), (-0.6, -0.6))
BLOB_WIDTH = 0.25


def make_dataset(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded 2-D points: labels 0 and 1 (classification), or target values (the surfaces)."""
    if name in SURFACES:
        return make_surface(name, n, noise, seed)
    if name in DATASET_CLASSES:
        return make_classes(name, n, noise, seed)
    X, y = make_2d(name, n, noise, seed)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def make_classes(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded points of several classes (as even as n allows), plus Gaussian noise of standard deviation ``noise``.

    * spiral3: three arms r = t/(3π), angle t + 2πk/3 for class k (t from 3π/4 to 3π): the two-arm spiral's
      arms, one more, each turned by a third of a circle;
    * blobs: four round clouds (``BLOB_CENTRES``, ``BLOB_WIDTH``), one per class.
    """
    classes = DATASET_CLASSES[name]
    rng = np.random.default_rng([int(seed), 5])
    labels = np.arange(n, dtype=np.int64) % classes
    if name == "spiral3":
        t = rng.uniform(0.25, 1, n) * 3 * np.pi
        angle = t + 2 * np.pi * labels / classes
        X = np.c_[t * np.cos(angle), t * np.sin(angle)] / (3 * np.pi)
    else:
        X = np.asarray(BLOB_CENTRES)[labels] + rng.normal(0, BLOB_WIDTH, (n, 2))
    return X + rng.normal(0, noise, X.shape), labels


def make_surface(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]² and their target value, plus Gaussian noise of standard deviation ``noise``/2.

    * plane: y = (x₁ + x₂)/2, a slope from −1 to 1;
    * gaussians: y = Σ hₖ·exp(−|x − cₖ|²/(2s²)), bumps of heights ±1 (``GAUSSIANS``).
    """
    rng = np.random.default_rng([int(seed), 4])
    X = rng.uniform(-1, 1, (n, 2))
    if name == "plane":
        y = (X[:, 0] + X[:, 1]) / 2
    else:
        y = np.zeros(n)
        for cx, cy, height in GAUSSIANS:
            y += height * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / (2 * GAUSSIAN_WIDTH ** 2))
    return X, y + rng.normal(0, noise / 2, n)


def points(setup: Setup) -> tuple[np.ndarray, np.ndarray]:
    """The points (coordinates) and their labels or target values."""
    if setup.dataset == "custom":
        if len(setup.points) < 2 or len({p[2] for p in setup.points}) < 2:
            raise InvalidValueError(
                "points: the custom dataset needs points of two classes or more; allowed: 2 or more points [x, y, class]"
            )
        X = np.array([[p[0], p[1]] for p in setup.points], dtype=float)
        y = np.array([p[2] for p in setup.points], dtype=np.int64)
        return X, y
    if setup.dataset == "custom_regression":
        if len(setup.values) < 2:
            raise InvalidValueError(
                "values: the custom regression dataset needs at least 2 points; allowed: 2 or more points [x, y, value]"
            )
        return (np.array([[p[0], p[1]] for p in setup.values], dtype=float),
                np.array([p[2] for p in setup.values], dtype=float))
    return make_dataset(setup.dataset, setup.n_points, setup.noise, setup.seed)


def split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test points: a seeded shuffle, the last ``fraction`` kept for testing."""
    order = np.random.default_rng([seed, 2]).permutation(n)
    n_test = min(int(math.floor(fraction * n)), n - 1)
    return order[: n - n_test], order[n - n_test:]


def batch_indices(setup: Setup, n_train: int, step: int) -> np.ndarray:
    """The training points of step ``step`` (drawn from a generator seeded with (seed, step) alone)."""
    batch = min(setup.batch_size, n_train)
    return np.random.default_rng([setup.seed, 3, step]).choice(n_train, size=batch, replace=False)

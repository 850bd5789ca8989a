"""The networks ``chainrule train --model`` builds, each from a few numbers: an MLP, a convolutional net, a GRU.

* ``mlp``: dense layers (``nn.MLP``); reads each example as one row of
  features. Fits every dataset.
* ``cnn``: convolutional layers, each a ``Conv1d`` (stride 1, padding
  that keeps the length), its activation and a ``MaxPool1d(2)`` that
  halves the length, then ``Flatten`` and one ``Linear`` to the classes.
  The first kernel has 5 taps, the others 3. ``sizes`` are the channels
  of each convolution: [32, 32, 32] is the 3-layer, 32-channel net of the
  MNIST-1D benchmarks. A kernel sees a few neighbouring samples and the
  same kernel is used at every position, so the net finds a pattern
  wherever in the signal it lies: what an MLP cannot do (68% on MNIST-1D,
  the CNN about 95%).
* ``gru``: a ``GRU`` reading the signal one sample per step, then one
  ``Linear`` from its last state to the classes. ``sizes`` are the units
  of each recurrent layer (several are stacked, each reading the states
  of the one before).

The convolutional and recurrent nets read a dataset's examples as
sequences: ``sequence_shape`` (steps, features per step), (40, 1) for
MNIST-1D. Every weight is drawn from one seeded Generator, so a seed gives
one network.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import nn
from .convolution import output_length
from .errors import InvalidValueError

__all__ = ["MODELS", "SUMMARIES", "mlp", "cnn", "gru", "build", "parameter_shapes", "parameter_count", "describe"]

MODELS = ("mlp", "cnn", "gru")

SUMMARIES = {
    "mlp": "dense layers (sizes: the hidden layers' neurons)",
    "cnn": "Conv1d + activation + MaxPool1d(2) per size (sizes: each convolution's channels), then Linear",
    "gru": "GRU layers reading one sample per step (sizes: each layer's units), then Linear from the last state",
}

# (kernel_size, padding) of the first convolution and of the others: "same" padding, the length only halves in the pools
_FIRST_KERNEL, _KERNEL = (5, 2), (3, 1)


def _sizes(what: str, sizes: Sequence[int]) -> list[int]:
    sizes = list(sizes)
    if not sizes:
        raise InvalidValueError(f"{what}: needs at least one layer (sizes is empty)")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InvalidValueError(f"{what}: every size must be a whole number >= 1, got {sizes}")
    return [int(n) for n in sizes]


def mlp(n_features: int, n_classes: int, sizes: Sequence[int], activation: str = "relu", seed=0,
        dtype=np.float32) -> nn.MLP:
    """``nn.MLP([n_features, *sizes, n_classes], activation)``."""
    return nn.MLP([n_features, *sizes, n_classes], activation, seed=seed, dtype=dtype)


def _cnn_plan(sequence_shape: tuple[int, int], sizes: list[int]) -> tuple[list[tuple[int, int, int, int]], int]:
    """([(in_channels, out_channels, kernel_size, padding) per convolution], positions left after the last pool)."""
    length, channels = sequence_shape
    plan = []
    for k, c_out in enumerate(sizes):
        kernel, padding = _FIRST_KERNEL if k == 0 else _KERNEL
        length = output_length(output_length(length, kernel, 1, padding), 2, 2)  # the convolution, then MaxPool1d(2)
        if length < 1:
            raise InvalidValueError(f"cnn: {len(sizes)} convolutional layers halve a signal of {sequence_shape[0]} samples "
                                    f"to nothing; at most {_most_layers(sequence_shape[0])} fit")
        plan.append((channels, c_out, kernel, padding))
        channels = c_out
    return plan, length


def cnn(sequence_shape: tuple[int, int], n_classes: int, sizes: Sequence[int] = (32, 32, 32), activation: str = "relu",
        seed=0, dtype=np.float32) -> nn.Sequential:
    """Reshape to (L, C), then per size: Conv1d (5 taps first, then 3; length kept), activation, MaxPool1d(2); Flatten; Linear."""
    sizes = _sizes("cnn", sizes)
    if activation not in ("relu", "tanh", "sigmoid"):
        raise InvalidValueError(f"cnn: activation must be one of relu, tanh, sigmoid, got {activation!r}")
    plan, length = _cnn_plan(sequence_shape, sizes)
    rng = nn._rng(seed)
    activation_module = nn._ACTIVATION_MODULES[activation]
    layers: list[nn.Module] = [nn.Reshape(*sequence_shape)]
    for c_in, c_out, kernel, padding in plan:
        layers += [nn.Conv1d(c_in, c_out, kernel, padding=padding, seed=rng, dtype=dtype), activation_module(),
                   nn.MaxPool1d(2)]
    layers += [nn.Flatten(), nn.Linear(length * sizes[-1], n_classes, seed=rng, dtype=dtype)]
    return nn.Sequential(*layers)


def _most_layers(length: int) -> int:
    n = 0
    while True:
        kernel, padding = _FIRST_KERNEL if n == 0 else _KERNEL
        length = output_length(output_length(length, kernel, 1, padding), 2, 2)
        if length < 1:
            return n
        n += 1


def gru(sequence_shape: tuple[int, int], n_classes: int, sizes: Sequence[int] = (64,), seed=0,
        dtype=np.float32) -> nn.Sequential:
    """Reshape to (T, F), then one GRU per size (all but the last hand on every state), then Linear from the last state."""
    sizes = _sizes("gru", sizes)
    steps, features = sequence_shape
    rng = nn._rng(seed)
    layers: list[nn.Module] = [nn.Reshape(steps, features)]
    for k, units in enumerate(sizes):
        layers.append(nn.GRU(features, units, return_sequence=k < len(sizes) - 1, seed=rng, dtype=dtype))
        features = units
    layers.append(nn.Linear(features, n_classes, seed=rng, dtype=dtype))
    return nn.Sequential(*layers)


def build(model: str, n_features: int, n_classes: int, sizes: Sequence[int], activation: str = "relu",
          sequence_shape: tuple[int, int] | None = None, seed=0, dtype=np.float32) -> nn.Module:
    """The network ``model`` ("mlp", "cnn" or "gru") for examples of ``n_features`` numbers and ``n_classes`` classes.

    ``sequence_shape`` (steps, features) is how the cnn and gru read an
    example; None for a dataset that is no sequence (then only the mlp fits).
    """
    if model == "mlp":
        return mlp(n_features, n_classes, sizes, activation, seed, dtype)
    if model not in MODELS:
        raise InvalidValueError(f"model {model!r} is not one of {', '.join(MODELS)}")
    if sequence_shape is None:
        raise InvalidValueError(f"the {model} model reads sequences; this dataset's examples are not one (use the mlp)")
    if sequence_shape[0] * sequence_shape[1] != n_features:
        raise InvalidValueError(f"sequence shape {tuple(sequence_shape)} does not hold the {n_features} features of an example")
    if model == "cnn":
        return cnn(sequence_shape, n_classes, sizes, activation, seed, dtype)
    return gru(sequence_shape, n_classes, sizes, seed, dtype)


def parameter_shapes(model: str, n_features: int, n_classes: int, sizes: Sequence[int],
                     sequence_shape: tuple[int, int] | None = None) -> list[tuple[int, ...]]:
    """The shape of every parameter ``build`` would make, in order, without making anything.

    For checking a network's size (a setting, a checkpoint's declared
    network) before any weight is allocated: it follows ``build``'s layer
    plan layer by layer (tests/test_models.py checks that the two agree).
    """
    sizes = _sizes(model, sizes) if model != "mlp" else list(sizes)
    if model == "mlp":
        widths = [n_features, *sizes, n_classes]
        return [shape for a, b in zip(widths[:-1], widths[1:]) for shape in ((a, b), (b,))]
    if model not in MODELS:
        raise InvalidValueError(f"model {model!r} is not one of {', '.join(MODELS)}")
    if sequence_shape is None:
        raise InvalidValueError(f"the {model} model reads sequences; this dataset's examples are not one (use the mlp)")
    shapes: list[tuple[int, ...]] = []
    if model == "cnn":
        plan, length = _cnn_plan(sequence_shape, sizes)
        for c_in, c_out, kernel, _ in plan:
            shapes += [(kernel, c_in, c_out), (c_out,)]
        return shapes + [(length * sizes[-1], n_classes), (n_classes,)]
    channels = sequence_shape[1]
    for units in sizes:
        shapes += [(channels, 3 * units), (units, 3 * units), (3 * units,), (3 * units,)]
        channels = units
    return shapes + [(channels, n_classes), (n_classes,)]


def parameter_count(model: str, n_features: int, n_classes: int, sizes: Sequence[int],
                    sequence_shape: tuple[int, int] | None = None) -> int:
    """How many weights and biases ``build`` would make (``parameter_shapes``, multiplied out and added up)."""
    return sum(int(np.prod(s, dtype=np.int64)) for s in parameter_shapes(model, n_features, n_classes, sizes, sequence_shape))


def describe(model: str, n_features: int, n_classes: int, sizes: Sequence[int], activation: str | None) -> str:
    """One phrase for a run's header: 'MLP [40, 512, 512, 10] relu', 'CNN 32-32-32 channels relu', 'GRU 64 units'."""
    if model == "mlp":
        return f"MLP {[n_features, *sizes, n_classes]} {activation}"
    if model == "cnn":
        return f"CNN {'-'.join(map(str, sizes))} channels {activation}"
    return f"GRU {'-'.join(map(str, sizes))} units"

"""What the playground trains, declared once: the data, the features, the network, the settings, where it stands.

A ``Setup`` carries everything a few steps of training need: the data recipe
(or your own points), the features the network reads, its hidden layers and
activation, the optimiser's and the regularization's settings, and, to
continue, the weights reached so far and the step count. Nothing else is
kept anywhere: plain SGD (no momentum) has no state of its own, so the
weights alone are the whole training state, and the same setup always
trains to the same network.

The problem follows from the data: points of two or more classes
(classification: the network gives one logit per class, and softmax turns
them into probabilities, trained by their cross-entropy) or points with a
value (regression: the network gives one number, fitted by the video's
squared error). Each hidden layer has its own activation (``activations``;
one name for all of them by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidValueError
from ..params import Param, Params
from .features import FEATURES

__all__ = ["Setup", "CLASSIFICATION_SETS", "REGRESSION_SETS", "ACTIVATIONS", "REGULARIZATIONS", "CLASSES",
           "MAX_CLASSES", "DATASET_CLASSES", "problem_of", "classes_of", "network_sizes"]

# The data sets: generated ones by name (chainrule.data.make_2d, the playground's own several-class sets, or a
# surface), and your own points.
CLASSIFICATION_SETS = ("moons", "circles", "xor", "spiral", "spiral3", "blobs", "custom")
REGRESSION_SETS = ("plane", "gaussians", "custom_regression")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
# l2 adds λ·½Σw² to the loss, l1 adds λ·Σ|w| (over the weights, not the biases)
REGULARIZATIONS = ("none", "l1", "l2")
# Classification has two classes, 0 and 1, unless the data set has more: one logit per class.
CLASSES = 2
# The several-class data sets and their classes (``points.py`` makes them); the others have CLASSES.
DATASET_CLASSES = {"spiral3": 3, "blobs": 4}
# Your own points may be labelled 0 to MAX_CLASSES − 1: the network gets one logit per class up to the largest.
MAX_CLASSES = 4

# The settings that are one number or one choice, each with what the library accepts (the explorer's requests
# are bounded more tightly still, by the work one request may ask for: ``web.api_models``).
SETTINGS = Params(
    Param("dataset", "moons", "the points", kind="choice", choices=CLASSIFICATION_SETS + REGRESSION_SETS),
    Param("n_points", 200, "how many points to generate", kind="int", low=2),
    Param("noise", 0.1, "how noisy the generated points are", low=0),
    Param("seed", 0, "seeds the data, the split, the weights and the batches", kind="int", low=0),
    Param("test_fraction", 0.3, "share of the points kept for testing", low=0, high=1, high_open=True),
    Param("activation", "tanh", "the hidden layers' activation", kind="choice", choices=ACTIVATIONS),
    Param("learning_rate", 0.1, "the learning rate lr", low=0, low_open=True),
    Param("batch_size", 32, "points in one training batch", kind="int", low=1),
    Param("regularization", "none", "the penalty on the weights", kind="choice", choices=REGULARIZATIONS),
    Param("regularization_rate", 0.0, "the regularization rate λ", low=0),
    Param("step", 0, "steps already taken", kind="int", low=0),
)
# How far a weight may go, when a limit is set: a step past it is not taken.
WEIGHT_LIMIT = Param("weight_limit", None, "the largest |weight| a step may reach", low=0, low_open=True)


def problem_of(dataset: str) -> str:
    """A dataset's problem: 'regression' for the surfaces and valued points, else 'classification'."""
    return "regression" if dataset in REGRESSION_SETS else "classification"


def classes_of(dataset: str, points=()) -> int:
    """How many classes a classification data set has: its own count, or for your points the largest label + 1
    (at least 2); 0 for regression (no classes)."""
    if problem_of(dataset) == "regression":
        return 0
    if dataset == "custom":
        return max([CLASSES] + [int(p[2]) + 1 for p in points])
    return DATASET_CLASSES.get(dataset, CLASSES)


def network_sizes(features: int, layers, problem: str, classes: int = CLASSES) -> list[int]:
    """Neurons per layer: the features, the hidden layers, then one logit per class (classification) or 1 value."""
    return [features, *layers, 1 if problem == "regression" else classes]


@dataclass(frozen=True)
class Setup:
    """A 2-D problem and a network at some step (see the module docstring); checked when it is made.

    ``points``: the rows (x₁, x₂, class) of the "custom" data set, classes 0 to
    ``MAX_CLASSES`` − 1; ``values``: the rows (x₁, x₂, target) of
    "custom_regression". ``activations``: one activation per hidden layer (empty:
    ``activation`` for every one). ``params``: the network
    to continue from, one (W, b) per layer (W has a row per input and a column
    per neuron), or None for the seeded start at step 0. ``weight_limit``: a
    step that would send a weight past ±limit is not taken (the explorer's
    answers must stay numbers a client can send back); None: no limit.
    """

    dataset: str = "moons"
    points: tuple = ()
    values: tuple = ()
    n_points: int = 200
    noise: float = 0.1
    seed: int = 0
    test_fraction: float = 0.3
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    activations: tuple[str, ...] = ()
    learning_rate: float = 0.1
    batch_size: int = 32
    regularization: str = "none"
    regularization_rate: float = 0.0
    step: int = 0
    params: tuple | None = None
    weight_limit: float | None = None

    def __post_init__(self):
        SETTINGS.resolve({name: vars(self)[name] for name in SETTINGS.names()})
        if self.weight_limit is not None:
            WEIGHT_LIMIT.check(self.weight_limit)
        if not self.features or len(set(self.features)) != len(self.features) \
                or any(name not in FEATURES for name in self.features):
            raise InvalidValueError(f"features = {list(self.features)!r}: allowed: 1 to {len(FEATURES)} different "
                                    f"names of {', '.join(FEATURES)}")
        for k, n in enumerate(self.layers):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise InvalidValueError(f"layers[{k}] = {n!r}: allowed: a whole number of neurons >= 1")
        for name, rows in (("points", self.points), ("values", self.values)):
            for k, row in enumerate(rows):
                if len(row) != 3:
                    raise InvalidValueError(f"{name}[{k}] = {row!r}: allowed: [x, y, label]")
        for k, row in enumerate(self.points):
            if row[2] not in range(MAX_CLASSES) or isinstance(row[2], bool):
                raise InvalidValueError(f"points[{k}]: class {row[2]!r}; allowed: a whole number from 0 to {MAX_CLASSES - 1}")
        if self.activations:
            if len(self.activations) != len(self.layers):
                raise InvalidValueError(f"activations = {list(self.activations)!r}: allowed: one per hidden layer "
                                        f"({len(self.layers)}), or none for '{self.activation}' in every one")
            for k, name in enumerate(self.activations):
                if name not in ACTIVATIONS:
                    raise InvalidValueError(f"activations[{k}] = {name!r}: allowed: one of {', '.join(ACTIVATIONS)}")

    @property
    def problem(self) -> str:
        """'classification' or 'regression', from the data set."""
        return problem_of(self.dataset)

    @property
    def classes(self) -> int:
        """The classes of a classification (2 or more: the network's logits); 0 for regression."""
        return classes_of(self.dataset, self.points)

    def layer_activations(self) -> tuple[str, ...]:
        """Each hidden layer's activation, from the first hidden layer up."""
        return tuple(self.activations) if self.activations else (self.activation,) * len(self.layers)

    def sizes(self) -> list[int]:
        """Neurons per layer: the features, the hidden layers, then one logit per class (classification) or 1 value."""
        return network_sizes(len(self.features), self.layers, self.problem, self.classes)

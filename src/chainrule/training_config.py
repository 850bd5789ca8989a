"""The settings of a training run, each declared once with its bounds.

``TRAIN_PARAMS`` (``chainrule.params``) says what every setting accepts;
everything else is derived from it:

* ``chainrule train``'s options (``commands.options.add_params``);
* ``TrainConfig.resolved()``, the library's validation;
* the validation of a checkpoint's settings (``Trainer.resume``, used by
  ``chainrule train --resume`` and ``chainrule check FILE``): a value read
  from a file meets exactly the bounds a flag does, so a checkpoint cannot
  ask for 10⁹ epochs when ``--epochs`` stops at 100,000.

A list of hidden layer sizes is bounded twice: each size by ``LAYER_SIZE``,
their number by ``HIDDEN_LAYERS``; and the network as a whole by
``MAX_PARAMETERS`` (the largest network any setting or file can make chainrule
allocate). ``None`` in a ``TrainConfig`` means "the dataset's default"
(``data.DATASETS``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from . import data as _data
from . import models as _models
from .errors import InvalidValueError
from .nn import ACTIVATIONS
from .optim import OPTIMIZERS
from .params import Param, Params
from .schedules import SCHEDULES

__all__ = ["TRAIN_PARAMS", "LAYER_SIZE", "HIDDEN_LAYERS", "MAX_PARAMETERS", "TrainConfig"]

MAX_PARAMETERS = 20_000_000  # weights and biases of one network: 80 MB in float32, 160 MB in float64

LAYER_SIZE = Param("layer_size", None, "neurons in one hidden layer", kind="int", low=1, high=4096)
HIDDEN_LAYERS = Param("hidden_layers", None, "hidden layers", kind="int", low=0, high=8)

TRAIN_PARAMS = Params(
    Param("data", "digits", "the dataset", kind="choice", choices=tuple(_data.DATASETS)),
    Param("model", "mlp", "the network: " + "; ".join(f"{name}, {_models.SUMMARIES[name]}" for name in _models.MODELS)
          + "; " + "; ".join(f"{name} fits {', '.join(n for n, i in _data.DATASETS.items() if name in i.fitting_models())}"
                           for name in _models.MODELS), kind="choice", choices=_models.MODELS),
    Param("activation", None, "hidden activation (mlp, cnn); default: the dataset's", kind="choice",
          choices=tuple(ACTIVATIONS[:3])),
    Param("optimizer", None, "optimizer; default: the dataset's", kind="choice", choices=tuple(OPTIMIZERS)),
    Param("lr", None, "learning rate η; default: the dataset's", low=0, low_open=True, symbol="η"),
    Param("schedule", None, "learning-rate schedule over the epochs; default: the dataset's", kind="choice",
          choices=SCHEDULES),
    Param("average", None, "fraction of the last epochs whose weights are averaged into the reported network "
          "(stochastic weight averaging; 0: report the last epoch's weights); default: the dataset's", low=0, high=1),
    Param("clip", None, "gradient clipping: before each step, gradients longer than this (all of them as one vector) "
          "are scaled down to this length; 0: none; default: the dataset's", low=0, high=1e6),
    Param("momentum", None, "SGD momentum μ; default: the dataset's", low=0, high=1, high_open=True, symbol="μ"),
    Param("weight_decay", None, "weight decay λ; default: the dataset's", low=0, high=10, symbol="λ"),
    Param("batch_size", None, "mini-batch size; default: the dataset's", kind="int", low=1, high=1_000_000),
    Param("epochs", None, "epochs in total (with --resume: the new total); default: the dataset's", kind="int",
          low=0, high=100_000),
    Param("seed", 0, "seed for the weights, the batch order and the generated data", kind="int", low=0,
          high=2**32 - 1),
    Param("n_samples", None, f"number of points ({', '.join(_data.TWO_D)} only); default: the dataset's",
          kind="int", low=10, high=1_000_000, flags=("--samples",)),
    Param("noise", None, f"noise level ({', '.join(_data.TWO_D)} only); default: the dataset's", low=0, high=10),
    Param("test_fraction", None, "fraction of the data held out for testing; default 0.2 (mnist1d has a fixed "
          "4000/1000 split)", low=0, high=1, low_open=True, high_open=True),
    Param("dtype", "float32", "float type", kind="choice", choices=("float32", "float64")),
)

# the settings a dataset's defaults (for the chosen model) fill in when left out
_FROM_DATASET = ("layers", "activation", "optimizer", "lr", "schedule", "average", "clip", "momentum", "weight_decay",
                 "batch_size", "epochs")


def check_layers(layers) -> list[int]:
    """Hidden layer sizes checked against ``LAYER_SIZE`` and ``HIDDEN_LAYERS``."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, (list, tuple)):
        raise InvalidValueError(f"layers = {layers!r} is not a list of layer sizes; allowed: "
                                f"{HIDDEN_LAYERS.range_text()} hidden layers of {LAYER_SIZE.allowed()} neurons")
    HIDDEN_LAYERS.check(len(layers))
    out = []
    for k, n in enumerate(layers):
        try:
            out.append(LAYER_SIZE.check(n))
        except InvalidValueError as exc:
            raise InvalidValueError(str(exc).replace("layer_size", f"layers[{k}]", 1)) from None
    return out


@dataclass
class TrainConfig:
    """Everything that defines a training run. ``None`` means "the dataset's default" (see ``data.DATASETS``)."""

    data: str = TRAIN_PARAMS["data"].default
    model: str = TRAIN_PARAMS["model"].default  # mlp, cnn, gru (models.py)
    layers: list[int] | None = None      # the model's layer sizes, e.g. [128, 64]; [] for none (mlp only)
    activation: str | None = None        # relu, tanh, sigmoid
    optimizer: str | None = None         # sgd, adam
    lr: float | None = None
    schedule: str | None = None          # constant, cosine, step (schedules.py)
    average: float | None = None         # fraction of the last epochs averaged (averaging.py)
    clip: float | None = None            # gradient clipping: the longest gradient allowed; 0 for none
    momentum: float | None = None        # SGD only
    weight_decay: float | None = None
    batch_size: int | None = None
    epochs: int | None = None
    seed: int = TRAIN_PARAMS["seed"].default
    n_samples: int | None = None         # 2-D sets only
    noise: float | None = None           # 2-D sets only
    test_fraction: float | None = None
    dtype: str = TRAIN_PARAMS["dtype"].default

    def resolved(self) -> "TrainConfig":
        """A copy with every ``None`` replaced by the dataset's default and every value checked (``TRAIN_PARAMS``)."""
        data = self.data if _data.is_csv(self.data) else TRAIN_PARAMS["data"].check(self.data)  # or your own points
        info = _data.dataset_info(data)
        model = TRAIN_PARAMS["model"].check(self.model)
        d = info.recipe_for(model)[0]
        c = TrainConfig(**asdict(self))
        c.data, c.model = data, model
        if model == "gru" and c.activation is not None:
            raise InvalidValueError(f"activation applies to the mlp and cnn models, not to gru (its gates have their own: "
                                    f"σ and tanh); got activation {c.activation!r}")
        for name in _FROM_DATASET:
            if getattr(c, name) is None:
                setattr(c, name, d[name])
        if info.kind == "2d":
            c.n_samples = d["n_samples"] if c.n_samples is None else c.n_samples
            c.noise = d["noise"] if c.noise is None else c.noise
        else:
            for name in ("n_samples", "noise"):
                if getattr(c, name) is not None:
                    raise InvalidValueError(f"{name} applies to the 2-D datasets ({', '.join(_data.TWO_D)}), "
                                            f"not to {c.data}")
        if c.data == "mnist1d":
            if c.test_fraction is not None:
                raise InvalidValueError("test_fraction does not apply to mnist1d (it has a fixed 4000/1000 split)")
        elif c.test_fraction is None:
            c.test_fraction = d["test_fraction"]
        for p in TRAIN_PARAMS:
            value = getattr(c, p.name)
            if value is not None and not (p.name == "data" and _data.is_csv(value)):
                setattr(c, p.name, p.check(value))
        c.layers = check_layers(c.layers)
        if c.momentum and c.optimizer != "sgd":
            raise InvalidValueError(f"momentum applies to the sgd optimizer, not to {c.optimizer}")
        if c.model != "mlp" and not c.layers:
            raise InvalidValueError(f"the {c.model} model needs at least one layer size (--layers)")
        n = c.parameter_count()
        if n > MAX_PARAMETERS:
            raise InvalidValueError(f"the network {c.network_name()} has {n:,} parameters; at most "
                                    f"{MAX_PARAMETERS:,} are allowed")
        return c

    def network_sizes(self) -> list[int]:
        """[inputs, layer sizes..., classes]: known from the dataset's description, before any data is loaded."""
        info = _data.dataset_info(self.data)
        return [info.n_features, *(self.layers or []), info.n_classes]

    def parameter_shapes(self) -> list[tuple[int, ...]]:
        """The shape of every weight and bias of the network these settings declare, before anything is built."""
        info = _data.dataset_info(self.data)
        return _models.parameter_shapes(self.model, info.n_features, info.n_classes, self.layers or [],
                                        info.sequence_shape)

    def parameter_count(self) -> int:
        """How many weights and biases that network has."""
        return sum(int(np.prod(s, dtype=np.int64)) for s in self.parameter_shapes())

    def network_name(self) -> str:
        """How messages name the network: an MLP by its sizes ('[40, 512, 512, 10]'), the others by their description."""
        return str(self.network_sizes()) if self.model == "mlp" else self.network_description()

    def network_description(self) -> str:
        """'MLP [40, 512, 512, 10] relu', 'CNN 32-32-32 channels relu', 'GRU 64 units'."""
        info = _data.dataset_info(self.data)
        return _models.describe(self.model, info.n_features, info.n_classes, self.layers or [], self.activation)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> "TrainConfig":
        """The settings read from a file (not checked yet: ``resolved()`` checks them)."""
        if not isinstance(obj, dict):
            raise InvalidValueError(f"the training settings must be a JSON object, got {type(obj).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = set(obj) - names
        if unknown:
            raise InvalidValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return cls(**obj)

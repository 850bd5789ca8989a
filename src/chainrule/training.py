"""The training loop: data, a network, a cost, an optimizer, epochs.

One epoch, for each mini-batch (x, y) of the shuffled training set:

    z = network(x)                       forward: the scores
    C = cross_entropy(z, y)              the cost of this batch
    C.backward()                         backpropagation: dC/dw for every weight
    w ← w − η · dC/dw (or momentum, Adam) the optimizer's step

then the whole training and test sets are evaluated, without a graph. The
test set is never trained on: its accuracy is the honest measure.

``Trainer`` does this one epoch at a time (``train_epoch``), so the CLI,
the web explorer or a notebook can drive it and watch it; ``fit`` runs the
remaining epochs, calling ``callback(trainer, record)`` after each.

Reproducible: the network's initial weights come from ``seed``, the order
of epoch e's batches from (seed, e). A checkpoint stores the weights, the
optimizer's state, the epoch and the history, so training resumed from a
checkpoint gives exactly the weights of an uninterrupted run.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, fields
from typing import Callable

import numpy as np

from . import data as _data
from .checkpoint import load_checkpoint, save_checkpoint
from .errors import InvalidValueError, NonFiniteError
from .losses import cross_entropy
from .nn import ACTIVATIONS, MLP
from .optim import OPTIMIZERS, make_optimizer
from .tensor import Tensor, no_grad

__all__ = ["TrainConfig", "EpochRecord", "Trainer", "train", "plot_training"]

MAX_LAYER = 4096


@dataclass
class TrainConfig:
    """Everything that defines a training run. ``None`` means "the dataset's default" (see ``data.DATASETS``)."""

    data: str = "digits"
    layers: list[int] | None = None      # hidden layer sizes, e.g. [128, 64]; [] for none
    activation: str | None = None        # relu, tanh, sigmoid
    optimizer: str | None = None         # sgd, adam
    lr: float | None = None
    momentum: float | None = None        # SGD only
    weight_decay: float | None = None
    batch_size: int | None = None
    epochs: int | None = None
    seed: int = 0
    n_samples: int | None = None         # 2-D sets only
    noise: float | None = None           # 2-D sets only
    test_fraction: float | None = None
    dtype: str = "float32"

    def resolved(self) -> "TrainConfig":
        """A copy with every ``None`` replaced by the dataset's default, every value checked."""
        info = _data.dataset_info(self.data)
        d = info.defaults
        c = TrainConfig(**asdict(self))
        for name in ("layers", "activation", "optimizer", "lr", "momentum", "weight_decay", "batch_size", "epochs"):
            if getattr(c, name) is None:
                setattr(c, name, d[name])
        if info.kind == "2d":
            c.n_samples = d["n_samples"] if c.n_samples is None else c.n_samples
            c.noise = d["noise"] if c.noise is None else c.noise
        elif c.n_samples is not None or c.noise is not None:
            raise InvalidValueError(f"samples and noise apply to the 2-D datasets ({', '.join(_data.TWO_D)}), not to {c.data}")
        if c.test_fraction is None and c.data != "mnist1d":
            c.test_fraction = d["test_fraction"]
        c.layers = [int(n) for n in c.layers]
        if any(not 1 <= n <= MAX_LAYER for n in c.layers):
            raise InvalidValueError(f"layer sizes must be from 1 to {MAX_LAYER}, got {c.layers}")
        if c.activation not in ACTIVATIONS[:3]:
            raise InvalidValueError(f"activation {c.activation!r} is not one of {', '.join(ACTIVATIONS[:3])}")
        if c.optimizer not in OPTIMIZERS:
            raise InvalidValueError(f"optimizer {c.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        if not (isinstance(c.lr, (int, float)) and math.isfinite(c.lr) and c.lr > 0):
            raise InvalidValueError(f"lr must be a finite number > 0, got {c.lr!r}")
        if not (0 <= c.momentum < 1):
            raise InvalidValueError(f"momentum must be in [0, 1), got {c.momentum!r}")
        if c.momentum and c.optimizer != "sgd":
            raise InvalidValueError(f"momentum applies to the sgd optimizer, not to {c.optimizer}")
        if not (0 <= c.weight_decay and math.isfinite(c.weight_decay)):
            raise InvalidValueError(f"weight_decay must be a finite number >= 0, got {c.weight_decay!r}")
        if not (isinstance(c.batch_size, int) and c.batch_size >= 1):
            raise InvalidValueError(f"batch_size must be a whole number >= 1, got {c.batch_size!r}")
        if not (isinstance(c.epochs, int) and c.epochs >= 0):
            raise InvalidValueError(f"epochs must be a whole number >= 0, got {c.epochs!r}")
        if c.dtype not in ("float32", "float64"):
            raise InvalidValueError(f"dtype must be float32 or float64, got {c.dtype!r}")
        return c

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        unknown = set(obj) - names
        if unknown:
            raise InvalidValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return cls(**obj)


@dataclass
class EpochRecord:
    """The metrics after one epoch (losses are mean cross-entropies, accuracies fractions in [0, 1])."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


class Trainer:
    """Trains an ``MLP`` on a ``data.Dataset``, one epoch at a time.

    >>> t = Trainer(TrainConfig(data="moons", epochs=5))
    >>> t.fit(callback=lambda trainer, rec: print(rec.epoch, rec.test_accuracy))  # doctest: +SKIP
    """

    def __init__(self, config: TrainConfig | None = None, dataset: _data.Dataset | None = None):
        self.config = (config or TrainConfig()).resolved()
        c = self.config
        self.dataset = dataset if dataset is not None else _data.load(
            c.data, seed=c.seed, n_samples=c.n_samples, noise=c.noise, test_fraction=c.test_fraction, dtype=c.dtype)
        sizes = [self.dataset.n_features, *c.layers, self.dataset.n_classes]
        self.model = MLP(sizes, c.activation, seed=np.random.default_rng([c.seed, 3]), dtype=c.dtype)
        self.optimizer = make_optimizer(c.optimizer, self.model.parameters(), lr=c.lr, momentum=c.momentum,
                                        weight_decay=c.weight_decay)
        self.epoch = 0
        self.history: list[EpochRecord] = []

    # ------------------------------------------------------------ one epoch
    def train_epoch(self) -> EpochRecord:
        """One pass over the shuffled training set, then an evaluation. Raises ``NonFiniteError`` if it diverged."""
        start = time.perf_counter()
        c, ds, model, opt = self.config, self.dataset, self.model, self.optimizer
        model.train()
        snapshot = self._snapshot()  # one copy per epoch, to replay a diverging epoch under detect_anomaly
        total = 0.0
        with np.errstate(all="ignore"):  # a diverging run is reported below, once, not as numpy warnings
            for xb, yb in self._batches():
                loss = cross_entropy(model(Tensor(xb)), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                value = float(loss.data)
                total += value
                if not math.isfinite(value):
                    break  # nothing learned after this batch would mean anything
        epoch = self.epoch + 1
        if not math.isfinite(total):
            raise NonFiniteError(
                f"training diverged in epoch {epoch}: the loss became {total} (not finite); "
                f"try a smaller learning rate, e.g. --lr {c.lr / 10:g} instead of {c.lr:g}"
                f"{self._where_divergence_began(snapshot)}"
            )
        model.eval()
        train_loss, train_acc = self.evaluate(ds.X_train, ds.y_train)
        test_loss, test_acc = self.evaluate(ds.X_test, ds.y_test)
        if not math.isfinite(train_loss):
            raise NonFiniteError(
                f"training diverged in epoch {epoch}: the training loss is {train_loss} (not finite); "
                f"try a smaller learning rate, e.g. --lr {c.lr / 10:g} instead of {c.lr:g}"
                f"{self._where_divergence_began(snapshot)}"
            )
        self.epoch = epoch
        record = EpochRecord(epoch, train_loss, train_acc, test_loss, test_acc, time.perf_counter() - start)
        self.history.append(record)
        return record

    # ---------------------------------------------------- divergence report
    def _batches(self):
        """This epoch's mini-batches, in the order fixed by (seed, epoch)."""
        c, ds = self.config, self.dataset
        rng = np.random.default_rng([c.seed, 4, self.epoch])
        return _data.batches(ds.X_train, ds.y_train, c.batch_size, shuffle=True, rng=rng)

    def _snapshot(self) -> tuple[dict, dict]:
        return self.model.state_dict(), self.optimizer.state_dict()

    def _where_divergence_began(self, snapshot: tuple[dict, dict]) -> str:
        """Replay this epoch from ``snapshot`` inside ``detect_anomaly()``; '; it began in batch k: …' or ''.

        The replay is exact (same weights, same batch order), and stops at the
        first operation, forward or backward, whose result is NaN or infinite,
        or at the first optimizer step that leaves a weight non-finite. The
        run stays diverged either way: this only says where it went wrong.
        """
        from .anomaly import AnomalyError, detect_anomaly

        model, opt = self.model, self.optimizer
        try:
            model.load_state_dict(snapshot[0])
            opt.load_state_dict(snapshot[1])
        except InvalidValueError:
            return ""
        params = list(model.named_parameters())
        k = 0
        try:
            with detect_anomaly(), np.errstate(all="ignore"):
                model.train()
                for k, (xb, yb) in enumerate(self._batches(), start=1):
                    loss = cross_entropy(model(Tensor(xb)), yb)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    for name, p in params:
                        if not np.isfinite(p.data).all():
                            largest = float(np.max(np.abs(p.grad))) if p.grad is not None else float("nan")
                            return (f"; it began in batch {k}: the {self.config.optimizer} step left {name} "
                                    f"non-finite (largest |gradient| {largest:.3g})")
                model.eval()
                k = 0
                for i in range(0, len(self.dataset.X_train), 8192):
                    cross_entropy(model(Tensor(self.dataset.X_train[i:i + 8192])), self.dataset.y_train[i:i + 8192])
        except AnomalyError as exc:
            where = f"batch {k}" if k else "the evaluation after the epoch"
            return f"; it began in {where}: {exc}"
        return ""

    def fit(self, epochs: int | None = None, callback: Callable[["Trainer", EpochRecord], object] | None = None,
            should_stop: Callable[[], bool] | None = None) -> list[EpochRecord]:
        """Train until ``epochs`` epochs in total (default: the config's) are done.

        ``callback(trainer, record)`` runs after each epoch (e.g. save a
        checkpoint, update a progress bar); ``should_stop()`` is asked
        before each epoch (e.g. a web request cancelled).
        """
        target = self.config.epochs if epochs is None else epochs
        while self.epoch < target:
            if should_stop is not None and should_stop():
                break
            record = self.train_epoch()
            if callback is not None:
                callback(self, record)
        return self.history

    # ---------------------------------------------------------- evaluation
    def evaluate(self, X: np.ndarray, y: np.ndarray, chunk: int = 8192) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) of the current network on (X, y), without recording a graph."""
        if len(X) == 0:
            return float("nan"), float("nan")
        loss_sum, correct = 0.0, 0
        with no_grad(), np.errstate(all="ignore"):
            for i in range(0, len(X), chunk):
                z = self.model(Tensor(X[i:i + chunk]))
                loss_sum += float(cross_entropy(z, y[i:i + chunk], reduction="sum").data)
                correct += int(np.count_nonzero(z.data.argmax(axis=1) == y[i:i + chunk]))
        return loss_sum / len(X), correct / len(X)

    def predict_proba(self, X: np.ndarray, standardized: bool = True) -> np.ndarray:
        """Class probabilities (N, classes) for inputs ``X`` (raw inputs if ``standardized=False``)."""
        X = np.asarray(X, dtype=self.dataset.X_train.dtype) if standardized else self.dataset.transform(X)
        with no_grad():
            return self.model(Tensor(X)).softmax(axis=1).data

    def result(self) -> dict:
        """The final metrics and the per-epoch history, JSON-ready."""
        last = self.history[-1] if self.history else None
        return {
            "dataset": self.config.data,
            "epochs": self.epoch,
            "train_loss": last.train_loss if last else None,
            "train_accuracy": last.train_accuracy if last else None,
            "test_loss": last.test_loss if last else None,
            "test_accuracy": last.test_accuracy if last else None,
            "target_accuracy": _data.dataset_info(self.config.data).target_accuracy,
            "parameters": self.model.num_parameters(),
            "config": self.config.to_json(),
            "history": [r.to_json() for r in self.history],
        }

    # --------------------------------------------------------- checkpoints
    def save(self, path: str | os.PathLike) -> None:
        """Write weights, optimizer state, settings, epoch and history to ``path`` (.npz, atomically)."""
        arrays = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        arrays.update({f"optim.{k}": v for k, v in self.optimizer.state_dict().items()})
        meta = {"kind": "trainer", "config": self.config.to_json(), "epoch": self.epoch,
                "history": [r.to_json() for r in self.history]}
        save_checkpoint(path, arrays, meta)

    @classmethod
    def resume(cls, path: str | os.PathLike, epochs: int | None = None, dataset: _data.Dataset | None = None) -> "Trainer":
        """A trainer restored from ``save``'s file, ready to continue (``epochs``: a new total, optional)."""
        arrays, meta = load_checkpoint(path)
        if meta.get("kind") != "trainer" or not isinstance(meta.get("config"), dict):
            raise InvalidValueError(f"{os.fspath(path)!r} is a chainrule checkpoint but not of a training run")
        try:
            config = TrainConfig.from_json(meta["config"])
            if epochs is not None:
                config.epochs = epochs
            trainer = cls(config, dataset)
            trainer.model.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
            trainer.optimizer.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("optim.")})
            trainer.epoch = int(meta["epoch"])
            trainer.history = [EpochRecord(**r) for r in meta["history"]]
            if trainer.epoch < 0 or trainer.epoch != len(trainer.history):
                raise InvalidValueError(
                    f"epoch {meta['epoch']!r} does not match its history of {len(trainer.history)} epochs"
                )
        except InvalidValueError as exc:
            raise InvalidValueError(f"cannot resume from {os.fspath(path)!r}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValueError(f"cannot resume from {os.fspath(path)!r}: damaged metadata ({exc})") from None
        return trainer


def train(config: TrainConfig | None = None, callback=None) -> dict:
    """Train with ``config`` (dataset defaults for what it leaves out) and return ``Trainer.result()``."""
    trainer = Trainer(config)
    trainer.fit(callback=callback)
    return trainer.result()


# ------------------------------------------------------------------ plots
def plot_training(trainer: Trainer, path: str | os.PathLike) -> None:
    """Loss and accuracy curves per epoch; for a 2-D dataset also the decision boundary. PNG or SVG by suffix."""
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in a server thread

    is_2d = trainer.dataset.n_features == 2
    fig = Figure(figsize=(15 if is_2d else 10, 4.2), layout="constrained")
    axes = fig.subplots(1, 3 if is_2d else 2)
    h = trainer.history
    epochs = [r.epoch for r in h]
    ax = axes[0]
    ax.plot(epochs, [r.train_loss for r in h], label="train")
    ax.plot(epochs, [r.test_loss for r in h], label="test")
    ax.set(title="cross-entropy loss", xlabel="epoch", yscale="log" if h and min(r.train_loss for r in h) > 0 else "linear")
    ax.legend()
    ax = axes[1]
    ax.plot(epochs, [100 * r.train_accuracy for r in h], label="train")
    ax.plot(epochs, [100 * r.test_accuracy for r in h], label="test")
    ax.set(title="accuracy (%)", xlabel="epoch")
    ax.legend()
    if is_2d:
        ds = trainer.dataset
        X = np.concatenate([ds.X_train, ds.X_test])
        y = np.concatenate([ds.y_train, ds.y_test])
        lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        grid = np.c_[gx.ravel(), gy.ravel()]
        p = trainer.predict_proba(grid)[:, 1].reshape(gx.shape)
        ax = axes[2]
        ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
        ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=8, edgecolors="k", linewidths=0.2)
        ax.set(title=f"decision boundary ({ds.name}, standardised inputs)", aspect="equal")
    title = f"{trainer.config.data}: MLP {trainer.model.sizes} {trainer.config.activation}, {trainer.config.optimizer} lr {trainer.config.lr:g}"
    fig.suptitle(title)
    fig.savefig(os.fspath(path))

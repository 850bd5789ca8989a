"""The training loop: data, a network, a cost, an optimizer, epochs.

One epoch, for each mini-batch (x, y) of the shuffled training set:

    z = network(x)                       forward: the scores
    C = cross_entropy(z, y)              the cost of this batch
    C.backward()                         backpropagation: dC/dw for every weight
    w ← w − η_e · dC/dw (or momentum, Adam) the optimizer's step

then the whole training and test sets are evaluated, without a graph. The
test set is never trained on and never used to choose anything: its
accuracy is the honest measure.

η_e is the learning rate of epoch e, from the run's schedule
(``schedules``: constant, cosine or step). The *reported* network is
either the last epoch's weights or, with ``average`` > 0, the mean of the
weights of the last epochs (``averaging``, stochastic weight averaging);
``Trainer.reported()`` says which, and why. ``overfitting()`` says when
the test loss started rising while the training loss kept falling.

``Trainer`` does this one epoch at a time (``train_epoch``), so the CLI,
the web explorer or a notebook can drive it and watch it; ``fit`` runs the
remaining epochs, calling ``callback(trainer, record)`` after each.

Reproducible: the network's initial weights come from ``seed``, the order
of epoch e's batches from (seed, e), the learning rate from (schedule, e).
A checkpoint stores the weights, the optimizer's state, the running weight
average, the epoch and the history, so training resumed from a checkpoint
gives exactly the weights of an uninterrupted run.

Reading a checkpoint (``Trainer.resume``, also behind ``chainrule check
FILE``) is bounded: the settings meet the same bounds as the command-line
flags (``training_config.TRAIN_PARAMS``), and the file must hold the
weights of the network those settings declare, checked from the zip
directory and the array headers, before that network is built or any
array is inflated.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, fields
from typing import Callable

import numpy as np

from . import data as _data
from . import models as _models
from . import schedules
from .averaging import WeightAverage, averaged_epochs
from .checkpoint import CheckpointReader, save_checkpoint
from .errors import InvalidValueError, NonFiniteError
from .losses import cross_entropy
from .nn import Module
from .optim import clip_grad_norm, make_optimizer
from .tensor import Tensor, no_grad
from .training_config import MAX_PARAMETERS, TRAIN_PARAMS, TrainConfig

__all__ = ["TrainConfig", "EpochRecord", "Trainer", "train", "overfitting", "MAX_PARAMETERS"]


@dataclass
class EpochRecord:
    """The metrics after one epoch (losses are mean cross-entropies, accuracies fractions in [0, 1]).

    They are the metrics of that epoch's weights (not of the weight average),
    and ``lr`` is the learning rate the epoch was trained with.
    """

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    lr: float
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


# what each field of a saved EpochRecord may hold: (low, high, low open)
_RECORD_BOUNDS = {"train_loss": (0.0, math.inf, False), "train_accuracy": (0.0, 1.0, False),
                  "test_loss": (0.0, math.inf, False), "test_accuracy": (0.0, 1.0, False),
                  "lr": (0.0, math.inf, True), "seconds": (0.0, math.inf, False)}


def _history_from_json(records, default_lr: float | None = None) -> list[EpochRecord]:
    """The saved history, every field checked (type, finite, range), or one line naming the first bad one."""
    if not isinstance(records, list):
        raise InvalidValueError(f"history must be a list of epochs, got {type(records).__name__}")
    if len(records) > TRAIN_PARAMS["epochs"].high:
        raise InvalidValueError(f"history has {len(records)} epochs; at most {TRAIN_PARAMS['epochs'].high} are allowed")
    names = [f.name for f in fields(EpochRecord)]
    out = []
    for k, r in enumerate(records):
        if not isinstance(r, dict):
            raise InvalidValueError(f"history[{k}] is {type(r).__name__}, not an epoch record")
        r = dict(r)
        if default_lr is not None:  # a version-1 checkpoint: every epoch ran at the configured rate
            r.setdefault("lr", default_lr)
        unknown, missing = set(r) - set(names), set(names) - set(r)
        if unknown or missing:
            raise InvalidValueError(f"history[{k}] " + "; ".join(
                filter(None, [missing and f"lacks {', '.join(sorted(missing))}",
                              unknown and f"has unknown fields {', '.join(sorted(unknown))}"])))
        epoch = r["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch != k + 1:
            raise InvalidValueError(f"history[{k}].epoch = {epoch!r}; epochs are numbered 1, 2, 3, ...")
        for name, (low, high, low_open) in _RECORD_BOUNDS.items():
            value = r[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidValueError(f"history[{k}].{name} = {value!r} is not a number")
            if not (math.isfinite(value) and low <= value <= high and not (low_open and value == low)):
                raise InvalidValueError(f"history[{k}].{name} = {value!r} is out of range")
            r[name] = float(value)
        out.append(EpochRecord(**r))
    return out


OVERFIT_WINDOW, OVERFIT_RISE, OVERFIT_FALL = 5, 0.05, 0.25


def overfitting(history: list[EpochRecord], window: int = OVERFIT_WINDOW, rise: float = OVERFIT_RISE,
                fall: float = OVERFIT_FALL) -> dict | None:
    """Has the test loss started rising while the training loss kept falling? From which epoch? (None: too few epochs)

    Epoch-to-epoch losses are noisy, so windows of ``window`` epochs are
    compared: the window with the lowest mean test loss (ending before the
    last window), and the last window. It is overfitting when, from the
    first to the last, the mean test loss rose by at least ``rise`` (5 %)
    while the mean training loss fell by at least ``fall`` (25 %): the
    network is still learning the training examples themselves, and that
    no longer carries over to new ones. It began after the epoch of the
    lowest test loss in the first window. This only reads the history:
    nothing is chosen by it.
    """
    n = len(history)
    if n < 2 * window:
        return None
    mean = lambda rs, key: sum(getattr(r, key) for r in rs) / len(rs)  # noqa: E731
    first = min(range(n - 2 * window + 1), key=lambda s: mean(history[s:s + window], "test_loss"))
    best, last = history[first:first + window], history[-window:]
    lowest = min(best, key=lambda r: r.test_loss)
    test_then, test_now = mean(best, "test_loss"), mean(last, "test_loss")
    train_then, train_now = mean(best, "train_loss"), mean(last, "train_loss")
    detected = test_now >= (1 + rise) * test_then and train_now <= (1 - fall) * train_then
    return {"detected": detected, "began": lowest.epoch + 1 if detected else None, "window": window,
            "rise": rise, "fall": fall,
            "lowest_epochs": [best[0].epoch, best[-1].epoch], "last_epochs": [last[0].epoch, last[-1].epoch],
            "test_loss_then": test_then, "test_loss_now": test_now,
            "train_loss_then": train_then, "train_loss_now": train_now}


class Trainer:
    """Trains a network (``models``: an MLP, a CNN, a GRU) on a ``data.Dataset``, one epoch at a time.

    >>> t = Trainer(TrainConfig(data="moons", epochs=5))
    >>> t.fit(callback=lambda trainer, rec: print(rec.epoch, rec.test_accuracy))  # doctest: +SKIP
    """

    def __init__(self, config: TrainConfig | None = None, dataset: _data.Dataset | None = None):
        self.config = (config or TrainConfig()).resolved()
        c = self.config
        self.dataset = dataset if dataset is not None else _data.load(
            c.data, seed=c.seed, n_samples=c.n_samples, noise=c.noise, test_fraction=c.test_fraction, dtype=c.dtype)
        self.model = self._network(np.random.default_rng([c.seed, 3]))
        self.optimizer = make_optimizer(c.optimizer, self.model.parameters(), lr=c.lr, momentum=c.momentum,
                                        weight_decay=c.weight_decay)
        self.epoch = 0
        self.history: list[EpochRecord] = []
        self.average: WeightAverage | None = None  # the running mean of the averaged epochs' weights

    def _network(self, seed) -> Module:
        """A new network of the run's kind and sizes (``models.build``), its weights drawn from ``seed``."""
        c, ds = self.config, self.dataset
        return _models.build(c.model, ds.n_features, ds.n_classes, c.layers, c.activation,
                             _data.dataset_info(c.data).sequence_shape, seed=seed, dtype=c.dtype)

    # ------------------------------------------------------------ one epoch
    def learning_rate(self, epoch: int | None = None) -> float:
        """η for the epoch after ``epoch`` epochs (default: the next one), from the run's schedule."""
        c = self.config
        return schedules.learning_rate(c.schedule, c.lr, self.epoch if epoch is None else epoch, c.epochs)

    def average_start(self) -> int | None:
        """The first epoch whose weights are averaged (1-based), or None when nothing is averaged."""
        if self.average is not None:
            return self.average.start  # once begun, a resumed run with a new total keeps averaging from there
        n = averaged_epochs(self.config.average, self.config.epochs)
        return self.config.epochs - n + 1 if n else None

    def train_epoch(self) -> EpochRecord:
        """One pass over the shuffled training set, then an evaluation. Raises ``NonFiniteError`` if it diverged."""
        start = time.perf_counter()
        c, ds, model, opt = self.config, self.dataset, self.model, self.optimizer
        lr = self.learning_rate()
        opt.lr = lr  # every optimizer reads self.lr at each step (the contract schedules.py relies on)
        model.train()
        snapshot = self._snapshot()  # one copy per epoch, to replay a diverging epoch under detect_anomaly
        total = 0.0
        with np.errstate(all="ignore"):  # a diverging run is reported below, once, not as numpy warnings
            for xb, yb in self._batches():
                value = self._step(xb, yb)
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
        record = EpochRecord(epoch, train_loss, train_acc, test_loss, test_acc, lr, time.perf_counter() - start)
        self.history.append(record)
        first = self.average_start()
        if first is not None and epoch >= first:
            if self.average is None:
                self.average = WeightAverage(epoch)
            self.average.update(model.state_dict())
        return record

    def _step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """One mini-batch: forward, backward, the gradient clipped to length ``clip`` (if > 0), the optimizer's step."""
        loss = cross_entropy(self.model(Tensor(xb)), yb)
        self.optimizer.zero_grad()
        loss.backward()
        if self.config.clip:
            clip_grad_norm(self.model, self.config.clip)
        self.optimizer.step()
        return float(loss.data)

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
                    self._step(xb, yb)
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

        ``epochs`` below the config's stops early without changing the plan
        (the schedule and the averaged epochs still count on the config's
        total), as an interrupted run would. ``callback(trainer, record)``
        runs after each epoch (e.g. save a checkpoint, update a progress
        bar); ``should_stop()`` is asked before each epoch (e.g. a web
        request cancelled).
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
    def evaluate(self, X: np.ndarray, y: np.ndarray, chunk: int = 8192, model: Module | None = None) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) of the current network (or ``model``) on (X, y), without a graph."""
        model = self.model if model is None else model
        if len(X) == 0:
            return float("nan"), float("nan")
        loss_sum, correct = 0.0, 0
        with no_grad(), np.errstate(all="ignore"):
            for i in range(0, len(X), chunk):
                z = model(Tensor(X[i:i + chunk]))
                loss_sum += float(cross_entropy(z, y[i:i + chunk], reduction="sum").data)
                correct += int(np.count_nonzero(z.data.argmax(axis=1) == y[i:i + chunk]))
        return loss_sum / len(X), correct / len(X)

    def reported_model(self) -> Module:
        """The network the run reports: the weight average when one was kept, else the current weights."""
        if self.average is None or self.average.count == 0:
            return self.model
        model = self._network(0)
        model.load_state_dict(self.average.mean)
        return model.eval()

    def reported(self) -> dict:
        """Which weights the run reports, and why, JSON-ready (``why`` is one sentence for people)."""
        c = self.config
        if self.average is not None and self.average.count:
            a = self.average
            return {"weights": "average", "first_epoch": a.start, "last_epoch": a.end, "why": (
                f"the average of the weights of epochs {a.start}-{a.end} (stochastic weight averaging): at "
                f"{'a constant' if c.schedule == 'constant' else 'this'} learning rate the weights keep moving "
                "from epoch to epoch, their average sits near the middle of the region they visit, so the "
                "reported accuracy does not hinge on where the last step landed; nothing was chosen by looking "
                "at the test set")}
        if not self.history:
            return {"weights": "initial", "epoch": 0, "why": "the initial weights: no epoch was trained"}
        e, lr = self.epoch, self.history[-1].lr
        if c.schedule == "constant":
            why = (f"the weights of the last epoch ({e}); nothing was averaged or chosen, and at a constant learning "
                   "rate the last epochs may still move them (--schedule cosine or --average 0.5 settle them)")
        else:
            why = (f"the weights of the last epoch ({e}): the {c.schedule} schedule had brought the learning rate "
                   f"down to {lr:.2g}, so the last epochs barely moved them; nothing was chosen by looking at the "
                   "test set")
        return {"weights": "last epoch", "epoch": e, "why": why}

    def predict_proba(self, X: np.ndarray, standardized: bool = True) -> np.ndarray:
        """Class probabilities (N, classes) of the reported network for ``X`` (raw inputs if ``standardized=False``)."""
        X = np.asarray(X, dtype=self.dataset.X_train.dtype) if standardized else self.dataset.transform(X)
        with no_grad():
            return self.reported_model()(Tensor(X)).softmax(axis=1).data

    def result(self) -> dict:
        """The reported network's final metrics, which weights those are, overfitting, the history: JSON-ready."""
        last = self.history[-1] if self.history else None
        metrics = dict(train_loss=None, train_accuracy=None, test_loss=None, test_accuracy=None)
        if last is not None:
            model = self.reported_model()
            if model is self.model:  # the last epoch's own weights: its record holds their metrics
                metrics = dict(train_loss=last.train_loss, train_accuracy=last.train_accuracy,
                               test_loss=last.test_loss, test_accuracy=last.test_accuracy)
            else:
                ds = self.dataset
                metrics["train_loss"], metrics["train_accuracy"] = self.evaluate(ds.X_train, ds.y_train, model=model)
                metrics["test_loss"], metrics["test_accuracy"] = self.evaluate(ds.X_test, ds.y_test, model=model)
        recipe = _data.dataset_info(self.config.data).recipe_for(self.config.model)
        return {
            "dataset": self.config.data,
            "epochs": self.epoch,
            **metrics,
            "reported": self.reported(),
            "overfitting": overfitting(self.history),
            "model": self.config.model,
            "target_accuracy": recipe[1],
            "baseline": recipe[2],
            "parameters": self.model.num_parameters(),
            "config": self.config.to_json(),
            "history": [r.to_json() for r in self.history],
        }

    # --------------------------------------------------------- checkpoints
    def save(self, path: str | os.PathLike) -> None:
        """Write weights, optimizer state, weight average, settings, epoch and history to ``path`` (.npz, atomically)."""
        arrays = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        arrays.update({f"optim.{k}": v for k, v in self.optimizer.state_dict().items()})
        if self.average is not None:
            arrays.update({f"average.{k}": v for k, v in self.average.arrays().items()})
        meta = {"kind": "trainer", "config": self.config.to_json(), "epoch": self.epoch,
                "average": self.average.meta() if self.average is not None else None,
                "history": [r.to_json() for r in self.history]}
        if _data.is_csv(self.config.data) and self.dataset.sha256:
            meta["data_sha256"] = self.dataset.sha256  # your own points are known again by their content, not a path
        save_checkpoint(path, arrays, meta)

    @classmethod
    def resume(cls, path: str | os.PathLike, epochs: int | None = None, dataset: _data.Dataset | None = None,
               data: str | None = None) -> "Trainer":
        """A trainer restored from ``save``'s file, ready to continue (``epochs``: a new total, optional).

        ``data`` is the data as the *user* names it (``--data`` beside
        ``--resume``). A checkpoint says which data it was trained on, but
        never makes chainrule open a file: a built-in dataset is known by its
        name, your own points (a CSV file) by the SHA-256 of the file's bytes,
        and such a file is read only when ``data`` names it; it must then be
        the same bytes. So a checkpoint from someone else cannot make chainrule
        read, or quote in an error, a file its author chose.

        This is chainrule's one reader of training checkpoints (``chainrule
        train --resume`` and ``chainrule check FILE`` both use it). In order:

        1. the file: a regular file, a sane zip directory, bounded metadata
           (``checkpoint.CheckpointReader``);
        2. the settings: every bound of ``TRAIN_PARAMS`` (the flags' own),
           the epoch, the history's every field, the weight average's epochs;
        3. the arrays, from their headers only: only ``model.*``, ``optim.*``
           and ``average.*``; the run's dtype (little-endian floats; the
           step count an int64 scalar); the weights exactly as many numbers as
           the declared network has, every optimizer array at most that;
        4. only then the network is built (at most ``MAX_PARAMETERS``
           weights, and no more than the file holds), the arrays' names and
           shapes compared with it, and the arrays inflated and loaded
           (``load_state_dict`` of the network and of the optimizer, which
           checks its own state).
        """
        where = os.fspath(path)
        with CheckpointReader(path) as ck:
            meta = ck.meta
            if meta.get("kind") != "trainer" or not isinstance(meta.get("config"), dict):
                raise InvalidValueError(f"{where!r} is a chainrule checkpoint but not of a training run")
            try:
                digest = _data_digest(meta)
                meta = dict(meta, config=dict(meta["config"], data=_data_named(meta["config"].get("data"), digest,
                                                                               data, dataset)))
                config, epoch, history, average = _run_from_meta(meta, epochs)
                _check_members(ck, config, average)
                trainer = cls(config, dataset)
                if digest is not None and trainer.dataset.sha256 not in (None, digest):
                    raise InvalidValueError(
                        f"{trainer.config.data!r} is not the file this run was trained on (its points have sha256 "
                        f"{trainer.dataset.sha256[:12]}…, the checkpoint's {digest[:12]}…)")
                _check_names(ck, "model.", trainer.model.state_dict())
                if average is not None:
                    _check_names(ck, "average.", trainer.model.state_dict())
                arrays = ck.read_all()
                part = lambda prefix: {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}  # noqa: E731
                trainer.model.load_state_dict(part("model."))
                state = part("optim.")
                trainer.optimizer.load_state_dict(state)
                kept = set(trainer.optimizer.state_dict())
                if kept != set(state):  # what the optimizer did not take is not part of this run
                    raise InvalidValueError("optimizer state: unknown members "
                                            + ", ".join(f"optim.{k}" for k in sorted(set(state) - kept)))
                if average is not None:
                    trainer.average = WeightAverage.restore(average, part("average."), trainer.model.state_dict())
                trainer.epoch = epoch
                trainer.history = history
            except InvalidValueError as exc:
                raise InvalidValueError(f"cannot resume from {where!r}: {exc}") from None
        return trainer


# ------------------------------------------------------------ reading a run
def _data_digest(meta: dict) -> str | None:
    """The SHA-256 of the CSV file a run trained on, as its checkpoint records it (None for a built-in dataset)."""
    digest = meta.get("data_sha256")
    if digest is not None and not (isinstance(digest, str) and len(digest) == 64
                                   and all(c in "0123456789abcdef" for c in digest)):
        raise InvalidValueError("damaged metadata: data_sha256 is not a SHA-256 digest (64 hexadecimal digits)")
    return digest


def _data_named(saved, digest: str | None, data: str | None, dataset: _data.Dataset | None):
    """The data to resume on: the checkpoint's dataset name, or the CSV file the user names; never a path it holds."""
    if not _data.is_csv(saved) and digest is None:
        if data is not None and data != saved:
            raise InvalidValueError(f"--data {data} differs from the checkpoint's {saved}; a resumed run keeps its "
                                    "settings (only --epochs may change)")
        return saved  # a dataset's name (or anything else, refused by the settings' own check): no file to open
    named = data if data is not None else dataset.name if dataset is not None else None
    if named is None or not _data.is_csv(named):
        known = f" (sha256 {digest[:12]}…)" if digest else ""
        raise InvalidValueError(
            f"this run was trained on your own points, a CSV file{known}: name that file with --data FILE.csv "
            "(a checkpoint never chooses a file for chainrule to read)")
    return named


def _run_from_meta(meta: dict, epochs: int | None):
    """(config, epoch, history, average meta) from a checkpoint's metadata, every value checked; no arrays yet."""
    raw = dict(meta["config"])
    if meta.get("version") == 1:  # before schedules and averaging: a constant rate, the last epoch's weights
        raw.setdefault("schedule", "constant")
        raw.setdefault("average", 0.0)
    config = TrainConfig.from_json(raw).resolved()
    if epochs is not None:
        config.epochs = TRAIN_PARAMS["epochs"].check(epochs)
    epoch = meta.get("epoch")
    high = TRAIN_PARAMS["epochs"].high
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= high:
        raise InvalidValueError(f"damaged metadata: epoch = {epoch!r}; allowed: a whole number from 0 to {high}")
    try:
        history = _history_from_json(meta.get("history"), config.lr if meta.get("version") == 1 else None)
    except InvalidValueError as exc:
        raise InvalidValueError(f"damaged metadata: {exc}") from None
    if epoch != len(history):
        raise InvalidValueError(f"epoch {epoch} does not match its history of {len(history)} epochs")
    average = meta.get("average")
    if average is not None:
        ok = (isinstance(average, dict) and set(average) == {"start", "count"}
              and all(isinstance(average[k], int) and not isinstance(average[k], bool) for k in average)
              and 1 <= average["start"] and 1 <= average["count"] and average["start"] + average["count"] - 1 == epoch)
        if not ok:
            raise InvalidValueError(f"damaged metadata: average = {average!r}; allowed: null, or the first averaged "
                                    f"epoch (start) and how many epochs (count), ending at epoch {epoch}")
    return config, epoch, history, average


def _check_members(ck: CheckpointReader, config: TrainConfig, average: dict | None) -> None:
    """The arrays as their headers describe them, against the network the settings declare (before it is built).

    After this, the file is known to hold the declared network's weights
    (exactly as many numbers), so building that network allocates no more
    than the file holds; and every array to inflate is capped by what that
    network needs.
    """
    shapes = config.parameter_shapes()
    sizes = config.network_name()
    n = config.parameter_count()
    dtype = np.dtype(config.dtype)
    largest = max(int(np.prod(shape, dtype=np.int64)) for shape in shapes)
    groups = {"model.": [], "average.": [], "optim.": []}
    limits = {}
    for name, m in ck.members.items():
        prefix = next((p for p in groups if name.startswith(p)), None)
        if prefix is None:
            continue  # ck.expect refuses it below, by name
        groups[prefix].append(m)
        if prefix == "optim.":
            if not (m.dtype == dtype or (m.dtype == np.int64 and m.shape == ())):
                raise InvalidValueError(f"{name} has dtype {m.dtype}; the run's arrays are {dtype} "
                                        "(and the step count an int64 scalar)")
            limits[name] = n
        else:
            if m.dtype != dtype:
                raise InvalidValueError(f"{name} has dtype {m.dtype}; the run's weights are {dtype} (its settings say "
                                        f"dtype {config.dtype})")
            limits[name] = largest
    ck.expect(limits, f"the network {sizes} its settings declare")
    for prefix, present in (("model.", True), ("average.", average is not None)):
        held = sum(m.count for m in groups[prefix])
        if present and held != n:
            raise InvalidValueError(f"the {prefix[:-1]} weights in the file hold {held:,} numbers; the network {sizes} "
                                    f"its settings declare has {n:,} (an array missing, extra or of another size?)")
        if not present and groups[prefix]:
            raise InvalidValueError(f"the file holds {prefix}* arrays but its metadata says nothing was averaged")
    held = sum(m.count for m in groups["optim."])
    if len(groups["optim."]) > 4 * len(groups["model."]) + 8 or held > 2 * n + 64:
        raise InvalidValueError(f"the optimizer state holds {len(groups['optim.'])} arrays of {held:,} numbers; "
                                f"{config.optimizer} keeps at most two numbers per weight")


def _check_names(ck: CheckpointReader, prefix: str, template: dict[str, np.ndarray]) -> None:
    """Every ``prefix``-array named and shaped as the network's parameters, before anything is inflated."""
    have = {k[len(prefix):]: m for k, m in ck.members.items() if k.startswith(prefix)}
    missing = [k for k in template if k not in have]
    unexpected = [k for k in have if k not in template]
    if missing or unexpected:
        parts = [f"missing {', '.join(missing)}" if missing else "",
                 f"unexpected {', '.join(prefix + k for k in unexpected)}" if unexpected else ""]
        raise InvalidValueError(f"the {prefix[:-1]} arrays do not match the network: {'; '.join(filter(None, parts))}")
    for k, ref in template.items():
        if have[k].shape != ref.shape:
            raise InvalidValueError(f"{k} has shape {have[k].shape} in the file but {ref.shape} in the network "
                                    "its settings declare")


def train(config: TrainConfig | None = None, callback=None) -> dict:
    """Train with ``config`` (dataset defaults for what it leaves out) and return ``Trainer.result()``."""
    trainer = Trainer(config)
    trainer.fit(callback=callback)
    return trainer.result()

"""A training run drawn: loss, accuracy and learning rate per epoch; for a 2-D set, the decision boundary.

The curves are the epochs' own weights (``Trainer.history``); the shaded
span marks the epochs whose weights were averaged into the reported network,
the dotted line the epoch where overfitting began (``training.overfitting``),
and the horizontal line on the accuracy panel the reported network's test
accuracy. The decision boundary is the reported network's.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["plot_training"]


def plot_training(trainer, path: str | os.PathLike) -> None:
    """Draw ``trainer``'s run (a ``training.Trainer``) to ``path``, PNG or SVG by suffix."""
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in a server thread

    result = trainer.result()
    is_2d = trainer.dataset.n_features == 2
    fig = Figure(figsize=(15 if is_2d else 10, 4.2), layout="constrained")
    axes = fig.subplots(1, 3 if is_2d else 2)
    h = trainer.history
    epochs = [r.epoch for r in h]
    reported, over = result["reported"], result["overfitting"]

    def marks(ax):
        if reported["weights"] == "average":
            ax.axvspan(reported["first_epoch"] - 0.5, reported["last_epoch"] + 0.5, color="0.85", zorder=0,
                       label="averaged epochs")
        if over and over["detected"]:
            ax.axvline(over["began"], color="C3", linestyle=":", label=f"overfitting from epoch {over['began']}")

    ax = axes[0]
    marks(ax)
    ax.plot(epochs, [r.train_loss for r in h], label="train")
    ax.plot(epochs, [r.test_loss for r in h], label="test")
    ax.set(title="cross-entropy loss", xlabel="epoch", yscale="log" if h and min(r.train_loss for r in h) > 0 else "linear")
    if h:
        rate = ax.twinx()
        rate.plot(epochs, [r.lr for r in h], color="0.5", linewidth=0.8, label="learning rate")
        rate.set_ylabel("learning rate η", color="0.4")
        rate.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    ax = axes[1]
    marks(ax)
    ax.plot(epochs, [100 * r.train_accuracy for r in h], label="train")
    ax.plot(epochs, [100 * r.test_accuracy for r in h], label="test")
    if result["test_accuracy"] is not None:
        ax.axhline(100 * result["test_accuracy"], color="k", linewidth=0.8,
                   label=f"reported: {100 * result['test_accuracy']:.2f}% test")
    ax.set(title="accuracy (%)", xlabel="epoch")
    ax.legend(fontsize="small")
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
    c = trainer.config
    fig.suptitle(f"{c.data}: {c.network_description()}, {c.optimizer}, "
                 f"{c.schedule} learning rate {c.lr:g}")
    fig.savefig(os.fspath(path))

"""Checkpoint files for the refusal tests: a small valid one, and the same file with its arrays or metadata changed."""

from __future__ import annotations

from chainrule.checkpoint import load_checkpoint, save_checkpoint
from chainrule.training import TrainConfig, Trainer


def valid_checkpoint(path, **config) -> str:
    """A one-epoch Adam run on 100 moons points, layers [8] (settings overridable), saved to ``path``."""
    t = Trainer(TrainConfig(**{"data": "moons", "layers": [8], "optimizer": "adam", "epochs": 1, "n_samples": 100,
                               **config}))
    t.fit()
    t.save(path)
    return str(path)


def rewrite(path, change_arrays=None, change_meta=None) -> str:
    """Load a valid checkpoint, change its arrays or metadata in place, and save it again (as a well-formed file)."""
    arrays, meta = load_checkpoint(path)
    meta = {k: v for k, v in meta.items() if k not in ("format", "version")}
    if change_arrays:
        change_arrays(arrays)
    if change_meta:
        change_meta(meta)
    save_checkpoint(path, arrays, meta)
    return str(path)

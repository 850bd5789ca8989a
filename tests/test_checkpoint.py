"""Checkpoints: no pickle, atomic writes, clear refusals; a resumed run equals an uninterrupted one."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from chainrule.checkpoint import load_checkpoint, save_checkpoint
from chainrule.errors import InvalidValueError
from chainrule.training import TrainConfig, Trainer


def test_round_trip_keeps_names_shapes_dtypes_and_meta(tmp_path):
    path = tmp_path / "c.npz"
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2, np.float64), "t": np.asarray(3)}
    save_checkpoint(path, arrays, {"epoch": 3, "note": "hé"})
    got, meta = load_checkpoint(path)
    assert set(got) == set(arrays)
    for k in arrays:
        assert got[k].dtype == arrays[k].dtype
        np.testing.assert_array_equal(got[k], arrays[k])
    assert meta["epoch"] == 3 and meta["note"] == "hé"


def test_the_file_is_plain_npz_readable_without_pickle(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"w": np.ones(3)}, {})
    with np.load(path, allow_pickle=False) as z:
        assert "w" in z.files


def test_write_is_atomic_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"w": np.zeros(3)}, {"v": 1})

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"w": np.ones(3)}, {"v": 2})
    monkeypatch.undo()
    arrays, meta = load_checkpoint(path)
    assert meta["v"] == 1 and not arrays["w"].any()
    assert os.listdir(tmp_path) == ["c.npz"]  # no temporary file left behind


@pytest.mark.parametrize("write,pattern", [
    (lambda p: p.write_bytes(b"not a zip at all"), "not a readable chainrule checkpoint"),
    (lambda p: p.write_bytes(pickle.dumps({"w": 1})), "not a readable chainrule checkpoint"),
    (lambda p: np.savez(p, w=np.ones(2)), "not a chainrule checkpoint"),
    (lambda p: np.savez(p, w=np.array([{"x": 1}], dtype=object)), "not a"),
    (lambda p: open(p, "wb").write(open(_valid(p), "rb").read()[:100]), "not a readable chainrule checkpoint"),
], ids=["garbage", "pickle", "foreign-npz", "object-array", "truncated"])
def test_bad_files_are_refused_with_one_clear_line(tmp_path, write, pattern):
    path = tmp_path / "bad.npz"
    write(path)
    with pytest.raises(InvalidValueError, match=pattern):
        load_checkpoint(path)


def _valid(p):
    other = str(p) + ".valid.npz"
    save_checkpoint(other, {"w": np.ones(100)}, {})
    return other


def test_missing_file_and_reserved_names(tmp_path):
    with pytest.raises(InvalidValueError, match="no such file"):
        load_checkpoint(tmp_path / "nope.npz")
    with pytest.raises(InvalidValueError, match="reserved"):
        save_checkpoint(tmp_path / "c.npz", {"__meta__": np.ones(1)}, {})


@pytest.mark.parametrize("optimizer,extra", [("sgd", dict(momentum=0.9)), ("adam", {})])
def test_resumed_training_equals_uninterrupted_training(tmp_path, optimizer, extra):
    config = TrainConfig(data="moons", layers=[8], optimizer=optimizer, lr=0.05, epochs=4, seed=7, n_samples=200, **extra)
    straight = Trainer(config)
    straight.fit()

    first = Trainer(TrainConfig(**{**config.to_json(), "epochs": 2}))
    first.fit()
    first.save(tmp_path / "half.npz")
    resumed = Trainer.resume(tmp_path / "half.npz", epochs=4)
    assert resumed.epoch == 2 and len(resumed.history) == 2
    resumed.fit()

    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert [r.test_loss for r in straight.history] == [r.test_loss for r in resumed.history]


def test_resume_refuses_a_checkpoint_that_is_not_a_training_run(tmp_path):
    save_checkpoint(tmp_path / "c.npz", {"w": np.ones(1)}, {"kind": "something else"})
    with pytest.raises(InvalidValueError, match="not of a training run"):
        Trainer.resume(tmp_path / "c.npz")


def test_resume_checks_the_weights_against_the_model(tmp_path):
    t = Trainer(TrainConfig(data="moons", layers=[4], epochs=1, n_samples=100))
    t.save(tmp_path / "c.npz")
    arrays, meta = load_checkpoint(tmp_path / "c.npz")
    arrays["model.layers.0.weight"] = np.zeros((2, 5), np.float32)
    save_checkpoint(tmp_path / "c.npz", arrays, {k: v for k, v in meta.items() if k not in ("format", "version")})
    with pytest.raises(InvalidValueError, match=r"cannot resume .* layers.0.weight has shape \(2, 5\) in the state but \(2, 4\)"):
        Trainer.resume(tmp_path / "c.npz")

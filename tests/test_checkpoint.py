"""Checkpoints: no pickle, atomic writes, clear refusals; a resumed run equals an uninterrupted one."""

from __future__ import annotations

import json
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


def test_a_save_removes_the_stale_temporaries_of_the_same_checkpoint_only(tmp_path):
    import fcntl

    path = tmp_path / "c.npz"
    save_checkpoint(path, {"w": np.zeros(3)}, {"v": 1})
    stale = [tmp_path / ".c.npz.ab12cd34.tmp", tmp_path / ".c.npz.zz_99xyz.tmp"]  # debris of killed saves
    for p in stale:
        p.write_bytes(b"half a checkpoint")
    live = tmp_path / ".c.npz.live0001.tmp"            # a save in progress (it holds the lock)
    live.write_bytes(b"being written")
    others = [tmp_path / ".d.npz.ab12cd34.tmp",         # another checkpoint's temporary
              tmp_path / ".c.npz.short.tmp",            # not a name save_checkpoint makes
              tmp_path / "c.npz.ab12cd34.tmp"]
    for p in others:
        p.write_bytes(b"not ours")
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        save_checkpoint(path, {"w": np.ones(3)}, {"v": 2})
        assert not any(p.exists() for p in stale)
        assert live.exists() and all(p.exists() for p in others)
    assert load_checkpoint(path)[1]["v"] == 2
    save_checkpoint(path, {"w": np.ones(3)}, {"v": 3})  # the lock released: now it is debris too
    assert not live.exists() and all(p.exists() for p in others)


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


@pytest.mark.parametrize("optimizer,extra", [
    ("sgd", dict(momentum=0.9, schedule="constant", average=0.0)),
    ("adam", dict(schedule="cosine", average=0.0)),
    ("sgd", dict(momentum=0.9, schedule="step", average=0.5)),
    ("adam", dict(schedule="constant", average=0.75)),
], ids=["sgd-constant", "adam-cosine", "sgd-step-averaged", "adam-averaged-from-before-the-break"])
def test_resumed_training_equals_uninterrupted_training(tmp_path, optimizer, extra):
    # the schedule's position and the running weight average travel in the checkpoint: a run stopped after
    # epoch 3 of 6 and resumed ends with exactly the weights, the average and the history of one never stopped
    config = TrainConfig(data="moons", layers=[8], optimizer=optimizer, lr=0.05, epochs=6, seed=7, n_samples=200,
                         **extra)
    straight = Trainer(config)
    straight.fit()

    first = Trainer(config)
    first.fit(epochs=3)  # stopped half-way through the same plan
    first.save(tmp_path / "half.npz")
    resumed = Trainer.resume(tmp_path / "half.npz")
    assert resumed.epoch == 3 and len(resumed.history) == 3
    resumed.fit()

    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert a.tobytes() == b.tobytes(), name
    drop = lambda t: [dict(r.to_json(), seconds=0) for r in t.history]  # noqa: E731
    assert drop(straight) == drop(resumed)
    assert [r.lr for r in resumed.history] == [r.lr for r in straight.history]
    if extra["schedule"] != "constant":
        assert len({r.lr for r in straight.history}) > 1  # the schedule really changed the rate
    if extra["average"]:
        assert straight.average.start == resumed.average.start and straight.average.count == resumed.average.count
        for name in straight.average.mean:
            assert straight.average.mean[name].tobytes() == resumed.average.mean[name].tobytes(), name
        assert straight.result() == {**resumed.result(), "history": straight.result()["history"]}
    else:
        assert resumed.average is None


def test_resume_refuses_a_checkpoint_that_is_not_a_training_run(tmp_path):
    save_checkpoint(tmp_path / "c.npz", {"w": np.ones(1)}, {"kind": "something else"})
    with pytest.raises(InvalidValueError, match="not of a training run"):
        Trainer.resume(tmp_path / "c.npz")


def test_resume_checks_the_weights_against_the_model(tmp_path):
    t = Trainer(TrainConfig(data="moons", layers=[4], epochs=1, n_samples=100))
    t.save(tmp_path / "c.npz")
    arrays, meta = load_checkpoint(tmp_path / "c.npz")
    meta = {k: v for k, v in meta.items() if k not in ("format", "version")}
    # as many numbers as the network needs, in the wrong shape: caught by name and shape
    arrays["model.layers.0.weight"] = np.zeros((4, 2), np.float32)
    save_checkpoint(tmp_path / "c.npz", arrays, meta)
    with pytest.raises(InvalidValueError, match=r"cannot resume .* layers.0.weight has shape \(4, 2\) in the file but "
                                                 r"\(2, 4\) in the network"):
        Trainer.resume(tmp_path / "c.npz")
    # more numbers than any of its arrays needs: caught from the header, before anything is built or inflated
    arrays["model.layers.0.weight"] = np.zeros((2, 5), np.float32)
    save_checkpoint(tmp_path / "c.npz", arrays, meta)
    with pytest.raises(InvalidValueError, match=r"cannot resume .* 'model.layers.0.weight' holds 10 numbers; the network "
                                                 r"\[2, 4, 2\] its settings declare needs at most 8"):
        Trainer.resume(tmp_path / "c.npz")


def test_a_version_1_checkpoint_resumes_as_the_constant_rate_last_epoch_run_it_was(tmp_path):
    # written before schedules and weight averaging existed: no schedule, no average, no per-epoch lr
    t = Trainer(TrainConfig(data="moons", layers=[4], epochs=2, n_samples=100, schedule="constant", average=0.0))
    t.fit(epochs=1)
    arrays = {f"model.{k}": v for k, v in t.model.state_dict().items()}
    arrays.update({f"optim.{k}": v for k, v in t.optimizer.state_dict().items()})
    config = {k: v for k, v in t.config.to_json().items() if k not in ("schedule", "average")}
    history = [{k: v for k, v in r.to_json().items() if k != "lr"} for r in t.history]
    path = tmp_path / "v1.npz"
    np.savez(path, **arrays, __meta__=np.frombuffer(json.dumps(
        {"kind": "trainer", "config": config, "epoch": 1, "history": history,
         "format": "chainrule-checkpoint", "version": 1}).encode(), np.uint8))
    resumed = Trainer.resume(path)
    assert resumed.config.schedule == "constant" and resumed.config.average == 0.0
    assert resumed.history[0].lr == t.config.lr
    resumed.fit()
    t.fit()
    for (name, a), (_, b) in zip(t.model.state_dict().items(), resumed.model.state_dict().items()):
        assert a.tobytes() == b.tobytes(), name

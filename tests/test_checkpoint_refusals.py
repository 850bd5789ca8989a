"""Checkpoints that must be refused: each gets a typed error from the library and one line, exit 2, from the CLI.

``test_checkpoint.py`` covers the library's refusal of garbage, a plain pickle,
a foreign .npz, a benign object array and a 100-byte truncation, and one
shape mismatch. This file adds what was missing:

* files whose unpickling would run code (a marker file proves nothing ran),
  as an .npz member, a bare .npy and a bare pickle;
* truncation at every length class, seeded random bytes, and bytes flipped
  all through a valid file (a flip is refused, or, where the zip format does
  not cover that byte, leaves every array and the metadata unchanged: never
  different weights loaded in silence);
* wrong shapes (weights of one network, settings of another), wrong dtypes,
  damaged optimizer state, non-finite weights;
* each of these through ``chainrule train --resume FILE`` as well.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from chainrule.checkpoint import load_checkpoint, save_checkpoint
from chainrule.cli import main
from chainrule.errors import InvalidValueError
from chainrule.training import Trainer
from checkpoint_files import rewrite, valid_checkpoint


class _Plant:
    """Unpickling this creates the file ``path``: if the marker exists afterwards, code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _cli_refuses(capsys, path, *pattern: str) -> str:
    code = main(["train", "--resume", str(path), "--format", "json"])
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, (code, captured.err)
    assert captured.out == ""
    assert len(err.splitlines()) == 1 and err.startswith("chainrule train: error: "), err
    assert "Traceback" not in err
    for p in pattern:
        assert p in err, err
    return err


# ---------------------------------------------------------------- code in the file
@pytest.mark.parametrize("kind", ["npz-member", "npy", "pickle"])
def test_a_file_whose_unpickling_would_run_code_is_refused_and_nothing_runs(tmp_path, capsys, kind):
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.npz"
    payload = np.array([_Plant(marker)], dtype=object)
    if kind == "npz-member":  # a real chainrule header next to the object array, so only the pickle is wrong
        np.savez(path, __meta__=np.frombuffer(b'{"format": "chainrule-checkpoint", "version": 1}', np.uint8),
                 w=payload)
    elif kind == "npy":
        with open(path, "wb") as f:
            np.save(f, payload, allow_pickle=True)
    else:
        path.write_bytes(pickle.dumps(_Plant(marker)))
    # the payload is live: loading it the unsafe way does create the marker (so the check below can fail)
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Plant(probe))).close()
    assert probe.exists()

    with pytest.raises(InvalidValueError, match="chainrule checkpoint"):
        load_checkpoint(path)
    _cli_refuses(capsys, path, repr(str(path)))
    assert not marker.exists()


# ------------------------------------------------------------ damaged bytes
@pytest.mark.parametrize("keep", [0, 1, 21, 0.25, 0.5, 0.9, -1], ids=lambda k: f"keep-{k}")
def test_a_truncated_checkpoint_is_refused_with_one_line(tmp_path, capsys, keep):
    data = open(valid_checkpoint(tmp_path / "ok.npz"), "rb").read()
    n = keep if isinstance(keep, int) and keep >= 0 else (len(data) - 1 if keep == -1 else int(len(data) * keep))
    path = tmp_path / "cut.npz"
    path.write_bytes(data[:n])
    with pytest.raises(InvalidValueError):
        load_checkpoint(path)
    _cli_refuses(capsys, path, "checkpoint")


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_are_refused_with_one_line(tmp_path, capsys, seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=int(rng.integers(1, 5000)), dtype=np.uint8).tobytes()
    if seed == 3:
        data = b"PK\x03\x04" + data  # starts like a zip
    path = tmp_path / "noise.npz"
    path.write_bytes(data)
    with pytest.raises(InvalidValueError):
        load_checkpoint(path)
    _cli_refuses(capsys, path, "checkpoint")


def test_a_flipped_byte_anywhere_is_refused_or_changes_nothing_that_is_loaded(tmp_path, capsys):
    original = tmp_path / "ok.npz"
    valid_checkpoint(original)
    arrays, meta = load_checkpoint(original)
    data = bytearray(original.read_bytes())
    path = tmp_path / "flipped.npz"
    refused = 0
    positions = range(0, len(data), max(1, len(data) // 300))
    for i in positions:
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            got, got_meta = load_checkpoint(path)
        except InvalidValueError:
            refused += 1
            continue
        # not caught by the format (a zip timestamp, say): then nothing that is loaded changed
        assert got_meta == meta, i
        assert set(got) == set(arrays), i
        for k in arrays:
            assert got[k].tobytes() == arrays[k].tobytes() and got[k].dtype == arrays[k].dtype, (i, k)
    assert refused > len(positions) // 2  # the data itself is covered by CRC-32s: most flips are caught
    # and through the CLI: a flip in the middle of the weights
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    _cli_refuses(capsys, path, "not a readable chainrule checkpoint")


# --------------------------------------------------------- well-formed, wrong
def _swap_layers(meta):
    meta["config"]["layers"] = [4]


def _to_float64(arrays):
    for k in arrays:
        if arrays[k].dtype == np.float32:
            arrays[k] = arrays[k].astype(np.float64)


def _to_int(arrays):
    arrays["model.layers.0.weight"] = arrays["model.layers.0.weight"].astype(np.int32)


def _drop_bias(arrays):
    del arrays["model.layers.0.bias"]


def _nan_weight(arrays):
    arrays["model.layers.2.weight"] = arrays["model.layers.2.weight"].copy()
    arrays["model.layers.2.weight"][0, 0] = np.nan


def _inf_adam_state(arrays):
    arrays["optim.v.0"] = np.full_like(arrays["optim.v.0"], np.inf)


def _bad_adam_shape(arrays):
    arrays["optim.m.0"] = np.zeros((3, 3), arrays["optim.m.0"].dtype)


def _drop_adam_step(arrays):
    del arrays["optim.t"]


def _bad_epoch(meta):
    meta["epoch"] = "three"


def _negative_epoch(meta):
    meta["epoch"] = -1


def _bad_history(meta):
    meta["history"] = [{"epoch": 1}]


def _unknown_setting(meta):
    meta["config"]["dropout"] = 0.5


@pytest.mark.parametrize("arrays,meta,library,cli", [
    (None, _swap_layers, "'model.layers.0.weight' holds 16 numbers; the network [2, 4, 2] its settings declare needs at most 8",
     "[2, 4, 2]"),
    (_to_float64, None, "model.layers.0.weight has dtype float64; the run's weights are float32", "dtype float64"),
    (_to_int, None, "model.layers.0.weight has dtype int32; the run's weights are float32", "dtype int32"),
    (_drop_bias, None, "the model weights in the file hold 34 numbers; the network [2, 8, 2] its settings declare has 42",
     "hold 34 numbers"),
    (_nan_weight, None, "layers.2.weight holds NaN or infinite values", "NaN"),
    (_inf_adam_state, None, "optimizer state v.0: holds NaN or infinite values", "v.0"),
    (_bad_adam_shape, None, "optimizer state m.0: shape (3, 3)", "m.0"),
    (_drop_adam_step, None, "Adam state is incomplete", "incomplete"),
    (None, _bad_epoch, "damaged metadata: epoch = 'three'", "damaged metadata"),
    (None, _negative_epoch, "damaged metadata: epoch = -1", "epoch = -1"),
    (None, _bad_history, "damaged metadata: history[0] lacks lr, seconds, test_accuracy, test_loss, train_accuracy, "
                         "train_loss", "damaged metadata"),
    (None, _unknown_setting, "unknown training settings: dropout", "dropout"),
], ids=["other-network-sizes", "float64-weights", "int-weights", "missing-array", "nan-weight", "inf-adam-state",
        "adam-state-shape", "adam-step-missing", "epoch-not-a-number", "epoch-negative", "history-damaged", "unknown-setting"])
def test_a_well_formed_checkpoint_that_does_not_fit_its_network_is_refused(tmp_path, capsys, arrays, meta, library, cli):
    path = rewrite(valid_checkpoint(tmp_path / "c.npz"), arrays, meta)
    with pytest.raises(InvalidValueError, match="cannot resume from") as info:
        Trainer.resume(path)
    assert library in str(info.value) and "\n" not in str(info.value)
    _cli_refuses(capsys, path, "cannot resume from", cli)


def test_a_checkpoint_of_float64_settings_loads_into_a_float64_network_only(tmp_path, capsys):
    # the positive control for the dtype refusals above: the same arrays, saved by a float64 run, do load
    path = valid_checkpoint(tmp_path / "c64.npz", dtype="float64")
    t = Trainer.resume(path, epochs=2)
    assert t.model.parameters()[0].data.dtype == np.float64
    assert main(["train", "--resume", path, "--epochs", "2", "--format", "json"]) == 0
    capsys.readouterr()


def test_a_header_claiming_petabytes_is_refused_not_a_memory_error(tmp_path, capsys):
    import io
    import json
    import zipfile

    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": (10**15,)})
    member.write(b"\0" * 16)
    header = io.BytesIO()
    np.save(header, np.frombuffer(json.dumps({"format": "chainrule-checkpoint", "version": 1}).encode(), np.uint8))
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__meta__.npy", header.getvalue())
        z.writestr("w.npy", member.getvalue())
    with pytest.raises(InvalidValueError, match="not a readable chainrule checkpoint"):
        load_checkpoint(path)
    _cli_refuses(capsys, path, "not a readable chainrule checkpoint")


def test_a_corrupted_compressed_archive_is_refused_not_a_zlib_error(tmp_path, capsys):
    # chainrule writes uncompressed archives, but a file from elsewhere may be deflated: damage there
    # surfaces as zlib.error, NotImplementedError or a header parse error, all of which must be refusals
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"w": np.arange(1000.0)}, {})
    arrays, meta = load_checkpoint(path)
    np.savez_compressed(path, w=arrays["w"], __meta__=np.frombuffer(
        __import__("json").dumps(meta).encode(), np.uint8))
    data = path.read_bytes()
    for i in range(0, len(data), 3):
        damaged = bytearray(data)
        damaged[i] ^= 0x55
        path.write_bytes(bytes(damaged))
        try:
            got, _ = load_checkpoint(path)
        except InvalidValueError:
            continue
        assert got["w"].tobytes() == arrays["w"].tobytes(), i
    damaged = bytearray(data)
    damaged[len(data) // 3] ^= 0x55
    path.write_bytes(bytes(damaged))
    with pytest.raises(InvalidValueError):
        load_checkpoint(path)

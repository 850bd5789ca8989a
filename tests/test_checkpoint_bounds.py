"""No checkpoint can make chainrule allocate or work beyond bounds derived from the file and the CLI's own limits.

Issue 16 §1, each attack as the issue found it, through the library
(``Trainer.resume``) and both commands that read checkpoints
(``chainrule train --resume`` and ``chainrule check``), which share one reader:

* the metadata declares a huge network (``layers = [4096]*64``, or a network
  within the layer bounds whose weights the file does not hold): refused
  before any network is built, with a peak allocation of a few MB;
* the metadata asks for 10⁹ epochs: refused with the ``--epochs`` flag's own
  bound;
* a deflated member that inflates to hundreds of MB, an unknown member, a
  duplicated member, two members sharing bytes: refused from the zip
  directory and the ``.npy`` headers, before inflating;
* a named pipe or a device: refused at once, never read (it would block);
* a history whose values are not numbers: refused on load, not a
  ``TypeError`` when plotting;
* int, bool, complex, big-endian and structured weights: refused alike by
  ``check`` and ``train --resume``;
* and a positive bound: reading a real checkpoint allocates at most 8× its
  file size (the figure in docs/reliability.md).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

from chainrule.checkpoint import load_checkpoint
from chainrule.cli import main
from chainrule.errors import InvalidValueError
from chainrule.training import TrainConfig, Trainer
from checkpoint_files import rewrite, valid_checkpoint

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _members(path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def _write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, payload in members:
            if callable(payload):
                with z.open(name, "w", force_zip64=True) as f:
                    payload(f)
            else:
                z.writestr(name, payload)


def _refused_everywhere(capsys, path, *pattern: str) -> str:
    """The library, `train --resume` and `check` all refuse ``path`` with one line holding every ``pattern``."""
    with pytest.raises(InvalidValueError) as info:
        Trainer.resume(path)
    message = str(info.value)
    assert "\n" not in message
    for p in pattern:
        assert p in message, message
    for argv in (["train", "--resume", str(path), "--format", "json"], ["check", str(path), "--format", "json"]):
        code = main(argv)
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert code == 2 and captured.out == "", (argv, code, captured)
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        for p in pattern:
            assert p in err, err
    return message


def _peak(fn) -> int:
    """The peak traced allocation (numpy's buffers included) while ``fn()`` runs, in bytes."""
    tracemalloc.start()
    try:
        fn()
    except InvalidValueError:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


# --------------------------------------------------------------- the metadata
@pytest.mark.parametrize("layers,pattern", [
    ([4096] * 64, "hidden_layers = 64 is out of range; allowed: a whole number from 0 to 8"),
    ([4096] * 8, "has 117,489,666 parameters; at most 20,000,000 are allowed"),
    ([4096, 4096], "the model weights in the file hold 42 numbers; the network [2, 4096, 4096, 2] its settings "
                   "declare has 16,801,794"),
    ([0], "layers[0] = 0 is out of range"),
    ("4096", "is not a list of layer sizes"),
], ids=["64-layers-of-4096", "8-layers-of-4096", "within-bounds-but-not-in-the-file", "zero", "a-string"])
def test_a_network_the_metadata_declares_is_checked_before_it_is_built(tmp_path, capsys, layers, pattern):
    path = rewrite(valid_checkpoint(tmp_path / "c.npz"), change_meta=lambda m: m["config"].update(layers=layers))
    _refused_everywhere(capsys, path, pattern)
    # [4096, 4096] would be 67 MB of float32 weights, 5 times that with Adam's state: none of it is allocated
    assert _peak(lambda: Trainer.resume(path)) < 4 * 2**20


@pytest.mark.parametrize("change,pattern", [
    (dict(epochs=10**9), "epochs = 1000000000 is out of range; allowed: a whole number from 0 to 100000"),
    (dict(batch_size=0), "batch_size = 0 is out of range"),
    (dict(n_samples=10**9), "n_samples = 1000000000 is out of range"),
    (dict(lr=float("inf")), "lr = inf is not finite"),
    (dict(lr="0.1"), "lr = '0.1' is not a number"),
    (dict(seed=-1), "seed = -1 is out of range"),
    (dict(schedule="exponential"), "schedule = 'exponential' is not allowed; allowed: one of: constant, cosine, step"),
    (dict(average=2), "average = 2 is out of range; allowed: a finite number from 0 to 1"),
    (dict(dtype="float16"), "dtype = 'float16' is not allowed"),
], ids=lambda v: next(iter(v)) if isinstance(v, dict) else "")
def test_a_setting_read_from_a_file_meets_the_bound_of_its_flag(tmp_path, capsys, change, pattern):
    path = rewrite(valid_checkpoint(tmp_path / "c.npz"), change_meta=lambda m: m["config"].update(change))
    _refused_everywhere(capsys, path, "cannot resume from", pattern)


def test_the_flag_and_the_file_share_one_bound(capsys):
    from chainrule.training_config import TRAIN_PARAMS

    high = TRAIN_PARAMS["epochs"].high
    assert main(["train", "--epochs", str(high + 1)]) == 2
    assert f"{high + 1} is out of range; allowed: a whole number from 0 to {high}" in capsys.readouterr().err
    with pytest.raises(InvalidValueError, match=f"epochs = {high + 1} is out of range"):
        TrainConfig(epochs=high + 1).resolved()


@pytest.mark.parametrize("bad", [None, "0.5", True, float("nan"), -1.0, [], 1e400])
def test_a_history_value_that_is_not_a_finite_number_is_refused_on_load(tmp_path, capsys, bad):
    path = valid_checkpoint(tmp_path / "c.npz", epochs=2)
    t = Trainer.resume(path)
    t.fit()
    t.save(path)
    path = rewrite(path, change_meta=lambda m: m["history"][1].update(train_loss=bad))
    _refused_everywhere(capsys, path, "damaged metadata: history[1].train_loss")
    # the commands that used to reach a TypeError: a plot, a Markdown table
    for extra in (["--plot", str(tmp_path / "x.png")], ["--format", "markdown"]):
        assert main(["train", "--resume", path, "--epochs", "3", *extra]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "history[1].train_loss" in err and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("change,pattern", [
    (lambda m: m.update(epoch=10**9), "epoch = 1000000000"),
    (lambda m: m.update(epoch=True), "epoch = True"),
    (lambda m: m.update(history={"epoch": 1}), "history must be a list"),
    (lambda m: m["history"][0].update(epoch=7), "history[0].epoch = 7"),
    (lambda m: m["history"][0].update(extra=1), "history[0] has unknown fields extra"),
    (lambda m: m["history"][0].update(test_accuracy=1.5), "history[0].test_accuracy = 1.5 is out of range"),
    (lambda m: m.update(average={"start": 1, "count": 5}), "average ="),
], ids=["epoch-huge", "epoch-bool", "history-not-a-list", "history-numbering", "history-unknown-field",
        "accuracy-above-1", "average-beyond-the-epochs"])
def test_the_epoch_history_and_average_metadata_are_checked(tmp_path, capsys, change, pattern):
    path = rewrite(valid_checkpoint(tmp_path / "c.npz"), change_meta=change)
    _refused_everywhere(capsys, path, pattern)


# ---------------------------------------------------------------- the archive
def test_a_deflated_member_claiming_hundreds_of_megabytes_is_refused_before_inflating(tmp_path, capsys):
    ok = valid_checkpoint(tmp_path / "ok.npz")
    members = _members(ok)
    big = 256 * 2**20  # 256 MiB of zeros deflate to about 256 kB

    def zeros(f):
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (big // 4,)})
        f.write(header.getvalue())
        chunk = bytes(2**20)
        for _ in range(big // 2**20):
            f.write(chunk)

    cases = [("extra.npy", "an unknown member 'extra'"),
             ("optim.m.0.npy", "'optim.m.0' holds 67,108,864 numbers; the network [2, 8, 2] its settings declare "
                               "needs at most 42")]
    for name, pattern in cases:
        path = tmp_path / "bomb.npz"
        _write_zip(path, [(n, p) for n, p in members if n != name] + [(name, zeros)], zipfile.ZIP_DEFLATED)
        assert path.stat().st_size < 2 * 2**20
        _refused_everywhere(capsys, path, pattern)
        assert _peak(lambda: Trainer.resume(path)) < 4 * 2**20  # never inflated


def test_a_member_named_twice_is_refused_not_silently_overridden(tmp_path, capsys):
    ok = valid_checkpoint(tmp_path / "ok.npz")
    members = _members(ok)
    weight = dict(members)["model.layers.0.weight.npy"]
    other = _npy(np.zeros((2, 8), np.float32))
    path = tmp_path / "dup.npz"
    with pytest.warns(UserWarning, match="Duplicate name"):
        _write_zip(path, members + [("model.layers.0.weight.npy", other)])
    assert weight != other
    _refused_everywhere(capsys, path, "the member 'model.layers.0.weight.npy' appears twice")


def test_members_that_share_bytes_are_refused(tmp_path, capsys):
    # the "overlapping" zip bomb: two directory entries pointing at one compressed stream
    ok = valid_checkpoint(tmp_path / "ok.npz")
    data = bytearray(open(ok, "rb").read())
    with zipfile.ZipFile(ok) as z:
        infos = z.infolist()
    first, second = infos[0], infos[1]
    cd = data.rfind(b"PK\x05\x06")
    cd_offset = int.from_bytes(data[cd + 16:cd + 20], "little")
    entry = data.find(b"PK\x01\x02", cd_offset)
    while data[entry + 46:entry + 46 + len(second.filename)] != second.filename.encode():
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 42:entry + 46] = first.header_offset.to_bytes(4, "little")  # the second entry's local header offset
    path = tmp_path / "overlap.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidValueError, match="share bytes|no local header|appears twice|not a readable"):
        load_checkpoint(path)
    _refused_everywhere(capsys, path, "not a readable chainrule checkpoint")


@pytest.mark.parametrize("make,pattern", [
    (lambda a: a["model.layers.0.weight"].astype(np.int32), "dtype int32"),
    (lambda a: a["model.layers.0.weight"] > 0, "dtype bool"),
    (lambda a: a["model.layers.0.weight"].astype(np.complex64), "dtype complex64; only plain numbers are read"),
    (lambda a: a["model.layers.0.weight"].astype(">f4"), "is big-endian (>f4)"),
    (lambda a: np.zeros(a["model.layers.0.weight"].shape, [("x", "<f4")]), "only plain numbers are read"),
    (lambda a: np.asfortranarray(a["model.layers.0.weight"]), "Fortran order"),
], ids=["int", "bool", "complex", "big-endian", "structured", "fortran-order"])
def test_check_and_resume_refuse_the_same_weights_with_one_rule(tmp_path, capsys, make, pattern):
    ok = valid_checkpoint(tmp_path / "ok.npz")
    arrays, meta = load_checkpoint(ok)
    weight = make(arrays)
    path = tmp_path / "w.npz"
    members = [(n, p) for n, p in _members(ok) if n != "model.layers.0.weight.npy"]
    _write_zip(path, members + [("model.layers.0.weight.npy", _npy(weight))])
    _refused_everywhere(capsys, path, pattern)


def test_a_well_formed_checkpoint_is_still_accepted_by_both(tmp_path, capsys):
    # the positive control of the refusals above: the untouched file loads, resumes and checks
    ok = valid_checkpoint(tmp_path / "ok.npz")
    assert Trainer.resume(ok).epoch == 1
    assert main(["check", ok, "--no-torch", "--format", "json"]) == 0
    assert main(["train", "--resume", ok, "--epochs", "2", "--format", "json"]) == 0
    capsys.readouterr()


# ------------------------------------------------------------- not a file
@pytest.mark.parametrize("command", [["check"], ["train", "--resume"]])
def test_a_named_pipe_is_refused_at_once_not_read_forever(tmp_path, command):
    fifo = tmp_path / "p.npz"
    os.mkfifo(fifo)
    proc = subprocess.run([CHAINRULE, *command, str(fifo)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "it is a named pipe, not a regular file" in err, err


def test_a_device_is_refused_not_read(capsys):
    assert main(["check", "/dev/zero"]) == 2
    assert "it is a device, not a regular file" in capsys.readouterr().err
    with pytest.raises(InvalidValueError, match="it is a device"):
        load_checkpoint("/dev/zero")


# ------------------------------------------------------------- the bound
@pytest.mark.parametrize("optimizer", [dict(optimizer="adam", average=0.5), dict(optimizer="sgd", momentum=0.9),
                                       dict(optimizer="sgd", momentum=0.0)],
                         ids=["adam-averaged", "sgd-momentum", "sgd-weights-only"])
def test_reading_a_checkpoint_allocates_at_most_eight_times_its_file_size(tmp_path, optimizer):
    # a real run's checkpoint: what resuming it allocates, the dataset aside, is bounded by its size on disk,
    # because every array was checked against the file first. The worst case is the smallest file: plain SGD
    # stores only the weights, and the network, its optimizer's buffers and the arrays read are all that size.
    from chainrule import data

    path = tmp_path / "run.npz"
    t = Trainer(TrainConfig(data="digits", layers=[256, 256], epochs=2, **{"average": 0.0, **optimizer}))
    t.fit()
    t.save(path)
    dataset = data.load("digits")
    size = path.stat().st_size
    peak = _peak(lambda: Trainer.resume(path, dataset=dataset))
    assert size >= 4 * t.model.num_parameters()  # at least the float32 weights, stored
    assert peak <= 8 * size, (peak, size)

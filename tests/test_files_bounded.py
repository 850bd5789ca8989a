"""Every file a person or a file names is read within bounds, and a checkpoint never makes chainrule open a file.

Issue 21 §1-§2: devices and named pipes are refused at once (never read
forever, never waited on), the size cap is checked while reading (a device's
size is 0), a line-length cap holds, and a checkpoint trained on your own
points is resumed or checked only on the CSV file you name, known again by
its content's SHA-256. Each command runs in a subprocess with a deadline, so
a hang fails the test instead of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule import files
from chainrule.errors import InvalidValueError
from chainrule.training import TrainConfig, Trainer
from checkpoint_files import rewrite, valid_checkpoint

DEADLINE = 60  # seconds: far beyond the fraction of a second each refusal takes; only a hang reaches it


def chainrule(*argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from chainrule.cli import main; sys.exit(main())", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=DEADLINE, stdin=subprocess.DEVNULL)


def refused_in_one_line(proc, *words):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def write_points(path, n=120):
    rows = ["x,y,label"] + [f"{(i % 11) / 5 - 1:.2f},{(i % 7) / 3 - 1:.2f},{int(((i % 11) / 5 - 1) > 0)}"
                            for i in range(n)]
    path.write_text("\n".join(rows) + "\n")
    return path


# ------------------------------------------------------------------ the reader
def test_a_device_is_refused_at_once_whatever_getsize_says():
    assert os.path.getsize("/dev/zero") == 0  # what the old reader trusted
    with pytest.raises(InvalidValueError, match=r"cannot read '/dev/zero': it is a device, not a regular file"):
        files.read_text("/dev/zero", 1000)


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "k.csv"
    os.mkfifo(fifo)
    with pytest.raises(InvalidValueError, match="it is a named pipe, not a regular file"):
        files.read_bytes(fifo, 1000)


def test_a_folder_and_a_missing_file_are_named(tmp_path):
    with pytest.raises(InvalidValueError, match="it is a folder"):
        files.read_text(tmp_path, 10)
    with pytest.raises(InvalidValueError, match="no such file"):
        files.read_text(tmp_path / "nope.csv", 10)


def test_the_size_cap_is_checked_on_the_bytes_read(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 101)
    assert files.read_bytes(path, 101) == b"a" * 101
    with pytest.raises(InvalidValueError, match="larger than 100 bytes; allowed: at most 100"):
        files.read_bytes(path, 100)


def test_a_line_longer_than_the_cap_is_refused_without_quoting_it(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_text("x,y,label\n" + "SECRET" * 50 + "\n")
    with pytest.raises(InvalidValueError) as exc:
        files.read_text(path, 10_000, max_line=100)
    assert "line 2 is longer than 100 characters" in str(exc.value) and "SECRET" not in str(exc.value)


def test_text_is_utf8_and_a_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffname\n".encode())
    assert files.read_text(path, 100) == "name\n"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidValueError, match="is not UTF-8 text"):
        files.read_text(path, 100)


# ----------------------------------------------------- every file option, end to end
@pytest.mark.parametrize("special", ["/dev/zero", "/dev/full", "fifo"])
@pytest.mark.parametrize("command", [
    ["grade", "{f}", "answers.csv"],
    ["grade", "key.csv", "{f}"],
    ["worksheet", "chain", "--names", "{f}", "--out", "ws"],
    ["exercise", "simplest", "--seed", "1", "--answers", "{f}"],
    ["train", "--data", "{csv}"],
    ["train", "--resume", "{f}"],
    ["check", "{f}"],
])
def test_every_file_option_refuses_devices_and_pipes_in_one_line(tmp_path, command, special):
    if special == "fifo":
        os.mkfifo(tmp_path / "pipe")
        os.mkfifo(tmp_path / "pipe.csv")
        f, csv = str(tmp_path / "pipe"), str(tmp_path / "pipe.csv")
    else:
        f = special
        csv = str(tmp_path / "device.csv")
        os.symlink(special, csv)  # --data takes FILE.csv: a link named .csv to the device
    (tmp_path / "answers.csv").write_text("student,id\n")
    (tmp_path / "key.csv").write_text("student,question,answer,formula,lesson,seed,settings\n")
    argv = [a.format(f=f, csv=csv) for a in command]
    if argv[0] == "check" and special != "fifo":
        argv[1] = csv  # check tells a checkpoint from a lesson by the file existing
    proc = chainrule(*argv, cwd=tmp_path)
    refused_in_one_line(proc, "not a regular file")


# -------------------------------------------------- a checkpoint names no file to read
def test_a_checkpoint_naming_a_local_file_never_opens_or_quotes_it(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("x,y,label\n1,2,0\nTOPSECRET-API-KEY-123,0,1\n")
    secret.chmod(0o000)  # readable by root all the same: the proof is that nothing reads it
    path = rewrite(valid_checkpoint(tmp_path / "ck.npz"),
                   change_meta=lambda m: m["config"].update(data=str(secret)))
    for argv in (["train", "--resume", path, "--epochs", "2"], ["check", path, "--no-torch"]):
        line = refused_in_one_line(chainrule(*argv, cwd=tmp_path), "name that file with --data FILE.csv")
        assert "TOPSECRET" not in line and "secret.csv" not in line


def test_a_checkpoint_naming_a_named_pipe_does_not_hang(tmp_path):
    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    path = rewrite(valid_checkpoint(tmp_path / "ck.npz"), change_meta=lambda m: m["config"].update(data=str(fifo)))
    for argv in (["train", "--resume", path], ["check", path, "--no-torch"]):
        refused_in_one_line(chainrule(*argv, cwd=tmp_path), "--data FILE.csv")


def test_your_own_points_resume_only_on_the_file_you_name_with_the_same_content(tmp_path):
    points = write_points(tmp_path / "pts.csv")
    first = Trainer(TrainConfig(data=str(points), layers=[4], epochs=1))
    first.fit()
    first.save(tmp_path / "ck.npz")
    with pytest.raises(InvalidValueError, match=r"trained on your own points, a CSV file \(sha256 [0-9a-f]{12}…\)"):
        Trainer.resume(tmp_path / "ck.npz")
    moved = tmp_path / "moved.csv"
    moved.write_bytes(points.read_bytes())  # the same points under another name: the same run
    resumed = Trainer.resume(tmp_path / "ck.npz", epochs=2, data=str(moved))
    assert resumed.config.data == str(moved) and resumed.dataset.sha256 == first.dataset.sha256
    resumed.fit()
    changed = write_points(tmp_path / "changed.csv", n=121)
    with pytest.raises(InvalidValueError, match="is not the file this run was trained on"):
        Trainer.resume(tmp_path / "ck.npz", data=str(changed))


def test_a_built_in_dataset_resumes_by_name_and_a_different_data_flag_is_refused(tmp_path):
    path = valid_checkpoint(tmp_path / "ck.npz")
    assert Trainer.resume(path, data="moons").config.data == "moons"
    with pytest.raises(InvalidValueError, match="--data circles differs from the checkpoint's moons"):
        Trainer.resume(path, data="circles")


def test_a_damaged_data_digest_is_refused(tmp_path):
    path = rewrite(valid_checkpoint(tmp_path / "ck.npz"), change_meta=lambda m: m.update(data_sha256="../../etc"))
    with pytest.raises(InvalidValueError, match="data_sha256 is not a SHA-256 digest"):
        Trainer.resume(path)


def test_check_and_train_take_the_points_file_beside_the_checkpoint(tmp_path):
    points = write_points(tmp_path / "pts.csv")
    assert chainrule("train", "--data", str(points), "--layers", "4", "--epochs", "1", "--save", "ck.npz",
                     cwd=tmp_path).returncode == 0
    ok = chainrule("check", "ck.npz", "--no-torch", "--data", str(points), cwd=tmp_path)
    assert ok.returncode == 0 and "agree within tolerance" in ok.stdout, ok.stderr
    more = chainrule("train", "--resume", "ck.npz", "--data", str(points), "--epochs", "2", cwd=tmp_path)
    assert more.returncode == 0 and "after 2 epochs" in more.stdout, more.stderr

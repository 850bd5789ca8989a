"""Checkpoints under a crash: SIGKILL in the middle of a save leaves the previous checkpoint whole.

A real child process runs ``chainrule train --save`` (the CLI's own code path)
with one hook installed before it starts: on the K-th save it stops at a
chosen moment and tells the parent, which then kills it with SIGKILL, at
exactly that moment, every run. The moments:

* ``mid-write``: the temporary file holds only the first half of the archive
  (written, flushed and fsynced, so it really is on disk half-written);
* ``before-rename``: the temporary file is complete but not yet renamed over
  the checkpoint.

After the kill the checkpoint must load and hold epoch K-1, and resuming
from it to the end must give bit-for-bit the weights (and optimizer state) of
a run that was never interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from chainrule.checkpoint import load_checkpoint
from chainrule.cli import main

EPOCHS = 4
KILL_AT_SAVE = 3  # the third save (after epoch 3) is killed; the file must still hold epoch 2
RUN = ["train", "--data", "moons", "--samples", "200", "--layers", "8", "--optimizer", "adam", "--lr", "0.05",
       "--batch-size", "16", "--seed", "5", "--format", "json"]

# The child: install the hook, then run the real CLI. It prints "PAUSED" once it is stopped at the moment
# chosen, and then sleeps (bounded) until the parent kills it.
DRIVER = textwrap.dedent("""
    import io, os, sys, time
    import numpy as np
    from chainrule.cli import main

    moment, kill_at = sys.argv[1], int(sys.argv[2])
    argv = sys.argv[3:]
    saves = 0
    real_savez, real_replace = np.savez, os.replace

    def pause(what):
        print("PAUSED " + what, flush=True)
        time.sleep(120)  # the parent kills us long before this ends
        sys.exit(3)       # reached only if the parent never killed us

    def savez(f, *args, **kwargs):
        global saves
        saves += 1
        if moment != "mid-write" or saves != kill_at:
            return real_savez(f, *args, **kwargs)
        buf = io.BytesIO()
        real_savez(buf, *args, **kwargs)
        data = buf.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        pause(f"{len(data) // 2}/{len(data)} bytes of {f.name}")

    def replace(src, dst, *args, **kwargs):
        if moment == "before-rename" and saves == kill_at:
            pause(f"before renaming {src}")
        return real_replace(src, dst, *args, **kwargs)

    np.savez = savez
    os.replace = replace
    sys.exit(main(argv))
""")


def _kill_during_save(tmp_path, moment: str):
    """Run the child until it pauses inside save number KILL_AT_SAVE, SIGKILL it there, return its pause line."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    ckpt = tmp_path / "run.npz"
    proc = subprocess.Popen(
        [sys.executable, str(driver), moment, str(KILL_AT_SAVE), *RUN, "--epochs", str(EPOCHS), "--save", str(ckpt)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )
    try:
        line = proc.stdout.readline()  # blocks until the child is paused (or exits)
        assert line.startswith("PAUSED"), f"child did not pause: {line!r} {proc.stderr.read()}"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    return ckpt, line


def _assert_same_state(a: dict, b: dict):
    assert set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        assert a[k].tobytes() == b[k].tobytes(), k  # bit-for-bit, not just equal as numbers


@pytest.mark.parametrize("moment", ["mid-write", "before-rename"])
def test_sigkill_during_a_save_leaves_the_previous_checkpoint_and_resuming_equals_an_uninterrupted_run(
        tmp_path, capsys, moment):
    ckpt, line = _kill_during_save(tmp_path, moment)

    # the killed save's temporary file really is there (half-written, or whole but not renamed) ...
    leftovers = [p for p in os.listdir(tmp_path) if p.startswith(".run.npz.") and p.endswith(".tmp")]
    assert len(leftovers) == 1, (line, os.listdir(tmp_path))
    if moment == "mid-write":
        written, total = map(int, line.split()[1].split("/"))
        assert (tmp_path / leftovers[0]).stat().st_size == written < total
    # ... and the checkpoint is the previous epoch's, whole and loadable
    arrays, meta = load_checkpoint(ckpt)
    assert meta["epoch"] == KILL_AT_SAVE - 1 and len(meta["history"]) == KILL_AT_SAVE - 1

    # resume after the kill, to the end: its first successful save also removes the killed save's debris
    assert main(["train", "--resume", str(ckpt), "--epochs", str(EPOCHS), "--save", str(ckpt), "--format", "json"]) == 0
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
    # a run never interrupted
    straight = tmp_path / "straight.npz"
    assert main([*RUN, "--epochs", str(EPOCHS), "--save", str(straight)]) == 0
    capsys.readouterr()

    resumed_arrays, resumed_meta = load_checkpoint(ckpt)
    straight_arrays, straight_meta = load_checkpoint(straight)
    assert resumed_meta["epoch"] == straight_meta["epoch"] == EPOCHS
    _assert_same_state(resumed_arrays, straight_arrays)  # weights and Adam's m, v, t
    drop = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert drop(resumed_meta["history"]) == drop(straight_meta["history"])


def test_a_half_written_temporary_file_is_itself_refused_with_one_clear_line(tmp_path, capsys):
    _, line = _kill_during_save(tmp_path, "mid-write")
    (leftover,) = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    half = tmp_path / "half.npz"
    os.replace(tmp_path / leftover, half)  # as if someone renamed the debris by hand
    assert main(["train", "--resume", str(half)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not a readable chainrule checkpoint" in err, err

"""``chainrule train``: defaults that reach the published accuracy, JSON output, checkpoints, plots, bad options."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from chainrule.checkpoint import load_checkpoint
from chainrule.cli import main

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")


def run_json(capsys, *argv) -> dict:
    code = main(["train", *argv, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)  # exactly one JSON object on stdout


def test_digits_defaults_reach_97_percent_test_accuracy(capsys):
    result = run_json(capsys, "--data", "digits")
    assert result["test_accuracy"] >= 0.97
    assert result["epochs"] == 30 and len(result["history"]) == 30
    assert result["config"]["layers"] == [128, 64] and result["config"]["optimizer"] == "sgd"
    first, last = result["history"][0], result["history"][-1]
    assert last["train_loss"] < first["train_loss"]
    assert set(last) >= {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"}


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spiral"])
def test_2d_defaults_reach_their_target(capsys, name):
    result = run_json(capsys, "--data", name)
    assert result["test_accuracy"] >= result["target_accuracy"]


def test_the_issue_command_line_runs_and_prints_per_epoch_lines(capsys):
    code = main(["train", "--data", "digits", "--layers", "128,64", "--activation", "relu", "--optimizer", "sgd",
                 "--lr", "0.05", "--momentum", "0.9", "--batch-size", "64", "--epochs", "3", "--seed", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "epoch 1/3" in out and "epoch 3/3" in out and "test accuracy" in out


def test_markdown_format_prints_a_table(capsys):
    assert main(["train", "--data", "xor", "--epochs", "2", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| epoch | train loss |" in out and "| 2 |" in out


def test_resume_gives_exactly_the_uninterrupted_result(capsys, tmp_path):
    common = ["--data", "digits", "--layers", "32", "--seed", "3"]
    straight = run_json(capsys, *common, "--epochs", "4", "--save", str(tmp_path / "straight.npz"))
    run_json(capsys, *common, "--epochs", "2", "--save", str(tmp_path / "run.npz"))
    resumed = run_json(capsys, "--resume", str(tmp_path / "run.npz"), "--epochs", "4", "--save", str(tmp_path / "run.npz"))
    assert resumed["history"] == [dict(r, seconds=s["seconds"]) for r, s in zip(straight["history"], resumed["history"])]
    a, _ = load_checkpoint(tmp_path / "straight.npz")
    b, meta = load_checkpoint(tmp_path / "run.npz")
    assert meta["epoch"] == 4
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_resume_refuses_changed_settings(capsys, tmp_path):
    run_json(capsys, "--data", "moons", "--epochs", "1", "--save", str(tmp_path / "m.npz"))
    code = main(["train", "--resume", str(tmp_path / "m.npz"), "--lr", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and "--lr 0.5 differs from the checkpoint's 0.01" in err


@pytest.mark.parametrize("data,suffix", [("moons", ".png"), ("digits", ".svg")])
def test_plot_writes_the_curves(capsys, tmp_path, data, suffix):
    path = tmp_path / f"curves{suffix}"
    assert main(["train", "--data", data, "--epochs", "2", "--plot", str(path)]) == 0
    assert path.stat().st_size > 1000


def test_divergence_stops_with_the_epoch_and_a_smaller_learning_rate(capsys):
    code = main(["train", "--data", "digits", "--lr", "1e4", "--epochs", "5", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    line = captured.err.strip()
    assert "\n" not in line
    assert "diverged in epoch 1" in line and "smaller learning rate" in line and "--lr 1000" in line


@pytest.mark.parametrize("argv,message", [
    (["--data", "cifar"], "argument --data: 'cifar' is not a dataset; allowed: digits"),
    (["--layers", "128,x"], "not a list of layer sizes"),
    (["--layers", "0"], "layer size 0 is out of range"),
    (["--lr", "-1"], "'-1' must be > 0"),
    (["--lr", "nan"], "not finite"),
    (["--momentum", "1.5"], "'1.5' must be < 1"),
    (["--batch-size", "0"], "0 is out of range"),
    (["--epochs", "ten"], "'ten' is not a whole number"),
    (["--activation", "gelu"], "invalid choice"),
    (["--data", "digits", "--noise", "0.1"], "--noise applies to the 2-D datasets"),
    (["--data", "mnist1d", "--test-fraction", "0.3"], "--test-fraction does not apply to mnist1d"),
    (["--optimizer", "adam", "--momentum", "0.9"], "momentum applies to the sgd optimizer"),
    (["--resume", "/nonexistent/ckpt.npz"], "no such file"),
    (["--save", "/nonexistent/dir/ckpt.npz"], "does not exist"),
    (["--save", "model.pt"], "must end in .npz"),
    (["--plot", "curves.pdf"], "must end in .png or .svg"),
], ids=lambda v: v if isinstance(v, str) else "-".join(v)[:40])
def test_bad_options_get_one_line_and_exit_code_2(capsys, argv, message):
    code = main(["train", *argv, "--epochs", "1"] if "--epochs" not in argv else ["train", *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and message in err, err


def test_a_bad_checkpoint_file_is_one_line_and_exit_code_2(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    assert main(["train", "--resume", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not a readable chainrule checkpoint" in err


def test_the_installed_command_prints_one_json_object(tmp_path):
    proc = subprocess.run([CHAINRULE, "train", "--data", "circles", "--epochs", "3", "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["dataset"] == "circles" and result["epochs"] == 3 and 0 <= result["test_accuracy"] <= 1
    bad = subprocess.run([CHAINRULE, "train", "--batch-size", "-3"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1

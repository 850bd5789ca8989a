"""``chainrule train``: schedules, reported weights, overfitting, JSON, checkpoints, plots, bad options.

The defaults' accuracy on seeds 0-4 of every dataset is tests/test_baselines.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from chainrule.checkpoint import load_checkpoint
from chainrule.cli import main

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")


def run_json(capsys, *argv) -> dict:
    code = main(["train", *argv, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)  # exactly one JSON object on stdout


def test_json_carries_the_schedule_the_reported_weights_and_overfitting(capsys):
    result = run_json(capsys, "--data", "digits", "--epochs", "12", "--schedule", "cosine", "--average", "0.25")
    assert result["config"]["schedule"] == "cosine" and result["config"]["average"] == 0.25
    rates = [r["lr"] for r in result["history"]]
    assert rates[0] == result["config"]["lr"] and all(a > b for a, b in zip(rates, rates[1:]))  # cosine: falling
    assert result["reported"]["weights"] == "average"
    assert (result["reported"]["first_epoch"], result["reported"]["last_epoch"]) == (10, 12)  # the last 25%: 3 epochs
    assert "stochastic weight averaging" in result["reported"]["why"]
    # the reported metrics are the average's, not the last epoch's
    assert result["test_accuracy"] != result["history"][-1]["test_accuracy"] or \
        result["test_loss"] != result["history"][-1]["test_loss"]
    o = result["overfitting"]
    assert set(o) >= {"detected", "began", "lowest_epochs", "last_epochs", "test_loss_then", "test_loss_now"}
    assert {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr"} <= set(result["history"][-1])


def test_digits_without_weight_decay_says_when_overfitting_began(capsys):
    # plain SGD with momentum and no weight decay (the recipe before issue 10): the training loss falls to
    # nothing while the test loss climbs back from its lowest point; the run says so, with the epoch
    argv = ["train", "--data", "digits", "--layers", "128,64", "--optimizer", "sgd", "--lr", "0.05", "--momentum",
            "0.9", "--weight-decay", "0", "--average", "0"]
    result = run_json(capsys, *argv[1:])
    o = result["overfitting"]
    # here it began in epoch 6; another processor's rounding may move the lowest test loss by an epoch or two
    assert o["detected"] and 3 <= o["began"] <= 12 and o["test_loss_now"] > 1.05 * o["test_loss_then"]
    assert o["train_loss_now"] < 0.75 * o["train_loss_then"]
    assert main(argv) == 0  # and in words, with that epoch (the same run again, on the same machine)
    out = capsys.readouterr().out
    assert f"overfitting: the test loss has been rising since epoch {o['began']} while the training loss fell" in out
    # the defaults' weight decay keeps the test loss level: the run says that too, in one line
    assert main(["train", "--data", "digits", "--epochs", "30"]) == 0
    assert "overfitting: none seen" in capsys.readouterr().out


def test_the_issue_command_line_runs_and_prints_per_epoch_lines(capsys):
    code = main(["train", "--data", "digits", "--layers", "128,64", "--activation", "relu", "--optimizer", "sgd",
                 "--lr", "0.05", "--momentum", "0.9", "--batch-size", "64", "--epochs", "3", "--seed", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "epoch 1/3  lr 0.05 " in out and "epoch 3/3" in out and "test accuracy" in out
    assert "sgd constant lr 0.05" in out and "reported: the average of the weights of epochs 2-3" in out
    assert "overfitting" not in out  # 3 epochs are too few to tell


def test_markdown_format_prints_a_table(capsys):
    assert main(["train", "--data", "xor", "--epochs", "2", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| epoch | lr | train loss |" in out and "| 2 | " in out
    assert "Reported weights: the weights of the last epoch (2): the cosine schedule" in out


@pytest.mark.parametrize("plan", [["--schedule", "cosine", "--average", "0.5"], ["--schedule", "constant", "--average", "0"]],
                         ids=["cosine-averaged", "constant"])
def test_resume_gives_exactly_the_uninterrupted_result(capsys, tmp_path, plan):
    common = ["--data", "digits", "--layers", "32", "--seed", "3", *plan]
    straight = run_json(capsys, *common, "--epochs", "4", "--save", str(tmp_path / "straight.npz"))
    # the same plan of 4 epochs, stopped after 2 (as a killed run would be), then resumed by the CLI
    from chainrule.training import Trainer, TrainConfig

    config = TrainConfig(data="digits", layers=[32], seed=3, epochs=4, schedule=plan[1], average=float(plan[3]))
    half = Trainer(config)
    half.fit(epochs=2)
    half.save(tmp_path / "run.npz")
    resumed = run_json(capsys, "--resume", str(tmp_path / "run.npz"), "--save", str(tmp_path / "run.npz"))
    drop = lambda r: {k: v for k, v in r.items() if k != "history"}  # noqa: E731
    assert drop(resumed) == drop(straight)
    assert resumed["history"] == [dict(r, seconds=s["seconds"]) for r, s in zip(straight["history"], resumed["history"])]
    a, _ = load_checkpoint(tmp_path / "straight.npz")
    b, meta = load_checkpoint(tmp_path / "run.npz")
    assert meta["epoch"] == 4 and set(a) == set(b)
    assert any(k.startswith("average.") for k in a) == (plan[3] != "0")
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k


def test_resume_with_a_new_total_continues_a_constant_plan_exactly(capsys, tmp_path):
    # with a constant rate and nothing averaged, 2 epochs then 2 more are the same as 4
    common = ["--data", "moons", "--layers", "8", "--schedule", "constant", "--average", "0"]
    straight = run_json(capsys, *common, "--epochs", "4")
    run_json(capsys, *common, "--epochs", "2", "--save", str(tmp_path / "run.npz"))
    resumed = run_json(capsys, "--resume", str(tmp_path / "run.npz"), "--epochs", "4")
    assert resumed["test_loss"] == straight["test_loss"] and resumed["epochs"] == 4


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
    code = main(["train", "--data", "digits", "--optimizer", "sgd", "--lr", "1e4", "--epochs", "5", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    line = captured.err.strip()
    assert "\n" not in line
    assert "diverged in epoch 1" in line and "smaller learning rate" in line and "--lr 1000" in line


@pytest.mark.parametrize("argv,message", [
    (["--data", "cifar"], "argument --data: 'cifar' is not a dataset; allowed: digits"),
    (["--layers", "128,x"], "not a list of layer sizes"),
    (["--layers", "0"], "layers[0] = 0 is out of range; allowed: a whole number from 1 to 4096"),
    (["--layers", ",".join(["8"] * 9)], "hidden_layers = 9 is out of range; allowed: a whole number from 0 to 8"),
    (["--layers", "4096,4096,4096"], "[64, 4096, 4096, 4096, 10] has 33,869,834 parameters; at most 20,000,000"),
    (["--lr", "-1"], "-1 is out of range; allowed: a finite number > 0"),
    (["--lr", "nan"], "not finite"),
    (["--momentum", "1.5"], "1.5 is out of range; allowed: a finite number >= 0 and < 1"),
    (["--epochs", "100001"], "100001 is out of range; allowed: a whole number from 0 to 100000"),
    (["--schedule", "linear"], "argument --schedule: invalid choice"),
    (["--average", "1.5"], "1.5 is out of range; allowed: a finite number from 0 to 1"),
    (["--batch-size", "0"], "0 is out of range"),
    (["--epochs", "ten"], "'ten' is not a whole number"),
    (["--activation", "gelu"], "invalid choice"),
    (["--data", "digits", "--noise", "0.1"], "noise applies to the 2-D datasets"),
    (["--data", "mnist1d", "--test-fraction", "0.3"], "test_fraction does not apply to mnist1d"),
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

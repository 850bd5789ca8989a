"""``chainrule train --data FILE.csv``: your own points on the command line, read as the playground reads them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.csv_points import CsvError, parse_points


def write_xor(path, n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    path.write_text("x,y,label\n" + "".join(f"{a:.4f},{b:.4f},{c}\n" for (a, b), c in zip(X, y)))
    return path


def test_your_own_points_train_from_a_csv_file(tmp_path, capsys):
    path = write_xor(tmp_path / "xor.csv")
    assert main(["train", "--data", str(path), "--epochs", "60", "--layers", "16,16", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dataset"] == str(path) and result["target_accuracy"] is None
    # 80 test points (20% of 400): at 97% one standard error is 1.9 points. Seeds 0-4 of these points and weights
    # give 95.0-100%; 90% (8 of 80 wrong) is 2.6 SE below the lowest of them, far above the 50% of a network that
    # did not learn xor
    assert result["test_accuracy"] >= 0.9
    assert result["config"]["data"] == str(path)


def test_a_csv_run_resumes_from_its_checkpoint_like_any_other(tmp_path, capsys):
    path = write_xor(tmp_path / "xor.csv", n=200)
    ckpt = tmp_path / "run.npz"
    # a constant rate and nothing averaged: 3 epochs then 3 more are the same as 6 (a cosine plan or an average
    # depends on the total, as for every dataset: tests/test_train_cli.py)
    args = ["train", "--data", str(path), "--layers", "8", "--schedule", "constant", "--average", "0", "--format", "json"]
    assert main(args + ["--epochs", "6"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main(args + ["--epochs", "3", "--save", str(ckpt)]) == 0
    capsys.readouterr()
    # your own points are named beside --resume: the checkpoint knows them by their content, never opens a path
    assert main(["train", "--resume", str(ckpt), "--data", str(path), "--epochs", "6", "--format", "json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    keys = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy")  # not the seconds each took
    assert [[r[k] for k in keys] for r in resumed["history"]] == [[r[k] for k in keys] for r in whole["history"]]


@pytest.mark.parametrize("content,message", [
    ("x,y,label\n0,0,1\n1,abc,0\n", "line 3: y 'abc' is not a number"),
    ("0,0,1\n1,1,1\n", "every point has the label 1; allowed: points of at least 2 classes"),
    ("0,0,1\n1,1\n", "line 2: 2 values; allowed: exactly 3 separated by commas"),
])
def test_a_bad_csv_file_is_one_line_and_exit_code_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["train", "--data", str(path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_the_playground_and_the_command_line_refuse_a_line_in_the_same_words(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("0,0,1\nnan,2,0\n")
    assert main(["train", "--data", str(path)]) == 2
    cli = capsys.readouterr().err
    with pytest.raises(CsvError) as web:
        parse_points(path.read_text())
    assert web.value.problems[0][1] in cli  # "x 'nan' is not a finite number"


def test_data_must_be_a_dataset_or_an_existing_csv_file(tmp_path, capsys):
    for bad, message in ((str(tmp_path / "missing.csv"), "no such file"), ("points.txt", "or a FILE.csv of points")):
        assert main(["train", "--data", bad]) == 2
        assert message in capsys.readouterr().err
    path = write_xor(tmp_path / "xor.csv", n=50)
    assert main(["train", "--data", str(path), "--samples", "100"]) == 2
    assert "applies to the 2-D datasets" in capsys.readouterr().err

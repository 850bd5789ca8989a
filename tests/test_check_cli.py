"""`chainrule check`: backprop against finite differences (and PyTorch) for lessons and checkpoints."""

from __future__ import annotations

import json

import pytest

from chainrule.cli import main


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "moons.npz"
    assert main(["train", "--data", "moons", "--epochs", "1", "--layers", "8", "--activation", "tanh",
                 "--save", str(path), "--format", "json"]) == 0
    return path


def test_a_lesson_passes_with_a_table_per_reference(capsys):
    code = main(["check", "chain"])
    out = capsys.readouterr().out
    assert code == 0
    assert "backprop vs finite differences" in out
    assert "parameter" in out and "size" in out and "max abs error" in out and "max rel error" in out
    assert "w₁" in out and "agree within tolerance" in out


def test_the_lesson_is_also_checked_against_pytorch(capsys):
    pytest.importorskip("torch")
    assert main(["check", "simplest", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [r["reference"] for r in report["references"]] == ["finite differences", "pytorch"]
    assert report["references"][1]["parameters"][0]["max_abs_error"] < 1e-12


def test_an_impossible_tolerance_reports_disagreement_and_exits_1(capsys):
    assert main(["check", "simplest", "--tolerance", "1e-30", "--no-torch"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREE" in out and "1 of 1 comparisons DISAGREE" in out


def test_a_checkpoint_passes_and_samples_are_announced(capsys, checkpoint):
    code = main(["check", str(checkpoint), "--entries", "5", "--batch", "8"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "layers.0.weight" in out and "16 (5 sampled)" in out and "a batch of 8 training rows" in out


def test_a_checkpoint_with_a_broken_backward_rule_fails(capsys, checkpoint, monkeypatch):
    import chainrule.tensor as tensor

    right = tensor._linear_backward

    def wrong(node, g):  # the weight gradient off by 10 %
        gx, gW, *rest = right(node, g)
        return (gx, None if gW is None else 1.1 * gW, *rest)

    monkeypatch.setattr(tensor, "_linear_backward", wrong)
    assert main(["check", str(checkpoint), "--format", "json", "--no-torch"]) == 1
    report = json.loads(capsys.readouterr().out)
    bad = [p["name"] for p in report["references"][0]["parameters"] if not p["ok"]]
    assert "layers.0.weight" in bad and "layers.0.bias" not in bad


def test_the_checkpoint_agrees_with_pytorch_to_rounding(capsys, checkpoint):
    pytest.importorskip("torch")
    assert main(["check", str(checkpoint), "--format", "json"]) == 0
    torch_report = json.loads(capsys.readouterr().out)["references"][1]
    assert torch_report["reference"] == "pytorch"
    assert all(p["max_abs_error"] < 1e-12 for p in torch_report["parameters"])


@pytest.mark.parametrize("argv,message", [
    (["check", "no-such-lesson"], "neither a lesson"),
    (["check", "missing.npz"], "no such file"),
    (["check", "simplest", "--tolerance", "0"], "must be > 0"),
    (["check", "simplest", "--format", "yaml"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_a_corrupt_checkpoint_is_one_line_and_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip at all")
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable chainrule checkpoint" in err


def test_a_checkpoint_that_is_not_a_training_run_is_refused(capsys, tmp_path):
    import numpy as np

    from chainrule.checkpoint import save_checkpoint

    path = tmp_path / "other.npz"
    save_checkpoint(path, {"x": np.zeros(2)}, {"kind": "something else"})
    assert main(["check", str(path)]) == 2
    assert "not of a training run" in capsys.readouterr().err

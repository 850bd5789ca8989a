"""``chainrule train --model cnn|gru``: the wiring, the recipes' bookkeeping, checkpoints, ``check`` of a CNN.

Their accuracy on seeds 0-2 is tests/test_baselines.py; here short runs with small layers.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from chainrule import data
from chainrule.checkpoint import load_checkpoint, save_checkpoint
from chainrule.cli import main
from chainrule.errors import InvalidValueError
from chainrule.training import TrainConfig, Trainer


def run_json(capsys, *argv) -> dict:
    code = main(["train", *argv, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.parametrize("model,kind", [("cnn", "Conv1d"), ("gru", "GRU")])
def test_the_model_option_trains_that_network_with_the_datasets_recipe_for_it(capsys, model, kind):
    result = run_json(capsys, "--data", "mnist1d", "--model", model, "--epochs", "1", "--layers", "4")
    _, target, baseline, _ = data.dataset_info("mnist1d").recipe_for(model)
    assert result["model"] == model and result["target_accuracy"] == target and result["baseline"] == baseline
    assert "Greydanus (2020)" in baseline and (" CNN 94%" if model == "cnn" else " GRU 91%") in baseline
    config = result["config"]
    assert config["model"] == model and config["layers"] == [4]
    assert config["clip"] == (1.0 if model == "gru" else 0.0) and config["schedule"] == "cosine"
    assert (config["activation"] is None) == (model == "gru")
    trainer = Trainer(TrainConfig(**config))
    assert any(type(m).__name__ == kind for m in trainer.model.layers)
    assert result["parameters"] == trainer.config.parameter_count() == trainer.model.num_parameters()


def test_the_text_output_names_the_network_and_prints_the_result_next_to_the_papers(capsys):
    assert main(["train", "--data", "mnist1d", "--model", "cnn", "--epochs", "1", "--layers", "4,4"]) == 0
    out = capsys.readouterr().out
    assert "CNN 4-4 channels relu (" in out and "adam cosine lr 0.01" in out
    assert "the target for the cnn on mnist1d is 94.00%; Greydanus (2020): CNN 94% test accuracy" in out
    assert main(["train", "--data", "mnist1d", "--model", "gru", "--epochs", "1", "--layers", "3"]) == 0
    out = capsys.readouterr().out
    assert "GRU 3 units (" in out and "gradients clipped to length 1" in out and "GRU 91%" in out


@pytest.mark.parametrize("argv,message", [
    (["--data", "digits", "--model", "cnn"], "the cnn model does not fit digits"),
    (["--data", "moons", "--model", "gru"], "it trains on mnist1d; moons takes mlp"),
    (["--data", "mnist1d", "--model", "gru", "--activation", "tanh"], "activation applies to the mlp and cnn models"),
    (["--data", "mnist1d", "--model", "cnn", "--layers", "4,4,4,4,4,4"], "6 convolutional layers halve a signal of 40"),
    (["--data", "mnist1d", "--model", "cnn", "--layers", "none"], "needs at least one layer size"),
    (["--data", "mnist1d", "--model", "gru", "--layers", "4096,4096"], "GRU 4096-4096 units has 151,097,354 parameters; at most 20,000,000"),
    (["--data", "mnist1d", "--model", "rnn"], "invalid choice: 'rnn'"),
    (["--data", "mnist1d", "--model", "gru", "--clip", "-1"], "clip"),
])
def test_a_model_that_does_not_fit_gets_one_line_and_exit_code_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(["train", *argv]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(message, err), err


def test_gradient_clipping_bounds_every_step(tmp_path):
    # plain SGD steps by lr·g, and a gradient clipped to length 1e-6 moves the weights by at most lr·1e-6 a step
    config = TrainConfig(data="moons", layers=[8], optimizer="sgd", lr=0.5, momentum=0.0, clip=1e-6, epochs=1,
                         n_samples=200, schedule="constant", average=0.0)
    trainer = Trainer(config)
    before = {k: v.copy() for k, v in trainer.model.state_dict().items()}
    trainer.fit()
    steps = -(-len(trainer.dataset.X_train) // trainer.config.batch_size)
    moved = np.sqrt(sum(float(((trainer.model.state_dict()[k] - v).astype(np.float64) ** 2).sum())
                        for k, v in before.items()))
    assert 0 < moved <= steps * 0.5 * 1e-6 * (1 + 1e-5)


@pytest.mark.parametrize("model,layers", [("cnn", [4, 3]), ("gru", [5])])
def test_a_resumed_cnn_or_gru_run_ends_with_exactly_the_uninterrupted_weights(tmp_path, model, layers):
    config = TrainConfig(data="mnist1d", model=model, layers=layers, epochs=4, seed=3)
    straight = Trainer(config)
    straight.fit()
    first = Trainer(config)
    first.fit(epochs=2)
    first.save(tmp_path / "half.npz")
    resumed = Trainer.resume(tmp_path / "half.npz")
    assert resumed.config.model == model
    resumed.fit()
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert a.tobytes() == b.tobytes(), name


def test_a_checkpoint_of_an_mlp_saved_before_models_existed_resumes_as_an_mlp(tmp_path):
    t = Trainer(TrainConfig(data="moons", layers=[4], epochs=1, n_samples=100))
    t.save(tmp_path / "c.npz")
    arrays, meta = load_checkpoint(tmp_path / "c.npz")
    meta = {k: v for k, v in meta.items() if k not in ("format", "version")}
    meta["config"] = {k: v for k, v in meta["config"].items() if k not in ("model", "clip")}
    save_checkpoint(tmp_path / "c.npz", arrays, meta)
    resumed = Trainer.resume(tmp_path / "c.npz")
    assert resumed.config.model == "mlp" and resumed.config.clip == 0.0


def test_a_cnn_checkpoint_holding_another_networks_weights_is_refused_before_anything_is_built(tmp_path):
    t = Trainer(TrainConfig(data="mnist1d", model="cnn", layers=[4, 4], epochs=0))
    t.save(tmp_path / "c.npz")
    arrays, meta = load_checkpoint(tmp_path / "c.npz")
    meta = {k: v for k, v in meta.items() if k not in ("format", "version")}
    meta["config"]["layers"] = [4, 5]  # the settings declare another network than the weights in the file
    save_checkpoint(tmp_path / "c.npz", arrays, meta)
    with pytest.raises(InvalidValueError, match="hold 486 numbers; the network CNN 4-5 channels relu its settings "
                                                 "declare has 599"):
        Trainer.resume(tmp_path / "c.npz")


def test_a_resumed_run_keeps_its_model(capsys, tmp_path):
    path = tmp_path / "c.npz"
    assert main(["train", "--data", "mnist1d", "--model", "cnn", "--layers", "2", "--epochs", "1", "--save",
                 str(path)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(path), "--model", "gru"]) == 2
    assert "--model gru differs from the checkpoint's cnn" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["cnn", "gru"])
def test_check_of_a_cnn_or_gru_checkpoint_agrees_with_finite_differences_and_pytorch(capsys, tmp_path, model):
    pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")
    path = tmp_path / f"{model}.npz"
    assert main(["train", "--data", "mnist1d", "--model", model, "--layers", "3,2" if model == "cnn" else "4",
                 "--epochs", "1", "--save", str(path), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["check", str(path), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and [r["reference"] for r in result["references"]] == ["finite differences", "pytorch"]
    assert ("CNN 3-2 channels relu" if model == "cnn" else "GRU 4 units") in result["notes"][0]
    names = [p["name"] for p in result["references"][1]["parameters"]]
    assert len(names) == 6 and all(p["ok"] for r in result["references"] for p in r["parameters"])

"""batch: what each example wants w to do, beside the sum and the mean of their nudges, at every step."""

from __future__ import annotations

import json

import pytest

from chainrule.cli import main
from chainrule.lessons import batch

H = 1e-6


def own_cost(i: float, w: float, y: float) -> float:
    return (i * w - y) ** 2


@pytest.mark.parametrize("params", [dict(), dict(inputs=[2.0, -1.0], target=-0.5, weight=0.3, learning_rate=0.05)])
def test_each_example_s_own_gradient_equals_finite_differences_and_they_add(params):
    r = batch.train(steps=3, **params)
    examples = r.examples()
    for e in examples:
        numeric = (own_cost(e["input"], r.weight + H, r.target) - own_cost(e["input"], r.weight - H, r.target)) / (2 * H)
        assert e["gradient"] == pytest.approx(numeric, abs=1e-7)
        assert e["nudge"] == -r.learning_rate * e["gradient"]
        assert e["wants"] == ("w larger" if e["nudge"] > 0 else "w smaller")
    total = sum(e["gradient"] for e in examples)
    assert r.network.w.grad == pytest.approx(total, rel=1e-12)
    assert r.mean_network.w.grad == pytest.approx(total / 2, rel=1e-12)


def test_the_two_default_examples_disagree_and_the_mean_takes_their_average():
    r = batch.train()
    first, second = r.examples()
    assert first["wants"] == "w smaller" and second["wants"] == "w larger"  # a₁ = 1.2 > y, a₂ = 0.4 < y
    for step, alone in zip(r.descents["mean"].steps, r.example_gradients["mean"], strict=True):
        assert step.gradients["w"] == pytest.approx(sum(alone) / 2, rel=1e-12)
        w = step.parameters["w"]
        for i, g in zip(r.inputs, alone):
            numeric = (own_cost(i, w + H, r.target) - own_cost(i, w - H, r.target)) / (2 * H)
            assert g == pytest.approx(numeric, abs=1e-7)
    for step, alone in zip(r.descents["sum"].steps, r.example_gradients["sum"], strict=True):
        assert step.gradients["w"] == pytest.approx(sum(alone), rel=1e-12)


def test_the_json_and_text_show_each_example_s_nudge(capsys):
    assert main(["lesson", "batch", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["wants"] for e in data["examples"]] == ["w smaller", "w larger"]
    assert [len(alone) for alone in data["example_gradients"]["mean"]] == [2] * 6
    assert [s["step"] for s in data["steps"]["mean"]] == list(range(6))  # one Step record per step, as every lesson
    assert data["steps"]["mean"][0]["parameters"] == {"w": 0.8} and "ranking" in data["steps"]["sum"][0]
    assert main(["lesson", "batch"]) == 0
    out = capsys.readouterr().out
    assert "What each example wants w to do" in out and "example 1 alone wants w smaller" in out


def test_the_nudges_plot_is_written(tmp_path, capsys):
    path = tmp_path / "nudges.png"
    assert main(["lesson", "batch", "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

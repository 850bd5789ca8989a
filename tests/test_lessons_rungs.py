"""why-backprop counts passes, learning-rate names what descent did; both draw their pictures."""

from __future__ import annotations

import pytest

from chainrule.cli import main
from chainrule.lessons import learning_rate, why_backprop


def test_backprop_takes_two_passes_whatever_the_number_of_parameters():
    r = why_backprop.train(max_params=64)
    assert [row.n for row in r.rows] == [1, 4, 16, 64]
    for row in r.rows:
        assert row.passes == {"finite differences": 2 * row.n, "forward mode": 1 + row.n, "backprop": 2}
        assert row.max_difference < 1e-6  # all three give the same gradients


def test_forward_mode_gives_the_same_gradients_as_backprop():
    weights, inputs = [0.3, -0.2, 0.5], [1.0, 2.0, -1.0]
    fwd, _ = why_backprop.by_forward_mode(weights, inputs, 0.5)
    rev, _ = why_backprop.by_backprop(weights, inputs, 0.5)
    assert fwd == pytest.approx(rev, rel=1e-12)


def test_learning_rate_sweep_of_the_simplest_network_matches_r():
    r = learning_rate.train(steps=20)
    got = [s.behaviour for s in r.simplest]
    assert got == ["converges", "converges", "converges, oscillating", "oscillates forever", "diverges"]
    assert [s.theory for s in r.simplest][-1] == "diverges"


@pytest.mark.parametrize("costs,expected", [
    ([1.0, 0.5, 0.001], "converges"),
    ([1.0, 0.9, 0.8], "converges slowly"),
    ([1.0, 0.3, 0.6, 0.2], "oscillates"),
    ([1.0, 3.0, 9.0], "diverges"),
    ([1.0, float("inf")], "diverges"),
])
def test_behaviour_is_read_from_the_costs(costs, expected):
    assert learning_rate.behaviour(costs) == expected


def test_the_small_network_sweep_shows_convergence_oscillation_and_divergence():
    r = learning_rate.train(steps=60)
    assert {"converges", "oscillates", "diverges"} <= {s.behaviour for s in r.mlp}


@pytest.mark.parametrize("name,extra", [("why-backprop", ["--max-params", "16"]), ("learning-rate", ["--steps", "10"])])
def test_plots_are_written(tmp_path, capsys, name, extra):
    path = tmp_path / "plot.svg"
    assert main(["lesson", name, *extra, "--plot", str(path)]) == 0
    assert "<svg" in path.read_text(encoding="utf-8")

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


def test_the_learning_rate_lesson_says_it_is_a_hyperparameter_and_how_people_choose_it():
    r = learning_rate.train(steps=40)
    text = str(learning_rate.explain(r).to_json())
    assert "hyperparameter" in text and "range test" in text and "cosine" in text and "Adam" in text
    rates = [lr for lr, _ in r.range_test]
    assert all(b / a == pytest.approx(10 ** (1 / 3)) for a, b in zip(rates, rates[1:]))  # a geometric sweep
    assert r.blow_up is not None and r.suggested < r.blow_up  # the choice sits below where the cost blows up
    constant, cosine = r.schedules
    assert constant.behaviour == "diverges" and cosine.costs[-1] < min(constant.costs[-1], cosine.costs[0])
    steps = [step for _, g, _, step in r.adam_first_step if abs(g) > 1e-6]
    assert steps and all(abs(s) == pytest.approx(learning_rate.ADAM["lr"], rel=1e-4) for s in steps)  # ±lr each


def test_the_sweep_plot_draws_costs_as_they_are_on_a_log_axis(tmp_path):
    from chainrule.viz.sweep import plot_sweep

    r = learning_rate.train(steps=30)
    fig = plot_sweep(r, str(tmp_path / "sweep.png"))
    drawn = max(max(line.get_ydata()) for ax in fig.axes[:2] for line in ax.get_lines() if len(line.get_ydata()) > 2)
    largest = max(c for s in r.simplest + r.mlp for c in s.costs if c < float("inf"))
    assert drawn == largest  # nothing clipped to a made-up ceiling
    assert fig.axes[0].get_yscale() == "log"


def test_why_backprop_names_its_network_reports_progress_and_times_medians_of_repeats():
    seen = []
    r = why_backprop.train(max_params=16, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (9, 9)  # 3 sizes × 3 methods
    assert all(row.repeats["backprop"] > 1 for row in r.rows)  # quick methods are repeated: their median counts
    lines = [line for s in why_backprop.explain(r).sections for line in s.lines]
    assert any("one tanh neuron with n inputs" in s.title for s in why_backprop.explain(r).sections)
    for line in lines:  # one measure per sentence: a time ratio or a pass count, never both
        assert not ("as long" in line and "passes" in line)

"""Which weight matters most, honestly (issue 23 §8): the predicted −lr·g² beside the change measured by moving
each weight alone, ranked by the measured decrease; |Δθ|/|θ| only where |p| is not near 0, and said why."""

from __future__ import annotations

import json
import math

import pytest

from chainrule.explainer.ranking import NEAR_ZERO, rank
from chainrule.lessons import chain, recurrent
from chainrule.lessons.descent import MEASURED_STEPS, descend, measure, ranking_section
from chainrule.scalar import Parameter, Value


def bowl(values: dict[str, float]) -> Value:
    """C = (3w − 1)² + (u − 1)²: w is steep (C″ = 18 along w), u is gentle (C″ = 2)."""
    w, u = Parameter(values["w"], label="w"), Parameter(values["u"], label="u")
    return (w * 3.0 - 1.0) ** 2 + (u - 1.0) ** 2


def test_the_measured_change_is_the_cost_rebuilt_with_only_that_weight_moved():
    result = chain.train(steps=2)
    first = result.descent.steps[0]
    ranking = first.ranking
    assert 0 in MEASURED_STEPS and ranking.measured and ranking.cost == first.cost
    i, y, lr = result.input, result.target, result.learning_rate
    names = list(first.parameters)
    for p in ranking.parameters:
        assert p.step == -lr * p.gradient and p.predicted_change == pytest.approx(-lr * p.gradient ** 2, rel=1e-15)
        # the forward pass by hand, in plain floats: aₖ = wₖ·aₖ₋₁, a₀ = i, C = (aₙ − y)², only p moved
        a = i
        for name in names:
            a *= first.parameters[name] + (p.step if name == p.name else 0.0)
        assert p.measured_change == pytest.approx((a - y) ** 2 - first.cost, rel=1e-9)
    # the other steps are predicted only, and say so
    later = result.descent.steps[1].ranking
    assert not later.measured and all(p.measured_change is None for p in later.parameters)
    assert "not measured at this step" in later.verdict() and ": ≈ " in later.short()


def test_a_step_too_long_for_the_tangent_is_ranked_by_what_it_does():
    # w: ∂C/∂w = 12, step −2.4 overshoots its valley (C rises by 23.04, predicted −28.8);
    # u: ∂C/∂u = −2, step 0.4 lowers C by 0.64 (predicted −0.8)
    d = descend(bowl, {"w": 1.0, "u": 0.0}, 0.2, 1)
    ranking = d.steps[0].ranking
    by_name = {p.name: p for p in ranking.parameters}
    assert by_name["w"].predicted_change == pytest.approx(-28.8) and by_name["u"].predicted_change == pytest.approx(-0.8)
    assert by_name["w"].measured_change == pytest.approx(23.04) and by_name["u"].measured_change == pytest.approx(-0.64)
    assert [p.name for p in ranking.parameters] == ["u", "w"]  # by the measured decrease, not by |∂C/∂θ|
    assert [p.name for p in ranking.largest_decrease] == ["u"] and [p.name for p in ranking.most_sensitive] == ["w"]
    verdict = ranking.verdict()
    assert "u lowers the cost most" in verdict and "C changes by −0.64, measured" in verdict
    assert "the prediction alone would rank w first" in verdict
    assert ranking.short() == "u: −0.64"
    assert ranking.rows()[1][4:6] == ["−28.8", "23.04"]  # predicted, measured: side by side


def test_when_every_step_overshoots_the_verdict_says_so():
    ranking = descend(bowl, {"w": 1.0, "u": 0.0}, 1.5, 0).steps[0].ranking  # u: step 3, from (−1)² to 2²
    assert all(p.measured_change > 0 for p in ranking.parameters)
    assert ranking.verdict().startswith("No parameter, moved alone by its step, lowers the cost: every step overshoots")


def test_a_move_that_overflows_is_ranked_last_and_shown_as_such():
    def quartic(values):
        w, u = Parameter(values["w"], label="w"), Parameter(values["u"], label="u")
        return (w - 1.0) ** 2 + u ** 4

    values = {"w": 0.0, "u": 10.0}
    cost = quartic(values).data
    changes = measure(quartic, values, {"w": 0.2, "u": -1e80}, cost)  # u⁴ = 10³²⁰: beyond a float
    assert changes["u"] is None and changes["w"] == pytest.approx(0.64 - 1.0)
    ranking = rank([("w", 0.0, -2.0), ("u", 10.0, 4000.0)], 0.1, cost=cost, steps={"w": 0.2, "u": -1e80},
                   measured=changes)
    assert [p.name for p in ranking.parameters] == ["w", "u"]
    assert ranking.rows()[1][5] == "no number" and "moving u alone gave no number for C" in ranking.verdict()
    json.dumps(ranking.to_json(), allow_nan=False)  # no inf or NaN in the JSON: None stands for the overflow


def test_a_weight_that_does_not_move_is_not_rebuilt():
    built = []

    def counting(values):
        built.append(dict(values))
        return bowl(values)

    assert measure(counting, {"w": 1.0, "u": 0.0}, {"w": 0.0, "u": 0.4}, 5.0)["w"] == 0.0
    assert built == [{"w": 1.0, "u": 0.4}]


def test_near_zero_parameters_have_no_relative_step_and_the_verdict_says_why():
    r = rank([("w", 2.0, 1.0), ("tiny", 1e-9, 1.0), ("b", 0.0, 1.0), ("small", 0.01, 1.0)], learning_rate=0.1)
    near = {p.name for p in r.parameters if p.near_zero}
    assert near == {"tiny", "b"} and all(p.relative_step is None for p in r.parameters if p.near_zero)
    assert 1e-9 < NEAR_ZERO * 2.0 < 0.01  # the rule: under NEAR_ZERO of the largest |θ|
    assert [p.name for p in r.largest_relative_step] == ["small"]  # 0.1/0.01, the largest among those shown
    rows = {row[0]: row for row in r.rows()}
    assert rows["tiny"][6] == rows["b"][6] == "— (θ ≈ 0)" and rows["small"][6] == "10"
    verdict = r.verdict()
    assert ("tiny and b are left out of |Δθ|/|θ| (|tiny| = 1·10⁻⁹, |b| = 0: under 0.001 of the largest |θ|, 2): "
            "near 0 the ratio blows up") in verdict
    assert "relative to its size, small changes most (|Δθ|/|θ| = 10)" in verdict


def test_every_lesson_ranking_shows_the_prediction_beside_the_measurement():
    d = descend(bowl, {"w": 1.0, "u": 0.0}, 0.01, 3)
    section = ranking_section(d.steps)
    assert "At step 0 the change is measured" in section.lines[0]
    assert [row[1].split(": ")[1].startswith("≈") for row in section.table.rows] == [False, True, True, True]
    assert d.steps[0].ranking.columns()[4:6] == ["ΔC ≈ −lr·(∂C/∂θ)²", "ΔC measured"]


def test_a_clipped_step_is_predicted_and_measured_as_taken():
    pattern = recurrent.PARAMS["inputs"].default
    sequence = [pattern[t % len(pattern)] for t in range(20)]  # the lesson's T = 20: ‖g‖ ≈ 8.5, clipped to 1
    clipped = recurrent.descent(1.2, 0.2, sequence, recurrent.PARAMS["target"].default, 0.5, 1, clip=1.0)
    first = clipped.steps[0]
    ranking = first.ranking
    assert ranking.custom_step and ranking.columns()[3:5] == ["Δθ", "ΔC ≈ ∂C/∂θ·Δθ"]
    moved = {p.name: p.step for p in ranking.parameters}
    assert math.hypot(*moved.values()) == pytest.approx(0.5 * 1.0)  # lr·c: the clipped step
    for p in ranking.parameters:
        assert p.predicted_change == pytest.approx(p.gradient * p.step)
    assert {name: first.parameters[name] + moved[name] for name in moved} == pytest.approx(clipped.steps[1].parameters)


def test_the_json_is_written_directly_with_every_number():
    ranking = descend(bowl, {"w": 1.0, "u": 0.0}, 0.2, 0).steps[0].ranking
    data = ranking.to_json()
    assert set(data) == {"learning_rate", "cost", "measured", "parameters", "most_sensitive", "largest_decrease",
                         "largest_relative_step", "no_gradient", "verdict"}
    u = data["parameters"][0]
    assert u == {"name": "u", "value": 0.0, "gradient": -2.0, "step": pytest.approx(0.4),
                 "predicted_change": pytest.approx(-0.8), "measured_change": pytest.approx(-0.64),
                 "relative_step": None, "near_zero": True, "rank_by_gradient": 2, "rank_by_decrease": 1,
                 "rank_by_relative_step": None}
    assert data["largest_decrease"] == ["u"] and data["most_sensitive"] == ["w"] and data["measured"] is True


def test_a_move_out_of_the_cost_s_domain_gives_no_number_instead_of_stopping_the_lesson():
    def logged(values):
        w, u = Parameter(values["w"], label="w"), Parameter(values["u"], label="u")
        return -(w.log()) + (u - 1.0) ** 2

    values = {"w": 0.5, "u": 0.0}
    changes = measure(logged, values, {"w": -1.0, "u": 0.4}, logged(values).data)  # log(−0.5): no number
    assert changes["w"] is None and changes["u"] == pytest.approx(0.36 - 1.0)


def test_a_parameter_so_small_its_relative_step_leaves_the_floats_is_near_zero_not_infinite():
    ranking = rank([("w", 2.2250738585e-313, 1.2)], 0.1)  # alone, so the largest |θ| is itself
    (w,) = ranking.parameters
    assert w.near_zero and w.relative_step is None
    json.dumps(ranking.to_json(), allow_nan=False)  # the explorer's answer stays valid JSON

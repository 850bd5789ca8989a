"""convexity: the parabola's curvature 2i², the sigmoid's that changes sign, and the bump between twin minima."""

from __future__ import annotations

import pytest

from chainrule.errors import InvalidValueError
from chainrule.gradcheck import check_graph
from chainrule.lessons import convexity as cx
from chainrule.scalar import Value


def second_difference(f, x: float, h: float = 1e-4) -> float:
    """f″(x) from the forward pass alone: [f(x + h) − 2f(x) + f(x − h)] / h²."""
    return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h)


@pytest.mark.parametrize("i", [1.5, -0.7, 3.0])
def test_the_video_s_cost_has_curvature_2i_squared_everywhere(i):
    c = cx.curve("parabola", cx.parabola, i, 0.8)
    assert c.convex and c.sign_changes == [] and c.sign_changes_exact == []
    assert c.curvatures == pytest.approx([2 * i * i] * len(c.weights), rel=1e-6)
    assert c.exact == pytest.approx([2 * i * i] * len(c.weights), rel=1e-12)
    for w in (-3.0, 0.0, 2.5):
        assert second_difference(lambda v: cx.parabola(i, Value(v), 0.8).data, w) == pytest.approx(2 * i * i, rel=1e-4)
    assert c.minimum == pytest.approx(0.8 / i, abs=1e-9)


@pytest.mark.parametrize("i,y", [(1.5, 0.8), (-2.0, 0.3), (0.8, 0.5)])
def test_through_a_sigmoid_the_curvature_changes_sign_where_sympy_says(i, y):
    c = cx.curve("sigmoid", cx.through_sigmoid, i, y)
    assert not c.convex
    assert min(c.curvatures) < 0 < max(c.curvatures)
    assert len(c.sign_changes) == len(c.sign_changes_exact) >= 1
    assert c.sign_changes == pytest.approx(c.sign_changes_exact, abs=1e-5)
    assert c.max_difference < 1e-6
    for w, curvature in list(zip(c.weights, c.curvatures))[::10]:
        f = lambda v: cx.through_sigmoid(i, Value(v), y).data  # noqa: E731
        assert curvature == pytest.approx(second_difference(f, w), abs=1e-5)


def test_a_chord_of_the_sigmoid_cost_lies_below_the_curve():
    r = cx.train(steps=0)
    a, b = r.chord
    cost = lambda w: cx.through_sigmoid(r.input, Value(w), r.target).data  # noqa: E731
    assert cost((a + b) / 2) > (cost(a) + cost(b)) / 2


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_every_trained_minimum_has_a_twin_with_the_same_cost_and_a_bump_between(seed):
    t = cx.twins(seed, 0.05, 2000)
    assert t.gradient_norm < 1e-6 and t.distinct
    assert t.twin_cost == t.cost  # exactly: the sum of the two units is the same sum
    assert t.twin_gradient_norm == pytest.approx(t.gradient_norm, rel=1e-9, abs=1e-15)
    assert t.flipped_cost == pytest.approx(t.cost, abs=1e-15)
    assert t.bump > 0.5  # halfway the units are equal: one unit twice cannot make the bump
    assert t.midpoint_cost > (t.cost + t.twin_cost) / 2  # a convex cost could not do that
    middle = [(a + b) / 2 for a, b in zip(t.theta, t.twin)]
    assert middle[0:3] == middle[3:6]


def test_the_curvature_along_the_slice_is_backprop_differentiated_and_sympy_agrees():
    t = cx.twins(0, 0.05, 2000)
    assert t.curvature == pytest.approx(t.curvature_exact, rel=1e-5)
    assert t.curvature[0] > 0 and t.curvature[1] < 0 and t.curvature[2] > 0  # minimum, top of the bump, minimum
    direction = [b - a for a, b in zip(t.theta, t.twin)]

    def along(s: float) -> float:
        return cx.two_units(cx.leaves([a + s * d for a, d in zip(t.theta, direction)])).data

    for s, c in zip(t.curvature_at, t.curvature):
        assert c == pytest.approx(second_difference(along, s, 1e-3), rel=1e-3)


def test_the_two_unit_graph_passes_finite_differences():
    r = cx.train(steps=0)
    cost = r.graph()
    report = check_graph(cost)
    assert report.ok and len(report.checks) == 7


def test_descent_that_diverges_is_refused_with_a_clear_error():
    with pytest.raises(InvalidValueError, match="learning_rate = 5"):
        cx.twins(0, 5.0, 200)


def test_the_two_unit_descent_ranks_its_weights_at_every_recorded_step():
    twins = cx.twins(seed=0, learning_rate=0.05, steps=200)
    assert [s.step for s in twins.history] == list(range(0, 201, 20))  # every 20th step, the end too
    assert [s.step for s in cx.twins(seed=0, learning_rate=0.05, steps=55).history] == [*range(0, 55, 5), 55]
    assert [s.step for s in cx.twins(seed=0, learning_rate=0.05, steps=0).history] == [0]  # no descent: its start
    first = twins.history[0]
    C, g = cx.cost_and_gradient(twins.initial)
    assert first.cost == C and list(first.gradients.values()) == g  # the start's cost and gradients, by backprop
    largest = max(range(len(g)), key=lambda n: abs(g[n]))
    assert cx.NAMES[largest] in first.ranking.short()  # the largest |∂C/∂p| of the start
    last = twins.history[-1]
    assert list(last.parameters.values()) == twins.theta and last.cost == twins.cost  # θ* is where descent ended
    report = cx.explain(cx.train(steps=200))
    assert any(s.title == "Which weight matters most, step by step" for s in report.sections)
    assert report.to_json()["twins"]["history"][0]["step"] == 0

"""recurrent: backprop through time is one path per step with the same w; the product of T factors; clipping."""

from __future__ import annotations

import math

import pytest

from chainrule.cli import main
from chainrule.gradcheck import check_graph, evaluate_graph
from chainrule.lessons import recurrent

H = 1e-6
RUNS = [dict(), dict(time_steps=1), dict(time_steps=3, weight=0.5), dict(time_steps=12, weight=-1.7, inputs=[1.0, -2.0]),
        dict(time_steps=40, weight=0.9, input_weight=1.5, target=0.3)]


@pytest.mark.parametrize("params", RUNS)
def test_the_sum_over_time_steps_is_the_engine_s_gradient_and_finite_differences_agree(params):
    r = recurrent.train(steps=0, **params)
    n = r.network
    terms = r.terms()
    assert len(terms) == r.time_steps
    assert sum(a for a, _ in terms) == pytest.approx(n.w.grad, rel=1e-12, abs=1e-14)
    assert sum(b for _, b in terms) == pytest.approx(n.u.grad, rel=1e-12, abs=1e-14)
    assert terms[0][0] == 0.0  # step 1 reads h₀ = 0
    # every leaf: the weights, the initial state and the inputs
    report = check_graph(n.C, [n.w, n.u, n.h0, *n.x], h=H, atol=1e-7, rtol=1e-6)
    assert report.ok, report.to_json()


@pytest.mark.parametrize("params", RUNS)
def test_the_gradient_reaching_h0_is_the_product_of_the_t_factors(params):
    r = recurrent.train(steps=0, **params)
    n = r.network
    assert r.factors == pytest.approx([n.w.data * (1 - h.data ** 2) for h in n.h], rel=1e-12)
    assert n.h0.grad == pytest.approx(n.h[-1].grad * r.product, rel=1e-10, abs=1e-300)
    last = n.h[-1]  # ∂h_T/∂h₀ by finite differences of the forward pass alone
    numeric = (evaluate_graph(last, {n.h0: H}) - evaluate_graph(last, {n.h0: -H})) / (2 * H)
    assert r.product == pytest.approx(numeric, rel=1e-5, abs=1e-9)
    for t in range(r.time_steps, 0, -1):  # each link multiplies by its factor
        assert r.state_gradients[t - 1] == pytest.approx(r.state_gradients[t] * r.factors[t - 1], rel=1e-12,
                                                         abs=1e-300)


def test_a_weight_inside_one_in_size_can_only_vanish():
    for w in (0.5, -0.9, 1.0):
        r = recurrent.train(weight=w, time_steps=30, steps=0)
        assert all(abs(f) <= abs(w) for f in r.factors)
        assert abs(r.product) <= abs(w) ** 30 + 1e-300


def test_the_default_sequence_explodes_and_longer_ones_saturate_and_vanish():
    r = recurrent.train(steps=0)
    assert abs(r.product) > recurrent.EXPLODES  # w = 1.2 over 20 steps, h still small
    by_weight = {s.weight: s for s in r.sweeps}
    assert by_weight[0.5].products == sorted(by_weight[0.5].products, reverse=True)
    assert by_weight[2.0].products[0] > 1 > by_weight[2.0].products[-1]  # grows while h is small, then saturates


def test_the_sweep_products_are_prefixes_of_the_longest_run_s_factors():
    r = recurrent.train(steps=0)
    for s in r.sweeps:
        for T, product in zip(s.lengths, s.products):
            assert product == pytest.approx(abs(math.prod(s.factors[:T])), rel=1e-9)


def test_clipping_keeps_the_direction_and_bounds_the_norm():
    g, norm, scale = recurrent.clip_by_norm([3.0, 4.0], 1.0)
    assert norm == 5.0 and scale == pytest.approx(0.2) and g == pytest.approx([0.6, 0.8])
    assert recurrent.clip_by_norm([0.3, 0.4], 1.0) == ([0.3, 0.4], pytest.approx(0.5), 1.0)


@pytest.mark.parametrize("lr", [0.5, 1.0])
def test_clipping_fixes_the_exploding_step_of_the_default_run(lr):
    r = recurrent.train(learning_rate=lr)
    for descent, clip in ((r.plain, None), (r.clipped, r.clip)):
        rows = descent.steps
        for a, b in zip(rows, rows[1:]):
            step = math.hypot(b.parameters["w"] - a.parameters["w"], b.parameters["u"] - a.parameters["u"])
            norm, scale = recurrent.step_norm(a, clip)
            assert step == pytest.approx(lr * norm * scale, rel=1e-9)
    clipped = [recurrent.step_norm(s, r.clip) for s in r.clipped.steps]
    assert all(norm * scale <= r.clip * (1 + 1e-12) for norm, scale in clipped)
    assert recurrent.step_norm(r.plain.steps[0], None)[0] > 5 * r.clip  # the exploding gradient at the start
    # the unclipped jump lands on a saturated plateau
    assert r.clipped.steps[-1].cost < 0.01 * r.plain.steps[-1].cost


def test_gradients_of_w_and_u_equal_pytorch():
    pytest.importorskip("torch")
    from chainrule.interop import torch_graph_gradients

    r = recurrent.train(steps=0)
    n = r.network
    assert torch_graph_gradients(n.C, [n.w, n.u]) == pytest.approx([n.w.grad, n.u.grad], rel=1e-12)


def test_the_inputs_repeat_to_fill_the_sequence(capsys):
    import json

    assert main(["lesson", "recurrent", "--time-steps", "7", "--inputs", "1", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["inputs"] == [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0]
    assert len(data["states"]) == 7 and len(data["state_gradients"]) == 8

"""softmax: the Jacobian ∂pₖ/∂zⱼ = pₖ([k = j] − pⱼ), and the collapse of ∂C/∂z to p − onehot(y), checked three ways."""

from __future__ import annotations

import math

import pytest

from chainrule.cli import main
from chainrule.lessons import softmax
from chainrule.scalar import Value

H = 1e-6


def probabilities(logits: list[float]) -> list[float]:
    """p = softmax(z) by the lesson's own graph (forward only)."""
    _, _, _, p = softmax.softmax_nodes([Value(z) for z in logits])
    return [q.data for q in p]


def cost(weights, biases, x, target) -> float:
    net = softmax.forward(Value(x), [Value(w) for w in weights], [Value(b) for b in biases], target)
    return net.C.data


CASES = [
    dict(),
    dict(target=1),
    dict(target=2, input=-2.0, weights=[1.5, -0.3, 2.0], biases=[0.5, -1.0, 0.0]),
    dict(target=3, input=9.0, weights=[9.0, -9.0, 0.5], biases=[10.0, -10.0, 3.0]),  # large logits: the shift m
]


@pytest.mark.parametrize("params", CASES)
def test_the_gradient_on_the_logits_is_p_minus_onehot_and_finite_differences_agree(params):
    r = softmax.train(steps=0, **params)
    z = [v.data for v in r.network.logits]
    y = r.target
    for j in range(3):
        up, down = z[:], z[:]
        up[j] += H
        down[j] -= H
        numeric = (-math.log(probabilities(up)[y - 1]) + math.log(probabilities(down)[y - 1])) / (2 * H)
        assert r.logit_gradients[j] == pytest.approx(numeric, abs=1e-6)
        assert r.logit_gradients[j] == pytest.approx(r.p_minus_onehot[j], abs=1e-14)
        assert r.chain_products[j] == pytest.approx(r.p_minus_onehot[j], abs=1e-12)
    assert abs(r.network.shift.grad) < 1e-12  # subtracting max z changes nothing


@pytest.mark.parametrize("params", CASES[:3])
def test_the_jacobian_by_backprop_equals_finite_differences_and_the_formula(params):
    r = softmax.train(steps=0, **params)
    z = [v.data for v in r.network.logits]
    for j in range(3):
        up, down = z[:], z[:]
        up[j] += H
        down[j] -= H
        column = [(a - b) / (2 * H) for a, b in zip(probabilities(up), probabilities(down))]
        for k in range(3):
            assert r.jacobian[k][j] == pytest.approx(column[k], abs=1e-7)
            assert r.jacobian[k][j] == pytest.approx(r.jacobian_formula[k][j], abs=1e-14)
    for row in r.jacobian:
        assert abs(sum(row)) < 1e-14  # probabilities always add to 1


@pytest.mark.parametrize("target", [1, 2, 3])
def test_sympy_derives_the_indicator_k_equals_j_and_cancels_p_y(target):
    s = softmax.symbolic(3, target)
    assert s.indicator == ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    assert s.cost_minus_p == tuple(-1 if j == target else 0 for j in (1, 2, 3))
    names = ["p₁", "p₂", "p₃"]
    assert s.simplified == tuple(f"{n} − 1" if j == target else n for j, n in enumerate(names, 1))
    assert s.dC_dp[target - 1] == f"−1/{names[target - 1]}"
    assert all(d == "0" for k, d in enumerate(s.dC_dp, 1) if k != target)


def test_weight_and_bias_gradients_equal_finite_differences_of_the_cost():
    r = softmax.train(steps=0)
    ws, bs = [w.data for w in r.network.weights], [b.data for b in r.network.biases]
    for k in range(3):
        for values, grads in ((ws, r.network.weights), (bs, r.network.biases)):
            up, down = values[:], values[:]
            up[k] += H
            down[k] -= H
            args_up = (up, bs) if values is ws else (ws, up)
            args_down = (down, bs) if values is ws else (ws, down)
            numeric = (cost(*args_up, r.input, r.target) - cost(*args_down, r.input, r.target)) / (2 * H)
            assert grads[k].grad == pytest.approx(numeric, abs=1e-7)
        assert r.network.weights[k].grad == pytest.approx(r.p_minus_onehot[k] * r.input, abs=1e-14)


def test_descent_raises_the_true_class_probability_at_every_step():
    r = softmax.train(steps=20, learning_rate=1.0)
    assert [s.step for s in r.descent.steps] == list(range(21))
    p_true = [p[r.target - 1] for p in r.step_probabilities]
    assert all(b > a for a, b in zip(p_true, p_true[1:]))
    assert all(abs(sum(p) - 1) < 1e-12 for p in r.step_probabilities)


def test_a_huge_learning_rate_never_overflows_the_exponentials():
    r = softmax.train(learning_rate=10, input=10, steps=50)
    assert len(r.descent.steps) == 51 and not r.descent.stopped
    assert all(math.isfinite(s.cost) for s in r.descent.steps)


def test_the_json_carries_the_jacobian_and_the_collapse(capsys):
    import json

    assert main(["lesson", "softmax", "--target", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["jacobian_formula_verified"] is True
    assert data["logit_gradients"] == pytest.approx([p - (k == 2) for k, p in enumerate(data["probabilities"], 1)])
    assert data["simplified"] == ["p₁", "p₂ − 1", "p₃"]


def test_the_tensor_engine_s_fused_cross_entropy_gives_the_same_gradient():
    import numpy as np

    from chainrule.losses import cross_entropy
    from chainrule.tensor import Tensor

    r = softmax.train(steps=0, target=2)
    z = Tensor(np.array([[v.data for v in r.network.logits]]), requires_grad=True)
    cost = cross_entropy(z, [r.target - 1], reduction="sum")
    cost.backward()
    assert float(cost.data) == pytest.approx(r.network.C.data, rel=1e-12)
    assert z.grad[0].tolist() == pytest.approx(r.logit_gradients, abs=1e-14)

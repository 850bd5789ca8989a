"""gradcheck with float64 Tensors, and the replay that checks a finished Value graph."""

from __future__ import annotations


import numpy as np
import pytest

import chainrule
from chainrule import Parameter, Value, lessons
from chainrule.errors import InvalidValueError
from chainrule.gradcheck import check_graph, evaluate_graph, graph_parameters, gradcheck
from chainrule.losses import cross_entropy, mse_loss
from chainrule.tensor import Tensor, linear

rng = np.random.default_rng(7)


def param(*shape):
    return Tensor(rng.standard_normal(shape), requires_grad=True)


def test_gradcheck_is_importable_from_the_package():
    assert chainrule.gradcheck is gradcheck


def test_broadcasting_add_and_multiply_sum_the_reused_row():
    x, row = param(4, 3), param(3)
    report = gradcheck(lambda x, row: ((x + row) * row).tanh().sum(), [x, row], names=["x", "row"])
    assert report.ok, report.to_json()
    assert [(c.name, c.size) for c in report.checks] == [("x", 12), ("row", 3)]


def test_matmul_with_batch_axes_and_a_vector():
    A, B, v = param(2, 3, 4), param(4, 5), param(5)
    report = gradcheck(lambda A, B, v: ((A @ B) @ v).sigmoid().mean(), [A, B, v])
    assert report.ok, report.to_json()


def test_cross_entropy_of_a_linear_layer():
    x, W, b = param(6, 4), param(4, 3), param(3)
    y = np.array([0, 2, 1, 1, 0, 2])
    report = gradcheck(lambda x, W, b: cross_entropy(linear(x, W, b), y), [x, W, b], names=["x", "W", "b"])
    assert report.ok and report.max_abs_error < 1e-8


def test_softmax_log_softmax_max_and_mse():
    z, t = param(3, 4), Tensor(rng.standard_normal((3, 4)))
    report = gradcheck(lambda z: mse_loss(z.softmax(axis=1) + z.log_softmax(axis=0) + z.max(axis=1, keepdims=True), t), [z])
    assert report.ok, report.to_json()


def test_inputs_are_restored_after_perturbing():
    W = param(3, 2)
    before = W.data.copy()
    gradcheck(lambda W: (W * W).sum(), [W])
    np.testing.assert_array_equal(W.data, before)


def test_a_wrong_tensor_rule_is_caught(monkeypatch):
    wrong = staticmethod(lambda node, g: (g * (1.0 - node.data),))  # should be 1 − y²
    monkeypatch.setattr(Tensor, "_tanh_backward", wrong)  # the rule written next to Tensor.tanh
    report = gradcheck(lambda x: x.tanh().sum(), [param(5)])
    assert not report.ok


def test_sample_checks_a_bounded_number_of_entries_and_says_so():
    W = param(30, 20)
    report = gradcheck(lambda W: (W.tanh() ** 2).sum(), [W], sample=10)
    (row,) = report.checks
    assert report.ok and row.size == 600 and row.checked == 10
    assert report.to_json()["parameters"][0]["checked"] == 10
    assert gradcheck(lambda W: W.sum(), [param(3)], sample=10).checks[0].checked is None
    with pytest.raises(InvalidValueError, match="sample must be"):
        gradcheck(lambda W: W.sum(), [W], sample=0)


def test_a_lesson_graph_replays_to_its_own_cost_and_passes():
    for name in ("simplest", "chain", "wide"):
        cost = lessons.graph(name)
        assert evaluate_graph(cost) == pytest.approx(cost.data, abs=1e-12)
        report = check_graph(cost)
        assert report.ok and len(report.checks) == len(graph_parameters(cost)) >= 1


def test_graph_parameters_are_the_leaves_made_as_parameters_whatever_their_names():
    i, w, b, y = Value(1.5, label="i"), Parameter(0.8, label="w"), Parameter(0.1, label="b"), Value(0.8, label="y")
    C = (i * w + b - y) ** 2
    C.backward()
    assert set(graph_parameters(C)) == {w, b}
    # a given named like a weight is not one; a parameter named like an input is one
    x, w_fixed, v0 = Parameter(1.5, label="x"), Value(0.8, label="w_fixed"), Parameter(0.2, label="v0")
    C = (x * w_fixed + v0) ** 2
    C.backward()
    assert set(graph_parameters(C)) == {x, v0}


def test_check_graph_replays_every_scalar_operation():
    w, b = Parameter(0.3, label="w"), Parameter(-0.4, label="b")
    z = Value.dot([w, 2.0], [1.5, b], b)
    C = Value.sum([(z.exp() + 1).log(), z.sigmoid(), (z * b).relu(), 2 ** w, 1 / (w + 2), 3 - b, -w / b, z ** 3, 0.5])
    C.backward()
    report = check_graph(C)
    assert report.ok and {c.name for c in report.checks} == {"w", "b"}


def test_a_wrong_stored_gradient_is_caught_by_check_graph():
    w = Parameter(0.8, label="w")
    C = (1.5 * w - 0.8) ** 2
    C.backward()
    w.grad += 0.01
    assert not check_graph(C).ok

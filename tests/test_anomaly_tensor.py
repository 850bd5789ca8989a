"""detect_anomaly() and the tensor engine: the first NaN/inf names its op, shapes and positions."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from chainrule import detect_anomaly
from chainrule.anomaly import AnomalyError, is_enabled
from chainrule.errors import NonFiniteError
from chainrule.losses import cross_entropy
from chainrule.tensor import Tensor


def test_log_of_zero_names_the_op_the_position_and_the_input_shape():
    x = np.ones((4, 5))
    x[0, 3] = 0.0
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        Tensor(x).log()
    message = str(info.value)
    assert message.startswith("log: output has -inf at [(0, 3)] (input shapes (4, 5)")
    assert "input values there: 0.0" in message


def test_an_anomaly_is_a_non_finite_error():
    assert issubclass(AnomalyError, NonFiniteError) and issubclass(AnomalyError, FloatingPointError)


def test_outside_the_block_nan_flows_through_silently():
    with np.errstate(all="ignore"):
        y = Tensor(np.array([0.0, 1.0])).log() * 0.0
    assert np.isnan(y.data[0])
    assert not is_enabled()


def test_only_the_first_positions_are_listed_with_a_count_of_the_rest():
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"nan at \[\(0,\), \(1,\), \(2,\)\] \(and 7 more of 10\)"):
        Tensor(np.zeros(10)) / Tensor(np.zeros(10))


def test_a_non_finite_input_is_reported_as_already_there():
    w = Tensor(np.array([[1.0, np.inf], [0.0, 1.0]]), requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        Tensor(np.ones((3, 2))) @ w
    message = str(info.value)
    assert message.startswith("matmul: output has inf") and "(input shapes (3, 2), (2, 2))" in message
    assert "input 1 already had inf at [(0, 1)]" in message


def test_a_gradient_that_overflows_in_backward_names_the_rule_and_the_input():
    x = Tensor(np.array([[4.0, 0.0, 1.0]]), requires_grad=True)
    y = (x ** 0.5).sum()  # forward is finite (√0 = 0) but d√x/dx = 1/(2√x) is infinite at 0
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y.backward()
    message = str(info.value)
    assert message.startswith("backward of **: the gradient for input 0 (shape (1, 3)) has inf at [(0, 1)]")


def test_cross_entropy_of_infinite_logits_is_caught_at_the_loss():
    logits = Tensor(np.array([[np.inf, 0.0], [1.0, 2.0]]), requires_grad=True)
    with detect_anomaly(), np.errstate(all="ignore"), pytest.raises(AnomalyError, match=r"^cross_entropy: output has nan"):
        cross_entropy(logits, [0, 1])


def test_finite_work_inside_the_block_is_unchanged():
    rng = np.random.default_rng(0)
    W = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    x = Tensor(rng.standard_normal((4, 3)))
    with detect_anomaly():
        C = ((x @ W).tanh() ** 2).mean()
        C.backward()
    inside = W.grad.copy()
    W.grad = None
    ((x @ W).tanh() ** 2).mean().backward()
    np.testing.assert_array_equal(inside, W.grad)


def test_the_flag_is_restored_after_an_error_and_nests():
    with pytest.raises(AnomalyError):
        with detect_anomaly():
            with detect_anomaly():
                Tensor(np.zeros(1)).log()
    assert not is_enabled()


def test_the_flag_belongs_to_the_thread_that_set_it():
    seen = []
    with detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(is_enabled()))
        t.start()
        t.join()
        assert is_enabled()
    assert seen == [False]

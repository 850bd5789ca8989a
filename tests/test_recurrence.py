"""RNN and GRU: gradients against finite differences, backpropagation through time as the unrolled graph, clipping."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from chainrule import nn
from chainrule.errors import InvalidValueError
from chainrule.optim import clip_grad_norm
from chainrule.recurrence import gru, rnn
from chainrule.tensor import Tensor, linear, no_grad, stack

from tensor_cases import GRU_CASE, SETTINGS, check_grads, recurrent_arrays, recurrent_shapes, rnn_case


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@SETTINGS
@given(shape=recurrent_shapes(), seed=st.integers(0, 1000))
def test_rnn_gradients_match_finite_differences(activation, shape, seed):
    check_grads(rnn_case(activation)[0], *recurrent_arrays(*shape, 1, seed))


@SETTINGS
@given(shape=recurrent_shapes(), seed=st.integers(0, 1000))
def test_gru_gradients_match_finite_differences(shape, seed):
    check_grads(GRU_CASE[0], *recurrent_arrays(*shape, 3, seed))


def _unrolled_gru(x, W_ih, W_hh, b_ih, b_hh, h0):
    """The same GRU built step by step from the engine's small ops: the graph backprop through time walks."""
    H = W_hh.shape[0]
    h, states = h0, []
    for t in range(x.shape[1]):
        xi, hh = linear(x[:, t], W_ih, b_ih), linear(h, W_hh, b_hh)
        r = (xi[:, :H] + hh[:, :H]).sigmoid()
        z = (xi[:, H:2 * H] + hh[:, H:2 * H]).sigmoid()
        n = (xi[:, 2 * H:] + r * hh[:, 2 * H:]).tanh()
        h = (1.0 - z) * n + z * h
        states.append(h)
    return stack(states, axis=1)


def test_the_gru_node_computes_what_its_unrolled_graph_computes_values_and_gradients():
    arrays = recurrent_arrays(3, 7, 2, 4, 3, seed=5)
    results = []
    for f in (gru, _unrolled_gru):
        ts = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = f(*ts)
        (out * Tensor(np.linspace(-1, 1, out.size).reshape(out.shape))).sum().backward()
        results.append([out.data] + [t.grad for t in ts])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_without_a_graph_to_record_the_gru_gives_the_same_states_bit_for_bit():
    arrays = recurrent_arrays(2, 9, 3, 4, 3, seed=1)
    recorded = gru(*[Tensor(a, requires_grad=True) for a in arrays])
    with no_grad():
        evaluated = gru(*[Tensor(a, requires_grad=True) for a in arrays])
    np.testing.assert_array_equal(recorded.data, evaluated.data)  # (it reused one step's gate arrays)


def test_the_shared_weights_gradient_is_the_sum_over_the_time_steps():
    # one unit, h_t = tanh(w·h_{t-1} + u·x_t): dC/dw = Σ_t dC/da_t · h_{t-1}
    x = np.array([[[0.5], [-1.0], [2.0]]])
    w, u = Tensor([[0.9]], requires_grad=True), Tensor([[0.7]], requires_grad=True)
    states = rnn(Tensor(x), u, w)
    states[:, -1].sum().backward()
    h = states.data[0, :, 0]
    d, total = 1.0, 0.0  # dC/dh_t going back from the last step
    for t in (2, 1, 0):
        da = d * (1 - h[t] ** 2)
        total += da * (h[t - 1] if t else 0.0)
        d = da * 0.9
    assert w.grad[0, 0] == pytest.approx(total, rel=1e-12)


def test_the_gradient_back_in_time_is_a_product_of_factors_w_tanh_prime_it_vanishes_or_explodes():
    # from the last of 12 states back to h0: 12 factors w·tanh′(a_t); at h = 0 (input 0) tanh′ = 1, so it is w¹²
    for w in (0.5, 1.5):
        h0 = Tensor(np.zeros((1, 1)), requires_grad=True)
        rnn(Tensor(np.zeros((1, 12, 1))), Tensor([[1.0]]), Tensor([[w]]), h0=h0)[:, -1].sum().backward()
        assert h0.grad[0, 0] == pytest.approx(w ** 12, rel=1e-12)  # 2.4e-4 (vanishing) and 130 (exploding)


# ------------------------------------------------------------------ modules
def test_gru_and_rnn_modules_return_the_last_state_or_every_state():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 6, 3)).astype(np.float32))
    assert nn.GRU(3, 5, seed=0)(x).shape == (4, 5)
    every = nn.GRU(3, 5, return_sequence=True, seed=0)(x)
    assert every.shape == (4, 6, 5) and every.dtype == np.float32
    np.testing.assert_array_equal(every.data[:, -1], nn.GRU(3, 5, seed=0)(x).data)
    assert nn.RNN(3, 5, "relu", return_sequence=True, seed=1)(x).shape == (4, 6, 5)
    assert [n for n, _ in nn.GRU(3, 5).named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert [n for n, _ in nn.RNN(3, 5).named_parameters()] == ["weight_ih", "weight_hh", "bias"]


def test_recurrent_weights_start_uniform_in_plus_minus_one_over_root_h_from_the_seed():
    a, b = nn.GRU(3, 16, seed=4), nn.GRU(3, 16, seed=4)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert np.abs(p.data).max() <= 1 / math.sqrt(16)
    assert np.all(nn.RNN(3, 16, seed=4).bias.data == 0)


@pytest.mark.parametrize("make,pattern", [
    (lambda: gru(Tensor(np.zeros((2, 3))), Tensor(np.zeros((1, 6))), Tensor(np.zeros((2, 6)))), r"3 axes \(batch, steps, features\)"),
    (lambda: gru(Tensor(np.zeros((2, 0, 1))), Tensor(np.zeros((1, 6))), Tensor(np.zeros((2, 6)))), r"no steps"),
    (lambda: gru(Tensor(np.zeros((2, 3, 1))), Tensor(np.zeros((1, 6))), Tensor(np.zeros((2, 4)))), r"shape \(H, 3·H\)"),
    (lambda: gru(Tensor(np.zeros((2, 3, 2))), Tensor(np.zeros((1, 6))), Tensor(np.zeros((2, 6)))), r"\(2, 6\) for inputs of 2"),
    (lambda: rnn(Tensor(np.zeros((2, 3, 1))), Tensor(np.zeros((1, 2))), Tensor(np.zeros((2, 2))), Tensor(np.zeros(3))), r"bias must have shape \(2,\)"),
    (lambda: rnn(Tensor(np.zeros((2, 3, 1))), Tensor(np.zeros((1, 2))), Tensor(np.zeros((2, 2))), h0=np.zeros((3, 2))), r"initial state must have shape \(2, 2\)"),
    (lambda: rnn(Tensor(np.zeros((2, 3, 1))), Tensor(np.zeros((1, 2))), Tensor(np.zeros((2, 2))), activation="sigmoid"), r"tanh, relu"),
    (lambda: nn.GRU(0, 3), r"input_size must be a whole number >= 1"),
])
def test_bad_shapes_get_clear_errors(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make()


# ------------------------------------------------------------------ clipping
def _grads(*arrays):
    ts = [Tensor(np.zeros_like(a), requires_grad=True) for a in arrays]
    for t, a in zip(ts, arrays):
        t.grad = np.array(a, dtype=np.float64)
    return ts


def test_clip_grad_norm_scales_every_gradient_by_one_factor_down_to_max_norm_and_returns_the_norm_before():
    ts = _grads(np.array([3.0, 0.0]), np.array([[4.0]]))
    assert clip_grad_norm(ts, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(ts[0].grad, [0.6, 0.0])
    np.testing.assert_allclose(ts[1].grad, [[0.8]])
    assert math.sqrt(sum(float((t.grad ** 2).sum()) for t in ts)) == pytest.approx(1.0)


def test_clip_grad_norm_leaves_short_gradients_and_missing_ones_alone():
    ts = _grads(np.array([0.3, 0.4]))
    ts.append(Tensor(np.zeros(2), requires_grad=True))  # no gradient this step
    assert clip_grad_norm(ts, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(ts[0].grad, [0.3, 0.4])


def test_clip_grad_norm_leaves_a_non_finite_norm_to_the_divergence_check_and_survives_float32_overflow():
    ts = _grads(np.array([np.inf, 1.0]))
    assert clip_grad_norm(ts, 1.0) == math.inf
    np.testing.assert_array_equal(ts[0].grad, [np.inf, 1.0])
    big = Tensor(np.zeros(2, np.float32), requires_grad=True)
    big.grad = np.array([3e20, 4e20], np.float32)  # their squares overflow float32
    assert clip_grad_norm([big], 1.0) == pytest.approx(5e20)
    np.testing.assert_allclose(big.grad, [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_clips_a_models_own_gradient_buffers_in_place():
    model = nn.Sequential(nn.GRU(2, 3, seed=0), nn.Linear(3, 2, seed=1))
    (model(Tensor(np.ones((4, 5, 2), np.float32))) * 1e3).sum().backward()
    buffers = [p.grad_buffer for p in model.parameters()]
    clip_grad_norm(model, 0.1)
    assert all(p.grad is b for p, b in zip(model.parameters(), buffers))
    assert math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in model.parameters())) == pytest.approx(0.1, rel=1e-5)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, "1"])
def test_clip_grad_norm_refuses_a_max_norm_that_is_not_a_positive_number(bad):
    with pytest.raises(InvalidValueError, match="max_norm"):
        clip_grad_norm(_grads(np.ones(2)), bad)

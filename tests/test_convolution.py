"""Convolution, pooling and flatten: gradients against finite differences, and what each op promises."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from chainrule import nn
from chainrule.convolution import avg_pool1d, conv1d, max_pool1d, output_length
from chainrule.errors import InvalidValueError
from chainrule.tensor import Tensor

from tensor_cases import SETTINGS, arr, avg_pool_case, check_grads, conv_case, conv_configs, max_pool_case, pool_configs


# ------------------------------------------------------------ finite differences
@SETTINGS
@given(config=conv_configs(), seed=st.integers(0, 1000))
def test_conv1d_gradients_match_finite_differences(config, seed):
    x_shape, w_shape, stride, padding, dilation = config
    check_grads(conv_case(stride, padding, dilation)[0], arr(x_shape, seed), arr(w_shape, seed + 1), arr(w_shape[2:], seed + 2))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@SETTINGS
@given(config=conv_configs(), seed=st.integers(0, 1000))
def test_a_convolutional_layer_with_its_activation_matches_finite_differences(activation, config, seed):
    x_shape, w_shape, stride, padding, dilation = config
    check_grads(conv_case(stride, padding, dilation, activation)[0], arr(x_shape, seed), arr(w_shape, seed + 1),
                arr(w_shape[2:], seed + 2))


@SETTINGS
@given(config=pool_configs(), seed=st.integers(0, 1000))
def test_max_pooling_gradients_match_finite_differences(config, seed):
    shape, k, stride, padding, dilation = config
    check_grads(max_pool_case(k, stride, padding, dilation)[0], arr(shape, seed))


@SETTINGS
@given(config=pool_configs(dilated=False), seed=st.integers(0, 1000))
def test_average_pooling_gradients_match_finite_differences(config, seed):
    shape, k, stride, padding, _ = config
    check_grads(avg_pool_case(k, stride, padding)[0], arr(shape, seed))


def test_flatten_gradients_match_finite_differences():
    check_grads(lambda x: x.flatten() * x.flatten(), arr((2, 3, 4), 0))
    check_grads(lambda x: x.flatten(2).sum(axis=2), arr((2, 3, 4, 2), 1))


# ------------------------------------------------------------------- the formula
def test_conv1d_is_the_sum_over_taps_and_channels_written_out():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    s, p, d = 2, 2, 2
    L_out = output_length(9, 3, s, p, d)
    xp = np.pad(x, ((0, 0), (p, p), (0, 0)))
    expected = np.array([[[b[o] + sum(xp[n, t * s + k * d, c] * W[k, c, o] for k in range(3) for c in range(3))
                           for o in range(4)] for t in range(L_out)] for n in range(2)])
    np.testing.assert_allclose(conv1d(Tensor(x), Tensor(W), Tensor(b), s, p, d).data, expected, rtol=1e-12)


def test_a_kernel_weight_gets_the_sum_over_positions_of_upstream_times_input():
    # the "paths add": one weight is used at every position, so its gradient adds up every position's share
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 6, 1))
    W = Tensor(rng.standard_normal((2, 1, 1)), requires_grad=True)
    g = rng.standard_normal((1, 5, 1))
    conv1d(Tensor(x), W).backward(g)
    for k in range(2):
        assert W.grad[k, 0, 0] == pytest.approx(sum(g[0, t, 0] * x[0, t + k, 0] for t in range(5)), rel=1e-12)


def test_the_inputs_gradient_is_a_convolution_with_the_flipped_kernel():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((1, 7, 1)), requires_grad=True)
    w = rng.standard_normal(3)
    g = rng.standard_normal((1, 5, 1))
    conv1d(x, Tensor(w.reshape(3, 1, 1))).backward(g)
    np.testing.assert_allclose(x.grad[0, :, 0], np.convolve(g[0, :, 0], w), rtol=1e-12)  # full convolution


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_a_convolutional_layer_is_bit_for_bit_the_convolution_then_its_activation_node(activation, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 10, 3)).astype(dtype)
    W, b = rng.standard_normal((3, 3, 5)).astype(dtype), rng.standard_normal(5).astype(dtype)
    grads = []
    for fused in (True, False):
        ts = [Tensor(a.copy(), requires_grad=True) for a in (x, W, b)]
        out = conv1d(*ts, 2, 1, 1, activation) if fused else getattr(conv1d(*ts, 2, 1, 1), activation)()
        out.backward(np.ones(out.shape, dtype))
        grads.append([out.data] + [t.grad for t in ts])
    assert grads[0][0].dtype == dtype
    for a, b_ in zip(*grads):
        np.testing.assert_array_equal(a, b_)


def test_max_pooling_sends_each_windows_gradient_to_its_maximum_and_adds_where_windows_overlap():
    x = Tensor(np.array([[[1.0], [3.0], [2.0], [0.0], [5.0]]]), requires_grad=True)
    out = max_pool1d(x, 3, 1)  # windows [1 3 2], [3 2 0], [2 0 5]
    np.testing.assert_array_equal(out.data[0, :, 0], [3.0, 3.0, 5.0])
    out.backward(np.array([[[1.0], [10.0], [100.0]]]))
    np.testing.assert_array_equal(x.grad[0, :, 0], [0.0, 11.0, 0.0, 0.0, 100.0])


def test_max_pooling_gives_a_tie_to_the_first_maximum_only():
    x = Tensor(np.zeros((1, 4, 2)), requires_grad=True)
    max_pool1d(x, 2).backward(np.ones((1, 2, 2)))
    np.testing.assert_array_equal(x.grad[0, :, 0], [1.0, 0.0, 1.0, 0.0])


def test_max_pooling_never_takes_the_padding_and_a_nan_makes_the_maximum_nan():
    x = Tensor(np.array([[[-5.0], [-7.0], [np.nan], [1.0]]]))
    np.testing.assert_array_equal(max_pool1d(x, 2, 2, 1).data[0, :, 0], [-5.0, np.nan, 1.0])


def test_average_pooling_counts_the_padding_as_zeros_and_shares_the_gradient_equally():
    x = Tensor(np.array([[[3.0], [6.0]]]), requires_grad=True)
    out = avg_pool1d(x, 2, 1, 1)  # windows [0 3], [3 6], [6 0]
    np.testing.assert_allclose(out.data[0, :, 0], [1.5, 4.5, 3.0])
    out.backward(np.array([[[2.0], [4.0], [6.0]]]))
    np.testing.assert_allclose(x.grad[0, :, 0], [3.0, 5.0])


def test_pooling_a_sequence_of_side_by_side_windows_reads_the_input_without_copying_it_and_keeps_it_intact():
    x = Tensor(np.arange(12.0).reshape(1, 6, 2), requires_grad=True)
    before = x.data.copy()
    out = max_pool1d(x, 3)
    assert np.shares_memory(out._ctx[0], x.data)  # the windows are a view
    out.sum().backward()
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(x.grad[0, :, 0], [0, 0, 1, 0, 0, 1])


def test_flatten_joins_the_axes_after_the_batch_in_numpys_order():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.flatten().data, np.arange(24.0).reshape(2, 12))
    assert x.flatten(0).shape == (24,) and x.flatten(-1).shape == (2, 3, 4)
    assert Tensor(np.zeros((0, 3, 4))).flatten().shape == (0, 12)


# ------------------------------------------------------------------ buffers
def test_a_conv1d_layer_writes_its_weight_and_bias_gradients_straight_into_the_models_buffers():
    model = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1, seed=0, dtype=np.float64), nn.ReLU(), nn.Flatten(),
                          nn.Linear(12, 2, seed=1, dtype=np.float64))
    conv = model.layers[0]
    buffer = conv.weight.grad_buffer
    out = model(Tensor(np.random.default_rng(0).standard_normal((5, 4, 2))))
    assert out._parents[0]._parents[0].op == "conv1d+relu"  # the conv and its ReLU ran as one node
    out.sum().backward()
    assert conv.weight.grad is buffer and conv.bias.grad is conv.bias.grad_buffer
    assert np.shares_memory(conv.weight.grad, model.parameters()[0].grad_buffer)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("make,pattern", [
    (lambda: conv1d(Tensor(np.zeros((2, 5))), Tensor(np.zeros((3, 1, 1)))), r"3 axes \(batch, length, channels\).*reshape"),
    (lambda: conv1d(Tensor(np.zeros((2, 5, 2))), Tensor(np.zeros((3, 1, 1)))), r"input has 2 channels .* reads 1"),
    (lambda: conv1d(Tensor(np.zeros((2, 5, 1))), Tensor(np.zeros((3, 1)))), r"weight must have 3 axes"),
    (lambda: conv1d(Tensor(np.zeros((2, 2, 1))), Tensor(np.zeros((3, 1, 1)))), r"length 2 .* shorter than the kernel's reach 3"),
    (lambda: conv1d(Tensor(np.zeros((2, 5, 1))), Tensor(np.zeros((3, 1, 1))), stride=0), r"stride must be a whole number >= 1"),
    (lambda: conv1d(Tensor(np.zeros((2, 5, 1))), Tensor(np.zeros((3, 1, 1))), padding=-1), r"padding must be .* >= 0"),
    (lambda: conv1d(Tensor(np.zeros((2, 5, 1))), Tensor(np.zeros((3, 1, 1))), Tensor(np.zeros(2))), r"bias must have shape \(1,\)"),
    (lambda: conv1d(Tensor(np.zeros((2, 5, 1))), Tensor(np.zeros((3, 1, 1))), activation="gelu"), r"activation must be one of"),
    (lambda: max_pool1d(Tensor(np.zeros((2, 5, 1))), 2, padding=2), r"padding 2 is more than half the kernel_size 2"),
    (lambda: avg_pool1d(Tensor(np.zeros((2, 1, 1))), 2), r"length 1 .* shorter than the kernel's reach 2"),
    (lambda: max_pool1d(Tensor(np.zeros((2, 5, 1))), 0), r"kernel_size must be a whole number >= 1"),
    (lambda: Tensor(np.zeros((2, 3))).flatten(2), r"start_axis 2 is out of range"),
])
def test_bad_shapes_and_settings_get_clear_errors(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make()


def test_detect_anomaly_names_the_convolution_or_pooling_that_made_the_first_infinity():
    from chainrule.anomaly import AnomalyError, detect_anomaly

    x = Tensor(np.full((1, 4, 1), 1e200))
    W = Tensor(np.full((2, 1, 1), 1e200), requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match="conv1d"):
        conv1d(x, W)
    with detect_anomaly(), pytest.raises(AnomalyError, match="avg_pool1d"):
        avg_pool1d(Tensor(np.array([[[1.7e308], [1.7e308]]])), 2)

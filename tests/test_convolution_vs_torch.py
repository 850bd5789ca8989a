"""Convolution and pooling against PyTorch's autograd (float64), on hypothesis-drawn shapes, strides, paddings and dilations.

chainrule's sequences are (N, L, C) and its kernels (K, C_in, C_out); the torch side of each case
(``tensor_cases``) permutes them into PyTorch's (N, C, L) and (C_out, C_in, K). Skipped, with the reason,
only where PyTorch is not installed (``make test`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tensor_cases import SETTINGS, arr, avg_pool_case, conv_case, conv_configs, max_pool_case, pool_configs

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparisons with it are skipped")

from test_tensor_vs_torch import check_torch  # noqa: E402


@SETTINGS
@given(config=conv_configs(), seed=st.integers(0, 1000))
def test_conv1d_matches_torch_on_any_shape_stride_padding_and_dilation(config, seed):
    x_shape, w_shape, stride, padding, dilation = config
    check_torch(*conv_case(stride, padding, dilation), arr(x_shape, seed), arr(w_shape, seed + 1), arr(w_shape[2:], seed + 2))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@SETTINGS
@given(config=conv_configs(), seed=st.integers(0, 1000))
def test_a_convolutional_layer_with_its_activation_matches_torch(activation, config, seed):
    x_shape, w_shape, stride, padding, dilation = config
    check_torch(*conv_case(stride, padding, dilation, activation), arr(x_shape, seed), arr(w_shape, seed + 1),
                arr(w_shape[2:], seed + 2))


@SETTINGS
@given(config=pool_configs(), seed=st.integers(0, 1000))
def test_max_pooling_matches_torch(config, seed):
    shape, k, stride, padding, dilation = config
    check_torch(*max_pool_case(k, stride, padding, dilation), arr(shape, seed))


@SETTINGS
@given(config=pool_configs(dilated=False), seed=st.integers(0, 1000))
def test_average_pooling_matches_torch(config, seed):
    shape, k, stride, padding, _ = config
    check_torch(*avg_pool_case(k, stride, padding), arr(shape, seed))


def test_max_pooling_sends_a_tied_windows_gradient_to_its_first_maximum_as_torch_does():
    x = np.array([[[1.0], [1.0], [0.0], [2.0], [2.0], [2.0]]])  # windows of 2 and of 3 with ties, overlapping
    for k, stride in ((2, 2), (3, 1), (2, 1)):
        check_torch(*max_pool_case(k, stride, 0, 1), x)


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple), seed=st.integers(0, 1000))
def test_flatten_matches_torch(shape, seed):
    check_torch(lambda x: x.flatten() * 2.0, lambda torch, x: torch.flatten(x, 1) * 2.0, arr(shape, seed))

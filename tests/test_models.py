"""The networks of ``chainrule.models`` and the sequence layers they are made of: shapes, seeds, buffers, errors."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import models, nn
from chainrule.errors import InvalidValueError
from chainrule.losses import cross_entropy
from chainrule.tensor import Tensor


def test_the_default_cnn_is_three_conv_relu_pool_layers_of_32_channels_then_one_linear_layer():
    model = models.build("cnn", 40, 10, [32, 32, 32], sequence_shape=(40, 1))
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Reshape"] + ["Conv1d", "ReLU", "MaxPool1d"] * 3 + ["Flatten", "Linear"]
    convs = [m for m in model.layers if isinstance(m, nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [(1, 32, 5, 2), (32, 32, 3, 1), (32, 32, 3, 1)]
    assert model.layers[-1].n_in == 5 * 32  # 40 → 20 → 10 → 5 positions
    out = model(Tensor(np.zeros((7, 40), np.float32)))
    assert out.shape == (7, 10) and out.dtype == np.float32


def test_the_gru_model_reads_one_sample_per_step_and_stacks_layers_that_hand_on_every_state():
    model = models.build("gru", 40, 10, [16, 8], sequence_shape=(40, 1), dtype=np.float64)
    grus = [m for m in model.layers if isinstance(m, nn.GRU)]
    assert [(g.input_size, g.hidden_size, g.return_sequence) for g in grus] == [(1, 16, True), (16, 8, False)]
    assert model(Tensor(np.zeros((3, 40)))).shape == (3, 10)


def test_the_mlp_model_is_nn_mlp():
    model = models.build("mlp", 40, 10, [100, 100], "tanh", seed=1)
    assert isinstance(model, nn.MLP) and model.sizes == [40, 100, 100, 10] and model.activation == "tanh"


@pytest.mark.parametrize("name", ["cnn", "gru"])
def test_a_seed_gives_one_network_and_its_parameters_live_in_one_flat_buffer(name):
    a = models.build(name, 40, 10, [8, 8], sequence_shape=(40, 1), seed=3)
    b = models.build(name, 40, 10, [8, 8], sequence_shape=(40, 1), seed=3)
    c = models.build(name, 40, 10, [8, 8], sequence_shape=(40, 1), seed=4)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert any(not np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), c.parameters()))
    params = a.parameters()
    assert all(p.data.base is params[0].data.base is not None for p in params)
    rng = np.random.default_rng(0)
    loss = cross_entropy(a(Tensor(rng.standard_normal((5, 40)).astype(np.float32))), rng.integers(0, 10, 5))
    loss.backward()
    assert all(p.grad is p.grad_buffer for p in params)


def test_a_state_dict_round_trip_restores_a_cnn_exactly():
    a = models.build("cnn", 40, 10, [4, 4], sequence_shape=(40, 1), seed=0)
    b = models.build("cnn", 40, 10, [4, 4], sequence_shape=(40, 1), seed=1)
    b.load_state_dict(a.state_dict())
    x = Tensor(np.random.default_rng(0).standard_normal((3, 40)).astype(np.float32))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert set(a.state_dict()) == {"layers.1.weight", "layers.1.bias", "layers.4.weight", "layers.4.bias", "layers.8.weight",
                                   "layers.8.bias"}


@pytest.mark.parametrize("make,pattern", [
    (lambda: models.build("cnn", 2, 2, [8], sequence_shape=None), r"cnn model reads sequences"),
    (lambda: models.build("rnn", 40, 10, [8], sequence_shape=(40, 1)), r"model 'rnn' is not one of mlp, cnn, gru"),
    (lambda: models.build("cnn", 40, 10, [8] * 6, sequence_shape=(40, 1)), r"6 convolutional layers .* at most 5 fit"),
    (lambda: models.build("gru", 40, 10, [], sequence_shape=(40, 1)), r"at least one layer"),
    (lambda: models.build("gru", 40, 10, [8], sequence_shape=(20, 1)), r"does not hold the 40 features"),
])
def test_a_model_that_cannot_be_built_says_why(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make()


@pytest.mark.parametrize("name,sizes,shape", [
    ("mlp", [100, 100], None), ("mlp", [], None), ("cnn", [32, 32, 32], (40, 1)), ("cnn", [8, 4, 4, 4, 2], (40, 1)),
    ("cnn", [3], (8, 8)), ("gru", [64], (40, 1)), ("gru", [16, 8], (8, 8)),
])
def test_the_parameter_shapes_known_before_building_are_those_of_the_built_network(name, sizes, shape):
    n_features = 40 if shape is None else shape[0] * shape[1]
    built = [p.data.shape for p in models.build(name, n_features, 10, sizes, "relu", shape).parameters()]
    assert models.parameter_shapes(name, n_features, 10, sizes, shape) == built
    assert models.parameter_count(name, n_features, 10, sizes, shape) == sum(int(np.prod(s)) for s in built)


# --------------------------------------------------------- the sequence layers
def test_conv1d_weights_are_he_initialised_over_the_fan_in_of_channels_times_taps():
    conv = nn.Conv1d(16, 64, 5, seed=0, dtype=np.float64)
    assert conv.weight.shape == (5, 16, 64) and conv.bias.shape == (64,)
    assert conv.weight.data.std() == pytest.approx(np.sqrt(2 / (16 * 5)), rel=0.05)
    assert conv.output_length(40) == 36 and nn.Conv1d(1, 1, 5, 2, 1).output_length(40) == 19


def test_reshape_and_swap_axes_keep_the_batch_axis():
    x = Tensor(np.arange(24.0).reshape(2, 12))
    assert nn.Reshape(4, 3)(x).shape == (2, 4, 3)
    swapped = nn.SwapAxes()(nn.Reshape(4, 3)(x))
    assert swapped.shape == (2, 3, 4)
    np.testing.assert_array_equal(swapped.data[1, 2], np.arange(24.0).reshape(2, 4, 3)[1, :, 2])
    with pytest.raises(InvalidValueError, match=r"cannot reshape examples of shape \(12,\)"):
        nn.Reshape(5, 2)(x)
    with pytest.raises(InvalidValueError, match="axes must differ"):
        nn.SwapAxes(1, 1)


def test_pooling_layers_check_their_padding_and_default_their_stride_to_the_kernel():
    assert nn.MaxPool1d(3).stride == 3 and nn.AvgPool1d(2, 1).stride == 1
    with pytest.raises(InvalidValueError, match=r"padding must be a whole number from 0 to kernel_size // 2 = 1"):
        nn.MaxPool1d(2, padding=2)


def test_a_sequential_fuses_a_conv1d_with_the_activation_that_follows_and_nothing_else():
    model = nn.Sequential(nn.Conv1d(1, 2, 3, seed=0), nn.Tanh(), nn.Conv1d(2, 2, 1, seed=1), nn.MaxPool1d(2), nn.ReLU())
    out = model(Tensor(np.ones((1, 6, 1), np.float32)))
    assert out.op == "relu" and out._parents[0].op == "max_pool1d"
    assert out._parents[0]._parents[0].op == "conv1d" and out._parents[0]._parents[0]._parents[0].op == "conv1d+tanh"

"""chainrule <-> PyTorch: same weights, same outputs, same gradients (float64)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the interop with it is skipped")

from chainrule import Value  # noqa: E402
from chainrule.errors import InvalidValueError  # noqa: E402
from chainrule import models, nn  # noqa: E402
from chainrule.interop import adapters, from_torch, to_torch, torch_gradients, torch_graph_gradients  # noqa: E402
from chainrule.losses import cross_entropy  # noqa: E402
from chainrule.nn import MLP, Dense, Identity, Linear, Module, ReLU, Sequential, Sigmoid, Tanh  # noqa: E402
from chainrule.tensor import Tensor  # noqa: E402


def chainrule_grads(model, x, y):
    model.zero_grad()
    loss = cross_entropy(model(Tensor(x)), y)
    loss.backward()
    return float(loss.data), [p.grad for p in model.parameters()]


def torch_grads(module, x, y):
    module.zero_grad()
    loss = torch.nn.functional.cross_entropy(module(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    grads = []
    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            grads.append(m.weight.grad.numpy().T)
            if m.bias is not None:
                grads.append(m.bias.grad.numpy())
    return float(loss.detach()), grads


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_to_torch_gives_the_same_outputs_and_gradients_in_float64(activation):
    rng = np.random.default_rng(1)
    model = MLP([5, 7, 6, 3], activation, seed=2, dtype=np.float64)
    x, y = rng.standard_normal((9, 5)), rng.integers(0, 3, 9)
    tm = to_torch(model)
    assert isinstance(tm, torch.nn.Sequential) and tm[0].weight.dtype == torch.float64
    np.testing.assert_allclose(tm(torch.from_numpy(x)).detach().numpy(), model(Tensor(x)).data, rtol=1e-12, atol=1e-12)
    loss_c, grads_c = chainrule_grads(model, x, y)
    loss_t, grads_t = torch_grads(tm, x, y)
    assert loss_c == pytest.approx(loss_t, abs=1e-12)
    assert len(grads_c) == len(grads_t) == 6
    for gc, gt in zip(grads_c, grads_t):
        np.testing.assert_allclose(gc, gt, rtol=1e-10, atol=1e-13)


def test_the_weight_crosses_over_transposed_and_is_a_copy():
    layer = Linear(4, 2, seed=0, dtype=np.float64)
    tm = to_torch(layer)
    assert tuple(tm[0].weight.shape) == (2, 4)
    np.testing.assert_array_equal(tm[0].weight.detach().numpy(), layer.weight.data.T)
    with torch.no_grad():
        tm[0].weight.zero_()
    assert np.any(layer.weight.data != 0)


def test_from_torch_brings_back_a_stack_with_the_same_function_and_gradients():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU()),
                             torch.nn.Linear(8, 5, bias=False), torch.nn.Sigmoid(), torch.nn.Identity(), torch.nn.Linear(5, 3)).double()
    model = from_torch(tm)
    assert isinstance(model, Sequential)
    assert [type(m) for m in model.layers] == [Linear, Tanh, Linear, ReLU, Linear, Sigmoid, Identity, Linear]
    assert model.layers[4].bias is None and model.layers[0].weight.dtype == np.float64
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    np.testing.assert_allclose(model(Tensor(x)).data, tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    _, grads_c = chainrule_grads(model, x, y)
    _, grads_t = torch_grads(tm, x, y)
    for gc, gt in zip(grads_c, grads_t):
        np.testing.assert_allclose(gc, gt, rtol=1e-10, atol=1e-13)


def test_a_round_trip_keeps_weights_and_dtype():
    model = MLP([3, 4, 2], "relu", seed=5)  # float32
    back = from_torch(to_torch(model))
    assert back.layers[0].weight.dtype == np.float32
    for a, b in zip(model.parameters(), back.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_dense_layers_cross_over_as_a_linear_and_their_activation():
    rng = np.random.default_rng(4)
    model = Sequential(Dense(4, 6, "tanh", seed=0, dtype=np.float64), Dense(6, 5, "sigmoid", seed=1, dtype=np.float64),
                       Dense(5, 3, None, seed=2, dtype=np.float64))
    tm = to_torch(model)
    assert [type(m) for m in tm] == [torch.nn.Linear, torch.nn.Tanh, torch.nn.Linear, torch.nn.Sigmoid, torch.nn.Linear]
    x, y = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    np.testing.assert_allclose(tm(torch.from_numpy(x)).detach().numpy(), model(Tensor(x)).data, rtol=1e-12, atol=1e-12)
    _, grads_c = chainrule_grads(model, x, y)
    _, grads_t = torch_grads(tm, x, y)
    for gc, gt in zip(grads_c, grads_t):
        np.testing.assert_allclose(gc, gt, rtol=1e-10, atol=1e-13)


def test_the_training_mode_crosses_over_both_ways():
    model = MLP([3, 4, 2], seed=0)
    assert to_torch(model).training and not to_torch(model.eval()).training
    assert not from_torch(to_torch(model)).training
    assert from_torch(to_torch(model.train())).training


def test_from_torch_gives_a_model_with_its_own_flat_buffers():
    model = from_torch(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)))
    params = model.parameters()
    assert all(p.data.base is params[0].data.base is not None for p in params)
    assert model(Tensor(np.ones((2, 3), np.float32)))._parents[0].op == "linear+relu"


def test_unsupported_layers_are_refused_by_name():
    with pytest.raises(InvalidValueError, match=r"layer 1 is a Dropout; supported: Linear"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout()))
    with pytest.raises(InvalidValueError, match="dtype torch.float16"):
        from_torch(torch.nn.Linear(2, 2).half())

    class Custom(Module):
        def forward(self, x):
            return x

    with pytest.raises(InvalidValueError, match="cannot convert a Custom"):
        to_torch(Sequential(Linear(2, 2), Custom()))


# ------------------------------------------------------- convolutional and recurrent nets
def _same_function_and_gradients(model, tm, x, y):
    np.testing.assert_allclose(tm(torch.from_numpy(x)).detach().numpy(), model(Tensor(x)).data, rtol=1e-11, atol=1e-12)
    loss_c, _ = chainrule_grads(model, x, y)
    tm.zero_grad()
    loss = torch.nn.functional.cross_entropy(tm(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    assert loss_c == pytest.approx(float(loss.detach()), abs=1e-12)
    theirs = torch_gradients(model, tm)
    assert len(theirs) == len(model.parameters())
    for p, g in zip(model.parameters(), theirs):
        np.testing.assert_allclose(p.grad, g, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,sizes", [("cnn", [6, 5, 4]), ("gru", [5, 3])])
def test_a_cnn_and_a_gru_cross_to_torch_and_compute_the_same_function_and_gradients(name, sizes):
    rng = np.random.default_rng(0)
    model = models.build(name, 40, 10, sizes, sequence_shape=(40, 1), seed=1, dtype=np.float64)
    tm = to_torch(model)
    A = adapters()
    assert any(isinstance(m, A.ChannelsLast if name == "cnn" else A.Recurrent) for m in tm)
    _same_function_and_gradients(model, tm, rng.standard_normal((6, 40)), rng.integers(0, 10, 6))


def test_every_sequence_layer_crosses_over_strides_paddings_dilations_and_an_rnns_one_bias_included():
    rng = np.random.default_rng(1)
    model = Sequential(nn.Reshape(10, 2), nn.RNN(2, 6, "relu", return_sequence=True, seed=0, dtype=np.float64),
                       nn.AvgPool1d(3, 2, 1), nn.Conv1d(6, 3, 2, 2, 1, 2, seed=1, dtype=np.float64), nn.Tanh(),
                       nn.MaxPool1d(2, 1), nn.SwapAxes(), nn.Flatten(), nn.Linear(6, 3, seed=2, dtype=np.float64))
    model.layers[1].bias.data[...] = rng.standard_normal(6)
    tm = to_torch(model)
    assert not tm[1].inner.bias_hh_l0.detach().any()
    _same_function_and_gradients(model, tm, rng.standard_normal((4, 20)), rng.integers(0, 3, 4))


@pytest.mark.parametrize("name", ["cnn", "gru"])
def test_a_round_trip_through_torch_keeps_every_layer_and_weight(name):
    model = models.build(name, 40, 10, [4, 4], sequence_shape=(40, 1), seed=2)
    back = from_torch(to_torch(model))
    assert [type(m) for m in back.layers] == [type(m) for m in model.layers]
    for a, b in zip(model.parameters(), back.parameters()):
        assert a.data.dtype == b.data.dtype == np.float32
        np.testing.assert_array_equal(a.data, b.data)


def test_from_torch_runs_a_channels_first_torch_cnn_on_the_same_inputs_by_swapping_axes_around_its_convolutions():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool1d(2),
                             torch.nn.Conv1d(4, 3, 3, stride=2, dilation=1), torch.nn.Flatten(), torch.nn.Linear(6, 5)).double()
    model = from_torch(tm)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["SwapAxes", "Conv1d", "ReLU", "MaxPool1d", "Conv1d", "SwapAxes", "Flatten", "Linear"]
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((3, 2, 12)), rng.integers(0, 5, 3)  # PyTorch's (N, C, L)
    np.testing.assert_allclose(model(Tensor(x)).data, tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layer,pattern", [
    (lambda: torch.nn.Conv1d(2, 2, 3, groups=2), r"groups=2"),
    (lambda: torch.nn.Conv1d(2, 2, 3, padding="same"), r"padding='same'"),
    (lambda: torch.nn.MaxPool1d(2, ceil_mode=True), r"ceil_mode"),
    (lambda: torch.nn.Flatten(0), r"start_dim=0"),
    (lambda: torch.nn.GRU(2, 3), r"is a GRU; supported"),
])
def test_torch_layers_chainrule_cannot_compute_are_refused_by_name(layer, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        from_torch(torch.nn.Sequential(layer()))


def test_torch_replays_a_value_graph_to_the_same_gradients():
    w, b = Value(0.8, label="w"), Value(-0.2, label="b")
    C = ((1.5 * w + b).tanh() - 0.8) ** 2 + Value.dot([w], [b], 0.1).sigmoid()
    C.backward()
    assert torch_graph_gradients(C, [w, b]) == pytest.approx([w.grad, b.grad], abs=1e-14)


def test_library_code_never_imports_torch():
    code = ("import sys, chainrule, chainrule.tensor, chainrule.nn, chainrule.training, chainrule.gradcheck, "
            "chainrule.anomaly, chainrule.commands.check, chainrule.interop; "
            "chainrule.Tensor; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

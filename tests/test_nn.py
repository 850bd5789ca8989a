"""nn: modules, initialisation, state dicts, the model's gradient buffers, fused dense layers (PyTorch: test_nn_vs_torch.py)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.errors import InvalidValueError
from chainrule.losses import accuracy, cross_entropy
from chainrule.nn import MLP, Dense, Identity, Linear, Module, Parameter, ParameterBuffer, ReLU, Sequential, Sigmoid, Tanh
from chainrule.gradcheck import gradcheck
from chainrule.tensor import Tensor


def test_mlp_structure_parameters_and_names():
    mlp = MLP([4, 8, 3], "tanh")
    assert [type(m) for m in mlp.layers] == [Linear, Tanh, Linear]
    assert list(mlp.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert mlp.num_parameters() == 4 * 8 + 8 + 8 * 3 + 3
    assert all(isinstance(p, Parameter) and p.requires_grad for p in mlp.parameters())
    assert mlp.parameters()[0].dtype == np.float32  # the default dtype


def test_same_seed_same_network_different_seed_different_network():
    a, b, c = MLP([3, 5, 2], seed=1), MLP([3, 5, 2], seed=1), MLP([3, 5, 2], seed=2)
    for (n, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.layers[0].weight.data, c.layers[0].weight.data)


def test_he_and_xavier_initialisation_have_the_documented_scale():
    he = Linear(400, 300, init="he", seed=0, dtype=np.float64)
    assert he.weight.data.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    xavier = Linear(400, 300, init="xavier", seed=0, dtype=np.float64)
    limit = np.sqrt(6 / 700)
    assert np.abs(xavier.weight.data).max() <= limit
    assert xavier.weight.data.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    assert not he.bias.data.any()
    assert MLP([3, 4, 2], "relu").layers[0].init == "he"
    assert MLP([3, 4, 2], "tanh").layers[0].init == "xavier"


def test_sequential_with_activation_modules_equals_mlp():
    mlp = MLP([3, 4, 4, 2], "sigmoid", seed=5)
    seq = Sequential(mlp.layers[0], Sigmoid(), mlp.layers[2], Sigmoid(), mlp.layers[4], Identity())
    x = Tensor(np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32))
    np.testing.assert_array_equal(mlp(x).data, seq(x).data)
    relu = Sequential(Linear(3, 2, seed=0), ReLU())
    assert (relu(x).data >= 0).all()
    assert len(seq) == 6 and seq[1].__class__ is Sigmoid


def test_train_and_eval_set_the_flag_on_every_module():
    mlp = MLP([2, 3, 2])
    mlp.eval()
    assert not any(m.training for m in mlp.modules())
    mlp.train()
    assert all(m.training for m in mlp.modules())


def test_zero_grad_clears_every_gradient():
    mlp = MLP([2, 3, 2])
    cross_entropy(mlp(np.ones((2, 2), np.float32)), [0, 1]).backward()
    assert all(p.grad is not None for p in mlp.parameters())
    mlp.zero_grad()
    assert all(p.grad is None for p in mlp.parameters())


def test_state_dict_round_trip_copies_into_the_same_arrays():
    a, b = MLP([3, 4, 2], seed=0), MLP([3, 4, 2], seed=1)
    w = b.layers[0].weight.data
    b.load_state_dict(a.state_dict())
    assert b.layers[0].weight.data is w  # updated in place: optimizers keep working
    for x, y in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(x.data, y.data)


@pytest.mark.parametrize("edit,pattern", [
    (lambda s: s.pop("layers.0.bias"), "missing layers.0.bias"),
    (lambda s: s.update(extra=np.zeros(1, np.float32)), "unexpected extra"),
    (lambda s: s.update({"layers.0.weight": np.zeros((4, 3), np.float32)}), r"layers.0.weight has shape \(4, 3\) in the state but \(3, 4\)"),
    (lambda s: s.update({"layers.0.bias": np.zeros(4, np.float64)}), "layers.0.bias has dtype float64 in the state but float32"),
], ids=["missing", "unexpected", "shape", "dtype"])
def test_load_state_dict_checks_names_shapes_and_dtypes(edit, pattern):
    model = MLP([3, 4, 2], seed=0)
    before = model.state_dict()
    state = model.state_dict()
    edit(state)
    with pytest.raises(InvalidValueError, match=pattern):
        model.load_state_dict(state)
    for name, arr in model.state_dict().items():  # nothing was changed
        np.testing.assert_array_equal(arr, before[name])


@pytest.mark.parametrize("make,pattern", [
    (lambda: MLP([3]), "at least an input and an output"),
    (lambda: MLP([3, 0, 2]), "every size must be a whole number >= 1"),
    (lambda: MLP([3, 2], "softplus"), "activation 'softplus' is not one of"),
    (lambda: Linear(3, 2, init="lecun"), "init must be one of"),
    (lambda: Linear(3, 2, dtype=np.float16), "float32 or float64"),
    (lambda: MLP([3, 2], seed=-1), "seed must be"),
    (lambda: Sequential(Linear(2, 2), "relu"), "is not a Module"),
])
def test_bad_module_arguments_get_clear_errors(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make()


def test_a_custom_module_finds_its_parameters():
    class Net(Module):
        def __init__(self):
            self.scale = Parameter(np.ones(1))
            self.body = [Linear(2, 2, seed=0), Linear(2, 1, seed=1)]

        def forward(self, x):
            return self.body[1](self.body[0](x)) * self.scale

    assert list(Net().state_dict()) == ["scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias"]
    assert "Linear(2, 2, bias=True)" in repr(Net())


def test_accuracy_counts_the_right_argmax():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 0, 0])) == pytest.approx(2 / 3)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_mlp_gradients_match_finite_differences(activation):
    mlp = MLP([4, 5, 3, 3], activation, seed=3, dtype=np.float64)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 4)) + 0.1, rng.integers(0, 3, 6)
    names, params = zip(*mlp.named_parameters())
    report = gradcheck(lambda *p: cross_entropy(mlp(Tensor(X)), y), params, names=names)
    assert report.ok, report.to_json()


# --------------------------------------------------------- what a layer computes
def _dense_by_hand(x, layer, f):
    return f(x @ layer.weight.data + layer.bias.data)


_FUNCTIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
              None: lambda z: z, "linear": lambda z: z}


def test_dense_computes_what_its_repr_shows_even_after_a_change():
    layer = Dense(3, 4, "tanh", seed=0, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((5, 3))
    assert repr(layer) == "Dense(3, 4, activation='tanh', bias=True)" and layer.init == "xavier"
    for activation in ("tanh", "sigmoid", "relu", None, "linear"):
        layer.activation = activation
        out = layer(x)
        assert f"activation={activation!r}" in repr(layer)
        assert out.op == ("linear" if activation in (None, "linear") else f"linear+{activation}")  # one node
        np.testing.assert_allclose(out.data, _dense_by_hand(x, layer, _FUNCTIONS[activation]), rtol=1e-12)
    layer.activation = "gelu"
    with pytest.raises(InvalidValueError, match="activation must be one of"):
        layer(x)
    with pytest.raises(InvalidValueError, match="Dense: activation 'softplus' is not one of"):
        Dense(3, 4, "softplus")


def test_replacing_an_mlps_activation_module_changes_what_it_computes():
    mlp = MLP([3, 4, 2], "relu", seed=0, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((5, 3))
    mlp.layers[1] = Tanh()  # was: the repr and to_torch changed, the forward pass kept using relu
    first, last = mlp.layers[0], mlp.layers[2]
    expected = _dense_by_hand(_dense_by_hand(x, first, np.tanh), last, _FUNCTIONS[None])
    np.testing.assert_allclose(mlp(x).data, expected, rtol=1e-12)
    assert mlp.activation == "tanh" and "(layers.1): Tanh()" in repr(mlp)
    mlp.layers[1] = Identity()
    np.testing.assert_allclose(mlp(x).data, _dense_by_hand(_dense_by_hand(x, first, _FUNCTIONS[None]), last, _FUNCTIONS[None]), rtol=1e-12)


def test_sequential_runs_a_linear_and_its_activation_as_one_node_bit_for_bit():
    for activation, module in (("relu", ReLU), ("tanh", Tanh), ("sigmoid", Sigmoid)):
        model = Sequential(Linear(3, 4, seed=0), module(), Linear(4, 2, seed=1))
        x = Tensor(np.random.default_rng(2).standard_normal((6, 3)).astype(np.float32))
        out = model(x)
        assert out._parents[0].op == f"linear+{activation}"  # one dense-layer node, not two
        step_by_step = x
        for layer in model.layers:  # each module on its own
            step_by_step = layer(step_by_step)
        np.testing.assert_array_equal(out.data, step_by_step.data)


def test_a_subclass_of_an_activation_runs_its_own_forward():
    class Leaky(ReLU):
        def forward(self, x):
            return x.relu() + x * 0.01

    model = Sequential(Linear(3, 4, seed=0, dtype=np.float64), Leaky())
    x = np.random.default_rng(2).standard_normal((6, 3))
    z = _dense_by_hand(x, model.layers[0], _FUNCTIONS[None])
    np.testing.assert_allclose(model(x).data, np.maximum(z, 0) + 0.01 * z, rtol=1e-12)


def test_mlp_sizes_and_activation_are_read_off_its_layers():
    mlp = MLP([4, 8, 3], "tanh")
    assert mlp.sizes == [4, 8, 3] and mlp.activation == "tanh"
    mlp.layers[1] = ReLU()
    assert mlp.activation == "relu"
    assert MLP([4, 3, 3, 2], "relu").activation == "relu" and MLP([4, 2]).activation == "linear"
    mixed = MLP([4, 3, 3, 2], "relu")
    mixed.layers[3] = Sigmoid()
    assert mixed.activation == "mixed"


# --------------------------------------------------------- the model's gradient buffers
def test_an_mlp_keeps_its_parameters_and_its_gradients_in_two_flat_arrays():
    mlp = MLP([4, 8, 3], seed=0)
    params = mlp.parameters()
    buffer = params[0]._place[0]
    assert isinstance(buffer, ParameterBuffer) and buffer.data.size == buffer.grad.size == mlp.num_parameters()
    assert all(p.data.base is buffer.data and p.grad_buffer.base is buffer.grad for p in params)
    np.testing.assert_array_equal(mlp.layers[0].weight.data, Linear(4, 8, seed=np.random.default_rng(0)).weight.data)
    cross_entropy(mlp(np.ones((2, 4), np.float32)), [0, 1]).backward()
    assert all(p.grad is p.grad_buffer for p in params)


def test_a_sequential_of_new_layers_owns_their_buffers_too():
    first, second = Linear(3, 4, seed=0), Linear(4, 2, seed=1)
    w = first.weight.data.copy()
    model = Sequential(first, ReLU(), second)
    assert first.weight.data.base is second.bias.data.base is not None  # one array
    np.testing.assert_array_equal(first.weight.data, w)  # values unchanged
    shared = Sequential(first, Tanh())  # a layer another model owns stays in that model's buffer
    assert first.weight._place[0] is model.parameters()[0]._place[0] and shared.parameters()[0] is first.weight


def test_a_models_gradient_lands_in_the_same_array_every_step_so_a_kept_one_must_be_copied():
    mlp = MLP([4, 8, 3], seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    W = mlp.layers[0].weight
    cross_entropy(mlp(rng.standard_normal((5, 4))), [0, 1, 2, 0, 1]).backward()
    kept, copied = W.grad, W.grad.copy()
    mlp.zero_grad()
    assert W.grad is None
    cross_entropy(mlp(rng.standard_normal((5, 4))), [2, 2, 1, 0, 1]).backward()
    assert W.grad is kept  # no new array: the model's own buffer, rewritten (the documented contract)
    assert not np.allclose(kept, copied)  # what you kept without copying now holds this step's gradient
    np.testing.assert_array_equal(kept, W.grad)  # while the copy still holds the first one


def test_set_to_none_false_zeros_the_models_buffers_and_the_next_pass_adds_into_them():
    mlp = MLP([3, 4, 2], seed=0, dtype=np.float64)
    X, y = np.random.default_rng(0).standard_normal((5, 3)), [0, 1, 1, 0, 1]
    cross_entropy(mlp(X), y).backward()
    once = [p.grad.copy() for p in mlp.parameters()]
    mlp.zero_grad(set_to_none=False)
    assert all(p.grad is p.grad_buffer and not p.grad.any() for p in mlp.parameters())
    cross_entropy(mlp(X), y).backward()
    cross_entropy(mlp(X), y).backward()
    for p, g in zip(mlp.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-12)


def test_a_weight_used_twice_by_one_layer_gets_both_gradients_into_its_buffer():
    from chainrule.tensor import linear

    rng = np.random.default_rng(0)
    owned = Parameter(rng.standard_normal((4, 4)))
    ParameterBuffer([owned])
    plain = Tensor(owned.data.copy(), requires_grad=True)
    for W in (owned, plain):
        (linear(W, W, None, "tanh") ** 2).sum().backward()  # W is the input and the weight of one node
        (linear(Tensor(np.ones((2, 4))), W) * W[:2]).sum().backward()  # and two paths into a second pass
    assert owned.grad is owned.grad_buffer
    np.testing.assert_allclose(owned.grad, plain.grad, rtol=1e-12)


def test_a_model_and_its_buffers_are_freed_by_reference_counting():
    import gc
    import weakref

    gc.disable()
    try:
        mlp = MLP([4, 8, 3], seed=0)
        cross_entropy(mlp(np.ones((2, 4), np.float32)), [0, 1]).backward()
        buffer = weakref.ref(mlp.parameters()[0]._place[0])
        del mlp
        assert buffer() is None  # no cycle between the parameters and their buffer
    finally:
        gc.enable()


def test_a_module_of_your_own_fuses_by_declaring_it_not_by_its_class():
    class Squash(Module):  # not chainrule's Tanh: it says what it applies, and Sequential fuses it
        fused_activation = "tanh"

        def forward(self, x):
            return x.tanh()

    model = Sequential(Linear(3, 4, seed=0, dtype=np.float64), Squash())
    x = np.random.default_rng(2).standard_normal((6, 3))
    out = model(x)
    assert out.op == "linear+tanh"  # one dense-layer node
    np.testing.assert_allclose(out.data, np.tanh(_dense_by_hand(x, model.layers[0], _FUNCTIONS[None])), rtol=1e-12)

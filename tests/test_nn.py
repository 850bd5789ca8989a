"""nn: modules, initialisation, state dicts; the same network as PyTorch gives the same outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from chainrule.errors import InvalidValueError
from chainrule.losses import accuracy, cross_entropy
from chainrule.nn import MLP, Identity, Linear, Module, Parameter, ReLU, Sequential, Sigmoid, Tanh
from chainrule.tensor import Tensor


def torch_copy(mlp: MLP, activation: str) -> torch.nn.Sequential:
    """The same network in PyTorch, same weights (PyTorch stores W transposed: (out, in))."""
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[activation]
    layers = []
    linears = [m for m in mlp.layers if isinstance(m, Linear)]
    for k, lin in enumerate(linears):
        t = torch.nn.Linear(lin.n_in, lin.n_out, dtype=torch.float64)
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(lin.weight.data.T.astype(np.float64)))
            t.bias.copy_(torch.from_numpy(lin.bias.data.astype(np.float64)))
        layers.append(t)
        if k < len(linears) - 1:
            layers.append(act())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_forward_and_gradients_match_pytorch(activation):
    mlp = MLP([5, 7, 6, 3], activation, seed=3, dtype=np.float64)
    ref = torch_copy(mlp, activation)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    loss = cross_entropy(mlp(Tensor(X)), y)
    loss.backward()
    tloss = torch.nn.functional.cross_entropy(ref(torch.from_numpy(X)), torch.from_numpy(y))
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    tlin = [m for m in ref if isinstance(m, torch.nn.Linear)]
    for lin, t in zip([m for m in mlp.layers if isinstance(m, Linear)], tlin):
        np.testing.assert_allclose(lin.weight.grad, t.weight.grad.numpy().T, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(lin.bias.grad, t.bias.grad.numpy(), rtol=1e-9, atol=1e-12)


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

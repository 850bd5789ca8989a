"""Optimizers against PyTorch's: same init, same data, same losses step by step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from chainrule.errors import InvalidValueError
from chainrule.losses import cross_entropy
from chainrule.nn import MLP, Linear
from chainrule.optim import SGD, Adam, make_optimizer
from chainrule.tensor import Tensor


def _torch_model(mlp: MLP, activation: str, dtype) -> torch.nn.Sequential:
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[activation]
    linears = [m for m in mlp.layers if isinstance(m, Linear)]
    layers = []
    for k, lin in enumerate(linears):
        t = torch.nn.Linear(lin.n_in, lin.n_out, dtype=dtype)
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(np.ascontiguousarray(lin.weight.data.T)))
            t.bias.copy_(torch.from_numpy(lin.bias.data))
        layers.append(t)
        if k < len(linears) - 1:
            layers.append(act())
    return torch.nn.Sequential(*layers)


CASES = [
    ("sgd", dict(lr=0.1), "relu"),
    ("sgd", dict(lr=0.05, momentum=0.9), "relu"),
    ("sgd", dict(lr=0.05, momentum=0.9, weight_decay=1e-3), "tanh"),
    ("adam", dict(lr=0.01), "relu"),
    ("adam", dict(lr=0.01, weight_decay=1e-3), "tanh"),
]


@pytest.mark.parametrize("name,kwargs,activation", CASES, ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k, _ in CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_training_matches_pytorch_loss_for_loss(name, kwargs, activation, dtype):
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    mlp = MLP([6, 16, 8, 3], activation, seed=0, dtype=dtype)
    ref = _torch_model(mlp, activation, torch_dtype)
    opt = make_optimizer(name, mlp.parameters(), **kwargs)
    topt = (torch.optim.SGD if name == "sgd" else torch.optim.Adam)(ref.parameters(), **kwargs)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((64, 6)).astype(dtype), rng.integers(0, 3, 64)
    ours, theirs = [], []
    for step in range(30):
        sl = slice((step * 16) % 64, (step * 16) % 64 + 16)
        loss = cross_entropy(mlp(Tensor(X[sl])), y[sl])
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = torch.nn.functional.cross_entropy(ref(torch.from_numpy(X[sl])), torch.from_numpy(y[sl]))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        ours.append(loss.item())
        theirs.append(tloss.item())
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(ours, theirs, rtol=rtol)
    assert ours[-1] < ours[0]  # and it learned something


def test_sgd_update_is_the_textbook_formula():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.5)
    w.grad = np.array([1.0, 1.0])
    opt.step()  # v = g = 1; w = w - 0.1
    np.testing.assert_allclose(w.data, [0.9, -2.1])
    w.grad = np.array([1.0, 1.0])
    opt.step()  # v = 0.5 + 1 = 1.5; w -= 0.15
    np.testing.assert_allclose(w.data, [0.75, -2.25])


def test_parameters_without_gradients_are_left_alone():
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    for opt in (SGD([a, b], lr=0.1, momentum=0.9), Adam([a, b], lr=0.1)):
        a.grad, b.grad = np.ones(2), None
        opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert (a.data < 1).all()


def test_optimizer_state_round_trip_continues_identically():
    def run(split):
        mlp = MLP([3, 5, 2], seed=0, dtype=np.float64)
        opt = Adam(mlp.parameters(), lr=0.05)
        X, y = np.random.default_rng(0).standard_normal((10, 3)), np.arange(10) % 2
        for step in range(6):
            if step == split:
                state, params = opt.state_dict(), mlp.state_dict()
                mlp = MLP([3, 5, 2], seed=9, dtype=np.float64)
                mlp.load_state_dict(params)
                opt = Adam(mlp.parameters(), lr=0.05)
                opt.load_state_dict(state)
            opt.zero_grad()
            cross_entropy(mlp(X), y).backward()
            opt.step()
        return mlp.state_dict()

    a, b = run(split=None), run(split=3)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("make,pattern", [
    (lambda p: SGD(p, lr=0), "lr must be > 0"),
    (lambda p: SGD(p, lr=-1), "lr must be >= 0"),
    (lambda p: SGD(p, lr=float("nan")), "lr must be a finite number"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), r"momentum must be in \[0.0, 1.0\)"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay must be >= 0"),
    (lambda p: Adam(p, betas=(0.9, 1.5)), "beta2 must be in"),
    (lambda p: SGD([], lr=0.1), "no parameters"),
    (lambda p: make_optimizer("rmsprop", p, lr=0.1), "optimizer 'rmsprop' is not one of sgd, adam"),
])
def test_bad_optimizer_settings_get_clear_errors(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make(MLP([2, 2]).parameters())


def test_loading_a_mismatched_optimizer_state_is_refused():
    opt = SGD(MLP([2, 3, 2]).parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(InvalidValueError, match=r"velocity.0: shape \(3, 3\)"):
        opt.load_state_dict({"velocity.0": np.zeros((3, 3), np.float32)})
    with pytest.raises(InvalidValueError, match="Adam state is incomplete"):
        Adam(MLP([2, 2]).parameters()).load_state_dict({})


def test_an_mlp_keeps_all_its_parameters_in_one_array():
    mlp = MLP([4, 8, 3], seed=0)
    params = mlp.parameters()
    base = params[0].data.base
    assert base is not None and base.size == sum(p.data.size for p in params)
    assert all(p.data.base is base for p in params)
    np.testing.assert_array_equal(mlp.layers[0].weight.data, Linear(4, 8, seed=np.random.default_rng(0)).weight.data)


@pytest.mark.parametrize("name,kwargs", [
    ("sgd", dict(lr=0.1)), ("sgd", dict(lr=0.05, momentum=0.9)), ("sgd", dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("sgd", dict(lr=0.05, weight_decay=0.01)), ("adam", dict(lr=0.01)), ("adam", dict(lr=0.01, weight_decay=0.01)),
])
def test_the_whole_array_update_equals_the_update_parameter_by_parameter_bit_for_bit(name, kwargs):
    # an MLP's parameters tile one array, so the optimizer updates them all at once; replacing every
    # parameter's array by a copy breaks the tiling and the optimizer goes parameter by parameter
    X, y = np.random.default_rng(1).standard_normal((16, 5)), np.arange(16) % 3
    results = []
    for whole in (True, False):
        mlp = MLP([5, 7, 3], seed=0, dtype=np.float64)
        if not whole:
            for p in mlp.parameters():
                p.data = p.data.copy()
        opt = make_optimizer(name, mlp.parameters(), **kwargs)
        assert (opt._weights is not None) == whole
        for _ in range(5):
            opt.zero_grad()
            cross_entropy(mlp(X), y).backward()
            opt.step()
        results.append(mlp.state_dict())
    for k in results[0]:
        np.testing.assert_array_equal(results[0][k], results[1][k])


def test_replacing_a_parameters_array_after_the_optimizer_was_made_is_followed():
    mlp = MLP([3, 4, 2], seed=0, dtype=np.float64)
    opt = SGD(mlp.parameters(), lr=0.1, momentum=0.9)
    X, y = np.random.default_rng(0).standard_normal((6, 3)), np.arange(6) % 2
    new = np.full_like(mlp.layers[0].weight.data, 0.5)
    mlp.layers[0].weight.data = new  # no longer a part of the one array the optimizer knows
    for _ in range(2):
        opt.zero_grad()
        cross_entropy(mlp(X), y).backward()
        opt.step()
    assert mlp.layers[0].weight.data is new and not np.allclose(new, 0.5)  # updated where the model reads it


def test_a_layer_without_gradients_is_left_alone_inside_an_mlp():
    mlp = MLP([3, 4, 2], seed=0, dtype=np.float64)
    X, y = np.random.default_rng(0).standard_normal((6, 3)), np.arange(6) % 2
    for opt in (SGD(mlp.parameters(), lr=0.1, momentum=0.9), Adam(mlp.parameters(), lr=0.1)):
        frozen, other = mlp.layers[0].weight.data.copy(), mlp.layers[2].weight.data.copy()
        for _ in range(3):
            opt.zero_grad()
            cross_entropy(mlp(X), y).backward()
            mlp.layers[0].weight.grad = None  # frozen this step
            opt.step()
        np.testing.assert_array_equal(mlp.layers[0].weight.data, frozen)
        assert not np.array_equal(mlp.layers[2].weight.data, other)

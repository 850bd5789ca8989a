"""Optimizers: the textbook updates, one update path for models and plain tensors, checked state (PyTorch: test_optim_vs_torch.py)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.errors import InvalidValueError
from chainrule.losses import cross_entropy
from chainrule.nn import MLP, Linear
from chainrule.optim import SGD, Adam, make_optimizer
from chainrule.tensor import Tensor


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
    with pytest.raises(InvalidValueError, match=r"the Adam state is incomplete: m.0 is missing \(it needs t, m.i, v.i"):
        Adam(MLP([2, 2]).parameters()).load_state_dict({})


@pytest.mark.parametrize("name,kwargs", [
    ("sgd", dict(lr=0.1)), ("sgd", dict(lr=0.05, momentum=0.9)), ("sgd", dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("sgd", dict(lr=0.05, weight_decay=0.01)), ("adam", dict(lr=0.01)), ("adam", dict(lr=0.01, weight_decay=0.01)),
])
def test_the_whole_array_update_equals_the_update_parameter_by_parameter_bit_for_bit(name, kwargs):
    # an MLP's parameters and gradients are its two flat arrays, so the update runs once over the whole model;
    # replacing every parameter's array by a copy leaves one stretch per parameter: the same numbers, bit for bit
    X, y = np.random.default_rng(1).standard_normal((16, 5)), np.arange(16) % 3
    results = []
    for whole in (True, False):
        mlp = MLP([5, 7, 3], seed=0, dtype=np.float64)
        if not whole:
            for p in mlp.parameters():
                p.data = p.data.copy()
        opt = make_optimizer(name, mlp.parameters(), **kwargs)
        for _ in range(5):
            opt.zero_grad()
            cross_entropy(mlp(X), y).backward()
            assert len(opt._stretches()) == (1 if whole else len(mlp.parameters()))
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


def test_adam_update_is_the_textbook_formula_on_a_plain_tensor():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = Adam([w], lr=0.1, betas=(0.9, 0.99), eps=1e-8)
    m = v = np.zeros(2)
    expected = w.data.copy()
    for t, g in enumerate([np.array([0.5, -1.0]), np.array([2.0, 0.25])], start=1):
        w.grad = g.copy()
        opt.step()
        m, v = 0.9 * m + 0.1 * g, 0.99 * v + 0.01 * g * g
        expected = expected - 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
    np.testing.assert_allclose(w.data, expected, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1, momentum=0.9), lambda p: Adam(p, lr=0.1)], ids=["sgd", "adam"])
def test_the_same_parameter_twice_is_refused(make):
    mlp = MLP([2, 3, 2])
    params = mlp.parameters()
    with pytest.raises(InvalidValueError, match="parameter 4 is parameter 0 again"):
        make(params + params[:1])  # was: silently updated twice per step


def test_plain_tensors_and_a_models_parameters_in_one_optimizer_are_all_updated():
    mlp = MLP([3, 4, 2], seed=0, dtype=np.float64)
    scale = Tensor(np.ones(2), requires_grad=True)
    opt = SGD(mlp.parameters() + [scale], lr=0.1, momentum=0.9)
    X, y = np.random.default_rng(0).standard_normal((6, 3)), np.arange(6) % 2
    before = [p.data.copy() for p in opt.params]
    for _ in range(2):
        opt.zero_grad()
        cross_entropy(mlp(X) * scale, y).backward()
        assert len(opt._stretches()) == 2  # the model's six parameters as one, the plain tensor on its own
        opt.step()
    assert all(not np.array_equal(p.data, b) for p, b in zip(opt.params, before))


# ---------------------------------------------------------------- resuming: the state is checked
def _adam_state(steps=2):
    mlp = MLP([2, 3, 2], seed=0)
    opt = Adam(mlp.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        cross_entropy(mlp(np.ones((2, 2), np.float32)), [0, 1]).backward()
        opt.step()
    return opt, opt.state_dict()


@pytest.mark.parametrize("edit,pattern", [
    (lambda s: s.update(t=np.asarray(-1)), r"optimizer state t must be a whole number >= 0 \(the count of steps taken\), got -1"),
    (lambda s: s.update(t=np.asarray(1.5)), "optimizer state t must be a whole number >= 0.*got 1.5"),
    (lambda s: s.update(t=np.asarray(True)), "optimizer state t must be a whole number >= 0"),
    (lambda s: s.update(t=np.asarray(float("nan"))), "optimizer state t must be a whole number >= 0"),
    (lambda s: s.update(t=np.arange(3)), "optimizer state t must be a whole number >= 0"),
    (lambda s: s.pop("t"), "the Adam state is incomplete: t is missing"),
    (lambda s: s["v.1"].__setitem__(0, -0.5), r"optimizer state v.1: holds negative values \(smallest -0.5\)"),
    (lambda s: s["m.2"].__setitem__((0, 0), np.nan), "optimizer state m.2: holds NaN or infinite values"),
    (lambda s: s.update({"v.0": s["v.0"].T.copy()}), r"optimizer state v.0: shape \(3, 2\) float32 does not match the parameter's \(2, 3\) float32"),
    (lambda s: s.update({"m.3": s["m.3"].astype(np.float64)}), "optimizer state m.3: shape .* float64 does not match"),
    (lambda s: s.pop("v.3"), "the Adam state is incomplete: v.3 is missing"),
    (lambda s: s.update({"m.9": np.zeros(2, np.float32)}), r"optimizer state: unexpected m.9 for Adam with 4 parameters \(allowed: m.0 to m.3, v.0 to v.3, t\)"),
], ids=["t-negative", "t-fraction", "t-bool", "t-nan", "t-array", "t-missing", "v-negative", "m-nan", "shape", "dtype",
        "missing", "unexpected"])
def test_a_bad_adam_state_is_refused_naming_the_field_and_nothing_changes(edit, pattern):
    opt, state = _adam_state()
    before = opt.state_dict()
    edit(state)
    with pytest.raises(InvalidValueError, match=pattern):
        opt.load_state_dict(state)
    after = opt.state_dict()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


def test_a_negative_adam_v_was_what_made_training_diverge_later():
    # the reproducer: before, a negative v passed the load and surfaced steps later as "training diverged"
    opt, state = _adam_state()
    state["v.0"] = -np.abs(state["v.0"]) - 1.0
    with pytest.raises(InvalidValueError, match="v.0: holds negative values"):
        opt.load_state_dict(state)


def test_a_good_state_with_t_0_or_a_python_int_loads():
    opt, state = _adam_state()
    state["t"] = 0
    opt.load_state_dict(state)
    assert opt.t == 0
    opt.load_state_dict({**state, "t": np.asarray(7, np.int32)})
    assert opt.t == 7


@pytest.mark.parametrize("edit,pattern", [
    (lambda s: s.update({"velocity.0": np.full((2, 3), np.inf, np.float32)}), "optimizer state velocity.0: holds NaN or infinite"),
    (lambda s: s.update(t=np.asarray(3)), r"optimizer state: unexpected t for SGD with 4 parameters \(allowed: velocity.0 to velocity.3\)"),
    (lambda s: s.update({"m.0": np.zeros((2, 3), np.float32)}), "unexpected m.0"),
])
def test_a_bad_sgd_state_is_refused_naming_the_field(edit, pattern):
    opt = SGD(MLP([2, 3, 2]).parameters(), lr=0.1, momentum=0.9)
    state = opt.state_dict()
    edit(state)
    with pytest.raises(InvalidValueError, match=pattern):
        opt.load_state_dict(state)


def test_a_missing_sgd_velocity_is_a_parameter_that_has_not_moved_yet():
    mlp = MLP([2, 3, 2], seed=0, dtype=np.float64)
    X, y = np.ones((2, 2)), [0, 1]
    opt = SGD(mlp.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        cross_entropy(mlp(X), y).backward()
        opt.step()
    state = opt.state_dict()
    assert sorted(state) == [f"velocity.{i}" for i in range(4)]
    del state["velocity.1"]
    opt.load_state_dict(state)
    assert not opt.state_dict()["velocity.1"].any() and opt.state_dict()["velocity.0"].any()

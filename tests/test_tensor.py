"""The tensor engine: every op's gradient against finite differences, the graph's bookkeeping, errors.

No PyTorch here: the same cases (``tensor_cases.py``) are compared with PyTorch in ``test_tensor_vs_torch.py``.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, strategies as st

from chainrule.convolution import avg_pool1d, conv1d, max_pool1d
from chainrule.errors import InvalidValueError
from chainrule.losses import cross_entropy, mse_loss
from chainrule.recurrence import gru, rnn
from chainrule.scalar import Value
from chainrule.tensor import Tensor, concatenate, linear, no_grad, enable_grad, stack

from tensor_cases import (
    ACTIVATIONS, BINARY, INDICES, LINEAR, MSE, REDUCTIONS, SETTINGS, SHAPE_CASES, UNARY, arr, broadcast_pair,
    check_grads, concat_case, cross_entropy_case, dims, engine_grads, matmul_shapes, shape_and_axis, shapes, weights_for,
)


# ----------------------------------------------------- elementwise binary
@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(pair=broadcast_pair(), seed=st.integers(0, 1000))
def test_binary_op_gradients_match_finite_differences_with_broadcasting(name, pair, seed):
    a = arr(pair[0], seed, low=0.5)  # positive: a valid base for **, far from 0 for /
    b = arr(pair[1], seed + 1, low=0.5)
    check_grads(BINARY[name][0], a, b)


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 1000))
def test_unary_op_gradients_match_finite_differences(name, shape, seed):
    check_grads(UNARY[name][0], arr(shape, seed, low=0.5))


# ------------------------------------------------------------ reductions
@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=st.integers(0, 1000))
def test_reduction_gradients_match_finite_differences(name, sa, keepdims, seed):
    shape, axis = sa
    check_grads(lambda a: getattr(a, name)(axis=axis, keepdims=keepdims), arr(shape, seed))


def test_max_shares_the_gradient_between_ties():
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5])


# --------------------------------------------------------------- matmul
@SETTINGS
@given(shapes=matmul_shapes(), seed=st.integers(0, 1000))
def test_matmul_gradients_match_finite_differences(shapes, seed):
    check_grads(lambda a, b: a @ b, arr(shapes[0], seed), arr(shapes[1], seed + 1))


@SETTINGS
@given(lead=st.lists(dims, min_size=0, max_size=2).map(tuple), k=dims, m=dims, seed=st.integers(0, 1000))
def test_fused_linear_matches_finite_differences(lead, k, m, seed):
    check_grads(LINEAR[0], arr(lead + (k,), seed), arr((k, m), seed + 1), arr((m,), seed + 2))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@SETTINGS
@given(lead=st.lists(dims, min_size=0, max_size=2).map(tuple), k=dims, m=dims, seed=st.integers(0, 1000))
def test_a_dense_layer_with_its_activation_matches_finite_differences(activation, lead, k, m, seed):
    x, W, b = arr(lead + (k,), seed), arr((k, m), seed + 1), arr((m,), seed + 2)
    check_grads(lambda x, W, b: linear(x, W, b, activation), x, W, b)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_dense_layer_is_bit_for_bit_the_layer_then_its_activation_node(activation, dtype):
    rng = np.random.default_rng(3)
    results = []
    for fused in (True, False):
        x = Tensor(rng.standard_normal((5, 4)).astype(dtype), requires_grad=True)
        W = Tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True)
        b = Tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
        rng = np.random.default_rng(3)
        a = linear(x, W, b, activation) if fused else getattr(linear(x, W, b), activation)()
        (a * a).sum().backward()
        results.append([a.data, x.grad, W.grad, b.grad])
    for one, other in zip(*results):
        np.testing.assert_array_equal(one, other)


def test_a_dense_layer_refuses_an_unknown_activation():
    with pytest.raises(InvalidValueError, match="linear: activation must be one of relu, tanh, sigmoid, linear or None, got 'gelu'"):
        linear(Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2))), None, "gelu")
    with pytest.raises(InvalidValueError, match=r"got \['relu'\]"):
        linear(Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2))), None, ["relu"])


# ---------------------------------------------------------------- shapes
@pytest.mark.parametrize("name", SHAPE_CASES)
def test_shape_operation_gradients(name):
    f, _, in_shapes = SHAPE_CASES[name]
    check_grads(f, *[arr(s, k) for k, s in enumerate(in_shapes)])


@pytest.mark.parametrize("name", INDICES)
def test_indexing_gradients_add_up_where_read_twice(name):
    index = INDICES[name]
    check_grads(lambda a: a[index], arr((3, 4), 0))


@SETTINGS
@given(parts=st.lists(dims, min_size=1, max_size=3), axis=st.sampled_from([0, 1, -1]), seed=st.integers(0, 1000))
def test_concatenate_gradients_split_back(parts, axis, seed):
    f, _, in_shapes = concat_case(parts, axis)
    check_grads(f, *[arr(s, seed + i) for i, s in enumerate(in_shapes)])


# --------------------------------------------------------------- softmax & losses
@SETTINGS
@given(sa=shape_and_axis(allow_none=False), seed=st.integers(0, 1000))
def test_softmax_and_log_softmax_gradients(sa, seed):
    shape, axis = sa
    a = arr(shape, seed) * 3
    check_grads(lambda t: t.softmax(axis=axis), a)
    check_grads(lambda t: t.log_softmax(axis=axis), a)


def test_softmax_and_log_softmax_are_stable_for_huge_scores():
    x = Tensor([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(x.softmax().data, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(x.log_softmax().data, [[0.0, -1000.0, -2000.0]])
    loss = cross_entropy(Tensor([[1e4, -1e4]], requires_grad=True), [1])
    assert np.isfinite(loss.data) and loss.item() == pytest.approx(2e4)


@SETTINGS
@given(n=st.integers(1, 6), k=st.integers(2, 5), seed=st.integers(0, 1000), reduction=st.sampled_from(["mean", "sum"]))
def test_cross_entropy_from_logits_matches_finite_differences(n, k, seed, reduction):
    y = np.random.default_rng(seed).integers(0, k, n)
    check_grads(cross_entropy_case(y, reduction)[0], arr((n, k), seed) * 4)


@SETTINGS
@given(shape=st.lists(dims, min_size=1, max_size=3).map(tuple), seed=st.integers(0, 1000))
def test_mse_matches_finite_differences(shape, seed):
    check_grads(MSE[0], arr(shape, seed), arr(shape, seed + 1))


# --------------------------------------------------------- the graph itself
def test_value_mlp_and_tensor_mlp_give_the_same_gradients():
    """One story, two engines: a 3-4-2 tanh MLP with the same weights, built from Values and from Tensors."""
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((4, 2)), rng.standard_normal(2)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    # scalar engine: every weight a Value, every neuron Value.dot
    vW1 = [[Value(W1[i, j]) for j in range(4)] for i in range(3)]
    vb1 = [Value(b1[j]) for j in range(4)]
    vW2 = [[Value(W2[i, j]) for j in range(2)] for i in range(4)]
    vb2 = [Value(b2[j]) for j in range(2)]
    terms = []
    for x, y in zip(X, Y):
        h = [Value.dot([vW1[i][j] for i in range(3)], list(x), vb1[j]).tanh() for j in range(4)]
        out = [Value.dot([vW2[i][j] for i in range(4)], h, vb2[j]) for j in range(2)]
        terms += [(o - float(t)) ** 2 for o, t in zip(out, y)]
    cost = Value.sum(terms) * (1.0 / len(terms))
    cost.backward()

    # tensor engine
    tW1, tb1, tW2, tb2 = (Tensor(a.copy(), requires_grad=True) for a in (W1, b1, W2, b2))
    tcost = mse_loss(((Tensor(X) @ tW1 + tb1).tanh()) @ tW2 + tb2, Y)
    tcost.backward()

    assert tcost.item() == pytest.approx(cost.data, rel=1e-12)
    np.testing.assert_allclose(tW1.grad, [[w.grad for w in row] for row in vW1], rtol=1e-10)
    np.testing.assert_allclose(tb1.grad, [b.grad for b in vb1], rtol=1e-10)
    np.testing.assert_allclose(tW2.grad, [[w.grad for w in row] for row in vW2], rtol=1e-10)
    np.testing.assert_allclose(tb2.grad, [b.grad for b in vb2], rtol=1e-10)


def test_the_videos_example_with_a_tensor():
    w = Tensor(0.8, requires_grad=True)
    C = (1.5 * w - 0.8) ** 2
    C.backward()
    assert w.grad == pytest.approx(1.2)


def test_gradients_accumulate_on_leaves_and_intermediates_are_not_kept():
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 3.0
    h.sum().backward()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [3.0 + 2.0, 3.0 + 4.0])
    assert h.grad is None
    w.zero_grad()
    assert w.grad is None


def test_a_node_used_twice_receives_both_contributions():
    x = Tensor([2.0], requires_grad=True)
    h = x * x
    (h + h * 3.0).sum().backward()  # d/dx 4x² = 8x
    np.testing.assert_allclose(x.grad, [16.0])


def test_leaves_never_share_a_gradient_array():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.ones(6), requires_grad=True)
    (a + b + c.reshape(3, 2).sum(axis=1)).sum().backward()
    a.grad += 1.0
    np.testing.assert_allclose(b.grad, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(c.grad, np.ones(6))
    assert b.grad.flags.writeable and c.grad.flags.writeable


def test_gradients_passed_through_several_adds_still_land_in_separate_arrays():
    a, b, c = (Tensor(np.ones(4), requires_grad=True) for _ in range(3))
    (a + (b + c)).backward(np.full(4, 2.0))  # each add hands its incoming gradient to both inputs
    a.grad += 1.0
    b.grad *= 10.0
    np.testing.assert_allclose(a.grad, np.full(4, 3.0))
    np.testing.assert_allclose(b.grad, np.full(4, 20.0))
    np.testing.assert_allclose(c.grad, np.full(4, 2.0))


RULE_CASES = {
    "add": lambda a, b: a + b, "add broadcast": lambda a, b: a + b[0], "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b, "div": lambda a, b: a / (b * b + 1.0), "pow": lambda a, b: (a * a + 1.0) ** b,
    "matmul": lambda a, b: a @ b.T, "linear": lambda a, b: linear(a, b.T, b[0]), "neg": lambda a, b: -a + b,
    "sum": lambda a, b: a.sum(axis=0) + b.sum(axis=0), "mean": lambda a, b: a.mean(axis=1, keepdims=True) * b,
    "max": lambda a, b: a.max(axis=1) + b[:, 0], "reshape": lambda a, b: a.reshape(9) + b.reshape(9),
    "transpose": lambda a, b: a.T + b, "index": lambda a, b: a[1:] + b[:2], "concatenate": lambda a, b: concatenate([a, b]),
    "stack": lambda a, b: stack([a, b]), "relu": lambda a, b: a.relu() + b.tanh() + a.sigmoid(),
    "exp log": lambda a, b: a.exp() + (b * b + 1.0).log(), "softmax": lambda a, b: a.softmax() + b.log_softmax(),
    "flatten": lambda a, b: a.reshape(1, 3, 3).flatten() + b.reshape(1, 9),
    "conv1d": lambda a, b: conv1d(a.reshape(1, 3, 3), b.reshape(1, 3, 3), b[0], activation="tanh"),
    "conv1d strided": lambda a, b: conv1d(a.reshape(1, 3, 3), b.reshape(3, 3, 1)[:2], None, 2, 1, 1),
    "pooling": lambda a, b: max_pool1d(a.reshape(1, 3, 3), 2, 1) + avg_pool1d(b.reshape(1, 3, 3), 2, 1),
    "rnn": lambda a, b: rnn(a.reshape(1, 3, 3), b, b, b[0], a[:1]),
    "gru": lambda a, b: gru(a.reshape(3, 1, 3), b, b.reshape(1, 9)[:, :3], b.reshape(9)[:3], b.reshape(9)[3:6], a[:, :1]),
}


@pytest.mark.parametrize("name", RULE_CASES)
def test_every_backward_rule_returns_the_incoming_gradient_or_new_arrays_of_its_own(name):
    # backward() stores a rule's new arrays on leaves without copying them; that is only safe if a rule never
    # returns one new array for two inputs, nor writes into the gradient it received
    rng = np.random.default_rng(0)
    a = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    out = RULE_CASES[name](a, b)
    stack_, nodes = [out], []
    while stack_:
        node = stack_.pop()
        if node._backward is not None and node not in nodes:
            nodes.append(node)
            stack_.extend(node._parents)
    for node in nodes:
        g = rng.standard_normal(node.shape)
        before = g.copy()
        results = [r for r in node._backward(node, g) if r is not None]
        np.testing.assert_array_equal(g, before)
        for i, r in enumerate(results):
            if np.shares_memory(r, g):
                continue
            for other in results[i + 1:]:
                assert not np.shares_memory(r, other), f"{node.op}: one new array returned for two inputs"


def test_backward_with_an_explicit_gradient_does_not_alias_it():
    x = Tensor(np.zeros(3), requires_grad=True)
    g = np.array([1.0, 2.0, 3.0])
    (x + 0.0).backward(g)
    x.grad *= 2
    np.testing.assert_allclose(g, [1.0, 2.0, 3.0])


def test_backward_is_iterative_a_very_deep_chain_works():
    x = Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_graph_is_freed_by_reference_counting():
    gc.disable()
    try:
        x = Tensor(np.ones((4, 4)), requires_grad=True)
        y = ((x @ x).relu() * 2.0).sum()
        probe = weakref.ref(y)
        inner = weakref.ref(y._parents[0])
        del y
        assert probe() is None and inner() is None  # no cycles: gone without the collector
        z = (x.tanh() + 1.0).sum()
        inner = weakref.ref(z._parents[0])
        z.backward()
        assert inner() is None  # backward cut the graph as it went
    finally:
        gc.enable()


def test_backward_twice_through_a_freed_graph_says_so():
    x = Tensor([1.0], requires_grad=True)
    y = (x * 2.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [4.0])
    with pytest.raises(InvalidValueError, match="retain_graph"):
        y.backward()


def test_no_grad_records_nothing_and_restores():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2.0
        with enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y._parents == ()
    assert z.requires_grad
    assert (x * 2.0).requires_grad

    @no_grad()
    def f():
        return x * 3.0

    assert not f().requires_grad


def test_float32_stays_float32_through_forward_and_backward():
    x = Tensor(np.ones((3, 4), np.float32), requires_grad=True)
    W = Tensor(np.ones((4, 2), np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    out = ((linear(x, W, b).relu() * 0.5 + 1.0) / 3.0).tanh().sigmoid().exp().log().softmax().log_softmax()
    loss = cross_entropy(out, [0, 1, 1]) + mse_loss(out, np.zeros((3, 2))) + out.max() + out.mean() + (out ** 2.5).sum()
    assert out.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == W.grad.dtype == b.grad.dtype == np.float32


def test_numbers_and_arrays_mix_with_tensors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([1.0, 1.0]) + x * np.float64(2.0) - [0.5, 0.5]
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_integer_data_becomes_float64_and_other_dtypes_are_refused():
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor(np.zeros(2, np.float32)).dtype == np.float32
    with pytest.raises(InvalidValueError, match="float32 or float64"):
        Tensor([1.0], dtype=np.int32)
    with pytest.raises(InvalidValueError):
        Tensor(["a", "b"])


# ---------------------------------------------------------------- errors
def test_matmul_shape_error_names_the_op_and_the_shapes():
    with pytest.raises(InvalidValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) do not align \(4 != 5\)"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))


def test_broadcast_error_names_the_op_and_the_shapes():
    with pytest.raises(InvalidValueError, match=r"\+: shapes \(3, 4\) and \(5,\) cannot be broadcast"):
        Tensor(np.ones((3, 4))) + Tensor(np.ones(5))
    with pytest.raises(ValueError, match=r"\*: shapes"):  # still a ValueError
        Tensor(np.ones((2, 3))) * np.ones((3, 2))


@pytest.mark.parametrize("make,pattern", [
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), r"reshape: cannot reshape shape \(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).sum(axis=2), "sum: axis 2 is out of range"),
    (lambda: Tensor(np.ones((2, 3))).transpose(0, 0), "transpose: axes"),
    (lambda: Tensor(np.ones((2, 3)))[5], r"index: .*shape \(2, 3\)"),
    (lambda: concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]), r"concatenate: shapes \(2, 3\), \(2, 4\)"),
    (lambda: linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))), r"linear: input shape \(2, 3\) and weight shape \(4, 5\)"),
    (lambda: cross_entropy(Tensor(np.ones((2, 3))), [0, 3]), "label 3 is out of range for 3 classes"),
    (lambda: cross_entropy(Tensor(np.ones((2, 3))), [0]), r"labels of shape \(2,\)"),
    (lambda: cross_entropy(Tensor(np.ones(3)), [0]), "logits must have shape"),
    (lambda: mse_loss(Tensor(np.ones((4, 1))), np.ones(4)), r"mse_loss: prediction shape \(4, 1\) and target shape \(4,\)"),
    (lambda: Tensor(np.ones(3), requires_grad=True).backward(), r"backward: a tensor of shape \(3,\) needs an explicit grad"),
    (lambda: Tensor(np.ones(1)).backward(), "does not depend on any tensor with requires_grad"),
], ids=["reshape", "axis", "transpose", "index", "concatenate", "linear", "label-range", "label-shape", "logits-shape",
        "mse-shape", "backward-nonscalar", "backward-no-grad"])
def test_bad_shapes_get_clear_errors(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make()




# ------------------------------------------------------- the operator table
def test_every_arithmetic_operator_and_its_reflected_form_come_from_the_one_table():
    from chainrule import tensor

    x = Tensor([1.5, 2.5], requires_grad=True)
    for name in tensor._OPERATORS:
        forward, reflected = getattr(Tensor, f"__{name}__"), getattr(Tensor, f"__r{name}__")
        assert "dC/d" in forward.__doc__ and "dC/d" in reflected.__doc__, name  # each teaches its vector-Jacobian product
        other = np.array([[3.0, 2.0], [1.0, 4.0]]) if name == "matmul" else np.array([3.0, 0.5])
        np.testing.assert_allclose(forward(x, other).data, getattr(np.ndarray, f"__{name}__")(x.data, other))
        np.testing.assert_allclose(reflected(x, other).data, getattr(np.ndarray, f"__{name}__")(other, x.data))


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "relu", "softmax", "log_softmax", "sum", "mean", "max",
                                  "reshape", "flatten", "transpose", "__getitem__", "__neg__", "astype"])
def test_every_operation_states_its_vector_jacobian_product(name):
    assert "dC/dx" in getattr(Tensor, name).__doc__


# ------------------------------------------------------- gradients at the edges
@pytest.mark.parametrize("reduce", [
    lambda x: x.sum(), lambda x: x.mean(), lambda x: x.max(), lambda x: x @ Tensor([0.5, 1.0]),
    lambda x: x[0] + x[1] * 2.0, lambda x: x.sum() * x.sum(),
], ids=["sum", "mean", "max", "vec-at-vec", "0-d arithmetic", "0-d product"])
@pytest.mark.parametrize("then", ["sigmoid", "tanh", "exp", "log", "relu", "neg"])
def test_a_reduction_to_one_number_can_be_followed_by_every_unary_op(reduce, then):
    x = Tensor([1.0, 2.0], requires_grad=True)
    r = reduce(x)
    y = -r if then == "neg" else getattr(r, then)()  # was: TypeError "return arrays must be of ArrayType" for sigmoid
    assert isinstance(y.data, np.ndarray) and y.shape == ()
    y.backward()
    assert x.grad.shape == (2,) and np.isfinite(x.grad).all()
    check_grads(lambda t: (lambda r: -r if then == "neg" else getattr(r, then)())(reduce(t)), x.data.copy() + 0.25)


def test_the_logistic_regression_of_one_example_has_its_gradient():
    w = Tensor([0.5, -0.25], requires_grad=True)
    p = (Tensor([1.0, 2.0]) @ w).sigmoid()  # 1-D @ 1-D is one number
    p.backward()
    s = 1 / (1 + np.exp(-0.0))
    np.testing.assert_allclose(w.grad, s * (1 - s) * np.array([1.0, 2.0]))


def test_x_to_the_power_0_has_gradient_0_even_at_0():
    x = Tensor([0.0], requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0]  # was [nan] (0 · 0⁻¹); PyTorch and Value give 0
    a, b = Tensor([0.0, 2.0], requires_grad=True), Tensor([0.0, 0.0], requires_grad=True)
    (a ** b).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0] and b.grad.tolist() == [0.0, np.log(2.0)]
    a, b = Tensor([0.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    (a ** b).sum().backward()
    assert b.grad.tolist() == [0.0]  # 0³ · ln 0 = 0 · (−∞): the limit 0


def test_division_gradients_stay_exact_at_extreme_magnitudes():
    a, b = Tensor([1e300], requires_grad=True), Tensor([1e155], requires_grad=True)
    (a / b).sum().backward()
    assert b.grad[0] == pytest.approx(-1e-10, rel=1e-12)  # −(a/b)/b; −a/(b·b) overflows b·b to inf and gives −0
    assert a.grad[0] == pytest.approx(1e-155, rel=1e-12)
    a, b = Tensor([1e-170], requires_grad=True), Tensor([1e-170], requires_grad=True)
    (a / b).sum().backward()
    assert a.grad[0] == pytest.approx(1e170, rel=1e-12) and b.grad[0] == pytest.approx(-1e170, rel=1e-12)


def test_sigmoid_keeps_its_digits_far_from_0_and_never_overflows():
    x = Tensor([-50.0, -745.0, 50.0, -1e300, 1e300], requires_grad=True)
    y = x.sigmoid()
    assert y.data[0] == pytest.approx(1.9287498479639178e-22, rel=1e-13)  # ½(1 + tanh(x/2)) would say 0
    assert y.data[1] > 0 and y.data[2] == 1.0 and y.data[3] == 0.0 and y.data[4] == 1.0
    y.sum().backward()
    assert x.grad[0] == pytest.approx(1.9287498479639178e-22, rel=1e-13)
    assert np.isfinite(x.grad).all()


@pytest.mark.parametrize("shape,axis", [((0,), -1), ((3, 0), -1), ((0, 3), -1), ((0, 3), 0)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_tensor_is_empty(shape, axis, op):
    x = Tensor(np.zeros(shape), requires_grad=True)
    y = getattr(x, op)(axis=axis)  # was a raw numpy "zero-size array to reduction operation" error
    assert y.shape == shape
    y.sum().backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("make", [
    lambda x: x.backward(np.array([1 + 2j, 0j])),
    lambda x: x.sum().backward(np.complex128(1 + 1j)),
    lambda x: x * 1j,
    lambda x: x + np.complex64(1j),
    lambda x: x - np.array([1j, 2.0]),
    lambda x: Tensor([1 + 2j]),
    lambda x: Tensor([1 + 2j], dtype=np.float64),
], ids=["backward", "backward-0d", "complex", "numpy-complex", "complex-array", "data", "data-with-dtype"])
def test_complex_numbers_are_refused_not_cut_to_their_real_part(make):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(InvalidValueError, match="complex"):
        make(x)
    assert x.grad is None


def test_a_gradient_that_is_not_numbers_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(InvalidValueError, match="backward grad"):
        x.backward(np.array(["a", "b"]))
    with pytest.raises(InvalidValueError):
        x + np.array(["a", "b"])


# ------------------------------------------------------- who owns a gradient
@pytest.mark.parametrize("zero", ["tensor", "optimizer"])
def test_a_plain_tensors_gradient_you_kept_is_never_written_into(zero):
    from chainrule.optim import SGD

    W = Tensor(np.random.default_rng(0).standard_normal((200, 200)), requires_grad=True)  # no model owns it
    opt = SGD([W], lr=0.1)
    x = Tensor(np.random.default_rng(1).standard_normal((5, 200)))
    clear = {"tensor": W.zero_grad, "optimizer": opt.zero_grad}[zero]
    history, values = [], []
    for step in range(3):
        clear()
        (linear(x * float(step + 1), W) ** 2).mean().backward()
        history.append(W.grad)  # a learner recording the gradient of every step, without copying
        values.append(W.grad.copy())
    for kept, value in zip(history, values):
        np.testing.assert_array_equal(kept, value)
    assert not np.allclose(values[0], values[1])


def test_zero_grad_without_setting_to_none_fills_zeros_in_place_and_the_next_pass_adds_into_them():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    kept = w.grad
    w.zero_grad(set_to_none=False)
    assert w.grad is kept and kept.tolist() == [0.0, 0.0]
    (w * 3.0).sum().backward()
    assert w.grad is kept and kept.tolist() == [3.0, 3.0]
    w.zero_grad()
    assert w.grad is None


def test_a_layer_whose_weight_is_computed_gets_its_gradient_through_it():
    rng = np.random.default_rng(0)
    W = Tensor(rng.standard_normal((20, 20)), requires_grad=True)
    x = Tensor(rng.standard_normal((5, 20)))
    linear(x, W * 2.0).sum().backward()
    W.zero_grad()
    linear(x, W * 2.0).sum().backward()
    np.testing.assert_allclose(W.grad, 2.0 * x.data.sum(axis=0)[:, None] * np.ones((1, 20)))


@pytest.mark.parametrize("op", ["sum", "mean", "max", "softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, -1])
def test_a_0d_tensor_has_the_axis_0_or_minus_1_as_in_pytorch(op, axis):
    x = Tensor(2.0, requires_grad=True)
    y = getattr(x, op)(axis=axis)  # softmax(axis=-1) of a 0-d tensor was refused as out of range
    assert y.shape == ()
    y.backward()
    assert x.grad.shape == ()
    with pytest.raises(InvalidValueError, match="axis 1 is out of range for a tensor with 0 axes"):
        getattr(x, op)(axis=1)


@pytest.mark.parametrize("make,pattern", [
    (lambda: Tensor(np.zeros((2, 0))).max(axis=1), r"max: nothing to take the maximum of along an empty axis \(shape \(2, 0\)\)"),
    (lambda: Tensor(np.zeros(0)).max(), "max: nothing to take the maximum of"),
    (lambda: Tensor(np.zeros((0, 3))).mean(axis=0), r"mean: cannot average over an empty axis \(shape \(0, 3\)\)"),
])
def test_a_maximum_or_mean_over_an_empty_axis_is_refused(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make()


def test_a_maximum_or_mean_along_a_full_axis_of_an_empty_tensor_is_empty():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    (x.max(axis=1).sum() + x.mean(axis=1).sum()).backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("upstream", [np.inf, -np.inf, np.nan])
def test_a_zero_exponent_passes_on_no_gradient_even_an_infinite_one(upstream):
    a, b = Tensor([-2.0, 3.0], requires_grad=True), Tensor([0.0, 1.0])
    (a ** b).backward(np.array([upstream, 1.0]))
    assert a.grad.tolist() == [0.0, 1.0]  # where the exponent is 0, aᵇ = 1 whatever a is (as PyTorch)


def test_relu_is_a_mask_so_an_infinite_gradient_at_an_inactive_unit_stays_zero():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().backward(np.array([1.0, 1.0, 1.0]))
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    x.zero_grad()
    x.relu().backward(np.array([np.inf, 1.0, np.inf]))
    assert x.grad.tolist() == [0.0, 0.0, np.inf]  # an off unit passes on nothing, even ∞ (as PyTorch; issue 21)

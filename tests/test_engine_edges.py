"""The engine at its edges (issue 21): overflow in sums and dots, zero widths, threads, relu under a power, constants
of every kind, huge numbers, and explaining a very deep graph.

Each test is named for the behaviour it proves; where PyTorch computes the same thing it is the reference
(float64), and where PyTorch refuses a shape that has an exact answer, the answer is written out by hand.
"""

from __future__ import annotations

import json
import math
import sys
import threading
from fractions import Fraction

import numpy as np
import pytest

from chainrule import detect_anomaly
from chainrule.anomaly import AnomalyError
from chainrule.convolution import avg_pool1d, conv1d, max_pool1d
from chainrule.errors import InvalidValueError, NonFiniteError, NumericalOverflowError
from chainrule.explainer import explain
from chainrule.explainer.derivation import MAX_PATH_FACTORS, SHOWN_FACTORS
from chainrule.explainer.trace import backward_trace, final_gradients
from chainrule.nn import MLP, Conv1d, Flatten, Linear, MaxPool1d, ReLU, Reshape, Sequential, SwapAxes
from chainrule.recurrence import gru, rnn
from chainrule.scalar import Value
from chainrule.tensor import Tensor, concatenate, linear, stack


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is a test dependency: `make test` installs it")


def against_torch(torch, f, torch_f, *arrays):
    """chainrule's f and PyTorch's torch_f on float64 copies of ``arrays``: equal values, equal gradients of Σ f·R."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(*ours)
    R = np.random.default_rng(7).standard_normal(out.shape)
    (out * Tensor(R)).sum().backward()
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = torch_f(*theirs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    (expected * torch.tensor(R)).sum().backward()
    for t, tt in zip(ours, theirs):
        want = np.zeros(t.shape) if tt.grad is None else tt.grad.numpy()
        assert t.grad is not None and t.grad.shape == want.shape
        np.testing.assert_allclose(t.grad, want, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- sum and dot at overflow
def test_value_sum_refuses_an_overflowing_total_as_plus_does():
    with pytest.raises(NumericalOverflowError):
        Value(1e308) + Value(1e308)
    with pytest.raises(NumericalOverflowError, match=r"sum: .*running total 1e\+308 plus term 2 of 2"):
        Value.sum([Value(1e308)] * 2)  # was inf
    with pytest.raises(NumericalOverflowError, match=r"term 2 of 3"):
        Value.sum([1e308, Value(1e308), -1e308])  # added in order, as + adds them: the running total overflows


def test_value_dot_refuses_an_overflowing_product_or_total_as_times_and_plus_do():
    with pytest.raises(NumericalOverflowError, match=r"dot: term 1 of 3, 1e\+308 · 2.0, is inf"):
        Value.dot([Value(1e308)] * 2, [2.0, -2.0])  # was nan (inf − inf)
    with pytest.raises(NumericalOverflowError, match=r"dot: term 1 of 2, 1e\+200 · 1e\+200"):
        Value.dot([Value(1e200)], [Value(1e200)])
    with pytest.raises(NumericalOverflowError, match=r"running total 1e\+308 plus term 2 of 2"):
        Value.dot([Value(1e308)], [1.0], bias=1e308)  # the bias is the last term


def test_sum_and_dot_next_to_overflow_have_torchs_values_and_finite_gradients(torch):
    xs = [1e308, -1e308, 5.0, 1.7e308]
    values = [Value(x) for x in xs]
    s = Value.sum(values) * 0.5
    s.backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    ts = (t[0] + t[1] + t[2] + t[3]) * 0.5
    ts.backward()
    assert s.data == ts.item() and [v.grad for v in values] == t.grad.tolist() == [0.5] * 4

    w, x = [1e154, 1.3e154, -2.0], [1.1e154, -1e154, 1e-300]
    W, X, b = [Value(a) for a in w], [Value(a) for a in x], Value(0.5)
    z = Value.dot(W, X, b) * 1e-100
    z.backward()
    tw, tx, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (w, x, 0.5))
    tz = (tw[0] * tx[0] + tw[1] * tx[1] + tw[2] * tx[2] + tb) * 1e-100
    tz.backward()
    assert z.data == tz.item()
    grads = [v.grad for v in W + X + [b]]
    assert grads == tw.grad.tolist() + tx.grad.tolist() + [tb.grad.item()]
    assert all(math.isfinite(g) for g in grads)


def test_an_overflowing_gradient_through_a_dot_is_named_by_detect_anomaly_not_silent():
    x = Value(1e-300, label="x")
    z = Value.dot([Value(1e300)], [x]) * 1e10  # every value finite (1, then 1e10); ∂z/∂x = 1e300 · 1e10 overflows
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"from dot .* into leaf 'x'.* is inf"):
            z.backward()


# ------------------------------------------------------------- numbers too large for a float
@pytest.mark.parametrize("make, size", [
    (lambda: Value(Fraction(10**400)), "1,329 bits (about 1.0e400)"),
    (lambda: Value(1.0) * Fraction(-(10**400), 3), "1,328 bits (about 3.3e399)"),
    (lambda: Value(2**1024), "an integer of 1,025 bits (about 1.8e308)"),
    (lambda: Value(1.0) - 2**1024, "an integer of 1,025 bits"),
    (lambda: Value.sum([Value(1.0), 10**400]), "an integer of 1,329 bits"),
    (lambda: Tensor([1.0]) * 10**400, "an integer of 1,329 bits"),
    (lambda: Tensor([1.0]) ** Fraction(10**400), "a Fraction whose whole part has 1,329 bits"),
], ids=["fraction", "fraction-constant", "int", "int-constant", "sum", "tensor-int", "tensor-fraction"])
def test_a_number_too_large_for_a_float_names_its_real_size(make, size):
    with pytest.raises(NumericalOverflowError) as caught:
        make()
    assert size in str(caught.value) and "?" not in str(caught.value)


# ------------------------------------------------------------ a tensor takes what a Value takes
CONSTANTS = [Fraction(1, 3), Fraction(-7, 2), 2, np.float32(1.5), np.int64(3), 2.5]
OPERATIONS = {
    "add": lambda a, c: a + c, "radd": lambda a, c: c + a, "sub": lambda a, c: a - c, "rsub": lambda a, c: c - a,
    "mul": lambda a, c: a * c, "rmul": lambda a, c: c * a, "div": lambda a, c: a / c, "rdiv": lambda a, c: c / a,
    "pow": lambda a, c: a ** c, "rpow": lambda a, c: abs(c) ** a,
}


@pytest.mark.parametrize("op", OPERATIONS)
@pytest.mark.parametrize("constant", CONSTANTS, ids=repr)
def test_a_tensor_takes_every_constant_a_value_takes_with_the_same_value_and_gradient(op, constant):
    f = OPERATIONS[op]
    xs = [0.7, 1.9, 3.25]
    t = Tensor(xs, requires_grad=True)
    out = f(t, constant)
    out.sum().backward()
    for k, x in enumerate(xs):
        v = Value(x)
        y = f(v, constant)
        y.backward()
        assert out.data[k] == pytest.approx(y.data, rel=1e-15)
        assert t.grad[k] == pytest.approx(v.grad, rel=1e-15)


def test_a_bool_is_refused_by_a_tensor_as_by_a_value():
    with pytest.raises(TypeError):
        Value(1.0) * True
    with pytest.raises(TypeError):
        Tensor([1.0]) * True
    with pytest.raises(TypeError):
        Tensor([1.0]) ** False


# ------------------------------------------------------------------------- zero widths
def test_the_issues_zero_width_linear_layer_gives_exact_gradients_as_torch(torch):
    x = Tensor(np.zeros(0), requires_grad=True)
    W = Tensor(np.ones((0, 2)), requires_grad=True)
    linear(x, W).sum().backward()  # was numpy's raw "ValueError: cannot reshape array of size 0"
    assert x.grad.shape == (0,) and W.grad.shape == (0, 2)
    against_torch(torch, lambda x, W: linear(x, W), lambda x, W: x @ W, np.zeros(0), np.ones((0, 2)))


LINEAR_SHAPES = [((0,), (0, 2)), ((0,), (0, 0)), ((3, 0), (0, 2)), ((0, 3), (3, 2)), ((3, 3), (3, 0)),
                 ((2, 0, 3), (3, 2)), ((2, 5, 0), (0, 4)), ((2, 5, 3), (3, 0)), ((3,), (3, 0))]


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("shapes", LINEAR_SHAPES, ids=str)
def test_a_dense_layer_with_a_zero_width_matches_torch(torch, shapes, activation):
    act = {None: lambda z: z, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    b = rng.standard_normal(shapes[1][1])
    against_torch(torch, lambda x, W, b: linear(x, W, b, activation), lambda x, W, b: act(x @ W + b), x, W, b)
    against_torch(torch, lambda x, W: linear(x, W, None, activation), lambda x, W: act(x @ W), x, W)


EMPTY_SHAPES = [(0,), (0, 3), (3, 0), (2, 0, 3)]
UNARY = {
    "neg": (lambda a: -a, lambda a: -a), "exp": (lambda a: a.exp(), lambda a: a.exp()),
    "log": (lambda a: a.log(), lambda a: a.log()), "tanh": (lambda a: a.tanh(), lambda a: a.tanh()),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: a.sigmoid()), "relu": (lambda a: a.relu(), lambda a: a.relu()),
    "square": (lambda a: a ** 2, lambda a: a ** 2), "sqrt": (lambda a: a ** 0.5, lambda a: a ** 0.5),
    "softmax": (lambda a: a.softmax(-1), lambda a: a.softmax(-1)),
    "log_softmax": (lambda a: a.log_softmax(0), lambda a: a.log_softmax(0)),
    "sum": (lambda a: a.sum(), lambda a: a.sum()), "sum-0": (lambda a: a.sum(axis=0), lambda a: a.sum(0)),
    "sum-last-keep": (lambda a: a.sum(axis=-1, keepdims=True), lambda a: a.sum(-1, keepdim=True)),
    "reshape": (lambda a: a.reshape(-1), lambda a: a.reshape(-1)), "flatten": (lambda a: a.flatten(0), lambda a: a.flatten()),
    "transpose": (lambda a: a.T, lambda a: a.permute(*reversed(range(a.ndim)))),
    "slice": (lambda a: a[0:1], lambda a: a[0:1]), "astype": (lambda a: a.astype(np.float32).astype(np.float64),
                                                            lambda a: a.float().double()),
    "mul-self": (lambda a: a * a + 1.0, lambda a: a * a + 1.0),
    "concatenate": (lambda a: concatenate([a, a]), lambda a: a.repeat(2, *[1] * (a.ndim - 1))),
    "stack": (lambda a: stack([a, a], axis=0), lambda a: a.unsqueeze(0).expand(2, *a.shape) * 1.0),
}


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("shape", EMPTY_SHAPES, ids=str)
def test_every_tensor_operation_on_an_empty_shape_gives_torchs_empty_answer(torch, op, shape):
    against_torch(torch, *UNARY[op], np.full(shape, 2.0))


@pytest.mark.parametrize("pair", [((0, 3), (3,)), ((3, 0), (1, 0)), ((0, 3), (1, 3)), ((0,), ()), ((2, 0), (2, 0))],
                         ids=str)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_broadcasting_with_an_empty_shape_matches_torch(torch, op, pair):
    f = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
         "pow": lambda a, b: a ** b}[op]
    against_torch(torch, f, f, np.full(pair[0], 1.5), np.full(pair[1], 2.5))


def test_joining_an_empty_piece_with_full_ones_matches_torch(torch):
    rng = np.random.default_rng(9)
    against_torch(torch, lambda a, b, c: concatenate([a, b, c], axis=0), lambda a, b, c: torch.cat([a, b, c], 0),
                  np.zeros((0, 3)), rng.standard_normal((2, 3)), np.zeros((0, 3)))
    against_torch(torch, lambda a, b: concatenate([a, b], axis=1), lambda a, b: torch.cat([a, b], 1),
                  rng.standard_normal((2, 0)), rng.standard_normal((2, 4)))


@pytest.mark.parametrize("shapes", [((0,), (0,)), ((2, 0), (0, 3)), ((0, 2), (2, 3)), ((4, 0, 2), (2, 3)),
                                    ((2, 3), (3, 0)), ((2, 0), (0,)), ((0, 3), (3,))], ids=str)
def test_a_matrix_product_with_an_empty_axis_matches_torch(torch, shapes):
    rng = np.random.default_rng(1)
    against_torch(torch, lambda a, b: a @ b, lambda a, b: a @ b, rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1]))


@pytest.mark.parametrize("shape, axis", [((0,), None), ((0, 3), 0), ((3, 0), 1), ((2, 0, 3), None)], ids=str)
def test_a_mean_or_max_over_nothing_is_refused_naming_the_shape_not_a_nan(shape, axis):
    x = Tensor(np.zeros(shape), requires_grad=True)
    with pytest.raises(InvalidValueError, match=rf"mean: .*empty axis \(shape {re_shape(shape)}\)"):
        x.mean(axis=axis)  # (PyTorch: nan, 0/0)
    with pytest.raises(InvalidValueError, match=rf"max: .*empty axis \(shape {re_shape(shape)}\)"):
        x.max(axis=axis)  # (PyTorch refuses too)


def re_shape(shape) -> str:
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def torch_layout(t):
    return t.permute(0, 2, 1)


@pytest.mark.parametrize("stride, padding, activation", [(1, 0, None), (2, 1, "relu"), (1, 2, "tanh")])
def test_a_convolution_of_an_empty_batch_matches_torch(torch, stride, padding, activation):
    act = {None: lambda z: z, "relu": torch.relu, "tanh": torch.tanh}[activation]
    rng = np.random.default_rng(2)
    against_torch(
        torch, lambda x, W, b: conv1d(x, W, b, stride, padding, activation=activation),
        lambda x, W, b: act(torch_layout(torch.nn.functional.conv1d(torch_layout(x), W.permute(2, 1, 0), b, stride,
                                                                      padding))),
        np.zeros((0, 6, 2)), rng.standard_normal((3, 2, 4)), rng.standard_normal(4))


def conv_gradients(x_shape, w_shape, padding=0):
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal(x_shape), requires_grad=True)
    W = Tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = Tensor(rng.standard_normal(w_shape[2]), requires_grad=True)
    z = conv1d(x, W, b, padding=padding)
    G = rng.standard_normal(z.shape)
    (z * Tensor(G)).sum().backward()
    return x, W, b, z, G


def test_a_convolution_without_input_channels_is_its_bias_exactly():
    # PyTorch refuses (or mis-shapes) zero channels; the exact answer: nothing is read, so z = b everywhere
    x, W, b, z, G = conv_gradients((2, 5, 0), (3, 0, 4))
    assert z.shape == (2, 3, 4) and (z.data == b.data).all()
    assert x.grad.shape == (2, 5, 0) and W.grad.shape == (3, 0, 4)
    np.testing.assert_allclose(b.grad, G.sum(axis=(0, 1)), rtol=1e-13)


def test_a_convolution_without_output_channels_sends_back_exactly_zero():
    x, W, b, z, G = conv_gradients((2, 5, 2), (3, 2, 0))
    assert z.shape == (2, 3, 0) and W.grad.shape == (3, 2, 0) and b.grad.shape == (0,)
    assert x.grad.shape == (2, 5, 2) and (x.grad == 0.0).all()


def test_a_convolution_of_an_empty_signal_reads_only_padding_and_is_its_bias():
    x, W, b, z, G = conv_gradients((2, 0, 2), (1, 2, 3), padding=1)
    assert z.shape == (2, 2, 3) and (z.data == b.data).all()
    assert x.grad.shape == (2, 0, 2) and (W.grad == 0.0).all()
    np.testing.assert_allclose(b.grad, G.sum(axis=(0, 1)), rtol=1e-13)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_an_empty_batch_matches_torch_and_no_channels_gives_no_channels(torch, kind):
    ours = {"max": lambda x: max_pool1d(x, 3, 1, 1), "avg": lambda x: avg_pool1d(x, 3, 1, 1)}[kind]
    theirs = {"max": torch.nn.functional.max_pool1d, "avg": torch.nn.functional.avg_pool1d}[kind]
    against_torch(torch, ours, lambda x: torch_layout(theirs(torch_layout(x), 3, 1, 1)), np.zeros((0, 6, 2)))
    x = Tensor(np.zeros((2, 6, 0)), requires_grad=True)
    out = ours(x)
    out.sum().backward()
    assert out.shape == (2, 6, 0) and x.grad.shape == (2, 6, 0)


def torch_recurrent(torch, kind, x, W_ih, W_hh, b_ih, b_hh, h0):
    """A torch GRU or RNN (kind: its nonlinearity) run on chainrule-layout weights (as tensor_cases does)."""
    module = (torch.nn.GRU(x.shape[2], W_hh.shape[0], batch_first=True) if kind == "gru"
              else torch.nn.RNN(x.shape[2], W_hh.shape[0], nonlinearity=kind, batch_first=True)).double()
    weights = {"weight_ih_l0": W_ih.T, "weight_hh_l0": W_hh.T, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    out, _ = torch.func.functional_call(module, weights, (x, h0[None]))
    return out


@pytest.mark.parametrize("kind", ["tanh", "relu", "gru"])
def test_a_recurrent_layer_over_an_empty_batch_matches_torch(torch, kind):
    gates = 3 if kind == "gru" else 1
    rng = np.random.default_rng(4)
    H, F = 4, 2
    arrays = [np.zeros((0, 3, F)), rng.standard_normal((F, gates * H)), rng.standard_normal((H, gates * H)),
              rng.standard_normal(gates * H), rng.standard_normal(gates * H), np.zeros((0, H))]
    if kind == "gru":
        against_torch(torch, gru, lambda *a: torch_recurrent(torch, "gru", *a), *arrays)
    else:
        against_torch(torch, lambda x, Wi, Wh, b, b2, h0: rnn(x, Wi, Wh, b + b2, h0, kind),
                      lambda *a: torch_recurrent(torch, kind, *a), *arrays)


@pytest.mark.parametrize("kind", ["tanh", "gru"])
def test_a_recurrent_layer_without_input_features_is_the_same_layer_fed_zeros(kind):
    # PyTorch refuses input_size 0; the exact answer: the state evolves from h0 through W_hh alone
    gates = 3 if kind == "gru" else 1
    rng = np.random.default_rng(5)
    W_hh, b, h0 = rng.standard_normal((4, gates * 4)) * 0.5, rng.standard_normal(gates * 4), rng.standard_normal((2, 4))
    layer = (lambda x, Wi, Wh, b, h0: gru(x, Wi, Wh, b, None, h0)) if kind == "gru" else (
        lambda x, Wi, Wh, b, h0: rnn(x, Wi, Wh, b, h0))
    results = []
    for F in (0, 1):
        ts = [Tensor(a, requires_grad=True) for a in (np.zeros((2, 3, F)), np.ones((F, gates * 4)), W_hh, b, h0)]
        out = layer(*ts)
        (out * 1.5).sum().backward()
        results.append((out.data, [t.grad for t in ts[2:]], ts[0].grad.shape, ts[1].grad.shape))
    (out0, grads0, gx0, gw0), (out1, grads1, _, _) = results
    assert gx0 == (2, 3, 0) and gw0 == (0, gates * 4)
    np.testing.assert_array_equal(out0, out1)
    for g0, g1 in zip(grads0, grads1):
        np.testing.assert_allclose(g0, g1, rtol=1e-14)


def test_no_steps_and_no_units_are_refused_naming_the_shape_as_torch_refuses_them():
    with pytest.raises(InvalidValueError, match=r"rnn: the sequences have no steps \(shape \(2, 0, 2\)\)"):
        rnn(Tensor(np.zeros((2, 0, 2))), Tensor(np.zeros((2, 3))), Tensor(np.zeros((3, 3))))
    with pytest.raises(InvalidValueError, match=r"gru: the hidden-to-hidden weight .* H >= 1 units, got \(0, 0\)"):
        gru(Tensor(np.zeros((2, 3, 2))), Tensor(np.zeros((2, 0))), Tensor(np.zeros((0, 0))))
    with pytest.raises(InvalidValueError, match=r"Linear: n_out must be a whole number >= 1, got 0"):
        Linear(3, 0)


def test_the_shape_layers_pass_an_empty_batch_through_both_ways():
    x = Tensor(np.zeros((0, 40)), requires_grad=True)
    y = Flatten()(SwapAxes()(Reshape(40, 1)(x)))
    y.sum().backward()
    assert y.shape == (0, 40) and x.grad.shape == (0, 40)


def test_models_train_on_an_empty_batch_with_zero_gradients():
    mlp = MLP([3, 5, 2], seed=0, dtype=np.float64)
    out = mlp(Tensor(np.zeros((0, 3))))
    out.sum().backward()
    assert out.shape == (0, 2) and all((p.grad == 0.0).all() for p in mlp.parameters())
    cnn = Sequential(Conv1d(1, 4, 3, seed=0, dtype=np.float64), ReLU(), MaxPool1d(2), Flatten(),
                     Linear(12, 2, seed=0, dtype=np.float64))
    out = cnn(Tensor(np.zeros((0, 8, 1))))
    out.sum().backward()
    assert out.shape == (0, 2) and all((p.grad == 0.0).all() for p in cnn.parameters())


# --------------------------------------------------------------------------------- threads
def run_in_threads(work, threads: int = 4) -> None:
    errors = []

    def guarded():
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's own thread
            errors.append(exc)

    pool = [threading.Thread(target=guarded) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors


def test_four_threads_backpropagating_into_one_shared_leaf_lose_no_contribution():
    W = Tensor(np.zeros(100_000), requires_grad=True)  # big enough that numpy adds without the GIL

    def work():
        for _ in range(200):
            (W * 1.0).sum().backward()

    run_in_threads(work)
    assert W.grad.min() == W.grad.max() == 800.0  # (was 733 at the least)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_threads_sharing_a_model_with_gradient_buffers_add_exactly_what_one_thread_would(model):
    # linear and conv1d write a leaf's first gradient straight into its buffer: that write is an addition too, so
    # each round starts from zero_grad() and lets four threads reach their first backward at the same moment
    rng = np.random.default_rng(6)
    if model == "mlp":
        net, x = MLP([100, 200, 10], seed=0, dtype=np.float64), Tensor(rng.standard_normal((32, 100)))
    else:
        net = Sequential(Conv1d(2, 32, 5, seed=0, dtype=np.float64), ReLU(), Flatten(), Linear(32 * 28, 3, seed=0,
                                                                                               dtype=np.float64))
        x = Tensor(rng.standard_normal((16, 32, 2)))
    net(x).sum().backward()
    once = [p.grad.copy() for p in net.parameters()]
    for _ in range(60):
        net.zero_grad()
        start = threading.Barrier(4)

        def work():
            start.wait()
            for _ in range(2):
                net(x).sum().backward()

        run_in_threads(work)
        for p, g in zip(net.parameters(), once):
            np.testing.assert_allclose(p.grad, 8 * g, rtol=1e-11, atol=1e-11 * np.abs(8 * g).max())


def test_four_threads_backpropagating_into_one_shared_scalar_leaf_lose_no_contribution():
    w = Value(0.5, label="w")

    def work():
        for _ in range(5_000):
            (w * 2.0 + w * w).backward()

    run_in_threads(work)
    assert w.grad == 4 * 5_000 * 3.0


def test_scalar_backward_takes_a_lock_only_on_a_free_threaded_python():
    free_threaded = not getattr(sys, "_is_gil_enabled", lambda: True)()
    assert hasattr(Value.backward, "__wrapped__") == free_threaded


# ------------------------------------------------------------------- relu's slope under a power
@pytest.mark.parametrize("power", [0.25, 0.5, 0.75])
@pytest.mark.parametrize("x", [-1.0, 0.0, 2.0])
def test_a_fractional_power_of_relu_has_torchs_gradient_in_both_engines(torch, x, power):
    v = Value(x)
    y = v.relu() ** power * 3.0  # at an off unit: 0, not NaN (tensor) and not a refusal (scalar)
    y.backward()
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    (torch.relu(t) ** power * 3.0).sum().backward()
    expected = t.grad.item()
    assert math.isfinite(expected)
    assert v.grad == pytest.approx(expected, rel=1e-15)
    tensor = Tensor([x], requires_grad=True)
    (tensor.relu() ** power * 3.0).sum().backward()
    assert tensor.grad[0] == pytest.approx(expected, rel=1e-15)


def test_relu_masks_an_infinite_gradient_through_other_operations_in_both_engines(torch):
    x = Value(-1.0, label="x")
    y = (x.relu() * 2.0 + 0.0) ** 0.5 + x * 3.0  # the infinity crosses * and + before it meets the off unit
    y.backward()
    t = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    ((torch.relu(t) * 2.0 + 0.0) ** 0.5 + t * 3.0).backward()
    assert x.grad == t.grad.item() == 3.0
    assert final_gradients(y)[x] == x.grad  # the explainer replays the same mask
    assert [e["contribution"] for e in backward_trace(y) if e["user_name"].startswith("max")] == [0.0]
    assert explain(y)["x"].path_sum == 3.0


@pytest.mark.parametrize("size", [3, 5000])  # np.where below _SMALL_MASK numbers, the bit mask above
def test_tensor_relu_passes_exactly_zero_at_off_units_whatever_arrives_as_torch(torch, size):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(size)
    x[:3] = [-1.0, 0.0, 2.0]
    g = rng.standard_normal(size)
    g[:3] = [np.inf, np.nan, -np.inf]
    g[3:6] = [np.inf, -0.0, np.nan] if size > 6 else g[3:6]
    ours = Tensor(x, requires_grad=True)
    ours.relu().backward(g)
    theirs = torch.tensor(x, requires_grad=True)
    torch.relu(theirs).backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())  # NaN where NaN reaches an on unit, in both
    assert ours.grad[0] == 0.0 and ours.grad[1] == 0.0 and ours.grad[2] == -np.inf


def test_an_infinite_slope_that_reaches_a_leaf_is_still_refused():
    with pytest.raises(NonFiniteError, match=r"local derivative of \*\* .* is inf"):
        (Value(0.0) ** 0.5).backward()  # documented: the slope does not exist (PyTorch: inf)
    x, w = Value(-1.0), Value(2.0, label="w")
    y = (x.relu() * w) ** 0.5  # the infinity reaches w through the product (PyTorch: w.grad = 0 · ∞ = nan)
    with pytest.raises(NonFiniteError):
        y.backward()
    assert x.grad == w.grad == 0.0  # refused before any gradient changed


# ---------------------------------------------------------------------- explaining a deep chain
def test_explaining_a_100000_node_chain_is_summarised_with_both_ends_and_the_count_left_out():
    w = Value(0.5, label="w")
    y = w
    for k in range(100_000):
        y = y * 1.0000001 if k % 2 else y + 0.001
    d = explain(y)
    path = d["w"].paths[0]
    assert d["w"].n_paths == 1 and path.length == 100_000
    assert len(path.factors) == 2 * SHOWN_FACTORS and path.left_out == 100_000 - 2 * SHOWN_FACTORS
    assert path.nodes[0] == d.cost_name and path.nodes[-1] == "w" and "…" in path.nodes
    text = str(d)
    assert "99,992 of the path's 100,000 factors" in text and "…" in path.chain()
    assert len(text) < 2_000 and len(text.splitlines()) < 12  # bounded, whatever the depth
    assert len(d.to_markdown()) < 3_000 and len(json.dumps(d.to_json())) < 5_000
    y.backward()
    assert d["w"].total == w.grad and d["w"].path_sum == w.grad  # the product still multiplies every factor


def test_a_path_just_past_the_limit_is_cut_and_one_at_the_limit_is_shown_whole():
    for length, cut in ((MAX_PATH_FACTORS, False), (MAX_PATH_FACTORS + 1, True)):
        x = Value(0.3, label="x")
        y = x
        for _ in range(length):
            y = y.tanh()
        path = explain(y, symbolic=False)["x"].paths[0]
        assert path.length == length and bool(path.left_out) == cut
        assert len(path.factors) == (2 * SHOWN_FACTORS if cut else length)

"""The tensor engine against PyTorch's autograd (float64): the cases of ``tensor_cases.py``, value and gradient.

Skipped, with the reason, only where PyTorch is not installed (``make test`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tensor_cases import (
    ACTIVATIONS, BINARY, INDICES, LINEAR, MSE, REDUCTIONS, SETTINGS, SHAPE_CASES, UNARY, arr, broadcast_pair,
    concat_case, cross_entropy_case, dims, engine_grads, matmul_shapes, shape_and_axis, shapes, torch_reduction,
    weights_for,
)

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparisons with it are skipped")

from chainrule.tensor import linear  # noqa: E402


def check_torch(f, torch_f, *arrays):
    """chainrule's f and PyTorch's torch_f agree on the output and on the gradients of sum(f · R)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    R = weights_for(f, arrays)
    out, grads = engine_grads(f, arrays, R)
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = torch_f(torch, *tt)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    (tout * torch.tensor(R)).sum().backward()
    for g, t in zip(grads, tt):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(pair=broadcast_pair(), seed=st.integers(0, 1000))
def test_binary_ops_match_torch_with_broadcasting(name, pair, seed):
    check_torch(*BINARY[name], arr(pair[0], seed, low=0.5), arr(pair[1], seed + 1, low=0.5))


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 1000))
def test_unary_ops_match_torch(name, shape, seed):
    check_torch(*UNARY[name], arr(shape, seed, low=0.5))


@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=st.integers(0, 1000))
def test_reductions_match_torch(name, sa, keepdims, seed):
    shape, axis = sa
    check_torch(lambda a: getattr(a, name)(axis=axis, keepdims=keepdims),
                lambda torch, a: torch_reduction(torch, name, a, axis, keepdims, len(shape)), arr(shape, seed))


@SETTINGS
@given(shapes=matmul_shapes(), seed=st.integers(0, 1000))
def test_matmul_matches_torch(shapes, seed):
    check_torch(lambda a, b: a @ b, lambda torch, a, b: torch.matmul(a, b), arr(shapes[0], seed), arr(shapes[1], seed + 1))


@SETTINGS
@given(lead=st.lists(dims, min_size=0, max_size=2).map(tuple), k=dims, m=dims, seed=st.integers(0, 1000))
def test_fused_linear_matches_torch(lead, k, m, seed):
    check_torch(*LINEAR, arr(lead + (k,), seed), arr((k, m), seed + 1), arr((m,), seed + 2))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@SETTINGS
@given(lead=st.lists(dims, min_size=0, max_size=2).map(tuple), k=dims, m=dims, seed=st.integers(0, 1000))
def test_a_dense_layer_with_its_activation_matches_torch(activation, lead, k, m, seed):
    f = ACTIVATIONS[activation]
    check_torch(lambda x, W, b: linear(x, W, b, activation), lambda torch, x, W, b: f(torch)(x @ W + b),
                arr(lead + (k,), seed), arr((k, m), seed + 1), arr((m,), seed + 2))


@pytest.mark.parametrize("name", SHAPE_CASES)
def test_shape_operations_match_torch(name):
    f, tf, in_shapes = SHAPE_CASES[name]
    check_torch(f, tf, *[arr(s, k) for k, s in enumerate(in_shapes)])


@pytest.mark.parametrize("name", INDICES)
def test_indexing_matches_torch(name):
    index = INDICES[name]
    torch_index = tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    check_torch(lambda a: a[index], lambda torch, a: a[torch_index], arr((3, 4), 0))


@SETTINGS
@given(parts=st.lists(dims, min_size=1, max_size=3), axis=st.sampled_from([0, 1, -1]), seed=st.integers(0, 1000))
def test_concatenate_matches_torch(parts, axis, seed):
    f, tf, in_shapes = concat_case(parts, axis)
    check_torch(f, tf, *[arr(s, seed + i) for i, s in enumerate(in_shapes)])


@SETTINGS
@given(sa=shape_and_axis(allow_none=False), seed=st.integers(0, 1000))
def test_softmax_and_log_softmax_match_torch(sa, seed):
    shape, axis = sa
    a = arr(shape, seed) * 3
    check_torch(lambda t: t.softmax(axis=axis), lambda torch, t: torch.softmax(t, dim=axis), a)
    check_torch(lambda t: t.log_softmax(axis=axis), lambda torch, t: torch.log_softmax(t, dim=axis), a)


@SETTINGS
@given(n=st.integers(1, 6), k=st.integers(2, 5), seed=st.integers(0, 1000), reduction=st.sampled_from(["mean", "sum"]))
def test_cross_entropy_matches_torch(n, k, seed, reduction):
    y = np.random.default_rng(seed).integers(0, k, n)
    check_torch(*cross_entropy_case(y, reduction), arr((n, k), seed) * 4)


@SETTINGS
@given(shape=st.lists(dims, min_size=1, max_size=3).map(tuple), seed=st.integers(0, 1000))
def test_mse_matches_torch(shape, seed):
    check_torch(*MSE, arr(shape, seed), arr(shape, seed + 1))


@pytest.mark.parametrize("name,f,tf", [
    ("x**0 at 0", lambda x: x ** 0, lambda torch, x: x ** 0),
    ("sum then sigmoid", lambda x: x.sum().sigmoid(), lambda torch, x: x.sum().sigmoid()),
    ("mean then tanh", lambda x: x.mean().tanh(), lambda torch, x: x.mean().tanh()),
    ("max then exp", lambda x: x.max().exp(), lambda torch, x: x.amax().exp()),
    ("vec @ vec then sigmoid", lambda x: (x @ x).sigmoid(), lambda torch, x: (x @ x).sigmoid()),
], ids=lambda v: v if isinstance(v, str) else "")
def test_the_edge_reproducers_agree_with_torch(name, f, tf):
    check_torch(f, tf, np.array([0.0, 1.5, -2.0]))


@pytest.mark.parametrize("a,b", [(1e300, 1e155), (1e-170, 1e-170), (-1e-300, 1e150), (1e200, -1e-100)])
def test_division_at_extreme_magnitudes_agrees_with_torch(a, b):
    check_torch(lambda x, y: x / y, lambda torch, x, y: x / y, np.array([a]), np.array([b]))

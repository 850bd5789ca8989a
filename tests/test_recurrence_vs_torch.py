"""RNN and GRU against PyTorch's autograd (float64): every state and every gradient, h0 included.

Skipped, with the reason, only where PyTorch is not installed (``make test`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tensor_cases import GRU_CASE, SETTINGS, recurrent_arrays, recurrent_shapes, rnn_case

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparisons with it are skipped")

from chainrule import nn  # noqa: E402
from chainrule.optim import clip_grad_norm  # noqa: E402
from chainrule.tensor import Tensor  # noqa: E402
from test_tensor_vs_torch import check_torch  # noqa: E402


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@SETTINGS
@given(shape=recurrent_shapes(), seed=st.integers(0, 1000))
def test_an_rnn_matches_torch(activation, shape, seed):
    check_torch(*rnn_case(activation), *recurrent_arrays(*shape, 1, seed))


@SETTINGS
@given(shape=recurrent_shapes(), seed=st.integers(0, 1000))
def test_a_gru_matches_torch(shape, seed):
    check_torch(*GRU_CASE, *recurrent_arrays(*shape, 3, seed))


def test_clip_grad_norm_scales_like_torchs():
    rng = np.random.default_rng(0)
    model = nn.GRU(3, 4, seed=0, dtype=np.float64)
    (model(Tensor(rng.standard_normal((2, 5, 3)))) * 30.0).sum().backward()
    torch_params = [torch.zeros(p.data.shape, dtype=torch.float64, requires_grad=True) for p in model.parameters()]
    for t, p in zip(torch_params, model.parameters()):
        t.grad = torch.tensor(p.grad.copy())
    norm_torch = torch.nn.utils.clip_grad_norm_(torch_params, 0.5)
    norm = clip_grad_norm(model, 0.5)
    assert norm == pytest.approx(float(norm_torch), rel=1e-12)
    for p, t in zip(model.parameters(), torch_params):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-5)  # torch divides by norm + 1e-6

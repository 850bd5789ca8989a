"""nn against PyTorch (float64): the same network, the same weights, the same outputs and gradients.

Skipped, with the reason, only where PyTorch is not installed (``make test`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparisons with it are skipped")

from chainrule.losses import cross_entropy  # noqa: E402
from chainrule.nn import MLP, Dense, Linear, Sequential, Sigmoid, Tanh  # noqa: E402
from chainrule.tensor import Tensor  # noqa: E402


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


def _compare(model, reference, X, y):
    loss = cross_entropy(model(Tensor(X)), y)
    loss.backward()
    tloss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(X)), torch.from_numpy(y))
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    ours = [p.grad for p in model.parameters()]
    theirs = [g for m in reference if isinstance(m, torch.nn.Linear) for g in (m.weight.grad.numpy().T, m.bias.grad.numpy())]
    assert len(ours) == len(theirs)
    for g, t in zip(ours, theirs):
        np.testing.assert_allclose(g, t, rtol=1e-9, atol=1e-12)


def test_dense_layers_match_torch_linear_and_activation():
    rng = np.random.default_rng(1)
    model = Sequential(Dense(5, 7, "tanh", seed=1, dtype=np.float64), Dense(7, 6, "sigmoid", seed=2, dtype=np.float64),
                       Dense(6, 3, None, seed=3, dtype=np.float64))
    layers = []
    for d, act in zip(model.layers, (torch.nn.Tanh, torch.nn.Sigmoid, None)):
        t = torch.nn.Linear(d.n_in, d.n_out, dtype=torch.float64)
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(d.weight.data.T.copy()))
            t.bias.copy_(torch.from_numpy(d.bias.data.copy()))
        layers += [t] + ([act()] if act else [])
    X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    _compare(model, torch.nn.Sequential(*layers), X, y)


def test_an_mlp_whose_activation_module_was_replaced_computes_like_torch_with_that_activation():
    mlp = MLP([5, 7, 6, 3], "relu", seed=3, dtype=np.float64)
    mlp.layers[1] = Tanh()
    mlp.layers[3] = Sigmoid()
    reference = torch_copy(mlp, "relu")
    reference[1], reference[3] = torch.nn.Tanh(), torch.nn.Sigmoid()
    rng = np.random.default_rng(0)
    _compare(mlp, reference, rng.standard_normal((8, 5)), rng.integers(0, 3, 8))

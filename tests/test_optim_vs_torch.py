"""Optimizers against PyTorch's: same init, same data, same losses step by step.

Skipped, with the reason, only where PyTorch is not installed (``make test`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparisons with it are skipped")

from chainrule.losses import cross_entropy  # noqa: E402
from chainrule.nn import MLP, Linear  # noqa: E402
from chainrule.optim import make_optimizer  # noqa: E402
from chainrule.tensor import Tensor  # noqa: E402


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

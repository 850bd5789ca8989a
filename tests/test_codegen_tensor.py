"""The numpy and PyTorch emitters, op by op: every row of `codegen.tensor_ops` against the tensor engine itself."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.codegen.numpy_code import numpy_program
from chainrule.codegen.tensor_ops import OPS, TensorOpError
from chainrule.codegen.torch_code import torch_program
from chainrule.convolution import conv1d
from chainrule.tensor import Tensor


def leaves_of(loss) -> dict:
    found, stack = {}, [loss]
    while stack:
        t = stack.pop()
        if not t._parents and t.requires_grad:
            found[t.name] = t
        stack.extend(t._parents)
    return found


def run_numpy(loss):
    program = numpy_program(loss, call=False)
    namespace: dict = {}
    exec(compile(program.source, "<numpy program>", "exec"), namespace)  # noqa: S102 - the program under test
    args = {}
    stack = [loss]
    while stack:
        t = stack.pop()
        if not t._parents:
            args[t.name] = t.data
        stack.extend(t._parents)
    return namespace["backprop"](*[args[name] for name in program.arguments])


def param(rng, shape, name, positive=False):
    data = rng.uniform(0.5, 2.0, shape) if positive else rng.uniform(-2.0, 2.0, shape)
    return Tensor(data, requires_grad=True, name=name)


def graphs(rng):
    """One small graph per row of the table, with broadcasting where the row allows it."""
    A, B = param(rng, (3, 4), "A"), param(rng, (4,), "B")
    P = param(rng, (3, 4), "P", positive=True)
    M, N = param(rng, (3, 2), "M"), param(rng, (2, 5), "N")
    x = Tensor(rng.uniform(-1, 1, (3, 1)), name="x")
    # a convolution: a signal that needs its gradient too (two examples, 2 channels, 8 positions), kernels of 3 taps
    # (stride 2 and padding 1, with a bias: the last input is read by no window), of 2 taps with dilation 2, and of 1
    # tap whose padding passes its reach;
    # and a signal that is data (no ∂C/∂x to write), read with stride 3
    S, K1, c1 = param(rng, (2, 8, 2), "S"), param(rng, (3, 2, 3), "K1"), param(rng, (3,), "c1")
    K2, K3 = param(rng, (2, 2, 1), "K2"), param(rng, (1, 2, 2), "K3")
    signal, K4, c4 = Tensor(rng.uniform(-1, 1, (1, 6, 1)), name="signal"), param(rng, (3, 1, 1), "K4"), param(
        rng, (1,), "c4")
    return {
        "+": ((A + B) * A).sum(),
        "-": ((A - B) - x).sum(),
        "*": (A * B * x).sum(),
        "/": (A / P + B / P).sum(),
        "**": ((A ** 2) + P ** 1.5 + P ** 0).sum(),
        "matmul": ((M @ N) * 1.5).sum(),
        "neg": (-A * B).sum(),
        "exp": (A * 0.5).exp().sum(),
        "log": (P.log() * A).sum(),
        "tanh": (A.tanh() * B).sum(),
        "sigmoid": ((A * 20.0).sigmoid() * A).sum(),
        "relu": (A.relu() * B).sum(),
        "sum": (A.sum(axis=0) * B).sum() + (A.sum(axis=1, keepdims=True) * x).sum(),
        "mean": (A.mean(axis=0) * B).mean() + A.mean(),
        "conv1d": ((conv1d(S, K1, c1, stride=2, padding=1) ** 2).sum() + (conv1d(S, K2, padding=2, dilation=2)
                                                                            * 0.5).sum()
                   + conv1d(S, K3, padding=1).tanh().sum() + (conv1d(signal, K4, c4, stride=3) ** 2).sum()),
    }


def test_every_row_of_the_table_is_exercised_here():
    assert set(graphs(np.random.default_rng(0))) == set(OPS)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("op", list(OPS))
def test_each_operation_s_numpy_code_gives_the_engine_s_numbers_exactly(op, seed):
    loss = graphs(np.random.default_rng(seed))[op]
    cost, grads = run_numpy(loss)
    params = leaves_of(loss)
    loss.backward()
    assert float(cost) == float(loss.data)
    assert set(grads) == set(params)
    for name, t in params.items():
        assert np.array_equal(np.asarray(grads[name]), t.grad), (op, name)


@pytest.mark.parametrize("op", list(OPS))
def test_each_operation_s_torch_code_gives_the_engine_s_gradients(op):
    pytest.importorskip("torch")
    loss = graphs(np.random.default_rng(1))[op]
    source = torch_program(loss).source
    namespace: dict = {"print": lambda *a: None}
    exec(compile(source, "<torch program>", "exec"), namespace)  # noqa: S102 - the program under test
    params = leaves_of(loss)
    loss.backward()
    for name, t in params.items():
        assert np.allclose(namespace[name].grad.numpy(), t.grad, rtol=1e-12, atol=1e-12), (op, name)


def test_an_operation_without_code_is_refused_by_name():
    A = Tensor(np.ones((2, 3)), requires_grad=True, name="A")
    with pytest.raises(TensorOpError, match="'softmax' is not written as code yet; written: \\+"):
        numpy_program(A.softmax().sum())


def test_tensor_names_are_user_text_too():
    W = Tensor(np.ones((2, 2)), requires_grad=True, name='W"); import os #')
    source = numpy_program((W * W).sum()).source
    assert "import os" not in source.replace("import numpy as np", "")
    assert "W_import_os" in source

"""The scalar engine against PyTorch's autograd in float64: each operation alone, then random graphs.

The first part is one line per operation (in the manner of tinygrad's
test_ops.py): the same function written with ``Value`` and with torch's own
functions, values and gradients compared. The second replays thousands of
random graphs, extreme magnitudes included, through the op table's torch
library and lets PyTorch differentiate them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is a test dependency: `make test` installs it")

from expression_programs import OPS as PROGRAM_OPS, run  # noqa: E402

from chainrule import Value  # noqa: E402
from chainrule.errors import ChainruleError, NonFiniteError  # noqa: E402
from chainrule.gradcheck import evaluate_graph  # noqa: E402
from chainrule.interop import TorchLib, torch_graph_gradients  # noqa: E402


def helper(build, reference, *xs, rel=1e-12):
    """Value and gradients of ``build`` (with Values) against ``reference`` (with float64 tensors)."""
    values = [Value(x) for x in xs]
    out = build(*values)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    expected = reference(*tensors)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=rel, abs=1e-300)
    for v, t in zip(values, tensors):
        assert v.grad == pytest.approx(0.0 if t.grad is None else t.grad.item(), rel=rel, abs=1e-300)


def test_add(): helper(lambda a, b: a + b, lambda a, b: a + b, 0.3, -1.2)
def test_add_constant(): helper(lambda a: 2.5 + a, lambda a: 2.5 + a, 0.3)
def test_sub(): helper(lambda a, b: a - b, lambda a, b: a - b, 0.3, -1.2)
def test_rsub(): helper(lambda a: 1.5 - a, lambda a: 1.5 - a, 0.3)
def test_neg(): helper(lambda a: -a, lambda a: -a, 0.3)
def test_mul(): helper(lambda a, b: a * b, lambda a, b: a * b, 0.3, -1.2)
def test_div(): helper(lambda a, b: a / b, lambda a, b: a / b, 0.3, -1.2)
def test_rdiv(): helper(lambda a: 2.0 / a, lambda a: 2.0 / a, 0.3)
def test_square(): helper(lambda a: a**2, lambda a: a**2, -1.3)
def test_pow(): helper(lambda a: a**1.7, lambda a: a**1.7, 1.3)
def test_pow_negative_base_integer_exponent(): helper(lambda a: a**3, lambda a: a**3, -1.3)
def test_pow_zero(): helper(lambda a: a**0, lambda a: a**0, 0.0)
def test_rpow(): helper(lambda a: 2.0**a, lambda a: 2.0**a, 1.3)
def test_exp(): helper(lambda a: a.exp(), torch.exp, 1.3)
def test_log(): helper(lambda a: a.log(), torch.log, 1.3)
def test_tanh(): helper(lambda a: a.tanh(), torch.tanh, 0.4)
def test_sigmoid(): helper(lambda a: a.sigmoid(), torch.sigmoid, -0.4)
def test_sigmoid_far_out(): helper(lambda a: a.sigmoid(), torch.sigmoid, -700.0)
def test_relu_on(): helper(lambda a: a.relu(), torch.relu, 0.4)
def test_relu_off(): helper(lambda a: a.relu(), torch.relu, -0.4)
def test_dot(): helper(lambda a, b, c: Value.dot([a, b], [c, 2.0], a), lambda a, b, c: a * c + b * 2.0 + a, 0.3, -1.2, 0.7)
def test_sum(): helper(lambda a, b: Value.sum([a, b, 3.0, a]), lambda a, b: a + b + 3.0 + a, 0.3, -1.2)
def test_huge_over_large(): helper(lambda a, b: a / b, lambda a, b: a / b, 1e300, 1e155)
def test_tiny_over_tiny(): helper(lambda a, b: a / b, lambda a, b: a / b, 1e-170, 1e-170)


def test_a_slope_that_does_not_exist_is_refused_at_backward_naming_it():
    x = Value(0.0, label="x")
    y = x**0.5  # the value, 0, is fine: only the slope 0.5·x^(−0.5) is infinite
    assert y.data == 0.0
    with pytest.raises(NonFiniteError, match=r"local derivative of \*\* .* is inf"):
        y.backward()
    assert x.grad == 0.0  # nothing was changed
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (t**0.5).backward()
    assert math.isinf(t.grad.item())  # PyTorch's answer is inf too: chainrule says so instead of returning it


# ------------------------------------------------------------------ random graphs
EXTRA = ("div", "sqrt1p", "exp2")


def _random_program(rng):
    n_leaves = int(rng.integers(1, 5))
    leaves = []
    for _ in range(n_leaves):
        if rng.random() < 0.3:  # extreme magnitudes, both ways
            exponent = rng.uniform(150, 300) * (1 if rng.random() < 0.5 else -1)
            leaves.append(float(np.copysign(10.0**exponent, rng.random() - 0.5)))
        else:
            leaves.append(float(rng.uniform(-2, 2)))
    ops = PROGRAM_OPS + EXTRA
    steps = [(ops[int(rng.integers(len(ops)))], int(rng.integers(1000)), int(rng.integers(1000)))
             for _ in range(int(rng.integers(1, 13)))]
    return leaves, steps


def _build(leaves, steps):
    """The program's graph, with three extra operations that stress division and powers."""
    nodes = [Value(x, label=f"x{k}") for k, x in enumerate(leaves)]
    program = []
    for op, i, j in steps:
        if op in EXTRA:
            a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
            if program:
                nodes.append(run(program, nodes))
                program = []
            out = a / b if op == "div" else (a * a + 1.0) ** 0.5 if op == "sqrt1p" else 2.0 ** (a * 0.001)
            nodes.append(out)
        else:
            program.append((op, i, j))
    if program:
        nodes.append(run(program, nodes))
    return nodes[: len(leaves)], nodes[-1]


def _close(a: float, b: float, rel: float, scale: float = 0.0) -> bool:
    """Equal to ``rel``; or both within rounding of 0 next to numbers of size ``scale`` (sums that cancel)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-12 * scale + 1e-300


def _path_sizes(out: Value) -> dict:
    """Σ over the paths to each node of |Π local derivatives|: how large the terms of its gradient are.

    A gradient whose terms cancel is 0 only up to rounding of this size, in any engine.
    """
    size = {out: 1.0}
    for node in reversed(out.nodes()):  # users before their inputs
        for child, local in zip(node.inputs, node.local):
            size[child] = size.get(child, 0.0) + abs(local) * size.get(node, 0.0)
    return size


@pytest.mark.slow
def test_ten_thousand_random_graphs_agree_with_pytorch_including_extreme_magnitudes():
    rng = np.random.default_rng(2026)
    compared = refused = 0
    for _ in range(10_000):
        leaves, steps = _random_program(rng)
        try:
            inputs, out = _build(leaves, steps)
        except ChainruleError:  # the forward pass refused a number (an overflow, a log of 0): a typed error
            refused += 1
            continue
        except ZeroDivisionError:  # typed too: it names the operation (test_scalar checks the message)
            refused += 1
            continue
        leaves_used = [v for v in dict.fromkeys(inputs) if v in set(out.nodes())]
        reference = float(evaluate_graph(out, {}, TorchLib()))
        assert _close(out.data, reference, 1e-9), (leaves, steps, out.data, reference)
        try:
            out.backward()
        except NonFiniteError:  # a slope that does not exist: PyTorch's gradient is inf or nan there
            grads = torch_graph_gradients(out, leaves_used)
            assert not all(math.isfinite(g) for g in grads), (leaves, steps)
            continue
        expected = torch_graph_gradients(out, leaves_used)
        sizes = _path_sizes(out)
        for leaf, g in zip(leaves_used, expected):
            scale = sizes[leaf] if math.isfinite(sizes[leaf]) else 0.0
            assert _close(leaf.grad, g, 1e-7, scale), (leaves, steps, leaf.label, leaf.grad, g)
        compared += 1
    assert compared > 6000 and refused > 100  # both kinds of graph were really exercised

"""conv: one kernel at every position, so its gradient is a sum over positions; the input's is the flipped kernel's."""

from __future__ import annotations

import pytest

from chainrule.cli import main
from chainrule.errors import InvalidValueError
from chainrule.lessons import conv
from chainrule.scalar import Value

H = 1e-6
SHAPES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=2, padding=1),
    dict(stride=3, padding=2, kernel=[0.5, -1.0, 0.25, 2.0], target_kernel=[1.0, 0.0, 0.0, -1.0]),
    dict(signal=[1.0, -2.0, 0.5], kernel=[3.0], target_kernel=[-1.0], bias=0.5),
]


def cost(signal, kernel, bias, result) -> float:
    """C for these numbers, with the run's targets, stride and padding (forward only)."""
    net = conv.forward([Value(v) for v in signal], [Value(v) for v in kernel], Value(bias), result.network.targets,
                       result.stride, result.padding)
    return net.C.data


def numeric(f, values: list[float], k: int) -> float:
    up, down = values[:], values[:]
    up[k] += H
    down[k] -= H
    return (f(up) - f(down)) / (2 * H)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_kernel_weight_s_gradient_is_the_sum_over_positions_and_finite_differences_agree(shape):
    r = conv.train(steps=0, **shape)
    n = r.network
    kernel, signal, bias = [w.data for w in n.kernel], r.signal, n.b.data
    rows = r.reads
    for k, w in enumerate(n.kernel):
        by_hand = sum(r.deltas[t] * (0.0 if rows[t][k] is None else signal[rows[t][k] - 1]) for t in range(len(rows)))
        assert sum(r.terms[k]) == pytest.approx(w.grad, abs=1e-12)
        assert by_hand == pytest.approx(w.grad, abs=1e-12)
        assert w.grad == pytest.approx(numeric(lambda ws: cost(signal, ws, bias, r), kernel, k), abs=1e-5)
    assert n.b.grad == pytest.approx(sum(r.deltas), abs=1e-12)
    assert n.b.grad == pytest.approx(numeric(lambda b: cost(signal, kernel, b[0], r), [bias], 0), abs=1e-5)
    for o, d, y in zip(n.outputs, r.deltas, n.targets):
        assert d == pytest.approx(2 * (o.data - y), abs=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_input_s_gradient_is_the_flipped_kernel_convolution_and_finite_differences_agree(shape):
    r = conv.train(steps=0, **shape)
    kernel, bias = [w.data for w in r.network.kernel], r.network.b.data
    assert r.input_by_formula == pytest.approx(r.input_gradients, abs=1e-12)
    for j in range(len(r.signal)):
        assert r.input_gradients[j] == pytest.approx(numeric(lambda x: cost(x, kernel, bias, r), r.signal, j), abs=1e-5)


def test_an_input_no_position_reads_gets_gradient_zero():
    r = conv.train(steps=0, stride=2)  # 6 inputs, kernel 3: positions 1–3 and 3–5; x₆ is skipped
    assert r.reads == [[1, 2, 3], [3, 4, 5]]
    assert r.input_gradients[5] == 0.0 and r.input_by_formula[5] == 0.0
    assert r.variants[1].unread == [6]


@pytest.mark.parametrize("n,K,s,p", [(6, 3, 1, 0), (6, 3, 2, 0), (6, 3, 1, 1), (7, 4, 3, 2), (3, 5, 2, 2)])
def test_outputs_and_gradients_equal_pytorch_conv1d(n, K, s, p):
    torch = pytest.importorskip("torch")
    signal = [0.3 * j - 1.0 + (j % 3) for j in range(n)]
    kernel = [0.5 - 0.4 * k for k in range(K)]
    target = [1.0 if k == K // 2 else 0.0 for k in range(K)]
    r = conv.train(signal=signal, kernel=kernel, target_kernel=target, stride=s, padding=p, bias=0.2, steps=0)
    x = torch.tensor([[signal]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[kernel]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.2], dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.conv1d(x, w, b, stride=s, padding=p)
    ((out[0, 0] - torch.tensor(r.network.targets, dtype=torch.float64)) ** 2).sum().backward()
    assert [o.data for o in r.network.outputs] == pytest.approx(out[0, 0].tolist(), abs=1e-12)
    assert [v.grad for v in r.network.kernel] == pytest.approx(w.grad[0, 0].tolist(), abs=1e-10)
    assert r.input_gradients == pytest.approx(x.grad[0, 0].tolist(), abs=1e-10)
    assert r.network.b.grad == pytest.approx(float(b.grad[0]), abs=1e-10)


def test_each_variant_is_the_engine_s_run_with_that_stride_and_padding():
    r = conv.train(steps=0)
    for v in r.variants:
        other = conv.train(steps=0, stride=v.stride, padding=v.padding)
        assert v.outputs == len(other.network.outputs) == conv.output_length(6, 3, v.stride, v.padding)
        assert v.kernel_gradient == [w.grad for w in other.network.kernel]
        assert v.cost == other.network.C.data


def test_the_curvature_bound_is_where_descent_stops_converging():
    r = conv.train(steps=0)
    bound = r.stable_learning_rate
    calm = conv.train(learning_rate=0.9 * bound, steps=1000)
    wild = conv.train(learning_rate=min(1.1 * bound, 1.0), steps=200)
    # no data, no seed: at 0.9 of the bound the cost falls by 1e-7 in 1,000 steps; 1e-4 leaves three orders of
    # magnitude for another processor's rounding
    assert calm.descent.costs[-1] < 1e-4 * calm.descent.costs[0]
    assert wild.descent.costs[-1] > wild.descent.costs[0]
    assert wild.diverged_at is None or wild.diverged_at > 0


def test_descent_learns_the_target_kernel():
    r = conv.train(learning_rate=0.02, steps=1000)
    # seen: within 0.013 of each target tap, bias 0.020 (a deterministic run): 0.05 is more than twice that
    last = r.descent.steps[-1].parameters
    assert [last[w.label] for w in r.network.kernel] == pytest.approx(r.target_kernel, abs=0.05)
    assert abs(last["b"]) < 0.05


def test_a_learning_rate_far_too_large_stops_the_descent_with_a_warning(capsys):
    assert main(["lesson", "conv", "--lr", "1", "--steps", "1000"]) == 0
    out = capsys.readouterr().out
    assert "no longer fits in a float" in out


@pytest.mark.parametrize("argv", [
    ["lesson", "conv", "--target-kernel", "1", "2"],
    ["lesson", "conv", "--signal", "1", "2", "--kernel", "1", "2", "3", "--target-kernel", "1", "2", "3"],
])
def test_shapes_that_do_not_fit_are_one_line_and_exit_2(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "allowed" in err
    with pytest.raises(InvalidValueError):
        conv.train(**({"target_kernel": [1.0, 2.0]} if "--signal" not in argv else
                      {"signal": [1.0, 2.0], "kernel": [1.0, 2.0, 3.0], "target_kernel": [1.0, 2.0, 3.0]}))

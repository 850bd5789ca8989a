"""The scalar engine: gradients are right, the graph is freed, and bad numbers never pass silently."""

from __future__ import annotations

import gc
import math
import weakref

import pytest
from hypothesis import HealthCheck, assume, given, settings

from chainrule import Value
from chainrule.errors import InvalidValueError, NumericalOverflowError

from expression_programs import programs, run

from chainrule.gradcheck import evaluate_graph

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- the video
def test_video_forward_and_first_gradient():
    w = Value(0.8, label="w")
    a = 1.5 * w
    C = (a - 0.8) ** 2
    C.backward()
    assert a.data == pytest.approx(1.2)
    assert C.data == pytest.approx(0.16)
    assert w.grad == pytest.approx(1.2)  # 2(a − y)·i = 2(1.2 − 0.8)·1.5


def test_video_descent_weights():
    w = Value(0.8)
    seen = []
    for _ in range(4):
        seen.append(w.data)
        C = (1.5 * w - 0.8) ** 2
        w.grad = 0.0
        C.backward()
        w.data -= 0.1 * w.grad
    assert seen == pytest.approx([0.8, 0.68, 0.614, 0.5777])


def test_gradient_equals_corrected_formula_not_the_typo():
    for start in (-1.0, 0.0, 0.3, 0.8, 2.0):
        w = Value(start)
        ((1.5 * w - 0.8) ** 2).backward()
        assert w.grad == pytest.approx(4.5 * start - 2.4)
        if start != 0.8 / 3:  # 4.5w − 1.5 and 4.5w − 2.4 never agree
            assert w.grad != pytest.approx(4.5 * start - 1.5)


# ------------------------------------------------------------ graph shapes
def test_reused_node_gradients_add_over_paths():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_node_used_twice_in_one_product():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_deep_chain_of_100000_nodes_has_no_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
    assert len(y.nodes()) == 200_001


def test_deep_graph_with_branches_has_no_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(50_000):
        y = y + y * 0.0  # every node used twice: backward has to count, no chain to follow
    y.backward()
    assert x.grad == 1.0


def test_a_chain_on_top_of_a_shared_subgraph():
    a = Value(2.0)
    b = a * a + a  # a reaches b along three paths
    out = ((b * 3.0) - 1.0) ** 2  # single-input nodes on top: backward follows the chain, then counts below b
    out.backward()
    # d out/db = 2(3b − 1)·3 = 2·17·3 = 102 with b = 6;  d out/da = 102·(2a + 1) = 510
    assert (b.grad, a.grad) == (102.0, 510.0)
    out.backward()
    assert (b.grad, a.grad) == (102.0, 1020.0)  # intermediate afresh, leaf accumulated
    assert all(node._waiting == 0 for node in out.nodes())


def test_repeated_backward_resets_intermediates_and_accumulates_leaves():
    x = Value(2.0)
    h = x * 3.0
    out = h * h  # d out/dx = 2·h·3 = 36
    out.backward()
    assert (x.grad, h.grad) == (36.0, 12.0)
    out.backward()
    assert h.grad == 12.0  # intermediate: recomputed from zero
    assert x.grad == 72.0  # leaf: accumulated, like PyTorch
    x.zero_grad()
    out.backward()
    assert x.grad == 36.0


def test_every_edge_stores_its_local_derivative_as_a_number():
    i, w = Value(1.5, label="i"), Value(0.8, label="w")
    a = i * w
    assert a.inputs == (i, w) and a.local == (0.8, 1.5)  # ∂a/∂i = w, ∂a/∂w = i
    assert all(isinstance(local, float) for local in a.local)
    assert a.op == "*" and a.const is None


def test_graph_is_freed_by_reference_counting_alone():
    gc.disable()
    try:
        w = Value(0.8)
        C = (1.5 * w - 0.8) ** 2
        C.backward()
        probe = weakref.ref(C.inputs[0])  # the node a − y
        del C
        assert probe() is None  # freed immediately: no cycle for the collector to find
    finally:
        gc.enable()


# ------------------------------------------------- against other references
def _value_and_grads(leaves, program):
    nodes = [Value(x) for x in leaves]
    kinks = []
    out = run(program, nodes, kinks)
    out.backward()
    return out, nodes, [k.data for k in kinks]


def _reasonable(leaves, program):
    try:
        out, nodes, kinks = _value_and_grads(leaves, program)
    except (NumericalOverflowError, ZeroDivisionError, InvalidValueError):
        assume(False)
    assume(abs(out.data) < 1e4 and all(abs(n.grad) < 1e4 for n in nodes))
    assume(all(abs(k) > 1e-3 for k in kinks))  # relu's kink: finite differences are not defined there
    return out, nodes


@SETTINGS
@given(programs())
def test_gradients_match_central_finite_differences(case):
    leaves, program = case
    out, nodes = _reasonable(leaves, program)
    h = 1e-6
    for node in nodes:  # the graph replayed with one leaf moved by ±h (the op table's float formulas)
        try:
            numeric = (evaluate_graph(out, {node: node.data + h}) - evaluate_graph(out, {node: node.data - h})) / (2 * h)
        except (OverflowError, ZeroDivisionError, ValueError):
            assume(False)
        assert node.grad == pytest.approx(numeric, rel=1e-4, abs=1e-5)


@SETTINGS
@given(programs())
def test_gradients_match_pytorch_float64(case):
    pytest.importorskip("torch")
    from chainrule.interop import TorchLib, torch_graph_gradients

    leaves, program = case
    out, nodes = _reasonable(leaves, program)
    unique = list(dict.fromkeys(nodes))
    reference = evaluate_graph(out, {}, TorchLib())
    assert out.data == pytest.approx(float(reference), rel=1e-12, abs=1e-12)
    for node, expected in zip(unique, torch_graph_gradients(out, unique)):
        assert node.grad == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_code_written_for_micrograd_runs_unchanged():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    # the values micrograd's README prints for this program
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


# ------------------------------------------------------------- extremes
@pytest.mark.parametrize("x", [1000.0, -1000.0])
def test_tanh_and_sigmoid_are_finite_at_extremes(x):
    t, s = Value(x).tanh(), Value(x).sigmoid()
    assert t.data == math.copysign(1.0, x)
    assert s.data == (1.0 if x > 0 else 0.0)
    t.backward()
    s.backward()
    assert math.isfinite(t.local[0]) and math.isfinite(s.local[0])


def test_exp_overflow_is_a_clear_error_naming_the_op():
    assert Value(-1000.0).exp().data == 0.0
    with pytest.raises(NumericalOverflowError, match=r"exp.*1000"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError):  # still an OverflowError for code that expects one
        Value(1000.0).exp()


def test_overflowing_arithmetic_names_the_op_instead_of_returning_inf():
    with pytest.raises(NumericalOverflowError, match=r"^\*"):
        Value(1e200) * Value(1e200)
    with pytest.raises(NumericalOverflowError, match=r"\*\*"):
        Value(1e200) ** 3


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive_names_op_and_value(x):
    with pytest.raises(ValueError, match=rf"log.*{x}"):
        Value(x).log()


def test_division_by_zero_names_the_op():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        2.0 / Value(0.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_leaves_refuse_non_finite_numbers(bad):
    with pytest.raises(InvalidValueError, match="finite"):
        Value(bad)


@pytest.mark.parametrize("bad", ["1.5", None, [1.0], True])
def test_leaves_refuse_non_numbers(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_value_exponent_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="exponent must be a number"):
        Value(2.0) ** Value(3.0)


def test_negative_base_with_fractional_exponent_is_refused():
    with pytest.raises(ValueError, match="not a real number"):
        Value(-2.0) ** 0.5


def test_number_to_the_power_of_a_value():
    x = Value(3.0)
    y = 2.0**x
    y.backward()
    assert y.data == 8.0
    assert x.grad == pytest.approx(8.0 * math.log(2.0))


def test_dot_is_one_node_with_an_edge_per_operand():
    w = [Value(0.5), Value(-1.0)]
    b = Value(0.25)
    z = Value.dot(w, [2.0, 3.0], b)
    z.backward()
    assert z.data == pytest.approx(0.5 * 2 - 3 + 0.25)
    assert [p.grad for p in w] == [2.0, 3.0] and b.grad == 1.0
    assert len(z.inputs) == 3
    with pytest.raises(InvalidValueError, match="2 weights for 3 inputs"):
        Value.dot(w, [1.0, 2.0, 3.0])


# ------------------------------------------------------------ anomalies
def test_detect_anomaly_names_the_edge_where_the_gradient_overflowed():
    from chainrule import detect_anomaly
    from chainrule.anomaly import AnomalyError

    x = Value(1e-300, label="x")
    z = (x / 1e-300) / 1e-300  # forward values stay finite (1, then 1e300) ...
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"from / \(value 1.0\) into leaf 'x'.* is inf"):
            z.backward()  # ... but dz/dx = 1e300 · 1e300 overflows


def test_detect_anomaly_is_silent_when_everything_is_finite():
    from chainrule import detect_anomaly

    w = Value(0.8)
    with detect_anomaly():
        ((1.5 * w - 0.8) ** 2).backward()
    assert w.grad == pytest.approx(1.2)


# ---------------------------------------------------- one rule for numbers (issue 16)
def test_a_number_too_large_for_a_float_is_a_typed_error_not_a_raw_one():
    with pytest.raises(NumericalOverflowError, match="too large for a float"):
        Value(2**1024)
    with pytest.raises(NumericalOverflowError, match="too large for a float"):
        Value(1.0) * 2**1024


@pytest.mark.parametrize("make", [lambda: Value(True), lambda: Value(1.0) + True, lambda: False * Value(1.0),
                                  lambda: Value.dot([Value(1.0)], [True]), lambda: Value.sum([Value(1.0), True])])
def test_a_bool_is_not_a_number_anywhere(make):
    with pytest.raises(TypeError):
        make()


def test_division_keeps_its_slope_finite_where_the_quotient_is():
    a, b = Value(1e300), Value(1e155)
    (a / b).backward()
    assert b.grad == pytest.approx(-1e-10, rel=1e-12)  # −(a/b)/b; −a/(b·b) would overflow to −0.0
    c, d = Value(1e-170), Value(1e-170)
    q = c / d
    q.backward()
    assert q.data == 1.0 and c.grad == pytest.approx(1e170) and d.grad == pytest.approx(-1e170)

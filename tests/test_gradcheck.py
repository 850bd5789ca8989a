"""gradcheck: agrees when backprop is right, and catches it when it is wrong."""

from __future__ import annotations

import pytest

from chainrule import Value
from chainrule.errors import InvalidValueError
from chainrule.gradcheck import gradcheck


def test_video_cost_passes_the_check():
    w = Value(0.8, label="w")
    report = gradcheck(lambda w: (1.5 * w - 0.8) ** 2, [w])
    assert report.ok and report.checks[0].name == "w"
    assert report.max_abs_error < 1e-8
    assert w.data == 0.8  # restored after perturbing


def test_a_wrong_local_derivative_is_caught():
    def broken_square(v):
        out = v * v
        out.local = (3.0 * v.data,)  # the true local derivative is 2v
        return out

    report = gradcheck(broken_square, [Value(1.5)])
    assert not report.ok
    assert report.checks[0].max_abs_error == pytest.approx(1.5, rel=1e-4)


def test_several_inputs_each_get_a_row():
    a, b = Value(0.3, label="a"), Value(-1.2, label="b")
    report = gradcheck(lambda a, b: (a * b).tanh() + a.exp() / (b * b + 1), [a, b])
    assert [c.name for c in report.checks] == ["a", "b"] and report.ok
    assert report.to_json()["ok"] is True


def test_no_inputs_and_bad_step_are_refused():
    with pytest.raises(InvalidValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(InvalidValueError, match="h must be > 0"):
        gradcheck(lambda v: v, [Value(1.0)], h=0.0)

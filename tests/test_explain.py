"""`chainrule.explain`: derivations that add up to exactly what backprop computes."""

from __future__ import annotations

import io
import json
import math

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from rich.console import Console

from chainrule import MLP, Value
from chainrule.errors import InvalidValueError
from chainrule.explainer import Derivation, explain
from chainrule.explainer.format import pretty
from chainrule.explainer.ranking import rank
from chainrule.explainer.report import Report

from expression_programs import programs, run

from chainrule.gradcheck import evaluate_graph


def video():
    i, w, y = Value(1.5, label="i"), Value(0.8, label="w"), Value(0.8, label="y")
    a = (i * w).named("a")
    C = ((a - y) ** 2).named("C")
    return C, w


def render(renderable) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=120, highlight=False).print(renderable)
    return buffer.getvalue()


def test_the_video_derivation_shows_each_local_derivative_as_formula_and_number():
    C, w = video()
    d = explain(C, wrt=[w])
    (path,) = d["w"].paths
    assert [f.derivative for f in path.factors] == ["∂C/∂(a − y)", "∂(a − y)/∂a", "∂a/∂w"]
    assert [f.formula for f in path.factors] == ["2(a − y)", "1", "i"]
    assert [f.value for f in path.factors] == pytest.approx([0.8, 1.0, 1.5])
    assert d["w"].total == pytest.approx(1.2)


def test_the_total_equals_grad_exactly_after_one_backward():
    C, w = video()
    d = explain(C, wrt=[w])
    C.backward()
    assert d["w"].total == w.grad
    assert d["w"].path_sum == w.grad  # one path: multiplied in backprop's order, bit for bit


def test_closed_form_and_chain_rule_product_agree_symbolically():
    C, w = video()
    p = explain(C, wrt=[w])["w"]
    assert sympy.simplify(p.closed_form - (sympy.Rational(9, 2) * sympy.Symbol("w") - sympy.Rational(12, 5))) == 0
    assert p.symbolic_check is True
    assert sympy.simplify(p.closed_form - p.chain_rule_form) == 0


def test_two_weights_get_closed_forms_in_both_weights():
    w1, w2 = Value(0.5, label="w₁"), Value(-0.4, label="w₂")
    a1 = (w1 * 1.5).tanh().named("a₁")
    a2 = (w2 * a1).named("a₂")
    C = ((a2 - 0.8) ** 2).named("C")
    d = explain(C, wrt=[w1, w2])
    assert d["w₁"].closed_form.free_symbols == {sympy.Symbol("w₁"), sympy.Symbol("w₂")}
    assert d["w₁"].symbolic_check and d["w₂"].symbolic_check


def test_where_two_paths_meet_the_derivation_lists_both_and_sums_them():
    x = Value(0.7, label="x")
    y = (x * x.tanh()).named("y")
    d = explain(y, wrt=[x])
    assert d["x"].n_paths == 2 and len(d["x"].paths) == 2
    assert d["x"].path_sum == pytest.approx(math.tanh(0.7) + 0.7 * (1 - math.tanh(0.7) ** 2))
    assert "(the sum over the paths)" in str(d)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(max_leaves=3, max_steps=8))
def test_derivation_totals_equal_grad_and_finite_differences_on_random_graphs(program):
    leaf_values, steps = program
    leaves = [Value(x, label=f"x{k}") for k, x in enumerate(leaf_values)]
    kinks: list = []
    out = run(steps, leaves, kinks)
    assume(all(abs(k.data) > 1e-3 for k in kinks))  # finite differences are wrong at relu's kink
    d = explain(out, wrt=leaves, symbolic=False)
    out.backward()
    for leaf, p in zip(leaves, d.parameters):
        assert p.total == leaf.grad
        if p.path_sum is not None:
            assert p.path_sum == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)
    h = 1e-6
    for leaf in leaves:
        up = evaluate_graph(out, {leaf: leaf.data + h})
        down = evaluate_graph(out, {leaf: leaf.data - h})
        assert (up - down) / (2 * h) == pytest.approx(leaf.grad, rel=1e-4, abs=1e-5)


def test_a_big_graph_is_summarized_not_enumerated_and_says_so():
    net = MLP(3, [8, 8, 8, 1], activation="tanh", seed=1)
    x = [0.5, -0.2, 0.9]
    C = ((net(x) - 1.0) ** 2).named("C")
    d = explain(C, wrt=net.parameters())
    assert d.summarized and d.total_paths > 1000
    assert "too many to list" in str(d)
    C.backward()
    for p, node in zip(d.parameters, net.parameters()):
        assert p.total == node.grad
        assert len(p.paths) <= 3 and not p.listed_all
    top = d.parameters[0].paths[0].product
    assert all(abs(top) >= abs(q.product) for q in d.parameters[0].paths)


def test_renderers_text_markdown_and_json():
    C, w = video()
    d = explain(C, wrt=[w])
    text = render(d.to_text())
    assert "∂C/∂w" in text and "2(a − y) · 1 · i" in text and "0.8 · 1 · 1.5 = 1.2" in text
    md = d.to_markdown()
    assert r"\frac{\partial C}{\partial w}" in md and "$$" in md
    assert d._repr_markdown_() == md
    data = json.loads(json.dumps(d.to_json()))
    assert data["parameters"][0]["total"] == pytest.approx(1.2)
    assert data["parameters"][0]["closed_form"] == pretty(sympy.Float(4.5) * sympy.Symbol("w") - sympy.Float(2.4))


def test_a_derivation_is_rendered_by_the_one_report_renderer():
    C, w = video()
    d = explain(C, wrt=[w])
    report = d.report()
    assert isinstance(report, Report)
    assert render(d.to_text()) == render(report.to_text()) and d.to_markdown() == report.to_markdown(level=3)
    assert str(d) == str(report)
    md = d.to_markdown()  # a path: three lines of text, one line of LaTeX
    assert md.count("$$") == 2 * 3 and md.startswith("### Derivation of the gradients of $C = 0.16$\n")
    path = [line for line in md.splitlines() if r"\frac{\partial a}{\partial w} = " in line]
    assert len(path) == 1 and path[0].endswith(r"= 2(a - y)  \cdot  1  \cdot  i = 0.8  \cdot  1  \cdot  1.5 = 1.2$$")
    text = render(d.to_text())
    assert "= 2(a − y) · 1 · i" in text and "= 0.8 · 1 · 1.5 = 1.2" in text


def test_a_parameter_the_cost_does_not_depend_on_has_no_path_and_zero_gradient():
    C, _ = video()
    d = explain(C, wrt=[Value(1.0, label="q")])
    assert d["q"].n_paths == 0 and d["q"].total == 0.0
    assert "does not depend on q" in str(d)


def test_explain_refuses_what_is_not_a_value():
    with pytest.raises(InvalidValueError, match="must be a Value"):
        explain(1.5)


def test_ranking_orders_by_gradient_and_by_relative_step():
    r = rank([("w₁", 0.01, 0.5), ("w₂", 2.0, -1.0), ("b", 0.0, 0.1)], learning_rate=0.1)
    assert [p.name for p in r.parameters] == ["w₂", "w₁", "b"]
    assert r.parameters[0].step == pytest.approx(0.1)
    assert [p.name for p in r.largest_relative_step] == ["w₁"]  # |0.05|/0.01, against 0.1/2 for w₂
    assert {p.name: p.rank_by_relative_step for p in r.parameters} == {"b": None, "w₁": 1, "w₂": 2}
    assert "most sensitive to w₂" in r.verdict() and "w₁ changes most" in r.verdict()


def test_a_parameter_that_is_zero_has_no_relative_step_rather_than_an_infinite_one():
    r = rank([("w", 0.5, 0.2), ("b", 0.0, 0.0)], learning_rate=0.1)
    assert r.parameters[1].relative_step is None and r.parameters[1].rank_by_relative_step is None
    # the verdict says why b has none, instead of ranking it
    assert "b is left out of |Δθ|/|θ| (it is 0)" in r.verdict() and "b changes most" not in r.verdict()


def test_gradients_equal_up_to_rounding_are_one_tie():
    g = -0.0050283175949997
    r = rank([(f"w{k}", 0.9, g + k * 1e-18) for k in range(6)], learning_rate=0.05)
    assert len(r.most_sensitive) == 6 and {p.rank_by_gradient for p in r.parameters} == {1}
    assert "tie" in r.verdict() and "most sensitive to" not in r.verdict()


def test_no_gradient_at_all_says_descent_cannot_move_and_why():
    r = rank([("w", -0.5, 0.0), ("b", 0.0, 0.0)], learning_rate=0.5, reason="the ReLU is off")
    assert r.no_gradient
    assert r.verdict() == ("No gradient reaches any parameter: every ∂C/∂θ is 0, so descent cannot move: "
                           "the ReLU is off.")
    assert "sensitive" not in r.verdict()


def test_derivation_ranking_uses_the_totals():
    C, w = video()
    d = explain(C)
    r = d.ranking(0.1)
    (top,) = r.most_sensitive
    assert top.name == "w" and top.step == pytest.approx(-0.12)
    assert isinstance(d, Derivation)


def test_symbolic_work_is_bounded_and_says_what_it_skipped(monkeypatch):
    from chainrule.explainer import derivation

    monkeypatch.setattr(derivation, "MAX_SYMBOLIC_SIZE", 5)
    C, w = video()
    d = explain(C, wrt=[w])
    assert d["w"].closed_form is None and "closed form skipped: too large to expand" in d["w"].symbolic_skipped
    assert "closed form skipped" in str(d) and d.to_json()["parameters"][0]["symbolic_skipped"]

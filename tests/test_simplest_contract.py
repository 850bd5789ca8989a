"""The simplest lesson keeps the one lesson contract: the explainer explains it, the shared descent descends it,
its graph needs no training, and its tensor form is its own forward pass on tensors."""

from __future__ import annotations

import contextlib
import io
import random

import numpy as np
import pytest
import sympy

from chainrule import lessons
from chainrule.codegen.numpy_code import numpy_program
from chainrule.codegen.torch_code import torch_program
from chainrule.explainer import explain
from chainrule.explainer.symbolic import to_sympy
from chainrule.lessons import simplest
from chainrule.lessons.descent import Descent, Step


def run_printed(source: str) -> tuple[dict, str]:
    """Run a generated program as printed: its namespace afterwards, and what it printed."""
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - the program under test
    return namespace, out.getvalue()


# ------------------------------------------------------------- the explainer
def test_the_chain_rule_is_the_explainers_one_path_written_per_named_quantity():
    result = simplest.train(steps=0)
    (path,) = result.derivation["w"].paths
    assert path.nodes == ["C", "a − y", "a", "w"]
    assert [f.formula for f in path.factors] == ["2(a − y)", "1", "i"]
    assert [f.name for f in result.factors] == ["∂C/∂a", "∂a/∂w"]
    assert [f.formula for f in result.factors] == ["2(a − y)", "i"]  # the factor 1 of a − y by a changes nothing
    dC_da, da_dw = result.factors
    assert dC_da.value == path.factors[0].value * path.factors[1].value and da_dw.value == path.factors[2].value
    assert dC_da.value * da_dw.value == result.derivation["w"].total == result.first.gradients["w"]


def test_the_links_follow_the_numbers_of_any_step():
    factors, gradient = simplest.chain_at(2.0, -0.25, -1.0)
    assert [f.with_numbers for f in factors] == ["2((−0.5) − (−1))", "2"]
    assert [f.in_weight for f in factors] == ["2(2w − (−1))", "2"]
    assert gradient == 2 * (2.0 * -0.25 + 1.0) * 2.0


@pytest.mark.parametrize("seed", range(2))
def test_the_closed_forms_derived_once_are_the_explainers_with_the_numbers_in(seed):
    """The fast path (one derivation with i, w, y as symbols, then exact fractions) against explain() itself."""
    rng = random.Random(seed)
    w = sympy.Symbol("w")
    for _ in range(12):
        i = round(rng.uniform(-100, 100), rng.randint(0, 6)) or 1.0
        y = round(rng.uniform(-100, 100), rng.randint(0, 6))
        net = simplest.network(i, 0.3, y)
        closed = explain(net.C, wrt=[net.w]).parameters[0].closed_form
        found = simplest.formulas(i, y)
        assert sympy.expand(found.gradient.as_sympy() - closed) == 0, (i, y)
        assert sympy.expand(found.cost.as_sympy() - to_sympy(net.C, [net.w])) == 0, (i, y)
        exact_i, exact_y = sympy.Rational(repr(i)), sympy.Rational(repr(y))
        assert found.optimum == float(exact_y / exact_i) and found.curvature == float(2 * exact_i**2)
    assert simplest.gradient_formula(1.5, 0.8) == sympy.Rational(9, 2) * w - sympy.Rational(12, 5)
    assert [simplest.formulas(i, 0.8).activation_in_weight for i in (1.5, -2.0, 1.0)] == ["1.5w", "−2w", "w"]


# --------------------------------------------------------------- the descent
def test_the_descent_is_the_shared_descend_and_its_steps_are_step_records():
    result = simplest.train(steps=5, tolerance=0)
    assert isinstance(result.descent, Descent) and all(isinstance(s, Step) for s in result.steps)
    for before, after in zip(result.steps, result.steps[1:]):
        assert after.parameters["w"] == before.parameters["w"] - 0.1 * before.gradients["w"]
    data = simplest.explain(result).to_json()
    assert data["steps"] == result.descent.to_json()["steps"] and data["learning_rate"] == 0.1
    assert result.activations == [1.5 * w for w in result.weights]


def test_the_stop_rule_is_the_runs_own_tolerance():
    tight, loose = simplest.train(tolerance=1e-9), simplest.train(tolerance=1e-3)
    assert tight.converged and loose.converged and len(loose.steps) < len(tight.steps)
    assert abs(loose.gradients[-1]) < 1e-3 <= abs(loose.gradients[-2])
    every = simplest.train(steps=60, tolerance=0)  # 0: every step, as the explorer asks
    assert len(every.steps) == 61 and every.stopped == "step limit"
    assert simplest.rests(every, every.steps[-1]) == "converged"  # judged by the declared tolerance
    assert simplest.rests(every, every.steps[2]) == ""
    diverging = simplest.train(learning_rate=5, steps=100)
    assert simplest.rests(diverging, diverging.steps[-1]) == "diverged"


# ----------------------------------------------------- graph and tensor form
def test_the_graph_is_built_without_a_descent(monkeypatch):
    def no_descent(*args, **kwargs):
        raise AssertionError("graph() must not descend")

    monkeypatch.setattr(simplest, "descend", no_descent)
    cost = lessons.load("simplest").graph(steps=1000)
    assert cost.data == pytest.approx(0.16) and len(cost.nodes()) == 6
    (w,) = [n for n in cost.nodes() if n.label == "w"]
    assert w.grad == pytest.approx(1.2)


def tensor_leaves(loss) -> dict:
    """The leaves of a tensor graph by name."""
    found, stack = {}, [loss]
    while stack:
        t = stack.pop()
        if not t._parents:
            found[t.name] = t
        stack.extend(t._parents)
    return found


def test_the_tensor_form_is_the_lessons_forward_on_tensors():
    form = lessons.load("simplest").tensors(input=2.0, target=-1.0, weight=0.5)
    assert form.loss.name == "C" and float(form.loss.data) == form.cost.data == (2.0 * 0.5 + 1.0) ** 2
    leaves = tensor_leaves(form.loss)
    assert {name: float(t.data) for name, t in leaves.items()} == {"i": 2.0, "w": 0.5, "y": -1.0}
    assert [name for name, t in leaves.items() if t.requires_grad] == ["w"]  # w is the parameter, i and y given
    form.loss.backward()
    ((leaf, name, index),) = form.pairs
    assert name == "w" and leaf.label == "w" and float(leaves["w"].grad[index]) == leaf.grad == 2 * 2.0 * 2.0


def test_the_numpy_and_torch_programs_print_the_lessons_numbers():
    lesson = lessons.load("simplest")
    form = lesson.tensors()
    namespace, out = run_printed(numpy_program(form.loss).source)
    assert float(namespace["C"]) == form.cost.data
    assert np.asarray(namespace["gradients"]["w"]) == pytest.approx(1.2, abs=1e-15)
    assert "C = 0.16" in out and "dC/dw = 1.2" in out
    pytest.importorskip("torch")
    namespace, out = run_printed(torch_program(lesson.tensors().loss).source)
    assert float(namespace["w"].grad) == pytest.approx(form.pairs[0][0].grad, abs=1e-15)
    assert "0.16" in out and "1.2" in out

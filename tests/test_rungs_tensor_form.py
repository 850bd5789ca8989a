"""chain, activation, wide, batch and why-backprop: each written once, descending by the shared descent.

Each lesson's tensor form (``Lesson.tensors``) gives the same cost and, entry
by entry, the same gradients as its scalar graph, and the numpy and PyTorch
programs made from it print them; its ``graph`` is the graph its training
explains, built without the training; its history is the ``Step`` records of
``descend``.
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import numpy as np
import pytest

from chainrule import lessons
from chainrule.codegen.numpy_code import numpy_program
from chainrule.codegen.tensor_graph import TensorGraph
from chainrule.codegen.torch_code import torch_program
from chainrule.explainer import symbolic
from chainrule.gradcheck import graph_parameters
from chainrule.lessons import activation, batch, why_backprop
from chainrule.lessons.descent import Step

CASES = [
    ("chain", {}),
    ("chain", dict(depth=5, weights=[0.9, -1.1], input=-0.7)),
    ("activation", {}),
    ("activation", dict(activation="tanh", bias=0.3)),
    ("activation", dict(activation="relu", weight=-0.8)),  # a dead unit: every gradient is 0
    ("wide", {}),
    ("wide", dict(width=3, activation="relu", seed=5, inputs=[1.0, -2.0, 0.5])),
    ("batch", {}),
    ("batch", dict(inputs=[2.0, -1.0], target=-0.5, weight=0.3)),
    ("why-backprop", dict(max_params=16)),
]
IDS = [f"{name}-{k}" for k, (name, _) in enumerate(CASES)]
DESCENDING = ["chain", "activation", "wide"]


def scalar_gradients(cost) -> dict[int, float]:
    """Each scalar parameter's gradient after one fresh backward pass, by id."""
    for node in cost.nodes():
        node.grad = 0.0
    cost.backward()
    return {id(p): p.grad for p in graph_parameters(cost)}


def printed(source: str) -> str:
    """What a program prints when run as printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<chainrule code>", "exec"), {"__name__": "__main__"})  # noqa: S102 - under test
    return out.getvalue()


def read_printed(text: str) -> tuple[float, dict[str, np.ndarray]]:
    """The cost and the gradients a program printed: ``C = …`` and ``dC/dNAME = …`` lines."""
    cost, gradients = None, {}
    for line in text.splitlines():
        if line.startswith("C = "):
            cost = float(line[4:])
        elif match := re.fullmatch(r"dC/d(\w+) = (.+)", line):
            gradients[match[1]] = np.array(json.loads(match[2]), dtype=np.float64)  # a number, or lists of them
    return cost, gradients


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_the_tensor_form_gives_the_scalar_cost_and_every_parameter_s_gradient(name, params):
    form = lessons.load(name).tensors(**params)
    expected = scalar_gradients(form.cost)
    assert sorted(id(leaf) for leaf, _, _ in form.pairs) == sorted(expected)  # every scalar parameter, once
    assert float(form.loss.data) == pytest.approx(form.cost.data, rel=1e-12, abs=1e-15)
    tensors = {t.name: t for t in TensorGraph(form.loss).params()}  # read before backward() lets the graph go
    assert sum(t.data.size for t in tensors.values()) == len(expected)  # no tensor entry without its scalar twin
    form.loss.backward()
    for leaf, tensor_name, index in form.pairs:
        assert tensors[tensor_name].grad[index] == pytest.approx(expected[id(leaf)], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_the_numpy_and_torch_programs_print_the_scalar_cost_and_gradients(name, params):
    form = lessons.load(name).tensors(**params)
    expected = scalar_gradients(form.cost)
    languages = [numpy_program]
    try:
        import torch  # noqa: F401 - the PyTorch program needs it

        languages.append(torch_program)
    except ImportError:
        pass
    for emit in languages:
        cost, gradients = read_printed(printed(emit(form.loss).source))
        assert cost == pytest.approx(form.cost.data, rel=1e-12, abs=1e-15), emit.__name__
        assert set(gradients) == {tensor_name for _, tensor_name, _ in form.pairs}
        for leaf, tensor_name, index in form.pairs:
            got = gradients[tensor_name][index]
            assert got == pytest.approx(expected[id(leaf)], rel=1e-12, abs=1e-15), (emit.__name__, tensor_name)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_the_graph_is_the_one_training_explains(name, params):
    quick, full = lessons.graph(name, **params), lessons.load(name).train(**params).graph()
    assert [(n.op, n.label, n.data, n.grad) for n in quick.nodes()] == [(n.op, n.label, n.data, n.grad)
                                                                        for n in full.nodes()]


def test_the_graphs_and_tensor_forms_run_nothing_of_the_training(monkeypatch):
    def no(*_args, **_kwargs):
        raise AssertionError("the graph ran part of the training")

    monkeypatch.setattr(why_backprop, "_timed", no)  # why-backprop's measurements
    monkeypatch.setattr(symbolic, "to_sympy", no)  # activation's closed form (imported where it is written)
    monkeypatch.setattr(batch, "descend", no)
    for name in ("why-backprop", "activation", "batch"):
        assert lessons.graph(name).grad == 1.0
        assert lessons.load(name).tensors().loss.data.size == 1
    with pytest.raises(AssertionError, match="ran part of the training"):
        why_backprop.train(max_params=1)


@pytest.mark.parametrize("name", DESCENDING)
def test_the_history_is_the_shared_descent_s_step_records(name):
    result = lessons.load(name).train(steps=4)
    steps = result.descent.steps
    assert all(isinstance(s, Step) for s in steps) and [s.step for s in steps] == list(range(5))
    first = lessons.graph(name)
    assert steps[0].cost == first.data
    assert steps[0].gradients == {p.label: p.grad for p in graph_parameters(first)}
    lr = result.learning_rate
    for before, after in zip(steps, steps[1:]):  # w ← w − lr·∂C/∂w, every parameter
        assert after.parameters == {k: v - lr * before.gradients[k] for k, v in before.parameters.items()}
    data = lessons.load(name).explain(result).to_json()
    assert data["steps"] == [s.to_json() for s in steps] and data["stopped"] == ""


def test_batch_descends_twice_and_the_mean_takes_half_the_sum_s_step():
    result = batch.train(steps=1)
    summed, mean = (result.descents[r].steps for r in ("sum", "mean"))
    assert summed[0].gradients["w"] == pytest.approx(2 * mean[0].gradients["w"], rel=1e-15)
    assert summed[1].parameters["w"] == 0.8 - 0.1 * summed[0].gradients["w"]
    assert mean[1].parameters["w"] == 0.8 - 0.1 * mean[0].gradients["w"]


def test_a_dead_relu_says_why_at_every_step():
    steps = activation.train(activation="relu", weight=-0.8, steps=2).descent.steps
    assert all(s.gradients == {"w": 0.0, "b": 0.0} for s in steps)
    assert all("the ReLU is off" in s.ranking.reason for s in steps)
    assert lessons.load("wide").train(width=3, activation="relu", seed=5, steps=3).descent.steps[-1].ranking.reason

"""The ladder of lessons: each runs in every format, and its shortcut formulas equal the engine's gradients."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from chainrule import lessons
from chainrule.cli import main
from chainrule.lessons import activation, batch, chain, wide


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------- the shortcuts
@pytest.mark.parametrize("depth", [1, 3, 6])
def test_chain_delta_form_equals_the_engine_gradients(depth):
    r = chain.train(depth=depth, steps=0)
    engine = [w.grad for w in r.network.weights]
    assert [g[0, 0] for g in r.delta.grad_W] == pytest.approx(engine, rel=1e-12, abs=1e-15)
    assert [p.total for p in r.derivation.parameters] == engine
    assert all(p.n_paths == 1 for p in r.derivation.parameters)


@pytest.mark.parametrize("width,act", [(2, "sigmoid"), (3, "tanh"), (3, "relu")])
def test_wide_matrix_form_equals_the_engine_gradients(width, act):
    r = wide.train(width=width, activation=act, steps=0)
    for layer, grad in zip(r.network.layers, r.delta.grad_W):
        engine = np.array([[w.grad for w in row] for row in layer.weights])
        assert np.allclose(grad, engine, rtol=1e-12, atol=1e-15)
    assert r.delta.max_difference < 1e-12


def test_wide_first_layer_weight_has_one_path_per_neuron_and_they_add():
    r = wide.train(width=3, steps=0)
    p = r.derivation.parameters[0]
    assert p.n_paths == 3 and p.listed_all
    assert p.path_sum == pytest.approx(r.network.layers[0].weights[0][0].grad)


def test_batch_gradients_add_and_the_mean_halves_them():
    r = batch.train(steps=2)
    g1, g2 = r.per_example
    assert g1 == pytest.approx(2 * (1.5 * 0.8 - 0.8) * 1.5)
    assert r.network.w.grad == pytest.approx(g1 + g2)
    assert r.mean_network.w.grad == pytest.approx((g1 + g2) / 2)
    assert r.derivation.parameters[0].n_paths == 2
    assert r.curvature == pytest.approx(2 * (1.5**2 + 0.5**2))


def test_activation_cost_is_not_a_parabola_its_curvature_changes():
    r = activation.train(activation="tanh")
    values = [c for _, c in r.curvature if c is not None]
    assert max(values) - min(values) > 0.1
    assert r.derivation["w"].total == r.network.w.grad


# ---------------------------------------------------------------- every lesson
LESSONS = list(lessons.LESSONS)


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_runs_in_json_as_one_object(capsys, name):
    code, out, err = run_cli(capsys, "lesson", name, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["lesson"] == name


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_runs_in_text_and_markdown(capsys, name):
    code, out, _ = run_cli(capsys, "lesson", name)
    assert code == 0 and out.strip()
    code, out, _ = run_cli(capsys, "lesson", name, "--format", "markdown")
    assert code == 0 and out.startswith("## ")


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_result_gives_its_graph_after_one_backward(name):
    from chainrule.explainer.trace import trace_nodes

    cost = lessons.graph(name)
    assert cost.grad == 1.0
    leaves = [n for n in cost.nodes() if not n.inputs]
    traced = {e["id"]: e["grad"] for e in trace_nodes(cost)}
    order = cost.nodes()
    assert all(leaf.grad == traced[order.index(leaf)] for leaf in leaves)  # one pass, nothing accumulated


def test_lesson_list_has_one_line_per_lesson(capsys):
    code, out, _ = run_cli(capsys, "lesson", "--list")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == LESSONS


@pytest.mark.parametrize("argv", [
    ["lesson", "chain", "--depth", "0"],
    ["lesson", "chain", "--lr", "nan"],
    ["lesson", "wide", "--width", "7"],
    ["lesson", "activation", "--activation", "softmax"],
    ["lesson", "nope"],
    ["lesson", "batch", "--inputs", "0", "0"],
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1


def test_activation_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "landscape.png"
    code, _, _ = run_cli(capsys, "lesson", "activation", "--steps", "2", "--plot", str(path))
    assert code == 0 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simplest_lesson_golden_text_is_the_demo(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    code, out, _ = run_cli(capsys, "lesson", "simplest", "--steps", "3")
    assert code == 0
    here = os.path.join(os.path.dirname(__file__), "golden")
    golden = os.path.join(here, "lesson_simplest_steps3.txt")
    if os.environ.get("CHAINRULE_REGOLD"):
        open(golden, "w", encoding="utf-8").write(out)
    with open(golden, encoding="utf-8") as f:
        assert out == f.read()
    with open(os.path.join(here, "demo_steps3.txt"), encoding="utf-8") as f:
        assert out == f.read()  # `chainrule lesson simplest` is `chainrule demo`


@pytest.mark.parametrize("name,params", [
    ("chain", dict(learning_rate=10.0, steps=1000)),
    ("wide", dict(learning_rate=100.0, steps=1000)),
    ("batch", dict(learning_rate=100.0, steps=1000)),
])
def test_a_descent_that_outgrows_the_floats_stops_and_says_so(name, params):
    module, result = lessons.run(name, **params)
    assert "Descent stopped at step" in result.stopped and "too large" in result.stopped
    report = module.explain(result)
    assert report.to_json()["stopped"] == result.stopped
    assert any(result.stopped in line for s in report.sections for line in s.plain_lines())


@pytest.mark.parametrize("name", [n for n, m in lessons.LESSONS.items() if hasattr(m, "graph")])
def test_a_lesson_s_quick_graph_is_the_graph_its_training_explains(name):
    quick = lessons.graph(name)
    full = lessons.LESSONS[name].train().graph()
    assert [(n.op, n.label, n.data, n.grad) for n in quick.nodes()] == [(n.op, n.label, n.data, n.grad) for n in full.nodes()]

"""The later rungs written with tensors (``Lesson.tensors``): the scalar graph's numbers, programs that run as printed.

learning-rate, softmax, conv, recurrent and convexity each write their network once more with ``chainrule.Tensor``
(conv with the engine's ``conv1d``, recurrent as its unrolled tanh recurrence); ``chainrule code LESSON --lang
numpy|torch`` is generated from it. Each tensor entry that stands for a scalar parameter (``pairs``) gets that
parameter's gradient, and the printed programs, run in a fresh interpreter, print the scalar graph's cost and
gradients.
"""

from __future__ import annotations

import ast
import contextlib
import io
import subprocess
import sys

import numpy as np
import pytest

from chainrule import lessons
from chainrule.cli import main
from chainrule.codegen.numpy_code import numpy_program
from chainrule.codegen.tensor_graph import TensorGraph
from chainrule.codegen.torch_code import torch_program
from chainrule.gradcheck import graph_parameters

NAMES = ["learning-rate", "softmax", "conv", "recurrent", "convexity"]
CASES = [(name, {}) for name in NAMES] + [
    ("learning-rate", {"seed": 5}),
    ("softmax", {"target": 1, "input": -2.0}),
    ("conv", {"stride": 2, "padding": 1}),
    ("conv", {"signal": [1.0, -2.0, 0.5, 4.0, 3.0], "kernel": [0.5, -1.0], "target_kernel": [1.0, -1.0], "stride": 3,
              "padding": 2, "bias": 0.3}),
    ("recurrent", {"time_steps": 4, "weight": -0.7}),
    ("recurrent", {"time_steps": 1}),
    ("convexity", {"seed": 3}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in params.items()) or 'defaults'}" for name, params in CASES]


class Utf8Out(io.StringIO):
    encoding = "utf-8"


def close(got: float, expected: float) -> bool:
    return abs(got - expected) <= 1e-12 * (1 + abs(expected))


@pytest.mark.parametrize("name, params", CASES, ids=IDS)
def test_the_tensor_form_is_the_scalar_graph_with_its_gradients(name, params):
    lesson = lessons.load(name)
    form = lesson.tensors(**params)
    scalar = graph_parameters(form.cost)
    assert sorted(id(leaf) for leaf, _, _ in form.pairs) == sorted(id(p) for p in scalar)  # every parameter, once
    assert [(n.label, n.data) for n in form.cost.nodes()] == [(n.label, n.data) for n in lesson.graph(**params).nodes()]
    tensors = {t.name: t for t in TensorGraph(form.loss).params()}  # the tensors that need a gradient
    assert sum(t.data.size for t in tensors.values()) == len(scalar)  # no tensor entry without its scalar twin
    form.loss.backward()
    assert close(float(form.loss.data), form.cost.data)
    for leaf, tensor, index in form.pairs:
        assert tensors[tensor].data[index] == leaf.data
        assert close(tensors[tensor].grad[index], leaf.grad), (tensor, index)


def printed(name: str, lang: str) -> str:
    out = Utf8Out()
    with contextlib.redirect_stdout(out):
        assert main(["code", name, "--lang", lang]) == 0
    return out.getvalue()


def run_as_printed(tmp_path, source: str) -> dict:
    """Run a program in a fresh interpreter; what it printed: {"C": cost, "dC/dW": gradient as nested lists, ...}."""
    path = tmp_path / "program.py"
    path.write_text(source, encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True, timeout=120).stdout
    return {key: ast.literal_eval(value) for key, value in (line.split(" = ", 1) for line in out.splitlines())}


def assert_prints_the_scalar_gradients(shown: dict, form) -> None:
    assert close(shown["C"], form.cost.data)
    for leaf, tensor, index in form.pairs:
        assert close(np.asarray(shown[f"dC/d{tensor}"])[index], leaf.grad), (tensor, index)


@pytest.mark.parametrize("lang", ["numpy", "torch"])
@pytest.mark.parametrize("name", NAMES)
def test_chainrule_code_prints_a_program_that_runs_and_gives_the_scalar_gradients(tmp_path, name, lang):
    if lang == "torch":
        pytest.importorskip("torch")
    source = printed(name, lang)
    assert source.startswith(f"# lesson {name}: ")
    assert_prints_the_scalar_gradients(run_as_printed(tmp_path, source), lessons.load(name).tensors())


@pytest.mark.parametrize("lang", ["numpy", "torch"])
@pytest.mark.parametrize("name, params", [c for c in CASES if c[1] and c[0] in ("conv", "recurrent")],
                         ids=[i for i, c in zip(IDS, CASES) if c[1] and c[0] in ("conv", "recurrent")])
def test_other_strides_paddings_and_lengths_give_programs_that_run(tmp_path, name, params, lang):
    if lang == "torch":
        pytest.importorskip("torch")
    form = lessons.load(name).tensors(**params)
    source = numpy_program(form.loss).source if lang == "numpy" else torch_program(form.loss).source
    assert_prints_the_scalar_gradients(run_as_printed(tmp_path, source), form)


def test_the_convolution_is_one_line_and_its_backward_the_engine_s_rule_written_out():
    source = printed("conv", "numpy")
    assert "o = conv1d(x, W, b, stride=1, padding=0)" in source
    assert "d_W = (windows(x, 3, 1, 0, 1).reshape(4, 3).T @ d_o.reshape(4, 1)).reshape(3, 1, 1)" in source
    assert "d_b = np.ones(4) @ d_o.reshape(4, 1)" in source
    assert "conv1d_input_gradient" not in source  # the signal is data: no ∂C/∂x to write
    torch = printed("conv", "torch")
    assert "torch.nn.functional.conv1d(x.transpose(1, 2), W.permute(2, 1, 0), b, stride=1, padding=0)" in torch


def test_the_recurrence_is_unrolled_and_w_s_paths_meet_at_every_step():
    source = printed("recurrent", "numpy")
    assert "z1 = w * h0 + u * x1" in source and "h20 = np.tanh(z20)" in source
    assert "d_z19 = d_z20 * w * (1.0 - h19 * h19)" in source  # ∂C/∂hₜ₋₁ = ∂C/∂hₜ · w·tanh′: one link back
    assert source.count("d_w = d_w + ") == 19  # one path per time step, and they add

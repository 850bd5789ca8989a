"""`chainrule code LESSON --lang python|numpy|torch`: every emitted program runs as printed and gives the gradients."""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from chainrule import lessons
from chainrule.cli import main
from chainrule.gradcheck import graph_parameters


class Utf8Out(io.StringIO):
    encoding = "utf-8"  # a terminal that shows Unicode (a bare StringIO says nothing, and gets ASCII)


def printed(*argv) -> str:
    out = Utf8Out()
    with contextlib.redirect_stdout(out):
        assert main(["code", *argv]) == 0
    return out.getvalue()


def execute(source: str) -> dict:
    """Run the printed program as a script would run, its own prints silenced; its namespace afterwards."""
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "<chainrule code>", "exec"), namespace)  # noqa: S102 - the program under test
    return namespace


def bits(x) -> bytes:
    return struct.pack("<d", float(x))


def scalar_gradients(cost) -> list[float]:
    for node in cost.nodes():
        node.grad = 0.0
    cost.backward()
    return [p.grad for p in graph_parameters(cost)]


@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_the_python_program_of_every_lesson_reproduces_the_engine_bit_for_bit(name):
    namespace = execute(printed(name, "--lang", "python"))
    cost = lessons.graph(name)
    expected = scalar_gradients(cost)
    got = list(namespace["gradients"].values())
    assert [bits(g) for g in got] == [bits(g) for g in expected]
    assert bits(namespace["C"]) == bits(cost.data)  # every lesson labels its cost C


def tensor_form(name: str):
    """Lesson ``name``'s tensor form (``Lesson.tensors``), with its default numbers."""
    return lessons.load(name).tensors()


def test_every_lesson_has_a_tensor_form_so_every_lesson_has_its_numpy_and_torch_programs():
    assert [name for name, lesson in lessons.LESSONS.items() if lesson.tensors is None] == []


@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_the_numpy_program_of_every_lesson_reproduces_the_tensor_engine_exactly(name):
    namespace = execute(printed(name, "--lang", "numpy"))
    network = tensor_form(name)
    tensors = {}
    stack = [network.loss]
    while stack:
        t = stack.pop()
        if not t._parents and t.requires_grad:
            tensors[t.name] = t
        stack.extend(t._parents)
    network.loss.backward()
    grads = namespace["gradients"]
    assert set(grads) == set(tensors)
    for key, t in tensors.items():
        assert np.array_equal(np.asarray(grads[key]), t.grad), key
    # and the lesson's own scalar engine, entry by entry
    expected = dict(zip(map(id, graph_parameters(network.cost)), scalar_gradients(network.cost)))
    for leaf, tensor_name, index in network.pairs:
        assert abs(grads[tensor_name][index] - expected[id(leaf)]) <= 1e-12 * (1 + abs(expected[id(leaf)]))


@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_the_torch_program_of_every_lesson_reproduces_the_engine_to_1e_12(name):
    pytest.importorskip("torch")
    source = printed(name, "--lang", "torch")
    assert "C.backward()" in source and "requires_grad=True" in source
    namespace = execute(source)
    network = tensor_form(name)
    expected = dict(zip(map(id, graph_parameters(network.cost)), scalar_gradients(network.cost)))
    for leaf, tensor_name, index in network.pairs:
        got = namespace[tensor_name].grad.numpy()[index]
        assert abs(got - expected[id(leaf)]) <= 1e-12 * (1 + abs(expected[id(leaf)])), (tensor_name, index)


def test_the_wide_network_in_numpy_is_the_matrix_form_of_backprop():
    source = printed("wide", "--lang", "numpy")
    assert "z1 = x @ W1 + b1" in source
    assert "d_z1 = (d_z2 @ W2.T) * (a1 * (1.0 - a1))" in source
    assert "d_W1 = x.T @ d_z1" in source and "d_b1 = d_z1.sum(axis=0)" in source
    relu = printed_with(["wide", "--activation", "relu"], "numpy")
    assert "d_z1 = (d_z2 @ W2.T) * (z1 > 0)" in relu


def printed_with(lesson_args, lang):
    """A lesson with other parameters: the library call, as the command would print it."""
    from chainrule.codegen.numpy_code import numpy_program

    name, *rest = lesson_args
    params = {rest[k].lstrip("-"): rest[k + 1] for k in range(0, len(rest), 2)}
    return numpy_program(lessons.load(name).tensors(**params).loss).source


def test_the_video_in_python_shows_each_edge_with_its_factor():
    source = printed("simplest")
    assert "g_w += g_a * i" in source and "# ∂a/∂w = i" in source
    assert "C, gradients = backprop(i=1.5, y=0.8, w=0.8)" in source


def test_a_program_runs_as_printed_in_a_fresh_interpreter(tmp_path):
    path = tmp_path / "wide.py"
    path.write_text(printed("wide", "--lang", "numpy"), encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.startswith("C = ") and "dC/dW1 = [[" in out


def test_json_gives_the_program_and_its_parameters():
    data = json.loads(printed("batch", "--lang", "numpy", "--format", "json"))
    assert data["lesson"] == "batch" and data["lang"] == "numpy" and data["parameters"] == ["w"]
    assert "def backprop(" in data["code"]


def test_an_ascii_terminal_gets_a_program_that_still_runs(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    out = subprocess.run([sys.executable, "-m", "chainrule.cli", "code", "wide"], capture_output=True, env=env,
                         timeout=120, check=True).stdout
    text = out.decode("ascii")
    assert "# dC/d" in text or "# d" in text
    namespace = execute(text)
    assert namespace["gradients"] == execute(printed("wide"))["gradients"]


def test_an_unknown_lesson_or_language_is_one_line_and_exit_2(capsys):
    assert main(["code", "nope"]) == 2
    assert main(["code", "simplest", "--lang", "fortran"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "invalid choice" in err

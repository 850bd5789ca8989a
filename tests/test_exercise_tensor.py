"""Tensor gradients by hand (issue 23 §10): a learner's numpy backward pass of a linear layer and softmax
cross-entropy, marked array by array against the tensor engine, with the usual mistakes named."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.exercises import tensor_softmax
from chainrule.user_code import UserCodeError

RIGHT = {
    "dlogits": "dlogits = probs.copy(); dlogits[np.arange(N), y] -= 1; dlogits /= N",
    "dW": "dW = X.T @ dlogits + 2 * lam * W",
    "db": "db = dlogits.sum(axis=0)",
    "dX": "dX = dlogits @ W.T",
}


def learner_file(tmp_path, seed: int, **answers: str) -> str:
    """The template of ``seed`` with the four answers filled in (the right ones unless given)."""
    text = tensor_softmax.template(tensor_softmax.build(seed))
    for name in tensor_softmax.NAMES:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{name} = None"))
        text = text.replace(line, answers.get(name, RIGHT[name]))
    path = tmp_path / "mine.py"
    path.write_text(text, encoding="utf-8")
    return str(path)


def marks_of(tmp_path, seed=3, **answers):
    ex = tensor_softmax.build(seed)
    return {m.name: m for m in tensor_softmax.check(ex, learner_file(tmp_path, seed, **answers)).marks}


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_the_engine_s_gradients_are_the_textbook_formulas():
    ex = tensor_softmax.build(7)
    logits = ex.X @ ex.W + ex.b
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dlogits = (p - np.eye(3)[ex.y]) / len(ex.y)
    assert np.allclose(ex.gradients["dlogits"], dlogits, rtol=1e-12, atol=1e-15)
    assert np.allclose(ex.gradients["dW"], ex.X.T @ dlogits + 2 * ex.lam * ex.W, rtol=1e-12, atol=1e-15)
    assert np.allclose(ex.gradients["db"], dlogits.sum(axis=0), rtol=1e-12, atol=1e-15)
    assert np.allclose(ex.gradients["dX"], dlogits @ ex.W.T, rtol=1e-12, atol=1e-15)


def test_a_right_file_scores_every_array_from_the_command_line(tmp_path):
    path = learner_file(tmp_path, 3)
    code, out, err = run("exercise", "tensor-softmax", "--seed", "3", "--answers", path, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["score"] == {"right": 4, "total": 4}


@pytest.mark.parametrize("seed", [0, 1, 2, 11])
def test_the_missing_one_over_n_is_named(tmp_path, seed):
    marks = marks_of(tmp_path, seed, dlogits="dlogits = probs.copy(); dlogits[np.arange(N), y] -= 1")
    assert not marks["dlogits"].correct and "1/N is missing" in marks["dlogits"].why


def test_w_transposed_is_named(tmp_path):
    marks = marks_of(tmp_path, dW="dW = dlogits.T @ X + 2 * lam * W.T")
    assert not marks["dW"].correct and "transposed" in marks["dW"].why and "X.T @ dlogits" in marks["dW"].why


def test_a_sum_over_the_wrong_axis_is_named(tmp_path):
    marks = marks_of(tmp_path, db="db = dlogits.sum(axis=1)")
    assert not marks["db"].correct and "wrong axis" in marks["db"].why and "axis=0" in marks["db"].why


@pytest.mark.parametrize("answer, kept", [("dW = X.T @ dlogits", "only X.T @ dlogits"),
                                          ("dW = X.T @ dlogits\ndW = 2 * lam * W", "only 2·lam·W")])
def test_a_gradient_overwritten_where_the_tensor_is_used_twice_is_named(tmp_path, answer, kept):
    marks = marks_of(tmp_path, dW=answer)
    assert not marks["dW"].correct and kept in marks["dW"].why and "used twice" in marks["dW"].why
    assert marks["dlogits"].correct and marks["db"].correct and marks["dX"].correct  # the others are still right


def test_any_other_wrong_answer_says_how_many_entries_differ(tmp_path):
    marks = marks_of(tmp_path, dX="dX = dlogits @ W.T + 0.01")
    assert not marks["dX"].correct and "8 of 8 entries differ" in marks["dX"].why


@pytest.mark.parametrize("source, says", [
    ("dW = undefined_name", "NameError"),
    ("X = X * 2", "changed X"),
    ("dX = 'text'", "not an array of numbers"),
])
def test_a_file_that_fails_is_one_line_and_exit_2(tmp_path, source, says):
    path = learner_file(tmp_path, 3)
    with open(path, "a", encoding="utf-8") as f:
        f.write(source + "\n")
    code, out, err = run("exercise", "tensor-softmax", "--seed", "3", "--answers", path)
    assert code == 2 and says in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_file_that_never_ends_is_stopped_at_the_time_limit(tmp_path):
    path = learner_file(tmp_path, 3, dX="while True:\n    pass")
    with pytest.raises(UserCodeError, match="did not finish within 2 s"):
        tensor_softmax.check(tensor_softmax.build(3), path, time_limit=2)


def test_the_template_runs_as_given_and_the_key_prints_numpy():
    code, out, _ = run("exercise", "tensor-softmax", "--seed", "5", "--template")
    assert code == 0 and "dW = None" in out and "W is used twice" in out
    compile(out, "template.py", "exec")
    code, out, _ = run("exercise", "tensor-softmax", "--seed", "5", "--key")
    assert code == 0 and "dW = X.T @ dlogits + 2 * lam * W" in out
    code, _, err = run("exercise", "tensor-softmax", "--answers", "mine.py")
    assert code == 2 and "--seed" in err

"""Checking a learner's own backward pass: `check_function` and `chainrule check --fn FILE.py:GRAD`."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pytest

import chainrule
from chainrule.cli import main
from chainrule.handwritten import HandwrittenCodeError, check_file, check_function

X1, X2, Y = 1.5, 0.5, 0.8


def video_forward(p):
    return (1.5 * p["w"] - 0.8) ** 2


def two_paths_forward(p):
    """One weight, two paths: a = w·x₁ + w·x₂ (the weight is used twice), C = (a − y)²."""
    return (p["w"] * X1 + p["w"] * X2 - Y) ** 2


def two_paths_right(p):
    a = p["w"] * X1 + p["w"] * X2
    return {"w": 2 * (a - Y) * X1 + 2 * (a - Y) * X2}


def test_a_right_gradient_agrees_with_backprop_and_finite_differences():
    report = check_function(video_forward, lambda p: {"w": 2 * (1.5 * p["w"] - 0.8) * 1.5}, at={"w": 0.8})
    assert report.ok
    (entry,) = report.entries
    assert entry.given == entry.backprop == pytest.approx(1.2) and abs(entry.numeric - 1.2) < 1e-8
    assert "the 1 entry agrees" in str(report)


def test_chainrule_check_function_is_the_same_function():
    assert chainrule.check_function is check_function


def test_a_path_left_out_is_named():
    def grad(p):  # forgets the path through w·x₂
        a = p["w"] * X1 + p["w"] * X2
        return {"w": 2 * (a - Y) * X1}

    report = check_function(two_paths_forward, grad, at={"w": 0.3})
    (entry,) = report.entries
    assert not report.ok and not entry.ok
    why = report.why(entry)
    assert "you left out the path through" in why and "the chain rule adds every path" in why
    assert "0.5" in why or "x" in why


def test_a_path_counted_twice_and_a_factor_two_are_named():
    def twice(p):
        a = p["w"] * X1 + p["w"] * X2
        return {"w": 2 * (a - Y) * X1 * 2 + 2 * (a - Y) * X2}

    report = check_function(two_paths_forward, twice, at={"w": 0.3})
    why = report.why(report.entries[0])
    assert why.startswith("did you count the path through") and why.endswith("twice?")

    def doubled(p):
        return {"w": 2 * two_paths_right(p)["w"]}

    report = check_function(two_paths_forward, doubled, at={"w": 0.3})
    assert report.why(report.entries[0]).startswith("off by a factor 2")


def test_a_dropped_two_and_a_flipped_sign_are_named():
    half = check_function(video_forward, lambda p: {"w": (1.5 * p["w"] - 0.8) * 1.5}, at={"w": 0.8})
    assert "drop the 2 of a square" in half.why(half.entries[0])
    sign = check_function(video_forward, lambda p: {"w": 2 * (0.8 - 1.5 * p["w"]) * 1.5}, at={"w": 0.8})
    assert "the sign is flipped" in sign.why(sign.entries[0])


def test_each_wrong_entry_is_named_with_the_chain_rule_product_backprop_computed():
    (entry,) = check_function(video_forward, lambda p: {"w": 0.0}, at={"w": 0.8}).entries
    line = entry.line()
    assert line.startswith("∂C/∂w: you gave 0, backprop gives 1.2 = δ · ∂z/∂p = 0.8 · 1.5")  # 2(a − y) · i
    assert "you gave 0: every path" in line


def matrix_forward(p):
    """z = W x (W is 2×3, a numpy array), C = Σ (z − t)²."""
    W = p["W"]
    x, t = [1.0, -2.0, 0.5], [0.3, -0.1]
    total = 0.0
    for j in range(2):
        z = W[j][0] * x[0] + W[j][1] * x[1] + W[j][2] * x[2]
        total = total + (z - t[j]) ** 2
    return total


def matrix_right(p):
    W = np.asarray(p["W"], dtype=float)
    x, t = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.1])
    return {"W": np.outer(2 * (W @ x - t), x)}


def test_a_transposed_matrix_is_named():
    W = np.array([[0.1, -0.4, 0.7], [0.2, 0.5, -0.3]])
    assert check_function(matrix_forward, matrix_right, at={"W": W}).ok
    report = check_function(matrix_forward, lambda p: {"W": matrix_right(p)["W"].T}, at={"W": W})
    assert not report.ok
    assert any("transposed?" in note for note in report.notes)
    assert all("transpose of the right one" in report.why(e) for e in report.entries if not e.ok)
    square = np.array([[0.1, -0.4], [0.2, 0.5]])

    def forward(p):
        x = [1.0, -2.0]
        return sum((p["W"][j][0] * x[0] + p["W"][j][1] * x[1]) ** 2 for j in range(2))

    def right(p):
        W = np.asarray(p["W"])
        return {"W": np.outer(2 * (W @ [1.0, -2.0]), [1.0, -2.0])}

    report = check_function(forward, lambda p: {"W": right(p)["W"].T}, at={"W": square})
    assert [e.ok for e in report.entries] == [True, False, False, True]  # the diagonal is right either way
    assert all("transpose" in report.why(e) for e in report.entries if not e.ok)


def test_a_forward_that_hides_its_work_from_the_graph_falls_back_to_finite_differences():
    def forward(p):
        return math.exp(p["w"]) * 2.0  # math.exp turns a Value into a float: no graph

    report = check_function(forward, lambda p: {"w": 2.0 * math.exp(p["w"])}, at={"w": 0.3})
    assert report.ok and report.entries[0].backprop is None
    assert any("finite differences are the reference" in note for note in report.notes)


def test_bad_parameters_and_bad_gradients_are_clear_errors():
    with pytest.raises(chainrule.InvalidValueError, match="non-empty dict"):
        check_function(video_forward, lambda p: {}, at=[0.8])
    with pytest.raises(chainrule.InvalidValueError, match="must hold finite numbers"):
        check_function(video_forward, lambda p: {}, at={"w": math.nan})
    with pytest.raises(chainrule.InvalidValueError, match="must return a dict"):
        check_function(video_forward, lambda p: 1.2, at={"w": 0.8})
    report = check_function(video_forward, lambda p: {"v": 1.2}, at={"w": 0.8})
    assert not report.ok and "your grad gives no gradient for 'w'" in report.notes


# ------------------------------------------------------------------ the command line, in its own process
def write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


RIGHT = """
    params = {"w": 0.8}

    def forward(params):
        a = 1.5 * params["w"]
        return (a - 0.8) ** 2

    def grad(params):
        a = 1.5 * params["w"]
        return {"w": 2 * (a - 0.8) * 1.5}
"""


def test_the_command_exits_0_when_every_entry_agrees(tmp_path, capsys):
    path = write(tmp_path, "my_backprop.py", RIGHT)
    assert main(["check", "--fn", f"{path}:grad"]) == 0
    out = capsys.readouterr().out
    assert "w" in out and "the 1 entry agrees" in out


def test_the_command_exits_1_and_names_the_wrong_entry(tmp_path, capsys):
    path = write(tmp_path, "mine.py", RIGHT.replace("2 * (a - 0.8) * 1.5", "(a - 0.8) * 1.5"))
    assert main(["check", "--fn", f"{path}:grad", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and report["entries"][0]["cause"] == 0 and "drop the 2" in report["causes"][0]["text"]


def test_a_crash_in_the_user_s_code_is_one_line_naming_its_line(tmp_path, capsys):
    path = write(tmp_path, "crash.py", RIGHT.replace('return {"w": 2 * (a - 0.8) * 1.5}', "return {'w': 1 / 0}"))
    assert main(["check", "--fn", f"{path}:grad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "crash.py, line 10, in grad: ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err


def test_a_hang_in_the_user_s_code_ends_at_the_time_limit(tmp_path):
    path = write(tmp_path, "hang.py", RIGHT.replace("a = 1.5 * params[\"w\"]\n        return {", "while True:\n"
                                                    "            pass\n        return {"))
    with pytest.raises(HandwrittenCodeError, match="did not finish within 4 s"):
        check_file(str(path), "grad", time_limit=4)


def test_a_file_that_exits_or_lacks_what_is_needed_is_one_line(tmp_path, capsys):
    exits = write(tmp_path, "exits.py", "import sys\nsys.exit(3)\n")
    lacks = write(tmp_path, "lacks.py", "def forward(p):\n    return 0.0\n")
    dies = write(tmp_path, "dies.py", textwrap.dedent(RIGHT) + "\nimport os\nos._exit(7)\n")
    assert main(["check", "--fn", f"{exits}:grad"]) == 2
    assert main(["check", "--fn", f"{lacks}:grad"]) == 2
    assert main(["check", "--fn", f"{dies}:grad"]) == 2
    assert main(["check", "--fn", "nothing-here.py:grad"]) == 2
    assert main(["check", "--fn", "no_colon.py"]) == 2
    assert main(["check", "simplest", "--fn", f"{lacks}:grad"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 6
    assert "called exit()" in err[0]
    assert "defines no function 'grad'" in err[1]
    assert "stopped the interpreter (exit code 7)" in err[2]
    assert "no such file" in err[3] and "FILE.py:FUNCTION" in err[4] and "not both" in err[5]

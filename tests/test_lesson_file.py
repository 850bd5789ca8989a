"""A teacher's own lesson from one Python file gets every view chainrule has (issue 22 §2).

The docs page's example (docs/own-lesson/tanh_neuron.py) runs through every command; lesson files of the tests'
own have parameters named as no built-in lesson names them (beta, v0, theta) and a given named like a weight
(w_fixed): what is a parameter comes from ``parameter(...)``, never from a name. Bad files end in one line and
exit 2.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import textwrap

import httpx
import pytest

from chainrule import lessons
from chainrule.cli import main
from chainrule.gradcheck import graph_parameters, is_parameter

from live_server import LiveServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "docs", "own-lesson", "tanh_neuron.py")

# parameters named beta, v0 and theta, a given named w_fixed (a weight's name, but not a parameter)
NAMES = textwrap.dedent('''
    from chainrule import lesson, parameter


    @lesson("Names that are not w or b", name="names")
    def names(x=0.8, beta=0.5, v0=-0.4, theta=1.1, w_fixed=0.7, y=0.2, learning_rate=0.05, steps=3):
        beta, v0, theta = parameter(beta, "beta"), parameter(v0, "v0"), parameter(theta, "theta")
        z = (beta * x + v0 * w_fixed).named("z")
        a = (z.tanh() * theta).named("a")
        return ((a - y) ** 2).named("C")
''')


class Utf8Out(io.StringIO):
    encoding = "utf-8"


@pytest.fixture(autouse=True)
def ladder_restored():
    """Each test registers its files' lessons; the ladder is as it was afterwards (tests run in any order)."""
    before = dict(lessons.LESSONS)
    yield
    lessons.LESSONS.clear()
    lessons.LESSONS.update(before)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = Utf8Out(), Utf8Out()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def ok(*argv: str) -> str:
    code, out, err = run(*argv)
    assert code == 0, err
    return out


def write(tmp_path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return str(path)


def backprop(x=0.5, w=-1.2, b=0.3, y=1.0) -> tuple[float, float, float]:
    """The example's cost and gradients, by hand: C = (tanh(wx + b) − y)², ∂C/∂w = 2(a − y)(1 − a²)·x."""
    a = math.tanh(w * x + b)
    dz = 2 * (a - y) * (1 - a * a)
    return (a - y) ** 2, dz * x, dz


# ------------------------------------------------------------------------------------------ the example
def test_the_example_explains_every_parameters_chain_rule_with_its_numbers_and_descends():
    data = json.loads(ok("lesson", "--file", EXAMPLE, "--format", "json"))
    C, dw, db = backprop()
    assert data["lesson"] == "tanh_neuron" and data["title"] == "A tanh neuron with a bias"
    assert data["numbers"] == {"x": 0.5, "w": -1.2, "b": 0.3, "y": 1.0, "learning_rate": 0.1, "steps": 5}
    assert data["gradients"]["w"] == pytest.approx(dw, rel=1e-12)
    assert data["gradients"]["b"] == pytest.approx(db, rel=1e-12)
    steps = data["steps"]
    assert [s["step"] for s in steps] == [0, 1, 2, 3, 4, 5]
    assert steps[0]["cost"] == pytest.approx(C, rel=1e-12)
    w1 = -1.2 - 0.1 * dw
    assert steps[1]["parameters"]["w"] == pytest.approx(w1, rel=1e-12)  # one step: w − lr·∂C/∂w
    assert all(later["cost"] < earlier["cost"] for earlier, later in zip(steps, steps[1:]))  # it descends
    paths = {p["name"]: p for p in data["derivation"]["parameters"]}
    assert paths["w"]["closed_form"] is not None  # sympy finished: the closed form is there
    text = ok("lesson", "--file", EXAMPLE)
    assert "∂C/∂w = −1.18173" in text and "closed form, sympy" in text and "Gradient descent" in text


def test_the_keyword_defaults_are_the_options():
    data = json.loads(ok("lesson", "--file", EXAMPLE, "--x", "0.7", "--lr", "0.2", "--steps", "2", "--format", "json"))
    assert data["numbers"]["x"] == 0.7 and data["learning_rate"] == 0.2 and len(data["steps"]) == 3
    assert data["gradients"]["w"] == pytest.approx(backprop(x=0.7)[1], rel=1e-12)
    code, _, err = run("lesson", "--file", EXAMPLE, "--x", "nan")
    assert code == 2 and err.count("\n") == 1 and "--x" in err
    code, _, err = run("lesson", "--file", EXAMPLE, "--lr", "-1")
    assert code == 2 and "learning" in err or "--lr" in err


def test_the_same_json_shape_as_a_built_in_lesson():
    own = json.loads(ok("lesson", "--file", EXAMPLE, "--format", "json"))
    for key in ("lesson", "title", "sections", "derivation", "steps", "stopped"):
        assert key in own
    assert set(own["steps"][0]) == {"step", "cost", "parameters", "gradients", "ranking"}


def test_the_example_exercise_its_key_and_its_marking(tmp_path):
    questions = json.loads(ok("exercise", "--file", EXAMPLE, "--seed", "3", "--format", "json"))
    ids = [q["id"] for q in questions["questions"]]
    assert {"C", "dC/dw", "dC/db", "w_new", "b_new"} <= set(ids)
    key = json.loads(ok("exercise", "--file", EXAMPLE, "--seed", "3", "--key", "--format", "json"))
    answers = {q["id"]: q["answer"] for q in key["key"]}
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(answers), encoding="utf-8")
    marked = json.loads(ok("exercise", "--file", EXAMPLE, "--seed", "3", "--answers", str(mine), "--format", "json"))
    assert marked["score"] == {"right": len(ids), "total": len(ids)}


def test_the_example_worksheet_slides_and_graph(tmp_path):
    ok("worksheet", "--file", EXAMPLE, "--students", "2", "--out", str(tmp_path / "sheets"))
    assert (tmp_path / "sheets" / "key.csv").read_text(encoding="utf-8").count("tanh_neuron") >= 2
    ok("slides", "--file", EXAMPLE, "--seed", "1", "--out", str(tmp_path / "deck.html"))
    assert "A tanh neuron with a bias" in (tmp_path / "deck.html").read_text(encoding="utf-8")
    ok("graph", "--file", EXAMPLE, "--out", str(tmp_path / "graph.svg"))
    assert (tmp_path / "graph.svg").read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize("lang", ["python", "numpy", "torch"])
def test_the_example_as_a_program_runs_as_printed_and_prints_backprops_numbers(tmp_path, lang):
    if lang == "torch":
        pytest.importorskip("torch")
    program = tmp_path / f"tanh_{lang}.py"
    program.write_text(ok("code", "--file", EXAMPLE, "--lang", lang), encoding="utf-8")
    shown = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=120, check=True)
    printed = dict(line.split(" = ") for line in shown.stdout.strip().splitlines())
    C, dw, db = backprop()
    assert float(printed["C"]) == pytest.approx(C, rel=1e-12)
    assert float(printed["dC/dw"]) == pytest.approx(dw, rel=1e-12)
    assert float(printed["dC/db"]) == pytest.approx(db, rel=1e-12)


def test_the_example_is_animated_edge_by_edge(tmp_path):
    from PIL import Image

    film = tmp_path / "tanh.gif"
    ok("animate", "--file", EXAMPLE, "--out", str(film), "--fps", "4")
    edges = len(lessons.load("tanh_neuron").graph().nodes())  # registered by the command, for this test
    with Image.open(film) as gif:
        assert gif.n_frames > edges  # the forward pass, one frame per edge of the backward pass, then the descent


def test_the_example_is_checked_against_finite_differences_and_pytorch():
    out = ok("check", "--file", EXAMPLE)
    rows = [line.split() for line in out.splitlines()]
    checked = [row[0] for row in rows if row and row[-1] == "ok" and row[0] != "parameter"]
    assert "finite differences" in out and "PyTorch" in out and checked == ["w", "b", "w", "b"]


def test_the_example_runs_in_a_fresh_interpreter_as_the_docs_show():
    shown = subprocess.run([sys.executable, "-m", "chainrule.cli", "lesson", "--file", EXAMPLE, "--steps", "1"],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "A tanh neuron with a bias" in shown.stdout


# ---------------------------------------------------------------------------------- parameters by name
def test_what_is_a_parameter_comes_from_parameter_never_from_a_name(tmp_path):
    path = write(tmp_path, "names.py", NAMES)
    data = json.loads(ok("lesson", "--file", path, "--format", "json"))
    assert list(data["gradients"]) == ["beta", "v0", "theta"]  # w_fixed is a given, however it is named
    lesson = lessons.load("names")
    cost = lesson.graph()
    leaves = {n.label: n for n in cost.nodes() if not n.inputs}
    assert [label for label, n in leaves.items() if is_parameter(n)] == ["beta", "v0", "theta"]
    assert not is_parameter(leaves["w_fixed"])
    steps = data["steps"]
    assert set(steps[-1]["parameters"]) == {"beta", "v0", "theta"}
    assert steps[1]["parameters"]["beta"] == pytest.approx(0.5 - 0.05 * data["gradients"]["beta"], rel=1e-12)


def test_every_view_of_a_lesson_with_such_names(tmp_path):
    path = write(tmp_path, "names.py", NAMES)
    key = json.loads(ok("exercise", "--file", path, "--seed", "5", "--key", "--format", "json"))
    asked = {q["id"] for q in key["key"]}
    assert {"dC/dbeta", "dC/dv0", "dC/dtheta"} <= asked and not any("w_fixed" in q and q.startswith("dC/") for q in asked)
    for lang in ("python", "numpy"):
        data = json.loads(ok("code", "--file", path, "--lang", lang, "--format", "json"))
        assert data["parameters"] == ["beta", "v0", "theta"], lang
    assert "ok" in ok("check", "--file", path, "--no-torch")
    ok("worksheet", "--file", path, "--students", "1", "--out", str(tmp_path / "w"))
    ok("slides", "--file", path, "--seed", "2", "--out", str(tmp_path / "s.html"))
    ok("graph", "--file", path, "--out", str(tmp_path / "g.svg"))


def test_a_lesson_is_a_lesson_in_the_library_too(tmp_path):
    from chainrule.lessons.from_file import load_file

    lesson = load_file(write(tmp_path, "names.py", NAMES))
    assert lessons.load("names") is lesson and lesson.source.endswith("names.py")
    cost = lesson.graph(x=0.3)
    assert [p.label for p in graph_parameters(cost)] == ["beta", "v0", "theta"]
    tensors = lesson.tensors()
    tensors.loss.backward()
    assert float(tensors.loss.data) == pytest.approx(tensors.cost.data, rel=1e-15)


# ------------------------------------------------------------------------------------------ bad files
BAD = {
    "returns_nothing.py": ("""
        from chainrule import lesson, parameter
        @lesson("nothing")
        def f(x=1.0, w=2.0):
            w = parameter(w, "w")
            a = w * x
        """, "returned nothing"),
    "no_parameter.py": ("""
        from chainrule import lesson
        @lesson("no parameter")
        def f(x=1.0, w=2.0):
            return (w * x) ** 2
        """, "no parameter"),
    "two_numbers.py": ("""
        from chainrule import lesson, parameter
        @lesson("two numbers")
        def f(x=1.0, w=2.0):
            w = parameter(w, "w")
            return [w * x, w]
        """, "not one number"),
    "plain_number.py": ("""
        from chainrule import lesson, parameter
        @lesson("a plain number")
        def f(x=1.0, w=2.0):
            parameter(w, "w")
            return 0.5
        """, "the plain number 0.5"),
    "word_default.py": ("""
        from chainrule import lesson, parameter
        @lesson("a word")
        def f(x="one", w=2.0):
            return parameter(w, "w") * x
        """, "the default of 'x' is 'one', not a number"),
    "raises.py": ("""
        from chainrule import lesson, parameter
        @lesson("raises")
        def f(x=1.0, w=2.0):
            w = parameter(w, "w")
            return {}["missing"] * w
        """, "line 6: KeyError"),
    "raises_on_import.py": ("""
        from chainrule import lesson
        1 / 0
        """, "line 3: ZeroDivisionError"),
    "syntax.py": ("""
        def broken(:
        """, "line 2: SyntaxError"),
    "no_lesson.py": ("""
        import chainrule
        """, "defines no lesson"),
    "literal_parameter.py": ("""
        from chainrule import lesson, parameter
        @lesson("literal")
        def f(x=1.0):
            return (parameter(0.3, "w") * x) ** 2
        """, "a number written in the function"),
}


@pytest.mark.parametrize("command", ["lesson", "code", "check", "exercise"])
@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_lesson_file_is_one_line_and_exit_2(tmp_path, name, command):
    source, says = BAD[name]
    path = write(tmp_path, name, source)
    code, out, err = run(command, "--file", path)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and says in err, err
    assert "Traceback" not in err


def test_a_file_that_is_not_a_python_file_or_not_a_regular_file_is_refused(tmp_path):
    text = tmp_path / "lesson.txt"
    text.write_text("x = 1\n", encoding="utf-8")
    for path, says in ((str(text), "ending in .py"), (str(tmp_path / "absent.py"), "no such file")):
        code, _, err = run("lesson", "--file", path)
        assert code == 2 and says in err and err.count("\n") == 1
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    shown = subprocess.run([sys.executable, "-m", "chainrule.cli", "lesson", "--file", str(fifo)],
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 2 and "not a regular file" in shown.stderr


def test_a_file_lesson_cannot_take_a_built_in_name(tmp_path):
    path = write(tmp_path, "clash.py", NAMES.replace('name="names"', 'name="simplest"'))
    code, _, err = run("lesson", "--file", path)
    assert code == 2 and "exists already" in err


# ------------------------------------------------------------------------------------------ the explorer
def test_serve_adds_the_lesson_file_to_the_step_through_and_the_exercises(tmp_path):
    path = write(tmp_path, "names.py", NAMES)
    server = LiveServer("--lesson-file", path)
    try:
        params = httpx.get(server.url + "/api/lessons/names/params", timeout=10).json()
        assert [p["name"] for p in params["params"]][:6] == ["x", "beta", "v0", "theta", "w_fixed", "y"]
        trace = httpx.post(server.url + "/api/backprop", json={"lesson": "names"}, timeout=30).json()
        kinds = {n["label"]: n["kind"] for n in trace["nodes"]}
        assert {k for k, v in kinds.items() if v == "parameter"} == {"beta", "v0", "theta"}
        assert kinds["w_fixed"] == "input"
        steps = httpx.post(server.url + "/api/exercise/steps", json={"lesson": "names"}, timeout=30)
        assert steps.status_code == 200, steps.text
    finally:
        server.stop()


def test_serve_refuses_a_bad_lesson_file_at_start_up(tmp_path):
    source, says = BAD["no_lesson.py"]
    path = write(tmp_path, "no_lesson.py", source)
    code, _, err = run("serve", "--port", "1", "--lesson-file", path)
    assert code == 2 and says in err and err.count("\n") == 1


# ------------------------------------------------------------------------------------------ the docs page
def test_the_docs_page_shows_the_example_file_and_what_it_prints():
    with open(os.path.join(ROOT, "docs", "own-lesson.md"), encoding="utf-8") as f:
        page = f.read()
    with open(EXAMPLE, encoding="utf-8") as f:
        assert f.read() in page  # the file the tests run is the file the page shows
    text = ok("lesson", "--file", EXAMPLE)
    for quoted in ("= (−2.58263) · 1 · 0.915137 · 1 · 0.5 = −1.18173",
                   "∂C/∂w = −1.18173   (backprop's accumulated gradient, = w.grad)"):
        assert quoted in page and quoted in text
    steps = json.loads(ok("lesson", "--file", EXAMPLE, "--format", "json"))["steps"]
    assert "C falls from 1.66749 to 0.186893 in five steps" in page
    assert (f"{steps[0]['cost']:.6g}", f"{steps[-1]['cost']:.6g}", len(steps) - 1) == ("1.66749", "0.186893", 5)

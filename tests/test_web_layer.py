"""The web layer holds HTTP; what the pages show is computed by the library (issue 22 §4).

* importing the step-through (``web.stepper``) imports neither FastAPI nor pydantic: it is not HTTP;
* the step-through and the playground are library code (``chainrule.stepthrough``, ``chainrule.playground``):
  they compute without the web layer, and the web layer reads a lesson only through its contract;
* the home page's stop line is the lesson's (``simplest.status_line``), by the request's own tolerance, and it
  never calls a far-away weight "at the minimum" because the slope is small (issue 24: i = 1e-8 said "at the
  minimum after 0 steps").
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import chainrule.web
from chainrule.lessons import simplest
from chainrule.web import create_app

WEB = Path(chainrule.web.__file__).resolve().parent


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def test_importing_the_step_through_imports_no_http_framework():
    code = ("import sys, chainrule.web.stepper as s; s.trace_lesson('simplest'); "
            "print(sorted(m for m in ('fastapi', 'pydantic', 'starlette') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_step_through_and_the_playground_compute_without_the_web_layer():
    code = ("import sys\n"
            "from chainrule.stepthrough.lesson import trace_lesson\n"
            "from chainrule.stepthrough.playground import trace\n"
            "from chainrule.playground.rebuild import Focus\n"
            "from chainrule.playground.setup import Setup\n"
            "from chainrule.playground.training import train\n"
            "trace_lesson('wide'); train(Setup(layers=(3,)), 5, 8, 4); trace(Setup(layers=(3,)), Focus('bias', 2, 1))\n"
            "print(sorted(m for m in sys.modules if m in ('fastapi', 'pydantic', 'starlette') "
            "or m.startswith('chainrule.web')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _lesson_modules_imported(path: Path) -> set[str]:
    """The lesson modules a file of chainrule.web imports (``from ..lessons import simplest`` and the like)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = ["chainrule", "web"][: 3 - node.level] if node.level else []  # .: chainrule.web, ..: chainrule
            module = ".".join(base + ([node.module] if node.module else []))
            if module == "chainrule.lessons":
                found |= {f"{module}.{a.name}" for a in node.names}
            elif module.startswith("chainrule.lessons."):
                found.add(module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("chainrule.lessons.")}
    return found


def test_the_web_layer_reads_a_lesson_only_through_the_contract():
    # the registry (``from .. import lessons``: lessons.load(name) -> Lesson) and the contract are all it may read
    allowed = {"chainrule.lessons.contract"}
    beyond = {f"{path.name}: {module}" for path in sorted(WEB.glob("*.py"))
              for module in _lesson_modules_imported(path) - allowed}
    assert not beyond, f"chainrule.web reads lessons beyond their contract: {sorted(beyond)}"


def test_a_tiny_input_s_flat_cost_is_not_called_the_minimum(client):
    d = client.post("/api/simplest", json={"input": 1e-8, "steps": 5}).json()
    line = d["stop_line"]
    assert not line.startswith("At the minimum") and "almost flat" in line and "from w* = y/i" in line, line


def test_the_stop_line_honours_the_request_s_tolerance(client):
    tight = client.post("/api/simplest", json={"steps": 100, "tolerance": 1e-9}).json()
    loose = client.post("/api/simplest", json={"steps": 100, "tolerance": 1e-3}).json()
    assert "< 1·10⁻⁹" in tight["stop_line"] and "< 0.001" in loose["stop_line"]
    assert tight["current"]["step"] > loose["current"]["step"]
    # the page says what the lesson says
    result = simplest.train(steps=100, tolerance=1e-3)
    assert loose["stop_line"] == simplest.status_line(result)


def test_a_page_that_steps_without_stopping_early_is_judged_by_the_lesson_s_tolerance(client):
    # the home page asks for exactly k steps (tolerance 0); where it stands is judged by the declared 1e-6
    d = client.post("/api/simplest", json={"steps": 60, "tolerance": 0}).json()
    assert d["current"]["step"] == 60 and d["stop_line"].startswith("At the minimum after 60 steps"), d["stop_line"]
    assert "< 1·10⁻⁶" in d["stop_line"]


def test_the_status_line_is_at_the_minimum_only_near_w_star():
    result = simplest.train(steps=200)
    assert simplest.status_line(result).startswith("At the minimum after")
    assert abs(result.weights[-1] - result.optimum_weight) <= simplest.AT_MINIMUM * abs(result.optimum_weight)
    early = simplest.train(steps=2)
    assert simplest.status_line(early).startswith("w* = y/i = 0.533333; the weight is")


def test_a_fresh_worker_process_computes_with_one_blas_thread():
    # the pool's initializer runs in a spawned interpreter that has not loaded numpy yet; the limit must still
    # reach OpenBLAS (it once limited nothing, and two workers ran two BLAS threads each on 2 cores)
    code = ("from chainrule.web.capacity import _one_blas_thread; _one_blas_thread(); "
            "import numpy; from threadpoolctl import threadpool_info; "
            "print(max((i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'), default=1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "1", out.stdout + out.stderr

"""The static explorer's API in the browser answers as ``chainrule serve`` does, without numpy, HTTP or pydantic.

``chainrule.static_explorer.answers`` is what the pages of the static folder
call instead of a server (in Pyodide). Each request below goes to both back
ends, the FastAPI app and ``answer``, and the two answers must be the same
JSON: one front end, two back ends, one set of numbers. Refusals keep the
server's shape (422 and one line naming the value). And the module imports
with numpy, matplotlib, rich, Graphviz's Python package, FastAPI and pydantic
all blocked, as in the browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from chainrule.static_explorer.answers import MAX_BODY, NO_PLAYGROUND, answer

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from chainrule.web import create_app  # noqa: E402

SAME = [
    ("POST", "/api/simplest", {"input": 2, "weight": 0.3, "target": 1}),
    ("POST", "/api/simplest", {"input": 1.5, "weight": 0.8, "target": 0.8, "learning_rate": 0.1, "steps": 7}),
    ("POST", "/api/backprop", {"lesson": "wide"}),
    ("POST", "/api/backprop", {"lesson": "recurrent"}),
    ("POST", "/api/exercise/questions", {"lesson": "chain", "seed": 4}),
    ("POST", "/api/exercise/steps", {"lesson": "simplest", "seed": 3}),
    ("POST", "/api/exercise/check", {"lesson": "simplest", "seed": 3, "question": "dC/dw", "answer": "2*(i*w-y)*i"}),
    ("POST", "/api/exercise/check", {"lesson": "simplest", "question": "edge:1", "answer": "1.2"}),
    ("POST", "/api/exercise/check", {"lesson": "simplest", "question": "edge:1", "answer": "99"}),
    ("POST", "/api/exercise/check", {"lesson": "activation", "seed": 3, "question": "edge:2", "answer": "0.5",
                                     "earlier": [{"question": "node:1", "answer": "1"}]}),
    ("POST", "/api/exercise/check", {"lesson": "simplest", "question": "edge:1", "answer": "1",
                                     "earlier": [{"question": "edge:9", "answer": "1"}]}),
    ("POST", "/api/exercise/check", {"lesson": "simplest", "question": "edge:1", "answer": "1",
                                     "earlier": [{"question": "node:1", "answer": "1"}] * 2}),
    ("GET", "/api/lessons/simplest/params", None),
]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://127.0.0.1") as c:
        yield c


@pytest.mark.parametrize("method,path,body", SAME, ids=[f"{m} {p} {json.dumps(b)}" for m, p, b in SAME])
def test_the_browser_answers_as_the_server_does(client, method, path, body):
    served = client.request(method, path, json=body)
    status, text = answer(method, path, "" if body is None else json.dumps(body))
    assert (status, json.loads(text)) == (served.status_code, served.json())


def test_limits_name_the_lessons_the_server_names(client):
    served = client.get("/api/limits").json()
    status, text = answer("GET", "/api/limits")
    mine = json.loads(text)
    assert status == 200
    assert mine["lessons"] == served["lessons"] and mine["exercise_lessons"] == served["exercise_lessons"]


@pytest.mark.parametrize("path,body,named", [
    ("/api/simplest", {"input": "x"}, "input = 'x' is not a number"),
    ("/api/simplest", {"input": 1e9}, "is out of range; allowed: a finite number from -100 to 100"),
    ("/api/simplest", {"speed": 1}, "unknown parameter 'speed'"),
    ("/api/backprop", {"lesson": "nope"}, "lesson = 'nope' is not allowed"),
    ("/api/backprop", {"lesson": "wide", "extra": 1}, "unknown field 'extra'"),
    ("/api/exercise/steps", {"lesson": "simplest", "seed": -1}, "seed = -1 is out of range"),
    ("/api/exercise/steps", {"lesson": "simplest", "seed": True}, "seed = True is not a number"),
    ("/api/exercise/check", {"lesson": "simplest", "question": "edge:1", "answer": "2 +"}, "answer:"),
    ("/api/exercise/check", {"lesson": "simplest", "question": "<b>", "answer": "1"}, "question: '<b>' is not a question id"),
    ("/api/exercise/check", {"lesson": "simplest", "question": "edge:999", "answer": "1"}, "question:"),
])
def test_bad_requests_are_refused_with_one_line_naming_the_value(path, body, named):
    status, text = answer("POST", path, json.dumps(body))
    assert status == 422
    error = json.loads(text)["error"]
    assert named in error and "\n" not in error


@pytest.mark.parametrize("body,named", [
    ("{", "not JSON"), ("[1, 2]", "must be a JSON object"), ("x" * (MAX_BODY + 1), f"at most {MAX_BODY:,}"),
])
def test_a_body_that_is_not_a_small_json_object_is_refused(body, named):
    status, text = answer("POST", "/api/simplest", body)
    assert status == 422 and named in json.loads(text)["error"]


def test_the_playground_says_it_needs_the_server():
    for path in ("/api/playground", "/api/playground/stream", "/api/playground/trace"):
        status, text = answer("POST", path, "{}")
        assert (status, json.loads(text)["error"]) == (501, NO_PLAYGROUND)
    assert answer("POST", "/api/nothing", "{}")[0] == 404
    assert answer("DELETE", "/api/simplest", "")[0] == 405


BLOCKED = textwrap.dedent("""
    import importlib.abc, json, subprocess, sys
    BLOCK = {"numpy", "matplotlib", "rich", "graphviz", "fastapi", "pydantic", "starlette", "plotly", "sklearn", "PIL",
             "torch", "hypercorn"}

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCK:
                raise ImportError(f"{name} is not in the browser")

    sys.meta_path.insert(0, Blocked())
    from chainrule.stepthrough import dot
    dot.use(lambda source: subprocess.run(["dot", "-Tjson"], input=source, capture_output=True, text=True,
                                          check=True).stdout)
    from chainrule.static_explorer.answers import answer
    from chainrule.static_explorer.bytecode import REQUESTS
    out = [answer(m, p, b)[0] for m, p, b in REQUESTS]
    limits = json.loads(answer("GET", "/api/limits")[1])
    out += [answer("POST", "/api/backprop", json.dumps({"lesson": name}))[0] for name in limits["lessons"]]
    out += [answer("POST", "/api/exercise/steps", json.dumps({"lesson": name, "seed": 7}))[0]
            for name in limits["exercise_lessons"]]
    print(json.dumps(out))
""")


def test_every_page_request_is_answered_without_numpy_http_or_pydantic():
    """What the browser has: the standard library, sympy and mpmath (and dot, there from WebAssembly)."""
    done = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    statuses = json.loads(done.stdout)
    assert statuses and set(statuses) == {200}

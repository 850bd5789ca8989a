"""The explorer's JSON API, through FastAPI's test client: every endpoint, good input and bad.

What is checked: the numbers the pages draw are the engine's numbers; every
request is bounded (HTTP 422 naming the field and the allowed range); the
server ships its pages and plotly.js itself; and ``chainrule serve`` refuses
bad options in one line.
"""

from __future__ import annotations

import math
import socket
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from chainrule.cli import main
from chainrule.lessons import simplest
from chainrule.web import create_app
from chainrule.web import stepper


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def assert_refused(response, field: str, *allowed: str):
    """HTTP 422 whose message names ``field`` and says what is allowed."""
    assert response.status_code == 422, response.text
    body = response.json()
    message = body["error"]
    assert message.startswith(f"{field}:") or f"; {field}:" in message, message
    for words in allowed:
        assert words in message, message
    return message


# ----------------------------------------------------------------- the server
def test_pages_and_static_files_are_served(client):
    for path in ("/", "/backprop", "/playground"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "/static/js/common.js" in r.text
    assert client.get("/static/css/explorer.css").status_code == 200
    assert client.get("/static/js/common.js").status_code == 200


def test_plotly_comes_from_the_installed_package(client):
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    assert len(r.content) > 1_000_000 and b"plotly" in r.content[:2000].lower()


def test_pages_reference_nothing_outside_the_server(client):
    for path in ("/", "/backprop", "/playground"):
        html = client.get(path).text
        assert "http://" not in html.replace('xmlns="http://www.w3.org', "") and "https://" not in html


def test_openapi_schema_documents_every_endpoint_and_its_bounds(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/simplest", "/api/backprop", "/api/playground", "/api/limits"):
        assert path in spec["paths"]
    props = spec["components"]["schemas"]["PlaygroundRequest"]["properties"]
    assert props["steps"]["maximum"] == 1000
    assert props["layers"]["maxItems"] == 6
    assert props["layers"]["items"]["maximum"] == 32
    assert props["points"]["maxItems"] == 2000
    # The interactive docs would load scripts from a CDN; the explorer serves only the schema.
    assert client.get("/docs").status_code == 404


def test_limits(client):
    r = client.get("/api/limits")
    assert r.status_code == 200
    assert r.json()["max_steps"] == 1000 and r.json()["max_neurons"] == 32
    assert set(r.json()["datasets"]) >= {"moons", "circles", "xor", "spiral", "custom"}


def test_unknown_path_is_404(client):
    assert client.get("/api/nothing").status_code == 404


def test_request_bodies_are_bounded_in_size(client):
    huge = b'{"points": [' + b"[0.0, 0.0, 1]," * 200_000 + b"[0, 0, 1]]}"
    r = client.post("/api/playground", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "too large" in r.text


# ------------------------------------------------------------------- simplest
def test_simplest_default_is_the_videos_example(client):
    d = client.post("/api/simplest", json={}).json()
    assert d["initial_weight"] == 0.8 and d["converged"]  # the lesson's own defaults: descend to the minimum
    r = client.post("/api/simplest", json={"steps": 0})
    assert r.status_code == 200
    d = r.json()
    assert d["gradient_formula"] == "4.5*w - 2.4"
    assert d["gradient_pretty"] == "4.5w − 2.4"
    assert "<math" in d["gradient_mathml"] and "<mn>4.5</mn>" in d["gradient_mathml"]
    assert d["current"]["weight"] == 0.8
    assert d["current"]["gradient"] == pytest.approx(1.2)
    assert d["current"]["forward_lines"][0] == "a = i·w = 1.5 · 0.8 = 1.2"
    assert d["verdict"] == "converges"
    assert d["stable_learning_rates"] == pytest.approx([0.0, 1 / 1.5**2])


@pytest.mark.parametrize("weight,lr,steps", [(0.8, 0.1, 3), (-1.2, 0.3, 10), (2.0, 0.05, 1000)])
def test_simplest_descent_matches_the_engine(client, weight, lr, steps):
    d = client.post("/api/simplest", json={"weight": weight, "learning_rate": lr, "steps": steps, "tolerance": 0}).json()
    expected = simplest.train(input=1.5, target=0.8, weight=weight, learning_rate=lr, steps=steps, tolerance=0.0)
    assert [s["weight"] for s in d["steps"]] == [s.weight for s in expected.steps]
    assert [s["gradient"] for s in d["steps"]] == [s.gradient for s in expected.steps]
    last = expected.steps[-1]
    assert d["current"]["step"] == last.step
    assert d["current"]["weight"] == last.weight and d["current"]["gradient"] == last.gradient
    # The chain rule shown is the one at the current weight: dC/da · da/dw = dC/dw.
    factors = d["current"]["chain_rule"]
    assert factors[0]["value"] * factors[1]["value"] == pytest.approx(last.gradient, abs=1e-12)


def test_simplest_parabola_and_tangent_come_from_the_engine(client):
    d = client.post("/api/simplest", json={"input": 2.0, "target": -1.0, "weight": 0.5, "steps": 2}).json()
    for w, c in zip(d["parabola"]["w"], d["parabola"]["cost"]):
        assert c == pytest.approx((2.0 * w + 1.0) ** 2, rel=1e-12, abs=1e-12)
    (w0, w1), (c0, c1) = d["tangent"]["w"], d["tangent"]["cost"]
    assert (c1 - c0) / (w1 - w0) == pytest.approx(d["current"]["gradient"])
    low, high = d["plot_range"]
    assert low < d["optimum_weight"] < high and low < d["current"]["weight"] < high


@pytest.mark.parametrize(
    "lr,verdict", [(0.1, "converges"), (0.3, "converges, oscillating"), (4 / 9, "oscillates forever"), (0.6, "diverges")]
)
def test_simplest_learning_rate_verdict(client, lr, verdict):
    d = client.post("/api/simplest", json={"learning_rate": lr, "steps": 5}).json()
    assert d["verdict"] == verdict


def test_simplest_divergence_stops_early_and_says_so(client):
    d = client.post("/api/simplest", json={"learning_rate": 5, "steps": 1000}).json()
    assert d["stopped"] == "diverged"
    assert d["current"]["step"] < 1000
    assert "diverging" in d["stop_line"]
    assert d["warning"]


@pytest.mark.parametrize(
    "body,field,allowed",
    [
        ({"weight": 5000}, "weight", "from -100 to 100"),
        ({"input": 0}, "input", "nothing to learn"),
        ({"input": -101}, "input", "from -100 to 100"),
        ({"target": "high"}, "target", "from -100 to 100"),
        ({"learning_rate": 0}, "learning_rate", "> 0 and <= 10"),
        ({"learning_rate": -1}, "learning_rate", "> 0"),
        ({"steps": 1001}, "steps", "from 0 to 1000"),
        ({"steps": 2.5}, "steps", "whole number"),
        ({"tolerance": 2}, "tolerance", "from 0 to 1"),
        ({"wieght": 1}, "wieght", "known fields: input, target, weight"),
    ],
)
def test_simplest_refuses_bad_input(client, body, field, allowed):
    assert_refused(client.post("/api/simplest", json=body), field, allowed)


@pytest.mark.parametrize("raw", ['{"weight": NaN}', '{"weight": Infinity}', '{"weight": -Infinity}', '{"weight": 1e999}'])
def test_simplest_refuses_non_finite_numbers(client, raw):
    r = client.post("/api/simplest", content=raw, headers={"content-type": "application/json"})
    assert_refused(r, "weight", "finite")


def test_malformed_json_is_refused_in_one_line(client):
    r = client.post("/api/simplest", content='{"weight": ', headers={"content-type": "application/json"})
    assert_refused(r, "request body", "not valid JSON")
    r = client.post("/api/simplest", content="[1, 2]", headers={"content-type": "application/json"})
    assert r.status_code == 422


# ------------------------------------------------------------------- backprop
LESSONS = stepper.available_lessons()


def engine_graph(lesson):
    """The lesson's cost Value after its backward pass, straight from the lesson."""
    from chainrule import lessons

    return lessons.default_graph(lesson)


@pytest.mark.parametrize("lesson", LESSONS)
def test_backprop_trace_replays_the_engines_backward_pass(client, lesson):
    r = client.post("/api/backprop", json={"lesson": lesson})
    assert r.status_code == 200, r.text
    d = r.json()
    cost = engine_graph(lesson)
    order = cost.nodes()
    assert len(d["nodes"]) == len(order)
    assert [n["value"] for n in d["nodes"]] == [v.data for v in order]
    # One event per edge; each multiplies the local derivative by the running product.
    assert len(d["events"]) == len(d["edges"]) == sum(len(v.inputs) for v in order)
    assert sorted(e["edge"] for e in d["events"]) == list(range(len(d["edges"])))
    running = {n["id"]: 0.0 for n in d["nodes"]}
    running[d["cost"]] = 1.0
    for e in d["events"]:
        assert e["upstream"] == running[e["target"]]
        assert e["contribution"] == e["local"] * e["upstream"]
        assert e["before"] == running[e["source"]]
        running[e["source"]] += e["contribution"]
        assert e["after"] == running[e["source"]]
    # At the end every parameter holds the engine's gradient.
    assert d["parameters"], "a lesson network has parameters"
    for pid in d["parameters"]:
        assert running[pid] == pytest.approx(order[pid].grad, rel=1e-12, abs=1e-15)
        assert d["nodes"][pid]["grad"] == running[pid]


@pytest.mark.parametrize("lesson", LESSONS)
def test_backprop_derivations_sum_over_paths(client, lesson):
    d = client.post("/api/backprop", json={"lesson": lesson}).json()
    by_id = {n["id"]: n for n in d["nodes"]}
    for entry in d["derivations"]:
        assert entry["paths"] >= 1
        assert entry["formula"].startswith(f"∂{d['cost_name']}/∂")
        assert entry["grad"] == by_id[entry["node"]]["grad"]


def test_backprop_wide_paths_meet(client):
    d = client.post("/api/backprop", json={"lesson": "wide"}).json()
    assert any(e["meets"] for e in d["events"]), "in the wide network two paths meet somewhere"


@pytest.mark.parametrize("body,field,allowed", [({"lesson": "deep"}, "lesson", "one of: simplest, chain"), ({"lesson": 3}, "lesson", "one of")])
def test_backprop_refuses_unknown_lessons(client, body, field, allowed):
    assert_refused(client.post("/api/backprop", json=body), field, allowed)


# ----------------------------------------------------------------- playground
def play(client, **body):
    r = client.post("/api/playground", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_playground_starts_from_the_seeded_network(client):
    d = play(client, dataset="moons", layers=[4, 3], steps=0, seed=7)
    assert d["step"] == 0
    assert d["sizes"] == [2, 4, 3, 2]  # two inputs, the hidden layers, one logit per class
    assert [len(p["W"]) for p in d["params"]] == [2, 4, 3]
    assert [len(p["b"]) for p in d["params"]] == [4, 3, 2]
    assert len(d["train_points"]) + len(d["test_points"]) == 200
    assert len(d["boundary"]["p"]) == 40 and all(0 <= p <= 1 for row in d["boundary"]["p"] for p in row)
    assert len(d["history"]) == 1 and d["history"][0]["step"] == 0
    assert play(client, dataset="moons", layers=[4, 3], steps=0, seed=7)["params"] == d["params"]


def test_playground_training_is_the_same_however_it_is_split(client):
    settings = dict(dataset="circles", layers=[6], learning_rate=0.2, batch_size=16, seed=3, noise=0.05)
    once = play(client, steps=60, **settings)
    first = play(client, steps=25, **settings)
    second = play(client, steps=35, step=first["step"], params=first["params"], **settings)
    assert second["step"] == once["step"] == 60
    assert second["params"] == once["params"]
    assert second["metrics"] == once["metrics"]


def test_playground_learns_moons(client):
    settings = dict(dataset="moons", n_points=300, noise=0.1, layers=[16, 16], activation="tanh",
                    learning_rate=0.3, batch_size=32, seed=1)
    d = play(client, steps=1000, **settings)
    assert d["metrics"]["train_accuracy"] >= 0.95 and d["metrics"]["test_accuracy"] >= 0.95
    assert d["history"][-1]["train_loss"] < d["history"][0]["train_loss"]
    assert all(g >= 0 for g in d["gradient_norms"])


def test_playground_custom_points(client):
    points = [[-1, -1, 0], [-1.2, -0.8, 0], [1, 1, 1], [0.9, 1.1, 1], [-0.9, -1.1, 0], [1.1, 0.9, 1]]
    d = play(client, dataset="custom", points=points, layers=[3], steps=50, learning_rate=0.5, test_fraction=0.3)
    assert len(d["train_points"]) + len(d["test_points"]) == 6
    r = client.post("/api/playground", json={"dataset": "custom", "points": [[0, 0, 1]]})
    assert_refused(r, "points", "both classes")


def test_playground_divergence_is_reported_not_crashed(client):
    d = play(client, dataset="xor", layers=[8], activation="relu", learning_rate=10, steps=300)
    assert all(math.isfinite(x) for p in d["params"] for row in p["W"] for x in row)


@pytest.mark.parametrize(
    "body,field,allowed",
    [
        ({"layers": [8] * 7}, "layers", "0 to 6 items"),
        ({"layers": [8, 33]}, "layers[1]", "from 1 to 32"),
        ({"layers": [0]}, "layers[0]", "from 1 to 32"),
        ({"steps": 1001}, "steps", "from 0 to 1000"),
        ({"n_points": 2001}, "n_points", "from 10 to 2000"),
        ({"points": [[0, 0, 1]] * 2001}, "points", "0 to 2000 items"),
        ({"points": [[0, 0, 2]]}, "points[0][2]", "one of: 0, 1"),
        ({"points": [[0, 99, 1]]}, "points[0][1]", "from -10 to 10"),
        ({"dataset": "mnist"}, "dataset", "one of: moons, circles, xor, spiral, custom"),
        ({"activation": "gelu"}, "activation", "one of: tanh, relu, sigmoid"),
        ({"learning_rate": 0}, "learning_rate", "> 0"),
        ({"batch_size": 0}, "batch_size", "from 1 to 2000"),
        ({"noise": -0.1}, "noise", "from 0 to 1"),
        ({"grid": 500}, "grid", "from 8 to 80"),
        ({"test_fraction": 0.9}, "test_fraction", "from 0.1 to 0.5"),
        ({"params": [{"W": [[1.0]], "b": [0.0]}] * 8}, "params", "0 to 7 items"),
    ],
)
def test_playground_refuses_bad_input(client, body, field, allowed):
    assert_refused(client.post("/api/playground", json=body), field, allowed)


def test_playground_refuses_weights_of_the_wrong_shape(client):
    d = play(client, layers=[4], steps=0)
    r = client.post("/api/playground", json={"layers": [5], "params": d["params"]})
    assert_refused(r, "params[0].W", "2 rows of 5 numbers")
    r = client.post("/api/playground", json={"layers": [4, 4], "params": d["params"]})
    assert_refused(r, "params", "exactly 3")


def test_playground_refuses_non_finite_weights(client):
    raw = '{"layers": [1], "params": [{"W": [[NaN], [0]], "b": [0]}, {"W": [[1]], "b": [0]}]}'
    r = client.post("/api/playground", content=raw, headers={"content-type": "application/json"})
    assert_refused(r, "params[0].W[0][0]", "finite")


# ---------------------------------------------------------- chainrule serve
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("argv,words", [
    (["--port", "0"], "allowed: 1 to 65535"),
    (["--port", "http"], "not a whole number"),
    (["--port", "70000"], "allowed: 1 to 65535"),
    (["--host", "my host!"], "not an IP address or host name"),
])
def test_serve_refuses_bad_options_in_one_line(capsys, argv, words):
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and words in err


def test_serve_refuses_a_busy_port_in_one_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"cannot listen on 127.0.0.1:{port}" in err


def test_serve_binds_localhost_and_warns_when_told_otherwise(capsys, monkeypatch):
    import uvicorn

    seen = {}

    def fake_run(self, sockets=None):
        seen["address"] = sockets[0].getsockname()[:2]
        seen["concurrency"] = self.config.limit_concurrency
        for s in sockets:
            s.close()

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    port = _free_port()
    assert main(["serve", "--port", str(port)]) == 0
    assert seen["address"] == ("127.0.0.1", port)
    assert seen["concurrency"]
    err = capsys.readouterr().err
    assert "warning" not in err and f"http://127.0.0.1:{port}/" in err

    port = _free_port()
    assert main(["serve", "--host", "0.0.0.0", "--port", str(port)]) == 0
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0" in err


def test_the_server_keeps_no_unbounded_state(client):
    # The only cache is the handful of lesson traces, bounded by the number of lessons.
    assert stepper.trace_lesson.cache_info().maxsize == len(stepper.LessonName.__args__)
    for seed in range(5):  # many clients, many settings: nothing is remembered between calls
        client.post("/api/playground", json={"seed": seed, "steps": 1, "layers": [2]})
    assert stepper.trace_lesson.cache_info().currsize <= len(stepper.LessonName.__args__)

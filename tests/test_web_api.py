"""The explorer's JSON API, through FastAPI's test client: every endpoint, good input and bad.

What is checked: the numbers the pages draw are the engine's numbers; every
request is bounded (HTTP 422 naming the field and the allowed range); the
server ships its pages and plotly.js itself; and ``chainrule serve`` refuses
bad options in one line.
"""

from __future__ import annotations

import math
import collections
import socket
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from chainrule.cli import main
from chainrule.commands import serve as serve_command
from chainrule.lessons import simplest
from chainrule.web import create_app
from live_server import LiveServer
from web_gates import gated
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
    assert d["steps"] == [s.to_json() for s in expected.steps]  # the shared descent's Step records, as JSON
    last = expected.steps[-1]
    assert d["current"]["step"] == last.step
    assert d["current"]["weight"] == last.parameters["w"] and d["current"]["gradient"] == last.gradients["w"]
    # The chain rule shown is the one at the current weight: dC/da · da/dw = dC/dw.
    factors = d["current"]["chain_rule"]
    assert factors[0]["value"] * factors[1]["value"] == pytest.approx(last.gradients["w"], abs=1e-12)


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
        # strict: what the schema calls a number or a whole number, never a bool or a string coerced into one
        ({"tolerance": False}, "tolerance", "from 0 to 1"),
        ({"steps": True}, "steps", "whole number"),
        ({"steps": "5"}, "steps", "whole number"),
        ({"learning_rate": "0.1"}, "learning_rate", "> 0"),
        ({"input": 1e-200}, "input", "at least 1e-150 away from 0"),
    ],
)
def test_simplest_refuses_bad_input(client, body, field, allowed):
    assert_refused(client.post("/api/simplest", json=body), field, allowed)


def test_a_whole_number_may_be_written_with_a_decimal_point(client):
    # JSON Schema's "integer" counts 3.0 as the whole number 3; the server agrees with its schema
    assert client.post("/api/simplest", json={"steps": 3.0}).json()["steps"] == client.post(
        "/api/simplest", json={"steps": 3}).json()["steps"]


def test_the_schema_says_input_must_be_away_from_zero(client):
    spec = client.get("/openapi.json").json()
    prop = spec["components"]["schemas"]["SimplestRequest"]["properties"]["input"]
    assert prop["not"] == {"exclusiveMinimum": -1e-150, "exclusiveMaximum": 1e-150}
    assert client.post("/api/simplest", json={"input": 1e-150}).status_code == 200


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
    """The lesson's cost Value after its backward pass, straight from the lesson (with its step-through's numbers)."""
    from chainrule import lessons

    return lessons.graph(lesson, **lessons.step_through_params(lesson))


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
    # 210 training and 90 test points; seeds 0-4 of these settings reach 100% on both. 95% allows 4 test points
    # wrong (one standard error at 95% on 90 points is 2.3 points): a moved boundary passes, one that did not learn
    # the moons (a line: 84-88% on seeds 0-2) fails
    assert d["metrics"]["train_accuracy"] >= 0.95 and d["metrics"]["test_accuracy"] >= 0.95
    assert d["history"][-1]["train_loss"] < d["history"][0]["train_loss"]
    assert all(g >= 0 for g in d["gradient_norms"])


def test_playground_custom_points(client):
    points = [[-1, -1, 0], [-1.2, -0.8, 0], [1, 1, 1], [0.9, 1.1, 1], [-0.9, -1.1, 0], [1.1, 0.9, 1]]
    d = play(client, dataset="custom", points=points, layers=[3], steps=50, learning_rate=0.5, test_fraction=0.3)
    assert len(d["train_points"]) + len(d["test_points"]) == 6
    r = client.post("/api/playground", json={"dataset": "custom", "points": [[0, 0, 1]]})
    assert_refused(r, "points", "two classes or more")


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
        ({"points": [[0, 0, 4]]}, "points[0][2]", "one of: 0, 1, 2, 3"),
        ({"points": [[0, 99, 1]]}, "points[0][1]", "from -10 to 10"),
        ({"dataset": "mnist"}, "dataset", "one of: moons, circles, xor, spiral, spiral3, blobs, custom"),
        ({"activation": "gelu"}, "activation", "one of: tanh, relu, sigmoid"),
        ({"learning_rate": 0}, "learning_rate", "> 0"),
        ({"batch_size": 0}, "batch_size", "from 1 to 2000"),
        ({"noise": -0.1}, "noise", "from 0 to 1"),
        ({"grid": 500}, "grid", "from 8 to 80"),
        ({"test_fraction": 0.95}, "test_fraction", "from 0.1 to 0.9"),
        ({"params": [{"W": [[1.0]], "b": [0.0]}] * 8}, "params", "1 to 7 items"),
        ({"params": []}, "params", "1 to 7 items"),
        ({"points": [[0, 0, True]]}, "points[0][2]", "one of: 0, 1, 2, 3"),
        ({"layers": [True]}, "layers[0]", "whole number"),
        ({"seed": "1"}, "seed", "whole number"),
        ({"noise": True}, "noise", "from 0 to 1"),
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
    seen = {}

    def fake_serve_forever(app, sock):
        seen["address"] = sock.getsockname()[:2]
        seen["app"] = app
        sock.close()

    monkeypatch.setattr(serve_command, "serve_forever", fake_serve_forever)
    port = _free_port()
    assert main(["serve", "--port", str(port)]) == 0
    assert seen["address"] == ("127.0.0.1", port)
    err = capsys.readouterr().err
    assert "warning" not in err and f"http://127.0.0.1:{port}/" in err
    with TestClient(seen["app"], base_url="http://127.0.0.1") as c:  # the app answers to the address it serves
        assert c.get("/api/limits").status_code == 200
        assert c.get("/api/limits", headers={"Host": "evil.example"}).status_code == 400

    port = _free_port()
    assert main(["serve", "--host", "0.0.0.0", "--port", str(port)]) == 0
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0" in err


def test_the_server_keeps_no_unbounded_state(client):
    # The only cache is the handful of lesson traces, bounded by the number of lessons.
    assert stepper.trace_lesson.cache_info().maxsize == len(stepper.available_lessons())
    for seed in range(5):  # many clients, many settings: nothing is remembered between calls
        client.post("/api/playground", json={"seed": seed, "steps": 1, "layers": [2]})
    assert stepper.trace_lesson.cache_info().currsize <= len(stepper.available_lessons())


# ------------------------------------------------------- hosts, HEAD, caching
def test_a_request_for_another_host_is_refused(client):
    # DNS rebinding: a page on evil.example points its name at 127.0.0.1; the browser still says Host: evil.example
    for path in ("/api/limits", "/", "/static/js/common.js"):
        r = client.get(path, headers={"Host": "evil.example"})
        assert r.status_code == 400 and "evil.example" in r.text, path
    r = client.post("/api/simplest", json={}, headers={"Host": "evil.example:8000"})
    assert r.status_code == 400
    for host in ("127.0.0.1:8000", "localhost", "LOCALHOST:80", "[::1]:8000"):
        assert client.get("/api/limits", headers={"Host": host}).status_code == 200, host


def test_serve_with_a_host_answers_to_that_host():
    app = create_app(hosts=serve_command.allowed_hosts("explorer.classroom.lan"))
    with TestClient(app, base_url="http://explorer.classroom.lan") as c:
        assert c.get("/api/limits").status_code == 200
        assert c.get("/api/limits", headers={"Host": "localhost"}).status_code == 200
        assert c.get("/api/limits", headers={"Host": "evil.example"}).status_code == 400


def test_head_is_answered_like_get(client):
    for path in ("/", "/backprop", "/playground", "/static/js/common.js", "/vendor/plotly.min.js"):
        r = client.head(path)
        assert r.status_code == 200, path
        assert r.content == b""


def test_plotly_is_compressed_once_and_cached(client):
    from chainrule.web.server import plotly_js_path

    r = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < plotly_js_path().stat().st_size / 2
    assert r.content == plotly_js_path().read_bytes()  # httpx undoes the gzip: the same bytes arrive
    assert "max-age" in r.headers["cache-control"]
    head = client.head("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert head.headers["content-length"] == r.headers["content-length"] and head.content == b""
    again = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    plain = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == r.content


def test_static_files_are_compressed_and_revalidated_but_answers_are_not_compressed(client):
    r = client.get("/static/js/simplest.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.headers["cache-control"] == "no-cache"
    assert client.get("/static/js/simplest.js", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    api = client.post("/api/simplest", json={"steps": 5}, headers={"Accept-Encoding": "gzip"})
    assert api.status_code == 200 and "content-encoding" not in api.headers


def test_plotly_is_loaded_only_by_the_pages_that_draw_and_never_holds_up_the_first_render(client):
    import re

    assert "plotly" not in client.get("/backprop").text
    # the playground draws its loss curve with uPlot (51 kB, vendored: static/vendor/uplot), never plotly
    page = client.get("/playground").text
    assert "plotly" not in page and len(re.findall(r'<script src="/static/vendor/uplot/uPlot.iife.min.js" defer>', page)) == 1
    # the home page draws its parabola as a plain SVG (static/js/parabola.js), never plotly
    home = client.get("/").text
    assert "plotly" not in home and len(re.findall(r'<script src="/static/js/parabola.js" defer>', home)) == 1


# ------------------------------------------------------------ bounded work
MAXIMAL = {"dataset": "spiral", "layers": [32] * 6, "n_points": 2000, "batch_size": 2000, "grid": 80}


def test_the_playground_refuses_work_over_the_budget_naming_it(client):
    from chainrule.web.api_models import MAX_WORK

    # the request: every field within its own bound, 200 × 5,442 parameters × 2,000 points in all
    message = assert_refused(client.post("/api/playground", json={**MAXIMAL, "steps": 200}),
                             "work budget", "200 × 5442 × 2000", f"{MAX_WORK:,}", "at most 45 steps")
    assert "\n" not in message
    d = play(client, **MAXIMAL, steps=0)
    assert d["max_steps_per_call"] == 45 and 45 * 5442 * 2000 <= MAX_WORK < 46 * 5442 * 2000
    assert_refused(client.post("/api/playground", json={**MAXIMAL, "steps": 46}), "work budget")
    # small networks keep the field's own bound: the budget only ever bites on large ones
    assert play(client, layers=[8, 8], steps=0)["max_steps_per_call"] == 1000


def test_the_page_trains_in_calls_that_fit_the_budget(client):
    js = client.get("/static/js/playground.js").text
    assert "max_steps_per_call" in js


def test_a_full_training_pool_refuses_with_503_and_retry_after_while_light_requests_still_answer(monkeypatch):
    import anyio
    import httpx

    from chainrule.web import playground

    from chainrule.web.capacity import Capacity

    gate, started = gated(monkeypatch, playground, "train")
    app = create_app()
    # one computing, one waiting, the third refused; in threads, so that the gated train() is the one that runs
    app.state.training = Capacity("training", 1, 1)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            answers = []

            async def train():
                answers.append(await http.post("/api/playground", json={"steps": 1}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(train)
                await anyio.to_thread.run_sync(started.acquire)  # the first one holds the only worker
                tg.start_soon(train)
                while app.state.training.admitted < 2:  # the second one waits in the queue
                    await anyio.sleep(0.01)
                refused = await http.post("/api/playground", json={"steps": 1})
                assert refused.status_code == 503, refused.text
                assert int(refused.headers["retry-after"]) >= 1
                assert "busy" in refused.json()["error"]
                # the pages, the static files, the limits and the lesson pool do not wait behind training
                assert (await http.get("/api/limits")).status_code == 200
                assert (await http.get("/playground")).status_code == 200
                assert (await http.get("/static/js/playground.js")).status_code == 200
                assert (await http.post("/api/simplest", json={"steps": 2})).status_code == 200
                gate.set()
            assert sorted(a.status_code for a in answers) == [200, 200]

    anyio.run(scenario)


def test_closing_a_pool_refuses_what_waits_and_lets_what_computes_finish():
    import threading

    import anyio

    from chainrule.web.capacity import Busy, Capacity

    pool = Capacity("training", 1, 5)
    gate, started = threading.Event(), threading.Semaphore(0)

    def slow(x):
        started.release()
        assert gate.wait(30)
        return {"x": x}

    async def scenario():
        outcomes = {}

        async def ask(key):
            try:
                outcomes[key] = (await pool.run(slow, key)).body
            except Busy as exc:
                outcomes[key] = str(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(ask, 1)
            await anyio.to_thread.run_sync(started.acquire)
            tg.start_soon(ask, 2)
            tg.start_soon(ask, 3)
            while pool.admitted < 3:
                await anyio.sleep(0.01)
            pool.close()  # SIGTERM: what waits is refused at once, what computes goes on
            await anyio.sleep(0.05)
            assert set(outcomes) == {2, 3}, outcomes  # the first one still computes
            assert all("stopping" in outcomes[k] for k in (2, 3)), outcomes
            gate.set()
        assert outcomes[1] == b'{"x":1}'
        with pytest.raises(Busy, match="stopping"):
            await pool.run(slow, 4)

    anyio.run(scenario)


# ----------------------------------------------- a real server under abuse
@pytest.fixture
def live_server():
    server = LiveServer()
    yield server
    server.stop()


@pytest.mark.slow
def test_half_sent_request_heads_are_dropped_and_new_requests_are_answered_meanwhile(live_server):
    import time

    import httpx

    # 520 sockets send a request line and never finish the head; one more trickles a header byte a second
    hanging = []
    for _ in range(520):
        s = socket.create_connection(("127.0.0.1", live_server.port))
        s.sendall(b"GET / HTTP/1.1\r\n")
        hanging.append(s)
    trickle = socket.create_connection(("127.0.0.1", live_server.port))
    trickle.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    opened = time.monotonic()
    try:
        # a real request is answered while they hang, not refused
        for _ in range(5):
            assert httpx.get(live_server.url + "/api/limits", timeout=5).status_code == 200
        # the trickler is cut off by the header deadline although it keeps sending
        limit = serve_command.HEADER_TIMEOUT + 10
        trickle.settimeout(1.0)
        cut = False
        while time.monotonic() - opened < limit and not cut:
            try:
                trickle.sendall(b"X")
                cut = trickle.recv(1) == b""
            except socket.timeout:
                continue
            except OSError:
                cut = True
        assert cut, f"a connection trickling its head was still open after {limit} s"
        # every hanging socket has been closed by the server
        for s in hanging:
            s.settimeout(max(0.1, limit - (time.monotonic() - opened)))
            try:
                assert s.recv(1) == b"", "the server answered a request it never fully received"
            except ConnectionResetError:
                pass
        assert httpx.post(live_server.url + "/api/simplest", json={"steps": 1}, timeout=5).status_code == 200
    finally:
        for s in hanging + [trickle]:
            s.close()


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_serve_stops_within_seconds_of_a_signal_under_heavy_load(live_server, signal_name):
    import signal
    import threading
    import time

    import httpx

    heavy = {**MAXIMAL, "steps": 45}  # the largest work one request may ask for
    stop, answered = threading.Event(), []

    def client():
        # as the page does: a refusal (503) waits before the next try (its Retry-After, here at most half a second
        # so that the queue stays full). Clients that retried at once kept a 2-core machine busy answering refusals,
        # and under other load the workers then took over a minute to finish a first request
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            while not stop.is_set():
                try:
                    r = http.post("/api/playground", json=heavy)
                except httpx.HTTPError:
                    return  # the server is going away
                answered.append(r.status_code)
                if r.status_code == 503:
                    stop.wait(min(0.5, float(r.headers.get("retry-after", 1))))

    clients = [threading.Thread(target=client, daemon=True) for _ in range(24)]
    for t in clients:
        t.start()
    # and one request that never finishes its body: still in progress when the grace period ends
    stuck = socket.create_connection(("127.0.0.1", live_server.port))
    stuck.sendall(b"POST /api/simplest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{")
    try:
        deadline = time.monotonic() + 120  # only a hang reaches it
        while 200 not in answered and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 200 in answered, f"the load never got going: {sorted(collections.Counter(answered).items())}"
        live_server.proc.send_signal(getattr(signal, signal_name))
        # the requests in progress get SHUTDOWN_TIMEOUT seconds, and one request takes well under a second on an idle
        # machine (bench/bench_load.py measures the time to stop). Here the deadline only tells a hang from a slow
        # stop: with both cores busy with other work (a CI neighbour, 24 clients, worker processes) the same stop
        # took more than 13 s once, so the test waits a minute beyond the grace period
        live_server.proc.wait(timeout=serve_command.SHUTDOWN_TIMEOUT + 60)
    finally:
        stop.set()
        stuck.close()
        for t in clients:
            t.join(timeout=30)
    assert set(answered) <= {200, 503}, sorted(set(answered))  # refused or answered, never a server error
    err = live_server.proc.stderr.read()
    assert live_server.proc.returncode == 0, err
    assert "Traceback" not in err and "stopped" in err, err

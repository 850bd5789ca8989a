"""The playground's API past TensorFlow Playground: regression, features, regularization, neuron maps, your own
points from CSV, and backprop to one neuron or weight of the real network."""

from __future__ import annotations

import base64
import json

import anyio
import numpy as np
import pytest
from fastapi.testclient import TestClient

from chainrule.playground.features import FEATURES, features
from chainrule.playground.network import network
from chainrule.playground.points import batch_indices, points, split
from chainrule.playground.training import swinging
from chainrule.stepthrough.playground import MAX_TRACE_EDGES
from chainrule.web import create_app, playground
from chainrule.web.api_models import (MAX_CSV_CHARS, MAX_FRAMES, MAX_STREAM_SECONDS, MAX_TRACE_EXAMPLES, PlaygroundRequest,
                                     PlaygroundStreamRequest, PlaygroundTraceRequest)
from chainrule.web.capacity import Capacity
from chainrule.web.server import MAX_BODY_BYTES


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def play(client, **body):
    r = client.post("/api/playground", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def refused(response, field, allowed):
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert field in error and allowed in error, error
    return error


def train_in_calls(client, calls, steps, **settings):
    d = play(client, steps=steps, **settings)
    for _ in range(calls - 1):
        d = play(client, steps=steps, params=d["params"], step=d["step"], **settings)
    return d


# ----------------------------------------------------------------- regression
@pytest.mark.parametrize("dataset", ["plane", "gaussians"])
def test_regression_learns_a_surface_with_the_squared_error(client, dataset):
    d = train_in_calls(client, 4, 250, dataset=dataset, n_points=300, noise=0, layers=[8, 8], learning_rate=0.1)
    assert d["problem"] == "regression" and d["sizes"] == [2, 8, 8, 1]
    first, last = d["history"][0], d["metrics"]
    assert last["train_accuracy"] is None and last["test_accuracy"] is None  # no classes, no accuracy
    start = play(client, dataset=dataset, n_points=300, noise=0, layers=[8, 8])["metrics"]["train_loss"]
    assert last["train_loss"] < 0.5 * start and last["train_loss"] < first["train_loss"]
    # the reported loss is the mean squared error of the network's value on the training points
    net, _ = network(playground.setup_of(PlaygroundRequest(dataset=dataset, n_points=300, noise=0, layers=[8, 8],
                                                           params=d["params"], step=d["step"])))
    X = np.array([p[:2] for p in d["train_points"]])
    y = np.array([p[2] for p in d["train_points"]])
    assert np.mean((net.predict(X) - y) ** 2) == pytest.approx(last["train_loss"], rel=1e-12)


def test_custom_regression_points_need_values(client):
    values = [[-1, -1, -0.5], [1, 1, 0.5], [0, 0, 0.0], [1, -1, 0.1]]
    d = play(client, dataset="custom_regression", values=values, layers=[3], steps=5)
    assert len(d["train_points"]) + len(d["test_points"]) == 4 and d["sizes"][-1] == 1
    refused(client.post("/api/playground", json={"dataset": "custom_regression"}), "values", "at least 2 points")


# ------------------------------------------------------------------- features
def test_the_network_reads_the_chosen_features():
    # circles are separated by x₁² + x₂² alone: no hidden layer needed once the network reads the squares
    body = dict(dataset="circles", noise=0.05, layers=[], features=["x1^2", "x2^2"], learning_rate=1.0, steps=600)
    d = playground.train(PlaygroundRequest(**body))
    assert d["sizes"] == [2, 2] and d["features"] == ["x1^2", "x2^2"]
    # 60 test points: with the squares, seeds 0-4 reach 100% (95% allows 3 wrong; SE at 95% on 60 points: 2.8
    # points); without them 32-55%, near the 50% of a coin, so 80% is 9 SE of that above the best of them
    assert d["metrics"]["test_accuracy"] >= 0.95
    plain = playground.train(PlaygroundRequest(**{**body, "features": ["x1", "x2"]}))
    assert plain["metrics"]["test_accuracy"] < 0.8  # a line cannot separate a ring from its disc
    X = np.array([[0.5, -2.0]])
    assert features(X, list(FEATURES)).tolist() == [[0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)]]


def test_features_are_refused_twice_or_unknown(client):
    refused(client.post("/api/playground", json={"features": ["x1", "x1"]}), "features", "at most once")
    refused(client.post("/api/playground", json={"features": ["x3"]}), "features[0]", "one of: x1, x2")
    refused(client.post("/api/playground", json={"features": []}), "features", "1 to 7 items")


# -------------------------------------------------------------- regularization
def test_l2_shrinks_the_weights_and_l1_adds_rate_times_the_sign():
    base = dict(dataset="moons", layers=[8], learning_rate=0.3, steps=300)
    plain = playground.train(PlaygroundRequest(**base))
    l2 = playground.train(PlaygroundRequest(**base, regularization="l2", regularization_rate=0.03))
    size = lambda d: sum(w * w for p in d["params"] for row in p["W"] for w in row)  # noqa: E731
    assert size(l2) < 0.7 * size(plain)
    # the penalty is part of the engine's graph: its gradient is the data gradient plus λ·sign(w) (biases untouched)
    req = PlaygroundRequest(**base, regularization="l1", regularization_rate=0.05, params=plain["params"], step=300)
    X, y = points(playground.setup_of(req))
    F = features(X, req.features)
    with_l1 = network(playground.setup_of(req))[0].gradients(F, y)
    without = network(playground.setup_of(req.model_copy(update={"regularization": "none"})))[0].gradients(F, y)
    for (gW, gb), (hW, hb), p in zip(with_l1, without, plain["params"]):
        assert np.allclose(gW, hW + 0.05 * np.sign(np.array(p["W"])), rtol=0, atol=1e-12)
        assert np.allclose(gb, hb, rtol=0, atol=1e-15)


def test_the_train_test_ratio_goes_from_10_to_90_percent(client):
    assert len(play(client, test_fraction=0.9)["test_points"]) == 180
    assert len(play(client, test_fraction=0.1)["test_points"]) == 20
    refused(client.post("/api/playground", json={"test_fraction": 0.95}), "test_fraction", "from 0.1 to 0.9")


# ---------------------------------------------------------------- neuron maps
def _decode(m, n):
    q = np.frombuffer(base64.b64decode(m["q"]), np.uint8).reshape(n, n)
    return m["lo"] + q * ((m["hi"] - m["lo"]) / 255.0)


def test_each_neuron_has_its_heat_map_and_the_output_map_is_the_boundary(client):
    d = play(client, layers=[5, 3], features=["x1", "x2", "x1*x2"], grid=12, neuron_grid=12, steps=30)
    maps = d["neurons"]
    assert [len(layer) for layer in maps["layers"]] == [5, 3, 2] and len(maps["features"]) == 3
    p = np.array(d["boundary"]["p"])  # P(class 1): the second output's map
    out = _decode(maps["layers"][-1][1], 12)
    step = (maps["layers"][-1][1]["hi"] - maps["layers"][-1][1]["lo"]) / 255
    assert np.allclose(_decode(maps["layers"][-1][0], 12), 1 - p, atol=step)
    assert np.max(np.abs(out - p)) <= step / 2 + 1e-12  # the same grid, quantized to a byte
    x1x2 = _decode(maps["features"][2], 12)
    axis = np.array(d["boundary"]["x"])
    assert np.allclose(x1x2, np.outer(axis, axis), atol=(axis[-1] ** 2) / 255)
    assert "neurons" not in play(client, layers=[2])


def test_the_neuron_maps_are_bounded(client):
    refused(client.post("/api/playground", json={"neuron_grid": 25}), "neuron_grid", "from 0 to 24")


# ------------------------------------------------------- divergence and swings
def test_a_step_past_the_weight_limit_is_not_taken_so_the_answer_can_be_sent_back(client):
    settings = dict(dataset="plane", layers=[8], activation="relu", learning_rate=10)
    d = play(client, steps=50, **settings)
    assert d["diverged"]
    again = play(client, steps=5, params=d["params"], step=d["step"], **settings)  # accepted: every weight within bounds
    assert again["step"] == d["step"] and again["diverged"]


def test_a_swinging_loss_is_reported_and_a_steady_one_is_not(client):
    swung = [play(client, dataset=ds, learning_rate=10, steps=25, seed=seed)["swinging"]
             for ds in ("moons", "circles", "xor") for seed in (0, 1)]
    assert all(swung)
    steady = train_in_calls(client, 1, 25, dataset="moons", learning_rate=0.1)
    assert not steady["swinging"]
    assert not swinging([0.7, 0.6, 0.65, 0.5, 0.55, 0.4])
    assert swinging([0.7, 5.0, 0.2, 9.0, 1.0, 12.0])
    assert swinging([0.7, 5.0, None, 0.2, 9.0, 1.0, 12.0])  # a loss not measured (no training points) is skipped


# ------------------------------------------------------------- your own points
def test_csv_points_are_read_and_bad_lines_refused_one_by_one(client):
    r = client.post("/api/playground/points", json={"csv": "x,y,label\n0.5,-1,1\n-0.5,1,0\n"})
    assert r.status_code == 200 and r.json()["points"] == [[0.5, -1.0, 1], [-0.5, 1.0, 0]]
    r = client.post("/api/playground/points", json={"csv": "0,0,1\n1,abc,0\n11,0,1\n0,0,4\n"})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert [p["line"] for p in detail] == [2, 3, 4] and all(p["field"] == "csv" for p in detail)
    assert "y 'abc' is not a number" in detail[0]["message"]
    assert "x 11 is outside the allowed range; allowed: -10 to 10" in detail[1]["message"]
    assert "not a class; allowed: 0, 1, 2, 3" in detail[2]["message"]  # up to four classes
    r = client.post("/api/playground/points", json={"csv": "0,0,0.25\n1,1,-3\n", "problem": "regression"})
    assert r.json()["points"] == [[0.0, 0.0, 0.25], [1.0, 1.0, -3.0]]
    refused(client.post("/api/playground/points", json={"csv": "0,0,1\n" * 14_000}), "csv", "at most 80000")


def test_the_longest_csv_fits_the_body_limit_however_it_is_escaped():
    assert 12 * MAX_CSV_CHARS + 1000 < MAX_BODY_BYTES


# --------------------------------------------------------- backprop to a focus
FOCUSES = [
    dict(kind="weight", layer=1, neuron=2, source=1),
    dict(kind="weight", layer=2, neuron=1, source=3),
    dict(kind="bias", layer=3, neuron=1),
    dict(kind="bias", layer=1, neuron=4),
]


@pytest.mark.parametrize("focus", FOCUSES)
@pytest.mark.parametrize("extra", [dict(), dict(examples=3, regularization="l2", regularization_rate=0.1),
                                   dict(dataset="gaussians", examples=2, regularization="l1", regularization_rate=0.01),
                                   dict(features=["x1", "x2", "sin(x1)"], activation="relu", examples=MAX_TRACE_EXAMPLES)])
def test_the_step_through_ends_at_the_engines_gradient_for_the_same_points(client, focus, extra):
    trained = play(client, layers=[4, 3], steps=40, learning_rate=0.3, **{k: v for k, v in extra.items() if k != "examples"})
    r = client.post("/api/playground/trace", json={"layers": [4, 3], "learning_rate": 0.3, "params": trained["params"],
                                                   "step": trained["step"], "focus": focus, **extra})
    assert r.status_code == 200, r.text
    t = r.json()
    node = t["nodes"][t["focus"]["node"]]
    assert node["kind"] == "parameter"
    assert node["grad"] == pytest.approx(t["engine_gradient"], rel=1e-9, abs=1e-15)
    assert t["events"][-1]["after"] == pytest.approx(t["nodes"][t["events"][-1]["source"]]["grad"])
    assert len(t["examples"]) == extra.get("examples", 1) and t["summarised"] is None
    # every event lies on a path from the focus to the cost
    assert {e["target"] for e in t["events"]} | {e["source"] for e in t["events"]} == set(range(len(t["nodes"])))


def test_a_neuron_step_through_ends_at_its_incoming_weights():
    req = PlaygroundTraceRequest(layers=[4, 3], focus=dict(kind="neuron", layer=2, neuron=2))
    t = playground.trace(req)
    assert t["nodes"][t["focus"]["node"]]["name"] == "a2[2]" and t["engine_gradient"] is None
    setup = playground.setup_of(req)
    net, _ = network(setup)
    X, y = points(setup)
    train, _ = split(len(y), req.test_fraction, req.seed)
    i = batch_indices(setup, len(train), 0)[:1]
    gW, gb = net.gradients(features(X[train][i], req.features), y[train][i])[1]
    grads = {n["name"]: n["grad"] for n in t["nodes"]}
    for k in range(4):
        assert grads[f"w2[{k + 1},2]"] == pytest.approx(gW[k, 1], rel=1e-9, abs=1e-15)
    assert grads["b2[2]"] == pytest.approx(gb[1], rel=1e-9, abs=1e-15)


def test_many_paths_are_summarised_and_still_give_the_engines_gradient():
    req = PlaygroundTraceRequest(layers=[32] * 6, focus=dict(kind="weight", layer=1, neuron=5, source=2), examples=2)
    t = playground.trace(req)
    assert len(t["edges"]) <= MAX_TRACE_EDGES
    s = t["summarised"]
    assert s is not None and s["layers"][-1] == 7 and s["edges"] > 10_000
    assert t["nodes"][t["focus"]["node"]]["grad"] == pytest.approx(t["engine_gradient"], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("focus,field,allowed", [
    (dict(layer=4), "focus.layer", "allowed: 1 to 3"),
    (dict(layer=2, neuron=9), "focus.neuron", "allowed: 1 to 8"),
    (dict(layer=1, source=3), "focus.source", "allowed: 1 to 2"),
    (dict(kind="edge"), "focus.kind", "one of: neuron, weight, bias"),
])
def test_a_focus_outside_the_network_is_refused_naming_it(client, focus, field, allowed):
    refused(client.post("/api/playground/trace", json={"focus": focus}), field, allowed)


# ------------------------------------------------------- streamed training (issue 24 §4)
def frames_of(response) -> tuple[list[dict], dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    return lines[:-1], lines[-1]


def test_a_stream_sends_a_frame_every_few_steps_and_ends_where_training_at_once_does(client):
    settings = dict(layers=[4, 3], learning_rate=0.3, grid=10, neuron_grid=6)
    frames, end = frames_of(client.post("/api/playground/stream", json={**settings, "steps": 23, "every": 5}))
    assert [f["step"] for f in frames] == [5, 10, 15, 20, 23] and end == {"end": "done", "step": 23, "frames": 5}
    assert [[r["step"] for r in f["history"]] for f in frames] == [[0, 5], [10], [15], [20], [23]]
    once = play(client, steps=23, **settings)
    assert frames[-1]["params"] == once["params"] and frames[-1]["metrics"] == once["metrics"]
    assert frames[-1]["boundary"] == once["boundary"] and frames[-1]["neurons"] == once["neurons"]
    # and it goes on from any frame, as the page does after Pause
    more, _ = frames_of(client.post("/api/playground/stream", json={**settings, "steps": 4, "every": 2,
                                                                    "params": frames[1]["params"], "step": 10}))
    assert more[-1]["params"] == play(client, steps=14, **settings)["params"]


def test_a_stream_says_the_loss_swings_from_the_losses_of_its_frames(client):
    frames, end = frames_of(client.post("/api/playground/stream", json={"learning_rate": 10, "steps": 25, "every": 1}))
    assert len(frames) == 25 and end["end"] == "done"
    assert frames[-1]["swinging"]  # each frame records one loss; the swings are read over the frames before
    assert swinging([f["metrics"]["train_loss"] for f in frames])
    calm, _ = frames_of(client.post("/api/playground/stream", json={"learning_rate": 0.1, "steps": 25, "every": 1}))
    assert not any(f["swinging"] for f in calm)


def test_a_stream_stops_where_training_diverges(client):
    frames, end = frames_of(client.post("/api/playground/stream", json={
        "dataset": "plane", "layers": [8], "activation": "relu", "learning_rate": 10, "steps": 100, "every": 5}))
    assert end["end"] == "diverged" and frames[-1]["diverged"] and end["step"] == frames[-1]["step"] < 100


@pytest.mark.parametrize("body,field,allowed", [
    ({"steps": 1000, "every": 1}, "work budget", "at most 600 frames"),
    ({"layers": [32] * 6, "batch_size": 2000, "n_points": 2000, "every": 1000}, "work budget", "every ≤"),
    ({"every": 1001}, "every", "from 1 to 1000"),
    ({"steps": 0}, "steps", "from 1 to"),
])
def test_a_stream_is_bounded_in_frames_and_in_the_work_of_each(client, body, field, allowed):
    refused(client.post("/api/playground/stream", json=body), field, allowed)


def test_a_stream_ends_after_its_time_even_with_steps_left():
    # the stream itself, with a clock that jumps past MAX_STREAM_SECONDS after the first frame
    req = PlaygroundStreamRequest(layers=[3], steps=50, every=1, grid=8)
    pool = Capacity("training", 1, 4)
    first = json.dumps(playground.frame(playground.Frame(req, 1, None, 0))).encode()
    times = iter([0.0] + [MAX_STREAM_SECONDS + 1.0] * 100)

    async def collect():
        return [line async for line in playground.stream(req, pool, first, clock=lambda: next(times))]

    lines = [json.loads(line) for line in anyio.run(collect)]
    assert [line.get("step") for line in lines[:-1]] == [1] and lines[-1] == {"end": "time", "step": 1, "frames": 1}


def test_the_limits_name_the_streams_bounds(client):
    got = client.get("/api/limits").json()
    assert (got["max_frames"], got["max_stream_seconds"], got["max_classes"]) == (MAX_FRAMES, MAX_STREAM_SECONDS, 4)


# ---------------------------------------- several classes, per-layer activations, one gradient convention
def test_the_gradients_are_signed_as_the_step_reads_them(client):
    settings = dict(layers=[4], learning_rate=0.3, steps=10)
    d = play(client, **settings)
    net, _ = network(playground.setup_of(PlaygroundRequest(**{**settings, "steps": 0}, params=d["params"], step=10)))
    X, y = points(playground.setup_of(PlaygroundRequest(**settings)))
    train_idx, _ = split(len(y), 0.3, 0)
    grads = net.gradients(features(X[train_idx], ["x1", "x2"]), y[train_idx])
    for (gW, gb), sent in zip(grads, d["gradients"]):
        assert np.array_equal(gW, np.array(sent["W"])) and np.array_equal(gb, np.array(sent["b"]))
    assert any(v < 0 for layer in d["gradients"] for row in layer["W"] for v in row)  # signed, not |∂C/∂w|


def test_several_classes_answer_with_the_likeliest_class_and_one_map_per_class(client):
    d = play(client, dataset="blobs", layers=[6], steps=50, learning_rate=0.3, grid=12, neuron_grid=8)
    assert d["classes"] == 4 and d["sizes"] == [2, 6, 4] and "p" not in d["boundary"]
    label, top = np.array(d["boundary"]["label"]), np.array(d["boundary"]["top"])
    maps = [_decode(m, 8) for m in d["neurons"]["layers"][-1]]
    assert label.shape == (12, 12) and set(label.ravel()) <= {0, 1, 2, 3} and np.all((top >= 0.25) & (top <= 1))
    assert np.allclose(sum(maps), 1.0, atol=4 * max(m["hi"] - m["lo"] for m in d["neurons"]["layers"][-1]) / 255)
    assert {int(p[2]) for p in d["train_points"]} == {0, 1, 2, 3}


def test_your_own_points_may_have_four_classes_and_no_more(client):
    pts = [[0, 0, 0], [1, 1, 1], [-1, 1, 2], [1, -1, 3], [0.5, 0.5, 3]]
    d = play(client, dataset="custom", points=pts, layers=[3], steps=3)
    assert d["classes"] == 4 and d["sizes"][-1] == 4
    refused(client.post("/api/playground", json={"dataset": "custom", "points": [[0, 0, 0], [1, 1, 4]]}),
            "points[1][2]", "one of: 0, 1, 2, 3")


def test_each_hidden_layer_may_have_its_own_activation(client):
    d = play(client, layers=[4, 3], activations=["relu", "sigmoid"], neuron_grid=6, steps=5)
    assert d["activations"] == ["relu", "sigmoid"]
    second = [_decode(m, 6) for m in d["neurons"]["layers"][1]]
    assert all(np.all((m > -1e-9) & (m < 1 + 1e-9)) for m in second)  # sigmoid outputs
    assert play(client, layers=[4, 3])["activations"] == ["tanh", "tanh"]
    refused(client.post("/api/playground", json={"layers": [4, 3], "activations": ["relu"]}), "activations",
            "exactly one per hidden layer")


def test_csv_points_may_be_written_with_the_minus_sign_the_page_prints(client):
    r = client.post("/api/playground/points", json={"csv": "\u22120.5,1,0\n0.25,\u22121e\u22122,2\n"})
    assert r.status_code == 200 and r.json()["points"] == [[-0.5, 1.0, 0], [0.25, -0.01, 2]]

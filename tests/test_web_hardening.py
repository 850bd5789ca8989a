"""The explorer's server, hardened (issue 21): errors bounded like work, exact Host headers, full queues answered.

* A JSON body with far more keys, list items, strings or nesting than its
  endpoint's schema can use is refused from its raw bytes, before it is
  parsed or validated, in a small 422 that names the bound; the ordinary
  mistakes still reach pydantic, whose message names the field.
* A 422 lists at most a few problems and says how many more; what it quotes
  of a value is a few characters, however large the value.
* An empty, malformed or repeated ``Host`` is refused like a foreign one
  (checked with raw sockets against a real ``chainrule serve``).
* A full queue answers 503 with ``Retry-After`` at once, never a wait past
  the client's patience; the lesson queue also counts in seconds.

No timings here (they are ``bench/bench_load.py``'s): the checks are sizes,
counts, statuses and messages, and one loose check that a light request is
answered while heavy bodies arrive.
"""

from __future__ import annotations

import json
import threading
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from chainrule.csv_points import MAX_REPORTED
from chainrule.web import create_app
from live_server import LiveServer
from web_gates import gated
from chainrule.web import bodies
from chainrule.web.server import MAX_LISTED, host_of

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="module")
def shapes(client):
    spec = client.get("/openapi.json").json()
    found = {}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                found[path] = bodies.shape_of(content["application/json"]["schema"], spec)
    return found


def many_keys(n: int = 60_000) -> bytes:
    """A JSON object of ``n`` unknown keys: about 0.7 MB for 60,000."""
    return ("{" + ",".join(f'"k{i:05d}":0' for i in range(n)) + "}").encode()


def refused_unread(response, *words: str) -> str:
    """A 422 from the shape check (``server.BoundJson``), small, naming the request body and the bound."""
    assert response.status_code == 422, response.text[:300]
    assert len(response.content) <= 4096, len(response.content)
    body = response.json()
    assert body["detail"][0]["field"] == "request body" and body["detail"][0]["type"] == "body_shape", body
    for w in words:
        assert w in body["error"], body["error"]
    return body["error"]


# ------------------------------------------------------------ bodies refused before they are parsed
def test_a_body_of_60000_unknown_keys_gets_a_422_of_a_few_kb_naming_the_limit(client, shapes):
    body = many_keys()
    assert 600_000 < len(body) < 1_000_000  # under the size limit: only its shape can refuse it
    r = client.post("/api/simplest", content=body, headers=JSON)
    limit = shapes["/api/simplest"].strings
    message = refused_unread(r, "60,000 strings", f"allowed: at most {limit} strings")
    assert "/api/simplest" in message and "\n" not in message


def test_deep_nesting_is_refused_unread(client, shapes):
    deep = b'{"input": ' + b"[" * 8 + b"1" + b"]" * 8 + b"}"
    depth = shapes["/api/simplest"].depth
    refused_unread(client.post("/api/simplest", content=deep, headers=JSON),
                   f"nested more than {depth + bodies.DEPTH_SLACK} deep", f"nested at most {depth} deep")
    deeper = b'{"params": ' + b"[" * 500 + b"]" * 500 + b"}"
    depth = shapes["/api/playground"].depth
    refused_unread(client.post("/api/playground", content=deeper, headers=JSON),
                   f"nested more than {depth + bodies.DEPTH_SLACK} deep")
    many = b'{"input": ' + b"[" * 5000 + b"]" * 5000 + b"}"  # more lists than the whole schema has
    refused_unread(client.post("/api/simplest", content=many, headers=JSON), "5,001 lists and objects")


def test_long_lists_are_refused_unread(client, shapes):
    points = json.dumps({"dataset": "custom", "points": [[0, 0, 1]] * 60_000}).encode()
    assert len(points) < 1_000_000
    items = shapes["/api/playground"].items
    refused_unread(client.post("/api/playground", content=points, headers=JSON), "keys and list items",
                   f"at most {items:,} keys and list items")
    refused_unread(client.post("/api/simplest", json={"input": [0] * 5000}), "at least 5,000 keys and list items")
    refused_unread(client.post("/api/backprop", json={"lesson": [{}] * 3000}), "at least 3,000 keys and list items",
                   "at most 1 key or list item")


@pytest.mark.parametrize("body, field", [
    ({"input": [1]}, "input"),  # a list where a number goes
    ({"steps": "5"}, "steps"),  # a text where a number goes
    ({"input": 1, "target": 1, "weight": 1, "learning_rate": 0.1, "steps": 1, "tolerance": 0.1, "wieght": 1}, "wieght"),
])
def test_ordinary_mistakes_still_reach_validation_and_name_their_field(client, body, field):
    r = client.post("/api/simplest", json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, r.json()


def test_every_endpoint_with_a_json_body_has_a_bounded_shape(shapes):
    assert {"/api/simplest", "/api/backprop", "/api/playground", "/api/playground/points"} <= set(shapes)
    assert all(shape is not None for shape in shapes.values()), shapes


def test_the_largest_valid_playground_body_passes_the_check(client):
    sizes = [7, *[32] * 6, 2]
    params = [{"W": [[0.01 * ((i + j) % 7 - 3) for j in range(b)] for i in range(a)], "b": [0.0] * b}
              for a, b in zip(sizes, sizes[1:])]
    body = {"dataset": "custom", "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"],
            "layers": [32] * 6, "params": params, "grid": 8, "steps": 0,
            "points": [[0.001 * (i % 2000) - 1, 0.5 - 0.0003 * i, i % 2] for i in range(2000)],
            "values": [[0.25, -0.25, 0.125]] * 2000}
    r = client.post("/api/playground", json=body)
    assert r.status_code == 200, r.text[:300]


def test_a_csv_full_of_json_punctuation_is_not_mistaken_for_structure(client):
    csv = ('0,0,1 # "quoted", [bracketed] {braced} \\ back\\slashed \\" \n' * 2000)[:80_000]
    r = client.post("/api/playground/points", json={"csv": csv})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "csv", r.text[:300]  # the CSV reader's refusal


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('",[]{}:\\ab\n') + ["é", "\u2028", "\U0001F600"]), max_size=300),
       st.booleans())
def test_the_raw_counts_never_refuse_a_body_that_fits_its_schema(text, ascii_only):
    # strings full of commas, brackets, quotes and backslashes, escaped any way json.dumps does
    shape = bodies.Shape(items=2, strings=4, containers=1, depth=1)  # PointsCsvRequest's
    for body in ({"csv": text}, {"csv": text, "problem": "regression"}, {"problem": text}):
        raw = json.dumps(body, ensure_ascii=ascii_only, separators=(",", ":")).encode()
        assert bodies.excess(raw, shape) is None, raw


def test_a_body_that_is_not_utf8_json_is_refused_in_one_line(client):
    r = client.post("/api/simplest", content='{"steps": 3}'.encode("utf-16"), headers=JSON)
    assert r.status_code == 422 and "UTF-8" in r.json()["error"]


# ------------------------------------------------------------ error lists bounded
def test_a_422_lists_at_most_a_few_problems_and_says_how_many_more(client):
    r = client.post("/api/simplest", json={f"unknown_{i}": i for i in range(20)})
    assert r.status_code == 422
    body = r.json()
    assert len(body["detail"]) == MAX_LISTED and body["more"] == 20 - MAX_LISTED
    assert body["error"].endswith(f"and {20 - MAX_LISTED} more problems")
    assert body["detail"][0]["field"] == "unknown_0"
    assert "more" not in client.post("/api/simplest", json={"steps": 5000}).json()  # one problem: nothing more


def test_a_refusal_quotes_a_few_characters_of_a_long_value(client):
    r = client.post("/api/playground", json={"points": [[0, 0, 1]] * 2001})
    assert r.status_code == 422 and len(r.content) < 2048, len(r.content)
    message = r.json()["error"]
    assert "(got [[0, 0, 1]" in message and "…)" in message and len(message) < 400, message


def test_a_list_of_bad_items_is_refused_at_its_first(client):
    # within every bound of the shape (numbers, not strings), but every number out of range: 19,000 of them
    bad = {"points": [[99, 99, 5]] * 2000, "values": [[99, 99, 99]] * 2000,
           "params": [{"W": [[1e9] * 32] * 32, "b": [1e9] * 32}] * 7}
    r = client.post("/api/playground", json=bad)
    assert r.status_code == 422 and len(r.content) < 4096, len(r.content)
    body = r.json()
    assert body["detail"][0]["field"] == "points[0][0]"
    assert body.get("more", 0) < 20  # one item of each list, not one error per item


def test_bad_csv_lines_are_listed_up_to_a_bound_and_counted(client):
    r = client.post("/api/playground/points", json={"csv": "bad\n" * 5000})
    assert r.status_code == 422 and len(r.content) < 8192, len(r.content)
    body = r.json()
    assert len(body["detail"]) == MAX_REPORTED and body["more"] == 5000 - MAX_REPORTED
    assert [p["line"] for p in body["detail"]] == list(range(1, MAX_REPORTED + 1))


# ------------------------------------------------------------ Host headers
@pytest.mark.parametrize("header, host", [
    ("127.0.0.1", "127.0.0.1"), ("127.0.0.1:8000", "127.0.0.1"), ("LocalHost:80", "localhost"),
    ("[::1]", "::1"), ("[::1]:8000", "::1"), ("[0:0:0:0:0:0:0:1]:8000", "::1"), ("explorer.classroom.lan", "explorer.classroom.lan"),
])
def test_a_host_header_names_a_host_and_an_optional_port(header, host):
    assert host_of(header) == host


@pytest.mark.parametrize("header", [
    "", " ", ":8000", "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1/x", "127.0.0.1?a",
    "127.0.0.1#a", "evil@127.0.0.1", "127.0.0.1@evil", "127.0.0.1 x", "127.0.0.1:8000:1", "[::1", "[::1]x", "[nope]",
    "localhost.", "-localhost", "127.0.0.1\n", "lo\u0441alhost",
])
def test_an_empty_or_malformed_host_header_names_no_host(header):
    assert host_of(header) is None


@pytest.fixture(scope="module")
def live():
    server = LiveServer()
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("headers", [
    b"Host: \r\n", b"Host:\r\n", b"Host: 127.0.0.1/x\r\n", b"Host: evil@127.0.0.1\r\n", b"Host: 127.0.0.1:abc\r\n",
    b"Host: 127.0.0.1:99999\r\n", b"Host: 127.0.0.1:\r\n", b"Host: 127.0.0.1?x\r\n", b"Host: 127.0.0.1:80:1\r\n",
    b"Host: evil.example\r\n",  # a foreign host, for comparison: the same refusal
])
def test_an_empty_or_malformed_host_is_refused_like_a_foreign_one(live, headers):
    status, body = live.raw(b"GET /api/limits HTTP/1.1\r\n" + headers + b"\r\n")
    assert status == 400 and b"is not an address of this explorer" in body, (status, body)


@pytest.mark.slow
def test_a_missing_or_repeated_host_is_refused_and_a_proper_one_answered(live):
    assert live.raw(b"GET /api/limits HTTP/1.1\r\n\r\n")[0] == 400
    assert live.raw(b"GET /api/limits HTTP/1.0\r\n\r\n")[0] == 400
    assert live.raw(b"GET /api/limits HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n")[0] == 400
    for host in (b"127.0.0.1", f"127.0.0.1:{live.port}".encode(), b"LOCALHOST", f"[::1]:{live.port}".encode()):
        assert live.raw(b"GET /api/limits HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")[0] == 200, host


@pytest.mark.slow
def test_a_light_request_is_answered_while_bodies_that_would_amplify_arrive(live):
    import httpx

    body, answers, stop = many_keys(), [], threading.Event()

    def flood():
        with httpx.Client(base_url=live.url, timeout=30, headers=JSON) as http:
            while not stop.is_set():
                try:
                    r = http.post("/api/simplest", content=body)
                except httpx.HTTPError as exc:  # counted, so that the assertion below names it
                    answers.append((type(exc).__name__, 0))
                    continue
                answers.append((r.status_code, len(r.content)))

    senders = [threading.Thread(target=flood, daemon=True) for _ in range(8)]
    for t in senders:
        t.start()
    try:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            for _ in range(10):
                assert http.get("/api/limits").status_code == 200
                time.sleep(0.05)
    finally:
        stop.set()
        for t in senders:
            t.join(60)
    assert answers and all(status == 422 and size <= 4096 for status, size in answers), answers[:5]


# ------------------------------------------------------------ full queues
def test_a_full_lesson_queue_answers_503_with_retry_after_at_once(monkeypatch):
    import anyio
    import httpx

    from chainrule.web import simplest_view

    gate, started = gated(monkeypatch, simplest_view, "explore")
    app = create_app(lessons=(1, 1))  # one computing, one waiting: the third is refused

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            answers = []

            async def ask():
                answers.append(await http.post("/api/simplest", json={"steps": 2}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(ask)
                await anyio.to_thread.run_sync(started.acquire)
                tg.start_soon(ask)
                while app.state.lessons.admitted < 2:
                    await anyio.sleep(0.01)
                refused = await http.post("/api/simplest", json={"steps": 2})
                assert refused.status_code == 503, refused.text
                assert int(refused.headers["retry-after"]) >= 1
                assert "busy" in refused.json()["error"] and refused.json()["detail"]
                assert (await http.get("/api/limits")).status_code == 200
                gate.set()
            assert sorted(a.status_code for a in answers) == [200, 200]

    anyio.run(scenario)


def test_a_queue_that_would_keep_a_request_waiting_too_long_refuses_it_at_once():
    import anyio

    from chainrule.web.capacity import Busy, Capacity

    # room for 100 in the queue, but each request takes about 1 s and the queue may hold 0.5 s of work
    pool = Capacity("lesson", 1, 100, max_wait=0.5, seconds=1.0)
    gate, started = threading.Event(), threading.Semaphore(0)

    def slow(x):
        started.release()
        assert gate.wait(30)
        return {"x": x}

    async def scenario():
        async with anyio.create_task_group() as tg:
            tg.start_soon(pool.run, slow, 1)
            await anyio.to_thread.run_sync(started.acquire)  # the only worker is busy: the next would wait ~1 s
            with pytest.raises(Busy, match="more than the 0.5 s allowed") as refused:
                await pool.run(slow, 2)
            assert refused.value.retry_after >= 1 and pool.refused == 1
            gate.set()
        fast = Capacity("lesson", 1, 100, max_wait=0.5, seconds=0.01)  # the same queue at a fast pace admits
        assert (await fast.run(lambda x: {"x": x}, 3)).body == b'{"x":3}'

    anyio.run(scenario)

"""The step-through page's API gives, for each step of the backward pass, the line of generated code that does it."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from chainrule import lessons
from chainrule.web import create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


@pytest.mark.parametrize("lesson", ["simplest", "wide", "batch"])
def test_each_event_carries_its_line_of_the_compiled_backward_pass(client, lesson):
    d = client.post("/api/backprop", json={"lesson": lesson}).json()
    program = d["program"].splitlines()
    names = {}
    for e in d["events"]:
        code, number = e["code"], e["code_line"]
        assert program[number - 1].strip().startswith(code.split("  #")[0])  # the line, where it is in the program
        target = code.split()[0]
        assert target.startswith("g_")
        names.setdefault(e["source"], target)
        assert names[e["source"]] == target  # each node's gradient is always the same variable
        operator = code.split()[1]
        assert operator in ("=", "+=", "-=")
        assert (operator != "=") == (e["meets"] or d["nodes"][e["source"]]["kind"] != "intermediate")


def test_the_video_s_step_reads_as_its_chain_rule_factor(client):
    d = client.post("/api/backprop", json={"lesson": "simplest"}).json()
    by_formula = {e["text"]["formula"]: e["code"] for e in d["events"]}
    assert by_formula["∂a/∂w = i"] == "g_w += g_a * i  # ∂a/∂w = i"


def test_the_program_runs_and_gives_the_steps_final_sums(client):
    d = client.post("/api/backprop", json={"lesson": "wide"}).json()
    namespace: dict = {}
    exec(compile(d["program"], "<program>", "exec"), namespace)  # noqa: S102 - the program under test
    cost, grads = namespace["backprop"]()
    last = {}
    for e in d["events"]:
        last[e["source"]] = e["after"]
    leaves = [n for n in d["nodes"] if not n["op"]]
    assert [grads[name] for name in grads] == [last[n["id"]] for n in leaves]
    assert cost == lessons.graph("wide").data

"""The exercise mode's API: one answer checked with the grader of ``chainrule exercise``; hostile text is a 422."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chainrule import lessons
from chainrule.exercises import build
from chainrule.exercises.answers import MAX_CHARS
from chainrule.exercises.steps import step_exercise
from chainrule.web import create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def checked(client, **body):
    return client.post("/api/exercise/check", json={"lesson": "simplest", **body})


def test_a_right_answer_is_right(client):
    r = checked(client, question="dC/dw", answer="1.2")
    assert r.status_code == 200
    data = r.json()
    assert data["correct"] and data["expected_text"] == "1.20" and data["diagnosis"] == "" and data["hint"] == ""


def test_a_sign_flipped_answer_gets_the_sign_diagnosis(client):
    data = checked(client, question="dC/dw", answer="-1.2").json()
    assert not data["correct"] and data["mistake"] == "sign"
    assert data["diagnosis"] == "∂C/∂w: you gave -1.2; that is ∂C/∂w with its sign flipped"
    assert data["expected"] == pytest.approx(1.2) and data["answer"].endswith("= 1.2")


def test_the_step_through_edges_are_checked_with_the_learners_numbers(client):
    steps = client.post("/api/exercise/steps", json={"lesson": "wide", "seed": 3}).json()
    ex = step_exercise("wide", 3)
    ids = [q["id"] for q in steps["questions"]]
    assert ids and all(i.startswith(("node:", "edge:")) for i in ids)
    assert {e["edge"] for e in steps["trace"]["events"]} == {int(i[5:]) for i in ids if i.startswith("edge:")}
    edge = next(i for i in ids if i.startswith("edge:"))
    value = ex.question(edge).value
    event = next(e for e in steps["trace"]["events"] if f"edge:{e['edge']}" == edge)
    assert event["contribution"] == pytest.approx(value)  # the page's numbers are the checked ones
    right = checked(client, lesson="wide", seed=3, question=edge, answer=repr(value)).json()
    flipped = checked(client, lesson="wide", seed=3, question=edge, answer=repr(-value)).json()
    assert right["correct"] and not flipped["correct"] and flipped["mistake"] == "sign"


def test_the_questions_of_an_exercise_come_without_their_answers(client):
    data = client.post("/api/exercise/questions", json={"lesson": "chain", "seed": 9}).json()
    ex = build("chain", 9)
    assert [q["id"] for q in data["questions"]] == [q.id for q in ex.questions]
    assert all(set(q) == {"id", "kind", "name", "prompt", "symbols"} for q in data["questions"])


@pytest.mark.timeout(30)
@pytest.mark.parametrize("answer", [
    "__import__('os').system('touch pwned')", "a.__class__.__bases__", "lambda: 0", "9**9**9", "2**99999999",
    "(" * 150, "1,5", "", "a b c", "\x00", "eval('1')", "{}",
])
def test_hostile_or_malformed_answers_are_a_422_with_one_line(client, answer, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = checked(client, question="dC/dw", answer=answer)
    assert r.status_code == 422
    assert r.json()["error"] and "\n" not in r.json()["error"]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("body, field", [
    ({"question": "dC/dw", "answer": "1" * (MAX_CHARS + 1)}, "answer"),
    ({"question": "x" * 65, "answer": "1"}, "question"),
    ({"question": "dC/dw; rm", "answer": "1"}, "question"),
    ({"question": "dC/dw", "answer": 1.2}, "answer"),
    ({"question": "dC/dw", "answer": "1", "seed": -1}, "seed"),
    ({"question": "dC/dw", "answer": "1", "seed": 2**31}, "seed"),
    ({"question": "dC/dw", "answer": "1", "seed": "7"}, "seed"),
    ({"question": "dC/dw", "answer": "1", "lesson": "nope"}, "lesson"),
    ({"question": "dC/dw", "answer": "1", "extra": 1}, "extra"),
    ({"answer": "1"}, "question"),
])
def test_every_field_is_bounded_and_a_request_outside_is_a_422_naming_it(client, body, field):
    r = client.post("/api/exercise/check", json={"lesson": "simplest", **body})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, r.json()


def test_an_unknown_question_or_an_answer_that_is_not_one_is_a_422_naming_its_field(client):
    r = checked(client, question="dC/dq", answer="1")
    assert r.status_code == 422 and "no question 'dC/dq'" in r.json()["error"]
    r = checked(client, question="dC/dw", answer="__import__('os')")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "answer"


def test_the_schema_documents_the_new_endpoints_and_their_bounds(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/exercise/check", "/api/exercise/steps", "/api/exercise/questions"):
        assert path in spec["paths"]
        assert spec["paths"][path]["post"]["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ApiError")
    props = spec["components"]["schemas"]["CheckRequest"]["properties"]
    assert props["answer"]["maxLength"] == MAX_CHARS and props["question"]["maxLength"] == 64


@pytest.mark.parametrize("lesson", lessons.step_through())
def test_the_step_exercise_is_offered_exactly_for_the_lessons_whose_questions_fit_one_sitting(lesson):
    """``Lesson(step_exercise=False)`` is declared, not measured at start-up: this keeps the declaration true."""
    from chainrule.errors import InvalidValueError
    from chainrule.exercises.exercise import MAX_QUESTIONS
    from chainrule.exercises.steps import step_questions

    if lesson in lessons.step_exercises():
        for seed in (None, 0, 1, 2):
            assert 0 < len(step_questions(lesson, seed)["questions"]) <= MAX_QUESTIONS
    else:
        with pytest.raises(InvalidValueError, match=f"at most {MAX_QUESTIONS} fit one sitting"):
            step_questions(lesson, 0)


def test_the_steps_endpoint_and_the_limits_name_only_the_lessons_with_a_step_exercise(client):
    offered = client.get("/api/limits").json()["exercise_lessons"]
    assert offered == list(lessons.step_exercises()) and "convexity" not in offered and "simplest" in offered
    refused = client.post("/api/exercise/steps", json={"lesson": "convexity", "seed": 0})
    assert refused.status_code == 422 and "lesson" in refused.text
    assert client.post("/api/exercise/questions", json={"lesson": "convexity", "seed": 0}).status_code == 200
    step = checked(client, lesson="convexity", seed=0, question="node:0", answer="1")
    assert step.status_code == 422 and step.json()["detail"][0]["field"] == "question", step.json()

"""``chainrule exercise``: interactive, scriptable (--format json, --key, --answers), exit 0/1/2 with one line."""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_build import block_after

from chainrule.cli import main
from chainrule.exercises import build
from chainrule.exercises.exercise import key_number
from chainrule.exercises.grading import check


class Typed(io.StringIO):
    """Answers typed one per line, as a pipe (not a terminal)."""

    def isatty(self):
        return False


def run(capsys, monkeypatch, argv, typed: list[str] | None = None):
    if typed is not None:
        monkeypatch.setattr("sys.stdin", Typed("".join(line + "\n" for line in typed)))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrule exercise: error: "), err
    return lines[0]


def test_an_interactive_session_marks_each_step_and_ends_with_the_score(capsys, monkeypatch):
    ex = build("simplest", 0)
    typed = [key_number(q.value) for q in ex.questions]
    typed.insert(2, key_number(ex.question("dC/da").value / 2))  # the 2 of the square forgotten, first
    code, out, _ = run(capsys, monkeypatch, ["exercise", "simplest", "--seed", "0"], typed)
    assert code == 0, out
    assert "the 2 that the square brings down" in out
    assert "score: 7/7; wrong: local derivatives (1)" in out and "right the first time: 6/7" in out


def test_the_prompts_are_short_show_their_symbols_and_never_show_an_answer_before_it_is_asked(capsys, monkeypatch):
    ex = build("simplest", 12)
    code, out, _ = run(capsys, monkeypatch, ["exercise", "simplest", "--seed", "12"],
                       [key_number(q.value) for q in ex.questions])
    assert code == 0 and len(ex.questions) <= 7  # a handful of short steps: well under three minutes
    assert "given: i = " in out and ", w = " in out and ", y = " in out and ", lr = " in out
    for k, q in enumerate(ex.questions):
        prompt = f"[{k + 1}/{len(ex.questions)}] {q.prompt}"
        assert len(q.prompt) <= 32 and prompt in out
        before = out[:out.index(prompt)]
        shown = [g.value for g in ex.givens] + [p.value for p in ex.questions[:k]]
        if not any(abs(float(key_number(q.value)) - float(key_number(v))) < 1e-12 for v in shown):
            assert key_number(q.value) not in before and f"{q.value:g}" not in before, (q.id, before)
        if q.kind not in ("forward", "cost") and q.formula:
            assert f"{q.name} = {q.formula}" not in before, q.id  # a slope's formula is its answer: not shown first


def test_typed_names_are_explained_for_lessons_with_sub_and_superscripts(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, ["exercise", "wide", "--seed", "1"], ["0"])
    assert "typing: " in out and "(type w1_11)" in out


def test_the_session_stopped_early_exits_1_and_an_empty_input_exits_2(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, ["exercise", "chain", "--seed", "4"], ["1"])
    assert code == 1 and "stopped after 0 of 19 questions" in out
    code, _, err = run(capsys, monkeypatch, ["exercise", "chain", "--seed", "4"], [])
    assert code == 2 and "no answer" in one_line_error(err)


def test_format_json_prints_the_questions_without_their_answers(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, ["exercise", "batch", "--student", "Ada", "--format", "json"])
    data = json.loads(out)
    ex = build("batch", data["seed"])
    assert code == 0 and [q["id"] for q in data["questions"]] == [q.id for q in ex.questions]
    assert {"id", "kind", "prompt", "symbols"} <= set(data["questions"][0]) and data["given"]
    text = json.dumps(data["questions"], ensure_ascii=False)
    for q in ex.questions:
        if q.kind not in ("forward", "cost", "update"):  # an update's prompt is its rule, w − lr·∂C/∂w
            assert key_number(q.value) not in text and (not q.formula or f"= {q.formula} =" not in text)


def test_the_key_prints_every_answer_and_the_answers_file_is_marked_without_prompting(capsys, monkeypatch, tmp_path):
    code, out, _ = run(capsys, monkeypatch, ["exercise", "activation", "--seed", "5", "--key", "--format", "json"])
    key = json.loads(out)["key"]
    assert code == 0 and [k["id"] for k in key] == [q.id for q in build("activation", 5).questions]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({k["id"]: k["answer"] for k in key}), encoding="utf-8")
    code, out, _ = run(capsys, monkeypatch, ["exercise", "activation", "--seed", "5", "--answers", str(answers)])
    assert code == 0 and out.strip().endswith(f"score: {len(key)}/{len(key)}")
    wrong = {k["id"]: k["answer"] for k in key} | {"dC/da": "0", "da/dz": "a"}
    answers.write_text(json.dumps(wrong), encoding="utf-8")
    code, out, _ = run(capsys, monkeypatch, ["exercise", "activation", "--seed", "5", "--answers", str(answers),
                                              "--format", "json"])
    result = json.loads(out)
    assert code == 1 and result["score"] == {"right": len(key) - 2, "total": len(key)}
    marks = {q["id"]: q for q in result["questions"]}
    assert marks["da/dz"]["mistake"] == "activation" and marks["da/dz"]["given"] == "a"
    assert {"correct", "expected", "given", "diagnosis"} <= set(marks["dC/da"])


@pytest.mark.parametrize("content, words", [
    ("{", "is not valid JSON"), ("[1, 2]", "one JSON object"), ('{"nope": "1"}', "no question 'nope'"),
    ('{"a": [1]}', "must be text or a number"), ('{"a": "1,5"}', "a: write decimals with a point"),
    ('{"a": "2 ai"}', "unknown name 'ai'"),
])
def test_a_bad_answers_file_exits_2_with_one_line(capsys, monkeypatch, tmp_path, content, words):
    path = tmp_path / "answers.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, monkeypatch, ["exercise", "simplest", "--seed", "1", "--answers", str(path)])
    assert code == 2 and words in one_line_error(err)


@pytest.mark.parametrize("argv, words", [
    (["exercise", "simplest", "--key"], "--key needs --seed N or --student NAME"),
    (["exercise", "simplest", "--seed", "1", "--answers", "/nonexistent.json"], "cannot read"),
    (["exercise", "simplest", "--student", ""], "must not be empty"),
    (["exercise", "nope"], "invalid choice"),
])
def test_bad_input_exits_2_with_one_line(capsys, monkeypatch, argv, words):
    code, _, err = run(capsys, monkeypatch, argv)
    assert code == 2 and words in err.strip().splitlines()[-1] and len(err.strip().splitlines()) == 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("attack", ["__import__('os').system('touch pwned')", "a.__class__", "lambda: 1",
                                    "9**9**9", "2**99999999", "(" * 300])
def test_named_attacks_through_the_command_line_are_refused_and_run_nothing(capsys, monkeypatch, tmp_path, attack):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"dC/dw": attack}), encoding="utf-8")
    code, _, err = run(capsys, monkeypatch, ["exercise", "simplest", "--seed", "1", "--answers", str(path)])
    assert code == 2 and one_line_error(err).startswith("chainrule exercise: error: dC/dw: ")
    code, out, _ = run(capsys, monkeypatch, ["exercise", "simplest", "--seed", "1"], ["1.92", "0.0484", attack])
    assert "not an answer:" in out
    assert not (tmp_path / "pwned").exists()


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=120))
def test_any_text_in_the_answers_file_is_marked_or_refused_with_exit_2(capsys, monkeypatch, tmp_path, text):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"dC/dw": text}), encoding="utf-8")
    code, out, err = run(capsys, monkeypatch, ["exercise", "simplest", "--seed", "1", "--answers", str(path)])
    assert "Traceback" not in out + err
    ex = build("simplest", 1)
    try:
        check(ex, "dC/dw", text)
        readable = True
    except ValueError:
        readable = False
    if readable or not text.strip():  # a blank answer is no answer: marked wrong
        assert code == 1 and re.search(r"score: \d/7", out)  # the other answers are missing: never all right
    else:
        assert code == 2 and len(err.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_site_s_transcript_is_what_the_command_prints(capsys, monkeypatch):
    """The session on the teachers' page of the docs site (it was the README's) is what the command prints."""
    block = block_after("teachers.html", "$ chainrule exercise simplest --seed 7")
    typed = re.findall(r"^\[\d+/\d+\] .*? = \? (.*)$", block, flags=re.M)
    assert len(typed) >= 9 and "✗" in block  # the answers typed, mistakes among them
    code, out, _ = run(capsys, monkeypatch, ["exercise", "simplest", "--seed", "7"], typed)
    assert code == 0 and out.rstrip("\n") == block


@pytest.mark.parametrize("name", ["learning-rate", "convexity", "softmax", "conv", "recurrent"])
def test_the_later_rungs_have_their_exercise_too(capsys, monkeypatch, name):
    code, out, _ = run(capsys, monkeypatch, ["exercise", name, "--seed", "1", "--format", "json"])
    assert code == 0 and json.loads(out)["questions"]

"""The step-through's names and numbers (issue 24 §3): never a node named by its place (v₅₇), never a coefficient 1,
numbers rounded to what they mean; a node the explainer could only number is named by what it computes.

``chainrule.stepthrough.names`` writes such a node out with its constants as numbers (a₁ − 0, w¹₁·0 + b¹₁, and
e₁ + … + e₄ for a long sum), and every text of the trace is rewritten with those names. The new names are checked
against the engine: read back by the exercises' safe reader, each evaluates to its node's value.
"""

from __future__ import annotations

import json
import re

import pytest

from chainrule import lessons
from chainrule.exercises.answers import parse_answer
from chainrule.explainer.names import name_nodes
from chainrule.playground.rebuild import Focus
from chainrule.playground.setup import Setup
from chainrule.stepthrough import names as step_names
from chainrule.stepthrough.graph import trace_graph
from chainrule.stepthrough.lesson import available, trace_lesson
from chainrule.stepthrough.playground import trace as trace_playground

POSITIONAL = re.compile(r"(?<![^\W\d_])v[₀-₉]+")
# a coefficient 1 written before a name or a parenthesis: 1w, − 1w₂, 1(a − y)
ONE_BEFORE = re.compile(r"(?<![\d.,·⁰-⁹₀-₉\w])1(?=[^\W\d_(]|\()")
# a number as the pages write it (num: at most 6 significant digits, then ·10ⁿ)
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def significant(number: str) -> int:
    """The significant digits of a written number: 0.0167978 has 6, 1200 has 2 (its zeros only place it)."""
    digits = number.replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "." not in number else len(digits)


def texts(trace: dict) -> list[str]:
    """Every text of a trace a page shows: names, formulas, the sentences of each step, the sums over paths."""
    out = [trace["cost_name"]]
    for n in trace["nodes"]:
        out += [n["name"], n["value_text"], n["grad_text"]]
    for e in trace["edges"]:
        out += [e["derivative"], e["formula"], e["local_text"]]
    for e in trace["events"]:
        out += list(e["text"].values())
    for d in trace["derivations"]:
        out += [d["name"], d["formula"], d["numbers"], d["grad_text"]]
    return out


def playground_traces():
    for features in [("x1", "x2"), ("x1",)]:
        for focus in [Focus("weight", 1, 1, 1), Focus("bias", 2, 1, 1), Focus("neuron", 1, 2, 1)]:
            yield f"{'+'.join(features)}-{focus.kind}", trace_playground(Setup(features=features, layers=(3, 2)), focus, 2)


@pytest.mark.parametrize("lesson", available())
def test_no_lesson_names_a_node_by_its_place_and_every_name_is_its_own(lesson):
    trace = trace_lesson(lesson)
    for text in texts(trace):
        assert not POSITIONAL.search(text), (lesson, text)
    names = [n["name"] for n in trace["nodes"]]
    assert len(names) == len(set(names)), f"two nodes of {lesson} share a name"


def test_no_playground_step_through_names_a_node_by_its_place():
    for label, trace in playground_traces():
        for text in texts(trace):
            assert not POSITIONAL.search(text), (label, text)


@pytest.mark.parametrize("lesson", available())
def test_numbers_are_rounded_and_no_coefficient_1_is_written(lesson):
    trace = trace_lesson(lesson)
    for text in texts(trace):
        assert not ONE_BEFORE.search(text), (lesson, text)
        assert all(significant(n) <= 6 for n in NUMBER.findall(text)), (lesson, text)


def test_the_learning_rate_lessons_sum_of_errors_is_written_out():
    trace = trace_lesson("learning-rate")
    (total,) = [n for n in trace["nodes"] if n["op"] == "sum"]
    assert total["name"] == "e₁ + … + e₄"
    # a sum inside a derivative stands in parentheses
    into = [e for e in trace["edges"] if e["target"] == total["id"]]
    assert [e["derivative"] for e in into] == [f"∂(e₁ + … + e₄)/∂e{s}" for s in "₁₂₃₄"]
    first = trace["events"][0]
    assert first["text"]["chain"] == "∂C/∂C · ∂C/∂(e₁ + … + e₄)"


def _value(name: str, trace: dict) -> float:
    """A written-out name read back by the exercises' reader, with the other nodes' values as its symbols."""
    symbols = {n["name"]: n["name"] for n in trace["nodes"] if " " not in n["name"] and "·" not in n["name"]}
    values = {n["name"]: n["value"] for n in trace["nodes"]}
    return parse_answer(name, symbols).value(values)


def test_a_formula_that_collapsed_onto_another_name_is_written_with_its_constants_and_computes_its_node():
    trace = trace_lesson("convexity")
    renamed = [n for n in trace["nodes"] if not n["label"] and ("− 0" in n["name"] or "·0 + " in n["name"])]
    assert {n["name"] for n in renamed} >= {"a₁ − 0", "a₅ − 0", "w¹₁·0 + b¹₁", "w¹₂·0 + b¹₂"}
    for n in renamed:
        assert _value(n["name"], trace) == pytest.approx(n["value"], abs=1e-12), n["name"]


@pytest.mark.parametrize("lesson", available())
def test_every_name_written_as_a_formula_computes_its_node(lesson):
    trace = trace_lesson(lesson)
    for n in trace["nodes"]:
        if n["label"] or "…" in n["name"] or not any(op in n["name"] for op in (" + ", " − ", "·")):
            continue
        try:
            value = _value(n["name"], trace)
        except Exception:  # a function the reader spells differently (σ, tanh): checked by the explainer's own tests
            continue
        assert value == pytest.approx(n["value"], rel=1e-9, abs=1e-12), (lesson, n["name"])


# ------------------------------------------------------------------ rename
def test_rename_puts_a_sum_in_parentheses_inside_a_formula_only():
    new = {"v₅₇": "e₁ + … + e₄", "v₁₂": "a₁ − 0", "v₃": "h"}
    rename = step_names.rename
    assert rename("v₅₇", new) == "e₁ + … + e₄"  # the name itself
    assert rename("∂C/∂v₅₇", new) == "∂C/∂(e₁ + … + e₄)"
    assert rename("2v₁₂", new) == "2(a₁ − 0)"
    assert rename("σ(v₁₂)", new) == "σ(a₁ − 0)"  # a function's whole argument needs no second pair
    assert rename("v₃·w", new) == "h·w"  # a one-word name needs none
    assert rename("v₃₁ + v₃", new) == "v₃₁ + h", "v₃ is not a part of v₃₁"
    assert rename("w·v₅₇", {}) == "w·v₅₇"


def test_a_long_sum_keeps_its_first_and_last_term_and_a_taken_name_falls_back_to_the_operations_word():
    from chainrule.scalar import Value

    xs = [Value(float(k), label=f"x{k}") for k in range(1, 6)]
    total = Value.sum(xs)
    out = (total * 2.0).named("C")
    names = name_nodes(out)
    assert step_names.written(total, names) == "x1 + … + x5"
    assert step_names.written(Value.sum(xs[:3]), name_nodes(Value.sum(xs[:3]))) == "x1 + x2 + x3"
    a = Value(1.0, label="a")
    same = (a - 0.0)  # a − 0 is a once simplified: the explainer numbers it
    out = (same * same + a).named("C")
    trace = trace_graph(out)
    assert "a − 0" in [n["name"] for n in trace["nodes"]]
    assert not any(POSITIONAL.search(t) for t in texts(trace))
    assert json.dumps(trace, ensure_ascii=False).count("(a − 0)") > 0  # inside products and derivatives: in parentheses


def test_a_lessons_graph_is_named_as_the_explainer_names_it_where_it_can():
    # only the nodes the explainer numbered are renamed: every other name is the explainer's own
    for lesson in ("wide", "learning-rate"):
        cost = lessons.load(lesson).graph(**lessons.load(lesson).step_through_params())
        theirs = name_nodes(cost)
        ours = {n["id"]: n["name"] for n in trace_lesson(lesson)["nodes"]}
        for node in theirs.order:
            if not POSITIONAL.fullmatch(theirs[node]):
                assert ours[theirs.index[node]] == theirs[node]

"""Each lesson's parameters are declared once: the library, the command line, the API and check/graph agree."""

from __future__ import annotations

import argparse

import pytest

from chainrule import lessons
from chainrule.cli import main
from chainrule.commands.options import add_params
from chainrule.errors import InvalidValueError
from chainrule.params import Param, Params

ALL = [(name, p) for name, lesson in lessons.LESSONS.items() for p in lesson.params]


def _outside(p: Param):
    """A value just outside the declared bounds (or None when there is none)."""
    if p.kind in ("float", "floats") and p.high is not None:
        return p.high * 2 + 1
    if p.kind == "int" and p.high is not None:
        return p.high + 1
    return None


@pytest.mark.parametrize("name,param", ALL, ids=[f"{n}.{p.name}" for n, p in ALL])
def test_the_library_and_the_command_line_refuse_the_same_values_with_the_same_words(capsys, name, param):
    bad = _outside(param)
    if bad is None:
        assert param.kind in ("choice", "bool")
        return
    value = [bad] * param.length[0] if param.kind == "floats" else bad
    with pytest.raises(InvalidValueError) as library:
        lessons.load(name).train(**{param.name: value})
    argv = ["lesson", name, param.flag, *([str(bad)] * (param.length[0] if param.kind == "floats" else 1))]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert param.allowed() in err and param.allowed() in str(library.value)


@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_every_default_is_within_its_own_bounds_and_the_help_shows_it(name):
    module = lessons.LESSONS[name]
    parser = argparse.ArgumentParser()
    add_params(parser, module.params)
    defaults = vars(parser.parse_args([]))
    assert defaults == {p.name: (list(p.default) if isinstance(p.default, tuple) else p.default) for p in module.params}
    for p in module.params:
        assert "(default" in p.help_text() and "default" not in p.help  # written in from the declaration


def test_the_api_schema_states_the_lesson_s_own_bounds():
    from chainrule.lessons import simplest
    from chainrule.web.api_models import SimplestRequest

    schema = SimplestRequest.model_json_schema()["properties"]
    for p in simplest.PARAMS:
        field = schema[p.name]
        assert field.get("maximum", field.get("exclusiveMaximum")) == p.high
        assert field.get("minimum", field.get("exclusiveMinimum")) == p.low
        assert field["default"] == p.default
    assert schema["input"]["not"] == {"exclusiveMinimum": -1e-150, "exclusiveMaximum": 1e-150}


def test_a_declaration_refuses_a_default_outside_itself_and_repeated_names():
    with pytest.raises(InvalidValueError):
        Param("x", 5.0, "x", low=0, high=1)
    with pytest.raises(ValueError):
        Params(Param("x", 0.5, "x"), Param("x", 0.5, "x"))


def test_check_and_graph_use_the_lessons_real_networks(capsys, tmp_path):
    assert main(["check", "why-backprop", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "all 256 comparisons agree" in out  # the 256-weight network, not one weight
    assert main(["check", "learning-rate", "--no-torch"]) == 0
    assert "all 13 comparisons agree" in capsys.readouterr().out  # MLP(1 → 4 → 1): 13 weights and biases
    assert len(lessons.graph("why-backprop").nodes()) > 256

"""The answer parser: numbers and formulas in the lesson's symbols, read by our grammar; nothing else, and nothing run."""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.exercises as exercises_package
from chainrule.exercises.answers import MAX_CHARS, AnswerError, parse_answer

NAMES = {"a": "a", "y": "y", "i": "i", "w": "w", "z": "z", "w1": "w₁", "w₁": "w₁", "a1_1": "a¹₁", "a¹₁": "a¹₁"}
VALUES = {"a": 1.2, "y": 0.8, "i": 1.5, "w": 0.8, "z": 0.5, "w₁": 2.0, "a¹₁": 3.0}

# The attacks the issue names, and their cousins: none may run anything, all are refused at once.
ATTACKS = [
    "__import__('os').system('touch pwned')",
    '__import__("os").system("touch pwned")',
    "__import__(os)",
    "a.__class__",
    "a.__class__.__bases__[0].__subclasses__()",
    "().__class__",
    "lambda: 1",
    "(lambda x: x)(1)",
    "9**9**9",
    "9^9^9",
    "(9**9)**9**9",
    "2**10000000",
    "a**(10**10)",
    "exec('1')",
    "eval('1')",
    "open('/etc/passwd')",
    "[x for x in ()]",
    "{}", "a if a else y", "a; y", "a, y", "f'{a}'", "b'1'", "1j", "a @ y", "a // y", "a % y", "~a", "not a",
    "a < y", "a == y", "a := 1", "*a", "a[0]", "'abc'", "\\x41", "\x00",
    "(" * 100 + "1" + ")" * 100,
    "-" * 150 + "1",
    "+".join(["a"] * 100),
]


@pytest.mark.parametrize("text, expected", [
    ("1.2", 1.2), ("-0.16", -0.16), ("−0.16", -0.16), (".5", 0.5), ("1.", 1.0), ("2e-3", 0.002), ("1E2", 100.0),
    ("3/4", 0.75), ("2·0.6", 1.2), ("2×0.6", 1.2), ("1.2 ", 1.2), ("(1.2)", 1.2), ("2^3", 8.0), ("2**-1", 0.5),
    ("2²", 4.0), ("2⁻¹", 0.5),
])
def test_numbers_are_read_exactly_as_written(text, expected):
    answer = parse_answer(text)
    assert answer.is_number
    assert answer.value() == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("text, expected", [
    ("2*(a-y)*i", 2 * (1.2 - 0.8) * 1.5),
    ("2(a − y)·i", 2 * (1.2 - 0.8) * 1.5),          # as printed, with implicit multiplication
    ("2 (a-y) i", 2 * (1.2 - 0.8) * 1.5),
    ("(a-y)^2", 0.4 ** 2), ("(a-y)**2", 0.4 ** 2), ("(a − y)²", 0.4 ** 2), ("z²", 0.25), ("a^-1", 1 / 1.2),
    ("σ(z)(1-σ(z))", 0.6224593312018546 * (1 - 0.6224593312018546)),
    ("sigmoid(z)*(1 - sigmoid(z))", 0.6224593312018546 * (1 - 0.6224593312018546)),
    ("1 - tanh(z)^2", 1 - 0.46211715726000974 ** 2), ("exp(-z)", 0.6065306597126334), ("ln(a)", 0.1823215567939546),
    ("relu(-z)", 0.0), ("step(z)", 1.0),
    ("w1*a1_1", 6.0), ("w₁·a¹₁", 6.0),                 # typed and printed spellings of the same symbols
    ("-a", -1.2), ("--a", 1.2), ("+a", 1.2), ("a/2/3", 0.2), ("2a", 2.4),
])
def test_formulas_in_the_lessons_symbols_evaluate_as_written(text, expected):
    answer = parse_answer(text, NAMES)
    assert not answer.is_number
    assert answer.value(VALUES) == pytest.approx(expected, rel=1e-12)


def test_a_formula_becomes_a_sympy_expression_built_from_the_tree():
    import sympy

    from chainrule.explainer.symbolic import sigmoid

    a, y, i, z = sympy.symbols("a y i z")
    symbols = {"a": a, "y": y, "i": i, "z": z}
    assert parse_answer("2*(a-y)*i", NAMES).to_sympy(symbols) == 2 * (a - y) * i
    assert parse_answer("σ(z)(1-σ(z))", NAMES).to_sympy(symbols) == sigmoid(z) * (1 - sigmoid(z))
    assert parse_answer("1.5", NAMES).to_sympy(symbols) == sympy.Rational(3, 2)  # exact, as written


@pytest.mark.parametrize("text, words", [
    ("", "empty"), ("   ", "empty"), ("ai", "unknown name 'ai'"), ("x", "the symbols here are"), ("2 3", "two numbers"),
    ("(a", "not closed"), ("a)", "unexpected"), ("a +", "ends too soon"), ("1,5", "decimals with a point"),
    ("a^b", "exponent must be one plain number"), ("a^11", "too large"), ("((a^10)^10)^2", "powers of powers"),
    ("a^2^2", "not a power"), ("sigmoid", "is a function"), ("1e99", "out of range"), ("1" * 40, "more than 30 digits"),
    ("1/0", "divides by zero"), ("ln(0)", "no value"), ("(-1)^0.5", "not a real number"),
    ("exp(1000)", "too large"),
])
def test_what_is_not_an_answer_is_refused_saying_why(text, words):
    with pytest.raises(AnswerError) as info:
        parse_answer(text, NAMES).value(VALUES)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_name_that_may_not_be_used_here_is_refused_with_the_reason():
    with pytest.raises(AnswerError, match="is what is asked"):
        parse_answer("2*a", NAMES, refused={"a": "a is what is asked"})


def test_an_answer_longer_than_the_limit_is_refused_before_it_is_read():
    with pytest.raises(AnswerError, match=f"at most {MAX_CHARS}"):
        parse_answer("1" + "+1" * MAX_CHARS)


@pytest.mark.timeout(10)  # "quickly": nothing is computed, so even the whole list takes milliseconds
@pytest.mark.parametrize("attack", ATTACKS)
def test_named_attacks_are_refused_without_running_anything(attack, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    ran = []
    for owner, name in ((builtins, "eval"), (builtins, "exec"), (builtins, "compile"), (os, "system"),
                        (subprocess, "Popen")):
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _real=real, _name=name, **k: ran.append(_name) or _real(*a, **k))
    with pytest.raises(AnswerError):
        parse_answer(attack, NAMES).value(VALUES)
    monkeypatch.undo()
    assert not ran, f"{attack!r} made the parser call {ran}"
    assert not (tmp_path / "pwned").exists()


def test_no_answer_ever_reaches_eval_sympify_or_parse_expr(monkeypatch):
    import sympy
    import sympy.parsing.sympy_parser as sympy_parser

    def refuse(*args, **kwargs):
        if args and isinstance(args[0], str):
            raise AssertionError(f"a string reached sympy's parser: {args[0]!r}")
        return real_sympify(*args, **kwargs)

    real_sympify = sympy.sympify
    monkeypatch.setattr(sympy, "sympify", refuse)
    monkeypatch.setattr(sympy_parser, "parse_expr", refuse)
    symbols = {k: sympy.Symbol(k) for k in VALUES}
    for text in ["2*(a-y)*i", "σ(z)(1-σ(z))", "1.5", "(a-y)^2", "exp(-z)/(1+exp(-z))^2"]:
        parse_answer(text, NAMES).to_sympy(symbols)


def test_the_exercises_package_never_calls_eval_exec_sympify_or_parse_expr():
    # the promise of the issue, checked on the source: no call of these anywhere in chainrule.exercises
    forbidden = {"eval", "exec", "sympify", "parse_expr", "S"}
    for path in Path(exercises_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                assert name not in forbidden, f"{path.name}:{node.lineno} calls {name}"


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(max_size=MAX_CHARS + 20))
def test_any_string_is_an_answer_or_refused_in_one_line_never_a_crash(text):
    try:
        answer = parse_answer(text, NAMES)
        answer.value(VALUES)
    except AnswerError as exc:
        assert str(exc) and "\n" not in str(exc)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(["a", "y", "w1", "a¹₁", "2", "0.5", "9", "+", "-", "*", "/", "^", "**", "(", ")",
                                 "²", "σ(", "exp(", "tanh(", " ", "1e5", "."]), max_size=60).map("".join))
def test_strings_made_of_the_grammars_own_pieces_are_read_or_refused_never_a_crash(text):
    try:
        parse_answer(text, NAMES).value(VALUES)
    except AnswerError as exc:
        assert "\n" not in str(exc)

"""Every printed equation is true, and every Markdown formula renders (issue 23 §4).

Walks every lesson (text and Markdown), every exercise key and slide deck, and a worksheet class: each chain
``name = expression = number`` is evaluated (``tests/equations.py``) and every ``$…$`` / ``$$…$$`` of the
Markdown is rendered by a real KaTeX (from npm, run by Node.js), which must accept it. No formula is cut at
80 columns that is whole at a wide terminal.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess

import pytest

from chainrule import lessons
from chainrule.cli import main
from chainrule.exercises import slides
from chainrule.exercises.exercise import build

from equations import check_lines, notation_problems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KATEX = os.path.join(ROOT, "node_modules", "katex")
NAMES = list(lessons.LESSONS)
SEEDS = range(4)


class Utf8Out(io.StringIO):
    encoding = "utf-8"


def printed(monkeypatch, argv: list[str], columns: int = 250) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    out = Utf8Out()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(argv) == 0
    return out.getvalue()


def exercise_lines(ex) -> list[str]:
    """The key as the command prints it: name = chain = formula = answer."""
    return [f"{k['name']} = " + " = ".join(x for x in (k["chain"], k["formula"]) if x) + f" = {k['answer']}"
            for k in ex.key()]


def deck_lines(ex) -> list[str]:
    """Every formula of the exercise's slide deck, as the text it is set from (captured on its way to MathML)."""
    captured: list[str] = []
    real = slides.to_mathml

    def capture(text, display=False):
        captured.append(text)
        return real(text, display=display)

    slides.to_mathml = capture
    try:
        slides.slides_of(ex)
    finally:
        slides.to_mathml = real
    return captured


# ----------------------------------------------------------------------------------- the checker itself
def test_the_checker_finds_a_false_equation_and_garbled_notation():
    assert check_lines(["z = 0.1 + 0.3·1.5 = 0.55", "p₃ = 0.307843", "q = −1/p₃ = −3.24841"]) == []
    wrong = check_lines(["z = 0.1 + 0.3·1.5 = 0.56", "S = 1.69582", "r = 1/S = 0.5"])
    assert len(wrong) == 2 and "evaluates to 0.55" in wrong[0] and "1/S" in wrong[1]
    # a key's numbers to 3 digits: 0.16 is (1.2 − 0.8)², to its own rounding
    assert check_lines(["C = (a − y)² = 0.160"], {"a": 1.2, "y": 0.8}, precision=3) == []
    assert check_lines(["C = (a − y)² = 0.170"], {"a": 1.2, "y": 0.8}, precision=3)
    assert notation_problems(["∂C/∂S = −1(−1)·e₃/(p₃·S²) = 0.850"]) and notation_problems(["x = 1e₃/S"])
    assert not notation_problems(["∂C/∂S = e₃/(p₃·S²) = 0.850", "x = 2.5e-3", "C = (a − y)(a + y)"])


# ------------------------------------------------------------------------------------------ the pages
@pytest.mark.parametrize("name", NAMES)
def test_every_equation_a_lesson_prints_is_true(monkeypatch, name):
    lines = printed(monkeypatch, ["lesson", name]).splitlines()
    assert check_lines(lines) == []
    assert notation_problems(lines) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_equation_of_the_lesson_s_exercise_keys_and_slides_is_true(name):
    for seed in SEEDS:
        ex = build(name, seed)
        assert check_lines(exercise_lines(ex), dict(ex.env), precision=3) == [], seed
        deck = deck_lines(ex)
        assert check_lines(deck, dict(ex.env), precision=3) == [], seed
        assert notation_problems(exercise_lines(ex) + deck) == [], seed


@pytest.mark.parametrize("name", NAMES)
def test_no_formula_is_cut_at_80_columns(monkeypatch, name):
    wide = printed(monkeypatch, ["lesson", name], 250)
    narrow = printed(monkeypatch, ["lesson", name], 80)
    assert narrow.count("…") == wide.count("…")  # nothing shortened with an ellipsis to fit


# ------------------------------------------------------------------------------------------ KaTeX
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$\n]+?)\$(?!\$)", re.S)


def formulas(markdown: str) -> list[dict]:
    return [{"tex": m.group(1) if m.group(1) is not None else m.group(2), "display": m.group(1) is not None}
            for m in MATH.finditer(markdown)]


def katex_errors(found: list[dict]) -> list[str]:
    node = shutil.which("node")
    assert node and os.path.isdir(KATEX), "KaTeX is missing: `make test` installs it (npm ci, package.json)"
    run = subprocess.run([node, os.path.join(ROOT, "tests", "katex_render.js")], input=json.dumps(found),
                         capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    return [f"{found[e['index']]['tex']!r}: {e['error']}" for e in json.loads(run.stdout)]


def test_katex_refuses_what_is_not_latex():
    assert len(katex_errors([{"tex": r"\frac{a}{", "display": True}, {"tex": r"\exp(x)", "display": False}])) == 1


@pytest.mark.parametrize("name", NAMES)
def test_every_markdown_formula_of_a_lesson_renders_with_katex(monkeypatch, name):
    found = formulas(printed(monkeypatch, ["lesson", name, "--format", "markdown"]))
    assert katex_errors(found) == []  # (why-backprop and learning-rate write tables and prose, no formulas)


def test_every_markdown_formula_of_the_demo_and_the_worksheets_renders_with_katex(monkeypatch, tmp_path):
    found = formulas(printed(monkeypatch, ["demo", "--format", "markdown"]))
    for name in ("simplest", "chain", "softmax", "wide"):
        out = tmp_path / name
        printed(monkeypatch, ["worksheet", name, "--students", "2", "--out", str(out)])
        for sheet in sorted(out.glob("*.md")):
            found += formulas(sheet.read_text(encoding="utf-8"))
    assert len(found) > 20 and katex_errors(found) == []

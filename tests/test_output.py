"""Every number a learner reads is whole and right: no cut cells, any encoding, one minus, valid LaTeX, 0 for 0."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest

from chainrule import lessons
from chainrule.cli import main
from chainrule.commands.output import emit
from chainrule.explainer.format import ROUNDING, latex, num, to_ascii, wrap_formula

EXE = os.path.join(os.path.dirname(sys.executable), "chainrule")


def chainrule(*argv, env=None, encoding="utf-8"):
    """Run the installed command as a user would, stdout into a pipe."""
    full = dict(os.environ, **(env or {}))
    full.pop("FORCE_COLOR", None)
    return subprocess.run([EXE, *argv], capture_output=True, timeout=300, env=full, encoding=encoding,
                          errors="strict")


# ------------------------------------------------------------------ never cut
def test_piped_output_is_not_squeezed_and_keeps_every_digit():
    out = chainrule("lesson", "chain", "--depth", "6", "--weights", "0.9")
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout
    assert "8.05708·10⁻⁶" in out.stdout  # the cost of step 0, with its exponent


class _Terminal(io.StringIO):
    """A stream that says it is a terminal of a given width (rich reads COLUMNS for it)."""

    encoding = "utf-8"

    def isatty(self):
        return True


@pytest.mark.parametrize("width", [40, 60, 100])
def test_on_a_narrow_terminal_formulas_wrap_between_factors_and_numbers_stay_whole(monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "50")  # rich takes a dumb terminal for 80 x 25 unless it is given both
    monkeypatch.setenv("TERM", "dumb")
    stream = _Terminal()
    module, result = lessons.run("chain", depth=6, weights=[0.9])
    emit(module.explain(result), "text", stream)
    text = stream.getvalue()
    assert max(len(line) for line in text.splitlines()) <= max(width, 46)  # laid out at this width (or its widest formula piece)
    assert "…" not in text
    assert "8.05708·10⁻⁶" in text
    # ∂(a₆ − y)/∂a₆ is never split across lines, nor is any number
    for line in text.splitlines():
        assert not re.search(r"∂\([^)]*$", line), line
        assert not re.search(r"\d·10$", line), line


@pytest.mark.parametrize("width", [40, 60, 90, 100])
@pytest.mark.parametrize("name", ["simplest", "chain", "activation", "learning-rate"])
def test_prose_wraps_between_words_but_never_inside_a_formula_it_quotes(monkeypatch, name, width):
    """"that is the formula for y = 0.5 (4.5w − 1.5)" broke inside (4.5w − at 90 columns; a break after = is fine."""
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "50")  # rich takes a dumb terminal for 80 x 25 unless it is given both
    monkeypatch.setenv("TERM", "dumb")
    stream = _Terminal()
    module, result = lessons.run(name)
    emit(module.explain(result), "text", stream)
    for line in stream.getvalue().splitlines():
        body = line.strip("│ ").strip()
        # a line never stops at an operator (a formula's own wrap puts the operator at the next line's start)
        assert not re.search(r"\s[−+·×<>≤≥←]$", body), line


class _Pipe(io.StringIO):
    """A UTF-8 stream that is not a terminal (a pipe or a file)."""

    encoding = "utf-8"


@pytest.mark.parametrize("terminal", [None, 60])
def test_a_table_s_title_is_never_wrapped_to_the_table_s_width(monkeypatch, terminal):
    """Three narrow columns (no steps taken) made rich wrap the title as "w ← w − lr ·" / "dC/dw"."""
    stream = _Pipe()
    if terminal:
        monkeypatch.setenv("COLUMNS", str(terminal))
        monkeypatch.setenv("LINES", "50")
        monkeypatch.setenv("TERM", "dumb")
        stream = _Terminal()
    module, result = lessons.run("simplest", steps=0)
    emit(module.explain(result), "text", stream)
    assert "Gradient descent: w ← w − lr · ∂C/∂w\n" in stream.getvalue()


def test_wrap_prose_keeps_operators_with_their_operands():
    from chainrule.explainer.report import wrap_prose

    for text in ("The video's on-screen 4.5w − 1.5 is a typo: that is the formula for y = 0.5 (4.5w − 1.5); 0 < lr < 1/i²",
                 "each step is w = − lr · g, the same for every weight"):  # never before "=", an operator after it
        for width in range(12, 80):
            lines = wrap_prose(text, width).splitlines()
            assert " ".join(lines) == text
            assert all(not re.search(r"[−+<·]$", x) and not re.match(r"^[−+<=·]", x) for x in lines), (width, lines)


def test_wrap_prose_holds_no_character_back_for_itself():
    from chainrule.explainer.report import wrap_prose

    # every character is the text's own: a private-use one is printed as it came, not turned into a space
    assert wrap_prose("a\ue000b c d", 3) == "a\ue000b\nc d"
    assert wrap_prose("  indented,  twice spaced", 100) == "  indented,  twice spaced"
    assert wrap_prose("a-long-word-alone and more", 5) == "a-long-word-alone\nand\nmore"


def test_wrap_formula_breaks_only_at_top_level_operators():
    text = "∂C/∂(a − y) · ∂(a − y)/∂a · ∂a/∂w = 2(a − y) · 1 · i = 0.8 · 1 · 1.5 = 1.2"
    lines = wrap_formula(text, 30)
    assert len(lines) > 1
    assert " ".join(line.strip() for line in lines) == text
    for line in lines:
        assert line.count("(") == line.count(")")


# ------------------------------------------------------------------ encodings
@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_any_stdout_encoding_works_with_ascii_forms(encoding, fmt):
    out = chainrule("demo", "--format", fmt, env={"PYTHONIOENCODING": encoding}, encoding=encoding)
    assert out.returncode == 0, out.stderr
    if fmt == "json":
        assert json.loads(out.stdout)["gradient_formula"] == "4.5*w - 2.4"
    else:
        assert "dC/dw" in out.stdout and "4.5w - 2.4" in out.stdout
        assert "->" in out.stdout  # i —w→ a in ASCII
    out.stdout.encode("ascii")  # nothing outside ASCII at all


def test_to_ascii_writes_our_notation_plainly():
    assert to_ascii("∂C/∂w₁ = 2(a − y)·x² → 10⁻⁶") == "dC/dw1 = 2(a - y)*x^2 -> 10^-6"


# ------------------------------------------------------------------- minus signs
def test_text_uses_one_minus_sign_and_parenthesises_negative_factors():
    out = chainrule("demo", "--input", "2", "--target", "-1", "--steps", "2")
    assert out.returncode == 0
    text = out.stdout
    assert not re.search(r"(?<![\w/])-\d", text), "an ASCII minus before a number in the text output"
    assert "(1.6 − (−1))²" in text
    assert "· −" not in text  # a negative factor in a product is in parentheses


def test_json_numbers_are_numbers_and_text_numbers_use_the_real_minus():
    assert num(-0.144) == "−0.144" and num(2.5e-7) == "2.5·10⁻⁷" and num(-3e-8) == "−3·10⁻⁸"
    out = chainrule("demo", "--input", "2", "--target", "-1", "--format", "json")
    data = json.loads(out.stdout)
    assert data["target"] == -1.0 and isinstance(data["steps"][0]["gradients"]["w"], float)


# ------------------------------------------------------------------- zero is 0
def test_a_sum_that_is_zero_up_to_rounding_is_written_0_everywhere():
    assert num(-2.220446049250313e-16, scale=0.8) == "0"
    assert num(-2.220446049250313e-16) != "0"  # alone, a tiny number is a number
    assert num(1e-13, scale=1.0) == "0" and num(2e-12, scale=1.0) != "0"
    assert ROUNDING == 1e-12
    from chainrule.web.stepper import trace_lesson

    batch = trace_lesson("batch")
    y = next(d for d in batch["derivations"] if d["name"] == "y")
    assert y["grad"] != 0.0 and abs(y["grad"]) < 1e-15  # the engine's sum 0.8 + (−0.8) rounds to 2.2·10⁻¹⁶
    assert y["grad_text"] == "0" and y["numbers"].endswith("= 0")
    node = next(n for n in batch["nodes"] if n["name"] == "y")
    assert node["grad_text"] == "0"


# ----------------------------------------------------------------------- LaTeX
KATEX_COMMANDS = {
    r"\frac", r"\partial", r"\cdot", r"\sigma", r"\delta", r"\odot", r"\to", r"\sum", r"\approx", r"\times",
    r"\dots", r"\nabla", r"\eta", r"\lambda", r"\mu", r"\theta", r"\le", r"\ge", r"\tfrac", r"\begin", r"\end",
    r"\left", r"\right", r"\max", r"\min", r"\ln", r"\tanh", r"\exp", r"\log", r"\xrightarrow", r"\quad", r"\,", r"\\",
    r"\operatorname", r"\text", r"\mathrm", r"\leftarrow", r"\ ", r"\Delta", r"\prod", r"\|", r"\lfloor", r"\rfloor",
}
MATH_WORDS = {"max", "exp", "log", "tanh", "bmatrix", "relu", "sigma", "frac", "partial", "cdot", "left", "right",
              "delta", "odot", "nabla", "begin", "end", "aligned", "min", "operatorname", "sigmoid", "softmax", "step"}


def math_blocks(markdown: str) -> list[str]:
    return re.findall(r"\$\$(.+?)\$\$", markdown, flags=re.S) + re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", markdown)


def check_latex(block: str) -> None:
    """Valid LaTeX for KaTeX/MathJax: ASCII, balanced braces and environments, known commands, no prose."""
    import latex2mathml.converter

    assert block.isascii(), f"non-ASCII inside math: {block!r}"
    depth = 0
    for ch in block:
        depth += ch == "{"
        depth -= ch == "}"
        assert depth >= 0, block
    assert depth == 0, f"unbalanced braces: {block!r}"
    assert re.findall(r"\\begin\{(\w+)\}", block) == re.findall(r"\\end\{(\w+)\}", block), block
    for command in re.findall(r"\\[A-Za-z]+|\\[,\\| ]", block):
        assert command in KATEX_COMMANDS, f"unknown command {command} in {block!r}"
    latex2mathml.converter.convert(block)
    words = re.findall(r"[A-Za-z]{4,}", re.sub(r"\\[A-Za-z]+(\{[^}]*\})?", " ", block))
    prose = [w for w in words if w.lower() not in MATH_WORDS]
    assert not prose, f"prose inside math: {prose} in {block!r}"


@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_every_lesson_s_markdown_math_is_valid_latex_without_prose(capsys, name):
    extra = ["--max-params", "16"] if name == "why-backprop" else []
    assert main(["lesson", name, "--format", "markdown", *extra]) == 0
    markdown = capsys.readouterr().out
    blocks = math_blocks(markdown)
    if name not in ("why-backprop", "learning-rate"):  # those two are tables and prose
        assert blocks, "a lesson's Markdown has formulas"
    for block in blocks:
        check_latex(block)


def test_words_of_the_notation_are_set_upright_in_latex():
    assert latex("new w₃ = w₃ − lr·∂C/∂w₃") == r"\text{new}\ w_{3} = w_{3} - \mathrm{lr} \cdot \partial C/\partial w_{3}"
    assert latex("lr₀ ← lr") == r"\mathrm{lr}_{0}  \leftarrow  \mathrm{lr}"
    assert latex("flr = lrx") == "flr = lrx"  # only the word itself


def test_matrices_and_layer_indices_become_latex():
    assert latex("δ² = [−0.81; −0.94]") == r"\delta ^{2} = \begin{bmatrix} -0.81 \\ -0.94 \end{bmatrix}"
    assert latex("w¹₁₁") == "w^{1}_{11}"
    assert latex("∇ₐC") == r"\nabla_{a}C" and latex("∇C") == r"\nabla C"  # never the unknown \nablaC


class _ClosedPipe(io.StringIO):
    """stdout whose reader has gone away (`chainrule … | head`)."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_stops_the_command_quietly(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["exercise", "simplest", "--student", "alice", "--key"]) == 141  # as a tool killed by SIGPIPE
    assert capsys.readouterr().err == ""  # no "error: [Errno 32] Broken pipe"


@pytest.mark.parametrize("argv", [["demo"], ["lesson", "recurrent"], ["lesson", "chain", "--format", "json"]])
def test_a_pipe_closed_by_its_reader_ends_the_command_with_sigpipe_s_status_and_no_message(argv):
    proc = subprocess.Popen([EXE, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader went away before a byte was read (`| true`)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 141 and err == b"", (proc.returncode, err)  # rich alone gave 1

"""`chainrule demo`: the video's numbers, its corrected algebra, and every error path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import sympy

from chainrule.cli import main
from chainrule.lessons import simplest


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------- the numbers
def test_train_reproduces_the_video_steps():
    result = simplest.train(steps=3, tolerance=0.0)
    assert result.weights == pytest.approx([0.8, 0.68, 0.614, 0.5777])
    first = result.steps[0]
    assert (result.activations[0], first.cost, first.gradients["w"]) == pytest.approx((1.2, 0.16, 1.2))


def test_closed_form_is_derived_by_sympy_and_corrects_the_typo():
    w = sympy.Symbol("w")
    assert simplest.gradient_formula(1.5, 0.8) == sympy.Rational(9, 2) * w - sympy.Rational(12, 5)
    # the video's on-screen 4.5w − 1.5 is the formula for y = 0.5
    assert simplest.gradient_formula(1.5, 0.5) == sympy.Rational(9, 2) * w - sympy.Rational(3, 2)


def test_learning_rate_analysis_for_the_video():
    result = simplest.train()
    assert result.convergence_factor == pytest.approx(0.55)  # 1 − 2·lr·i²
    assert result.stable_learning_rates == pytest.approx((0.0, 1 / 1.5**2))
    assert result.fastest_learning_rate == pytest.approx(1 / (2 * 1.5**2))
    assert result.optimum_weight == pytest.approx(0.8 / 1.5)
    assert result.converged and abs(result.gradients[-1]) < result.tolerance
    assert result.weights[-1] == pytest.approx(0.8 / 1.5, abs=1e-6)


def test_each_step_shrinks_the_distance_to_the_answer_by_the_convergence_factor():
    result = simplest.train(input=2.0, target=-1.0, weight=3.0, learning_rate=0.05, steps=6, tolerance=0.0)
    w_star = result.optimum_weight
    gaps = [w - w_star for w in result.weights]
    for before, after in zip(gaps, gaps[1:]):
        assert after == pytest.approx(result.convergence_factor * before)


def test_fastest_learning_rate_lands_in_one_step():
    result = simplest.train(learning_rate=1 / (2 * 1.5**2), tolerance=1e-9)
    assert result.weights[1] == pytest.approx(0.8 / 1.5)
    assert len(result.steps) == 2


def test_too_large_learning_rate_diverges_and_stops_as_soon_as_that_is_certain():
    result = simplest.train(learning_rate=10.0, steps=1000)
    assert result.verdict == "diverges"
    assert result.stopped == "diverged" and len(result.steps) <= simplest.GREW_IN_A_ROW + 1
    assert all(map(lambda s: abs(s.cost) < 1e300, result.steps))
    assert "too large" in simplest.warning(result) and "diverging for certain" in simplest.stop_line(result)


def test_a_diverging_run_at_the_edge_stops_after_three_steps_of_growing_distance():
    result = simplest.train(learning_rate=0.5, steps=100)  # r = 1 − 0.5·4.5 = −1.25: |w − w*| grows by 1.25 a step
    assert result.stopped == "diverged" and [s.step for s in result.steps] == [0, 1, 2, 3]


def test_overshooting_learning_rate_converges_while_oscillating():
    result = simplest.train(learning_rate=0.3)
    assert result.verdict == "converges, oscillating"
    signs = {w > result.optimum_weight for w in result.weights[:4]}
    assert signs == {True, False}


# ------------------------------------------------------------ the command
def test_demo_text_shows_forward_chain_rule_closed_form_and_typo(capsys):
    code, out, err = run_cli(capsys, "demo")
    assert code == 0 and err == ""
    assert "a = i·w = 1.5 · 0.8 = 1.2" in out
    assert "C = (a − y)² = (1.2 − 0.8)² = 0.16" in out
    assert "∂C/∂w = ∂C/∂a · ∂a/∂w = 2(a − y) · i" in out
    assert "= 2(1.2 − 0.8) · 1.5 = 1.2" in out
    assert "∂C/∂w = 1.5·2(1.5w − 0.8) = 4.5w − 2.4" in out
    assert "4.5w − 1.5 is a typo" in out and "y = 0.5" in out
    assert "0.5777" in out
    assert "r = 1 − lr·C″ = 1 − 0.1·4.5 = 0.55" in out


def test_demo_golden_text(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    code, out, _ = run_cli(capsys, "demo", "--steps", "3")
    golden = os.path.join(os.path.dirname(__file__), "golden", "demo_steps3.txt")
    if os.environ.get("CHAINRULE_REGOLD"):
        os.makedirs(os.path.dirname(golden), exist_ok=True)
        open(golden, "w", encoding="utf-8").write(out)
    with open(golden, encoding="utf-8") as f:
        assert out == f.read()


def test_demo_json_has_the_promised_fields(capsys):
    code, out, _ = run_cli(capsys, "demo", "--format", "json", "--steps", "3", "--tolerance", "0")
    data = json.loads(out)
    assert code == 0
    for key in ("input", "target", "learning_rate", "gradient_formula", "optimum_weight", "convergence_factor", "steps"):
        assert key in data
    w = sympy.Symbol("w")
    assert sympy.simplify(sympy.sympify(data["gradient_formula"]) - (4.5 * w - 2.4)) == 0
    assert [s["step"] for s in data["steps"]] == [0, 1, 2, 3]
    # the steps are the shared descent's Step records, as in every lesson; a = i·w of the first is the forward pass's
    first = data["steps"][0]
    assert (first["step"], first["cost"], first["parameters"], first["gradients"]) == (
        0, pytest.approx(0.16), {"w": 0.8}, {"w": pytest.approx(1.2)})
    assert first["ranking"]["most_sensitive"] == ["w"] and data["forward"]["activation"] == pytest.approx(1.2)
    assert [s["parameters"]["w"] for s in data["steps"]] == pytest.approx([0.8, 0.68, 0.614, 0.5777])
    assert data["stopped"] == "step limit"
    assert data["convergence_factor"] == pytest.approx(0.55)


def test_demo_markdown_uses_latex(capsys):
    code, out, _ = run_cli(capsys, "demo", "--format", "markdown", "--steps", "2")
    assert code == 0
    assert r"\partial C/\partial w" in out and "| step | w | a | C | ∂C/∂w |" in out


def test_demo_with_other_numbers_recomputes_everything(capsys):
    code, out, _ = run_cli(capsys, "demo", "--input", "2", "--target", "-1", "--weight", "0", "--steps", "1")
    assert code == 0
    assert "∂C/∂w = 2·2(2w − (−1)) = 8w + 4" in out
    assert "typo" not in out  # only the video's numbers have the video's typo


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_demo_plot_writes_the_figure(capsys, tmp_path, suffix, magic):
    path = tmp_path / f"descent{suffix}"
    code, _, _ = run_cli(capsys, "demo", "--plot", str(path), "--steps", "5")
    assert code == 0
    assert path.read_bytes().startswith(magic)


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--input", "abc"], "not a number"),
        (["--input", "nan"], "not finite"),
        (["--target", "inf"], "not finite"),
        (["--weight", "1e300"], "out of range"),
        (["--learning-rate", "0"], "> 0 and <= 10"),
        (["--learning-rate", "-0.1"], "> 0 and <= 10"),
        (["--steps", "-1"], "out of range"),
        (["--steps", "100000000"], "out of range"),
        (["--steps", "2.5"], "not a whole number"),
        (["--tolerance", "-1"], "from 0 to 1"),
        (["--input", "0"], "nothing to learn"),
        (["--format", "xml"], "invalid choice"),
        (["--plot", "/no/such/folder/plot.png"], "does not exist"),
        (["--plot", "plot.txt"], ".png or .svg"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_demo_bad_input_is_one_line_and_exit_code_2(capsys, argv, says):
    code, out, err = run_cli(capsys, "demo", *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and says in err
    assert "Traceback" not in err


def test_unwritable_plot_path_is_refused(capsys, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root can write anywhere: use a path under a file instead
            target = str(tmp_path / "afile")
            open(target, "w").close()
            path = os.path.join(target, "plot.png")
        else:
            path = str(folder / "plot.png")
        code, _, err = run_cli(capsys, "demo", "--plot", path)
        assert code == 2 and ("cannot write" in err or "does not exist" in err)
    finally:
        folder.chmod(0o700)


def test_console_script_runs_without_traceback():
    exe = os.path.join(os.path.dirname(sys.executable), "chainrule")
    ok = subprocess.run([exe, "demo", "--steps", "1"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "4.5w − 2.4" in ok.stdout
    bad = subprocess.run([exe, "demo", "--lr", "nan"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


# ------------------------------------------------------------ at the edges (issue 23 §9)
# A number written the e-way (1.0e-6, 2e−06) instead of the lesson's ·10ⁿ.
E_NOTATION = re.compile(r"\de[+\-−]?\d")


def joined(out: str) -> str:
    """The text with its boxes' borders and line breaks gone: a sentence wrapped over lines reads whole."""
    return re.sub(r"[│\s]+", " ", out)


def test_a_tiny_input_prints_one_notation_a_ratio_that_is_not_1_and_how_far_the_descent_is(capsys):
    code, out, _ = run_cli(capsys, "demo", "--input", "0.001")
    out = joined(out)
    assert code == 0 and not E_NOTATION.search(out), E_NOTATION.search(out)
    assert "∂C/∂w = 0.001·2(0.001w − 0.8) = 2·10⁻⁶·w − 0.0016" in out
    assert "C(w) = 1·10⁻⁶·w² − 0.0016w + 0.64 is a parabola with curvature C″ = 2i² = 2·10⁻⁶." in out
    # r = 1 − 2·10⁻⁷ rounds to 1 in six digits: it is written with the digits that tell it from 1
    assert "r = 1 − lr·C″ = 1 − 0.1·2·10⁻⁶ = 1 − 2·10⁻⁷ = 0.9999998." in out
    assert "1/i² = 1·10⁶; it lands in one step at lr = 1/(2i²) = 5·10⁵" in out  # not 1·10⁶ beside 500000
    # it converges, but it stopped far from w* = 800, and says how far and how long it would take
    assert "With lr = 0.1: converges." in out
    assert "at w = 0.815984, 799.184 from w* = 800 (it started 799.2 away)" in out
    assert "each step closes 2·10⁻⁷ of what is left" in out and "takes about 3.45·10⁷ steps in all" in out


def test_the_steps_to_the_minimum_are_the_ones_the_descent_takes():
    result = simplest.train(steps=30, tolerance=0.0)  # the video's numbers: r = 0.55
    needed = int(result.steps_to_minimum())
    gaps = [abs(w - result.optimum_weight) for w in result.weights]
    assert needed == 10 and gaps[needed] <= result.near_enough < gaps[needed - 1]
    tiny = simplest.train(input=0.001, steps=100)
    n, r, start = tiny.steps_to_minimum(), tiny.convergence_factor, tiny.start_distance
    assert r ** n * start <= tiny.near_enough < r ** (n - 1) * start  # 3.45·10⁷ steps: |r|ⁿ, not run
    data = simplest.explain(tiny).data
    assert data["distance_to_optimum"] == pytest.approx(799.184, abs=1e-3) and data["steps_to_minimum"] == n


def test_the_largest_input_prints_one_notation_and_how_the_distance_grows(capsys):
    code, out, _ = run_cli(capsys, "demo", "--input", "100", "--steps", "5")
    out = joined(out)
    assert code == 0 and not E_NOTATION.search(out)
    assert "1/i² = 1·10⁻⁴; it lands in one step at lr = 1/(2i²) = 5·10⁻⁵." in out  # not 0.0001 beside 5·10⁻⁵
    assert "Use 0 < lr < 1·10⁻⁴." in out and "With lr = 0.1: diverges." in out
    assert "each step multiplies that distance by |r| = 1999." in out
    code, _, err = run_cli(capsys, "demo", "--input", "1000")  # past the lesson's range: refused, in one line
    assert code == 2 and "out of range" in err and "from -100 to 100" in err


def test_the_smallest_input_converges_though_a_float_rounds_r_to_1(capsys):
    result = simplest.train(input=1e-150)
    assert result.convergence_factor == 1.0 and result.verdict == "converges"  # lr·C″ = 2·10⁻³⁰¹ > 0
    code, out, _ = run_cli(capsys, "demo", "--input", "1e-150")
    out = joined(out)
    assert code == 0 and not E_NOTATION.search(out)
    assert "r = 1 − lr·C″ = 1 − 0.1·2·10⁻³⁰⁰ = 1 − 2·10⁻³⁰¹." in out
    assert "w* = y/i = 0.8/(1·10⁻¹⁵⁰) = 8·10¹⁴⁹" in out
    # its slope is below the tolerance at once: that is a flat cost, not the minimum
    assert "Converged" not in out and "yet w = 0.8 is 8·10¹⁴⁹ from w* = y/i = 8·10¹⁴⁹" in out


def test_a_ratio_near_1_or_minus_1_keeps_the_digits_that_tell_it_apart():
    def ratio(learning_rate):
        return simplest.ratio(simplest.train(learning_rate=learning_rate, steps=0))  # C″ = 4.5

    assert ratio(0.1) == "0.55"  # six digits are enough
    assert ratio(1e-8) == "1 − 4.5·10⁻⁸ = 0.99999996"  # 0.999999955: seven digits would say 1
    near = simplest.train(learning_rate=2 / 4.5 * (1 - 1e-9), steps=0)  # r = −0.999999998: converges, barely
    text = simplest.ratio(near)
    assert text.startswith("−0.99999999") and float(text.replace("−", "-")) == pytest.approx(near.convergence_factor,
                                                                                             rel=1e-12)
    assert near.verdict == "converges, oscillating"
    assert ratio(2 / 4.5) == "−1"  # exactly the edge: oscillates forever


def test_a_rate_too_small_for_a_float_says_so_and_its_json_stays_json(capsys):
    for lr, says in (("1e-10", "takes more steps than a float counts."),  # ln|r| ≈ −2·10⁻³¹⁰: 10³¹⁰ steps
                     ("1e-30", "lr·C″ is below the smallest float, so no step moves the weight at all.")):
        code, out, _ = run_cli(capsys, "demo", "--input", "1e-150", "--lr", lr)
        assert code == 0 and says in joined(out)
        code, out, _ = run_cli(capsys, "demo", "--input", "1e-150", "--lr", lr, "--format", "json")
        data = json.loads(out)  # strict JSON: no Infinity
        assert data["steps_to_minimum"] is None and data["verdict"] == "converges"

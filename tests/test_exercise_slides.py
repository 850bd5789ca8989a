"""``chainrule slides``: a self-contained deck, math as MathML, one factor per click, checked in a real Chromium."""

from __future__ import annotations

import os
import re
import xml.dom.minidom

import pytest

from chainrule.cli import main
from chainrule.exercises import build
from chainrule.exercises.mathml import to_mathml
from chainrule.exercises.slides import deck

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.mark.parametrize("text", ["∂C/∂w¹₁₁ = 2(a − y)·x₁² = −0.77", "σ(z)·(1 − σ(z))", "(1 if z > 0 else 0)",
                                  "∂C/∂(a − y) = 1.2·10⁻⁵", "<script>&", "new w = w − lr·∂C/∂w = ?"])
def test_our_notation_becomes_well_formed_mathml(text):
    out = to_mathml(text, display=True)
    dom = xml.dom.minidom.parseString(out)
    assert dom.documentElement.tagName == "math" and "<script>" not in out


def test_derivatives_become_fractions_and_powers_raise_their_whole_group():
    out = to_mathml("∂C/∂a = 2(a − y)²")
    assert "<mfrac><mrow><mi>∂</mi><mi>C</mi></mrow><mrow><mi>∂</mi><mi>a</mi></mrow></mfrac>" in out
    assert re.search(r"<msup><mrow><mo[^>]*>\(</mo><mi>a</mi><mo>−</mo><mi>y</mi><mo[^>]*>\)</mo></mrow><mn>2</mn>", out)
    assert "<msubsup><mi>w</mi><mn>11</mn><mn>1</mn></msubsup>" in to_mathml("w¹₁₁")


def test_the_deck_loads_nothing_and_reveals_the_lessons_chain_factor_by_factor():
    html = deck("simplest")
    assert "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "<link" not in html
    ex = build("simplest")
    gradient = ex.question("dC/dw")
    assert gradient.value == pytest.approx(1.2)
    assert html.count('class="slide"') >= 5 and "<svg" in html  # the lesson's plot, inline
    assert html.count("<math") > 10 and "the engine's w.grad" in html


def test_the_command_writes_the_deck(tmp_path, capsys):
    path = tmp_path / "wide.html"
    assert main(["slides", "wide", "--seed", "3", "--out", str(path)]) == 0
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert main(["slides", "wide", "--out", str(tmp_path / "x.txt")]) == 2


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (.ci/run installs it)")
def test_in_chromium_the_deck_renders_mathml_and_steps_one_factor_per_click(tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "simplest.html"
    path.write_text(deck("simplest"), encoding="utf-8")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.screenshot(path=str(shots / "first.png"))
        assert page.inner_text("#counter").startswith("1 / ")
        # MathML is laid out by the browser itself: its names have a size on the page
        assert page.evaluate("document.querySelector('.slide.current mi').getBoundingClientRect().height") > 0
        page.keyboard.press("ArrowRight")  # to the forward pass: nothing revealed yet
        page.keyboard.press("ArrowRight")  # a = i·w = 1.5·0.8 = 1.2
        shown = page.eval_on_selector_all(".slide.current .step.shown", "els => els.map(e => e.textContent)")
        assert len(shown) == 1 and "1.2" in shown[0]
        hidden = page.eval_on_selector_all(".slide.current .step:not(.shown)", "els => els.length")
        assert hidden == 1  # the cost is still to come
        # on to the gradient's slide: the chain first, then one factor per click, then their product
        while "The gradient" not in page.inner_text(".slide.current h2"):
            page.mouse.click(640, 400)
        page.keyboard.press("ArrowRight")
        steps = page.eval_on_selector_all(".slide.current .step.shown", "els => els.map(e => e.textContent)")
        assert len(steps) == 1 and "0.8" in steps[0]  # ∂C/∂a = 2(a − y) = 0.8
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        steps = page.eval_on_selector_all(".slide.current .step.shown", "els => els.map(e => e.textContent)")
        assert len(steps) == 3 and "1.2" in steps[2]  # ∂C/∂w = 0.8 · 1.5 = 1.2
        frac = page.evaluate("document.querySelector('.slide.current mfrac').getBoundingClientRect().height")
        mi = page.evaluate("document.querySelector('.slide.current mi').getBoundingClientRect().height")
        assert frac > 1.5 * mi  # a real fraction, numerator over denominator
        page.keyboard.press("ArrowLeft")
        assert page.eval_on_selector_all(".slide.current .step.shown", "els => els.length") == 2
        page.keyboard.press("End")
        assert "Checked" in page.inner_text(".slide.current h2")
        assert "✓" in page.inner_text(".slide.current table") and "✗" not in page.inner_text(".slide.current table")
        page.screenshot(path=str(shots / "last.png"))
        browser.close()
    assert all(url.startswith("file://") for url in requests), requests
    assert not errors, errors
    assert (shots / "first.png").stat().st_size > 5_000 and (shots / "last.png").stat().st_size > 5_000

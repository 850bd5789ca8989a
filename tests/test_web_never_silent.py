"""The home page and the step-through never silent, never contradictory (issue 24 §1), in a real browser.

* Whatever the address holds that a page does not use as it stands is named in the page's notes with what is
  used instead, after the first answer, and the note stays until the reader changes that setting: a key the page
  does not read, a key given twice, a step past where the descent stops, an edge past the last, a lesson or mode
  that is not there, a seed or marks outside exercise mode.
* Junk in any parameter never throws: no page error for any of a list of hostile addresses.
* The home page's verdict, stop line and prose come from one rule, the lesson's, with the page's tolerance: the
  tiny-input case (i = 10⁻⁸) does not say "diverges" beside prose that says it converges.
* The minus sign the pages print (U+2212) is accepted wherever a number is typed: the home page's fields and the
  exercise's answers.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from browser_checks import axe_violations
from test_web_browser import NARROW, base_url, browser, expect, visit  # noqa: F401
from test_web_pages import set_field, wait_home

from chainrule.exercises.steps import step_exercise
from chainrule.lessons import simplest
from chainrule.web import stepper

pytestmark = pytest.mark.browser

HOME_KEYS = "i, y, w, lr, tol, k"
BACKPROP_KEYS = "lesson, forward, edge, mode, seed, marks, collapse"


def note(page, key):
    return page.locator(f'#notes [data-key="{key}"]')


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


# ------------------------------------------------------------------ the home page
def test_home_names_an_unknown_key_and_a_repeated_one_and_keeps_saying_so(visit):
    v = visit()
    page = v.goto("/?w=0.5&w=0.9&colour=red&lr=0.2&lr=9")
    wait_home(page, 0)
    expect(note(page, "ignored")).to_have_text(
        f"Ignored in the address: “colour”, not a setting of this page (its settings: {HOME_KEYS}).")
    expect(note(page, "w")).to_have_text("w is given 2 times in the address; the first, “0.5”, is used.")
    expect(note(page, "lr")).to_contain_text("the first, “0.2”, is used")
    assert query(page)["w"] == "0.5" and query(page)["lr"] == "0.2"
    page.locator("#btn-step").click()
    wait_home(page, 1)
    expect(note(page, "ignored")).to_be_visible()  # still there after another answer
    set_field(page, "w", "0.7")  # the reader changed w: its note goes, the others stay
    wait_home(page, 0)
    expect(note(page, "w")).to_have_count(0)
    expect(note(page, "lr")).to_be_visible()
    assert axe_violations(page) == []


def test_home_a_step_past_where_the_descent_stops_is_said_with_the_step_shown(visit):
    engine = simplest.train(learning_rate=0.2, steps=500)  # the lesson's own tolerance: it stops at the minimum
    assert engine.stopped == "converged"
    last = engine.steps[-1].step
    v = visit()
    page = v.goto("/?lr=0.2&k=500")
    wait_home(page, last)
    expect(note(page, "k")).to_have_text(
        f"step 500 (k in the address): the lesson's descent stopped at step {last} (|∂C/∂w| fell below the tolerance "
        f"tol: the line under the readout), so step {last} is shown.")
    assert query(page)["k"] == str(last)
    expect(page.locator("#stop-line")).to_contain_text(f"At the minimum after {last} steps")
    expect(page.locator("#btn-step")).to_be_disabled()
    expect(page.locator("#limit-note")).to_contain_text("the lesson's stop rule ended the descent here")
    # a smaller tolerance lets it go on: the note goes with the change
    set_field(page, "tol", "0")
    wait_home(page, 0)
    expect(note(page, "k")).to_have_count(0)
    expect(page.locator("#btn-step")).to_be_enabled()


def test_home_a_refused_step_in_the_address_shows_step_0_and_says_so(visit):
    v = visit()
    page = v.goto("/?k=-3")
    wait_home(page, 0)
    expect(note(page, "k")).to_contain_text("step (k in the address): -3 is out of range; allowed: a whole number from 0 to 1000")
    expect(note(page, "k")).to_contain_text("showing step 0 instead")
    page.locator("#btn-step").click()
    wait_home(page, 1)
    expect(note(page, "k")).to_have_count(0)


def test_home_the_tiny_input_case_says_one_thing(visit):
    # i = 10⁻⁸: lr·C″ = 2·10⁻¹⁷, so r = 1 − 2·10⁻¹⁷ is 1 in floats; the verdict, the stop line and the prose
    # must all be the lesson's one reading of it
    engine = simplest.train(input=1e-8, target=0.8, weight=0.8, learning_rate=0.1, steps=0)
    v = visit()
    page = v.goto("/?i=1e-8&y=0.8&w=0.8&lr=0.1")
    wait_home(page, 0)
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", engine.verdict)
    expect(verdict).to_have_text(f"lr = 0.1: {engine.verdict}")
    assert "diverg" not in engine.verdict
    expect(verdict).to_have_class("verdict converges")
    expect(page.locator("#lr-lines")).to_contain_text(f"With lr = 0.1: {engine.verdict}.")
    expect(page.locator("#stop-line")).to_have_text(simplest.status_line(engine))
    for where in ("#stop-line", "#lr-lines", "#limit-note", "#lr-warning"):
        assert "diverg" not in page.locator(where).text_content(), where
    assert axe_violations(page) == []


def test_home_takes_the_minus_sign_it_prints(visit):
    v = visit()
    page = v.goto("/")
    wait_home(page, 0)
    set_field(page, "w", "−0.5")  # U+2212, as the page writes negative numbers
    wait_home(page, 0)
    expect(page.locator("#err-w")).to_be_hidden()
    expect(page.locator("#current-weight")).to_have_text("−0.5")
    assert query(page)["w"] == "-0.5"
    set_field(page, "y", "−1e−2")  # in the exponent too
    wait_home(page, 0)
    expect(page.locator("#err-y")).to_be_hidden()
    assert query(page)["y"] == "-0.01"
    page.goto(v.base_url + "/?i=%E2%88%921.5")  # and in the address
    wait_home(page, 0)
    expect(page.locator("#err-i")).to_be_hidden()
    assert float(page.locator("#net-i").text_content().split("= ")[1]) == -1.5


def test_home_step_or_run_while_a_field_is_refused_says_why_nothing_happens(visit):
    v = visit()
    page = v.goto("/")
    wait_home(page, 0)
    set_field(page, "lr", "fast")
    page.locator("#btn-step").click()
    expect(page.locator("#limit-note")).to_have_text(
        "Nothing is sent while learning rate lr holds a value that is not allowed (said under the field).")


# ---------------------------------------------------------------- the step-through
def test_backprop_names_unknown_keys_and_exercise_keys_outside_exercise_mode(visit):
    v = visit()
    page = v.goto("/backprop?lesson=chain&seed=4&marks=rr&zoom=2&edge=3&edge=1&forward=1")
    expect(page.locator("main")).to_have_attribute("data-lesson", "chain")
    expect(page.locator("main")).to_have_attribute("data-edge", "3")
    expect(note(page, "ignored")).to_have_text(
        f"Ignored in the address: “zoom”, not a setting of this page (its settings: {BACKPROP_KEYS}).")
    expect(note(page, "edge")).to_have_text("edge is given 2 times in the address; the first, “3”, is used.")
    expect(note(page, "seed")).to_have_text("seed in the address is read only in exercise mode (mode=exercise); ignored.")
    expect(note(page, "marks")).to_contain_text("marks in the address is read only in exercise mode")
    page.locator("#btn-backward").click()  # the reader moves the edge: that note goes, the others stay
    expect(page.locator("main")).to_have_attribute("data-edge", "4")
    expect(note(page, "edge")).to_have_count(0)
    expect(note(page, "ignored")).to_be_visible()
    expect(note(page, "seed")).to_be_visible()
    assert axe_violations(page) == []


def test_backprop_a_bad_mode_and_an_exercise_that_is_not_offered_are_said(visit):
    v = visit()
    page = v.goto("/backprop?lesson=wide&mode=quiz")
    expect(page.locator("main")).to_have_attribute("data-lesson", "wide")
    expect(note(page, "mode")).to_have_text("mode in the address: “quiz” is not a mode; allowed: exercise. "
                                            "Showing the step-through instead.")
    page.locator("#exercise-switch").check()  # the reader chose a mode: the note goes
    expect(page.locator("main")).to_have_attribute("data-mode", "exercise")
    expect(note(page, "mode")).to_have_count(0)


JUNK = [
    "/?i=%E0%A4%A&y=%00&w=1e999&lr=NaN&tol=-0&k=1e3",
    "/?i=" + "9" * 400 + "&k=" + "1" * 50,
    "/?__proto__=1&constructor=2&toString=3&hasOwnProperty=4",
    "/?" + "&".join(f"x{n}={n}" for n in range(300)),
    "/?i=1.5&i=&i=abc&w=%20%20&lr=%E2%88%92%E2%88%920.1",
    "/backprop?lesson=__proto__&edge=-1&forward=2&mode=exercise&seed=-5&marks=zzz",
    "/backprop?lesson=%E0%A4%A&edge=" + "9" * 400,
    "/backprop?lesson=simplest&mode=exercise&seed=99999999999999&marks=" + "r" * 500,
    "/backprop?lesson=simplest&mode=exercise&seed=3&marks=ra%00r",
    "/backprop?lesson=convexity&mode=exercise&edge=5&forward=1",
    "/backprop?lesson=toString&edge=constructor",
]


@pytest.mark.parametrize("path", JUNK)
def test_junk_in_the_address_never_throws_and_is_said(visit, path):
    v = visit()
    page = v.goto(path)
    if path.startswith("/backprop"):
        expect(page.locator("#graph [data-node]").first).to_be_attached()
        expect(page.locator("main")).to_have_attribute("data-busy", "0")
    else:
        expect(page.locator("main")).to_have_attribute("data-busy", "0")
    page.wait_for_timeout(300)
    said = page.locator("#notes").text_content() + " ".join(
        t for t in page.locator(".field-error").all_text_contents() if t)
    assert said.strip(), "something in this address is not used as it stands, and the page says so"
    assert not v.errors, v.errors  # checked again, with every request, when the visit closes


def test_every_lesson_named_in_the_address_opens_with_no_note(visit):
    v = visit()
    for lesson in stepper.available_lessons():
        page = v.goto(f"/backprop?lesson={lesson}&forward=1&edge=1")
        expect(page.locator("main")).to_have_attribute("data-lesson", lesson)
        expect(page.locator("#notes")).to_be_hidden()


def test_an_exercise_answer_takes_the_minus_sign_the_page_prints(visit):
    questions = [q for q in step_exercise("simplest", 3).questions if q.id.startswith(("node:", "edge:"))]
    k = next(n for n, q in enumerate(questions) if q.value < 0)
    v = visit()
    page = v.goto(f"/backprop?lesson=simplest&mode=exercise&seed=3&marks={'r' * k}")
    expect(page.locator("main")).to_have_attribute("data-marks", "r" * k)
    page.locator("#ex-answer").fill(f"−{abs(questions[k].value)!r}")  # U+2212
    page.locator("#ex-answer").press("Enter")
    expect(page.locator("main")).to_have_attribute("data-marks", "r" * (k + 1))
    expect(page.locator("#ex-feedback")).to_have_attribute("data-kind", "right")


def test_an_edge_in_the_address_in_exercise_mode_is_said_to_be_ignored(visit):
    v = visit()
    page = v.goto("/backprop?lesson=simplest&mode=exercise&seed=3&marks=r&edge=4&forward=1")
    expect(page.locator("main")).to_have_attribute("data-marks", "r")
    expect(note(page, "edge")).to_have_text("edge in the address is not read in exercise mode: the marks say how far "
                                            "the learner got (here: 1 of 8 answered).")
    expect(note(page, "forward")).to_contain_text("forward in the address is not read in exercise mode")


def test_the_exercise_writes_its_given_numbers_with_the_minus_sign_it_takes(visit, base_url):
    given = httpx.post(base_url + "/api/exercise/steps", json={"lesson": "wide", "seed": 3}).json()["given"]
    negative = next(g for g in given if g["value"] < 0)
    v = visit()
    page = v.goto("/backprop?lesson=wide&mode=exercise&seed=3")
    expect(page.locator("main")).to_have_attribute("data-mode", "exercise")
    text = page.locator("#ex-bar .note").first.text_content()
    assert f"{negative['symbol']} = −{abs(negative['value'])!r}" in text, text
    assert not re.search(r"-\d", text), text


# a count of one with a plural noun: "1 steps", "1 features"
ONE_PLURAL = re.compile(r"(?<![\d.,·])\b1 (?:steps|edges|features|neurons|points|paths|nodes|questions|operations|tries|marks)\b")


@pytest.mark.parametrize("path", [
    "/", "/?lr=0.2222222222222222&k=1&x=1", "/?k=1&k=2",
    "/backprop?lesson=simplest&forward=1&edge=1", "/backprop?lesson=simplest&mode=exercise&seed=3&marks=r",
    "/backprop?lesson=simplest&mode=exercise&seed=3&marks=rrrrrrra",
])
def test_the_pages_own_words_count_one_in_the_singular(visit, path):
    # the lesson's own lines (#stop-line, #lr-lines) and the chart's description (#parabola-desc, viz.descent's)
    # are the library's text, checked with the library
    v = visit()
    page = v.goto(path)
    expect(page.locator("main")).to_have_attribute("data-busy", "0")
    page.wait_for_timeout(200)
    text = page.evaluate("""() => { const c = document.body.cloneNode(true);
        for (const id of ['stop-line', 'lr-lines', 'parabola-desc']) { const e = c.querySelector('#' + id); if (e) e.remove(); }
        return c.innerText || c.textContent; }""")
    assert not ONE_PLURAL.search(text), ONE_PLURAL.search(text).group(0)


# ------------------------------------------------------------ a busy server, a final refusal
def _refuse_first(page, path, headers):
    """The first request to ``path`` answered 503 with ``headers``; the later ones reach the server."""
    calls = []

    def handle(route):
        calls.append(route.request.method)
        if len(calls) == 1:
            route.fulfill(status=503, headers={"Content-Type": "application/json", **headers},
                          body='{"error": "refused for the test"}')
        else:
            route.continue_()

    page.route(f"**{path}", handle)
    return calls


def test_a_busy_server_s_503_with_retry_after_is_sent_again_for_gets_and_posts(visit):
    v = visit()
    gets = _refuse_first(v.page, "/api/lessons/simplest/params", {"Retry-After": "1"})
    posts = _refuse_first(v.page, "/api/simplest", {"Retry-After": "1"})
    page = v.goto("/")
    wait_home(page, 0)
    assert gets == ["GET", "GET"] and posts[:2] == ["POST", "POST"]
    expect(page.locator("#error")).to_be_hidden()
    v.errors[:] = [e for e in v.errors if "status of 503" not in e]  # the browser logs each refused load


def test_a_503_without_retry_after_is_said_at_once_not_sent_again(visit):
    v = visit()
    gets = _refuse_first(v.page, "/api/lessons/simplest/params", {})
    page = v.goto("/")
    expect(page.locator("#error")).to_have_text("refused for the test", timeout=5_000)
    page.wait_for_timeout(1_500)  # longer than a retry's wait: none comes
    assert gets == ["GET"]
    v.errors[:] = [e for e in v.errors if "status of 503" not in e]

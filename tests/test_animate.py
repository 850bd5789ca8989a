"""``chainrule animate``: the step-through's backward pass, edge by edge, then the descent, as a GIF, MP4 or HTML file.

The frames are held against the step-through's own trace (``trace_lesson``,
``trace_graph``): one forward frame, then one frame per event in the order
backpropagation visits the edges, the active edge's port drawn red in its
frame and in no other; then one frame per step of the lesson's descent. The
HTML page carries its frames' data and is checked the same way, and in
Chromium it plays with every request outside the file refused. A link of the
explorer gives the numbers of the page it was copied from, checked against
the video's formulas worked by hand. Bad input ends in one line and exit 2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from browser_checks import axe_violations

from chainrule import lessons
from chainrule.cli import main
from chainrule.commands.animate import descents
from chainrule.commands.explorer_link import (EXERCISE_KEYS, HOME_FIELDS, HOME_STEP, STEP_THROUGH_KEYS, VIEW_KEYS,
                                              read_link)
from chainrule.errors import InvalidValueError
from chainrule.stepthrough.graph import trace_graph
from chainrule.stepthrough.lesson import trace_lesson
from chainrule.viz.animation import (MAX_DESCENT_FRAMES, MAX_EDGES, MAX_PIXELS, Curve, Point, Size, fitting_size,
                                     parse_size, tell)
from chainrule.viz.animation.html import DATA_ID
from chainrule.viz.animation.picture import Picture

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
STATIC = Path(__file__).resolve().parents[1] / "src" / "chainrule" / "web" / "static" / "js"


def _descent_steps(name: str) -> int:
    """How many records the lesson's descent has, read from its own JSON report (the step-through's parameters)."""
    lesson = lessons.load(name)
    steps = lesson.explain(lesson.train(**lesson.step_through_params())).to_json()["steps"]
    return len(steps)


def _frames_data(path: Path) -> dict:
    html = path.read_text(encoding="utf-8")
    m = re.search(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', html, re.S)
    assert m, "the page carries no frame data"
    return json.loads(m.group(1))


def _red(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    """How many pixels inside ``box`` (left, top, right, bottom) are the page's red (#c53030, up to GIF's palette)."""
    rgb = np.asarray(image.convert("RGB").crop(tuple(round(v) for v in box))).astype(int)
    return int(((rgb[..., 0] > 160) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)).sum())


# ------------------------------------------------------------------------ GIF
def test_the_gif_has_a_frame_per_edge_in_the_step_through_s_order_then_the_descent(tmp_path, capsys):
    out = tmp_path / "f.gif"
    assert main(["animate", "simplest", "--out", str(out)]) == 0
    assert "GIF of simplest written to" in capsys.readouterr().out
    trace = trace_lesson("simplest")
    events = trace["events"]
    gif = Image.open(out)
    assert gif.n_frames == 1 + len(events) + _descent_steps("simplest")  # 25 ≤ MAX_DESCENT_FRAMES: every step
    assert gif.info["duration"] == 1000  # the default: a second a frame
    # where the picture puts each port: the same figure, rebuilt at the GIF's size
    story = tell("simplest", trace, descents(lessons.load("simplest").explain(lessons.load("simplest").train()).to_json()))
    graph = Picture(story, Size(*gif.size)).graph

    def port(edge: dict) -> tuple[float, float, float, float]:
        p = trace["nodes"][edge["target"]]["box"]["ports"][edge["slot"]]
        (x0, y0), (x1, y1) = graph.to_pixels(p["x"] + 2, p["y"] + 2), graph.to_pixels(p["x"] + p["w"] - 2, p["y"] + p["h"] - 2)
        return x0, y0, x1, y1

    for k in range(len(events) + 1):
        gif.seek(k)
        frame = gif.convert("RGB")
        red_ports = [e["id"] for e in trace["edges"] if _red(frame, port(e)) > 5]
        # frame 0: the forward pass, no edge active; frame k: the k-th event's edge, and only it
        assert red_ports == ([] if k == 0 else [events[k - 1]["edge"]]), f"frame {k}"
    assert [e["edge"] for e in events] != sorted(e["edge"] for e in events) or len(events) == 1  # backward, not by id


# ----------------------------------------------------------------------- HTML
def test_the_html_carries_every_frame_in_the_step_through_s_order_and_asks_no_network(tmp_path, capsys):
    out = tmp_path / "f.html"
    assert main(["animate", "simplest", "--out", str(out)]) == 0
    data = _frames_data(out)
    events = trace_lesson("simplest")["events"]
    n_steps = _descent_steps("simplest")
    kinds = [f["kind"] for f in data["frames"]]
    assert kinds == ["forward"] + ["edge"] * len(events) + ["descent"] * n_steps
    edges = [f for f in data["frames"] if f["kind"] == "edge"]
    assert [(f["event"], f["edge"], f["source"], f["target"]) for f in edges] == \
        [(e["step"], e["edge"], e["source"], e["target"]) for e in events]
    assert [f["after"] for f in edges] == [e["after"] for e in events]
    assert [f["local"] for f in edges] == [e["local"] for e in events]
    assert edges[0]["caption"][-2:] == [events[0]["text"]["sum"], edges[0]["caption"][-1]]
    assert all(f["image"].startswith("data:image/png;base64,") for f in data["frames"])
    assert [f["step"] for f in data["frames"] if f["kind"] == "descent"] == list(range(n_steps))
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"""\bsrc\s*=\s*["'](?!data:)""", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<link" not in html and "@import" not in html and "url(" not in html


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (.ci/run installs it)")
def test_in_chromium_the_page_plays_and_steps_with_every_request_outside_the_file_refused(tmp_path, capsys):
    from playwright.sync_api import sync_playwright

    out = tmp_path / "wide.html"
    assert main(["animate", "--from-url", "http://127.0.0.1:8000/backprop?lesson=wide&edge=3", "--out", str(out),
                 "--fps", "20", "--size", "640x360"]) == 0
    total = len(_frames_data(out)["frames"])
    requests, refused, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1000, "height": 700})

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                refused.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(out.as_uri())
        assert page.inner_text("#counter") == f"4 / {total}"  # the link stood at edge 3: frame 0 is the forward pass
        assert page.get_attribute("#frame", "alt").startswith("wide: backward, edge 3 of 32")
        page.click("#next")
        assert page.inner_text("#counter") == f"5 / {total}"
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert page.inner_text("#counter") == f"3 / {total}"
        page.click("#play")
        page.wait_for_function("() => Number(document.body.dataset.frame) >= 6")
        page.click("#play")  # pause
        assert page.evaluate("document.body.dataset.playing") == "0"
        page.keyboard.press("End")
        assert page.inner_text("#counter") == f"{total} / {total}"
        assert page.evaluate("document.getElementById('next').disabled")
        size = page.evaluate("[document.getElementById('frame').naturalWidth, document.getElementById('frame').naturalHeight]")
        assert size == [640, 360]
        assert axe_violations(page) == []  # WCAG 2.2 AA, as every page of the explorer
        browser.close()
    assert not refused, refused
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    assert not errors, errors


# ------------------------------------------------------------------------ MP4
@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="ffmpeg is not installed")
def test_the_mp4_has_the_same_frames(tmp_path, capsys):
    out = tmp_path / "f.mp4"
    assert main(["animate", "chain", "--out", str(out), "--fps", "4"]) == 0
    counted = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                              "stream=nb_read_frames", "-of", "csv=p=0", str(out)], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert int(counted) == 1 + len(trace_lesson("chain")["events"]) + _descent_steps("chain")


def test_an_mp4_without_ffmpeg_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on it
    assert main(["animate", "simplest", "--out", str(tmp_path / "f.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ffmpeg" in err[0] and "not installed" in err[0]
    assert not (tmp_path / "f.mp4").exists()


# ------------------------------------------------------------------- --from-url
def test_a_home_page_link_gives_the_page_s_numbers(tmp_path, capsys):
    # the video's network with i = 2, w = 0.3, y = 1: a = 0.6, C = (0.6 − 1)² = 0.16, dC/dw = 2(a − y)·i = −1.6
    out = tmp_path / "home.html"
    assert main(["animate", "--from-url", "http://127.0.0.1:8000/?i=2&w=0.3&y=1&lr=0.1", "--out", str(out)]) == 0
    data = _frames_data(out)
    assert data["frames"][0]["caption"][0] == "Forward pass done: C = 0.16."
    expected = trace_graph(lessons.graph("simplest", input=2, weight=0.3, target=1))["events"]
    edges = [f for f in data["frames"] if f["kind"] == "edge"]
    assert [(f["edge"], f["after"]) for f in edges] == [(e["edge"], e["after"]) for e in expected]
    w = next(n["id"] for n in trace_graph(lessons.graph("simplest", input=2, weight=0.3, target=1))["nodes"]
             if n["name"] == "w")
    assert [f["after"] for f in edges if f["source"] == w] == [pytest.approx(-1.6)]
    descent = [f for f in data["frames"] if f["kind"] == "descent"]
    assert "lr = 0.1" in descent[0]["caption"][0] and "C = 0.16" in descent[0]["caption"][1]
    # w ← w − 0.1·2·2(2w − 1) = 0.2w + 0.4: 0.3, 0.46, 0.492, …, C = (2w − 1)² falling by 25 each step
    costs = [float(re.search(r"C = ([0-9.·⁻¹²³⁴⁵⁶⁷⁸⁹⁰]+)", f["caption"][1]).group(1).split("·")[0]) for f in descent[:3]]
    assert costs == pytest.approx([0.16, 0.0064, 0.000256])


def test_a_home_page_link_at_step_k_animates_that_step_s_backward_pass(tmp_path, capsys):
    # w₃ = 0.4984 (w ← 0.2w + 0.4 from 0.3), so a = 0.9968 and C = (a − 1)² = 1.024·10⁻⁵
    out = tmp_path / "k3.html"
    assert main(["animate", "--from-url", "/?i=2&w=0.3&y=1&lr=0.1&k=3", "--out", str(out)]) == 0
    assert _frames_data(out)["frames"][0]["caption"][0] == "Forward pass done: C = 1.024·10⁻⁵."
    assert "at step 3" in capsys.readouterr().out


def test_a_step_through_link_gives_its_lesson_and_opens_at_its_edge(tmp_path, capsys):
    out = tmp_path / "wide.html"
    assert main(["animate", "--from-url", "/backprop?lesson=wide&forward=1&edge=5", "--out", str(out),
                 "--size", "640x360"]) == 0
    data = _frames_data(out)
    assert data["lesson"] == "wide" and data["start"] == 5
    assert [f["event"] for f in data["frames"] if f["kind"] == "edge"] == list(range(len(trace_lesson("wide")["events"])))
    assert read_link("https://example.org/chainrule/backprop.html").lesson == "wide"  # a published folder, the default


def test_the_static_explorer_s_links_read_as_serve_s():
    # chainrule site's pages are folders (/backprop/, /explorer/), and a static host may serve them under a folder
    link = read_link("https://example.org/chainrule/explorer/backprop/?lesson=chain&edge=2")
    assert (link.page, link.lesson, link.edge) == ("step-through", "chain", 2)
    assert read_link("http://127.0.0.1:8000/backprop/index.html?lesson=batch").lesson == "batch"
    home = read_link("https://example.org/chainrule/explorer/?i=2&w=0.3&y=1")
    assert (home.page, home.params) == ("home", {"input": 2.0, "weight": 0.3, "target": 1.0})
    with pytest.raises(InvalidValueError, match="playground's"):
        read_link("https://example.org/explorer/playground/")


def test_the_link_keys_are_the_pages_own():
    # the pages' own lists of address keys (simplest.js FIELDS and COUNTER, backprop.js SPEC) are the ones read here
    home = (STATIC / "simplest.js").read_text(encoding="utf-8")
    fields = re.search(r"const FIELDS = \{([^}]*)\}", home).group(1)
    assert dict(re.findall(r'(\w+): "(\w+)"', fields)) == HOME_FIELDS
    counter = re.search(r"const COUNTER = \{([^}]*)\}", home).group(1)
    assert re.search(r'key: "(\w+)"', counter).group(1) == HOME_STEP[0]
    assert re.search(r'param: "(\w+)"', counter).group(1) == HOME_STEP[1]
    spec = re.search(r"const SPEC = \{(.*?)\};", (STATIC / "backprop.js").read_text(encoding="utf-8"), re.S).group(1)
    assert re.findall(r"(\w+): \[", spec) == [*STEP_THROUGH_KEYS, *EXERCISE_KEYS, *VIEW_KEYS]


# --------------------------------------------------------------------- refusals
@pytest.mark.parametrize("argv, words", [
    (["simplest", "--out", "f.txt"], "must end in"),
    (["simplest", "--out", "f.gif", "--fps", "0"], "allowed"),
    (["simplest", "--out", "f.gif", "--fps", "nan"], "allowed"),
    (["simplest", "--out", "f.gif", "--fps", "31"], "allowed"),
    (["simplest", "--out", "f.gif", "--size", "100x100"], "allowed"),
    (["simplest", "--out", "f.gif", "--size", "big"], "WIDTHxHEIGHT"),
    (["simplest", "--out", "f.gif", "--size", "1920x2000"], "allowed"),
    (["nope", "--out", "f.gif"], "invalid choice"),
    (["--out", "f.gif"], "which lesson"),
    (["chain", "--out", "f.gif", "--from-url", "/backprop?lesson=wide"], "differ"),
    (["--out", "f.gif", "--from-url", "/playground?layers=4"], "playground"),
    (["--out", "f.gif", "--from-url", "/?i=0"], "i in the link"),
    (["--out", "f.gif", "--from-url", "/?lr=-1"], "lr in the link"),
    (["--out", "f.gif", "--from-url", "/?w=abc"], "not a number"),
    (["--out", "f.gif", "--from-url", "/?k=2.5"], "whole number"),
    (["--out", "f.gif", "--from-url", "/?i=1&i=2"], "twice"),
    (["--out", "f.gif", "--from-url", "/?foo=1"], "'foo'"),
    (["--out", "f.gif", "--from-url", "/backprop?lesson=nope"], "allowed"),
    (["--out", "f.gif", "--from-url", "/backprop?lesson=wide&edge=999"], "edge=999"),
    (["--out", "f.gif", "--from-url", "/backprop?lesson=wide&edge=-1"], "edge="),
    (["--out", "f.gif", "--from-url", "/backprop?mode=exercise"], "exercise"),
    (["--out", "f.gif", "--from-url", "/backprop?lesson=wide&collapse=2"], "draws every layer"),
    (["--out", "f.gif", "--from-url", "ftp://127.0.0.1/"], "not an explorer address"),
    (["--out", "f.gif", "--from-url", "/elsewhere"], "allowed"),
    (["--out", "f.gif", "--from-url", "/?i=" + "1" * 3000], "characters"),
    (["learning-rate", "--out", "f.gif", "--size", "1920x1080"], "at most 80,000,000"),
])
def test_bad_input_is_refused_in_one_line(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    assert main(["animate", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("chainrule animate: error:") and words in err[0], err
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_an_mp4_of_odd_size_is_refused(tmp_path, capsys):
    assert main(["animate", "simplest", "--out", str(tmp_path / "f.mp4"), "--size", "961x540"]) == 2
    assert "even" in capsys.readouterr().err


# ----------------------------------------------------------------------- bounds
def test_whatever_the_input_the_frames_stay_within_the_budget():
    longest = 1 + MAX_EDGES + MAX_DESCENT_FRAMES
    for width, height in [(10, 10), (483, 178), (1488, 546), (5000, 5000)]:
        for frames in (1, 40, longest):
            size = fitting_size(width, height, frames)
            assert frames * size.pixels <= MAX_PIXELS
            assert 320 <= size.width <= 1920 and 240 <= size.height <= 1080
            assert size.width % 2 == 0 and size.height % 2 == 0
    with pytest.raises(InvalidValueError, match="300"):
        tell("big", {"events": [{}] * (MAX_EDGES + 1)})
    assert parse_size("960x540") == Size(960, 540)


def test_a_long_descent_shows_evenly_spaced_steps_its_first_and_last_among_them():
    trace = trace_lesson("simplest")
    points = tuple(Point(k, 1.0 / (k + 1), {"w": 0.5}, {"w": 0.1}) for k in range(500))
    story = tell("simplest", trace, [Curve("", points, 0.1)])
    steps = [f.step for f in story.frames if f.kind == "descent"]
    assert len(steps) == MAX_DESCENT_FRAMES and steps[0] == 0 and steps[-1] == 499
    assert steps == sorted(set(steps))
    assert f"{MAX_DESCENT_FRAMES} of the 500 steps shown" in story.frames[-1].caption[-1]


def test_lessons_without_a_descent_of_their_own_animate_the_backward_pass_alone(tmp_path, capsys):
    out = tmp_path / "convexity.html"
    assert main(["animate", "convexity", "--out", str(out), "--size", "640x360"]) == 0
    data = _frames_data(out)
    assert [f["kind"] for f in data["frames"]] == ["forward"] + ["edge"] * len(trace_lesson("convexity")["events"])
    assert "no descent of its own" in capsys.readouterr().out


def test_without_out_the_film_is_lesson_gif_in_the_current_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["animate", "chain", "--size", "640x360"]) == 0
    assert Image.open(tmp_path / "chain.gif").n_frames == 1 + len(trace_lesson("chain")["events"]) + _descent_steps("chain")


def test_a_frame_drawn_over_the_baked_layers_is_the_frame_drawn_whole():
    # the film bakes what the backward pass finished with into its background as it goes; drawing each frame's whole
    # state over the untouched background gives the same pixels (batch: paths meet, sums stay partial a while)
    story = tell("batch", trace_lesson("batch"), [])
    film, whole = Picture(story, Size(640, 360)), Picture(story, Size(640, 360))
    for frame in story.frames:
        film.show(frame)
        film.canvas.draw()
        whole.show(frame)
        whole.graph_background.pixels, whole.baked = whole.static_pixels, 0
        whole.graph.show(frame.shown, 0)
        whole.canvas.draw()
        a = np.asarray(film.canvas.buffer_rgba()).astype(int)
        b = np.asarray(whole.canvas.buffer_rgba()).astype(int)
        assert np.abs(a - b).max() <= 8, f"frame {frame.shown}"
    assert film.baked == len(story.trace["events"]) - 1  # it did bake: all but the last edge

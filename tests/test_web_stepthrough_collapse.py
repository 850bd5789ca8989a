"""Folding a layer of the step-through's graph into one box, in a real browser (issue 24 §3: "layers can be collapsed").

A layer is a column of the graph as the server lays it out (``stepthrough/columns.py``: dot's ranks). A button per
layer folds it: its nodes give way to one box that names what it holds, and the edges into and out of it are merged,
one line per node (or folded layer) at their other end. What the page draws is checked against what the server's
data says it must be, counted here independently of the page: the nodes hidden, the edges kept, the lines merged.
The walk still reaches every edge (a folded layer holding an end of the edge being crossed is shown open while it
does, and the page says so), the address keeps the folds and reproduces them, and junk in ``collapse=`` is named.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from browser_checks import axe_violations
from test_web_browser import NARROW, WIDE, base_url, browser, expect, screenshot, screenshots, visit  # noqa: F401

from chainrule.stepthrough import columns
from chainrule.web import stepper

pytestmark = pytest.mark.browser

# What the page draws now: the edges shown (each original edge kept, each merged line), the nodes and boxes shown.
DRAWN = """() => {
  const shown = (el) => getComputedStyle(el).display !== 'none' && el.closest('[display="none"]') === null;
  const edges = [...document.querySelectorAll('#graph path.edge')].filter(shown);
  return {
    kept: edges.filter((p) => p.dataset.edge !== undefined).map((p) => Number(p.dataset.edge)).sort((a, b) => a - b),
    merged: edges.filter((p) => p.dataset.merged !== undefined)
      .map((p) => p.dataset.merged.split(',').map(Number).sort((a, b) => a - b).join(',')).sort(),
    active: edges.filter((p) => p.classList.contains('active')).map((p) => Number(p.dataset.edge)),
    nodes: [...document.querySelectorAll('#graph .node')].filter(shown).map((g) => Number(g.dataset.node)).sort((a, b) => a - b),
    boxes: [...document.querySelectorAll('#graph .fold')].filter(shown).map((g) => Number(g.dataset.fold)).sort((a, b) => a - b),
    boxText: Object.fromEntries([...document.querySelectorAll('#graph .fold')].filter(shown)
      .map((g) => [g.dataset.fold, [...g.querySelectorAll('text')].map((t) => t.textContent)])),
  };
}"""


def expected(trace: dict, folded: set[int]) -> dict:
    """What must be drawn while the layers ``folded`` are boxes: counted from the server's data alone."""
    layer = {n["id"]: n["layer"] for n in trace["nodes"]}
    kept, groups = [], {}
    for e in trace["edges"]:
        ends = tuple(("layer", layer[k]) if layer[k] in folded else ("node", k) for k in (e["source"], e["target"]))
        if ends[0][0] == "node" and ends[1][0] == "node":
            kept.append(e["id"])
        elif ends[0] != ends[1]:  # both ends in one folded layer: inside its box, not drawn
            groups.setdefault(ends, []).append(e["id"])
    return {
        "kept": sorted(kept),
        "merged": sorted(",".join(str(k) for k in sorted(ids)) for ids in groups.values()),
        "nodes": sorted(k for k, n in layer.items() if n not in folded),
        "boxes": sorted(folded),
    }


def drawn(page) -> dict:
    return page.evaluate(DRAWN)


def check_drawn(page, trace: dict, folded: set[int], where: str) -> dict:
    found = drawn(page)
    want = expected(trace, folded)
    for key in ("kept", "merged", "nodes", "boxes"):
        assert found[key] == want[key], (where, key, found[key], want[key])
    for number in folded:  # each box names its layer and what it holds
        layer = trace["layers"][number - 1]
        assert found["boxText"][str(number)] == layer["lines"], (where, found["boxText"])
        assert " ".join(layer["lines"][1:-1]) == layer["text"] and layer["lines"][0] == f"layer {number}"
    return found


def collapse_in_url(page) -> str | None:
    return parse_qs(urlparse(page.url).query).get("collapse", [None])[0]


def fold_button(page, number: int):
    return page.locator(f'#fold-buttons button[data-layer="{number}"]')


# Which layers each test folds: learning-rate's first-layer parameters and its 16 tanh activations; the recurrent
# net's shared weights w and u (every time step reads them) and the second time step's weighted sum.
FOLDS = {"learning-rate": [1, 3], "recurrent": [2, 5]}


def test_the_server_says_where_the_layers_are():
    """Every node has the column dot drew it in; a layer's nodes share one x, the columns run left to right, and
    every edge goes from a column to one further right (the forward pass's direction)."""
    for lesson in stepper.available_lessons():
        trace = stepper.trace_lesson(lesson)
        centre = {n["id"]: n["box"]["x"] + n["box"]["w"] / 2 for n in trace["nodes"]}
        by_layer: dict[int, list[float]] = {}
        for n in trace["nodes"]:
            by_layer.setdefault(n["layer"], []).append(centre[n["id"]])
        assert sorted(by_layer) == list(range(1, len(by_layer) + 1)) == [layer["layer"] for layer in trace["layers"]]
        for xs in by_layer.values():
            assert max(xs) - min(xs) < 0.05, (lesson, xs)
        lefts = [min(by_layer[k]) for k in sorted(by_layer)]
        assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts), lesson
        for e in trace["edges"]:
            assert trace["nodes"][e["source"]]["layer"] < trace["nodes"][e["target"]]["layer"], (lesson, e["id"])
        for layer in trace["layers"]:
            members = [n for n in trace["nodes"] if n["layer"] == layer["layer"]]
            assert layer["nodes"] == [n["id"] for n in members]
            assert layer["text"] == columns.describe(members)
            b = layer["box"]
            for n in members:  # the folded box covers every node it stands for
                nb = n["box"]
                assert b["x"] <= nb["x"] + 0.01 and nb["x"] + nb["w"] <= b["x"] + b["w"] + 0.01, (lesson, layer["layer"])
                assert b["y"] <= nb["y"] + 0.01 and nb["y"] + nb["h"] <= b["y"] + b["h"] + 0.01, (lesson, layer["layer"])
            assert len(layer["baselines"]) == len(layer["lines"])
            assert all(b["y"] < y < b["y"] + b["h"] for y in layer["baselines"])


def test_a_layer_in_words():
    """What a folded box says it holds: counted by kind and operation, one or many, in the order met."""
    node = lambda kind, op="": {"kind": kind, "op": op}  # noqa: E731
    assert columns.describe([node("parameter")] * 8) == "8 parameters"
    assert columns.describe([node("intermediate", "tanh")] * 16) == "16 tanh activations"
    assert columns.describe([node("intermediate", "tanh"), node("input")]) == "1 tanh activation, 1 input"
    assert columns.describe([node("intermediate", "dot")] * 2 + [node("input")]) == "2 weighted sums, 1 input"
    assert columns.describe([node("cost", "**")]) == "1 cost"
    assert columns.describe([node("intermediate", "atan2")] * 3) == "3 atan2 operations"
    assert columns.column_of({7: 10.0, 3: 10.004, 5: 200.0, 1: 90.0}) == {7: 1, 3: 1, 1: 2, 5: 3}


@pytest.mark.parametrize("lesson", sorted(FOLDS))
def test_folding_layers_draws_a_box_merges_their_edges_and_the_walk_reaches_every_edge(visit, screenshots, lesson):
    trace = stepper.trace_lesson(lesson)
    v = visit(WIDE)
    v.page.emulate_media(reduced_motion="reduce")
    page = v.goto(f"/backprop?lesson={lesson}&forward=1")
    expect(page.locator("main")).to_have_attribute("data-lesson", lesson)
    expect(page.locator("#fold-buttons button")).to_have_count(len(trace["layers"]))
    check_drawn(page, trace, set(), "nothing folded")
    folded: set[int] = set()
    for number in FOLDS[lesson]:
        button = fold_button(page, number)
        expect(button).to_have_attribute("aria-label", f"Collapse layer {number}: {trace['layers'][number - 1]['text']}")
        button.click()
        folded.add(number)
        expect(button).to_have_attribute("aria-pressed", "true")
        found = check_drawn(page, trace, folded, f"{lesson}, layers {sorted(folded)} folded")
    assert collapse_in_url(page) == ",".join(str(k) for k in sorted(folded))
    assert len(found["kept"]) + len(found["merged"]) < len(trace["edges"]), "fewer lines to read"
    expect(page.locator("#fold-status")).to_contain_text(f"Collapsed: layers {', '.join(map(str, sorted(folded)))}")
    expect(page.locator("#graph-desc")).to_contain_text(trace["layers"][FOLDS[lesson][0] - 1]["label"])
    assert axe_violations(page) == []
    screenshot(page, screenshots, f"backprop-{lesson}-collapsed")

    # the walk: every edge is reached and drawn; a folded layer holding one of its ends is open while it does
    backward = page.locator("#btn-backward")
    seen_held = False
    for k in range(1, len(trace["events"]) + 1):
        backward.click()
        expect(page.locator("main")).to_have_attribute("data-edge", str(k))
        event = trace["events"][k - 1]
        held = {trace["nodes"][event["source"]]["layer"], trace["nodes"][event["target"]]["layer"]} & folded
        shut = folded - held
        expect(page.locator("main")).to_have_attribute("data-held", ",".join(str(x) for x in sorted(held)))
        now = drawn(page)
        assert event["edge"] in now["kept"] and now["active"] == [event["edge"]], (k, now["active"])  # drawn, marked
        assert now["boxes"] == sorted(shut), (k, held)
        if held:
            expect(page.locator("#fold-status")).to_contain_text("shown open while the edge being crossed is in")
            if not seen_held:  # the first time: drawn as the layers left folded say, and still accessible
                seen_held = True
                check_drawn(page, trace, shut, f"edge {k}: layers {sorted(held)} held open")
                assert axe_violations(page) == []
        else:
            expect(page.locator("#fold-status")).not_to_contain_text("shown open")
    assert seen_held, "the walk crossed an edge of a folded layer"
    expect(page.locator("main")).to_have_attribute("data-done", "1")
    last = trace["events"][-1]
    end_held = {trace["nodes"][last["source"]]["layer"], trace["nodes"][last["target"]]["layer"]} & folded
    check_drawn(page, trace, folded - end_held, "at the end")
    assert collapse_in_url(page) == ",".join(str(x) for x in sorted(folded)), "showing a layer open never unfolds it"

    # the link reproduces it: the same boxes, the same lines, the same buttons pressed
    link = page.locator("#share-link").get_attribute("href")
    assert "collapse=" in link
    w = visit(NARROW)
    again = w.goto(link)
    expect(again.locator("main")).to_have_attribute("data-done", "1")
    check_drawn(again, trace, folded - end_held, "the link, opened again")
    for number in range(1, len(trace["layers"]) + 1):
        expect(fold_button(again, number)).to_have_attribute("aria-pressed", "true" if number in folded else "false")
    assert axe_violations(again) == []

    # opened again by its button (or all at once), the graph is whole again and the address forgets it
    fold_button(page, FOLDS[lesson][0]).click()
    expect(fold_button(page, FOLDS[lesson][0])).to_have_attribute("aria-pressed", "false")
    assert collapse_in_url(page) == ",".join(str(x) for x in sorted(folded - {FOLDS[lesson][0]}))
    page.locator("#btn-unfold-all").click()
    check_drawn(page, trace, set(), "all open")
    assert collapse_in_url(page) is None
    expect(page.locator("#fold-status")).to_have_text("")


def test_the_keyboard_folds_a_layer_and_a_press_on_its_box_opens_it(visit):
    trace = stepper.trace_lesson("learning-rate")
    v = visit(WIDE)
    v.page.emulate_media(reduced_motion="reduce")
    page = v.goto("/backprop?lesson=learning-rate")
    expect(page.locator("main")).to_have_attribute("data-lesson", "learning-rate")
    fold_button(page, 2).focus()
    page.keyboard.press("Enter")
    expect(fold_button(page, 2)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")  # to layer 3's button
    expect(fold_button(page, 3)).to_be_focused()
    page.keyboard.press("Space")
    check_drawn(page, trace, {2, 3}, "folded by keyboard")
    page.locator("#btn-whole").click()  # the whole graph: the box is in view
    page.locator('#graph .fold[data-fold="3"]').click()
    check_drawn(page, trace, {2}, "layer 3 opened by a press on its box")
    assert collapse_in_url(page) == "2"
    # another lesson has other layers: nothing of this one's folds is kept
    page.locator("#lesson").select_option("recurrent")
    expect(page.locator("main")).to_have_attribute("data-lesson", "recurrent")
    check_drawn(page, stepper.trace_lesson("recurrent"), set(), "another lesson")
    assert collapse_in_url(page) is None


@pytest.mark.parametrize("junk, used, named", [
    ("2,x,99,2", {2}, ["“x”", "“99”", "2 given more than once", "Collapsed: layer 2."]),
    ("0,-1,1.5,%E2%88%921", set(), ["“0”", "“-1”", "“1.5”", "“−1”", "Nothing is collapsed."]),
    ("3,,12,", {3, 12}, []),
    ("<script>alert(1)</script>" * 3, set(), ["is not a layer of this graph", "whole numbers from 1 to 12"]),
])
def test_junk_in_collapse_is_named_and_never_throws(visit, junk, used, named):
    trace = stepper.trace_lesson("recurrent")
    v = visit(WIDE)
    page = v.goto(f"/backprop?lesson=recurrent&forward=1&edge=1&collapse={junk}")
    expect(page.locator("main")).to_have_attribute("data-edge", "1")
    note = page.locator('#notes [data-key="collapse"]')
    if named:
        for words in named:
            expect(note).to_contain_text(words)
    else:
        expect(note).to_have_count(0)
    event = trace["events"][0]
    held = {trace["nodes"][event["source"]]["layer"], trace["nodes"][event["target"]]["layer"]} & used
    check_drawn(page, trace, used - held, f"collapse={junk}")
    assert collapse_in_url(page) == (",".join(str(k) for k in sorted(used)) or None)
    if named:  # the note stays until the reader changes the folds
        page.locator("#btn-backward").click()
        expect(note).to_have_count(1)
        fold_button(page, 1).click()
        expect(note).to_have_count(0)


def test_in_exercise_mode_the_layer_of_the_question_asked_is_shown_open(visit, base_url):  # noqa: F811
    """The learner computes each node's value in turn: a folded layer holding the node asked about opens for it."""
    steps = httpx.post(base_url + "/api/exercise/steps", json={"lesson": "wide"}, timeout=30).json()
    trace, first = steps["trace"], steps["questions"][0]["id"]
    assert first.startswith("node:")
    layer = trace["nodes"][int(first.split(":")[1])]["layer"]
    other = next(k for k in range(1, len(trace["layers"]) + 1) if k != layer)
    v = visit(WIDE)
    page = v.goto(f"/backprop?lesson=wide&mode=exercise&collapse={layer},{other}")
    expect(page.locator("main")).to_have_attribute("data-mode", "exercise")
    expect(page.locator("main")).to_have_attribute("data-held", str(layer))
    expect(page.locator("#fold-status")).to_contain_text("shown open while the question asked is in it")
    check_drawn(page, trace, {other}, "exercise mode, its first question")
    expect(page.locator(f'#graph .node.asked[data-node="{first.split(":")[1]}"]')).to_have_count(1)
    assert axe_violations(page) == []

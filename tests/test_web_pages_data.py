"""What the home page and the step-through page are sent: the declaration, the plot, the graph's layout.

The pages draw what these answers say; the browser tests (``test_web_pages.py``)
check what a learner then sees. Here: the lesson's declared parameters are served
as declared, the parabola follows a diverging point, the ruler's marks are named,
and the step-through graph is laid out in layer columns with one port per input,
every box wide enough for every text it will show.
"""

from __future__ import annotations

import itertools
import json

import pytest
from fastapi.testclient import TestClient

from chainrule import Value, lessons
from chainrule.errors import InvalidValueError
from chainrule.lessons import simplest
from chainrule.stepthrough import layout as graph_layout
from chainrule.stepthrough.graph import trace_graph
from chainrule.web import create_app, stepper
from chainrule.web.api_models import SimplestRequest
from chainrule.web.simplest_view import explore


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


# ------------------------------------------------------------ declarations
@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_each_lessons_declared_parameters_are_served_as_declared(client, name):
    r = client.get(f"/api/lessons/{name}/params")
    assert r.status_code == 200
    declared = json.loads(json.dumps(lessons.load(name).params.to_json()))  # as JSON has it: a tuple is a list
    assert r.json() == {"lesson": name, "params": declared}


def test_the_simplest_declaration_states_the_input_range_and_its_hole_at_zero(client):
    (entry,) = [p for p in client.get("/api/lessons/simplest/params").json()["params"] if p["name"] == "input"]
    assert (entry["low"], entry["high"], entry["min_abs"]) == (-100, 100, 1e-150)
    assert entry["nonzero"] and "1e-150" in entry["allowed"]


def test_an_unknown_lesson_is_refused_naming_the_known_ones(client):
    r = client.get("/api/lessons/nonsense/params")
    assert r.status_code == 422
    assert "simplest" in r.json()["error"] and "nonsense" in r.json()["error"]


# ----------------------------------------------------------- the home page
def answer(**body):
    return explore(SimplestRequest(**body))


@pytest.mark.parametrize("lr", [0.45, 1.0, 5.0, 10.0])
def test_the_parabola_follows_every_step_of_a_diverging_descent(lr):
    d = answer(learning_rate=lr, steps=50, tolerance=0)
    assert d["stopped"] == "diverged"
    low, high = d["plot_range"]
    assert all(low < s["parameters"]["w"] < high for s in d["steps"]), "every step is inside the drawn interval"
    assert low < d["current"]["weight"] < high and low < d["optimum_weight"] < high
    # the curve passes through each drawn point
    drawn = dict(zip(d["parabola"]["w"], d["parabola"]["cost"]))
    assert all(drawn[s["parameters"]["w"]] == s["cost"] for s in d["steps"])


def test_the_cost_axis_turns_logarithmic_only_once_the_point_flew_off():
    assert answer(learning_rate=0.1, steps=30, tolerance=0)["cost_axis"] == "linear"  # converging
    assert answer(input=2, target=-0.5, weight=1.25, learning_rate=0.3, steps=4, tolerance=0)["cost_axis"] == "linear"
    fast = answer(learning_rate=5, steps=10, tolerance=0)
    assert fast["cost_axis"] == "log"
    assert max(s["cost"] for s in fast["steps"]) > 1e3 * fast["steps"][0]["cost"]
    assert "logarithmic" in fast["plot_description"]


def test_the_ruler_names_its_marks_with_the_lessons_numbers():
    d = answer(learning_rate=0.2)
    r = simplest.train(learning_rate=0.2)
    assert d["ruler"]["fastest"] == r.fastest_learning_rate and d["ruler"]["stable"] == r.stable_learning_rates[1]
    assert d["ruler"]["fastest_text"].startswith("1/C″ = ") and d["ruler"]["stable_text"].startswith("2/C″ = ")


def test_the_chart_has_a_description_with_the_current_point():
    d = answer(weight=0.3, steps=2, tolerance=0)
    assert f"step {d['current']['step']}" in d["plot_description"]
    assert d["current"]["text"]["weight"] in d["plot_description"]


# ------------------------------------------------------ the step-through graph
LESSONS = stepper.available_lessons()


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


# A 1280 px page shows a drawing this wide at 60% of its size, its 11 px text at 6.6 px: the least that still reads.
READABLE_WIDTH = 1280 / 0.6


def test_the_step_through_offers_every_rung_whose_graph_can_be_followed_by_hand():
    assert "why-backprop" not in LESSONS  # its 256 weights are for counting passes
    assert set(LESSONS) == set(lessons.LESSONS) - {"why-backprop"}
    assert list(LESSONS) == [n for n in lessons.LESSONS if n in LESSONS], "in the order of the ladder"
    with pytest.raises(InvalidValueError, match="no step-through; lessons with one: simplest"):
        lessons.step_through_params("why-backprop")


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_step_through_drawing_fits_a_page_at_a_readable_size(lesson):
    t = stepper.trace_lesson(lesson)
    assert t["width"] <= READABLE_WIDTH, f"{lesson}: {t['width']} px wide; shrink its Lesson.step_through parameters"


def test_recurrent_is_stepped_through_over_fewer_time_steps_and_says_so(client):
    t = stepper.trace_lesson("recurrent")
    assert t["params"] == {"time_steps": 4}
    assert "Stepped through with T = 4 (the lesson's default: 20)" in t["summary"]
    expected = lessons.graph("recurrent", time_steps=4)
    assert [n["value"] for n in t["nodes"]] == [node.data for node in expected.nodes()]
    answer = client.post("/api/backprop", json={"lesson": "recurrent"})
    assert answer.status_code == 200 and answer.json()["params"] == {"time_steps": 4}


@pytest.mark.parametrize("lesson", LESSONS)
def test_boxes_never_overlap_and_stay_inside_the_drawing(lesson):
    t = stepper.trace_lesson(lesson)
    boxes = [n["box"] for n in t["nodes"]]
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(a, b)
    for b in boxes:
        assert 0 <= b["x"] and b["x"] + b["w"] <= t["width"] and 0 <= b["y"] and b["y"] + b["h"] <= t["height"]


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_edge_enters_its_own_port_on_the_left_of_its_node(lesson):
    t = stepper.trace_lesson(lesson)
    for n in t["nodes"]:
        into = [e for e in t["edges"] if e["target"] == n["id"]]
        assert len(n["box"]["ports"]) == len(into)
        assert sorted(e["slot"] for e in into) == list(range(len(into)))
    for e in t["edges"]:
        port = t["nodes"][e["target"]]["box"]["ports"][e["slot"]]
        x, y = e["end"]
        assert x == pytest.approx(port["x"], abs=1.5), "the edge ends on the node's left side"
        assert port["y"] - 0.5 <= y <= port["y"] + port["h"] + 0.5, "the edge ends at its own port"
        source = t["nodes"][e["source"]]["box"]
        assert e["start"][0] == pytest.approx(source["x"] + source["w"], abs=1.5), "and leaves from the right side"
    # no two edges end at the same point, so their labels (in the ports) cannot stack
    ends = [tuple(e["end"]) for e in t["edges"]]
    assert len(set(ends)) == len(ends)


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_box_is_wide_enough_for_every_text_it_will_show(lesson):
    t = stepper.trace_lesson(lesson)
    for n in t["nodes"]:
        texts = [n["name"], n["value_text"], n["grad_text"], t["so_far"]]
        texts += [e["text"]["after"] for e in t["events"] if e["source"] == n["id"]]
        body = n["box"]["body"]
        for text in texts:
            assert graph_layout.text_width(text) <= body["w"] - 2 * graph_layout.PAD_X + 1e-9, (n["name"], text)
        assert len(n["box"]["lines"]) * graph_layout.LINE <= body["h"]
    for e in t["edges"]:
        port = t["nodes"][e["target"]]["box"]["ports"][e["slot"]]
        assert graph_layout.text_width(e["local_text"]) <= port["w"], e["local_text"]
        assert port["h"] >= graph_layout.PORT - 1e-9


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_graph_reads_left_to_right_in_layer_columns(lesson):
    t = stepper.trace_lesson(lesson)
    boxes = {n["id"]: n["box"] for n in t["nodes"]}
    for e in t["edges"]:
        assert boxes[e["source"]]["x"] + boxes[e["source"]]["w"] < boxes[e["target"]]["x"], "inputs left of their users"
    parameters = [n for n in t["nodes"] if n["kind"] == "parameter"]
    others = [n for n in t["nodes"] if n["kind"] == "intermediate"]
    for p, o in itertools.product(parameters, others):
        a, b = boxes[p["id"]], boxes[o["id"]]
        assert a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"], \
            f"the parameter {p['name']} shares a column with {o['name']}"


def test_the_wide_networks_layers_stand_in_order():
    t = stepper.trace_lesson("wide")
    left = {n["name"]: n["box"]["x"] for n in t["nodes"]}
    centre = {n["name"]: n["box"]["x"] + n["box"]["w"] / 2 for n in t["nodes"]}
    order = [["x₁", "x₂"], ["w¹₁₁", "w¹₂₂", "b¹₁"], ["z¹₁", "z¹₂"], ["a¹₁", "a¹₂"], ["w²₁₁", "b²₂"], ["z²₁", "z²₂"],
             ["a²₁", "a²₂"], ["w³₁₁", "b³₁"], ["a"], ["a − y"], ["C"]]
    for before, after in zip(order, order[1:]):
        assert max(left[n] for n in before) < min(left[n] for n in after), (before, after)
    for column in order:
        assert len({centre[n] for n in column}) == 1, f"{column} stand in one column"


def test_a_port_for_each_operand_even_when_one_input_is_read_twice():
    a = Value(1.5, label="a")
    out = (a * a).named("s")
    out.backward()
    t = trace_graph(out)
    (square,) = [n for n in t["nodes"] if n["name"] == "s"]
    assert len(square["box"]["ports"]) == 2
    assert len({tuple(e["end"]) for e in t["edges"]}) == 2

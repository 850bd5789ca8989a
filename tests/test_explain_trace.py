"""`chainrule.explainer.trace`: the backward pass, one JSON-ready event per edge, as the engine runs it."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from chainrule import Value
from chainrule.explainer.trace import backward_trace, trace, trace_nodes
from chainrule.lessons import simplest

from expression_programs import programs, run


def video_graph():
    return simplest.train(steps=0).graph()


def test_trace_of_the_video_names_each_edge_and_its_local_derivative():
    events = backward_trace(video_graph())
    got = [(e["derivative"], e["local_formula"], e["local"]) for e in events]
    assert got[0] == ("∂C/∂(a − y)", "2(a − y)", 2 * (1.5 * 0.8 - 0.8))
    assert ("∂a/∂w", "i", 1.5) in got
    assert ("∂a/∂i", "w", 0.8) in got
    last_w = [e for e in events if e["input_name"] == "w"][-1]
    assert abs(last_w["input_grad_after"] - 1.2) < 1e-12  # 2(a − y)·i


def test_each_event_adds_local_times_user_grad_to_the_input():
    for e in backward_trace(video_graph()):
        assert e["contribution"] == e["local"] * e["user_grad"]
        assert e["input_grad_after"] == e["input_grad_before"] + e["contribution"]


def test_events_follow_the_order_of_backward_every_user_before_its_inputs():
    cost = video_graph()
    events = backward_trace(cost)
    finished = set()
    for e in events:
        assert e["input"] not in finished  # nothing flows into a node after it has passed its gradient on
        finished.add(e["user"])
    assert len(events) == sum(len(node.inputs) for node in cost.nodes())  # one event per edge


def test_where_paths_meet_the_second_contribution_adds_to_the_first():
    x = Value(2.0, label="x")
    y = (x * x + x).named("y")
    into_x = [e for e in backward_trace(y) if e["input_name"] == "x"]
    assert len(into_x) == 3
    assert [e["paths_meet"] for e in into_x] == [False, True, True]
    assert into_x[-1]["input_complete"] and into_x[-1]["input_grad_after"] == 5.0  # 2x + 1
    assert into_x[1]["input_grad_before"] == into_x[0]["input_grad_after"]


def test_node_ids_are_positions_in_nodes_and_the_trace_is_one_json_object():
    cost = video_graph()
    data = json.loads(json.dumps(trace(cost)))
    order = cost.nodes()
    assert [n["id"] for n in data["nodes"]] == list(range(len(order)))
    assert [n["label"] for n in data["nodes"]] == [v.label for v in order]
    assert data["cost"] == len(order) - 1
    assert {n["name"] for n in data["nodes"]} >= {"i", "w", "a", "y", "C", "a − y"}


def test_repeated_labels_are_numbered():
    ws = [Value(0.5, label="w"), Value(-0.3, label="w")]
    cost = Value.dot(ws, [1.0, 2.0]).named("C")
    names = [n["name"] for n in trace_nodes(cost)]
    assert names == ["w₁", "w₂", "C"]


def test_tracing_does_not_touch_the_graph():
    cost = video_graph()
    before = [(v.data, v.grad) for v in cost.nodes()]
    trace(cost)
    assert [(v.data, v.grad) for v in cost.nodes()] == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_traced_gradients_equal_backward_exactly_on_random_graphs(program):
    leaf_values, steps = program
    leaves = [Value(x, label=f"x{k}") for k, x in enumerate(leaf_values)]
    out = run(steps, leaves)
    data = trace(out, formulas=False)
    out.backward()
    for node, entry in zip(out.nodes(), data["nodes"]):
        assert entry["grad"] == node.grad
    assert len(data["events"]) == sum(len(node.inputs) for node in out.nodes())


def test_the_trace_ends_on_the_engines_gradients_bit_for_bit_chain_on_top_of_shared_nodes():
    a = Value(0.7, label="a")
    b = (a * a + a.tanh() * a).named("b")  # a reaches b along four paths
    cost = (((b * 3.1) - 1.3) ** 2).named("C")  # a chain on top: backward follows it without counting
    events = backward_trace(cost)
    cost.backward()
    last = {}
    for e in events:
        last[e["input"]] = e["input_grad_after"]
    order = cost.nodes()
    for node_id, grad in last.items():
        assert grad == order[node_id].grad

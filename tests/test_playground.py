"""The playground and the step-through as library code (issue 22 §4): no request, no server, the same numbers.

``chainrule.playground`` trains a small network on 2-D points from a ``Setup``;
``chainrule.stepthrough`` plays a graph's backward pass edge by edge, for a
lesson (read through its ``Lesson``) or for one weight of the playground's
network. The explorer only turns requests into these calls.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import lesson, lessons, parameter
from chainrule.errors import InvalidValueError
from chainrule.playground.features import features
from chainrule.playground.network import network
from chainrule.playground.points import batch_indices, points, split
from chainrule.playground.rebuild import Focus, rebuild
from chainrule.playground.setup import Setup
from chainrule.playground.training import train
from chainrule.stepthrough.lesson import trace_lesson
from chainrule.stepthrough.playground import MAX_TRACE_EDGES, trace


@pytest.mark.parametrize("bad,named", [
    (dict(dataset="rings"), "dataset = 'rings'"),
    (dict(features=("x1", "x1")), "features"),
    (dict(features=("x3",)), "features"),
    (dict(layers=(4, 0)), "layers[1] = 0"),
    (dict(learning_rate=0.0), "learning_rate = 0"),
    (dict(test_fraction=1.0), "test_fraction = 1"),
    (dict(batch_size=0), "batch_size = 0"),
    (dict(noise=float("nan")), "noise = nan"),
    (dict(points=((0.0, 0.0, 2),)), "points[0]"),
    (dict(weight_limit=-1.0), "weight_limit = -1"),
])
def test_a_setup_refuses_what_the_playground_cannot_train_naming_the_value(bad, named):
    with pytest.raises(InvalidValueError) as info:
        Setup(**bad)
    assert str(info.value).startswith(named) and "allowed" in str(info.value), str(info.value)


def test_training_in_calls_gives_the_network_of_training_at_once():
    setup = Setup(layers=(4,), learning_rate=0.3, batch_size=16)
    once = train(setup, 40, resolution=8)
    first = train(setup, 25, resolution=8)
    params = tuple((W.copy(), b.copy()) for W, b in first.network.params())
    rest = train(Setup(layers=(4,), learning_rate=0.3, batch_size=16, params=params, step=first.step), 15, resolution=8)
    assert rest.step == once.step == 40
    for (W, b), (V, c) in zip(once.network.params(), rest.network.params()):
        assert np.array_equal(W, V) and np.array_equal(b, c)
    assert once.history[-1] == rest.history[-1]
    assert once.boundary.shape == (8, 8) and not once.diverged


def test_a_step_past_the_weight_limit_is_not_taken():
    setup = Setup(dataset="plane", layers=(8,), activation="relu", learning_rate=10.0, weight_limit=1e6)
    t = train(setup, 50, resolution=8)
    assert t.diverged and t.step < 50
    assert all(np.all(np.abs(W) <= 1e6) and np.all(np.abs(b) <= 1e6) for W, b in t.network.params())
    assert t.history[-1].step == t.step  # the curves end where the network stayed


@pytest.mark.parametrize("focus", [Focus("weight", 1, 2, 1), Focus("bias", 2, 1), Focus("weight", 3, 2, 3)])
def test_the_rebuilt_scalar_graph_gives_the_tensor_engine_s_gradient(focus):
    setup = Setup(layers=(4, 3), regularization="l2", regularization_rate=0.1, step=0)
    rebuilt = rebuild(setup, focus, examples=3)
    rebuilt.cost.backward()
    leaf = next(node for node in rebuilt.cost.nodes() if node.label == rebuilt.name)
    assert leaf.grad == pytest.approx(rebuilt.engine_gradient, rel=1e-9, abs=1e-15)
    assert rebuilt.summarised() is None and len(rebuilt.examples) == 3


def test_a_neuron_s_rebuild_holds_its_incoming_weights_and_bias():
    setup = Setup(layers=(4, 3))
    rebuilt = rebuild(setup, Focus("neuron", 2, 2))
    rebuilt.cost.backward()
    grads = {node.label: node.grad for node in rebuilt.cost.nodes()}
    net, _ = network(setup)
    X, y = points(setup)
    kept, _ = split(len(y), setup.test_fraction, setup.seed)
    i = batch_indices(setup, len(kept), 0)[:1]
    gW, gb = net.gradients(features(X[kept][i], setup.features), y[kept][i])[1]
    for k in range(4):
        assert grads[f"w2[{k + 1},2]"] == pytest.approx(gW[k, 1], rel=1e-9, abs=1e-15)
    assert grads["b2[2]"] == pytest.approx(gb[1], rel=1e-9, abs=1e-15)
    assert rebuilt.engine_gradient is None and rebuilt.name == "a2[2]"


def test_many_paths_are_summarised_in_the_library_too():
    t = trace(Setup(layers=(32,) * 6), Focus("weight", 1, 5, 2), examples=2)
    assert len(t["edges"]) <= MAX_TRACE_EDGES and t["summarised"]["layers"][-1] == 7
    assert t["nodes"][t["focus"]["node"]]["grad"] == pytest.approx(t["engine_gradient"], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("focus,named", [
    (Focus("weight", 4), "focus.layer"), (Focus("bias", 2, 9), "focus.neuron"), (Focus("weight", 1, 1, 3), "focus.source"),
])
def test_a_focus_outside_the_network_is_refused_naming_it(focus, named):
    with pytest.raises(InvalidValueError, match=named.replace(".", r"\.")):
        rebuild(Setup(), focus)


def test_a_focus_is_checked_when_it_is_made():
    with pytest.raises(InvalidValueError, match="focus.kind = 'edge'"):
        Focus("edge")
    with pytest.raises(InvalidValueError, match="focus.layer = 0"):
        Focus("weight", 0)


def test_the_step_through_reads_a_lesson_only_through_its_contract(monkeypatch):
    # a teacher's lesson (a parameter named beta, a given named w_fixed) is stepped through like a built-in one
    @lesson("A neuron with a fixed weight", name="fixed-weight")
    def fixed(x=0.5, beta=-1.2, w_fixed=0.7, y=1.0, learning_rate=0.1):
        beta = parameter(beta, "beta")
        return ((beta * x + w_fixed).tanh() - y) ** 2

    monkeypatch.setitem(lessons.LESSONS, fixed.name, fixed)
    t = trace_lesson("fixed-weight")
    kinds = {n["label"]: n["kind"] for n in t["nodes"] if not n["op"]}
    assert kinds["beta"] == "parameter" and kinds["w_fixed"] == "input"
    assert t["summary"] == "A neuron with a fixed weight" and t["params"] == {} and t["lesson"] == "fixed-weight"
    cost = fixed.graph()
    assert t["cost"] == len(t["nodes"]) - 1 and t["nodes"][-1]["value"] == cost.data
    beta = next(n for n in t["nodes"] if n["label"] == "beta")
    assert beta["grad"] == next(node.grad for node in cost.nodes() if node.label == "beta")

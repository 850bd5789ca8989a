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
from chainrule.tensor import Tensor


@pytest.mark.parametrize("bad,named", [
    (dict(dataset="rings"), "dataset = 'rings'"),
    (dict(features=("x1", "x1")), "features"),
    (dict(features=("x3",)), "features"),
    (dict(layers=(4, 0)), "layers[1] = 0"),
    (dict(learning_rate=0.0), "learning_rate = 0"),
    (dict(test_fraction=1.0), "test_fraction = 1"),
    (dict(batch_size=0), "batch_size = 0"),
    (dict(noise=float("nan")), "noise = nan"),
    (dict(points=((0.0, 0.0, 4),)), "points[0]"),  # classes 0 to MAX_CLASSES − 1 = 3
    (dict(activations=("tanh",)), "activations"),
    (dict(layers=(4,), activations=("softplus",)), "activations[0]"),
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


# ------------------------------------------------- several classes, each layer its own activation (issue 24 §4)
def test_several_classes_are_learnt_with_softmax_and_cross_entropy():
    setup = Setup(dataset="blobs", layers=(8,), learning_rate=0.3, noise=0.05)
    assert setup.classes == 4 and setup.sizes() == [2, 8, 4]
    t = train(setup, 300, resolution=10)
    # 60 test points in four well-apart clouds: the seeds 0-4 reach 95-100%; 85% allows 9 wrong
    assert t.history[-1].test_accuracy >= 0.85
    assert t.probabilities.shape == (10, 10, 4)
    assert np.allclose(t.probabilities.sum(axis=2), 1.0, atol=1e-12)
    # the loss is the mean of −log softmax(z)_y over the training points, as numpy computes it
    (X, y), net = t.train_points, t.network
    z = net._outputs(features(X, setup.features)).data
    log_p = z - z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    assert t.history[-1].train_loss == pytest.approx(-np.mean(log_p[np.arange(len(y)), y]), rel=1e-12)


def test_the_three_spirals_and_the_four_blobs_have_their_classes_in_equal_shares():
    for name, classes in (("spiral3", 3), ("blobs", 4)):
        X, y = points(Setup(dataset=name, n_points=120))
        assert X.shape == (120, 2) and sorted(set(y.tolist())) == list(range(classes))
        assert np.bincount(y).tolist() == [120 // classes] * classes


def test_your_own_points_have_as_many_classes_as_their_largest_label():
    s = Setup(dataset="custom", points=((0.0, 0.0, 0), (1.0, 1.0, 2), (1.0, 0.0, 1), (0.0, 1.0, 2)), layers=(3,))
    assert s.classes == 3 and s.sizes() == [2, 3, 3]
    assert Setup(dataset="custom", points=((0.0, 0.0, 0), (1.0, 1.0, 1))).classes == 2


@pytest.mark.parametrize("setup,focus", [
    (Setup(dataset="blobs", layers=(4, 3), activations=("relu", "sigmoid"), regularization="l2", regularization_rate=0.1),
     Focus("weight", 1, 2, 1)),
    (Setup(dataset="blobs", layers=(4, 3), activations=("relu", "sigmoid")), Focus("bias", 3, 4)),
    (Setup(dataset="spiral3", layers=(5,), activations=("sigmoid",)), Focus("weight", 2, 3, 5)),
    (Setup(dataset="custom", points=((0.0, 0.0, 0), (1.0, 1.0, 2), (1.0, 0.0, 1), (0.5, 1.0, 2)), layers=(3,),
           test_fraction=0.25), Focus("weight", 2, 1, 2)),
])
def test_the_rebuilt_scalar_graph_of_several_classes_and_activations_gives_the_engine_s_gradient(setup, focus):
    trained = train(setup, 20, resolution=4)
    at = Setup(**{**vars(setup), "params": tuple((W.copy(), b.copy()) for W, b in trained.network.params()),
                  "step": trained.step})
    rebuilt = rebuild(at, focus, examples=3 if setup.dataset != "custom" else 2)
    rebuilt.cost.backward()
    leaf = next(node for node in rebuilt.cost.nodes() if node.label == rebuilt.name)
    assert leaf.grad == pytest.approx(rebuilt.engine_gradient, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("layers", [(8, 8), (3,), ()])
def test_one_activation_for_every_layer_is_mlp_s_own_network(activation, layers):
    from chainrule.nn import MLP

    setup = Setup(layers=layers, activation=activation, seed=3)
    mlp = MLP(setup.sizes(), activation, seed=3, dtype=np.float64)
    mine, _ = network(setup)
    assert len(mlp.parameters()) == len(mine.model.parameters())
    for a, b in zip(mlp.parameters(), mine.model.parameters()):
        assert np.array_equal(a.data, b.data)
    X = np.random.default_rng(0).normal(size=(5, 2))
    assert np.array_equal(mlp(Tensor(X)).data, mine._outputs(X).data)


def test_each_hidden_layer_runs_its_own_activation():
    setup = Setup(layers=(6, 5), activations=("relu", "sigmoid"))
    net, _ = network(setup)
    X = np.random.default_rng(1).normal(size=(40, 2))
    first, second, out = net.neuron_outputs(X)
    W1, b1 = net.params()[0]
    assert np.array_equal(first, np.maximum(X @ W1 + b1, 0))
    W2, b2 = net.params()[1]
    assert np.allclose(second, 1 / (1 + np.exp(-(first @ W2 + b2))), rtol=0, atol=1e-15)
    assert np.allclose(out.sum(axis=1), 1.0)


def test_a_frame_records_its_last_step_alone():
    t = train(Setup(layers=(4,)), 7, resolution=4, history_points=1)
    assert [r.step for r in t.history] == [0, 7]  # from the seeded start, the start too: the curve begins there
    params = tuple((W.copy(), b.copy()) for W, b in t.network.params())
    later = train(Setup(layers=(4,), params=params, step=7), 9, resolution=4, history_points=1)
    assert [r.step for r in later.history] == [16]
    assert [r.step for r in train(Setup(layers=(4,)), 30, resolution=4).history][:3] == [0, 1, 2]  # 25 points a call

"""Neurons, layers and MLPs of Values: micrograd's interface, chainrule's engine."""

from __future__ import annotations

import random

import pytest

from chainrule import MLP, Layer, Neuron, Value
from chainrule.errors import InvalidValueError


def test_mlp_has_micrograds_shape_and_parameter_count():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    assert [n.activation for n in model.layers[-1].neurons] == ["linear"]
    assert isinstance(model([1.0, -1.0]), Value)


def test_neuron_computes_activation_of_weighted_input():
    n = Neuron(2, activation="tanh", rng=random.Random(1))
    n.b.data = 0.1
    x = [0.5, -2.0]
    z = n.w[0].data * 0.5 + n.w[1].data * -2.0 + 0.1
    out = n(x)
    out.backward()
    assert out.data == pytest.approx(__import__("math").tanh(z))
    assert n.w[0].grad == pytest.approx((1 - out.data**2) * 0.5)  # dC/dw = f′(z)·x


def test_micrograd_spelling_nonlin_false_is_a_linear_neuron():
    assert Neuron(3, nonlin=False).activation == "linear"
    assert Layer(3, 2, nonlin=False).neurons[1].activation == "linear"


def test_seed_makes_initial_weights_reproducible():
    a = [p.data for p in MLP(3, [4, 1], seed=7).parameters()]
    b = [p.data for p in MLP(3, [4, 1], seed=7).parameters()]
    assert a == b


def test_training_a_tiny_mlp_reduces_the_svm_loss():
    rng = random.Random(0)
    points = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(20)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]  # xor-like quadrants
    model = MLP(2, [8, 8, 1], activation="tanh", seed=3)

    def loss():
        scores = [model(list(p)) for p in points]
        return Value.sum((1 + -y * s).relu() for y, s in zip(labels, scores)) * (1.0 / len(points))

    first = loss().data
    for _ in range(30):
        model.zero_grad()
        current = loss()
        current.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
    # pure-Python floats on fixed points: the ratio is 0.29 with seed 3 (0.19-0.56 over seeds 0-5, so the bound
    # is not one lucky seed's); 0.7 only says that 30 steps descended, far from any rounding difference
    assert loss().data < 0.7 * first


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_unknown_activation_is_refused_by_name():
    with pytest.raises(InvalidValueError, match="'softplus' is not one of"):
        MLP(2, [3, 1], activation="softplus")

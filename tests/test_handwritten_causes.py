"""`check --fn` names causes, not symptoms (issue 23 §6): the first wrong edge, the factor with its value, once.

Each learner file below makes one mistake a learner makes, in a network of the video's kind: a sigmoid neuron
(z = w·i + b, a = σ(z), C = (a − y)²) and a 2-2-1 network (tanh hidden layer, sigmoid output, 9 parameters).
"""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.explainer.causes import MATCH, number_factors, ratio_causes
from chainrule.handwritten import check_file, check_function


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


I, Y, W, B = 1.5, 0.8, 0.8, 0.1
Z = W * I + B
SLOPE = sigmoid(Z) * (1 - sigmoid(Z))  # σ′(z) = 0.168


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# The neuron. MATH: math.exp on floats, so Values cannot flow through it; ENGINE: numpy's exp, which on a Value
# calls Value.exp, so chainrule traces it (four nodes: −z, exp, 1 + ·, 1/·, whose product is σ′(z)).
NEURON = """
    import math
    import numpy as np

    I, Y = 1.5, 0.8
    params = {"w": 0.8, "b": 0.1}

    def forward(p):
        z = p["w"] * I + p["b"]
        a = 1 / (1 + EXP(-z))
        return (a - Y) ** 2

    def grad(p):
        z = p["w"] * I + p["b"]
        a = 1 / (1 + math.exp(-z))
        dz = 2 * (a - Y) * SLOPE
        return {"w": dz * I, "b": dz}
"""


def neuron(tmp_path, exp: str, slope: str):
    return write(tmp_path, "mine.py", NEURON.replace("EXP", exp).replace("SLOPE", slope))


def test_a_right_file_has_no_cause(tmp_path, capsys):
    path = neuron(tmp_path, "math.exp", "a * (1 - a)")
    assert main(["check", "--fn", f"{path}:grad", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["causes"] == [] and all(e["cause"] is None for e in report["entries"])
    assert main(["check", "--fn", f"{path}:grad"]) == 0
    out = capsys.readouterr().out
    assert "all 2 entries agree" in out and "the cause" not in out


def test_sigma_prime_left_out_is_named_with_an_engine_forward(tmp_path, capsys):
    path = neuron(tmp_path, "np.exp", "1")
    assert main(["check", "--fn", f"{path}:grad", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (cause,) = report["causes"]
    assert cause["kind"] == "missing" and cause["factor"] == "σ′(z)"
    assert cause["value"] == pytest.approx(SLOPE, rel=1e-9) and cause["ratio"] == pytest.approx(1 / SLOPE, rel=1e-6)
    assert cause["entries"] == ["w", "b"] and [e["cause"] for e in report["entries"]] == [0, 0]
    assert cause["text"].startswith("your ∂C/∂z lacks σ′(z) = 0.168 (∂a/∂z)")  # z, a: the file's own names
    assert "1/σ′(z) = 5.94× backprop's" in cause["text"]
    assert main(["check", "--fn", f"{path}:grad"]) == 1
    out = capsys.readouterr().out
    assert out.count("σ′(z) = 0.168") == 1 and "the cause above explains all of them" in out
    assert "∂C/∂w: you gave" not in out  # the symptoms are in the table; the sentence is the cause's, once


def test_sigma_prime_left_out_is_named_with_a_math_forward(tmp_path, capsys):
    path = neuron(tmp_path, "math.exp", "1")
    assert main(["check", "--fn", f"{path}:grad", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert all(e["backprop"] is None for e in report["entries"])  # no graph: the ratios speak
    (cause,) = report["causes"]
    assert cause["kind"] == "ratio" and cause["factor"] == "σ′(z)" and cause["value"] == pytest.approx(SLOPE)
    assert cause["text"] == ("every entry is 5.94× too large: one factor shared by all paths; "
                             "1/σ′(z) = 5.94: σ′(z) is missing")


def test_a_factor_the_numbers_do_not_match_is_not_named(tmp_path):
    """σ′(z) rounded to 0.17 by hand: one shared factor, but no local derivative equals it to 1e-6."""
    report = check_file(str(neuron(tmp_path, "math.exp", "0.17")), "grad")
    (cause,) = report.causes
    assert cause.factor == "" and cause.value is None
    assert cause.text == f"every entry is {0.17 / SLOPE:.3g}× too large: one factor shared by all paths"


HELPER = """
    from math import exp

    X, Y = 1.5, 0.8
    params = {"w": 0.8, "b": 0.1}

    def sigmoid(x):
        return 1 / (1 + exp(-x))

    def forward(p):
        z = p["w"] * X + p["b"]
        return (sigmoid(z) - Y) ** 2

    def grad(p):
        z = p["w"] * X + p["b"]
        return {"w": 2 * (sigmoid(z) - Y) * X, "b": 2 * (sigmoid(z) - Y)}
"""


def test_a_sigmoid_of_the_learner_s_own_is_recognised_by_its_numbers(tmp_path):
    """Its argument is the forward's z, its result is σ(z): so the factor shared by both gradients is σ′(z)."""
    report = check_file(str(write(tmp_path, "helper.py", HELPER)), "grad")
    (cause,) = report.causes
    assert cause.factor == "σ′(z)" and "σ′(z) is missing" in cause.text


# The 2-2-1 network: h = tanh(W1 x + b1), z = W2·h + b2, a = σ(z), C = (a − y)². Its forward runs on Values
# (lists and numpy's functions); the backward pass is numpy on floats.
NETWORK = """
    import numpy as np

    X, Y = [1.5, -2.0], 0.8
    params = {"W1": [[0.1, -0.4], [0.2, 0.5]], "b1": [0.1, -0.2], "W2": [0.7, -0.3], "b2": 0.05}

    def forward(p):
        h = [np.tanh(p["W1"][j][0] * X[0] + p["W1"][j][1] * X[1] + p["b1"][j]) for j in range(2)]
        z = p["W2"][0] * h[0] + p["W2"][1] * h[1] + p["b2"]
        a = 1 / (1 + np.exp(-z))
        return (a - Y) ** 2

    def grad(p):
        W1, b1, W2 = (np.asarray(p[k], dtype=float) for k in ("W1", "b1", "W2"))
        x = np.array(X)
        h = np.tanh(W1 @ x + b1)
        a = 1 / (1 + np.exp(-(W2 @ h + p["b2"])))
        dz = DC_DA * a * (1 - a)
        dh = dz * W2 * (1 - h ** 2)
        return {"W1": np.outer(dh, x), "b1": dh, "W2": dz * h, "b2": dz}
"""


def network(tmp_path, dc_da: str):
    return write(tmp_path, "net.py", NETWORK.replace("DC_DA", dc_da))


def test_a_sign_flipped_high_in_the_graph_is_reported_once(tmp_path, capsys):
    assert check_file(str(network(tmp_path, "2 * (a - Y)")), "grad").ok
    path = network(tmp_path, "2 * (Y - a)")
    assert main(["check", "--fn", f"{path}:grad", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (cause,) = report["causes"]
    assert cause["kind"] == "flipped" and len(cause["entries"]) == 9
    assert cause["text"].startswith("the sign is flipped at ∂C/∂(a − 0.8)")  # the top edge, C = (a − y)²
    assert "(a − y) written (y − a)?" in cause["text"]
    assert all(e["cause"] == 0 and e["diagnosis"] == "" for e in report["entries"])
    assert main(["check", "--fn", f"{path}:grad"]) == 1
    out = capsys.readouterr().out
    assert out.count("the sign is flipped") == 1 and out.count("WRONG") == 9
    assert "9 of 9 entries are wrong (tolerance 1e-06); the cause above explains all of them" in out


def test_a_factor_two_missing_is_named_once_at_the_square(tmp_path, capsys):
    path = network(tmp_path, "(a - Y)")
    assert main(["check", "--fn", f"{path}:grad", "--format", "json"]) == 1
    (cause,) = json.loads(capsys.readouterr().out)["causes"]
    assert cause["kind"] == "halved" and cause["ratio"] == pytest.approx(0.5) and len(cause["entries"]) == 9
    assert "the 2 of 2(a − 0.8) is missing; did you drop the 2 of a square" in cause["text"]


# The same network in this process, its backward pass written with one or two mistakes.
NET_X, NET_Y = np.array([1.5, -2.0]), 0.8
NET_AT = {"W1": np.array([[0.1, -0.4], [0.2, 0.5]]), "b1": np.array([0.1, -0.2]), "W2": np.array([0.7, -0.3]),
          "b2": 0.05}


def net_forward(p):
    """On Values: the parameters come as arrays of Values, numpy's tanh and exp call theirs."""
    h = [np.tanh(p["W1"][j][0] * NET_X[0] + p["W1"][j][1] * NET_X[1] + p["b1"][j]) for j in range(2)]
    a = 1 / (1 + np.exp(-(p["W2"][0] * h[0] + p["W2"][1] * h[1] + p["b2"])))
    return (a - NET_Y) ** 2


def net_forward_floats(p):
    """The same on floats only: np.asarray(…, dtype=float) turns Values into numbers, math.exp takes a float."""
    h = np.tanh(np.asarray(p["W1"], dtype=float) @ NET_X + np.asarray(p["b1"], dtype=float))
    z = np.asarray(p["W2"], dtype=float) @ h + float(p["b2"])
    return (1 / (1 + math.exp(-z)) - NET_Y) ** 2


def net_grad(sign=1.0, tanh_slope=lambda h: 1 - h ** 2):
    def grad(p):
        h = np.tanh(p["W1"] @ NET_X + p["b1"])
        a = 1 / (1 + math.exp(-(p["W2"] @ h + p["b2"])))
        dz = sign * 2 * (a - NET_Y) * a * (1 - a)
        dh = dz * p["W2"] * tanh_slope(h)
        return {"W1": np.outer(dh, NET_X), "b1": dh, "W2": dz * h, "b2": dz}
    return grad


def first_unit_flipped(h):
    slope = 1 - h ** 2
    slope[0] = h[0] ** 2 - 1  # tanh′ written h² − 1 for the first hidden unit
    return slope


def test_the_network_s_right_backward_pass_agrees_both_ways():
    assert check_function(net_forward, net_grad(), at=NET_AT).ok
    assert check_function(net_forward_floats, net_grad(), at=NET_AT).ok


def test_a_sign_flipped_low_in_the_graph_names_its_node_and_leaves_the_rest_alone():
    report = check_function(net_forward, net_grad(tanh_slope=first_unit_flipped), at=NET_AT)
    (cause,) = report.causes
    assert cause.kind == "flipped" and cause.entries == ["W1[0][0]", "W1[0][1]", "b1[0]"]
    assert cause.text.startswith("the sign is flipped at ∂C/∂h[0]")
    assert "tanh′ = 1 − tanh², not tanh² − 1?" in cause.text
    assert sum(not e.ok for e in report.entries) == 3


def test_the_same_flip_with_a_forward_on_floats_is_one_cause_by_the_ratios():
    report = check_function(net_forward_floats, net_grad(sign=-1.0), at=NET_AT)
    (cause,) = report.causes
    assert cause.kind == "flipped" and len(cause.entries) == 9 and cause.ratio == pytest.approx(-1.0)
    assert cause.text.startswith("every entry has the wrong sign") and str(report).count("wrong sign") == 1


def test_a_slope_left_out_of_a_whole_layer_is_one_mistake_at_each_unit():
    report = check_function(net_forward, net_grad(tanh_slope=lambda h: 1.0), at=NET_AT)
    (cause,) = report.causes
    assert cause.kind == "missing" and cause.factor.startswith("tanh′(") and len(cause.entries) == 6
    assert cause.text.startswith("the same mistake at 2 places") and cause.text.count("lacks tanh′") == 2
    floats = check_function(net_forward_floats, net_grad(tanh_slope=lambda h: 1.0), at=NET_AT)
    (cause,) = floats.causes  # no graph: tanh′ written with the layer's output, 1 − h², at each unit
    assert "1 − h[0]² is missing" in cause.text and "1 − h[1]² is missing" in cause.text


def test_two_mistakes_on_one_path_are_found_together():
    """The sign flipped at the top and tanh′ left out below: neither alone gives the learner's numbers."""
    report = check_function(net_forward, net_grad(sign=-1.0, tanh_slope=lambda h: 1.0), at=NET_AT)
    first, second = report.causes
    assert first.kind == "flipped" and first.text.startswith("the sign is flipped at ∂C/∂(a − 0.8)")
    assert second.after == 0 and second.kind == "missing" and "what the first mistake alone gives" in second.text
    assert "cause 2, on top of cause 1" in str(report) and "these two together do" in str(report)
    assert all(e.cause == 0 for e in report.entries)


def test_a_factor_with_a_sign_beside_it_is_named_from_the_ratios():
    def grad(p):  # σ′ left out and the sign flipped: one ratio, −1/σ′(z)
        full = net_grad(sign=-1.0)(p)
        h = np.tanh(p["W1"] @ NET_X + p["b1"])
        a = 1 / (1 + math.exp(-(p["W2"] @ h + p["b2"])))
        return {k: v / (a * (1 - a)) for k, v in full.items()}

    (cause,) = check_function(net_forward_floats, grad, at=NET_AT).causes
    assert cause.kind == "ratio" and cause.ratio < 0
    assert cause.text.endswith("σ′(z) is missing, and the sign is flipped")


def test_the_forward_s_local_derivatives_are_found_in_its_numbers():
    z = 0.7
    a, h = sigmoid(z), math.tanh(z)
    found = dict(number_factors([("C", (a - 0.8) ** 2), ("z", z), ("a", a), ("h", h), ("y", 0.8)]))
    assert found["σ′(z)"] == pytest.approx(a * (1 - a)) and found["tanh′(z)"] == pytest.approx(1 - h * h)
    assert found["2(a − y)"] == pytest.approx(2 * (a - 0.8))
    assert found["z"] == z  # the numbers themselves: the local derivative of a product is the other factor
    assert not any(name.startswith("σ′(h)") for name in found)


def test_a_ratio_is_named_only_when_a_factor_matches_it_to_1e_6():
    names, reference = ["w", "b"], [1.0, 2.0]
    factors = [("σ′(z)", 0.25)]
    (named,) = ratio_causes([4.0, 8.0], reference, names, [0, 1], factors, 1e-6, every=True)
    assert named.factor == "σ′(z)" and named.text.endswith("1/σ′(z) = 4: σ′(z) is missing")
    off = 4.0 * (1 + 10 * MATCH)
    (unnamed,) = ratio_causes([off, 2 * off], reference, names, [0, 1], factors, 1e-6, every=True)
    assert unnamed.factor == "" and unnamed.text.endswith("one factor shared by all paths")
    (alone,) = ratio_causes([4.0, 7.0], reference, names, [0, 1], factors, 1e-6, every=True)  # nothing shared:
    assert alone.entries == ["w"] and alone.text.startswith("∂C/∂w is 4× too large")  # w's own, named; b unnamed
    (extra,) = ratio_causes([0.25, 0.5], reference, names, [0, 1], factors, 1e-6, every=True)
    assert extra.text.endswith("σ′(z) = 0.25: your backward pass has an extra σ′(z)")


def test_a_slip_in_a_rule_used_for_every_example_of_a_batch_is_one_cause():
    """tanh′ left out of a backward pass written for a batch: 2 examples × 2 units, every gradient of W1 off."""
    batch = np.array([[1.5, -2.0], [0.5, 1.0]])
    targets = [0.8, 0.1]

    def forward(p):
        total = 0
        for x, y in zip(batch, targets):
            h = [np.tanh(p["W1"][j][0] * x[0] + p["W1"][j][1] * x[1] + p["b1"][j]) for j in range(2)]
            total = total + (p["W2"][0] * h[0] + p["W2"][1] * h[1] + p["b2"] - y) ** 2
        return total / 2

    def grad(p, slope=lambda h: 1.0):
        out = {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.zeros(2), "b2": 0.0}
        for x, y in zip(batch, targets):
            h = np.tanh(p["W1"] @ x + p["b1"])
            dz = 2 * (p["W2"] @ h + p["b2"] - y) / 2
            dh = dz * p["W2"] * slope(h)
            out["W1"] += np.outer(dh, x)
            out["b1"] += dh
            out["W2"] += dz * h
            out["b2"] += dz
        return out

    assert check_function(forward, lambda p: grad(p, lambda h: 1 - h ** 2), at=NET_AT).ok
    report = check_function(forward, grad, at=NET_AT)
    (cause,) = report.causes
    assert cause.kind == "missing" and cause.text.startswith("tanh′ is left out wherever tanh is used: 4 nodes")
    assert sorted(cause.entries) == ["W1[0][0]", "W1[0][1]", "W1[1][0]", "W1[1][1]", "b1[0]", "b1[1]"]


def test_a_transposed_matrix_and_a_doubled_entry_are_two_causes_each_said_once():
    """docs/backward-as-code.md's my_wide.py: W1's gradient transposed, and w2[1]'s doubled."""
    x, y = [1.5, 0.5], 0.8
    at = {"W1": [[-0.73, 0.69], [0.53, -0.49]], "w2": [-0.4, 0.3]}

    def forward(p):
        h = [1 / (1 + np.exp(-(p["W1"][j][0] * x[0] + p["W1"][j][1] * x[1]))) for j in range(2)]
        return (p["w2"][0] * h[0] + p["w2"][1] * h[1] - y) ** 2

    def grad(p):
        h = [sigmoid(p["W1"][j][0] * x[0] + p["W1"][j][1] * x[1]) for j in range(2)]
        d_a = 2 * (p["w2"][0] * h[0] + p["w2"][1] * h[1] - y)
        d_z = [d_a * p["w2"][j] * h[j] * (1 - h[j]) for j in range(2)]
        return {"W1": [[d_z[k] * x[j] for k in range(2)] for j in range(2)], "w2": [d_a * h[0], 2 * d_a * h[1]]}

    report = check_function(forward, grad, at=at)
    transposed, doubled = report.causes
    assert transposed.kind == "transposed" and transposed.entries == ["W1[0][1]", "W1[1][0]"]
    assert doubled.kind == "doubled" and doubled.entries == ["w2[1]"]  # not W1's: put back, they are right
    assert doubled.text.startswith("off by a factor 2 at ∂C/∂w2[1]")
    assert str(report).count("transpose of the right one") == 1

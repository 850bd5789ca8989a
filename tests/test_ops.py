"""The op table (`chainrule.ops`): every operation `Value` makes is in it, once, and every library computes it."""

from __future__ import annotations

import math
import random

import pytest

from chainrule import Value, ops
from chainrule.explainer.symbolic import DECIMAL, EXACT


def one_of_each():
    """One node of every kind `Value` can make, built through its public operators and methods."""
    a, b = Value(0.7, label="a"), Value(-1.3, label="b")
    return [
        a + b, a + 2.0, 2.0 + a, a - b, a - 2.0, 2.0 - a, -a, a * b, a * 2.0, 2.0 * a, a / b, a / 2.0, 2.0 / a,
        a**2, a**3.0, a**0, 2.0**a, a.exp(), Value(1.7).log(), a.tanh(), a.sigmoid(), a.relu(), b.relu(),
        Value.dot([a, 2.0], [b, a], 0.5), Value.dot([a], [b], b), Value.sum([a, b, 3.0]), Value.sum([a, b]),
    ]


def test_every_operation_value_makes_is_in_the_table_and_every_entry_is_made():
    made = {node.op for node in one_of_each()}
    assert made == set(ops.OPS)


def test_every_public_method_of_value_is_either_an_operation_of_the_table_or_known_not_to_make_nodes():
    # a new method on Value that makes nodes must join one_of_each above, and so the table
    functions = {"exp", "log", "tanh", "sigmoid", "relu", "dot", "sum"}
    others = {"named", "zero_grad", "backward", "nodes", "graph_edges", "data", "grad", "label", "op", "inputs",
              "local", "const"}
    assert {name for name in vars(Value) if not name.startswith("_")} == functions | others
    assert {node.op for node in one_of_each()} >= functions


def test_the_engine_computes_exactly_the_table_s_float_formulas():
    rng = random.Random(0)
    for _ in range(200):
        a, b = Value(rng.uniform(0.1, 3.0)), Value(rng.uniform(-3.0, 3.0))
        for node in (a + b, a - 1.5, 1.5 - a, a * b, a / b, 3.0 / a, a**1.5, a**2, 2.5**b, -b, b.exp(), a.log(),
                     b.tanh(), b.sigmoid(), b.relu(), Value.dot([a, 0.5], [b, b], a), Value.sum([a, 0.25, b])):
            op = ops.OPS[node.op]
            inputs = [x.data for x in node.inputs]
            out = ops.node_value(node, ops.FLOATS, inputs)
            assert out == node.data and type(out) is float, node.op
            locals_ = tuple(ops.node_local(node, ops.FLOATS, k, inputs, out) for k in range(len(node.inputs)))
            assert locals_ == node.local, op.name


@pytest.mark.parametrize("lib", [ops.FLOATS, EXACT, DECIMAL], ids=["floats", "sympy exact", "sympy decimal"])
def test_every_library_supplies_every_function_and_evaluates_every_operation(lib):
    for name in ops.FUNCTIONS:
        assert callable(getattr(lib, name)), name
    for node in one_of_each():
        inputs = [lib.constant(x.data) for x in node.inputs]
        out = ops.node_value(node, lib, inputs)
        assert math.isclose(float(out), node.data, rel_tol=1e-12, abs_tol=1e-15), node.op
        for k, local in enumerate(node.local):
            derivative = ops.node_local(node, lib, k, inputs, out)
            assert math.isclose(float(derivative), local, rel_tol=1e-12, abs_tol=1e-15), (node.op, k)


def test_the_table_s_formulas_allow_only_numbers_operands_and_its_functions():
    for bad in ("__import__('os')", "a.real", "lambda: 1", "a if b else out", "open(a)", "exp(a, b)", "2 * a"):
        with pytest.raises(ValueError):
            ops._parse(bad)


def test_a_square_is_computed_as_a_times_a_in_every_library():
    a = Value(1.1)
    node = a**2
    assert node.data == 1.1 * 1.1 and node.local == (2.0 * 1.1,)
    assert ops.node_value(node, ops.FLOATS, [1.1]) == 1.1 * 1.1


def test_each_node_records_which_operand_was_a_constant():
    w = Value(0.5)
    assert (w - 0.8).const == (None, 0.8) and (0.8 - w).const == (0.8, None) and (w * w).const is None
    assert ops.operands(0.8 - w) == [0.8, w]
    assert ops.operands(Value.dot([w, 2.0], [3.0, w], 1.0)) == [w, 3.0, 2.0, w, 1.0]  # w₁, x₁, w₂, x₂, b

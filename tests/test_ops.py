"""The op table (`chainrule.ops`): every operation `Value` makes is in it, once, as Python functions (its value and
its local derivatives side by side), and every library computes it by calling those functions."""

from __future__ import annotations

import ast
import inspect
import math
import random
from pathlib import Path

import pytest

import chainrule
from chainrule import Value, ops
from chainrule.errors import NonFiniteError
from chainrule.explainer.symbolic import DECIMAL, EXACT

PACKAGE = Path(chainrule.__file__).resolve().parent


def one_of_each():
    """One node of every kind `Value` can make, built through its public operators and methods."""
    return one_of_each_at(Value(0.7, label="a"), Value(-1.3, label="b"))


def one_of_each_at(a, b):
    """``one_of_each`` with a > 0 and b ≠ 0 of your choice."""
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
    others = {"named", "zero_grad", "backward", "nodes", "data", "grad", "label", "op", "inputs", "local", "const"}
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


@pytest.mark.parametrize("lib", [ops.FLOATS, EXACT, DECIMAL], ids=["floats", "sympy exact", "sympy decimal"])
def test_each_operation_is_a_value_function_and_one_slope_per_operand_never_text(lib):
    table = ops.rules_for(lib)
    assert set(table) == set(ops.OPS)
    for name, rule in table.items():
        assert callable(rule.value), name
        assert all(callable(d) or not isinstance(d, (str, bytes)) for d in rule.slopes), name
        assert all(callable(form) for form in rule.special.values()), name  # value and slope together
        op = ops.OPS[name]
        assert len(rule.slopes) == len(op.operands), name  # ∂/∂ each operand (a fold: of one term)


def _nudged(node, inputs, k, h):
    return ops.node_value(node, ops.FLOATS, inputs[:k] + [inputs[k] + h] + inputs[k + 1:])


def test_each_operation_s_slopes_agree_with_finite_differences_of_its_value():
    rng = random.Random(1)
    for _ in range(20):
        a, b = Value(rng.uniform(0.5, 2.0), label="a"), Value(rng.choice([-1, 1]) * rng.uniform(0.5, 2.0), label="b")
        for node in one_of_each_at(a, b):
            inputs = [x.data for x in node.inputs]
            for k, local in enumerate(node.local):
                h = 1e-6 * max(1.0, abs(inputs[k]))
                slope = (_nudged(node, inputs, k, h) - _nudged(node, inputs, k, -h)) / (2 * h)
                assert math.isclose(slope, local, rel_tol=1e-6, abs_tol=1e-6), (node.op, node.const, k)


def test_each_operation_s_slopes_agree_with_pytorch_autograd_on_its_value():
    torch = pytest.importorskip("torch", reason="PyTorch is a test dependency: `make test` installs it")
    from chainrule.interop import TorchLib

    lib = TorchLib()
    for node in one_of_each():
        inputs = [torch.tensor(x.data, dtype=torch.float64, requires_grad=True) for x in node.inputs]
        out = ops.node_value(node, lib, inputs)
        assert math.isclose(out.item(), node.data, rel_tol=1e-15, abs_tol=0.0), node.op
        if out.requires_grad:
            out.backward()
        for k, (t, local) in enumerate(zip(inputs, node.local)):
            autograd = 0.0 if t.grad is None else float(t.grad)
            assert math.isclose(autograd, local, rel_tol=1e-14, abs_tol=1e-15), (node.op, node.const, k)


def test_the_operators_of_value_are_ordinary_functions_with_source_a_debugger_can_step_into():
    methods = {"neg": ["__neg__"], **{key: [key] for key in ("exp", "log", "tanh", "sigmoid", "relu")},
               **{key: [f"__{word}__", f"__r{word}__"]
                  for key, word in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"), ("**", "pow"))}}
    for key, names in methods.items():
        for name in names:
            method = getattr(Value, name)
            assert inspect.isfunction(method) and method.__qualname__ == f"Value.{name}", name
            assert Path(method.__code__.co_filename).resolve() == PACKAGE / "scalar.py", name
            assert "def " in inspect.getsource(method)  # real lines of scalar.py, not generated text
            assert method.__doc__ == ops.OPS[key].doc, name


def _calls_of(path: Path, names: set[str]) -> list[str]:
    """Where a file calls one of ``names`` (exec, eval, compile) as a builtin: ``exec(...)`` or ``builtins.exec(...)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            called = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) and isinstance(
                f.value, ast.Name) and f.value.id == "builtins" else None
            if called in names:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {called}")
    return found


def test_no_exec_or_eval_of_source_text_in_the_engine_the_op_table_or_the_explainer():
    files = [PACKAGE / "scalar.py", PACKAGE / "ops.py", *sorted((PACKAGE / "explainer").glob("*.py"))]
    assert _calls_of(PACKAGE / "codegen" / "python.py", {"exec"})  # (the check sees a real call: codegen runs its code)
    assert [hit for path in files for hit in _calls_of(path, {"exec", "eval", "compile", "__import__"})] == []


def test_an_infinite_slope_is_remembered_by_its_own_graph_only():
    steep = (Value(0.0, label="x") ** 0.5) * 2.0  # √x at 0: a finite value, no finite slope
    w = Value(3.0, label="w")
    cost = w * w - 1.0  # another graph, built while the steep one is alive
    cost.backward()
    assert w.grad == 6.0
    with pytest.raises(NonFiniteError, match=r"local derivative of \*\* .* is inf"):
        steep.backward()
    assert Value.sum([steep, w]).inputs[0] is steep  # a sum over it is refused too: the flag travels up the graph
    with pytest.raises(NonFiniteError):
        Value.sum([steep, w]).backward()
    with pytest.raises(NonFiniteError):
        Value.dot([w], [steep]).backward()


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


def test_a_library_s_functions_are_made_once_and_go_when_the_library_goes():
    import gc
    import weakref

    class Bound(ops.FloatLib):  # functions that are bound methods hold their library, as the code emitter's do
        def exp(self, a):
            return math.exp(a)

    lib = Bound()
    assert ops.rules_for(lib) is ops.rules_for(lib)
    assert ops.node_value(Value(0.5).exp(), lib, [0.5]) == math.exp(0.5)
    gone = weakref.ref(lib)
    del lib
    gc.collect()
    assert gone() is None  # no cache anywhere keeps it (or what it holds) alive

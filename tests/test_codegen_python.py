"""`chainrule.compile`: a graph as straight-line Python, equal to the engine bit for bit, safe from its labels."""

from __future__ import annotations

import ast
import math
import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import Value, lessons
from chainrule.codegen import python as codegen
from chainrule.codegen.identifiers import identifier, shown
from chainrule.errors import InvalidValueError, NonFiniteError

from expression_programs import programs, run


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def engine_gradients(cost: Value, leaves: list[Value]) -> list[float]:
    for node in cost.nodes():
        node.grad = 0.0
    cost.backward()
    return [leaf.grad for leaf in leaves]


def run_source(source: str, name: str, **values):
    """Execute the printed program in a fresh namespace, as a reader would, and call its function."""
    namespace: dict = {}
    exec(compile(source, "<printed>", "exec"), namespace)  # noqa: S102 - the program under test
    return namespace[name](**values)


def video():
    w, i, y = Value(0.8, label="w"), Value(1.5, label="i"), Value(0.8, label="y")
    C = (((i * w).named("a") - y) ** 2).named("C")
    return C, i, y, w


# ------------------------------------------------------------------ the video
def test_the_video_compiles_to_the_lines_of_its_chain_rule():
    C, i, y, w = video()
    f = chainrule.compile(C, inputs=[i, y], params=[w])
    assert f.arguments == ("i", "y", "w") and f.parameters == ("w",)
    lines = [line.strip() for line in f.source.splitlines()]
    assert "a = i * w" in lines and "C = t1 * t1" in lines
    assert any(line.startswith("g_w += g_a * i") and line.endswith("# ∂a/∂w = i") for line in lines)
    assert any(line.startswith("g_t1 = g_C * (2.0 * t1)") and "# ∂C/∂t1 = 2.0 * t1" in line for line in lines)
    cost, grads = f(i=1.5, y=0.8, w=0.8)
    C.backward()
    assert bits(cost) == bits(C.data) and bits(grads["w"]) == bits(w.grad)
    assert math.isclose(grads["w"], 4.5 * 0.8 - 2.4)  # dC/dw = 2(a − y)·i = 4.5w − 2.4


def test_the_printed_program_runs_as_printed_and_gives_the_same_numbers():
    C, i, y, w = video()
    f = chainrule.compile(C, inputs=[i, y], params=[w])
    assert run_source(f.source, f.name, i=1.5, y=0.8, w=0.7) == f(i=1.5, y=0.8, w=0.7)
    assert f() == f(i=1.5, y=0.8, w=0.8)  # the defaults are the graph's numbers


def test_explain_prints_each_line_with_the_numbers_of_one_call():
    C, i, y, w = video()
    text = chainrule.compile(C, inputs=[i, y], params=[w]).explain(w=0.8)
    assert "a = i * w" in text and "1.5 * 0.8 = 1.2" in text
    assert "∂a/∂w = i: 0 + 0.8 * 1.5 = 1.2" in text
    assert 'return C = 0.16, {"w": 1.2}' in text


@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_every_lesson_compiles_to_the_engine_s_gradients_bit_for_bit(name):
    cost = lessons.graph(name)
    leaves = [n for n in cost.nodes() if not n.op]
    expected = engine_gradients(cost, leaves)
    f = chainrule.compile(cost)
    got_cost, got = f()
    assert bits(got_cost) == bits(cost.data)
    assert [bits(got[p]) for p in f.parameters] == [bits(g) for g in expected]
    printed_cost, printed = run_source(f.source, f.name)
    assert printed == got and bits(printed_cost) == bits(got_cost)


# ------------------------------------------------------------- random graphs
@settings(max_examples=150, deadline=None)
@given(programs(), st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=4, max_size=4))
def test_random_graphs_compile_to_the_engine_s_numbers_bit_for_bit_here_and_at_other_points(program, others):
    values, steps = program
    leaves = [Value(v, label=f"x{k}") for k, v in enumerate(values)]
    try:
        cost = run(steps, leaves)
    except (ArithmeticError, ValueError):
        return  # the engine refuses this graph at these numbers
    if not cost.op:
        return
    in_graph = set(cost.nodes())
    leaves = [leaf for leaf in leaves if leaf in in_graph]
    f = chainrule.compile(cost, params=leaves)
    try:
        expected = engine_gradients(cost, leaves)
    except ArithmeticError:
        return  # an infinite slope: refused by backward
    got_cost, got = f()
    assert bits(got_cost) == bits(cost.data)
    assert [bits(got[p]) for p in f.parameters] == [bits(g) for g in expected]
    # the same function at other numbers: the engine's graph rebuilt there (relu may take the other branch)
    moved_all = [Value(v, label=f"x{k}") for k, v in enumerate(others[: len(values)] + values[len(others):])]
    try:
        cost2 = run(steps, moved_all)
        moved = [moved_all[int(leaf.label[1:])] for leaf in leaves]
        expected2 = engine_gradients(cost2, moved)
    except (ArithmeticError, ValueError):
        return
    got_cost2, got2 = f(**{p: m.data for p, m in zip(f.parameters, moved)})
    assert bits(got_cost2) == bits(cost2.data)
    assert [bits(got2[p]) for p in f.parameters] == [bits(g) for g in expected2]


# ------------------------------------------------------------------ branches
def test_a_relu_compiled_on_one_branch_is_right_on_the_other():
    w = Value(0.5, label="w")
    C = ((w * 2.0 - 0.3).relu() * 3.0).named("C")
    f = chainrule.compile(C, params=[w])
    assert f.branches and "relu: the branch is taken anew at every call" in f.source
    assert f(w=0.5) == (pytest.approx(2.1), {"w": 6.0})
    assert f(w=-1.0) == (0.0, {"w": 0.0})  # the other branch: no gradient flows
    v = Value(-1.0, label="w")
    D = (v * 2.0 - 0.3).relu() * 3.0
    D.backward()
    assert f(w=-1.0) == (D.data, {"w": v.grad})


# ------------------------------------------------------------------ user text
HOSTILE = [
    'w"; import os; os.system("echo owned") #',
    "w\nimport os",
    "w\r\nprint('x')",
    '__import__("os").system("true")',
    "lambda",
    "None",
    "print",
    "exp",
    "g_a",
    "а",  # Cyrillic a: looks like the Latin a below
    "a",
    "",
    "1w",
    "x" * 300,
    "w\u202e",  # right-to-left override
    "σ",
    "w¹₁₁",
    "'''",
    "\\",
    "w # comment",
    "descend",
    "backprop",
]


def test_hostile_labels_give_safe_distinct_identifiers_and_never_reach_the_code():
    leaves = [Value(0.1 * (k + 1), label=label) for k, label in enumerate(HOSTILE)]
    cost = Value.sum([leaf * leaf for leaf in leaves]).named("C")
    f = chainrule.compile(cost)
    names = f.arguments
    assert len(set(names)) == len(names) == len(HOSTILE)
    for name in names:
        assert name.isascii() and name.isidentifier() and not name.startswith("_"), name
        assert name not in ("lambda", "None", "print", "exp", "backprop", "descend")
    tree = ast.parse(f.source)  # one function (plus imports): nothing a label said became a statement
    assert [type(node).__name__ for node in tree.body] == ["FunctionDef"]
    for label in HOSTILE:  # a label with anything but letters, digits and _ never appears as it is
        if shown(label) is None and label:
            assert label not in f.source, label
    assert "\u202e" not in f.source
    (function,) = tree.body  # its body: a docstring, assignments and one return; its only calls the table's functions
    assert {type(node).__name__ for node in function.body} <= {"Expr", "Assign", "AugAssign", "Return"}
    assert not any(isinstance(node, (ast.Import, ast.ImportFrom, ast.Attribute, ast.Subscript, ast.Lambda))
                   for node in ast.walk(tree))
    assert {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)} <= {"exp", "log", "tanh", "sigmoid"}
    expected = engine_gradients(cost, leaves)
    _, got = f()
    assert [got[n] for n in names] == expected


@pytest.mark.parametrize("label, expected", [("w¹₁₁", "w1_11"), ("x₂", "x_2"), ("a²₁", "a2_1"), ("σ", "sigma"),
                                             ("Δw", "Delta_w"), ("lambda", "lambda_"), ("print", "print_"),
                                             ("1st", "v1st"), ('"; rm -rf', "rm_rf"), ("__import__", "import_"), ("wσ1", "w_sigma_1")])
def test_identifiers_are_built_from_a_small_alphabet(label, expected):
    assert identifier(label) == expected


def test_a_label_repeated_is_numbered_like_the_explainer_numbers_it():
    ws = [Value(0.5, label="w") for _ in range(3)]
    f = chainrule.compile(Value.sum(ws))
    assert f.arguments == ("w_1", "w_2", "w_3")


# ------------------------------------------------------------------ bad input
def test_calls_with_bad_numbers_or_unknown_names_are_refused_with_one_clear_line():
    C, i, y, w = video()
    f = chainrule.compile(C, inputs=[i, y], params=[w])
    with pytest.raises(InvalidValueError, match="no argument called 'q'; the arguments are i, y, w"):
        f(q=1.0)
    with pytest.raises(InvalidValueError, match="w must be a finite number"):
        f(w=math.nan)
    with pytest.raises(TypeError, match="w must be a real number"):  # as Value("0.8") is refused
        f(w="0.8")
    with pytest.raises(NonFiniteError, match="the cost C is inf"):
        f(w=1e200)


def test_an_operation_undefined_at_the_new_numbers_names_the_line_of_code():
    w = Value(2.0, label="w")
    f = chainrule.compile(w.log().named("L"), params=[w])
    with pytest.raises(InvalidValueError, match=r"math domain error, at `L = log\(w\)`"):
        f(w=-1.0)


def test_compile_refuses_what_is_not_a_leaf_of_the_graph():
    C, i, y, w = video()
    other = Value(1.0, label="other")
    with pytest.raises(InvalidValueError, match="not a leaf of this cost's graph"):
        chainrule.compile(C, params=[other])
    with pytest.raises(InvalidValueError, match="must be leaves"):
        chainrule.compile(C, params=[C.inputs[0]])
    with pytest.raises(InvalidValueError, match="lists of Values"):
        chainrule.compile(C, params=w)
    with pytest.raises(InvalidValueError, match="both an input and a parameter"):
        chainrule.compile(C, inputs=[w], params=[w])
    with pytest.raises(InvalidValueError, match="plain identifier"):
        chainrule.compile(C, name="f(); import os")


def test_leaves_neither_input_nor_parameter_are_held_fixed():
    C, i, y, w = video()
    f = chainrule.compile(C, inputs=[i], params=[w])
    assert f.arguments == ("i", "w")
    assert re.search(r"\n    y = 0\.8 +# fixed: neither an input nor a parameter\n", f.source)
    assert f(i=1.5, w=0.8) == chainrule.compile(C, inputs=[i, y], params=[w])()


def test_a_sum_of_thousands_of_terms_is_cut_into_statements_in_the_same_order():
    ps = [Value(0.1 * k + 0.01, label="p") for k in range(5000)]
    cost = (Value.sum(ps) * Value.dot(ps, ps, 0.5)).named("S")
    f = chainrule.compile(cost)
    assert "s1 = 0.0 + p_1 + p_2" in f.source and "s2 = s1 + p_" in f.source
    expected = engine_gradients(cost, ps)
    got_cost, got = f()
    assert bits(got_cost) == bits(cost.data)
    assert [bits(got[p]) for p in f.parameters] == [bits(g) for g in expected]


def test_a_graph_too_large_for_straight_line_code_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(codegen, "MAX_LINES", 100)
    x = Value(1.0, label="x")
    for _ in range(60):  # 61 nodes, 60 edges
        x = x + 1.0
    with pytest.raises(InvalidValueError, match="more than 100 lines of straight-line code"):
        chainrule.compile(x)


@pytest.mark.slow
def test_a_graph_of_more_than_a_million_nodes_is_refused():
    x = Value(1.0, label="x")
    for _ in range(1_000_000):
        x = x + 1.0
    with pytest.raises(InvalidValueError, match="more than 1,000,000 lines of straight-line code"):
        chainrule.compile(x)


# ------------------------------------------------------------------ descent
def test_the_compiled_descent_loop_takes_the_engine_s_steps_bit_for_bit():
    C, i, y, w = video()
    f = chainrule.compile(C, inputs=[i, y], params=[w])
    params, costs = f.descend(50, 0.1, record=True)
    weight, expected_costs = Value(0.8, label="w"), []
    for _ in range(50):
        cost = (1.5 * weight - 0.8) ** 2
        expected_costs.append(cost.data)
        weight.grad = 0.0
        cost.backward()
        weight.data -= 0.1 * weight.grad
    assert bits(params["w"]) == bits(weight.data)
    assert [bits(c) for c in costs] == [bits(c) for c in expected_costs]
    assert "for step_number in range(steps):" in f.descend_source()


def test_a_diverging_descent_says_so():
    C, i, y, w = video()
    with pytest.raises(NonFiniteError, match="diverged"):
        chainrule.compile(C, inputs=[i, y], params=[w]).descend(2000, 5.0)


def test_each_edge_into_a_parameter_s_ancestors_has_its_line_of_code():
    cost = lessons.graph("wide")
    f = chainrule.compile(cost)
    order = cost.nodes()
    lines = f.edge_lines()
    assert set(lines) == {(k, j) for k, node in enumerate(order) for j in range(len(node.inputs))}
    source = f.source.splitlines()
    for (k, j), (line, number) in lines.items():
        user, child = f.node_names[k], f.node_names[order.index(order[k].inputs[j])]
        assert line.startswith(f"g_{child} ") and f"  # ∂{user}/∂{child} =" in line
        assert source[number - 1].split()[:3] == line.split()[:3]


# ------------------------------------------------------------------ the op table, op by op
def test_every_operation_of_the_table_compiles_to_the_engine_s_numbers():
    from test_ops import one_of_each

    from chainrule import ops

    nodes = one_of_each()
    assert {n.op for n in nodes} == set(ops.OPS)
    for node in nodes:
        leaves = [n for n in node.nodes() if not n.op]
        cost = node * 1.0  # a node above it, so that its own local derivatives are used
        expected = engine_gradients(cost, leaves)
        got_cost, got = chainrule.compile(cost, params=leaves)()
        assert bits(got_cost) == bits(cost.data), node.op
        assert [bits(g) for g in got.values()] == [bits(g) for g in expected], node.op


def test_the_emitted_sigmoid_and_branches_are_the_float_library_s_exactly():
    from chainrule import ops
    from chainrule.codegen.pycode import SIGMOID_SOURCE, Code, PythonLib, render

    namespace = dict(ops.functions_of(ops.FLOATS))
    exec(SIGMOID_SOURCE, namespace)  # noqa: S102 - the emitter's helper, as every program defines it
    lib = PythonLib()
    relu = eval(f"lambda a: {render(lib.relu(Code.name('a')))}")  # noqa: S307 - our own expression
    step = eval(f"lambda a: {render(lib.step(Code.name('a')))}")  # noqa: S307
    values = [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 36.0, -36.0, 700.0, -700.0, 745.0, -745.0, 1e308, -1e308]
    values += [k / 7.0 for k in range(-200, 200)]
    for x in values:
        assert bits(namespace["sigmoid"](x)) == bits(ops.FLOATS.sigmoid(x)), x
        assert bits(relu(x)) == bits(ops.FLOATS.relu(x)), x
        assert bits(step(x)) == bits(ops.FLOATS.step(x)), x


def test_compiling_again_and_again_keeps_nothing_alive():
    import gc

    w, i, y = Value(0.8, label="w"), Value(1.5, label="i"), Value(0.8, label="y")
    cost = ((i * w - y) ** 2).named("C")
    chainrule.compile(cost, inputs=[i, y], params=[w])  # (imports and first-use caches)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(30):
        chainrule.compile(cost, inputs=[i, y], params=[w])
    gc.collect()
    assert len(gc.get_objects()) - before < 100  # each compile's emitter, code and library are freed

"""Random expression graphs built with chainrule's ``Value``.

A *program* is a list of instructions ``(op, i, j)`` applied to a growing
list of nodes that starts with the leaves; each instruction appends one node
computed from nodes ``i`` and ``j`` (taken modulo the current length). The
graph it builds is then replayed by the references through the op table
(``gradcheck.evaluate_graph`` with plain floats for finite differences,
``interop.torch_graph_gradients`` for PyTorch's autograd), so no copy of the
operations' meaning lives in the tests.
"""

from __future__ import annotations

from hypothesis import strategies as st

UNARY = ("neg", "exp", "tanh", "sigmoid", "relu", "square", "cube", "log1psq", "rsub", "rdiv1p", "scale")
BINARY = ("add", "sub", "mul", "div1p", "dot", "sum3")
OPS = UNARY + BINARY


def programs(max_leaves: int = 4, max_steps: int = 12):
    leaves = st.lists(st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False), min_size=1, max_size=max_leaves)
    steps = st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 1000), st.integers(0, 1000)), min_size=1, max_size=max_steps
    )
    return st.tuples(leaves, steps)


def run(program, leaves, kinks: list | None = None):
    """Build the graph of ``program`` on ``leaves`` (``Value``s); the last node.

    ``kinks`` collects the inputs of relu, where finite differences are unreliable.
    """
    from chainrule import Value

    nodes = list(leaves)
    for op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "neg":
            out = -a
        elif op == "exp":
            out = (a * 0.5).exp()
        elif op == "tanh":
            out = a.tanh()
        elif op == "sigmoid":
            out = a.sigmoid()
        elif op == "relu":
            if kinks is not None:
                kinks.append(a)
            out = a.relu()
        elif op == "square":
            out = a**2
        elif op == "cube":
            out = a**3 * 0.1
        elif op == "log1psq":
            out = (a * a + 1.0).log()
        elif op == "rsub":
            out = 1.5 - a
        elif op == "rdiv1p":
            out = 1.0 / (a * a + 1.0)
        elif op == "scale":
            out = 0.5 * a + 0.25
        elif op == "add":
            out = a + b
        elif op == "sub":
            out = a - b
        elif op == "mul":
            out = a * b
        elif op == "div1p":
            out = a / (b * b + 1.0)
        elif op == "dot":
            out = Value.dot([a, b], [b, 0.7], a)
        elif op == "sum3":
            out = Value.sum([a, b, a])
        else:  # pragma: no cover - the strategy only draws known ops
            raise AssertionError(op)
        nodes.append(out)
    return nodes[-1]

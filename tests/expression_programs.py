"""Random expression graphs, written once and evaluated on several engines.

A *program* is a list of instructions ``(op, i, j)`` applied to a growing
list of nodes that starts with the leaves; each instruction appends one node
computed from nodes ``i`` and ``j`` (taken modulo the current length). The same
program runs on chainrule's ``Value``, on plain floats (for finite
differences) and on PyTorch float64 tensors, so their gradients can be compared.
"""

from __future__ import annotations

import math

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


class FloatOps:
    """Plain float arithmetic, for finite differences."""

    exp = staticmethod(math.exp)
    tanh = staticmethod(math.tanh)

    @staticmethod
    def sigmoid(x):
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))

    @staticmethod
    def relu(x):
        return x if x > 0 else 0.0

    @staticmethod
    def log(x):
        return math.log(x)

    @staticmethod
    def dot(ws, xs, b):
        return sum(w * x for w, x in zip(ws, xs)) + b

    @staticmethod
    def total(xs):
        return sum(xs)


class ValueOps:
    """chainrule's Value methods."""

    exp = staticmethod(lambda v: v.exp())
    tanh = staticmethod(lambda v: v.tanh())
    sigmoid = staticmethod(lambda v: v.sigmoid())
    relu = staticmethod(lambda v: v.relu())
    log = staticmethod(lambda v: v.log())

    @staticmethod
    def dot(ws, xs, b):
        from chainrule import Value

        return Value.dot(ws, xs, b)

    @staticmethod
    def total(xs):
        from chainrule import Value

        return Value.sum(xs)


class TorchOps:
    """PyTorch float64 tensors."""

    @staticmethod
    def _t():
        import torch

        return torch

    exp = staticmethod(lambda v: TorchOps._t().exp(v))
    tanh = staticmethod(lambda v: TorchOps._t().tanh(v))
    sigmoid = staticmethod(lambda v: TorchOps._t().sigmoid(v))
    relu = staticmethod(lambda v: TorchOps._t().relu(v))
    log = staticmethod(lambda v: TorchOps._t().log(v))

    @staticmethod
    def dot(ws, xs, b):
        out = b
        for w, x in zip(ws, xs):
            out = out + w * x
        return out

    @staticmethod
    def total(xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


def run(program, leaves, ops, kinks: list | None = None):
    """Evaluate ``program`` on ``leaves`` (already wrapped for the engine) with ``ops``.

    ``kinks`` collects the inputs of relu, where finite differences are unreliable.
    """
    nodes = list(leaves)
    for op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "neg":
            out = -a
        elif op == "exp":
            out = ops.exp(a * 0.5)
        elif op == "tanh":
            out = ops.tanh(a)
        elif op == "sigmoid":
            out = ops.sigmoid(a)
        elif op == "relu":
            if kinks is not None:
                kinks.append(a)
            out = ops.relu(a)
        elif op == "square":
            out = a**2
        elif op == "cube":
            out = a**3 * 0.1
        elif op == "log1psq":
            out = ops.log(a * a + 1.0)
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
            out = ops.dot([a, b], [b, 0.7], a)
        elif op == "sum3":
            out = ops.total([a, b, a])
        else:  # pragma: no cover - the strategy only draws known ops
            raise AssertionError(op)
        nodes.append(out)
    return nodes[-1]

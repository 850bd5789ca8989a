"""Check backprop against central finite differences, for any function of Values or Tensors.

For every number x in the inputs, the gradient backprop found is compared with

    (f(x + h) − f(x − h)) / 2h          (error O(h²))

which needs two evaluations of f per number: that is why training uses
backprop (one backward pass for all of them) and only tests use this.

``gradcheck(fn, inputs)`` works with both engines: ``fn`` takes the inputs
and returns a scalar ``Value`` or a one-element ``Tensor``, rebuilding its
graph at each call. Inputs are perturbed in place and restored. For a big
tensor, ``sample=k`` checks k entries drawn at random instead of all of them.

A finished scalar graph (a lesson's cost) can be checked too, without the
code that built it: ``check_graph(cost)`` re-evaluates it by replaying every
node's operation on perturbed leaf values (``evaluate_graph``), and its
trainable leaves are ``graph_parameters(cost)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from . import ops
from .errors import InvalidValueError
from .scalar import Parameter

__all__ = [
    "gradcheck",
    "GradCheckReport",
    "ParameterCheck",
    "compare",
    "graph_parameters",
    "is_parameter",
    "evaluate_graph",
    "check_graph",
]


class ParameterCheck:
    """How one input's gradient compares: largest absolute and relative disagreement.

    (Plain classes rather than dataclasses here: ``import chainrule`` loads
    this module, and the dataclasses machinery would double its start-up.)
    """

    def __init__(self, name: str, size: int, max_abs_error: float, max_rel_error: float, ok: bool,
                 checked: int | None = None):
        self.name, self.size, self.max_abs_error, self.max_rel_error, self.ok = name, size, max_abs_error, max_rel_error, ok
        self.checked = checked  # entries compared, when fewer than ``size`` were sampled

    def __repr__(self) -> str:
        return f"ParameterCheck({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def __eq__(self, other) -> bool:
        return isinstance(other, ParameterCheck) and self.__dict__ == other.__dict__


class GradCheckReport:
    """The result of a gradient check; ``ok`` when every input agrees within tolerance."""

    def __init__(self, reference: str, checks: list[ParameterCheck] | None = None, atol: float = 1e-6,
                 rtol: float = 1e-4):
        self.reference = reference  # "finite differences" or "pytorch"
        self.checks = list(checks or [])
        self.atol, self.rtol = atol, rtol

    def __repr__(self) -> str:
        return f"GradCheckReport(reference={self.reference!r}, ok={self.ok}, checks={self.checks!r})"

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def max_abs_error(self) -> float:
        return max((c.max_abs_error for c in self.checks), default=0.0)

    def __bool__(self) -> bool:
        return self.ok

    def to_json(self) -> dict:
        return {
            "reference": self.reference,
            "ok": self.ok,
            "atol": self.atol,
            "rtol": self.rtol,
            "parameters": [c.__dict__ for c in self.checks],
        }


def _scalar(out) -> float:
    data = out.data
    if hasattr(data, "shape"):
        if data.size != 1:
            raise InvalidValueError(f"gradcheck: fn must return a scalar, got shape {tuple(data.shape)}")
        return float(data.reshape(()))
    return float(data)


def _flat_get(x, positions=None):
    """The input's numbers (those at flat ``positions``, default all) as (getter, setter) pairs."""
    if hasattr(x.data, "shape"):  # a Tensor: perturb its array in place
        import numpy as np

        array = x.data
        flat = array.reshape(-1)  # a view for a contiguous array: writing to it writes to the tensor
        if not flat.flags.writeable or not np.shares_memory(flat, array):
            raise InvalidValueError("gradcheck: the tensor's data must be a writable contiguous array")
        if positions is None:
            positions = range(flat.size)
        return [(lambda k=k: float(flat[k]), lambda v, k=k: flat.__setitem__(k, v)) for k in positions]
    return [(lambda: float(x.data), lambda v: setattr(x, "data", float(v)))]


def _size(x) -> int:
    return int(x.data.size) if hasattr(x.data, "size") else 1


def _sample_positions(size: int, sample: int | None, rng) -> list[int] | None:
    """``sample`` distinct flat positions in increasing order, or None for all of them."""
    if sample is None or sample >= size:
        return None
    return sorted(int(k) for k in rng.choice(size, size=sample, replace=False))


def _grads(x) -> list[float]:
    g = x.grad
    if g is None:
        return [0.0] * (x.data.size if hasattr(x.data, "size") else 1)
    if hasattr(g, "reshape"):
        return [float(v) for v in g.reshape(-1)]
    return [float(g)]


def compare(name: str, got: Sequence[float], expected: Sequence[float], atol: float, rtol: float) -> ParameterCheck:
    """One parameter's gradients: |got − expected| ≤ atol + rtol·|expected| everywhere."""
    max_abs = max_rel = 0.0
    ok = True
    for g, e in zip(got, expected):
        diff = abs(g - e)
        if not math.isfinite(g) or not math.isfinite(e):
            diff = math.inf
        max_abs = max(max_abs, diff)
        max_rel = max(max_rel, diff / max(abs(e), 1e-12) if diff else 0.0)
        if not diff <= atol + rtol * abs(e):
            ok = False
    return ParameterCheck(name, len(got), max_abs, max_rel, ok)


def gradcheck(
    fn: Callable,
    inputs: Sequence,
    *,
    h: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    names: Sequence[str] | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> GradCheckReport:
    """Compare the backprop gradient of ``fn(*inputs)`` with central finite differences.

    Use float64 tensors: in float32 the differences are dominated by rounding
    (an error of about ε·|f|/h with ε = 1.2e-7, larger than the gradients).
    ``sample``: check at most that many entries of each input, drawn with ``seed``
    (a report row then says how many it checked).
    """
    inputs = list(inputs)
    if not inputs:
        raise InvalidValueError("gradcheck: give at least one input")
    if not h > 0:
        raise InvalidValueError(f"gradcheck: h must be > 0, got {h!r}")
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, int) or sample < 1):
        raise InvalidValueError(f"gradcheck: sample must be a whole number >= 1, got {sample!r}")
    rng = None
    if sample is not None:
        import numpy as np

        rng = np.random.default_rng(seed)
    names = list(names) if names else [getattr(x, "label", "") or f"input {k}" for k, x in enumerate(inputs)]
    for x in inputs:
        if hasattr(x, "zero_grad"):
            x.zero_grad()
        else:
            x.grad = None
    out = fn(*inputs)
    _scalar(out)
    out.backward()
    backprop = [_grads(x) for x in inputs]

    report = GradCheckReport("finite differences", atol=atol, rtol=rtol)
    for name, x, got in zip(names, inputs, backprop):
        positions = _sample_positions(_size(x), sample, rng)
        if positions is not None:
            got = [got[k] for k in positions]
        numeric = []
        for get, put in _flat_get(x, positions):
            original = get()
            put(original + h)
            up = _scalar(fn(*inputs))
            put(original - h)
            down = _scalar(fn(*inputs))
            put(original)
            numeric.append((up - down) / (2 * h))
        row = compare(name, got, numeric, atol, rtol)
        row.size = _size(x)
        if positions is not None:
            row.checked = len(positions)
        report.checks.append(row)
    return report


# ------------------------------------------------------- finished scalar graphs
def is_parameter(node) -> bool:
    """A trainable leaf: a node made as a ``Parameter`` (``chainrule.parameter``), whatever its label.

    Every other leaf (an input i or x, a target y, a state h, a constant) is
    a given, not a parameter; nothing is decided from names.
    """
    return isinstance(node, Parameter)


def graph_parameters(cost) -> list:
    """The trainable leaves of a ``Value`` graph, in graph order (``is_parameter``)."""
    return [node for node in cost.nodes() if node is not cost and is_parameter(node)]


def evaluate_graph(cost, values: dict | None = None, lib=None):
    """Recompute ``cost`` from its leaves, replaying each node's operation; ``values`` replaces some leaves.

    ``values`` maps leaf nodes to new numbers (or to tensors of another
    library); every other leaf keeps its number. ``lib`` is a library of the
    op table (``chainrule.ops``: default, plain floats); each node is
    recomputed from the table's formula for its operation, with its recorded
    constants, so the replay needs no code from whoever built the graph.
    """
    lib = lib or ops.FLOATS
    values = values or {}
    result: dict = {}
    for node in cost.nodes():
        if node in values:
            result[node] = values[node]
        elif not node.op:
            result[node] = lib.constant(node.data)
        else:
            result[node] = ops.node_value(node, lib, [result[child] for child in node.inputs])
    return result[cost]


def check_graph(
    cost,
    parameters: Sequence | None = None,
    *,
    h: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> GradCheckReport:
    """Check the gradients stored in a finished graph (after ``cost.backward()``) against finite differences.

    For each parameter w: (C(w + h) − C(w − h)) / 2h, with C recomputed by
    ``evaluate_graph``, against ``w.grad`` as backprop left it.
    """
    if not h > 0:
        raise InvalidValueError(f"check_graph: h must be > 0, got {h!r}")
    params = list(graph_parameters(cost) if parameters is None else parameters)
    report = GradCheckReport("finite differences", atol=atol, rtol=rtol)
    for p in params:
        up = evaluate_graph(cost, {p: p.data + h})
        down = evaluate_graph(cost, {p: p.data - h})
        report.checks.append(compare(p.label or "?", [float(p.grad)], [(up - down) / (2 * h)], atol, rtol))
    return report

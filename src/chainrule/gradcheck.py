"""Check backprop against central finite differences, for any function of Values or Tensors.

For every number x in the inputs, the gradient backprop found is compared with

    (f(x + h) − f(x − h)) / 2h          (error O(h²))

which needs two evaluations of f per number: that is why training uses
backprop (one backward pass for all of them) and only tests use this.

``gradcheck(fn, inputs)`` works with both engines: ``fn`` takes the inputs
and returns a scalar ``Value`` or a one-element ``Tensor``, rebuilding its
graph at each call. Inputs are perturbed in place and restored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .errors import InvalidValueError

__all__ = ["gradcheck", "GradCheckReport", "ParameterCheck", "compare"]


@dataclass
class ParameterCheck:
    """How one input's gradient compares: largest absolute and relative disagreement."""

    name: str
    size: int
    max_abs_error: float
    max_rel_error: float
    ok: bool


@dataclass
class GradCheckReport:
    """The result of a gradient check; ``ok`` when every input agrees within tolerance."""

    reference: str  # "finite differences" or "pytorch"
    checks: list[ParameterCheck] = field(default_factory=list)
    atol: float = 1e-6
    rtol: float = 1e-4

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


def _flat_get(x):
    """The input's numbers as a flat list of (getter, setter) pairs."""
    if hasattr(x.data, "shape"):  # a Tensor: perturb its array in place
        import numpy as np

        array = x.data
        flat = array.reshape(-1)  # a view for a contiguous array: writing to it writes to the tensor
        if not flat.flags.writeable or not np.shares_memory(flat, array):
            raise InvalidValueError("gradcheck: the tensor's data must be a writable contiguous array")
        return [(lambda k=k: float(flat[k]), lambda v, k=k: flat.__setitem__(k, v)) for k in range(flat.size)]
    return [(lambda: float(x.data), lambda v: setattr(x, "data", float(v)))]


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
) -> GradCheckReport:
    """Compare the backprop gradient of ``fn(*inputs)`` with central finite differences.

    Use float64 tensors: in float32 the differences are dominated by rounding.
    """
    inputs = list(inputs)
    if not inputs:
        raise InvalidValueError("gradcheck: give at least one input")
    if not h > 0:
        raise InvalidValueError(f"gradcheck: h must be > 0, got {h!r}")
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
        numeric = []
        for get, put in _flat_get(x):
            original = get()
            put(original + h)
            up = _scalar(fn(*inputs))
            put(original - h)
            down = _scalar(fn(*inputs))
            put(original)
            numeric.append((up - down) / (2 * h))
        report.checks.append(compare(name, got, numeric, atol, rtol))
    return report

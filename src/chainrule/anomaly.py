"""``detect_anomaly()``: stop at the first operation that produces NaN or infinity.

Where a NaN comes from is hard to see once it has spread through a whole
network. Inside ``with chainrule.detect_anomaly():``

* the scalar engine (which already refuses any non-finite forward result)
  also checks the backward pass, and names the first edge whose gradient
  stopped being finite, with the values involved;
* the tensor engine checks every operation's output, forward and backward,
  and names the op, its inputs' shapes and the offending positions.

Outside it, the tensor engine skips these checks (they cost a pass over
every array), which is why training re-runs a diverging step inside it to
report where the divergence began.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager

from .errors import NonFiniteError

__all__ = ["detect_anomaly", "is_enabled", "AnomalyError", "check_scalar_backward"]

_state = threading.local()


class AnomalyError(NonFiniteError):
    """The first operation whose result (or gradient) was NaN or infinite."""


def is_enabled() -> bool:
    """True inside ``detect_anomaly()`` (per thread)."""
    return getattr(_state, "depth", 0) > 0


@contextmanager
def detect_anomaly():
    """Check every operation for NaN/inf while the block runs; raise ``AnomalyError`` at the first."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def _describe(node) -> str:
    name = f" {node.label!r}" if node.label else ""
    return f"{node._op or 'leaf'}{name} (value {node.data!r})"


def check_scalar_backward(output) -> None:
    """After ``output.backward()``: find the first edge, in backward order, whose gradient is not finite."""
    for node in reversed(output.nodes()):  # users before their inputs: the order backprop ran in
        if math.isfinite(node.grad):
            continue
        # Every user of this node came earlier and had a finite gradient: blame the edge that overflowed.
        users = [(user, local) for user in output.nodes() for child, local in user._edges if child is node]
        for user, local in users:
            contribution = local * user.grad
            if not math.isfinite(contribution):
                raise AnomalyError(
                    f"backward: the gradient flowing from {_describe(user)} into {_describe(node)} is "
                    f"{contribution!r} (local derivative {local!r} × upstream gradient {user.grad!r})"
                )
        raise AnomalyError(f"backward: the gradient of {_describe(node)} is {node.grad!r}")

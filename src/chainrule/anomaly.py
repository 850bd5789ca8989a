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
from _thread import _local

from .errors import NonFiniteError

__all__ = [
    "detect_anomaly",
    "is_enabled",
    "AnomalyError",
    "check_scalar_backward",
    "check_tensor_forward",
    "check_tensor_backward",
]


class _State(_local):
    depth = 0  # how many detect_anomaly() blocks this thread is inside


# The tensor engine reads ``_state.depth`` directly: one attribute lookup per operation is the
# whole cost of anomaly detection while it is off.
_state = _State()


class AnomalyError(NonFiniteError):
    """The first operation whose result (or gradient) was NaN or infinite."""


def is_enabled() -> bool:
    """True inside ``detect_anomaly()`` (per thread)."""
    return _state.depth > 0


class detect_anomaly:  # noqa: N801 - used like a function: ``with detect_anomaly():``
    """Check every operation for NaN/inf while the block runs; raise ``AnomalyError`` at the first."""

    def __enter__(self):
        _state.depth += 1
        return self

    def __exit__(self, *exc):
        _state.depth -= 1
        return False


def _describe(node) -> str:
    name = f" {node.label!r}" if node.label else ""
    return f"{node.op or 'leaf'}{name} (value {node.data!r})"


def check_scalar_backward(output) -> None:
    """After ``output.backward()``: find the first edge, in backward order, whose gradient is not finite."""
    for node in reversed(output.nodes()):  # users before their inputs: the order backprop ran in
        if math.isfinite(node.grad):
            continue
        # Every user of this node came earlier and had a finite gradient: blame the edge that overflowed.
        users = [(user, local) for user in output.nodes() for child, local in zip(user.inputs, user.local)
                 if child is node]
        for user, local in users:
            contribution = local * user.grad
            if not math.isfinite(contribution):
                raise AnomalyError(
                    f"backward: the gradient flowing from {_describe(user)} into {_describe(node)} is "
                    f"{contribution!r} (local derivative {local!r} × upstream gradient {user.grad!r})"
                )
        raise AnomalyError(f"backward: the gradient of {_describe(node)} is {node.grad!r}")


# ------------------------------------------------------------------ tensor engine
MAX_POSITIONS = 3  # offending positions named in a message


def _kind_of(bad_values) -> str:
    """'nan', 'inf', '-inf', or a list of those, for the values found."""
    import numpy as np

    kinds = []
    if np.isnan(bad_values).any():
        kinds.append("nan")
    if np.isposinf(bad_values).any():
        kinds.append("inf")
    if np.isneginf(bad_values).any():
        kinds.append("-inf")
    return "/".join(kinds)


def _positions(mask) -> list[tuple[int, ...]]:
    import numpy as np

    idx = np.argwhere(mask)[:MAX_POSITIONS]
    return [tuple(int(i) for i in row) for row in idx]


def _where(array, mask) -> str:
    """'nan at [(0, 3), (1, 2)] (and 5 more)' for the non-finite entries of ``array``."""
    positions = _positions(mask)
    count = int(mask.sum())
    more = f" (and {count - len(positions)} more of {array.size})" if count > len(positions) else ""
    if array.ndim == 0:
        return f"{_kind_of(array[mask])}"
    return f"{_kind_of(array[mask])} at {positions}{more}"


def _shapes(tensors) -> str:
    return ", ".join(str(tuple(t.data.shape)) for t in tensors)


def _already(tensors) -> str:
    """Which inputs were non-finite before the operation (then it only passed the problem on)."""
    import numpy as np

    notes = []
    for k, t in enumerate(tensors):
        data = t.data
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            name = f" {t.name!r}" if getattr(t, "name", "") else ""
            notes.append(f"input {k}{name} already had {_where(data, ~np.isfinite(data))}")
    return "; " + "; ".join(notes) if notes else ""


def check_tensor_forward(out, op: str, parents: tuple) -> None:
    """Raise ``AnomalyError`` if the result ``out`` of ``op`` has a NaN or an infinity.

    The message names the op, the first offending positions and the shapes
    of its inputs, e.g. ``log: output has -inf at [(0, 3)] (input shapes (4, 5))``.
    """
    import numpy as np

    if out.dtype.kind != "f":
        return
    finite = np.isfinite(out)
    if finite.all():
        return
    raise AnomalyError(
        f"{op}: output has {_where(out, ~finite)} (input shapes {_shapes(parents)}{_inputs_at(out, ~finite, parents)})"
        f"{_already(parents)}"
    )


def _inputs_at(out, mask, parents) -> str:
    """For an elementwise op: the inputs' values at the first offending position ('; inputs there: 0.0')."""
    import numpy as np

    first = _positions(mask)[0] if out.ndim else ()
    values = []
    for t in parents:
        try:
            values.append(repr(float(np.broadcast_to(t.data, out.shape)[first])))
        except (ValueError, IndexError, TypeError):
            return ""  # not elementwise (a matmul, a reduction): the shapes say enough
    return f"; input values there: {', '.join(values)}" if values else ""


def check_tensor_backward(node, grads) -> None:
    """Raise ``AnomalyError`` if the backward rule of ``node`` produced a non-finite gradient.

    Called with the gradients the node hands its inputs. A non-finite
    gradient *arriving* at the node is caught one step earlier, at its user.
    """
    import numpy as np

    for k, (parent, g) in enumerate(zip(node._parents, grads)):
        if g is None:
            continue
        finite = np.isfinite(g)
        if finite.all():
            continue
        raise AnomalyError(
            f"backward of {node._op}: the gradient for input {k} (shape {tuple(parent.data.shape)}) has "
            f"{_where(np.asarray(g), ~finite)} (input shapes {_shapes(node._parents)}, "
            f"output shape {tuple(node.data.shape)})"
        )

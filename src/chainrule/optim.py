"""Optimizers: what to do with the gradients once backpropagation has them.

Gradient descent is the video's update, one weight at a time:

    w ← w − η · dC/dw

``SGD`` adds two classic refinements. *Momentum* μ keeps a running
velocity v ← μ·v + g and steps along it (w ← w − η·v), so steps that keep
pointing the same way build up speed and zig-zags cancel. *Weight decay* λ
adds λ·w to the gradient, which is the gradient of the extra cost ½λ‖w‖²
pulling weights towards 0.

``Adam`` keeps running averages of the gradient (m) and of its square (v)
and steps by m/√v, so each weight gets its own step size:

    m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
    w ← w − η · m̂ / (√v̂ + ε)   with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)

(the hats undo the bias of averages that start at 0).

How the arrays are updated. Every update is in place, into buffers made
once, so a step allocates nothing (large layers would otherwise be faulted
in again at every step). The per-weight state (velocity, m, v) of all the
parameters lives in one flat array, in the order of the parameters.

There is one update path: the formula runs on *stretches* of parameters.
A model owns its parameters and gradients as two flat arrays
(``nn.ParameterBuffer``; ``MLP`` and ``Sequential`` are built that way), so
consecutive parameters of one model form one stretch, and each line of the
formula runs once over the whole model: a handful of numpy calls per step.
Any other parameter is a stretch of its own: a plain ``Tensor`` in a list,
one whose array was replaced (``p.data = new``), one whose gradient is not
the model's buffer this step. A parameter without a gradient this step
(``grad`` is None) is left alone, as in PyTorch. The arithmetic is the
same whatever the stretches: the result is the same, bit for bit.

Gradient clipping (``clip_grad_norm``) runs between ``backward()`` and
``step()``: when the gradients of all the parameters together, seen as one
long vector, are longer than ``max_norm``, they are scaled down to that
length. The direction is kept, only the step is shortened: the cure for the
exploding gradients of recurrent networks, where one unlucky batch can
otherwise throw the weights far away.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InvalidValueError
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "OPTIMIZERS", "clip_grad_norm"]

OPTIMIZERS = ("sgd", "adam")

_mul, _add, _sub, _div, _sqrt = np.multiply, np.add, np.subtract, np.divide, np.sqrt


def _check(name: str, value: float, low: float, high: float | None = None, high_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value):
        raise InvalidValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    if value < low or (high is not None and (value >= high if high_open else value > high)):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}{')' if high_open else ']'}"
        raise InvalidValueError(f"{name} must be {allowed}, got {value!r}")
    return value


class _State:
    """A per-weight quantity (velocity, m, v, scratch) of every parameter: one flat array, a view per parameter.

    ``flat`` is None when the parameters have different dtypes (then each
    parameter's part is an array of its own, and no stretch spans two).
    """

    def __init__(self, params: list[Tensor], offsets: list[int], zeroed: bool = True):
        dtypes = {p.data.dtype for p in params}
        self.offsets = offsets
        if len(dtypes) == 1:
            self.flat = (np.zeros if zeroed else np.empty)(offsets[-1], dtypes.pop())
            self.views = [self.flat[offsets[i]:offsets[i + 1]].reshape(p.data.shape) for i, p in enumerate(params)]
        else:
            self.flat = None
            self.views = [np.zeros_like(p.data) for p in params]

    def part(self, i: int, j: int) -> np.ndarray:
        """Parameters i..j−1's part: parameter i's own view, or a 1-D slice of the flat array for a longer stretch."""
        if j == i + 1:
            return self.views[i]
        return self.flat[self.offsets[i]:self.offsets[j]]


class Optimizer:
    """Holds the parameters and updates them from their ``grad``.

    ``params``: tensors with ``requires_grad=True``, each once (the same
    tensor twice would be updated twice per step).
    """

    def __init__(self, params, lr: float):
        params = list(params)
        if not params:
            raise InvalidValueError("optimizer: got no parameters to optimize")
        seen = {}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise InvalidValueError(f"optimizer: {p!r} is not a tensor with requires_grad=True")
            if id(p) in seen:
                raise InvalidValueError(
                    f"optimizer: parameter {i} is parameter {seen[id(p)]} again; give each parameter once "
                    "(twice, it would be updated twice per step)"
                )
            seen[id(p)] = i
        self.params = params
        self.lr = _check("lr", lr, 0.0)
        if self.lr == 0.0:
            raise InvalidValueError("lr must be > 0, got 0.0")
        self._offsets = [0]
        for p in params:
            self._offsets.append(self._offsets[-1] + p.data.size)
        self._scratch = self._state(zeroed=False)
        # for each parameter, where a model's ParameterBuffer holds it (None for a plain tensor); parameter i
        # continues parameter i − 1's stretch when both sit next to each other in one buffer
        self._places = [getattr(p, "_place", None) for p in params]
        self._views = [q[0].views(q[1]) if q is not None else (None, None) for q in self._places]
        self._joins = [self._scratch.flat is not None and i > 0 and q is not None and self._places[i - 1] is not None
                       and self._places[i - 1][0] is q[0] and self._places[i - 1][1] == q[1] - 1
                       for i, q in enumerate(self._places)]

    def _state(self, zeroed: bool = True) -> _State:
        return _State(self.params, self._offsets, zeroed)

    def _stretches(self) -> list[tuple]:
        """(weights, gradients, i, j) for each stretch of parameters i..j−1 that has a gradient this step.

        Consecutive parameters that still read their numbers and gradients
        from one model's ``ParameterBuffer``, at consecutive places, are one
        stretch: weights and gradients are then 1-D slices of the model's two
        flat arrays. Every other parameter is a stretch of its own.
        """
        params, views, joins = self.params, self._views, self._joins
        out = []
        run = None  # [i, j] of the stretch being extended
        for i, p in enumerate(params):
            g = p.grad
            data_view, grad_view = views[i]
            held = g is not None and g is grad_view and p.data is data_view  # still the buffer's (views)
            if held and run is not None and joins[i] and run[1] == i:
                run[1] = i + 1
                continue
            if run is not None:
                out.append(self._stretch(*run))
                run = None
            if held:
                run = [i, i + 1]
            elif g is not None:
                if g.shape != p.data.shape:
                    raise InvalidValueError(f"optimizer: parameter {i} has data of shape {tuple(p.data.shape)} "
                                            f"but a gradient of shape {tuple(g.shape)}")
                out.append((p.data, g, i, i + 1))
        if run is not None:
            out.append(self._stretch(*run))
        return out

    def _stretch(self, i: int, j: int) -> tuple:
        if j == i + 1:
            p = self.params[i]
            return p.data, p.grad, i, j
        buffer, k = self._places[i]
        start, stop = buffer.offsets[k], buffer.offsets[k + j - i]
        return buffer.data[start:stop], buffer.grad[start:stop], i, j

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``Tensor.zero_grad`` on each (a model's buffers receive the next ones)."""
        if set_to_none:
            for p in self.params:
                p.grad = None
        else:
            for p in self.params:
                p.zero_grad(False)

    def step(self) -> None:
        raise NotImplementedError

    # resuming: the per-parameter buffers and the step count
    def state_dict(self) -> dict[str, np.ndarray]:
        return {}

    def load_state_dict(self, state: dict) -> None:
        self._checked_state(state, ())

    def _checked_state(self, state: dict, keys: tuple, scalars: tuple = (), required: bool = False,
                       non_negative: tuple = ()) -> dict:
        """The arrays ``{key}.{i}`` of ``state``, checked against the parameters; nothing else may be in ``state``.

        Each array must have its parameter's shape and dtype and hold finite
        numbers (``non_negative`` keys: no number below 0); with ``required``
        every one must be there. ``scalars`` are other names allowed (Adam's
        ``t``), checked by the caller. The messages name the entry
        (``optimizer state v.3: ...``). Returns name -> array.
        """
        kind = type(self).__name__
        if not isinstance(state, dict):
            raise InvalidValueError(f"optimizer state: expected a dict of arrays, got {type(state).__name__}")
        names = {f"{key}.{i}": (key, p) for key in keys for i, p in enumerate(self.params)}
        unexpected = [str(k) for k in state if k not in names and k not in scalars]
        if unexpected:
            last = len(self.params) - 1
            allowed = [f"{key}.0 to {key}.{last}" for key in keys] + list(scalars)
            raise InvalidValueError(f"optimizer state: unexpected {', '.join(unexpected)} for {kind} with "
                                    f"{len(self.params)} parameters (allowed: {', '.join(allowed) or 'nothing'})")
        out = {}
        for name, (key, p) in names.items():
            if name not in state:
                if required:
                    raise InvalidValueError(f"optimizer state: the {kind} state is incomplete: {name} is missing (it needs "
                                            f"{', '.join([*scalars, *(f'{k}.i' for k in keys)])} for every parameter i)")
                continue
            arr = np.asarray(state[name])
            if arr.shape != p.data.shape or arr.dtype != p.data.dtype:
                raise InvalidValueError(
                    f"optimizer state {name}: shape {tuple(arr.shape)} {arr.dtype} does not match "
                    f"the parameter's {tuple(p.data.shape)} {p.data.dtype}"
                )
            if not np.isfinite(arr).all():
                raise InvalidValueError(f"optimizer state {name}: holds NaN or infinite values; the state must be finite")
            if key in non_negative and arr.size and arr.min() < 0:
                raise InvalidValueError(
                    f"optimizer state {name}: holds negative values (smallest {float(arr.min())!r}); it is a running "
                    "average of squared gradients, so every entry must be >= 0"
                )
            out[name] = arr
        return out


class SGD(Optimizer):
    """w ← w − η·v with v ← μ·v + (g + λ·w) (plain gradient descent when μ = λ = 0).

    The same update as ``torch.optim.SGD``: v starts at 0, so the first
    step sets v = g + λ·w.
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = _check("momentum", momentum, 0.0, 1.0)
        self.weight_decay = _check("weight_decay", weight_decay, 0.0)
        self._velocity = self._state()

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for w, g, i, j in self._stretches():
            tmp = self._scratch.part(i, j)
            if wd:  # g + λ·w
                _mul(w, wd, tmp)
                _add(tmp, g, tmp)
                g = tmp
            if mu:  # v = μ·v + g
                v = self._velocity.part(i, j)
                _mul(v, mu, v)
                _add(v, g, v)
                g = v
            _mul(g, lr, tmp)  # w = w − η·v
            _sub(w, tmp, w)

    def state_dict(self) -> dict[str, np.ndarray]:
        if not self.momentum:
            return {}
        return {f"velocity.{i}": v.copy() for i, v in enumerate(self._velocity.views)}

    def load_state_dict(self, state: dict) -> None:
        """Velocities ``velocity.i``, checked first (a missing one is 0: that parameter has not moved yet)."""
        loaded = self._checked_state(state, ("velocity",))
        for i, v in enumerate(self._velocity.views):
            arr = loaded.get(f"velocity.{i}")
            if arr is None:
                v.fill(0)
            else:
                np.copyto(v, arr)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), the same update as ``torch.optim.Adam``."""

    def __init__(self, params, lr: float = 0.001, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise InvalidValueError(f"betas must be two numbers, got {betas!r}") from None
        self.beta1 = _check("beta1", b1, 0.0, 1.0)
        self.beta2 = _check("beta2", b2, 0.0, 1.0)
        self.eps = _check("eps", eps, 0.0)
        self.weight_decay = _check("weight_decay", weight_decay, 0.0)
        self.t = 0
        self._m = self._state()
        self._v = self._state()
        self._scratch2 = self._state(zeroed=False)

    def step(self) -> None:
        """t ← t + 1, then the update of every stretch, in place:

            m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,
            w ← w − (η/(1 − β₁ᵗ)) · m / (√v/√(1 − β₂ᵗ) + ε)      (g plus λ·w with weight decay)
        """
        self.t += 1
        b1, b2, eps, wd = self.beta1, self.beta2, self.eps, self.weight_decay
        step_size = self.lr / (1.0 - b1 ** self.t)
        bc2_sqrt = math.sqrt(1.0 - b2 ** self.t)
        for w, g, i, j in self._stretches():
            tmp = self._scratch.part(i, j)
            if wd:
                g2 = self._scratch2.part(i, j)
                _mul(w, wd, g2)
                _add(g2, g, g2)
                g = g2
            m, v = self._m.part(i, j), self._v.part(i, j)
            _mul(m, b1, m)           # m = β₁m + (1 − β₁)g
            _mul(g, 1.0 - b1, tmp)
            _add(m, tmp, m)
            _mul(v, b2, v)           # v = β₂v + (1 − β₂)g²
            _mul(g, g, tmp)
            _mul(tmp, 1.0 - b2, tmp)
            _add(v, tmp, v)
            _sqrt(v, tmp)            # w -= (η/bc1) · m / (√v/√bc2 + ε)
            _div(tmp, bc2_sqrt, tmp)
            _add(tmp, eps, tmp)
            _div(m, tmp, tmp)
            _mul(tmp, step_size, tmp)
            _sub(w, tmp, w)

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {"t": np.asarray(self.t, dtype=np.int64)}
        for i in range(len(self.params)):
            out[f"m.{i}"] = self._m.views[i].copy()
            out[f"v.{i}"] = self._v.views[i].copy()
        return out

    def load_state_dict(self, state: dict) -> None:
        """The step count ``t`` and the averages ``m.i``, ``v.i``, all checked before anything changes.

        ``t`` must be a whole number >= 0, every ``m.i``/``v.i`` must match its
        parameter's shape and dtype and be finite, and every ``v.i`` >= 0.
        """
        loaded = self._checked_state(state, ("m", "v"), scalars=("t",), required=True, non_negative=("v",))
        if "t" not in state:
            raise InvalidValueError("optimizer state: the Adam state is incomplete: t is missing (it needs t, m.i, v.i "
                                    "for every parameter i)")
        t = _whole_number("optimizer state t", state["t"])
        for i in range(len(self.params)):
            np.copyto(self._m.views[i], loaded[f"m.{i}"])
            np.copyto(self._v.views[i], loaded[f"v.{i}"])
        self.t = t


def _whole_number(what: str, value) -> int:
    """``value`` (a number or a one-element array) as an int >= 0, or an error naming ``what``."""
    arr = np.asarray(value)
    if arr.shape not in ((), (1,)) or arr.dtype.kind not in "iuf":
        raise InvalidValueError(f"{what} must be a whole number >= 0 (the count of steps taken), got {value!r}")
    x = arr.reshape(()).item()
    if not math.isfinite(x) or x != int(x) or x < 0:
        raise InvalidValueError(f"{what} must be a whole number >= 0 (the count of steps taken), got {x!r}")
    return int(x)


def make_optimizer(name: str, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> Optimizer:
    """``"sgd"`` or ``"adam"`` by name (momentum applies to SGD only)."""
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return Adam(params, lr=lr, weight_decay=weight_decay)
    raise InvalidValueError(f"optimizer {name!r} is not one of {', '.join(OPTIMIZERS)}")


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale the gradients in place so that their joint length ‖g‖ = √(Σ g²) over all ``params`` is at most ``max_norm``.

    ``params``: a ``Module`` or tensors (those without a gradient are
    skipped). When ‖g‖ > max_norm every gradient is multiplied by
    max_norm/‖g‖ (as ``torch.nn.utils.clip_grad_norm_``, without its 1e-6
    guard). Returns ‖g‖ before clipping, so a training loop can watch it.
    A norm that is not finite (the gradients overflowed) leaves the
    gradients as they are: the step that follows then makes the weights
    non-finite and the divergence is reported where it happened, instead
    of being hidden by a scaling with 0 or NaN.

    The gradients are the model's own buffers (the gradient-buffer
    contract of ``chainrule.tensor``): clipping changes them where they lie.
    """
    max_norm = _check("max_norm", max_norm, 0.0)
    if max_norm == 0.0:
        raise InvalidValueError("max_norm must be > 0, got 0.0")
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    grads = []
    for p in params:
        if not isinstance(p, Tensor):
            raise InvalidValueError(f"clip_grad_norm: {p!r} is not a tensor")
        if p.grad is not None:
            grads.append(p)
    total = 0.0
    for p in grads:
        g = p.grad
        flat = g.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            square = float(np.dot(flat, flat))
        if not math.isfinite(square):  # float32 squares overflow before the gradients do: add them in float64
            flat = flat.astype(np.float64)
            square = float(np.dot(flat, flat))
        total += square
    norm = math.sqrt(total)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for p in grads:
            g = p.grad
            if type(g) is np.ndarray and g.flags.writeable:
                np.multiply(g, scale, out=g)
            else:
                p.grad = g * scale
    return norm

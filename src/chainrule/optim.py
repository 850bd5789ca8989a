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
in again at every step). The per-weight state (velocity, m, v) of all
parameters lives in one contiguous array, each parameter's part a view of
it. When the parameters themselves are the consecutive parts of one array
(``nn.MLP`` lays them out that way), each line of the update runs *once*
over that whole array instead of once per parameter: the same arithmetic on
the same numbers, bit for bit, in a handful of numpy calls. Otherwise (a
subset of a model's parameters, arrays replaced after the optimizer was
made, a parameter without a gradient this step) the update runs parameter
by parameter.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InvalidValueError
from .tensor import Tensor, _set_aside

__all__ = ["Optimizer", "SGD", "Adam", "OPTIMIZERS"]

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


def _tiled_base(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The 1-D array whose consecutive parts are exactly ``arrays`` (in order), or None."""
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous or not base.flags.writeable:
        return None
    start = base.__array_interface__["data"][0]
    offset = 0
    for a in arrays:
        if a.base is not base or a.dtype != base.dtype or not a.flags.c_contiguous:
            return None
        if a.__array_interface__["data"][0] != start + offset * base.itemsize:
            return None
        offset += a.size
    return base if offset == base.size else None


class _Buffer:
    """One contiguous array for a per-weight quantity of every parameter, and each parameter's view of it.

    ``flat`` is None when the parameters have different dtypes (then each
    view is an array of its own).
    """

    def __init__(self, params: list[Tensor], zeroed: bool = True):
        dtypes = {p.data.dtype for p in params}
        if len(dtypes) == 1:
            total = sum(p.data.size for p in params)
            self.flat = (np.zeros if zeroed else np.empty)(total, dtypes.pop())
            self.views, offset = [], 0
            for p in params:
                self.views.append(self.flat[offset:offset + p.data.size].reshape(p.data.shape))
                offset += p.data.size
        else:
            self.flat = None
            self.views = [np.zeros_like(p.data) for p in params]


class Optimizer:
    """Holds the parameters and updates them from their ``grad``."""

    def __init__(self, params, lr: float):
        params = list(params)
        if not params:
            raise InvalidValueError("optimizer: got no parameters to optimize")
        for p in params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise InvalidValueError(f"optimizer: {p!r} is not a tensor with requires_grad=True")
        self.params = params
        self.lr = _check("lr", lr, 0.0)
        if self.lr == 0.0:
            raise InvalidValueError("lr must be > 0, got 0.0")
        self._scratch = _Buffer(params, zeroed=False)
        # the whole-array path: the parameters' arrays as they are now, and the array they tile
        self._data = [p.data for p in params]
        self._weights = _tiled_base(self._data) if self._scratch.flat is not None else None

    def _whole(self) -> list | None:
        """Every parameter's gradient, when one pass over the whole arrays can do this step; else None."""
        if self._weights is None:
            return None
        grads = []
        for p, d in zip(self.params, self._data):
            g = p.grad
            if g is None or p.data is not d:  # no gradient this step, or the array was replaced
                return None
            grads.append(g)
        return grads

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (each array may hold the next one: ``Tensor.zero_grad``)."""
        for p in self.params:
            _set_aside(p)  # p.zero_grad(), one call fewer

    def step(self) -> None:
        raise NotImplementedError

    # resuming: the per-parameter buffers and the step count
    def state_dict(self) -> dict[str, np.ndarray]:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def _load_buffers(self, state: dict, key: str) -> list:
        out = []
        for i, p in enumerate(self.params):
            name = f"{key}.{i}"
            if name not in state:
                out.append(None)
                continue
            arr = np.asarray(state[name])
            if arr.shape != p.data.shape or arr.dtype != p.data.dtype:
                raise InvalidValueError(
                    f"optimizer state {name}: shape {tuple(arr.shape)} {arr.dtype} does not match "
                    f"the parameter's {tuple(p.data.shape)} {p.data.dtype}"
                )
            if not np.isfinite(arr).all():
                raise InvalidValueError(f"optimizer state {name}: holds NaN or infinite values; the state must be finite")
            out.append(arr)
        return out


class SGD(Optimizer):
    """w ← w − η·v with v ← μ·v + (g + λ·w) (plain gradient descent when μ = λ = 0).

    The same update as ``torch.optim.SGD`` (the first step sets v = g).
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = _check("momentum", momentum, 0.0, 1.0)
        self.weight_decay = _check("weight_decay", weight_decay, 0.0)
        self._velocity = _Buffer(self.params)
        self._started = [False] * len(self.params)  # has this parameter's velocity been set (v = g) yet?
        self._all_started = False

    def step(self) -> None:
        grads = self._whole()
        if grads is not None and (self._all_started or not self.momentum):
            self._step_whole(grads)
        else:
            self._step_each()

    def _step_whole(self, grads: list) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        w, tmp, tmps = self._weights, self._scratch.flat, self._scratch.views
        if wd:  # tmp = g + λ·w
            _mul(w, wd, tmp)
            for t, g in zip(tmps, grads):
                _add(t, g, t)
        if mu:  # v = μ·v + g;  tmp = η·v
            v, vs = self._velocity.flat, self._velocity.views
            _mul(v, mu, v)
            if wd:
                _add(v, tmp, v)
            else:
                for vi, g in zip(vs, grads):
                    _add(vi, g, vi)
            _mul(v, lr, tmp)
        elif wd:
            _mul(tmp, lr, tmp)
        else:
            for t, g in zip(tmps, grads):
                _mul(g, lr, t)
        _sub(w, tmp, w)

    def _step_each(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            w = p.data
            tmp = self._scratch.views[i]
            if wd:
                _mul(w, wd, tmp)
                _add(tmp, g, tmp)
                g = tmp
            if mu:
                v = self._velocity.views[i]
                if self._started[i]:
                    _mul(v, mu, v)
                    _add(v, g, v)
                else:
                    np.copyto(v, g)
                    self._started[i] = True
                g = v
            _mul(g, lr, tmp)
            _sub(w, tmp, w)
        self._all_started = all(self._started)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {f"velocity.{i}": v.copy() for i, v in enumerate(self._velocity.views) if self._started[i]}

    def load_state_dict(self, state: dict) -> None:
        loaded = self._load_buffers(state, "velocity")
        for i, arr in enumerate(loaded):
            if arr is not None:
                np.copyto(self._velocity.views[i], arr)
            self._started[i] = arr is not None
        self._all_started = all(self._started)


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
        self._m = _Buffer(self.params)
        self._v = _Buffer(self.params)
        self._scratch2 = _Buffer(self.params, zeroed=False)

    def step(self) -> None:
        self.t += 1
        grads = self._whole()
        if grads is not None:
            # the whole arrays at once; the gradient (plus λ·w) is gathered into one array first
            g = self._scratch2.flat
            if self.weight_decay:
                _mul(self._weights, self.weight_decay, g)
                for gi, pg in zip(self._scratch2.views, grads):
                    _add(gi, pg, gi)
            else:
                for gi, pg in zip(self._scratch2.views, grads):
                    np.copyto(gi, pg)
            self._update(self._weights, g, self._m.flat, self._v.flat, self._scratch.flat)
            return
        wd = self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if wd:
                g2 = self._scratch2.views[i]
                _mul(p.data, wd, g2)
                _add(g2, g, g2)
                g = g2
            self._update(p.data, g, self._m.views[i], self._v.views[i], self._scratch.views[i])

    def _update(self, w, g, m, v, tmp) -> None:
        """One Adam update of the arrays ``w`` (in place) from gradient ``g``, all in place."""
        b1, b2, eps = self.beta1, self.beta2, self.eps
        bc1 = 1.0 - b1 ** self.t
        bc2_sqrt = math.sqrt(1.0 - b2 ** self.t)
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
        _mul(tmp, self.lr / bc1, tmp)
        _sub(w, tmp, w)

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {"t": np.asarray(self.t, dtype=np.int64)}
        for i in range(len(self.params)):
            out[f"m.{i}"] = self._m.views[i].copy()
            out[f"v.{i}"] = self._v.views[i].copy()
        return out

    def load_state_dict(self, state: dict) -> None:
        m = self._load_buffers(state, "m")
        v = self._load_buffers(state, "v")
        if "t" not in state or any(x is None for x in m + v):
            raise InvalidValueError("optimizer state: the Adam state is incomplete (t, m.i and v.i are needed)")
        for i in range(len(self.params)):
            np.copyto(self._m.views[i], m[i])
            np.copyto(self._v.views[i], v[i])
        self.t = int(np.asarray(state["t"]))


def make_optimizer(name: str, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> Optimizer:
    """``"sgd"`` or ``"adam"`` by name (momentum applies to SGD only)."""
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return Adam(params, lr=lr, weight_decay=weight_decay)
    raise InvalidValueError(f"optimizer {name!r} is not one of {', '.join(OPTIMIZERS)}")

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

Both update the arrays in place with preallocated scratch buffers: a step
allocates nothing, which matters for large layers.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InvalidValueError
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "OPTIMIZERS"]

OPTIMIZERS = ("sgd", "adam")


def _check(name: str, value: float, low: float, high: float | None = None, high_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value):
        raise InvalidValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    if value < low or (high is not None and (value >= high if high_open else value > high)):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}{')' if high_open else ']'}"
        raise InvalidValueError(f"{name} must be {allowed}, got {value!r}")
    return value


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
        self._scratch = [np.empty_like(p.data) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

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
            out.append(arr.copy())
        return out


class SGD(Optimizer):
    """w ← w − η·v with v ← μ·v + (g + λ·w) (plain gradient descent when μ = λ = 0).

    The same update as ``torch.optim.SGD`` (the first step sets v = g).
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = _check("momentum", momentum, 0.0, 1.0)
        self.weight_decay = _check("weight_decay", weight_decay, 0.0)
        self._velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            w = p.data
            tmp = self._scratch[i]
            if wd:
                np.multiply(w, wd, out=tmp)
                tmp += g
                g = tmp
            if mu:
                v = self._velocity[i]
                if v is None:
                    self._velocity[i] = v = g.copy()
                else:
                    v *= mu
                    v += g
                g = v
            np.multiply(g, lr, out=tmp)
            w -= tmp

    def state_dict(self) -> dict[str, np.ndarray]:
        return {f"velocity.{i}": v.copy() for i, v in enumerate(self._velocity) if v is not None}

    def load_state_dict(self, state: dict) -> None:
        self._velocity = self._load_buffers(state, "velocity")


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
        self._m = [np.zeros_like(p.data) for p in self.params]
        self._v = [np.zeros_like(p.data) for p in self.params]
        self._scratch2 = [np.empty_like(p.data) for p in self.params]

    def step(self) -> None:
        self.t += 1
        b1, b2, eps, wd = self.beta1, self.beta2, self.eps, self.weight_decay
        bc1 = 1.0 - b1 ** self.t
        bc2_sqrt = math.sqrt(1.0 - b2 ** self.t)
        step_size = self.lr / bc1
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            w = p.data
            m, v, tmp, tmp2 = self._m[i], self._v[i], self._scratch[i], self._scratch2[i]
            if wd:
                np.multiply(w, wd, out=tmp2)
                tmp2 += g
                g = tmp2
            m *= b1
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= bc2_sqrt
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            w -= tmp

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {"t": np.asarray(self.t, dtype=np.int64)}
        for i in range(len(self.params)):
            out[f"m.{i}"] = self._m[i].copy()
            out[f"v.{i}"] = self._v[i].copy()
        return out

    def load_state_dict(self, state: dict) -> None:
        m = self._load_buffers(state, "m")
        v = self._load_buffers(state, "v")
        if "t" not in state or any(x is None for x in m + v):
            raise InvalidValueError("optimizer state: the Adam state is incomplete (t, m.i and v.i are needed)")
        self._m, self._v, self.t = m, v, int(np.asarray(state["t"]))


def make_optimizer(name: str, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> Optimizer:
    """``"sgd"`` or ``"adam"`` by name (momentum applies to SGD only)."""
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return Adam(params, lr=lr, weight_decay=weight_decay)
    raise InvalidValueError(f"optimizer {name!r} is not one of {', '.join(OPTIMIZERS)}")

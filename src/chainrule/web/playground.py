"""The playground's API: a request in, the library's answer out as JSON, with no server state.

A request carries everything: the data recipe (or your own points), the
problem (classes, or a target value: regression), the features the network
reads, its shape, the optimiser and regularization settings, and, to
continue, the weights of the last answer and its step count. It becomes a
``chainrule.playground.Setup`` (``setup_of``); the library trains
(``chainrule.playground.training``) or steps through one weight's backward
pass (``chainrule.stepthrough.playground``), and this module writes the answer
the page draws: the new weights, the network's answer on a grid, the loss
curves, each parameter's gradient ∂C/∂θ (signed: the step is θ ← θ − lr·∂C/∂θ),
each neuron's output as a small heat map (bytes, base64-packed:
``_quantized``), and whether the loss swings.

Training to watch is a *stream* (``stream``): one frame every few steps, each
frame the answer above for its steps, written as one line of JSON as soon as
it is computed, so the page draws the training as it happens. Each frame is a
job of the training pool of its own (a stream never holds a worker between
frames, so other requests get their turn), and a stream is bounded: at most
``MAX_FRAMES`` frames and ``MAX_STREAM_SECONDS`` seconds, after which it says
why it ended and the page opens the next one from its last frame.
"""

from __future__ import annotations

import base64
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import AsyncIterator, Callable

import anyio
import anyio.to_thread
import numpy as np

from .. import csv_points
from ..playground.network import NAME as ENGINE
from ..playground.rebuild import Focus
from ..playground.setup import Setup
from ..playground.training import Training
from ..playground.training import HISTORY_POINTS, swinging
from ..playground.training import train as train_network
from ..stepthrough.playground import trace as trace_network
from .api_models import (COORD_LIMIT, MAX_CLASSES, MAX_FRAMES, MAX_POINTS, MAX_STREAM_SECONDS, TARGET_LIMIT,
                         WEIGHT_LIMIT, PlaygroundNetwork, PlaygroundRequest, PlaygroundStreamRequest,
                         PlaygroundTraceRequest, PointsCsvRequest)
from .capacity import Busy, Capacity

__all__ = ["setup_of", "train", "trace", "read_csv", "Frame", "frame", "stream", "SWING_FRAMES"]

# A stream's loss swings when it swung over the last SWING_FRAMES frames (as a call records HISTORY_POINTS points).
SWING_FRAMES = HISTORY_POINTS
# At most this many frames a second: a screen shows no more, and the page's drawing shares the machine with training.
FRAMES_PER_SECOND = 30


def setup_of(req: PlaygroundNetwork) -> Setup:
    """The library's ``Setup`` for a request: the same fields, and the weight limit a client can send back."""
    return Setup(
        dataset=req.dataset, points=tuple(req.points), values=tuple(req.values), n_points=req.n_points,
        noise=req.noise, seed=req.seed, test_fraction=req.test_fraction, features=tuple(req.features),
        layers=tuple(req.layers), activation=req.activation, activations=tuple(req.activations or ()),
        learning_rate=req.learning_rate,
        batch_size=req.batch_size, regularization=req.regularization, regularization_rate=req.regularization_rate,
        step=req.step, params=None if req.params is None else tuple((layer.W, layer.b) for layer in req.params),
        weight_limit=WEIGHT_LIMIT,
    )


def _quantized(values: np.ndarray) -> dict:
    """A heat map as bytes: each value v becomes round(255·(v − lo)/(hi − lo)), base64-packed, with lo and hi."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo
    q = np.zeros(values.shape, np.uint8) if span <= 0 else np.rint((values - lo) * (255.0 / span)).astype(np.uint8)
    return {"lo": lo, "hi": hi, "q": base64.b64encode(q.tobytes()).decode("ascii")}


def _answer(req: PlaygroundRequest, t: Training) -> dict:
    """What the page draws of a training: JSON-ready numbers, the heat maps packed as bytes."""
    (Xtr, ytr), (Xte, yte) = t.train_points, t.test_points
    history = [r.to_json() for r in t.history]
    boundary = {"x": t.axis.tolist(), "y": t.axis.tolist(), "extent": t.extent}
    if t.probabilities is not None and t.probabilities.shape[2] > 2:  # several classes: the likeliest, and how likely
        boundary |= {"label": t.probabilities.argmax(axis=2).tolist(), "top": t.probabilities.max(axis=2).tolist()}
    else:  # P(class 1), or the value
        boundary["p"] = t.boundary.tolist()
    answer = {
        "step": t.step,
        "diverged": t.diverged,
        "swinging": t.swinging,
        "problem": req.problem,
        "classes": req.classes,
        "sizes": req.sizes(),
        "features": list(req.features),
        "activations": list(req.activations or [req.activation] * len(req.layers)),
        "params": [{"W": W.tolist(), "b": b.tolist()} for W, b in t.network.params()],
        "gradients": [{"W": gW.tolist(), "b": gb.tolist()} for gW, gb in t.gradients],
        "gradient_norms": t.gradient_norms,
        "history": history,
        "metrics": history[-1],
        "train_points": np.column_stack([Xtr, ytr]).tolist(),
        "test_points": np.column_stack([Xte, yte]).tolist(),
        "boundary": boundary,
        "engine": ENGINE,
        "max_steps_per_call": req.max_steps_per_call(),
    }
    if t.neuron_inputs is not None:
        inputs = t.neuron_inputs
        answer["neurons"] = {
            "grid": req.neuron_grid,
            "features": [_quantized(inputs[:, k]) for k in range(inputs.shape[1])],
            "layers": [[_quantized(layer[:, j]) for j in range(layer.shape[1])] for layer in t.neuron_outputs],
        }
    return answer


def train(req: PlaygroundRequest) -> dict:
    """``req.steps`` steps of training from the request's network, and the pictures of where it got."""
    return _answer(req, train_network(setup_of(req), req.steps, req.grid, req.neuron_grid))


@dataclass(frozen=True)
class Frame:
    """One frame of a stream, as a job for the training pool: ``steps`` steps of the stream's network from
    ``params`` (JSON's lists, or None: the seeded start) at ``step``; ``recent``: the training losses of the
    frames before it, for ``swinging``."""

    stream: PlaygroundStreamRequest
    steps: int
    params: list | None
    step: int
    recent: tuple = ()


def frame(job: Frame) -> dict:
    """A frame: the answer of ``train`` for its steps, recording the last step, and whether the loss swings over
    this frame and the ones before it."""
    req = job.stream.frame(job.steps, job.params, job.step)
    t = train_network(setup_of(req), req.steps, req.grid, req.neuron_grid, history_points=1)
    answer = _answer(req, t)
    answer["swinging"] = swinging([*job.recent, *(r.train_loss for r in t.history)])
    return answer


def _line(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8") + b"\n"


async def stream(req: PlaygroundStreamRequest, pool: Capacity, first: bytes,
                 clock: Callable[[], float] = time.monotonic) -> AsyncIterator[bytes]:
    """The frames of ``req`` as lines of JSON, ``first`` (the first frame, computed before the answer began, so
    that a refusal is still an HTTP error) and then one per ``req.every`` steps, each computed in ``pool`` as soon
    as the one before it is written; then one line ``{"end": why, "step": …, "frames": …}``: "done" (every step
    taken), "diverged", "time" (``MAX_STREAM_SECONDS`` passed) or "busy" (the pool stayed full until then).

    The page reads each line as it arrives; a client that goes away ends the stream (Starlette cancels it).
    """
    deadline = clock() + MAX_STREAM_SECONDS
    recent: deque = deque(maxlen=SWING_FRAMES)
    sent, taken, body, why = 0, 0, first, "done"
    last = clock()
    while True:
        d = await anyio.to_thread.run_sync(json.loads, body)  # its weights and step, off the event loop
        yield body if body.endswith(b"\n") else body + b"\n"
        sent += 1
        taken += d["step"] - (req.step if sent == 1 else step)
        step = d["step"]
        recent.extend(r["train_loss"] for r in d["history"])
        if d["diverged"]:
            why = "diverged"
            break
        if taken >= req.steps or sent >= MAX_FRAMES:
            break
        if clock() > deadline:
            why = "time"
            break
        job = Frame(req, min(req.every, req.steps - taken), d["params"], step, tuple(recent))
        wait = last + 1 / FRAMES_PER_SECOND - clock()
        if wait > 0:  # no faster than a screen draws
            await anyio.sleep(wait)
        last = clock()
        body = None
        while body is None:
            try:
                body = (await pool.run(frame, job)).body
            except Busy as busy:
                if clock() + busy.retry_after > deadline:
                    why = "busy"
                    break
                await anyio.sleep(busy.retry_after)
        if body is None:
            break
    yield _line({"end": why, "step": step, "frames": sent})


def trace(req: PlaygroundTraceRequest) -> dict:
    """The step-through of backprop to the focused neuron, weight or bias of the request's network."""
    f = req.focus
    return trace_network(setup_of(req), Focus(f.kind, f.layer, f.neuron, f.source), req.examples)


def read_csv(req: PointsCsvRequest) -> dict:
    """The points of CSV text, read by ``chainrule.csv_points`` within the playground's bounds.

    The minus sign the pages print (U+2212, −) is read as the hyphen-minus a keyboard types: what the page
    shows can be pasted back.
    """
    points = csv_points.parse_points(
        req.csv.replace("\u2212", "-"), kind=req.problem, classes=MAX_CLASSES, max_points=MAX_POINTS,
        coord_limit=COORD_LIMIT, target_limit=TARGET_LIMIT, source="csv",
    )
    return {"points": points.rows(), "count": len(points), "classes": points.classes, "problem": req.problem}

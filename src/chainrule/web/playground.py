"""The playground's API: a request in, the library's answer out as JSON, with no server state.

A request carries everything: the data recipe (or your own points), the
problem (classes, or a target value: regression), the features the network
reads, its shape, the optimiser and regularization settings, and, to
continue, the weights of the last answer and its step count. It becomes a
``chainrule.playground.Setup`` (``setup_of``); the library trains
(``chainrule.playground.training``) or steps through one weight's backward
pass (``chainrule.stepthrough.playground``), and this module writes the answer
the page draws: the new weights, the network's answer on a grid, the loss
curves, each parameter's gradient, each neuron's output as a small heat map
(bytes, base64-packed: ``_quantized``), and whether the loss swings.
"""

from __future__ import annotations

import base64

import numpy as np

from .. import csv_points
from ..playground.network import NAME as ENGINE
from ..playground.rebuild import Focus
from ..playground.setup import CLASSES, Setup
from ..playground.training import Training
from ..playground.training import train as train_network
from ..stepthrough.playground import trace as trace_network
from .api_models import (COORD_LIMIT, MAX_POINTS, TARGET_LIMIT, WEIGHT_LIMIT, PlaygroundNetwork, PlaygroundRequest,
                         PlaygroundTraceRequest, PointsCsvRequest)

__all__ = ["setup_of", "train", "trace", "read_csv"]


def setup_of(req: PlaygroundNetwork) -> Setup:
    """The library's ``Setup`` for a request: the same fields, and the weight limit a client can send back."""
    return Setup(
        dataset=req.dataset, points=tuple(req.points), values=tuple(req.values), n_points=req.n_points,
        noise=req.noise, seed=req.seed, test_fraction=req.test_fraction, features=tuple(req.features),
        layers=tuple(req.layers), activation=req.activation, learning_rate=req.learning_rate,
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
    answer = {
        "step": t.step,
        "diverged": t.diverged,
        "swinging": t.swinging,
        "problem": req.problem,
        "sizes": req.sizes(),
        "features": list(req.features),
        "params": [{"W": W.tolist(), "b": b.tolist()} for W, b in t.network.params()],
        "gradients": [{"W": np.abs(gW).tolist(), "b": np.abs(gb).tolist()} for gW, gb in t.gradients],
        "gradient_norms": t.gradient_norms,
        "history": history,
        "metrics": history[-1],
        "train_points": np.column_stack([Xtr, ytr]).tolist(),
        "test_points": np.column_stack([Xte, yte]).tolist(),
        "boundary": {"x": t.axis.tolist(), "y": t.axis.tolist(), "p": t.boundary.tolist(), "extent": t.extent},
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


def trace(req: PlaygroundTraceRequest) -> dict:
    """The step-through of backprop to the focused neuron, weight or bias of the request's network."""
    f = req.focus
    return trace_network(setup_of(req), Focus(f.kind, f.layer, f.neuron, f.source), req.examples)


def read_csv(req: PointsCsvRequest) -> dict:
    """The points of CSV text, read by ``chainrule.csv_points`` within the playground's bounds."""
    points = csv_points.parse_points(
        req.csv, kind=req.problem, classes=CLASSES, max_points=MAX_POINTS,
        coord_limit=COORD_LIMIT, target_limit=TARGET_LIMIT, source="csv",
    )
    return {"points": points.rows(), "count": len(points), "classes": points.classes, "problem": req.problem}

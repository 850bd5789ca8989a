"""The JSON API of the explorer. Every endpoint computes with chainrule's engines; the pages only draw.

All compute endpoints take a JSON body checked by a model of ``api_models``
(so every request's work is bounded) and are plain ``def`` functions: FastAPI
runs them in its worker threads, so a slow request never blocks the others.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import api_models as m
from . import stepper, playground, simplest_view

router = APIRouter(prefix="/api", tags=["explorer"])


@router.get("/limits", summary="The bounds every request must stay within")
def limits() -> dict:
    """The largest work one request may ask for; anything beyond gets HTTP 422."""
    return {
        "max_layers": m.MAX_LAYERS,
        "max_neurons": m.MAX_NEURONS,
        "max_points": m.MAX_POINTS,
        "max_steps": m.MAX_STEPS,
        "datasets": list(m.Dataset.__args__),
        "activations": list(m.Activation.__args__),
        "lessons": stepper.available_lessons(),
    }


@router.post("/simplest", responses=m.REFUSALS, summary="The video's network: forward pass, chain rule, descent, verdict")
def simplest(req: m.SimplestRequest) -> dict:
    """i —w→ a, C = (a − y)²: ``steps`` steps of gradient descent from ``weight``, explained at the last one."""
    return simplest_view.explore(req)


@router.post("/backprop", responses=m.REFUSALS, summary="A lesson network's forward values and its backward pass, one edge at a time")
def backprop(req: m.BackpropRequest) -> dict:
    """The nodes and edges of the lesson's graph, and one event per edge in the order backpropagation visits them."""
    return stepper.trace_lesson(req.lesson)


@router.post("/playground", responses=m.REFUSALS, summary="Train a small network on 2-D points for a few steps")
def train_playground(req: m.PlaygroundRequest) -> dict:
    """Train ``steps`` steps from ``params`` (or from the seeded start) and return the network and its pictures."""
    return playground.train(req)

"""The JSON API of the explorer. Every endpoint computes with chainrule's engines; the pages only draw.

Every compute endpoint takes a JSON body checked by a model of ``api_models``
(so every request's work is bounded before it starts) and hands the work to a
bounded pool of the app (``capacity.Capacity``): ``lessons`` for the lesson
networks, ``training`` for the playground. A full pool refuses with 503 and
``Retry-After`` instead of queueing without end. ``/api/limits`` computes
nothing and is answered on the event loop, never behind a pool.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from .. import lessons
from ..csv_points import MAX_REPORTED, CsvError
from ..playground.setup import REGRESSION_SETS
from ..stepthrough.playground import MAX_TRACE_EDGES
from . import api_models as m
from . import playground, simplest_view, stepper

router = APIRouter(prefix="/api", tags=["explorer"])


@router.get("/limits", summary="The bounds every request must stay within")
async def limits() -> dict:
    """The largest work one request may ask for; anything beyond gets HTTP 422."""
    return {
        "max_layers": m.MAX_LAYERS,
        "max_neurons": m.MAX_NEURONS,
        "max_points": m.MAX_POINTS,
        "max_steps": m.MAX_STEPS,
        "max_work": m.MAX_WORK,
        "datasets": list(m.Dataset.__args__),
        "regression_datasets": list(REGRESSION_SETS),
        "activations": list(m.Activation.__args__),
        "features": list(m.Feature.__args__),
        "max_total_steps": m.MAX_TOTAL_STEPS,
        "max_frames": m.MAX_FRAMES,
        "max_stream_seconds": m.MAX_STREAM_SECONDS,
        "max_classes": m.MAX_CLASSES,
        "coord_limit": m.COORD_LIMIT,
        "target_limit": m.TARGET_LIMIT,
        "lessons": stepper.available_lessons(),
        "exercise_lessons": list(lessons.step_exercises()),
    }


@router.post("/simplest", response_model=dict, responses=m.REFUSALS,
             summary="The video's network: forward pass, chain rule, descent, verdict")
async def simplest(req: m.SimplestRequest, request: Request):
    """i —w→ a, C = (a − y)²: ``steps`` steps of gradient descent from ``weight``, explained at the last one."""
    return await request.app.state.lessons.run(simplest_view.explore, req)


@router.post("/backprop", response_model=dict, responses=m.REFUSALS,
             summary="A lesson network's forward values and its backward pass, one edge at a time")
async def backprop(req: m.BackpropRequest, request: Request):
    """The nodes and edges of the lesson's graph, and one event per edge in the order backpropagation visits them."""
    return await request.app.state.lessons.run(stepper.trace_lesson, req.lesson)


@router.post("/playground", response_model=dict, responses=m.REFUSALS,
             summary="Train a small network on 2-D points for a few steps",
             description=(
                 "Train `steps` steps from `params` (or from the seeded start) and return the network and its "
                 f"pictures. One request may ask for at most {m.MAX_WORK:,} = steps × parameters × points per batch "
                 "(the work budget; the answer's `max_steps_per_call` says how many steps that is for this network), "
                 "`params` must fit `layers`, and `activations` (when given) must name one activation per hidden "
                 "layer: each is refused with 422 saying so."
             ))
async def train_playground(req: m.PlaygroundRequest, request: Request):
    """Train ``steps`` steps from ``params`` (or from the seeded start) and return the network and its pictures."""
    return await request.app.state.training.run(playground.train, req)


@router.post("/playground/stream", response_model=None, responses={
                 **m.REFUSALS, 200: {"content": {"application/x-ndjson": {}},
                                     "description": "one line of JSON per frame, then one line saying why it ended"}},
             summary="Train a small network on 2-D points as a stream of frames, one line of JSON each",
             description=(
                 "Train `steps` steps from `params` (or from the seeded start), sending a frame every `every` steps "
                 "as soon as it is computed: each frame is what `/api/playground` answers for its steps, one line of "
                 "JSON (application/x-ndjson). The last line is `{\"end\": why, \"step\": …, \"frames\": …}`: "
                 "done, diverged, time (a stream lasts at most "
                 f"{m.MAX_STREAM_SECONDS:g} s) or busy. At most {m.MAX_FRAMES} frames, and each frame within the "
                 "work budget of one call; the first frame is computed before the answer starts, so a refusal is an "
                 "HTTP error as for `/api/playground`."
             ))
async def stream_playground(req: m.PlaygroundStreamRequest, request: Request):
    """The frames of training, streamed as they are computed."""
    pool = request.app.state.training
    first = await pool.run(playground.frame, playground.Frame(req, min(req.every, req.steps), _dumped(req.params),
                                                              req.step))
    return StreamingResponse(playground.stream(req, pool, first.body), media_type="application/x-ndjson",
                             headers={"Cache-Control": "no-store"})


def _dumped(params) -> list | None:
    """The weights of a request as JSON has them (a frame job carries them so)."""
    return None if params is None else [layer.model_dump() for layer in params]


@router.post("/playground/trace", response_model=dict, responses=m.REFUSALS,
             summary="Backprop to one neuron or weight of the playground's network, one edge at a time",
             description=(
                 "The network of `params` rebuilt as scalar Values for the first `examples` points of the batch of step "
                 "`step`, and its backward pass as the step-through page plays it (nodes, edges, one event per edge), "
                 "restricted to the paths from the focus to the cost; the layers nearest the cost are summarised when "
                 f"the paths hold more than {MAX_TRACE_EDGES} edges. `focus` must exist in the network "
                 "and `params` fit it: both are refused with 422 saying so."
             ))
async def trace_playground(req: m.PlaygroundTraceRequest, request: Request):
    """The step-through of backprop to the focused neuron, weight or bias of the current network."""
    return await request.app.state.training.run(playground.trace, req)


@router.post("/playground/points", response_model=dict, responses=m.REFUSALS,
             summary="Read points from CSV text (x, y, label): the points, or one refusal per bad line",
             description=(
                 "Each line is x, y, label (a class 0 or 1; for regression the target value); blank lines, `#` comments "
                 f"and a header line are skipped; at most {m.MAX_POINTS:,} points, coordinates and targets within "
                 f"±{m.COORD_LIMIT:g}. Bad lines are refused with 422, one `detail` entry per line (field `csv`), the "
                 f"first {MAX_REPORTED} of them; `more` says how many more."
             ))
async def read_points(req: m.PointsCsvRequest, request: Request):
    """The points of the CSV text, read by ``chainrule.csv_points``."""
    try:
        return await request.app.state.lessons.run(playground.read_csv, req)
    except CsvError as exc:  # one entry per bad line, the first MAX_REPORTED of them, and how many more
        listed = exc.problems[:MAX_REPORTED]
        detail = [{"field": "csv", "message": f"line {n}: {text}" if n else text, "line": n} for n, text in listed]
        content = {"error": str(exc), "detail": detail}
        if len(exc.problems) > len(listed):
            content["more"] = len(exc.problems) - len(listed)
        return JSONResponse(status_code=422, content=content)


# ------------------------------------------------------------ lesson parameters
# Every lesson of the ladder.
AnyLesson = Literal[tuple(lessons.LESSONS)]


@router.get("/lessons/{lesson}/params", responses={422: m.REFUSALS[422]},
            summary="What a lesson accepts: each parameter's default, bounds and help, as declared")
async def lesson_params(lesson: AnyLesson) -> dict:
    """The lesson's ``params`` (``chainrule.params``) as data: the pages build their controls from it, so the
    page, the API, the command line and the library state one bound per parameter."""
    return {"lesson": lesson, "params": lessons.load(lesson).params.to_json()}

"""The explorer's request models: every request says exactly how much work it asks for.

Each field is bounded (``ge``/``le``, list lengths, finite numbers only), so
no request can ask the server for more than a fixed amount of work or memory:
at most 6 hidden layers of 32 neurons, 2,000 points and 1,000 training steps
per call. A request outside the bounds is refused with HTTP 422 before any
computation starts; ``server.py`` turns pydantic's error into a message that
names the field and the allowed range (read from these very constraints, via
the OpenAPI schema).

Nothing a client sends is ever evaluated: choices are ``Literal`` names,
everything else is a number or a list of numbers.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The bounds of the issue: the most work one request may ask for.
MAX_LAYERS = 6
MAX_NEURONS = 32
MAX_POINTS = 2000
MAX_STEPS = 1000

# Numbers the simplest network accepts: big enough to explore, small enough to stay readable.
SIMPLE_LIMIT = 100.0
# Coordinates of the playground's 2-D points.
COORD_LIMIT = 10.0
# A weight sent back by the playground client (a trained network never gets near this).
WEIGHT_LIMIT = 1e6


def _finite(**bounds) -> Field:
    """A Field that refuses NaN and ±infinity, with the given bounds."""
    return Field(allow_inf_nan=False, **bounds)


class _Strict(BaseModel):
    """Unknown fields are refused, so a typo in a field name is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------- declared parameters
def _field(param):
    """The pydantic type and Field of one declared parameter (``chainrule.params.Param``): its bounds, exactly."""
    from typing import Literal as _Literal

    extra: dict = {}
    if param.nonzero:  # the schema says what validation refuses: 0 (and |x| below min_abs)
        extra["not"] = ({"exclusiveMinimum": -param.min_abs, "exclusiveMaximum": param.min_abs} if param.min_abs
                        else {"const": 0})
    bounds = {}
    if param.low is not None:
        bounds["gt" if param.low_open else "ge"] = param.low
    if param.high is not None:
        bounds["lt" if param.high_open else "le"] = param.high
    info = dict(description=param.help_text(), json_schema_extra=extra or None)
    if param.kind == "choice":
        return _Literal[tuple(param.choices)], Field(param.default, **info)
    if param.kind == "bool":
        return bool, Field(param.default, strict=True, **info)
    if param.kind == "int":
        return int, Field(param.default, strict=True, **bounds, **info)
    number = Annotated[float, Field(strict=True, allow_inf_nan=False, **bounds)]
    if param.kind == "floats":
        low, high = param.length
        return list[number], Field(list(param.default), min_length=low, max_length=high, **info)
    return float, Field(param.default, strict=True, allow_inf_nan=False, **bounds, **info)


def request_model(name: str, params, doc: str):
    """A request model with one field per declared parameter: the API takes exactly what the library takes.

    pydantic checks the bounds (and the schema states them); then the
    declaration's own ``check`` runs, so a refusal reads the same in the API
    as in the library and on the command line (``nonzero``, ``min_abs``).
    """
    from pydantic import create_model

    fields = {p.name: _field(p) for p in params}
    by_name = {p.name: p for p in params}

    def check(cls, value, info):
        return by_name[info.field_name].check(value)

    validator = field_validator(*by_name, mode="after")(classmethod(check))
    return create_model(name, __base__=_Strict, __doc__=doc, __validators__={"_declared": validator}, **fields)


# --------------------------------------------------------------------- simplest
from ..lessons import simplest as _simplest  # noqa: E402 - the lesson's parameters make the model

SimplestRequest = request_model(
    "SimplestRequest", _simplest.PARAMS,
    "The video's network i —w→ a, C = (a − y)², and ``steps`` steps of gradient descent from ``weight``.",
)


# --------------------------------------------------------------------- backprop
LessonName = Literal["simplest", "chain", "activation", "wide", "batch"]


class BackpropRequest(_Strict):
    """Which lesson network to step through."""

    lesson: LessonName = "wide"


# ------------------------------------------------------------------- playground
Dataset = Literal["moons", "circles", "xor", "spiral", "custom"]
Activation = Literal["tanh", "relu", "sigmoid"]
Coord = Annotated[float, _finite(ge=-COORD_LIMIT, le=COORD_LIMIT)]
Weight = Annotated[float, _finite(ge=-WEIGHT_LIMIT, le=WEIGHT_LIMIT)]
Neurons = Annotated[int, Field(ge=1, le=MAX_NEURONS)]


class LayerParams(_Strict):
    """One layer's parameters: ``W`` has one row per input and one column per neuron; ``b`` one per neuron."""

    W: Annotated[list[Annotated[list[Weight], Field(min_length=1, max_length=MAX_NEURONS)]],
                 Field(min_length=1, max_length=MAX_NEURONS)]
    b: Annotated[list[Weight], Field(min_length=1, max_length=MAX_NEURONS)]


class PlaygroundRequest(_Strict):
    """A 2-D classification problem, a network, and how many steps to train it.

    The server keeps nothing between calls: to continue training, send back
    the ``params`` and ``step`` of the last answer. Without ``params`` the
    network starts from its seeded initialisation. Training is deterministic:
    the minibatch of step t depends only on ``seed`` and t, so 300 steps in
    one call or in three give the same network.
    """

    dataset: Dataset = "moons"
    points: Annotated[
        list[tuple[Coord, Coord, Literal[0, 1]]],
        Field(max_length=MAX_POINTS, description="the points of the 'custom' dataset: [x, y, class]"),
    ] = []
    n_points: Annotated[int, Field(ge=10, le=MAX_POINTS, description="how many points to generate")] = 200
    noise: Annotated[float, _finite(ge=0, le=1, description="how noisy the generated points are")] = 0.1
    seed: Annotated[int, Field(ge=0, le=2**31 - 1, description="seeds the data, the split, the weights and the batches")] = 0
    test_fraction: Annotated[float, _finite(ge=0.1, le=0.5, description="share of the points kept for testing")] = 0.3
    layers: Annotated[
        list[Neurons], Field(max_length=MAX_LAYERS, description="neurons in each hidden layer")
    ] = [8, 8]
    activation: Activation = "tanh"
    learning_rate: Annotated[float, _finite(gt=0, le=10)] = 0.1
    batch_size: Annotated[int, Field(ge=1, le=MAX_POINTS)] = 32
    steps: Annotated[int, Field(ge=0, le=MAX_STEPS, description="training steps in this call")] = 0
    step: Annotated[int, Field(ge=0, le=10**7, description="steps already taken (the 'step' of the last answer)")] = 0
    params: Annotated[
        Optional[list[LayerParams]],
        Field(max_length=MAX_LAYERS + 1, description="the network to continue from (the 'params' of the last answer)"),
    ] = None
    grid: Annotated[int, Field(ge=8, le=80, description="resolution of the decision-boundary heatmap")] = 40


# ------------------------------------------------------------------- refusals
class Problem(BaseModel):
    """One thing wrong with a request: the field, a readable message, and what is allowed there."""

    field: str
    message: str
    allowed: str = ""
    type: str = ""


class ApiError(BaseModel):
    """The body of every refusal (422, 413): ``error`` is one line a person can read; ``detail`` one entry per problem."""

    error: str
    detail: list[Problem] = []


# The refusals every compute endpoint documents in the OpenAPI schema (the body really sent: ``server.py``).
REFUSALS = {
    422: {"model": ApiError, "description": "A field outside its bounds, or a value the engine refuses: one line per problem"},
    413: {"model": ApiError, "description": "The request body is larger than the server accepts"},
}

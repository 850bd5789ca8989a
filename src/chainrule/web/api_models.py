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

The schema says exactly what is accepted, no more and no less (schemathesis
holds it to that, ``tests/test_web_schema.py``):

* a list stops at its first bad item (``fail_fast``): a refusal names that
  one, so that the work and the list of errors stay bounded whatever the
  body holds;
* numbers and booleans are strict: ``true``, ``"5"`` or ``"0.1"`` are refused,
  never coerced (pydantic's lax mode would turn them into 1, 5 and 0.1);
* a whole number may be written ``5`` or ``5.0`` (JSON Schema's ``integer``
  counts both), never ``5.5`` or ``true``;
* a rule on one field is in the schema (``not`` for "at least 1e-150 away
  from 0"); what the schema cannot say, because it ties fields together
  (``params`` must fit ``layers``; the work budget), is in the operation's
  description and refused with a 422 that says so.

The playground's **work budget**: one request may ask for at most
``MAX_WORK`` = steps × parameters × points per batch. That product counts
the multiply-adds of training (each step runs the batch forward and backward
through every parameter), so it bounds the time of a request, whatever mix
of fields makes it up; each field alone is bounded too. The pictures and
metrics add a fixed amount on top (at most 26 evaluations of the points and
one grid of at most 80 × 80). The page asks for fewer steps per call when the
network is large (``max_steps_per_call`` in each answer).

A **stream** of training (``PlaygroundStreamRequest``) is bounded the same
way frame by frame (each frame's steps within the budget), and in all: at
most ``MAX_FRAMES`` frames, and ``MAX_STREAM_SECONDS`` seconds of computing,
after which it ends and says so.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, create_model,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from .. import lessons as _lessons
from ..playground.features import FEATURES as _FEATURES  # the features the library computes are the ones accepted
from ..playground.rebuild import FOCUS_KINDS
from ..playground.setup import (ACTIVATIONS, CLASSIFICATION_SETS, MAX_CLASSES, REGRESSION_SETS, REGULARIZATIONS,
                               classes_of, network_sizes, problem_of)

# The bounds of the issue: the most work one request may ask for.
MAX_LAYERS = 6
MAX_NEURONS = 32
MAX_POINTS = 2000
MAX_STEPS = 1000

# Coordinates of the playground's 2-D points.
COORD_LIMIT = 10.0
# A weight sent back by the playground client (a trained network never gets near this).
WEIGHT_LIMIT = 1e6
# The playground's work budget: steps × parameters × points per batch, per request (see the module docstring).
# About a quarter of a second of training on the dev machine; a maximal network still gets 45 steps a call.
MAX_WORK = 500_000_000
# How far the page trains (Train stops there and says so): a link retrains to its step when it is opened.
MAX_TOTAL_STEPS = 100_000
# A target value of the playground's regression points (the surfaces stay within ±1.5).
TARGET_LIMIT = 10.0
# The finest heat map of each neuron's output (a grid of n × n points), and how many points one step-through follows.
MAX_NEURON_GRID = 24
MAX_TRACE_EXAMPLES = 4
# The longest CSV text of points the playground reads: 2,000 lines of 40 characters. Even written as JSON's
# longest escapes (12 bytes for a character beyond U+FFFF) it stays under the server's body limit (a test checks).
MAX_CSV_CHARS = 80_000
# A stream of training frames (``/api/playground/stream``): at most MAX_FRAMES frames, each one call's work at most,
# and it ends after MAX_STREAM_SECONDS whatever is left (the page opens the next one from the last frame).
MAX_FRAMES = 600
MAX_STREAM_SECONDS = 20.0
MAX_STREAM_STEPS = MAX_FRAMES * MAX_STEPS
_LARGEST_STEP = ((7 + 1) * MAX_NEURONS + (MAX_LAYERS - 1) * (MAX_NEURONS + 1) * MAX_NEURONS + (MAX_NEURONS + 1) * 2) * MAX_POINTS
assert MAX_WORK >= _LARGEST_STEP, "the budget must allow at least one step of the largest network on the largest batch"


def _finite(**bounds) -> Field:
    """A Field that refuses NaN and ±infinity, with the given bounds."""
    return Field(allow_inf_nan=False, **bounds)


def _whole(value: Any) -> Any:
    """5.0 is the whole number 5 (JSON Schema's ``integer`` says so too); anything else goes on to the strict check."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _no_bool(value: Any) -> Any:
    """A class label is a number 0, 1, …, never ``true``/``false`` (Python's ``True == 1`` would let them through)."""
    if isinstance(value, bool):
        raise ValueError("a class label is a number 0, 1, …, not true or false")
    return value


# Strict numbers: an int or a float, never a bool or a string.
Number = Annotated[float, Strict()]


def whole(**bounds) -> Any:
    """A strict whole number within ``bounds`` (5 or 5.0; never 5.5, true or "5")."""
    # The bounds sit inside the before-validator, so that the schema shows them as minimum/maximum.
    return Annotated[int, Strict(), Field(**bounds), BeforeValidator(_whole)]


class _Strict(BaseModel):
    """Unknown fields are refused, so a typo in a field name is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------- declared parameters
def _field(param):
    """The pydantic type and Field of one declared parameter (``chainrule.params.Param``): its bounds, exactly."""
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
        return Literal[tuple(param.choices)], Field(param.default, **info)
    if param.kind == "bool":
        return Annotated[bool, Strict()], Field(param.default, **info)
    if param.kind == "int":
        return whole(**bounds), Field(param.default, **info)
    number = Annotated[Number, _finite(**bounds)]
    if param.kind == "floats":
        low, high = param.length
        return list[number], Field(list(param.default), min_length=low, max_length=high, fail_fast=True, **info)
    return Annotated[Number, _finite(**bounds)], Field(param.default, **info)


def request_model(name: str, params, doc: str):
    """A request model with one field per declared parameter: the API takes exactly what the library takes.

    pydantic checks the bounds (and the schema states them); then the
    declaration's own ``check`` runs, so a refusal reads the same in the API
    as in the library and on the command line (``nonzero``, ``min_abs``).
    """
    fields = {p.name: _field(p) for p in params}
    by_name = {p.name: p for p in params}

    def check(cls, value, info):
        return by_name[info.field_name].check(value)

    validator = field_validator(*by_name, mode="after")(classmethod(check))
    return create_model(name, __base__=_Strict, __doc__=doc, __validators__={"_declared": validator}, **fields)


# --------------------------------------------------------------------- simplest
SimplestRequest = request_model(
    "SimplestRequest", _lessons.load("simplest").params,  # the lesson's parameters make the model
    "The video's network i —w→ a, C = (a − y)², and ``steps`` steps of gradient descent from ``weight``.",
)


# --------------------------------------------------------------------- backprop
LessonName = Literal[_lessons.step_through()]
StepExerciseName = Literal[_lessons.step_exercises()]


class BackpropRequest(_Strict):
    """Which lesson network to step through."""

    lesson: LessonName = "wide"


# ------------------------------------------------------------------- playground
# The choices are the library's (``chainrule.playground.setup``): the API takes what the playground computes.
Dataset = Literal[CLASSIFICATION_SETS + REGRESSION_SETS]
Activation = Literal[ACTIVATIONS]
Feature = Literal[tuple(_FEATURES)]
Regularization = Literal[REGULARIZATIONS]
ProblemKind = Literal["classification", "regression"]
Coord = Annotated[Number, _finite(ge=-COORD_LIMIT, le=COORD_LIMIT)]
Target = Annotated[Number, _finite(ge=-TARGET_LIMIT, le=TARGET_LIMIT)]
Weight = Annotated[Number, _finite(ge=-WEIGHT_LIMIT, le=WEIGHT_LIMIT)]
Neurons = whole(ge=1, le=MAX_NEURONS)
ClassLabel = Annotated[Literal[tuple(range(MAX_CLASSES))], BeforeValidator(_no_bool)]


class LayerParams(_Strict):
    """One layer's parameters: ``W`` has one row per input and one column per neuron; ``b`` one per neuron."""

    W: Annotated[list[Annotated[list[Weight], Field(min_length=1, max_length=MAX_NEURONS, fail_fast=True)]],
                 Field(min_length=1, max_length=MAX_NEURONS, fail_fast=True)]
    b: Annotated[list[Weight], Field(min_length=1, max_length=MAX_NEURONS, fail_fast=True)]


def _distinct(names: list) -> list:
    if len(set(names)) != len(names):
        raise ValueError("each feature at most once")
    return names


class PlaygroundNetwork(_Strict):
    """A 2-D problem (points of two or more classes, or points with a target value) and a network at some step.

    The server keeps nothing between calls: to continue, send back the
    ``params`` and ``step`` of the last answer. Without ``params`` the
    network starts from its seeded initialisation. Training is deterministic:
    the minibatch of step t depends only on ``seed`` and t.
    """

    dataset: Dataset = Field("moons", description=(
        "classification: moons, circles, xor, spiral (two classes), spiral3 (three), blobs (four), or 'custom' "
        "(the points field); regression: plane, gaussians, or 'custom_regression' (the values field)"))
    points: Annotated[
        list[tuple[Coord, Coord, ClassLabel]],
        Field(max_length=MAX_POINTS, fail_fast=True,
              description=f"the points of the 'custom' dataset: [x, y, class], classes 0 to {MAX_CLASSES - 1}"),
    ] = []
    values: Annotated[
        list[tuple[Coord, Coord, Target]],
        Field(max_length=MAX_POINTS, fail_fast=True,
              description="the points of the 'custom_regression' dataset: [x, y, target value]"),
    ] = []
    n_points: whole(ge=10, le=MAX_POINTS, description="how many points to generate") = 200
    noise: Annotated[Number, _finite(ge=0, le=1, description="how noisy the generated points are")] = 0.1
    seed: whole(ge=0, le=2**31 - 1, description="seeds the data, the split, the weights and the batches") = 0
    test_fraction: Annotated[Number, _finite(ge=0.1, le=0.9, description="share of the points kept for testing")] = 0.3
    features: Annotated[
        list[Feature], Field(min_length=1, max_length=len(_FEATURES), fail_fast=True, json_schema_extra={"uniqueItems": True},
                             description="what the network reads of each point (each at most once)"),
        AfterValidator(_distinct),
    ] = ["x1", "x2"]
    layers: Annotated[
        list[Neurons], Field(max_length=MAX_LAYERS, fail_fast=True, description="neurons in each hidden layer")
    ] = [8, 8]
    activation: Activation = Field("tanh", description="every hidden layer's activation, unless activations says each")
    activations: Annotated[
        Optional[list[Activation]],
        Field(max_length=MAX_LAYERS, fail_fast=True,
              description="one activation per hidden layer (as many as layers), or null for activation in every one"),
    ] = None
    learning_rate: Annotated[Number, _finite(gt=0, le=10)] = 0.1
    batch_size: whole(ge=1, le=MAX_POINTS) = 32
    regularization: Regularization = Field("none", description="l2 adds rate·½Σw² to the loss, l1 adds rate·Σ|w| (weights, not biases)")
    regularization_rate: Annotated[Number, _finite(ge=0, le=10, description="the regularization rate λ")] = 0.0
    step: whole(ge=0, le=10**7, description="steps already taken (the 'step' of the last answer)") = 0
    params: Annotated[
        Optional[list[LayerParams]],
        Field(min_length=1, max_length=MAX_LAYERS + 1, fail_fast=True,
              description="the network to continue from (the 'params' of the last answer)"),
    ] = None

    @field_validator("activations")
    @classmethod
    def _one_per_layer(cls, acts, info):
        layers = info.data.get("layers")
        if acts is not None and layers is not None and len(acts) != len(layers):
            raise ValueError(f"{len(acts)} activations for {len(layers)} hidden layers; allowed: exactly one per "
                             "hidden layer, or null for activation in every one")
        return acts

    @property
    def problem(self) -> str:
        return problem_of(self.dataset)

    @property
    def classes(self) -> int:
        """The classes of a classification (the network's logits); 0 for regression."""
        return classes_of(self.dataset, self.points)

    def sizes(self) -> list[int]:
        """Neurons per layer: the features, the hidden layers, then one logit per class (classification) or 1 value."""
        return network_sizes(len(self.features), self.layers, self.problem, self.classes)

    def parameters(self) -> int:
        """Weights and biases of the network: Σ (inputs + 1) × neurons over its layers."""
        sizes = self.sizes()
        return sum((sizes[k] + 1) * sizes[k + 1] for k in range(len(sizes) - 1))

    def available_points(self) -> int:
        if self.dataset == "custom":
            return len(self.points)
        if self.dataset == "custom_regression":
            return len(self.values)
        return self.n_points

    def batch_points(self) -> int:
        """Points in one training batch (at most): the batch size, or every point if there are fewer."""
        return max(1, min(self.batch_size, self.available_points()))


class PlaygroundRequest(PlaygroundNetwork):
    """A problem, a network, and how many steps to train it (see ``PlaygroundNetwork``).

    300 steps in one call or in three give the same network.
    """

    steps: whole(ge=0, le=MAX_STEPS, description="training steps in this call") = 0
    grid: whole(ge=8, le=80, description="resolution of the decision-boundary heatmap") = 40
    neuron_grid: whole(ge=0, le=MAX_NEURON_GRID,
                       description="resolution of each neuron's own heat map (0: none)") = 0

    def work(self) -> int:
        """The training work this request asks for: steps × parameters × points per batch (≤ ``MAX_WORK``)."""
        return self.steps * self.parameters() * self.batch_points()

    def max_steps_per_call(self) -> int:
        """The most steps one request of this network and batch may ask for within the work budget."""
        return min(MAX_STEPS, MAX_WORK // (self.parameters() * self.batch_points()))

    @model_validator(mode="after")
    def _within_the_work_budget(self) -> "PlaygroundRequest":
        if self.work() > MAX_WORK:
            raise PydanticCustomError(
                "work_budget",  # server.py names the budget as the field
                "steps × parameters × points per batch = {steps} × {parameters} × {points} = {work}, over the budget; "
                "allowed: at most {budget} per request, that is at most {most} steps a call for this network and "
                "batch (send the rest in further calls, with the params and step of the answer)",
                {"steps": self.steps, "parameters": self.parameters(), "points": self.batch_points(),
                 "work": f"{self.work():,}", "budget": f"{MAX_WORK:,}", "most": self.max_steps_per_call()},
            )
        return self


class PlaygroundStreamRequest(PlaygroundNetwork):
    """Train ``steps`` steps as a stream of frames, one every ``every`` steps (the last one takes what is left).

    Each frame is the answer ``/api/playground`` gives for its steps (recording the last step's loss), and
    ``swinging`` reads the losses of the last frames too. ``every`` is within the work budget of one call.
    """

    steps: whole(ge=1, le=MAX_STREAM_STEPS, description="training steps in the whole stream") = 20
    every: whole(ge=1, le=MAX_STEPS, description="training steps between two frames") = 1
    grid: whole(ge=8, le=80, description="resolution of the decision-boundary heatmap") = 40
    neuron_grid: whole(ge=0, le=MAX_NEURON_GRID,
                       description="resolution of each neuron's own heat map (0: none)") = 0

    def frames(self) -> int:
        """How many frames the stream sends: ⌈steps / every⌉."""
        return -(-self.steps // self.every)

    @model_validator(mode="after")
    def _within_the_budgets(self) -> "PlaygroundStreamRequest":
        per_step = self.parameters() * self.batch_points()
        if self.every * per_step > MAX_WORK:
            raise PydanticCustomError(
                "work_budget",
                "every × parameters × points per batch = {every} × {parameters} × {points} = {work}, over the budget "
                "of one frame; allowed: at most {budget}, that is every ≤ {most} for this network and batch",
                {"every": self.every, "parameters": self.parameters(), "points": self.batch_points(),
                 "work": f"{self.every * per_step:,}", "budget": f"{MAX_WORK:,}",
                 "most": min(MAX_STEPS, MAX_WORK // per_step)},
            )
        if self.frames() > MAX_FRAMES:
            raise PydanticCustomError(
                "work_budget",
                "steps / every = {steps} / {every} makes {frames} frames; allowed: at most {most} frames a stream "
                "(send more steps a frame, or open the next stream from the last frame)",
                {"steps": self.steps, "every": self.every, "frames": self.frames(), "most": MAX_FRAMES},
            )
        return self

    def frame(self, steps: int, params: list | None, step: int) -> PlaygroundRequest:
        """The request of one frame: ``steps`` steps from ``params`` (as JSON has them) at ``step``, with this
        stream's settings and pictures; checked like any request."""
        fields = self.model_dump(exclude={"steps", "every", "params", "step"}, exclude_none=True)
        return PlaygroundRequest.model_validate({**fields, "steps": steps, "params": params, "step": step})


class TraceFocus(_Strict):
    """What to follow backprop to: a neuron, one of its incoming weights, or its bias.

    ``layer`` counts the network's layers of neurons from 1 (the first hidden
    layer) to the output layer; ``neuron`` counts within it from 1;
    ``source`` (for a weight) is the input it multiplies, from 1: a feature
    for layer 1, a neuron of the layer before otherwise.
    """

    kind: Literal[FOCUS_KINDS] = "weight"
    layer: whole(ge=1, le=MAX_LAYERS + 1) = 1
    neuron: whole(ge=1, le=MAX_NEURONS) = 1
    source: whole(ge=1, le=max(MAX_NEURONS, len(_FEATURES))) = 1


class PlaygroundTraceRequest(PlaygroundNetwork):
    """The backward pass of the current network for the first ``examples`` points of the next step's batch."""

    focus: TraceFocus = TraceFocus()
    examples: whole(ge=1, le=MAX_TRACE_EXAMPLES, description="how many points of the batch the cost averages") = 1


class PointsCsvRequest(_Strict):
    """CSV text of points, one a line: x, y, label (a class 0 or 1, or for regression the target value)."""

    csv: Annotated[str, Field(max_length=MAX_CSV_CHARS, description="the CSV text: x, y, label per line")]
    problem: ProblemKind = "classification"


# ------------------------------------------------------------------- refusals
class Problem(BaseModel):
    """One thing wrong with a request: the field, a readable message, and what is allowed there."""

    field: str
    message: str
    allowed: str = ""
    type: str = ""


class ApiError(BaseModel):
    """The body of every refusal (422, 413, 503): ``error`` is one line a person can read; ``detail`` one entry per
    problem, the first few of them; ``more``: how many more problems there are (absent when none)."""

    error: str
    detail: list[Problem] = []
    more: int = Field(0, ge=0, description="problems found beyond those listed in detail")


# The refusals every compute endpoint documents in the OpenAPI schema (the body really sent: ``server.py``).
REFUSALS = {
    422: {"model": ApiError, "description": "A field outside its bounds, or a value the engine refuses: one line per problem"},
    413: {"model": ApiError, "description": "The request body is larger than the server accepts"},
    503: {"model": ApiError, "description": "Every worker of this kind is busy and its queue is full: "
                                            "try again after the seconds in the Retry-After header"},
}

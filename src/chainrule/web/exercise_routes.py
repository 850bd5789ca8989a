"""The exercise mode's API: the questions of a lesson with a learner's numbers, and one answer checked.

    POST /api/exercise/questions  {lesson, seed}                    the questions of ``chainrule exercise``
    POST /api/exercise/steps      {lesson, seed}                    the step-through as questions (node:N, edge:E),
                                                                    and its trace with these numbers
    POST /api/exercise/check      {lesson, seed, question, answer,  right or wrong, the expected answer, the mistake
                                   earlier}                         and its cause (``earlier``: the learner's own
                                                                    answers to the steps before, optional)

The answer is read by ``chainrule.exercises.answers`` (its own grammar: no
``eval``, no ``sympify``); text that is not an answer is a 422 with one line,
as every refusal of the explorer. Every field is bounded: a known lesson, a
seed within its declared range, an id of at most ``MAX_ID`` characters and an
answer of at most ``answers.MAX_CHARS``; ``earlier`` holds at most
``MAX_EARLIER`` answers, each an id of a step before the question asked (a
422 naming the id otherwise) and an answer as bounded as ``answer``. With
them a step is marked as a teacher marks it (right when it follows rightly
from the learner's own earlier numbers) and a wrong product is named by its
cause (``chainrule.exercises.steps.check_answer``, which the static
explorer calls too). The exercises are cached (a bounded number, see
``exercises.exercise``); nothing is kept per client.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from .. import lessons
from ..exercises.answers import MAX_CHARS
from ..exercises.draw import SEED
from ..exercises.exercise import build
from ..exercises.steps import MAX_EARLIER, MAX_ID, check_answer, step_exercise, step_questions
from ..stepthrough.graph import trace_graph
from . import api_models as m

router = APIRouter(prefix="/api", tags=["exercises"])

QuestionId = Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=r"^[\w:/]+$")]
ExerciseLesson = Literal[tuple(lessons.LESSONS)]
Seed = Annotated[Optional[m.whole(ge=SEED.low, le=SEED.high)],
                 Field(description="the learner's numbers (none: the lesson's own)")]


class ExerciseRequest(BaseModel):
    """Which lesson, with whose numbers."""

    model_config = ConfigDict(extra="forbid")
    lesson: ExerciseLesson = "simplest"
    seed: Seed = None


class StepsRequest(ExerciseRequest):
    """A lesson of the step-through page that it offers as an exercise, with whose numbers."""

    lesson: m.StepExerciseName = "simplest"


class EarlierAnswer(BaseModel):
    """The learner's own answer to a step before the one asked."""

    model_config = ConfigDict(extra="forbid")
    question: Annotated[QuestionId, Field(description="a step before the one asked: 'node:2', 'edge:4'")]
    answer: Annotated[str, Field(max_length=MAX_CHARS, description="what the learner answered there")]


class CheckRequest(ExerciseRequest):
    """One answer to one question."""

    question: Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=r"^[\w:/]+$",
                                   description="the question's id: 'dC/dw', 'node:2', 'edge:4'")]
    answer: Annotated[str, Field(max_length=MAX_CHARS,
                                 description="a number (1.2) or a formula in the lesson's symbols (2*(a-y)*i)")]
    earlier: Annotated[Optional[list[EarlierAnswer]],
                       Field(max_length=MAX_EARLIER,
                             description="the learner's own answers to the steps before this one, each once, "
                                         "for follow-through credit and the cause of a wrong product")] = None


class Verdict(BaseModel):
    """The mark of one answer."""

    id: str
    name: str
    kind: str
    given: str
    value: Optional[float]
    correct: bool
    expected: float
    expected_text: str
    mistake: Optional[str] = Field(description="the kind of mistake named, if one fits")
    diagnosis: str = Field(description="what is wrong and its cause, when they can be said ('' otherwise)")
    hint: str = Field(description="what to recompute (never the answer)")
    answer: str = Field(description="the whole answer, to show after a second miss")
    note: str
    follows: list[str] = Field(description="a right answer computed from the learner's own wrong earlier one: the id "
                                           "of the answer that went wrong first (marked there)")


@router.post("/exercise/questions", responses=m.REFUSALS, summary="A lesson's exercise: the questions, no answers")
def questions(req: ExerciseRequest) -> dict:
    """The network, the numbers given and the questions of ``chainrule exercise LESSON --seed N``."""
    return build(req.lesson, req.seed).to_json()


@router.post("/exercise/steps", responses=m.REFUSALS, summary="The step-through as questions, with these numbers")
def steps(req: StepsRequest) -> dict:
    """The questions of the step-through (``node:N``: a value, ``edge:E``: the running product along an edge) and
    the trace the page draws, computed with the learner's numbers."""
    data = step_questions(req.lesson, req.seed)
    data["trace"] = trace_graph(step_exercise(req.lesson, req.seed).view.cost)
    return data


@router.post("/exercise/check", responses=m.REFUSALS, response_model=Verdict,
             summary="Check one answer: right or wrong, the expected answer, the mistake it is")
def check(req: CheckRequest) -> dict:
    """Marks ``answer`` for ``question``: to 3 significant digits for a number, as a function for a formula.

    Refusals the schema cannot state name their field: a ``question`` id this lesson's exercise (with these
    numbers) does not have, an ``answer`` that is neither a number nor a formula in the lesson's symbols, and an
    ``earlier`` id that is not a step before ``question`` (or its answer not an answer).
    """
    earlier = [(given.question, given.answer) for given in req.earlier or []]
    return check_answer(req.lesson, req.seed, req.question, req.answer, earlier).to_json()

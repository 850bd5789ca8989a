"""The ladder: one module per rung, each ending with its ``Lesson`` (``lessons.contract``).

Every view (``chainrule lesson``, ``exercise``, ``worksheet``, ``slides``,
``graph``, ``code``, ``check``, the explorer) reads a lesson only through its
``Lesson``: name, summary, parameters, graph, training, explanation, tensor
form, picture. ``register`` adds one more, such as a teacher's own lesson
from a file (``chainrule.lessons.from_file``); the registry checks it keeps
the contract and that its name is new.
"""

from __future__ import annotations

from ..errors import InvalidValueError
from . import (activation, batch, chain, conv, convexity, learning_rate, recurrent, simplest, softmax, wide,
               why_backprop)
from .contract import Lesson, LessonError

# name -> Lesson, in the order of the ladder
LESSONS: dict[str, Lesson] = {}
BUILT_IN = (simplest, chain, activation, wide, batch, why_backprop, learning_rate, softmax, conv, recurrent, convexity)


def register(lesson: Lesson) -> Lesson:
    """Add ``lesson`` to the ladder (after the others); a clear error if it is not a ``Lesson`` or its name is taken.

    The same file loaded again replaces its lesson (a teacher editing it in a notebook).
    """
    if not isinstance(lesson, Lesson):
        raise LessonError(f"only a chainrule Lesson can be registered, got {type(lesson).__name__}")
    known = LESSONS.get(lesson.name)
    if known is not None and known is not lesson and not (lesson.source and known.source == lesson.source):
        raise LessonError(f"a lesson called {lesson.name!r} exists already; give yours another name")
    LESSONS[lesson.name] = lesson
    return lesson


for _module in BUILT_IN:
    register(_module.LESSON)


def step_through() -> tuple[str, ...]:
    """The lessons the explorer's step-through offers, in the order of the ladder."""
    return tuple(name for name, lesson in LESSONS.items() if lesson.step_through is not None)


def step_exercises() -> tuple[str, ...]:
    """The lessons whose step-through the explorer also offers as an exercise ("I'll compute it")."""
    return tuple(name for name in step_through() if LESSONS[name].step_exercise)


def step_through_params(name: str) -> dict:
    """The parameters of lesson ``name``'s step-through graph that differ from its defaults."""
    lesson = load(name)
    if lesson.step_through is None:
        raise InvalidValueError(f"lesson {name!r} has no step-through; lessons with one: {', '.join(step_through())}")
    return lesson.step_through_params()


def load(name: str) -> Lesson:
    """The lesson called ``name``; a clear error naming the known lessons otherwise."""
    if name not in LESSONS:
        raise InvalidValueError(f"no lesson called {name!r}; known lessons: {', '.join(LESSONS)}")
    return LESSONS[name]


def run(name: str, **params):
    """Lesson ``name`` trained with ``params`` (the rest its defaults): ``(lesson, result)``."""
    lesson = load(name)
    return lesson, lesson.train(**params)


def graph(name: str, **params):
    """The cost ``Value`` of lesson ``name`` with ``params`` (the rest its defaults), after one backward pass."""
    return load(name).graph(**params)

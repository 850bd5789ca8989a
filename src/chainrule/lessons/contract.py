"""What a lesson is, as every view reads it: one typed ``Lesson``, checked when it registers.

A lesson is one file. Its module ends with a ``Lesson`` (``LESSON = Lesson(...)``)
naming everything a view needs, and nothing else is read from the module:

* ``name`` and ``summary``: how ``chainrule lesson --list`` shows it;
* ``params``: its numbers (``chainrule.params``), declared once: the
  command-line options, the explorer's request models, the exercises'
  draws and ``check`` all derive from them;
* ``graph(**params)``: the cost ``Value`` after one backward pass, whose
  weights and biases were made as ``Parameter``\\ s (so the exercises, the
  step-through and ``chainrule code`` know them without guessing from labels);
* ``train(**params)``: the lesson's whole story (its descent, its
  measurements), returning a result that ``explain(result)`` turns into the
  ``Report`` every renderer shows (text, Markdown, JSON);
* ``tensors(**params)``: optionally, the same network written with
  ``chainrule.Tensor`` (vectors and matrices), from which ``chainrule code
  --lang numpy|torch`` is generated;
* ``plot(result, path)``: optionally, its picture;
* ``step_through``: the parameters the explorer's step-through uses when the
  defaults make a graph too long to follow edge by edge (``{}``: the defaults;
  ``None``: no step-through, as for why-backprop, whose point is that its paths
  are too many to list); ``step_exercise``: whether the step-through is also an
  exercise (one question per node and edge);
* ``reports_progress``: ``train`` takes ``progress=callback(done, total)``.

A teacher's own lesson (``chainrule.lesson``, from a file) is a ``Lesson`` too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidValueError
from ..params import Params

__all__ = ["Lesson", "LessonTensors", "LessonError"]

# a lesson's name is typed on the command line and in URLs: lower-case words joined by - or _
NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


class LessonError(InvalidValueError):
    """A lesson that does not keep the contract: names the lesson and what is wrong."""


@dataclass
class LessonTensors:
    """A lesson's network as tensors: ``loss`` (before ``backward()``), and each tensor parameter's scalar twins.

    ``pairs`` lists ``(scalar parameter, tensor name, index)``: the scalar
    ``Parameter`` of the lesson's graph that the tensor entry ``name[index]``
    stands for, so a test can hold the two side by side (same cost, same
    gradients); ``cost`` is the lesson's scalar cost with the same numbers.
    """

    loss: Any
    cost: Any
    pairs: list


@dataclass(frozen=True)
class Lesson:
    """One rung of the ladder (see the module docstring for what each field means)."""

    name: str
    summary: str
    params: Params
    graph: Callable[..., Any]
    train: Callable[..., Any]
    explain: Callable[[Any], Any]
    tensors: Callable[..., LessonTensors] | None = None
    plot: Callable[[Any, str], None] | None = None
    step_through: Mapping[str, Any] | None = field(default_factory=dict)
    step_exercise: bool = True
    reports_progress: bool = False
    source: str = ""  # the file a teacher's lesson came from ("" for the built-in ones)

    def __post_init__(self):
        if not isinstance(self.name, str) or not NAME.fullmatch(self.name):
            raise LessonError(f"lesson name {self.name!r}: allowed are 1-40 lower-case letters, digits, - and _, "
                              "starting with a letter")
        where = f"lesson {self.name!r}"
        if not isinstance(self.summary, str) or not self.summary.strip():
            raise LessonError(f"{where}: summary must be a line of text, got {self.summary!r}")
        if not isinstance(self.params, Params):
            raise LessonError(f"{where}: params must be a chainrule.params.Params, got {type(self.params).__name__}")
        for key in ("graph", "train", "explain"):
            if not callable(getattr(self, key)):
                raise LessonError(f"{where}: {key} must be a function")
        for key in ("tensors", "plot"):
            value = getattr(self, key)
            if value is not None and not callable(value):
                raise LessonError(f"{where}: {key} must be a function or None")
        if self.step_through is not None:
            if not isinstance(self.step_through, Mapping):
                raise LessonError(f"{where}: step_through must be a mapping of parameters or None")
            unknown = [k for k in self.step_through if k not in self.params]
            if unknown:
                raise LessonError(f"{where}: step_through names {', '.join(unknown)}, not parameters of the lesson")
        if not isinstance(self.step_exercise, bool) or not isinstance(self.reports_progress, bool):
            raise LessonError(f"{where}: step_exercise and reports_progress must be True or False")
        if "learning_rate" in self.params and self.params["learning_rate"].kind != "float":
            raise LessonError(f"{where}: learning_rate must be a number")

    @property
    def plots(self) -> bool:
        """Whether the lesson draws a picture (``--plot FILE``)."""
        return self.plot is not None

    def cost(self, **params):
        """The cost ``Value`` with ``params`` (the rest the defaults), after one backward pass."""
        return self.graph(**params)

    def step_through_params(self) -> dict:
        """The parameters of the step-through's graph that differ from the defaults."""
        if self.step_through is None:
            raise InvalidValueError(f"lesson {self.name!r} has no step-through")
        return dict(self.step_through)

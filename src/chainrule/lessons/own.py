"""Your own lesson: one Python function, every view chainrule has.

A teacher writes the cost of their example as a function whose keyword
defaults are the lesson's numbers, and marks its weights with ``parameter``::

    from chainrule import lesson, parameter

    @lesson("A tanh neuron with a bias")
    def tanh_neuron(x=0.5, w=-1.2, b=0.3, y=1.0, learning_rate=0.1):
        w, b = parameter(w, "w"), parameter(b, "b")
        return ((w * x + b).tanh() - y) ** 2

``@lesson`` turns the function into a ``Lesson`` (``lessons.contract``), the
same contract the built-in lessons keep, so ``chainrule lesson``,
``exercise``, ``worksheet``, ``slides``, ``graph``, ``code`` and ``check``
(each with ``--file``) and the explorer (``serve --lesson-file``) all read it:

* every keyword becomes an option (``--x 0.7``): a finite number, within the
  bounds given to ``@lesson(..., bounds={"x": (-1, 1)})`` if any;
* every argument reaches the function as a ``Value`` labelled with its name
  (a *given*: an input, a target), except ``learning_rate`` (the step size,
  a number > 0) and ``steps`` (how many steps of descent, default 5);
* a node made by ``parameter(arg, "name")`` is a parameter, which descent
  moves; it must start at one of the arguments, so that the lesson's numbers
  are all its options;
* the function returns the cost: one number built from the arguments.

The same function, called with ``chainrule.Tensor`` arguments, is the
lesson's tensor form (``chainrule code --lang numpy|torch``): the network is
written once. Anything wrong with the function is one ``LessonFileError``
naming the lesson (and the line of the file, for an exception inside it).
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import ChainruleError, InvalidValueError
from ..explainer import Derivation, explain as derive
from ..explainer.format import num
from ..explainer.forward import forward_lines
from ..explainer.report import Report, Section, Table
from ..gradcheck import graph_parameters
from ..params import Param, Params
from ..scalar import Value
from .contract import NAME, Lesson, LessonError, LessonTensors
from .descent import Descent, descend, ranking_section, stop_section

__all__ = ["lesson", "LessonFileError", "OwnResult", "STEPS"]

# The descent's length when the function does not take ``steps`` itself.
STEPS = Param("steps", 5, "descent steps", kind="int", low=0, high=1000)
LEARNING_RATE_HIGH = 1e3


class LessonFileError(LessonError):
    """A lesson function that cannot be run as a lesson: names the lesson, what is wrong and how to fix it."""


@dataclass
class OwnResult:
    """What ``train`` computed: the numbers, the cost after one backward pass, its derivation and its descent."""

    numbers: dict
    cost: Value
    derivation: Derivation
    descent: Descent | None

    def graph(self) -> Value:
        return self.cost


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def _declare(fn: Callable, where: str, bounds: Mapping[str, tuple]) -> Params:
    """The lesson's parameters, from the function's keyword defaults (and ``bounds``)."""
    signature = inspect.signature(fn)
    declared = []
    for arg in signature.parameters.values():
        if arg.kind in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD):
            raise LessonFileError(f"{where}: *{arg.name} is not allowed; every argument is a named number")
        if arg.default is inspect.Parameter.empty:
            raise LessonFileError(f"{where}: argument {arg.name!r} has no default; every argument's default is one "
                                  "of the lesson's numbers, e.g. x=0.5")
        if arg.name == "steps":
            if isinstance(arg.default, bool) or not isinstance(arg.default, int):
                raise LessonFileError(f"{where}: the default of 'steps' is {arg.default!r}; it counts descent steps, "
                                      "a whole number")
            declared.append(Param("steps", arg.default, "descent steps", kind="int", low=0, high=STEPS.high))
            continue
        if not _is_number(arg.default):
            raise LessonFileError(f"{where}: the default of {arg.name!r} is {arg.default!r}, not a number; every "
                                  "argument's default is one of the lesson's numbers (a finite number)")
        low, high = bounds.get(arg.name, (None, None))
        if arg.name == "learning_rate":
            declared.append(Param("learning_rate", float(arg.default), "the learning rate: the step size",
                                  low=0 if low is None else low, low_open=low is None,
                                  high=LEARNING_RATE_HIGH if high is None else high, flags=("--lr",), symbol="lr"))
            continue
        declared.append(Param(arg.name, float(arg.default), f"the number {arg.name}", low=low, high=high,
                              symbol=arg.name))
    unknown = [name for name in bounds if name not in signature.parameters]
    if unknown:
        raise LessonFileError(f"{where}: bounds name {', '.join(unknown)}, not arguments of the function")
    names = [p.name for p in declared]
    if "learning_rate" in names and "steps" not in names:
        declared.append(STEPS)
    return Params(*declared)


def _line_in(exc: BaseException, filename: str) -> str:
    """', line N' of the innermost frame of the lesson's own file in ``exc``'s traceback ('' if none)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return f", line {frames[-1].lineno}" if frames else ""


class _Function:
    """The teacher's function, called with the lesson's numbers as scalar or tensor arguments, its result checked."""

    def __init__(self, fn: Callable, name: str, params: Params):
        self.fn, self.name, self.params = fn, name, params
        self.filename = fn.__code__.co_filename
        self.where = f"lesson {name!r} ({os.path.basename(self.filename)})"
        self.arguments = set(inspect.signature(fn).parameters)

    def call(self, numbers_: dict, given: Callable[[str, float], object], moved: Mapping[str, float] | None = None):
        """The function's result, with each number made by ``given(name, number)`` (``moved`` replaces some)."""
        args = {}
        for p in self.params:
            if p.name not in self.arguments:
                continue  # steps added by the lesson, not taken by the function
            number = numbers_[p.name] if moved is None or p.name not in moved else moved[p.name]
            args[p.name] = number if p.name in ("learning_rate", "steps") else given(p.name, number)
        try:
            return self.fn(**args)
        except ChainruleError as exc:  # the engine refused a number (overflow, log of a negative): it says which
            raise type(exc)(f"{self.where}{_line_in(exc, self.filename)}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - the teacher's own code: any error is reported as one line
            raise LessonFileError(f"{self.where}{_line_in(exc, self.filename)}: {type(exc).__name__}: {exc}") from None

    def cost(self, numbers_: dict, moved: Mapping[str, float] | None = None) -> Value:
        """The scalar cost graph (before ``backward()``), checked: one number, built from at least one parameter."""
        out = self.call(numbers_, lambda name, number: Value(number, label=name), moved)
        if out is None:
            raise LessonFileError(f"{self.where}: the function returned nothing; return the cost, "
                                  "e.g. return (a - y) ** 2")
        if not isinstance(out, Value):
            what = f"the plain number {out!r}" if _is_number(out) else f"a {type(out).__name__}"
            raise LessonFileError(f"{self.where}: the function returned {what}, not one number computed from its "
                                  "arguments; return the cost built from them and parameter(...)")
        params = graph_parameters(out)
        if not params:
            raise LessonFileError(f"{self.where}: the cost has no parameter; mark the weights it learns, "
                                  "e.g. w = parameter(w, \"w\")")
        labels = [p.label for p in params]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise LessonFileError(f"{self.where}: two parameters are called {twice[0]!r}; give each its own name")
        for p in params:
            if p.origin not in numbers_ or p.origin in ("learning_rate", "steps"):
                raise LessonFileError(
                    f"{self.where}: parameter {p.label!r} starts at {num(p.data)}, a number written in the function; "
                    f"start it at an argument (def {self.fn.__name__}(..., {p.label}={num(p.data)}) and "
                    f"{p.label} = parameter({p.label}, \"{p.label}\")) so that it is one of the lesson's numbers")
        if not out.label:
            out.named("C")
        return out


def _explain_own(title: str, name: str) -> Callable[[OwnResult], Report]:
    def explain(result: OwnResult) -> Report:
        sections = [Section("Forward pass", forward_lines(result.cost), math=True),
                    Section("Chain rule: every parameter's gradient, path by path", derivation=result.derivation)]
        data = {"numbers": dict(result.numbers),
                "parameters": {p.name: p.value for p in result.derivation.parameters},
                "gradients": {p.name: p.total for p in result.derivation.parameters},
                "derivation": result.derivation.to_json()}
        if result.descent is not None:
            d = result.descent
            names = list(d.steps[0].parameters) if d.steps else []
            sections += [
                ranking_section(d.steps),
                Section(f"Gradient descent: p ← p − {num(d.learning_rate)}·∂C/∂p",
                        table=Table(["step", "C", *names],
                                    [[str(s.step), num(s.cost), *(num(s.parameters[n]) for n in names)]
                                     for s in d.steps])),
                *stop_section(d.stopped),
            ]
            data.update(d.to_json())
        return Report(name, title, sections, data)

    return explain


def lesson(title: str, *, name: str | None = None, bounds: Mapping[str, tuple] | None = None) -> Callable:
    """``@lesson("A tanh neuron with a bias")``: the decorated function becomes a ``Lesson`` (module docstring).

    ``name``: the lesson's name (default: the function's); ``bounds``: the
    allowed range of some arguments, ``{"x": (-1, 1)}`` (default: any finite
    number; ``learning_rate`` > 0).
    """
    if not isinstance(title, str) or not title.strip():
        raise LessonFileError(f"@lesson needs a title, a line of text; got {title!r}")
    if bounds is not None and not isinstance(bounds, Mapping):
        raise LessonFileError(f"@lesson: bounds must map argument names to (low, high); got {bounds!r}")

    def make(fn: Callable) -> Lesson:
        if not callable(fn) or not hasattr(fn, "__code__"):
            raise LessonFileError(f"@lesson decorates a function; got {type(fn).__name__}")
        lesson_name = name if name is not None else fn.__name__.lower()
        if not isinstance(lesson_name, str) or not NAME.fullmatch(lesson_name):
            raise LessonFileError(f"lesson name {lesson_name!r}: allowed are 1-40 lower-case letters, digits, - and _; "
                                  "name it with @lesson(..., name=\"my-lesson\")")
        where = f"lesson {lesson_name!r}"
        for key, pair in (bounds or {}).items():
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(_is_number(x) for x in pair)
                    and pair[0] < pair[1]):
                raise LessonFileError(f"{where}: the bounds of {key!r} are {pair!r}; write (low, high), low < high")
        try:
            params = _declare(fn, where, dict(bounds or {}))
        except LessonFileError:
            raise
        except InvalidValueError as exc:  # a default outside its own bounds
            raise LessonFileError(f"{where}: {exc}") from None
        function = _Function(fn, lesson_name, params)

        def graph(**given) -> Value:
            cost = function.cost(params.resolve(given))
            cost.backward()
            return cost

        def train(**given) -> OwnResult:
            numbers_ = params.resolve(given)
            cost = graph(**numbers_)
            wrt = graph_parameters(cost)
            descent = None
            if "learning_rate" in numbers_:
                start = {p.label: p.data for p in wrt}
                origin = {p.label: p.origin for p in wrt}
                descent = descend(lambda values: function.cost(numbers_, {origin[k]: v for k, v in values.items()}),
                                  start, numbers_["learning_rate"], numbers_["steps"])
            return OwnResult(numbers_, cost, derive(cost, wrt=wrt), descent)

        def tensors(**given) -> LessonTensors:
            from ..tensor import Tensor  # numpy: only when the tensor form is asked for

            numbers_ = params.resolve(given)
            cost = graph(**numbers_)
            loss = function.call(numbers_, lambda arg, number: Tensor(number, name=arg))
            if not isinstance(loss, Tensor) or loss.data.size != 1:
                raise LessonFileError(f"{where}: with tensors, the function returned {type(loss).__name__}, "
                                      "not one number; it has no tensor form")
            loss.name = loss.name or cost.label
            return LessonTensors(loss, cost, [(p, p.label, ()) for p in graph_parameters(cost)])

        return Lesson(name=lesson_name, summary=title.strip(), params=params, graph=graph, train=train,
                      explain=_explain_own(title.strip(), lesson_name), tensors=tensors,
                      source=os.path.abspath(fn.__code__.co_filename))

    return make

"""The explorer's API answered without a server: the same library calls as ``chainrule serve``'s endpoints.

The static explorer (``chainrule site --out DIR``) serves ``chainrule
serve``'s own pages from any static host. Their requests to ``/api/…`` never
leave the browser: ``static/js/python_backend.js`` hands each one to a worker
running chainrule in Pyodide, which calls ``answer(method, path, body)`` here
and gives its status and JSON back to the page as if a server had sent them.
One front end, two back ends; the numbers come from the same functions:

    GET  /api/limits                     what the pages may ask (the lessons of the step-through and its exercise)
    GET  /api/lessons/{lesson}/params    the lesson's parameters as declared (``params.Params.to_json``)
    POST /api/simplest                   the home page: ``simplest`` trained, explained, and its ``explorer()``
    POST /api/backprop                   the step-through of a lesson (``stepthrough.lesson.trace_lesson``)
    POST /api/exercise/questions         ``chainrule exercise LESSON --seed N``'s questions
    POST /api/exercise/steps             the step-through as questions, and its trace with those numbers
    POST /api/exercise/check             one answer marked (``exercises.steps.check_answer``)

A request is checked against the declarations the server's request models
are built from (the lesson's ``Params``, the exercise's seed ``SEED``, the
answer's ``MAX_CHARS``, ``MAX_ID``, ``MAX_EARLIER``); a refusal is the server's, HTTP 422 with a one-line
``error`` naming the value and what is allowed. The playground trains with
numpy, which Pyodide cannot load from our package sources: its endpoints
answer 501 saying to run ``chainrule serve``.

Nothing here imports numpy, an HTTP framework or pydantic (a test imports it
with those blocked), so it runs where only the standard library, sympy and
mpmath are. sympy itself is imported at the first answer that writes a
formula (the home page's closed form, the step-through's local derivatives
and names), not before: the limits and a lesson's parameters never load it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache

from .. import lessons
from ..errors import ChainruleError, InvalidValueError, refusal
from ..exercises.answers import MAX_CHARS
from ..exercises.draw import SEED
from ..exercises.exercise import build
from ..exercises.steps import MAX_EARLIER, MAX_ID, check_answer, step_exercise, step_questions
from ..stepthrough import lesson as step_through
from ..stepthrough.graph import trace_graph

__all__ = ["answer", "MAX_BODY"]

MAX_BODY = 65_536  # characters of one request's JSON: a check with MAX_EARLIER earlier answers fits
_QUESTION_ID = re.compile(r"[\w:/]+")
NO_PLAYGROUND = ("the playground trains with numpy, which the static explorer cannot load in the browser; "
                 "run `chainrule serve` on a computer with chainrule installed and open its /playground")


class Refused(InvalidValueError):
    """A request the static explorer does not answer: its HTTP status and one line saying why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def answer(method: str, path: str, body: str | None = None) -> tuple[int, str]:
    """The status and the JSON text ``chainrule serve`` would answer ``method path`` with this ``body``."""
    try:
        handler, arg = _route(method.upper(), path.split("?", 1)[0])
        return 200, json.dumps(handler(arg, _body(body)), allow_nan=False)
    except Refused as exc:
        return exc.status, json.dumps({"error": str(exc)})
    except ChainruleError as exc:  # a value the library refuses, as the server's 422
        return 422, json.dumps(refusal(exc))


# ------------------------------------------------------------------ endpoints
def _limits(_, body: dict) -> dict:
    return {"lessons": step_through.available(), "exercise_lessons": list(lessons.step_exercises())}


def _params(name: str, body: dict) -> dict:
    return {"lesson": name, "params": lessons.load(_lesson(name, lessons.LESSONS)).params.to_json()}


def _simplest(_, body: dict) -> dict:
    lesson = lessons.load("simplest")
    result = lesson.train(**lesson.params.resolve(body))
    data = lesson.explain(result).to_json()
    data.update(result.explorer())
    return data


def _backprop(_, body: dict) -> dict:
    _only(body, {"lesson"})
    return _trace(_lesson(body.get("lesson", "wide"), step_through.available()))


def _questions(_, body: dict) -> dict:
    _only(body, {"lesson", "seed"})
    return build(_lesson(body.get("lesson", "simplest"), lessons.LESSONS), _seed(body)).to_json()


def _steps(_, body: dict) -> dict:
    _only(body, {"lesson", "seed"})
    name, seed = _lesson(body.get("lesson", "simplest"), lessons.step_exercises()), _seed(body)
    data = step_questions(name, seed)
    data["trace"] = trace_graph(step_exercise(name, seed).view.cost)
    return data


def _check(_, body: dict) -> dict:
    _only(body, {"lesson", "seed", "question", "answer", "earlier"})
    name, seed = _lesson(body.get("lesson", "simplest"), lessons.LESSONS), _seed(body)
    qid, given = _question_id("question", body.get("question")), _answer_text("answer", body.get("answer"))
    earlier = body.get("earlier") or []
    if not isinstance(earlier, list) or len(earlier) > MAX_EARLIER:
        raise InvalidValueError(f"earlier: give a list of at most {MAX_EARLIER} {{question, answer}} objects")
    pairs = []
    for k, item in enumerate(earlier):
        if not isinstance(item, dict) or set(item) != {"question", "answer"}:
            raise InvalidValueError(f"earlier[{k}]: give an object with exactly question and answer")
        pairs.append((_question_id(f"earlier[{k}].question", item["question"]),
                      _answer_text(f"earlier[{k}].answer", item["answer"])))
    return check_answer(name, seed, qid, given, pairs).to_json()


def _no_playground(_, body: dict) -> dict:
    raise Refused(501, NO_PLAYGROUND)


_GET: dict[str, Callable[[str | None, dict], dict]] = {"/api/limits": _limits}
_POST: dict[str, Callable[[str | None, dict], dict]] = {
    "/api/simplest": _simplest,
    "/api/backprop": _backprop,
    "/api/exercise/questions": _questions,
    "/api/exercise/steps": _steps,
    "/api/exercise/check": _check,
}
_PARAMS = re.compile(r"/api/lessons/([\w-]{1,40})/params")


def _route(method: str, path: str) -> tuple[Callable[[str | None, dict], dict], str | None]:
    table = {"GET": _GET, "HEAD": _GET, "POST": _POST}.get(method)
    if table is None:
        raise Refused(405, f"method {method!r} is not allowed; the explorer's API answers GET and POST")
    if path in table:
        return table[path], None
    found = _PARAMS.fullmatch(path)
    if found and method != "POST":
        return _params, found.group(1)
    if path.startswith("/api/playground") or path == "/openapi.json":
        return _no_playground, None
    raise Refused(404, f"no endpoint {path!r} in the static explorer")


# -------------------------------------------------------------- the checking
def _body(text: str | None) -> dict:
    if text is None or text == "":
        return {}
    if len(text) > MAX_BODY:
        raise InvalidValueError(f"the request's body has {len(text):,} characters; at most {MAX_BODY:,} are allowed")
    try:
        body = json.loads(text)
    except ValueError:
        raise InvalidValueError("the request's body is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidValueError(f"the request's body must be a JSON object, got {type(body).__name__}")
    return body


def _only(body: dict, known: set[str]) -> None:
    extra = sorted(set(body) - known)
    if extra:
        raise InvalidValueError(f"unknown field {extra[0]!r}; known: {', '.join(sorted(known))}")


def _lesson(name, allowed) -> str:
    if not isinstance(name, str) or name not in allowed:
        raise InvalidValueError(f"lesson = {name!r} is not allowed; allowed: {', '.join(allowed)}")
    return name


def _question_id(field: str, qid) -> str:
    if not isinstance(qid, str) or not 1 <= len(qid) <= MAX_ID or not _QUESTION_ID.fullmatch(qid):
        raise InvalidValueError(f"{field}: {qid!r} is not a question id (at most {MAX_ID} letters, digits, "
                                "':' and '/', e.g. 'dC/dw', 'edge:4')")
    return qid


def _answer_text(field: str, text) -> str:
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        raise InvalidValueError(f"{field}: give it as text of at most {MAX_CHARS} characters")
    return text


def _seed(body: dict) -> int | None:
    seed = body.get("seed")
    return None if seed is None else SEED.check(seed)


@lru_cache(maxsize=len(lessons.step_through()))
def _trace(name: str) -> dict:
    """A lesson's step-through, computed once (it never changes), as ``web/stepper.py`` keeps it on the server."""
    return step_through.trace_lesson(name)

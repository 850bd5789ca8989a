"""Each learner's own numbers: a seed (or a name, hashed to one) drawn into the lesson's declared parameters.

The same seed always gives the same exercise, on any machine: the numbers
come from Python's ``random.Random(seed)`` (the same Mersenne Twister
everywhere), and everything after is the engine's arithmetic.

What is drawn, read from the lesson's ``params`` (no lesson writes anything
for its exercise):

* a number the network computes with (a ``float`` with a ``symbol``: the
  input i, the target y, the weight w, the learning rate lr) and every list
  of numbers (the inputs x₁ x₂, the weights w₁ w₂ w₃): one decimal, from
  −2 to 2 and never 0 (from 0.1 to 1 for a quantity that must be positive,
  the learning rate), always within the declared bounds; the learning
  rate is then kept only if the step it asks for descends, else drawn again
  from the rates that do (``descending_rates``, used by ``exercise``);
* an ``int`` called ``seed`` (the seed of a lesson's initial weights);
* the rest is the shape of the network and is not drawn: a choice (the
  activation) keeps its default, and a whole number (a size, a count of
  steps) is at most ``HAND_SIZE``, its default if smaller, so that the
  network can be worked by hand. Both can be set (``settings``).

A student's name becomes a seed by SHA-256 (``seed_for_student``): the
same name, written with any spacing or case, gives the same numbers.
"""

from __future__ import annotations

import hashlib
import random

from ..errors import InvalidValueError
from ..params import Param

__all__ = ["SEED", "MAX_NAME", "seed_for_student", "draw_params", "descending_rates", "structure", "HAND_SIZE",
           "GRID", "DIVERGING_GRID"]

SEED = Param("seed", 0, "the exercise's numbers: the same seed gives the same exercise", kind="int",
             low=0, high=2**31 - 1)
MAX_NAME = 80  # characters in a student's name
HAND_SIZE = 3
# The numbers a learner gets: one decimal, −2.0 … 2.0 without 0 (positive quantities: 0.1 … 1.0).
GRID = tuple(k / 10 for k in range(-20, 21) if k)
POSITIVE_GRID = tuple(k / 10 for k in range(1, 11))
# Where an exercise that diverges on purpose finds its rate: the same, and a few larger ones (a flat cost, such as a
# sigmoid's, needs a large step to overshoot).
DIVERGING_GRID = POSITIVE_GRID + (1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0)
# The range of a lesson's own seed (of its initial weights) that exercises draw from.
LESSON_SEEDS = 10_000


def seed_for_student(name: str, group: int | None = None) -> int:
    """A student's name as a seed: SHA-256 of the name with its spacing and case made plain.

    ``group``: a class's own seed, so that the same name in two classes gets two sets of numbers.
    """
    if not isinstance(name, str):
        raise InvalidValueError(f"a student's name is text, got {type(name).__name__}")
    plain = " ".join(name.split()).casefold()
    if not plain:
        raise InvalidValueError("a student's name must not be empty")
    if len(plain) > MAX_NAME:
        raise InvalidValueError(f"a student's name has at most {MAX_NAME} characters; got {len(plain)}")
    if not plain.isprintable():
        raise InvalidValueError(f"a student's name must be printable text; got {name!r}")
    salt = "" if group is None else f"class {SEED.check(group)}: "
    digest = hashlib.sha256(("chainrule student: " + salt + plain).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % (SEED.high + 1)


def _drawn(param: Param) -> bool:
    """Whether the exercise draws this parameter (see the module docstring)."""
    return (param.kind == "float" and bool(param.symbol)) or param.kind == "floats" or (
        param.kind == "int" and param.name == "seed")


def structure(params) -> dict:
    """The parameters that shape the network and are not drawn, at their exercise values (HAND_SIZE for sizes)."""
    out = {}
    for p in params:
        if _drawn(p) or p.kind not in ("int", "choice", "bool"):
            continue
        if p.kind == "int":
            low = p.low if p.low is not None else 0
            out[p.name] = min(p.default, max(int(low), HAND_SIZE))
        else:
            out[p.name] = p.default
    return out


def _number(param: Param, rng: random.Random) -> float:
    positive = param.low is not None and param.low >= 0
    allowed = [x for x in (POSITIVE_GRID if positive else GRID) if _fits(param, x)]
    if not allowed:
        return param.default if not isinstance(param.default, (list, tuple)) else param.default[0]
    return rng.choice(allowed)


def _fits(param: Param, x: float) -> bool:
    try:
        param.check_number(x, param.name)
    except InvalidValueError:
        return False
    return True


def descending_rates(param: Param, descends, grid: tuple[float, ...] = POSITIVE_GRID) -> list[float]:
    """The learning rates of ``grid`` (within ``param``'s bounds) for which ``descends(lr)``.

    An exercise's learning rate is drawn from these: the update it asks for must lower its own cost. (An exercise
    that diverges on purpose passes the opposite test, over ``DIVERGING_GRID``.)
    """
    return [x for x in grid if _fits(param, x) and descends(x)]


def draw_params(params, seed: int | None, settings: dict | None = None, rng: random.Random | None = None) -> dict:
    """The lesson's parameters for one exercise: drawn from ``rng`` (or seed), the shape from ``settings``.

    ``seed`` None: the lesson's own numbers (its defaults), in the exercise's shape.
    """
    out = dict(structure(params))
    if settings:
        unknown = [k for k in settings if k not in out]
        if unknown:
            raise InvalidValueError(f"{unknown[0]!r} cannot be set for an exercise; allowed: {', '.join(out) or 'none'}")
        out.update(settings)
    if seed is None and rng is None:
        return {**{p.name: p.default for p in params if _drawn(p)}, **out}
    rng = rng or random.Random(SEED.check(seed))
    for p in params:
        if not _drawn(p):
            continue
        if p.kind == "floats":
            out[p.name] = [_number(p, rng) for _ in range(len(p.default))]
        elif p.kind == "int":
            out[p.name] = rng.randrange(int(p.low), int(min(p.high, p.low + LESSON_SEEDS - 1)) + 1)
        else:
            out[p.name] = _number(p, rng)
    return out

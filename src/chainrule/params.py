"""Parameters declared once: name, default, bounds and help, for every place that takes them.

A lesson (or the trainer) says what it accepts in one list of ``Param``s::

    PARAMS = Params(
        Param("input", 1.5, "the input i", low=-1e3, high=1e3, nonzero="a = i·w is 0 whatever w: nothing to learn"),
        Param("learning_rate", 0.1, "the learning rate lr", low=0, low_open=True, high=10, flags=("--lr",)),
        Param("steps", 5, "descent steps", kind="int", low=0, high=1000),
    )

and everything else is derived from that one declaration:

* ``check`` / ``Params.resolve``: the library's own validation (a typed
  ``InvalidValueError`` naming the value and what is allowed);
* ``commands.options.add_params``: the command-line options, their types
  and help (with the default written in from the declaration);
* ``web.api_models``: the pydantic request models of the explorer's API
  (so the schema says exactly what the library accepts);
* ``to_json``: the bounds of the page's controls.

One bound per parameter, everywhere: the CLI, the API, the page and the
library cannot disagree, because none of them states a bound of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from .errors import InvalidValueError

__all__ = ["Param", "Params", "KINDS"]

KINDS = ("float", "int", "choice", "floats", "bool")


def _fmt(x) -> str:
    """A bound as people write it: 1000, 0.5, 1e+06 → 1e6, 2147483647."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    text = f"{x:g}"
    if "e+" in text:
        mantissa, exponent = text.split("e+")
        text = f"{mantissa}e{int(exponent)}"
    elif "e-" in text:
        mantissa, exponent = text.split("e-")
        text = f"{mantissa}e-{int(exponent)}"
    return text


@dataclass(frozen=True)
class Param:
    """One parameter: its name, default, what is allowed, and a line of help.

    ``kind``: "float" (a finite number), "int" (a whole number), "choice"
    (one of ``choices``), "floats" (a list of ``length`` finite numbers, each
    within the bounds) or "bool".

    Bounds: ``low`` ≤ x ≤ ``high``; ``low_open``/``high_open`` make them
    strict. ``nonzero``: 0 is refused, and this says why. ``help`` never
    states the default or the range: they are written in from here.
    """

    name: str
    default: Any
    help: str
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    nonzero: str = ""
    min_abs: float = 0.0  # with nonzero: |x| must also be at least this (an input whose square underflows)
    length: tuple[int, int] = (1, 1)
    flags: tuple[str, ...] = ()
    symbol: str = ""
    step: float | None = None  # a slider's step on the page (None: the page chooses)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Param {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"Param {self.name}: a choice needs choices")
        if self.default is not None:  # the declaration must obey itself
            self.check(self.default)

    # ----------------------------------------------------------------- words
    @property
    def flag(self) -> str:
        """The command-line option: learning_rate → --learning-rate."""
        return "--" + self.name.replace("_", "-")

    def range_text(self) -> str:
        """The bounds alone: 'from -1000 to 1000', '> 0 and <= 10', '>= 0'."""
        lo, hi = self.low, self.high
        if lo is not None and hi is not None:
            if not self.low_open and not self.high_open:
                return f"from {_fmt(lo)} to {_fmt(hi)}"
            return f"{'>' if self.low_open else '>='} {_fmt(lo)} and {'<' if self.high_open else '<='} {_fmt(hi)}"
        if lo is not None:
            return f"{'>' if self.low_open else '>='} {_fmt(lo)}"
        if hi is not None:
            return f"{'<' if self.high_open else '<='} {_fmt(hi)}"
        return ""

    def allowed(self) -> str:
        """What is allowed, in words: 'a finite number from -1000 to 1000, not 0', 'one of: sigmoid, tanh, relu'."""
        if self.kind == "choice":
            return "one of: " + ", ".join(str(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        noun = "a whole number" if self.kind == "int" else "a finite number"
        text = " ".join(filter(None, [noun, self.range_text()]))
        if self.nonzero:
            text += f", |x| >= {_fmt(self.min_abs)}" if self.min_abs else ", not 0"
        if self.kind == "floats":
            lo, hi = self.length
            count = f"exactly {lo}" if lo == hi else f"{lo} to {hi}"
            text = f"{count} numbers, each {text}"
        return text

    def help_text(self) -> str:
        """The help line with the default and the range written in: 'the input i (default 1.5; from -1000 to 1000)'."""
        default = self.default
        if isinstance(default, (list, tuple)):
            shown = " ".join(_fmt(x) for x in default)
        else:
            shown = _fmt(default) if isinstance(default, (int, float)) else str(default)
        extra = [] if default is None else [f"default {shown}"]  # None: the help says where the default comes from
        if self.kind in ("float", "int", "floats") and self.range_text():
            extra.append(self.range_text() + (", not 0" if self.nonzero else ""))
        return f"{self.help} ({'; '.join(extra)})" if extra else self.help

    # ------------------------------------------------------------------ check
    def check(self, value):
        """``value`` as this parameter's type, or ``InvalidValueError`` naming it and what is allowed."""
        if self.kind == "floats":
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                raise InvalidValueError(f"{self.name} = {value!r}: allowed: {self.allowed()}")
            lo, hi = self.length
            if not lo <= len(value) <= hi:
                raise InvalidValueError(f"{self.name}: got {len(value)} numbers; allowed: {self.allowed()}")
            return [self.check_number(x, f"{self.name}[{k}]") for k, x in enumerate(value)]
        if self.kind == "choice":
            if value not in self.choices or isinstance(value, bool) != isinstance(self.choices[0], bool):
                raise InvalidValueError(f"{self.name} = {value!r} is not allowed; allowed: {self.allowed()}")
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise InvalidValueError(f"{self.name} = {value!r}: allowed: {self.allowed()}")
            return value
        return self.check_number(value, self.name)

    def check_number(self, value, what: str):
        """One number (a list's item too) against the bounds; ``what`` names it in the error."""
        whole = self.kind == "int"
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not _is_real(value):
            raise InvalidValueError(f"{what} = {value!r} is not a number; allowed: {self.allowed()}")
        if whole:
            if isinstance(value, float) and not value.is_integer():
                raise InvalidValueError(f"{what} = {value!r} is not a whole number; allowed: {self.allowed()}")
            try:
                value = int(value)
            except (OverflowError, ValueError):
                raise InvalidValueError(f"{what} = {value!r} is not finite; allowed: {self.allowed()}") from None
        else:
            value = float(value)
            if not math.isfinite(value):
                raise InvalidValueError(f"{what} = {value!r} is not finite; allowed: {self.allowed()}")
        lo, hi = self.low, self.high
        if (lo is not None and (value < lo or (self.low_open and value == lo))) or \
                (hi is not None and (value > hi or (self.high_open and value == hi))):
            raise InvalidValueError(f"{what} = {_fmt(value)} is out of range; allowed: {self.allowed()}")
        if self.nonzero and value == 0:
            raise InvalidValueError(f"{what} = 0 is not allowed: {self.nonzero}; allowed: {self.allowed()}")
        if self.nonzero and abs(value) < self.min_abs:
            raise InvalidValueError(f"{what} = {value!r} is so close to 0 that its square underflows; "
                                    f"allowed: {self.allowed()}")
        return value

    # ------------------------------------------------------------------- json
    def to_json(self) -> dict:
        """The declaration as data, for the page's controls (and for anyone reading the API)."""
        out = {"name": self.name, "default": self.default, "kind": self.kind, "help": self.help,
               "allowed": self.allowed(), "flag": self.flag}
        for key in ("low", "high", "step"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.low_open:
            out["low_open"] = True
        if self.high_open:
            out["high_open"] = True
        if self.choices:
            out["choices"] = list(self.choices)
        if self.nonzero:
            out["nonzero"] = self.nonzero
            if self.min_abs:
                out["min_abs"] = self.min_abs
        if self.kind == "floats":
            out["length"] = list(self.length)
        if self.symbol:
            out["symbol"] = self.symbol
        return out


def _is_real(value) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, complex)


@dataclass(frozen=True)
class Params:
    """An ordered set of ``Param``s: the complete list of what one lesson or command takes."""

    items: tuple[Param, ...] = field(default_factory=tuple)

    def __init__(self, *items: Param):
        names = [p.name for p in items]
        if len(set(names)) != len(names):
            raise ValueError(f"Params: repeated names in {names}")
        object.__setattr__(self, "items", tuple(items))

    def __iter__(self) -> Iterator[Param]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, name: str) -> Param:
        for p in self.items:
            if p.name == name:
                return p
        raise KeyError(name)

    def __contains__(self, name: str) -> bool:
        return any(p.name == name for p in self.items)

    def names(self) -> list[str]:
        return [p.name for p in self.items]

    def defaults(self) -> dict:
        """name -> default, as fresh copies (a list default is never shared)."""
        return {p.name: list(p.default) if isinstance(p.default, (list, tuple)) else p.default for p in self.items}

    def resolve(self, given: dict | None = None, **more) -> dict:
        """Every parameter's checked value: the defaults, overridden by ``given`` (and keywords).

        An unknown name is refused, naming the known ones.
        """
        values = dict(given or {})
        values.update(more)
        unknown = [k for k in values if k not in self]
        if unknown:
            raise InvalidValueError(f"unknown parameter {unknown[0]!r}; known: {', '.join(self.names())}")
        out = self.defaults()
        for p in self.items:
            if p.name in values:
                out[p.name] = p.check(values[p.name])
        return out

    def to_json(self) -> list[dict]:
        return [p.to_json() for p in self.items]

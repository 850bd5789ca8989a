"""Argument types shared by the subcommands: each refuses bad input with one clear line.

An ``argparse`` type function raises ``argparse.ArgumentTypeError``; the parser
turns it into ``chainrule CMD: error: argument --x: <message>`` and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import os

from ..errors import InvalidValueError

FORMATS = ("text", "markdown", "json")


def finite_float(text: str) -> float:
    """A finite real number (refuses nan, inf and non-numbers)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a finite number such as 0.5") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"{text!r} is not finite; give a finite number such as 0.5")
    return x


def positive_float(text: str) -> float:
    """A finite number > 0."""
    x = finite_float(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return x


def int_in_range(low: int, high: int):
    """An integer type accepting low <= n <= high."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; allowed: {low} to {high}") from None
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"{n} is out of range; allowed: {low} to {high}")
        return n

    parse.__name__ = f"integer {low}..{high}"
    return parse


def output_file(*suffixes: str):
    """A path to write, whose suffix is one of ``suffixes`` and whose folder exists and is writable."""

    def parse(text: str) -> str:
        ext = os.path.splitext(text)[1].lower()
        if suffixes and ext not in suffixes:
            raise argparse.ArgumentTypeError(f"{text!r} must end in {' or '.join(suffixes)}")
        folder = os.path.dirname(os.path.abspath(text))
        if not os.path.isdir(folder):
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: folder {folder!r} does not exist")
        if not os.access(folder, os.W_OK) or (os.path.exists(text) and not os.access(text, os.W_OK)):
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: permission denied")
        if os.path.isdir(text):
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: it is a folder")
        return text

    parse.suffixes = suffixes  # what the file may end in (the CLI fuzzer reads it too)
    return parse


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")


# ------------------------------------------------------------- declared parameters
def _param_type(param):
    """The argparse type of one declared parameter: parse the text, then the declaration's own check."""
    whole = param.kind == "int"

    def parse(text: str):
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            noun = "a whole number" if whole else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}; allowed: {param.allowed()}") from None
        try:
            return param.check_number(value, "")  # a list's items are checked one by one, with the list's words
        except InvalidValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).replace(" = ", "", 1).lstrip()) from None

    parse.__name__ = param.allowed()
    return parse


class _Count(argparse.Action):
    """Store a list option, refusing a number of items outside the declared length."""

    def __call__(self, parser, namespace, values, option_string=None):
        low, high = self.param.length
        if not low <= len(values) <= high:
            raise argparse.ArgumentError(self, f"got {len(values)} numbers; allowed: {self.param.allowed()}")
        setattr(namespace, self.dest, list(values))


def add_params(parser: argparse.ArgumentParser, params, own: dict[str, dict] | None = None) -> None:
    """One option per declared parameter (``chainrule.params``): flag, type, bounds, default and help from it.

    ``own``: for a parameter the command reads its own way, the ``add_argument`` settings that replace the
    declaration's (``train --data`` takes a declared dataset or a CSV file: ``{"data": {"type": ..., "help": ...}}``).
    """
    own = own or {}
    unknown = set(own) - {p.name for p in params}
    if unknown:
        raise ValueError(f"add_params: no declared parameter called {', '.join(sorted(unknown))}")
    for p in params:
        flags = (p.flag, *p.flags)
        settings = dict(dest=p.name, default=p.default, help=p.help_text())
        if p.kind == "choice":
            settings.update(choices=list(p.choices))
        elif p.kind == "bool":
            settings.update(action=argparse.BooleanOptionalAction)
        elif p.kind == "floats":
            low, high = p.length
            settings.update(type=_param_type(p), nargs=low if low == high else "+", default=list(p.default),
                            action=type("Count", (_Count,), {"param": p}),
                            metavar=tuple(f"X{k}" for k in range(1, low + 1)) if low == high and low > 1 else "X")
        else:
            settings.update(type=_param_type(p), metavar="N" if p.kind == "int" else "X")
        settings.update(own.get(p.name, {}))
        parser.add_argument(*flags, **settings)

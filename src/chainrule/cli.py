"""The ``chainrule`` command: one subcommand per module in ``chainrule.commands``.

Each module there exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Any bad input ends with one line on stderr naming the
value and what is allowed, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import ChainruleError

# name -> module; the order is the order of `chainrule --help`.
COMMANDS = {
    "demo": "chainrule.commands.demo",
    "lesson": "chainrule.commands.lesson",
    "graph": "chainrule.commands.graph",
    "train": "chainrule.commands.train",
    "check": "chainrule.commands.check",
    "serve": "chainrule.commands.serve",
}


class UsageError(Exception):
    """Raised by the parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints a usage block; we want one line
        raise UsageError(f"{self.prog}: error: {message}")


def _load(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:  # that command is not part of this build
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chainrule",
        description="Backpropagation you can run, read and check.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0 if not argv else 2
    prog = f"chainrule {args.command}"
    try:
        return int(args._run(args) or 0)
    except (ChainruleError, ValueError, OverflowError, ZeroDivisionError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The ``chainrule`` command: one subcommand per module in ``chainrule.commands``.

Each module there exposes ``add_arguments(parser)`` and ``run(args) -> int``;
its one line of help is in ``COMMANDS`` below. Only the command being run is
imported (``chainrule --help`` imports none of them, so it answers at once).
Any bad input ends with one line on stderr naming the value and what is
allowed, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import ChainruleError

# name -> (module, one line of help); the order is the order of `chainrule --help`.
COMMANDS = {
    "demo": ("chainrule.commands.demo", "the video's example: one weight, the chain rule with numbers, gradient descent"),
    "lesson": ("chainrule.commands.lesson", "one rung of the ladder of lessons, explained with your numbers (--list to see them)"),
    "graph": ("chainrule.commands.graph", "draw a lesson's computation graph after one backward pass (SVG or PNG, needs Graphviz)"),
    "train": ("chainrule.commands.train", "train an MLP, CNN or GRU on digits, MNIST-1D or a 2-D set: progress, metrics, checkpoints, plots"),
    "code": ("chainrule.commands.code", "a lesson's backward pass as a program you can run: straight-line Python, numpy matrices or PyTorch"),
    "check": ("chainrule.commands.check", "gradient check of a lesson or a saved model: backprop vs finite differences (and PyTorch)"),
    "serve": ("chainrule.commands.serve", "start the explorer: a local web page to play with backprop (http://127.0.0.1:8000/)"),
    "exercise": ("chainrule.commands.exercise", "compute a lesson's backprop by hand, each step checked: your own numbers (--seed, --student)"),
    "worksheet": ("chainrule.commands.worksheet", "one exercise sheet per student (Markdown, LaTeX, PDF) and the teacher's key (CSV)"),
    "grade": ("chainrule.commands.grade", "mark a class's answers (CSV) against a worksheet key: per student and per question"),
    "slides": ("chainrule.commands.slides", "a lesson as a self-contained HTML slide deck, one factor of the chain per click"),
    "animate": ("chainrule.commands.animate", "a lesson's backward pass edge by edge, then its descent, as a GIF, an MP4 or an offline HTML page"),
    "site": ("chainrule.commands.site", "the explorer as a static folder for any web host: chainrule runs in the browser, no install"),
}


class UsageError(Exception):
    """Raised by the parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints a usage block; we want one line
        raise UsageError(f"{self.prog}: error: {message}")


def _chosen(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (the first argument that is not an option), if it is one of ours."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _take_file(argv: list[str]) -> list[str]:
    """``argv`` with ``--file FILE`` replaced by the name of the lesson FILE defines (``commands.lesson_file``)."""
    from .commands.lesson_file import take_file  # only when --file is given: `chainrule --help` stays quick

    return take_file(argv)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; the options of the subcommand named in ``argv`` (all of them when ``argv`` is None)."""
    parser = _Parser(prog="chainrule", description="Backpropagation you can run, read and check.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = set(COMMANDS) if argv is None else {_chosen(argv)}
    for name, (module_name, help_line) in COMMANDS.items():
        p = sub.add_parser(name, help=help_line, description=help_line)
        if name in wanted:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (a test's StringIO): nothing left to flush
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(arg.startswith("--file") for arg in argv):  # a lesson of the user's own: see commands.lesson_file
        try:
            argv = _take_file(argv)
        except (ChainruleError, ValueError, OSError) as exc:
            prog = " ".join(filter(None, ["chainrule", _chosen(argv)]))
            print(f"{prog}: error: {str(exc).splitlines()[0]}", file=sys.stderr)
            return 2
    parser = build_parser(argv)
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
    except BrokenPipeError:  # the reader went away (`chainrule … | head`): stop quietly, as other tools do
        _silence_stdout()
        return 128 + 13  # killed by SIGPIPE, the status a shell expects of such a tool
    except (ChainruleError, ValueError, OverflowError, ZeroDivisionError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

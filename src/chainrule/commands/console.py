"""The rich ``Console`` the commands print reports through: never crops, and a closed pipe is a ``BrokenPipeError``.

Only text output needs it: ``output.emit`` imports this module for text alone, so ``--format json`` and
``markdown`` never load rich (about 80 ms).
"""

from __future__ import annotations

from rich.console import Console as RichConsole


class Console(RichConsole):
    """rich's Console, except that a reader that goes away (``chainrule … | head``) raises ``BrokenPipeError``.

    The caller sees it as any other failed write does (``cli.main`` ends quietly with SIGPIPE's status); rich's
    own answer would be ``SystemExit(1)``.
    """

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def console(stream, ascii: bool) -> tuple[Console, bool]:
    """``(console, is_terminal)`` for ``stream``: the terminal's width on a terminal, unbounded elsewhere.

    ``ascii``: boxes drawn in plain ASCII (``output.unicode_ok`` says when a stream needs it).
    """
    probe = Console(file=stream)
    width = probe.width if probe.is_terminal else 100_000
    return Console(file=stream, width=width, highlight=False, soft_wrap=False, emoji=False,
                   legacy_windows=False, force_terminal=probe.is_terminal, color_system=probe.color_system,
                   safe_box=ascii), probe.is_terminal

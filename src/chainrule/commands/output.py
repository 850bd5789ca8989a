"""Printing a report on the command line, whole, in whatever the terminal (or pipe) can show.

* Any stdout encoding works: when it cannot carry our notation (∂, −, ₁, →:
  cp1252, ascii), everything is written in plain ASCII forms (dC/dw, -, w1,
  ->), tables and panels with ASCII borders; JSON escapes what it must.
* Nothing is ever cut: on a terminal, formulas wrap between their factors
  and terms to fit its width (a piece wider than the screen is printed whole:
  the terminal wraps it); into a pipe or a file, lines are as long as they
  need to be (no squeezing to 80 columns).
"""

from __future__ import annotations

import codecs
import json
import sys

# Everything our explanations may print, box drawing included: if the stream cannot encode this, use ASCII.
_PROBE = "∂−·→—²₁¹⁻σδ⊙ᵀ∇≈×′…≥≤½ᵢⱼ╭─│╰┏━┃┡┩└┴┘"


def unicode_ok(stream) -> bool:
    """Whether ``stream`` can print our notation (its encoding can encode every character we use)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        codecs.lookup(encoding)
        _PROBE.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def console(stream=None, ascii: bool | None = None):
    """A rich Console for ``stream`` that never crops: the terminal's width on a terminal, unbounded elsewhere.

    A reader that goes away (``chainrule … | head``) raises ``BrokenPipeError`` to the caller, as any other write
    does (``cli.main`` ends quietly with SIGPIPE's status); rich's own answer would be ``SystemExit(1)``.
    """
    from rich.console import Console as RichConsole

    class Console(RichConsole):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    stream = stream or sys.stdout
    if ascii is None:
        ascii = not unicode_ok(stream)
    probe = Console(file=stream)
    width = probe.width if probe.is_terminal else 100_000
    return Console(file=stream, width=width, highlight=False, soft_wrap=False, emoji=False,
                   legacy_windows=False, force_terminal=probe.is_terminal, color_system=probe.color_system,
                   safe_box=ascii), probe.is_terminal, ascii


def emit(report, fmt: str, stream=None) -> None:
    """Print a ``Report`` (``chainrule.explainer.report``) in ``fmt``: text, markdown or json."""
    stream = stream or sys.stdout
    ascii = not unicode_ok(stream)
    if fmt == "json":
        stream.write(json.dumps(report.to_json(), indent=2, ensure_ascii=ascii) + "\n")
        return
    if fmt == "markdown":
        text = report.to_markdown()
        if ascii:
            from ..explainer.format import to_ascii

            text = to_ascii(text)
        stream.write(text)
        return
    out, terminal, ascii = console(stream, ascii)
    out.print(report.to_text(width=out.width if terminal else None, ascii=ascii), crop=False)

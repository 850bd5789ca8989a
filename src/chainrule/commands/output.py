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

from ..explainer.format import to_ascii

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
            text = to_ascii(text)
        stream.write(text)
        return
    from .console import console  # rich, for text alone (see console.py)

    out, terminal = console(stream, ascii)
    out.print(report.to_text(width=out.width if terminal else None, ascii=ascii), crop=False)

"""An explanation as sections, written once and rendered three ways: terminal text, Markdown, JSON.

A lesson (or any explanation) describes what to show as a ``Report``: a
title, a list of ``Section``s (a title and lines of blackboard notation,
∂C/∂w = 2(a − y)·i; or a table; or a ``Derivation``, shown as the report it
makes, ``Derivation.report()``) and the numbers behind them (``data``, for
JSON). The renderers here are the only ones:

* ``to_text``: a rich renderable. Formula lines are wrapped only between
  factors and terms (``format.wrap_formula``), never inside ∂(a − y)/∂a;
  tables are never squeezed: a number is never cut, whatever the width. With
  ``ascii=True`` everything is written in plain ASCII (dC/dw, w1, x^2).
* ``to_markdown``: formulas as display math in valid LaTeX (``format.latex``),
  prose outside the math, tables as Markdown tables.
* ``to_json``: ``data`` plus the lines every renderer shows.

A line of a section is a formula (``Math``: math text and an optional prose
note after it) or prose (a plain ``str``); ``Section.math`` makes every
plain line of the section a formula. A line whose Markdown is not its text's
(a derivation's path is three lines of text and one of LaTeX) says so: a
``Math`` with its own ``markdown``, or ``Prose``, a line of prose with its
Markdown beside it; either form may be "" (the line is in the other only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from .format import latex, to_ascii, wrap_formula

__all__ = ["Math", "Prose", "Table", "Section", "Report", "render_panels", "PROSE_WIDTH"]

# Prose (not formulas) is wrapped between words at this width when the output has no width of its own.
PROSE_WIDTH = 100

# rich is imported by the text renderers only (about 80 ms): JSON and Markdown, the explorer's API and
# `--format json`, never load it.


@dataclass(frozen=True)
class Math:
    """A formula line, with a prose ``note`` after it: ∂C/∂w = −0.144 (backprop's accumulated gradient)."""

    text: str
    note: str = ""
    markdown: str | None = None  # the Markdown line, when it is not $$LaTeX of text$$ (note); "": none

    def plain(self) -> str:
        return f"{self.text}   ({self.note})" if self.note else self.text

    def to_markdown(self) -> str:
        if self.markdown is not None:
            return self.markdown
        return f"$${latex(self.text)}$$" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Prose:
    """A line of prose whose Markdown is written otherwise ("" in either: the line is in the other form only)."""

    text: str
    markdown: str

    def plain(self) -> str:
        return self.text

    def to_markdown(self) -> str:
        return self.markdown


def _continues(item) -> bool:
    """A formula line that goes on from the one before: '       = p₁ = 0.589685'."""
    return isinstance(item, Math) and item.markdown is None and item.text.lstrip().startswith("= ")


def _continued(items: list) -> list:
    """The items, each formula grouped with the lines that continue it (a list of ``Math``) when there are any."""
    out: list = []
    for item in items:
        if _continues(item) and out and (isinstance(out[-1], list) or isinstance(out[-1], Math)
                                         and out[-1].markdown is None and " = " in out[-1].text):
            out[-1] = (out[-1] if isinstance(out[-1], list) else [out[-1]]) + [item]
        else:
            out.append(item)
    return out


def _aligned(lines: list[Math]) -> str:
    """One display block for a formula and its continuations, aligned at '=': the notes after it."""
    left, _, right = lines[0].text.partition(" = ")
    rows = [f"{latex(left)} &= {latex(right)}"] + [f"&= {latex(m.text.lstrip()[2:])}" for m in lines[1:]]
    notes = [m.note for m in lines if m.note]
    return (r"$$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"
            + (f" ({'; '.join(notes)})" if notes else ""))


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str = ""

    def to_markdown(self) -> str:
        """A Markdown table: the first column left, the others right."""
        return "\n".join(["| " + " | ".join(self.columns) + " |",
                          "|" + "|".join(["---"] + ["---:"] * (len(self.columns) - 1)) + "|",
                          *("| " + " | ".join(row) + " |" for row in self.rows)])


@dataclass
class Section:
    """One block: ``lines`` (formulas when ``math``, or ``Math`` items), a ``table``, or a ``derivation``."""

    title: str
    lines: list = field(default_factory=list)
    math: bool = False
    table: Table | None = None
    derivation: Any = None  # a chainrule.explainer.Derivation: its report() is shown here
    style: str = ""  # rich style of the lines, e.g. "bold yellow" for a warning
    markdown_title: str | None = None  # the Markdown heading, when it is not the title ("": none)

    def items(self) -> list:
        """The lines, each a ``Math``, a ``Prose`` or a prose ``str``."""
        return [x if isinstance(x, (Math, Prose)) or not self.math else Math(x) for x in self.lines]

    def plain_lines(self) -> list[str]:
        """The lines as plain text (a line of the Markdown only left out)."""
        return [x if isinstance(x, str) else x.plain() for x in self.items()
                if not (isinstance(x, Prose) and not x.text)]


def _text(value: str, ascii: bool) -> str:
    return to_ascii(value) if ascii else value


# In prose, a formula such as (4.5w − 1.5) or 0 < lr < 1/i² must not break at its operators' spaces, nor before an
# "=" (a break after "=" stays allowed): those spaces are held, every other space is a place to break
_OPERATOR_SPACES = re.compile(r" [−+·×<>≤≥→←] ")
_BEFORE_EQUALS = re.compile(r" (?==(?: |$))")
_SPACES = " \t\n\x0b\x0c\r"


def _prose_chunks(line: str) -> list[tuple[bool, str]]:
    """``line`` cut where prose may break: ``(True, spaces)`` to break at, ``(False, word)`` with the spaces it holds."""
    held = {m.start() for m in _BEFORE_EQUALS.finditer(line)}
    for m in _OPERATOR_SPACES.finditer(line):
        held |= {m.start(), m.end() - 1}
    pieces = groupby(enumerate(line), key=lambda kc: kc[1] in _SPACES and kc[0] not in held)
    return [(free, "".join(" " if free else c for _, c in piece)) for free, piece in pieces]


def wrap_prose(line: str, width: int) -> str:
    """``line`` wrapped between words to ``width``, never inside a formula it contains (breaks after "=" allowed).

    Words fill each line as far as they fit (a word longer than ``width`` gets a line of its own, whole); the
    spaces at a break are dropped, as ``textwrap`` does.
    """
    lines: list[str] = []
    current: list[tuple[bool, str]] = []
    size = 0
    for free, chunk in _prose_chunks(line):
        if free and not current and lines:  # a line never starts with the spaces it broke at
            continue
        if current and size + len(chunk) > width:
            if _joined(current):
                lines.append(_joined(current))
            current, size = [], 0
            if free:
                continue
        current.append((free, chunk))
        size += len(chunk)
    if _joined(current):
        lines.append(_joined(current))
    return "\n".join(lines) or line


def _joined(chunks: list[tuple[bool, str]]) -> str:
    """One line of chunks, without the spaces it ends with."""
    while chunks and chunks[-1][0]:
        chunks = chunks[:-1]
    return "".join(chunk for _, chunk in chunks)


def render_panels(blocks: list[tuple[str, list, str]], width: int | None, ascii: bool) -> list:
    """Rich renderables for ``(title, lines, style)`` blocks: a panel when titled.

    A formula is cut only between its factors and terms to fit ``width``
    (``format.wrap_formula``) and is never wrapped by rich itself (a piece
    wider than the screen folds at the edge: it is never cropped); prose
    wraps between words.
    """
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    parts = []
    for title, lines, style in blocks:
        inner = None if width is None else max(20, width - 4)
        # unbounded (a pipe, a file): prose is wrapped between words at PROSE_WIDTH, or at the widest formula
        prose = inner or max([PROSE_WIDTH] + [len(x.plain()) for x in lines if isinstance(x, Math)])
        texts = []
        for line in lines:
            if isinstance(line, Prose) and not line.text:  # a line of the Markdown only
                continue
            if not isinstance(line, Math):
                wrapped = wrap_prose(line.text if isinstance(line, Prose) else line, prose)
                texts.append(Text(_text(wrapped, ascii), style=style))
                continue
            pieces = wrap_formula(line.text, inner) if inner is not None else [line.text]
            note = f"({line.note})" if line.note else ""
            if note and (inner is None or len(pieces[-1]) + 3 + len(note) <= inner):
                pieces[-1] += f"   {note}"
                note = ""
            # a piece wider than the screen makes the panel wider (printed uncropped: the terminal wraps it)
            texts += [Text(_text(piece, ascii), style=style, no_wrap=True) for piece in pieces]
            if note:
                texts.append(Text(_text("    " + note, ascii), style=style))
        body = Group(*texts)
        if title:
            parts.append(Panel(body, title=_text(title, ascii), title_align="left", expand=False,
                               box=box.ASCII if ascii else box.ROUNDED))
        else:
            parts.append(body)
    return parts


def _rich_table(table: Table, title: str, ascii: bool, width: int | None = None):
    """A rich table; on a terminal narrower than the table, one block per row instead (``column: cell`` lines).

    Rich squeezes a table wider than the screen, down to columns of no width
    at all (a 40-column terminal lost the whole "step" column): a cell is
    never cut here, the rows are stacked instead, as ``psql``'s expanded view.
    """
    from rich import box
    from rich.console import Group
    from rich.table import Table as RichTable
    from rich.text import Text

    widths = [max([len(column)] + [len(row[k]) for row in table.rows]) for k, column in enumerate(table.columns)]
    natural = sum(w + 3 for w in widths) + 1  # each cell's padding and border, and the last border
    # the title is a line of its own, wrapped as prose (rich would wrap it to the table's width, inside a formula)
    heading = table.title or title
    if heading:
        heading = heading if width is None else wrap_prose(heading, width)
    if width is not None and natural > width:  # too wide for the terminal: one block per row
        lines = [Text(_text(heading, ascii), style="italic")] if heading else []
        for row in table.rows:
            lines.append(Text(_text(f"{table.columns[0]} {row[0]}", ascii), style="bold"))
            lines += [Text(_text(f"  {column}: {cell}", ascii)) for column, cell in zip(table.columns[1:], row[1:])]
        return Group(*lines)
    t = RichTable(box=box.ASCII if ascii else box.HEAVY_HEAD)
    for k, column in enumerate(table.columns):
        t.add_column(_text(column, ascii), justify="left" if k == 0 else "right", no_wrap=True, min_width=widths[k])
    for row in table.rows:
        t.add_row(*(_text(cell, ascii) for cell in row))
    return Group(Text(_text(heading, ascii), style="italic", no_wrap=True), t) if heading else t


@dataclass
class Report:
    """An explanation ready to render: ``lesson``, ``title``, ``sections`` and the numbers in ``data``."""

    lesson: str
    title: str
    sections: list[Section]
    data: dict = field(default_factory=dict)
    markdown_title: str | None = None  # the Markdown heading, when it is not the title

    def to_text(self, width: int | None = None, ascii: bool = False):
        """A rich renderable: the title, then one panel (or table) per section. ``width``: wrap formulas to it."""
        from rich.console import Group
        from rich.text import Text

        heading = (lambda line: line) if width is None else (lambda line: wrap_prose(line, width))
        parts: list = [Text(_text(heading(self.title), ascii), style="bold")]
        for s in self.sections:
            if s.derivation is not None:
                parts.append(Text(_text(heading(s.title), ascii), style="bold"))
                parts.append(s.derivation.report().to_text(width=width, ascii=ascii))
            if s.lines:
                parts += render_panels([(s.title, s.items(), s.style)], width, ascii)
            if s.table is not None:
                parts.append(_rich_table(s.table, s.title if not s.lines else "", ascii, width))
        return Group(*parts)

    def to_markdown(self, level: int = 2) -> str:
        """Markdown: formulas as display math in LaTeX, prose as text, tables as tables; the title at ``level``."""
        return "\n".join(self._markdown(level)).rstrip("\n") + "\n"

    def _markdown(self, level: int) -> list[str]:
        """The Markdown lines, each block followed by a blank line; sections one level below the title."""
        title = self.title if self.markdown_title is None else self.markdown_title
        md = [f"{'#' * level} {title}", ""]
        for s in self.sections:
            title = s.title if s.markdown_title is None else s.markdown_title
            if title:
                md += [f"{'#' * (level + 1)} {title}", ""]
            if s.derivation is not None:
                md += s.derivation.report()._markdown(level + 1)
            for item in _continued(s.items()):
                if isinstance(item, str):
                    md += [f"**{item}**" if s.style else item, ""]
                elif isinstance(item, list):  # a formula and its continuation lines: one aligned block
                    md += [_aligned(item), ""]
                elif item.markdown != "":  # "": a line of the text only
                    md += [item.to_markdown(), ""]
            if s.table is not None:
                md += [s.table.to_markdown(), ""]
        return md

    _repr_markdown_ = to_markdown

    def __str__(self) -> str:
        """Plain text: the title, then each section (a blank line and its title first, when it has one)."""
        out = [self.title]
        for s in self.sections:
            if s.title:
                out += ["", s.title]
            if s.derivation is not None:
                out += str(s.derivation.report()).splitlines()
            out += s.plain_lines()
            if s.table is not None:
                out += [" | ".join(s.table.columns), *(" | ".join(row) for row in s.table.rows)]
        return "\n".join(out)

    def to_json(self) -> dict:
        """``data`` with the lesson's name, title and the lines every renderer shows."""
        out = {"lesson": self.lesson, "title": self.title}
        out.update(self.data)
        out["sections"] = [
            {
                "title": s.title,
                "lines": s.plain_lines(),
                **({"table": {"columns": s.table.columns, "rows": s.table.rows}} if s.table is not None else {}),
                **({"derivation": s.derivation.to_json()} if s.derivation is not None else {}),
            }
            for s in self.sections
        ]
        return out

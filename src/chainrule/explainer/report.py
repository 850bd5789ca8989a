"""An explanation as sections, written once and rendered three ways: terminal text, Markdown, JSON.

A lesson (or any explanation) describes what to show as a ``Report``: a
title, a list of ``Section``s (a title and lines of blackboard notation,
∂C/∂w = 2(a − y)·i; or a table; or a ``Derivation``) and the numbers behind
them (``data``, for JSON). The renderers here are the only ones:

* ``to_text``: a rich renderable. Formula lines are wrapped only between
  factors and terms (``format.wrap_formula``), never inside ∂(a − y)/∂a;
  tables are never squeezed: a number is never cut, whatever the width. With
  ``ascii=True`` everything is written in plain ASCII (dC/dw, w1, x^2).
* ``to_markdown``: formulas as display math in valid LaTeX (``format.latex``),
  prose outside the math, tables as Markdown tables.
* ``to_json``: ``data`` plus the lines every renderer shows.

A line of a section is a formula (``Math``: math text and an optional prose
note after it) or prose (a plain ``str``); ``Section.math`` makes every
plain line of the section a formula.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from .format import latex, to_ascii, wrap_formula

__all__ = ["Math", "Table", "Section", "Report", "render_panels", "PROSE_WIDTH"]

# Prose (not formulas) is wrapped between words at this width when the output has no width of its own.
PROSE_WIDTH = 100


@dataclass(frozen=True)
class Math:
    """A formula line, with a prose ``note`` after it: ∂C/∂w = −0.144 (backprop's accumulated gradient)."""

    text: str
    note: str = ""

    def plain(self) -> str:
        return f"{self.text}   ({self.note})" if self.note else self.text


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Section:
    """One block: ``lines`` (formulas when ``math``, or ``Math`` items), a ``table``, or a ``derivation``."""

    title: str
    lines: list = field(default_factory=list)
    math: bool = False
    table: Table | None = None
    derivation: Any = None  # a chainrule.explainer.Derivation
    style: str = ""  # rich style of the lines, e.g. "bold yellow" for a warning

    def items(self) -> list:
        """The lines, each a ``Math`` or a prose ``str``."""
        return [x if isinstance(x, Math) or not self.math else Math(x) for x in self.lines]

    def plain_lines(self) -> list[str]:
        return [x.plain() if isinstance(x, Math) else x for x in self.items()]


def _text(value: str, ascii: bool) -> str:
    return to_ascii(value) if ascii else value


# In prose, a formula such as (4.5w − 1.5) or 0 < lr < 1/i² must not break at its operators' spaces: they are held
# by a placeholder while the prose is wrapped (textwrap breaks only at ASCII whitespace); a break after "=" stays
_OPERATOR_SPACES = re.compile(r" ([−+·×<>≤≥→←]) ")
_BEFORE_EQUALS = re.compile(r" (?==(?: |$))")
_NO_BREAK = "\ue000"  # a private-use character: no text of ours contains it, textwrap never breaks at it


def wrap_prose(line: str, width: int) -> str:
    """``line`` wrapped between words to ``width``, never inside a formula it contains (breaks after "=" allowed)."""
    held = _BEFORE_EQUALS.sub(_NO_BREAK, _OPERATOR_SPACES.sub(f"{_NO_BREAK}\\1{_NO_BREAK}", line))
    wrapped = textwrap.wrap(held, width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(wrapped).replace(_NO_BREAK, " ") or line


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
            if not isinstance(line, Math):
                wrapped = wrap_prose(line, prose)
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

    def to_text(self, width: int | None = None, ascii: bool = False):
        """A rich renderable: the title, then one panel (or table) per section. ``width``: wrap formulas to it."""
        from rich.console import Group
        from rich.text import Text

        heading = (lambda line: line) if width is None else (lambda line: wrap_prose(line, width))
        parts: list = [Text(_text(heading(self.title), ascii), style="bold")]
        for s in self.sections:
            if s.derivation is not None:
                parts.append(Text(_text(heading(s.title), ascii), style="bold"))
                parts.append(s.derivation.to_text(width=width, ascii=ascii))
            if s.lines:
                parts += render_panels([(s.title, s.items(), s.style)], width, ascii)
            if s.table is not None:
                parts.append(_rich_table(s.table, s.title if not s.lines else "", ascii, width))
        return Group(*parts)

    def to_markdown(self) -> str:
        """Markdown: formulas as display math in LaTeX, prose as text, tables as tables."""
        md = [f"## {self.title}", ""]
        for s in self.sections:
            if s.title:
                md += [f"### {s.title}", ""]
            if s.derivation is not None:
                md += [s.derivation.to_markdown(), ""]
            for item in s.items():
                if isinstance(item, Math):
                    md.append(f"$${latex(item.text)}$$" + (f" ({item.note})" if item.note else ""))
                else:
                    md.append(f"**{item}**" if s.style else item)
                md.append("")
            if s.table is not None:
                md.append("| " + " | ".join(s.table.columns) + " |")
                md.append("|" + "|".join(["---"] + ["---:"] * (len(s.table.columns) - 1)) + "|")
                md += ["| " + " | ".join(row) + " |" for row in s.table.rows]
                md.append("")
        return "\n".join(md).rstrip("\n") + "\n"

    _repr_markdown_ = to_markdown

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

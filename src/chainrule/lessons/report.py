"""A lesson's output as sections, written once and rendered three ways: terminal, Markdown, JSON.

A lesson computes its numbers, then describes what to show as a list of
``Section``s: a title and lines of blackboard notation (∂C/∂w = 2(a − y)·i),
a table, or a ``Derivation``. ``Report`` turns them into a rich renderable
for the terminal, Markdown with LaTeX math (each formula line becomes
display math), and a JSON object (the lesson's ``data()`` plus its lines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..explainer.format import latex

__all__ = ["Section", "Table", "Report"]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Section:
    """One block of a lesson: ``lines`` (formulas when ``math``), a ``table``, or a ``derivation``."""

    title: str
    lines: list[str] = field(default_factory=list)
    math: bool = False
    table: Table | None = None
    derivation: Any = None  # a chainrule.explain.Derivation
    style: str = ""  # rich style of the lines, e.g. "bold yellow" for a warning


class Report:
    """Mixin for lesson results: define ``lesson``, ``title``, ``sections()`` and ``data()``."""

    lesson: str = ""
    title: str = ""

    def sections(self) -> list[Section]:  # pragma: no cover - every lesson overrides it
        raise NotImplementedError

    def data(self) -> dict:  # pragma: no cover - every lesson overrides it
        raise NotImplementedError

    def to_text(self):
        """A rich renderable: a title, then one panel (or table) per section."""
        from rich.console import Group
        from rich.panel import Panel
        from rich.table import Table as RichTable
        from rich.text import Text

        parts: list = [Text(self.title, style="bold")]
        for s in self.sections():
            if s.derivation is not None:
                parts.append(Text(s.title, style="bold"))
                parts.append(s.derivation.to_text())
            if s.lines:
                body = Text("\n".join(s.lines), style=s.style)
                parts.append(Panel(body, title=s.title, title_align="left") if s.title else body)
            if s.table is not None:
                t = RichTable(title=s.table.title or (s.title if not s.lines else ""), title_justify="left")
                for k, column in enumerate(s.table.columns):
                    t.add_column(column, justify="left" if k == 0 else "right")
                for row in s.table.rows:
                    t.add_row(*row)
                parts.append(t)
        return Group(*parts)

    def to_markdown(self) -> str:
        md = [f"## {self.title}", ""]
        for s in self.sections():
            if s.title:
                md += [f"### {s.title}", ""]
            if s.derivation is not None:
                md += [s.derivation.to_markdown(), ""]
            if s.lines:
                if s.math:
                    md += [f"$${latex(line)}$$" for line in s.lines]
                else:
                    md += [f"**{line}**" if s.style else line for line in s.lines]
                md.append("")
            if s.table is not None:
                md.append("| " + " | ".join(s.table.columns) + " |")
                md.append("|" + "|".join(["---"] + ["---:"] * (len(s.table.columns) - 1)) + "|")
                md += ["| " + " | ".join(row) + " |" for row in s.table.rows]
                md.append("")
        return "\n".join(md) + "\n"

    def to_json(self) -> dict:
        """``data()`` with the lesson's name, title and the lines every renderer shows."""
        out = {"lesson": self.lesson, "title": self.title}
        out.update(self.data())
        out["sections"] = [
            {
                "title": s.title,
                "lines": s.lines,
                **({"table": {"columns": s.table.columns, "rows": s.table.rows}} if s.table is not None else {}),
                **({"derivation": s.derivation.to_json()} if s.derivation is not None else {}),
            }
            for s in self.sections()
        ]
        return out

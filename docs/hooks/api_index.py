"""The index of the API reference: every public name, linked to where its docstring is shown.

The reference pages (``docs/api/*.md``) show each object with a mkdocstrings directive, ``::: chainrule.scalar.Value``;
``api_index(names)`` finds each public name's directive and links to it (mkdocstrings anchors a heading at the
object's full path). A public name that no page shows stops the build, so a name added to ``chainrule.__all__``
cannot go undocumented.
"""

from __future__ import annotations

import re
from pathlib import Path

PAGES = Path(__file__).resolve().parents[1] / "api"
DIRECTIVE = re.compile(r"^::: (chainrule(?:\.\w+)+)\s*$", re.M)


def documented() -> dict[str, tuple[str, str]]:
    """name -> (page, full path) for every object a reference page shows."""
    found = {}
    for path in sorted(PAGES.glob("*.md")):
        for full in DIRECTIVE.findall(path.read_text(encoding="utf-8")):
            found.setdefault(full.rsplit(".", 1)[1], (path.name, full))
    return found


def api_index(names) -> str:
    shown = documented()
    missing = [name for name in names if name not in shown]
    if missing:
        raise LookupError(f"public names no page of docs/api/ shows: {', '.join(missing)} (add a ::: line)")
    rows = ["| name | documented in |", "|---|---|"]
    for name in names:
        page, full = shown[name]
        rows.append(f"| [`{name}`]({page}#{full}) | `{full}` |")
    return "\n".join(rows) + "\n"

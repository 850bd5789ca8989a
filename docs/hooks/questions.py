"""The viewers' questions: one page each under ``docs/questions/``, described by the front matter that opens it.

A question's page starts with::

    ---
    lessons: wide               # the lessons that answer it (their pages link back)
    by: "@handle"               # who asked, under the video
    asked: "the viewer's words"  # verbatim from the comment thread (a test finds them there)
    ---

so the index of questions and each lesson's list of the questions it answers are made from the pages
themselves, and a new page shows up in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PAGES = Path(__file__).resolve().parents[1] / "questions"


@dataclass(frozen=True)
class Question:
    page: str            # the file's name in docs/questions/
    title: str           # the page's heading
    by: str
    asked: str
    lessons: tuple[str, ...]


def _front_matter(text: str) -> dict[str, str]:
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not match:
        return {}
    pairs = (line.split(":", 1) for line in match.group(1).splitlines() if ":" in line)
    return {key.strip(): value.strip().strip('"') for key, value in pairs}


def questions() -> list[Question]:
    """Every question's page, in the order of their file names."""
    found = []
    for path in sorted(PAGES.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta = _front_matter(text)
        if not meta:
            continue  # the index itself
        heading = re.search(r"^# (.+)$", text, re.M)
        found.append(Question(path.name, heading.group(1) if heading else path.stem, meta.get("by", ""),
                              meta.get("asked", ""), tuple(x.strip() for x in meta.get("lessons", "").split(","))))
    return found


def question_index() -> str:
    """The questions as a table: the question, who asked it in which words, the lessons that answer it."""
    rows = ["| the question | asked | answered by |", "|---|---|---|"]
    for q in questions():
        lessons = ", ".join(f"[{name}](../lessons/{name}.md)" for name in q.lessons)
        words = q.asked.replace("*", r"\*").replace("|", r"\|")  # the viewer's words, not Markdown
        rows.append(f"| [{q.title}]({q.page}) | *{words}* ({q.by}) | {lessons} |")
    return "\n".join(rows) + "\n"


def questions_answered(lesson: str) -> list[Question]:
    """The questions whose page says lesson ``lesson`` answers them."""
    return [q for q in questions() if lesson in q.lessons]

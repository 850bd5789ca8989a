"""docs/backward-as-code.md and the lessons' pages of the docs site show what `chainrule code` prints today, not an
old copy."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from site_build import blocks

from chainrule.cli import main
from chainrule.lessons import LESSONS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "backward-as-code.md"


class Utf8Out(io.StringIO):
    encoding = "utf-8"


def printed(*argv) -> str:
    out = Utf8Out()
    with contextlib.redirect_stdout(out):
        assert main(["code", *argv]) == 0
    return out.getvalue()


def programs(text: str) -> list[tuple[str, str, str]]:
    """Every ```python block that is a `chainrule code` program: (lesson, language, the program)."""
    found = []
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        m = re.search(r"^# \(chainrule code (\S+) --lang (\S+)\)$", block, flags=re.M)
        if m:
            found.append((m.group(1), m.group(2), block))
    return found


DOC_PROGRAMS = programs(DOC.read_text(encoding="utf-8"))


def test_the_page_shows_the_video_the_wide_network_and_an_mlp_in_three_languages():
    shown = {(lesson, lang) for lesson, lang, _ in DOC_PROGRAMS}
    for lesson in ("simplest", "wide", "learning-rate"):
        for lang in ("python", "numpy", "torch"):
            assert (lesson, lang) in shown


@pytest.mark.parametrize("lesson, lang, program", DOC_PROGRAMS, ids=[f"{a}-{b}" for a, b, _ in DOC_PROGRAMS])
def test_each_program_on_the_page_is_what_the_command_prints(lesson, lang, program):
    assert program == printed(lesson, "--lang", lang)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("lesson", list(LESSONS))
def test_each_lesson_s_page_shows_its_program_as_it_prints(lesson):
    """The program on each lesson's page of the docs site (the README's tour showed simplest's) is what
    `chainrule code` prints now: the matrix form for why-backprop, whose straight-line program is too long to read."""
    argv = [lesson] + (["--lang", "numpy"] if lesson == "why-backprop" else [])
    shown = [block.rstrip("\n") for block in blocks(f"lessons/{lesson}.html")]
    assert printed(*argv).rstrip("\n") in shown


def test_the_check_fn_transcript_is_what_the_command_prints_for_the_doc_s_file(tmp_path, monkeypatch):
    """The page's my_wide.py, checked by `chainrule check --fn`, prints the page's transcript, causes and all."""
    text = DOC.read_text(encoding="utf-8")
    source = re.search(r"```python\n(# my_wide\.py\n.*?)```", text, flags=re.S).group(1)
    shown = text.split("$ chainrule check --fn my_wide.py:grad\n", 1)[1].split("```", 1)[0]
    (tmp_path / "my_wide.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    out = Utf8Out()
    with contextlib.redirect_stdout(out):
        assert main(["check", "--fn", "my_wide.py:grad"]) == 1  # three entries are wrong, on purpose
    assert out.getvalue() == shown

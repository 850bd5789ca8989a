"""What the site's pages show is what chainrule does while the site builds: each page's Python blocks call these.

A page never holds a pasted output. Its ```python exec="on"``` blocks (markdown-exec) call a function here with
the command a learner would type, exactly as the page shows it; the function runs that command through
``chainrule.cli.main`` in the build's own process and hands back what it printed, or the picture it drew. So
when a lesson prints something new, the page says the new thing at the next ``make docs``, and a command that
fails (a non-zero exit, an error line) fails the build (``mkdocs build --strict``).

* ``command("chainrule demo")``: the command and its output, as a terminal shows them (a ``text`` block);
* ``markdown("chainrule lesson chain --format markdown")``: the output itself, as Markdown with its maths;
* ``program("chainrule code simplest")``: the program a command writes, as a ``python`` block;
* ``picture("chainrule graph simplest --out {svg}", "…")``: the picture a command draws, inlined in the page
  (``{svg}`` or ``{png}`` is where the command writes it: a file in a temporary folder);
* ``session("chainrule exercise simplest --seed 7", ["0.06", …])``: an interactive run, the answers typed one a
  line, shown with what the learner typed, as a terminal shows it;
* ``with scratch():``: the commands inside run in a new empty folder (``chainrule worksheet --out sheets``
  writes there, never into the repository), removed afterwards;
* ``inlined(path, alt)``: a picture a page's own Python drew (``chainrule.draw``), inlined like ``picture``'s.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

from chainrule.cli import main
from chainrule.lessons import LESSONS


class _Printed(io.StringIO):
    """Where a command prints: a stream that says it is UTF-8 (not a terminal, so rich does not wrap or colour)."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return False


class _Typed(io.StringIO):
    """The answers a learner types, one a line, as a pipe: the exercise echoes each after its prompt."""

    def isatty(self) -> bool:
        return False


class CommandFailed(RuntimeError):
    """A command a page shows did not run as shown: the build stops and says which and why."""


def _argv(line: str) -> list[str]:
    words = shlex.split(line)
    if not words or words[0] != "chainrule":
        raise CommandFailed(f"a page shows {line!r}: every command shown starts with `chainrule`")
    return words[1:]


def run(line: str, typed: list[str] | None = None, expect: int = 0) -> str:
    """What ``line`` prints on stdout, run in this process; ``CommandFailed`` unless it exits with ``expect``.

    Each command leaves the ladder as it found it, as a command of its own process would: a lesson a
    ``--file`` registered is gone afterwards (else ``chainrule lesson --list`` on a later page would list it).
    """
    out, err = _Printed(), io.StringIO()
    stdin = sys.stdin
    ladder = dict(LESSONS)
    if typed is not None:
        sys.stdin = _Typed("".join(answer + "\n" for answer in typed))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(_argv(line))
    finally:
        sys.stdin = stdin
        LESSONS.clear()
        LESSONS.update(ladder)
    if code != expect:
        raise CommandFailed(f"`{line}` exited with {code} (the page expects {expect}): {err.getvalue().strip()}")
    return out.getvalue()


def _fence(text: str, language: str) -> str:
    """``text`` as a fenced block that no line of it can close early."""
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}\n"


def command(line: str, expect: int = 0) -> str:
    """``line`` and what it prints, as a terminal shows them."""
    return _fence(f"$ {line}\n{run(line, expect=expect)}", "text")


def session(line: str, typed: list[str], expect: int = 0) -> str:
    """An interactive run of ``line`` with the answers ``typed`` (one a line), as the terminal shows it."""
    return _fence(f"$ {line}\n{run(line, typed, expect)}", "text")


# a display formula with words after it on its line: ``$$…$$ (a note)``
_DISPLAY_WITH_NOTE = re.compile(r"^\$\$(.+?)\$\$(?=[ \t]*\S)", re.M)


def markdown(line: str) -> str:
    """What ``line`` prints (a ``--format markdown`` report), as Markdown: its tables, its maths.

    One thing is set differently, not said differently: a display formula followed on its line by a note
    (``$$∂C/∂w = 0.8$$ (backprop's accumulated gradient)``) is no display block for Python-Markdown's maths
    (arithmatex reads ``$$`` as a block only on lines of its own), so it is set inline at display size
    (``$\\displaystyle …$``), the note beside it as printed.
    """
    return _DISPLAY_WITH_NOTE.sub(lambda m: f"$\\displaystyle {m.group(1)}$", run(line))


def program(line: str, language: str = "python") -> str:
    """The program ``line`` prints (``chainrule code``), as a code block of ``language``."""
    return _fence(run(line), language)


@contextlib.contextmanager
def scratch():
    """Run what follows in a new empty folder (yielded as a ``Path``), then go back and remove it."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="chainrule-site-") as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(here)


_MEDIA = {"svg": "image/svg+xml", "png": "image/png"}


def inlined(path: str | Path, alt: str, caption: str = "") -> str:
    """The picture at ``path`` inside the page itself (a ``data:`` address: nothing to fetch), ``caption`` below."""
    path = Path(path)
    kind = path.suffix.lstrip(".")
    if kind not in _MEDIA or not path.is_file() or path.stat().st_size == 0:
        raise CommandFailed(f"{path}: no SVG or PNG picture there")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    below = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (f'<figure class="chainrule-picture"><img alt="{html.escape(alt)}" src="data:{_MEDIA[kind]};base64,{data}">'
            f"{below}</figure>\n")


def picture(line: str, alt: str) -> str:
    """The picture ``line`` draws into ``{svg}`` or ``{png}``, inlined (no file to fetch), the command below it."""
    kinds = [kind for kind in _MEDIA if "{" + kind + "}" in line]
    if len(kinds) != 1:
        raise CommandFailed(f"{line!r}: say where the picture goes with one {{svg}} or {{png}}")
    kind = kinds[0]
    with tempfile.TemporaryDirectory(prefix="chainrule-site-") as folder:
        path = Path(folder) / f"picture.{kind}"
        shown = line.replace("{" + kind + "}", f"picture.{kind}")
        run(line.replace("{" + kind + "}", shlex.quote(str(path))))
        if not path.is_file() or path.stat().st_size == 0:
            raise CommandFailed(f"`{shown}` drew nothing")
        return inlined(path, alt, f"<code>$ {html.escape(shown)}</code>")

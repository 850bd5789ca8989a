"""The docs site as the tests read it: built once per test run with ``mkdocs build --strict``, or the build CI made.

``built_site()`` is the folder of the built site. Where ``CHAINRULE_SITE`` names
a folder (``.ci/run`` builds the site with ``make docs`` first and names it), that
build is read; otherwise the site is built here, once, into a temporary folder
removed at exit, exactly as ``make docs`` builds it (``--strict``: a broken link,
a missing page, an API name that does not exist or an example that fails to run
stops the build, and the test that asked for it fails with mkdocs's words). Without
the docs extra installed (``pip install -e '.[docs]'``, as ``make docs`` and ``make
test`` do) the tests that need the site fail, saying so.

``page(path)`` is a built page's HTML; ``blocks(path)`` the text of its code
blocks as a reader sees it (tags removed, entities decoded); ``text(path)`` all of
its visible text.
"""

from __future__ import annotations

import atexit
import functools
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the build runs every example of the site: minutes on a loaded 2-core machine
BUILD_SECONDS = 1500


@functools.cache
def _build() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="chainrule-site-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
                         cwd=ROOT, capture_output=True, text=True, timeout=BUILD_SECONDS, env=env)
    if run.returncode != 0:
        raise AssertionError(f"mkdocs build --strict failed ({run.returncode}):\n{run.stderr[-6000:]}")
    return folder


def built_site() -> Path:
    given = os.environ.get("CHAINRULE_SITE")
    if given:
        folder = Path(given)
        assert (folder / "index.html").is_file(), f"CHAINRULE_SITE={given} holds no built site (make docs)"
        return folder
    import importlib.util

    missing = [m for m in ("mkdocs", "material", "mkdocstrings", "markdown_exec", "mkdocs_jupyter")
               if importlib.util.find_spec(m) is None]
    # `make test` installs the docs extra: a missing one is a broken set-up, reported, never a skipped test
    assert not missing, f"the docs extra is not installed ({', '.join(missing)}): make test installs it"
    return _build()


def page(path: str) -> str:
    return (built_site() / path).read_text(encoding="utf-8")


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def blocks(path: str) -> list[str]:
    """The text of every ``<pre>`` of a built page, as a reader sees it."""
    return [_plain(b) for b in re.findall(r"<pre[^>]*>(.*?)</pre>", page(path), flags=re.S)]


def block_after(path: str, first_line: str) -> str:
    """The code block of a built page that starts with ``first_line``, without it (its trailing newlines off)."""
    for block in blocks(path):
        if block.startswith(first_line + "\n"):
            return block[len(first_line) + 1:].rstrip("\n")
    raise AssertionError(f"{path} shows no block starting with {first_line!r}")


def text(path: str) -> str:
    """A built page's visible text (scripts and styles left out)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page(path), flags=re.S)
    return _plain(body)

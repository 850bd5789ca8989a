"""The docs site (issue 25): built strictly from real runs, a page per lesson and per viewer's question, nothing
loaded from another host, every formula set by KaTeX, "chain rule" found by its search, the API reference of
Value, Tensor, explain, compile and the lesson contract from their docstrings, and every output it shows what
chainrule prints now.

The site is built once for the run (``tests/site_build.py``: ``mkdocs build --strict``, or the build ``.ci/run``
made with ``make docs``).
"""

from __future__ import annotations

import contextlib
import html
import importlib
import importlib.util
import inspect
import io
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from site_build import ROOT, block_after, blocks, built_site, page, text

import chainrule
from chainrule.cli import main
from chainrule.lessons import BUILT_IN

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

LESSONS = [module.LESSON for module in BUILT_IN]
QUESTIONS = sorted(p for p in (ROOT / "docs" / "questions").glob("*.md") if p.name != "index.md")
SEED = sorted((ROOT.parent / "shared" / "seed").glob("*.txt"))


class Utf8Out(io.StringIO):
    encoding = "utf-8"


def printed(argv: list[str]) -> str:
    out = Utf8Out()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(argv) == 0
    return out.getvalue()


def front_matter(path: Path) -> dict[str, str]:
    match = re.match(r"---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.S)
    assert match, f"{path.name} opens with no front matter (lessons, by, asked)"
    pairs = (line.split(":", 1) for line in match.group(1).splitlines() if ":" in line)
    return {k.strip(): v.strip().strip('"') for k, v in pairs}


def nav_pages() -> set[str]:
    """The pages mkdocs.yml's nav names."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    return set(re.findall(r"([\w./-]+\.(?:md|ipynb))\s*$", nav, re.M))


def hook_module(name: str):
    """A module of docs/hooks/, loaded from its file (the site's build puts that folder on its path)."""
    spec = importlib.util.spec_from_file_location(f"docs_hooks_{name}", ROOT / "docs" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------ the build
def test_the_site_builds_strictly():
    site = built_site()
    assert (site / "index.html").is_file() and (site / "404.html").is_file()
    assert "--strict" in (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndocs:", 1)[1].split("\n\n", 1)[0]


def test_every_page_is_in_the_navigation():
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    pages |= {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert pages - nav_pages() == set()


# ------------------------------------------------------------------------------------------ pages
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_each_lesson_has_its_page_with_its_explanation_graph_check_exercise_and_code(lesson):
    name = lesson.name
    assert (ROOT / "docs" / "lessons" / f"{name}.md").is_file() and f"lessons/{name}.md" in nav_pages()
    shown = text(f"lessons/{name}.html")
    assert lesson.summary in shown
    heading = printed(["lesson", name, "--format", "markdown"]).splitlines()[0].lstrip("# ")
    assert heading.split("$")[0] in shown  # the explanation as the CLI prints it (its first heading's words)
    assert block_after(f"lessons/{name}.html", f"$ chainrule check {name}") == printed(["check", name]).rstrip("\n")
    assert (block_after(f"lessons/{name}.html", f"$ chainrule exercise {name} --seed 1 --key")
            == printed(["exercise", name, "--seed", "1", "--key"]).rstrip("\n"))
    pictures = page(f"lessons/{name}.html").count('<img alt="')
    assert pictures == (name != "why-backprop") + lesson.plots  # the graph (but why-backprop's) and the plot
    if lesson.step_through is not None:
        assert f"http://127.0.0.1:8000/backprop?lesson={name}" in page(f"lessons/{name}.html")


@pytest.mark.parametrize("path", QUESTIONS, ids=[p.stem for p in QUESTIONS])
def test_each_viewer_question_has_its_page_answered_by_a_run_and_linked_to_its_lessons(path):
    meta = front_matter(path)
    assert meta["asked"] and meta["by"].startswith("@")
    lessons = [x.strip() for x in meta["lessons"].split(",")]
    names = {lesson.name for lesson in LESSONS}
    assert lessons and set(lessons) <= names
    source = path.read_text(encoding="utf-8")
    assert '```python exec="on"' in source  # answered by a run made while the site builds
    built = f"questions/{path.stem}.html"
    shown = page(built)
    for name in lessons:
        assert f'href="../lessons/{name}.html"' in shown
        assert f'href="../questions/{path.stem}.html"' in page(f"lessons/{name}.html")  # and the lesson links back
    assert f"questions/{path.name}" in nav_pages()
    assert f'href="{path.stem}.html"' in page("questions/index.html")


def test_each_question_is_in_the_viewer_s_own_words_on_its_page_and_in_the_comment_thread():
    """Each page shows its question word for word; against the thread itself where it is beside the checkout.

    The thread (../shared/seed/) is the project's user research, not part of the repository: a clone on its own
    checks the pages against the questions their front matter quotes, a workspace with the thread checks those
    quotes against the thread too.
    """
    asked = [(p, front_matter(p)) for p in QUESTIONS]
    assert len(asked) >= 10 and len({q["by"] for _, q in asked}) == len(asked)
    for path, q in asked:
        shown = " ".join(text(f"questions/{path.stem}.html").split())
        assert " ".join(q["asked"].split()) in shown and q["by"] in shown, path.name
    thread = "\n".join(p.read_text(encoding="utf-8") for p in SEED)
    for _, q in asked if SEED else ():
        assert q["asked"] in thread and q["by"] in thread, q


def test_the_notebooks_are_pages_with_their_outputs():
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shown = page(f"notebooks/{notebook.stem}.html")
        assert shown.count("jp-OutputArea-output") >= 2, notebook.name  # run while the site was built
        assert "Traceback" not in text(f"notebooks/{notebook.stem}.html")


def test_the_pages_asked_for_are_there():
    for path in ("index", "demo", "teachers", "own-lesson", "explorer", "train", "backward-as-code", "pytorch",
                 "trust", "reliability", "benchmarks", "notation", "architecture", "extending", "api/index"):
        assert (built_site() / f"{path}.html").is_file(), path
    for picture in sorted((ROOT / "docs" / "screenshots").glob("*.png")):
        assert f'src="screenshots/{picture.name}"' in page("explorer.html")


def test_the_notation_gives_each_symbol_one_meaning():
    rows = re.findall(r"^\| (.+?) \| (.+?) \| .+ \|$", (ROOT / "docs" / "notation.md").read_text(encoding="utf-8"),
                      re.M)[2:]
    symbols = [s.strip() for s, _ in rows]
    assert len(symbols) >= 20 and len(symbols) == len(set(symbols))


# ------------------------------------------------------------------------------------------ offline
class Loads(HTMLParser):
    """Every address a page loads by itself: scripts, styles, icons, images, frames, media."""

    TAGS = {"script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
            "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",), "embed": ("src",),
            "object": ("data",), "input": ("src",)}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") in ("prev", "next", "canonical", "alternate"):
            return  # a link to another page, not a load
        for name in self.TAGS.get(tag, ()):
            if attrs.get(name):
                self.found.append(attrs[name])


def test_nothing_is_loaded_from_another_host():
    site = built_site()
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 40
    remote = re.compile(r"^\s*(https?:)?//", re.I)
    for path in pages:
        loads = Loads()
        loads.feed(path.read_text(encoding="utf-8"))
        assert loads.found, path
        assert [a for a in loads.found if remote.match(a)] == [], path
        for address in loads.found:  # and what it loads is in the site (404.html names it from the site's root)
            if not address.startswith(("data:", "#")):
                local = address.split("#")[0].split("?")[0]
                where = site / local.lstrip("/") if local.startswith("/") else path.parent / local
                assert where.resolve().is_file(), (path, address)
    for style in site.rglob("*.css"):
        assert not re.search(r"(url\(\s*['\"]?|@import\s+['\"])(https?:)?//", style.read_text(encoding="utf-8")), style
    assert (site / "assets" / "katex" / "katex.min.js").is_file()
    assert any((site / "assets" / "katex" / "fonts").glob("KaTeX_Main-Regular.woff2"))


def test_the_search_finds_chain_rule_offline():
    site = built_site()
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    hits = [doc["location"] for doc in index["docs"] if "chain rule" in doc["text"].lower()]
    assert len(hits) >= 10 and any(h.startswith("lessons/chain.html") for h in hits)
    assert (site / "search" / "search_index.js").read_text(encoding="utf-8").startswith("var __index = ")


# ------------------------------------------------------------------------------------------ maths
MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
NOTEBOOK_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$\n]+?)\$(?!\$)", re.S)


def formulas() -> list[dict]:
    found = []
    for path in sorted(built_site().rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for tag, inner in MATH.findall(source):
            tex = html.unescape(inner).strip()
            assert tex[:2] in ("\\(", "\\[") and tex[-2:] in ("\\)", "\\]"), (path, tex)
            found.append({"tex": tex[2:-2], "display": tag == "div", "page": str(path)})
        if "jupyter-wrapper" in source:  # the notebooks' Markdown keeps its $…$ for KaTeX's auto-render
            for cell in re.findall(r'class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>(.*?)</div>', source, re.S):
                for m in NOTEBOOK_MATH.finditer(html.unescape(re.sub(r"<[^>]+>", "", cell))):
                    found.append({"tex": m.group(1) or m.group(2), "display": m.group(1) is not None,
                                  "page": str(path)})
    return found


def test_every_formula_of_the_site_renders_with_katex():
    node = shutil.which("node")
    assert node and (ROOT / "node_modules" / "katex").is_dir(), "KaTeX is missing: `make test` installs it (npm ci)"
    found = formulas()
    assert len(found) > 300 and any("notebooks" in f["page"] for f in found)
    run = subprocess.run([node, str(ROOT / "tests" / "katex_render.js")], input=json.dumps(found),
                         capture_output=True, text=True, timeout=300, cwd=ROOT, check=True)
    assert [f"{found[e['index']]['page']}: {found[e['index']]['tex']!r}: {e['error']}"
            for e in json.loads(run.stdout)] == []


# ------------------------------------------------------------------------------------------ API
@pytest.mark.parametrize("path, obj", [
    ("api/scalar.html", "chainrule.scalar.Value"),
    ("api/scalar.html", "chainrule.scalar.Parameter"),
    ("api/scalar.html", "chainrule.scalar.parameter"),
    ("api/tensor.html", "chainrule.tensor.Tensor"),
    ("api/explain.html", "chainrule.explainer.derivation.explain"),
    ("api/codegen.html", "chainrule.codegen.python.compile"),
    ("api/lessons.html", "chainrule.lessons.contract.Lesson"),
    ("api/lessons.html", "chainrule.lessons.own.lesson"),
])
def test_the_api_reference_shows_each_from_its_docstring(path, obj):
    module, name = obj.rsplit(".", 1)
    target = getattr(importlib.import_module(module), name)
    assert f'id="{obj}"' in page(path)
    first = inspect.getdoc(target).split("\n\n", 1)[0]
    words = re.sub(r"`+|\*+", "", " ".join(first.split()))
    assert words[:40] in " ".join(text(path).split())


def test_the_api_index_names_every_public_name():
    shown = text("api/index.html")
    for name in [*chainrule.__all__, "compile", "check_function"]:
        assert re.search(rf"\b{re.escape(name)}\b", shown), name


# ------------------------------------------------------------------------------------------ real runs
def test_every_output_is_made_by_the_build_not_pasted():
    pages = sorted((ROOT / "docs").rglob("*.md"))
    own = [p for p in pages if p.parent.name in ("lessons", "questions", "api")
           or p.name in ("index.md", "demo.md", "teachers.md", "graphs.md", "train.md", "pytorch.md", "trust.md",
                         "extending.md")]
    for path in own:
        for block in re.findall(r"```text\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
            assert not block.startswith("$ chainrule"), f"{path.name} pastes the output of {block.splitlines()[0]}"
    assert block_after("index.html", "$ chainrule demo --steps 4 --tolerance 0") == printed(
        ["demo", "--steps", "4", "--tolerance", "0"]).rstrip("\n")


def test_the_build_helpers_refuse_a_command_that_fails():
    run_chainrule = hook_module("run_chainrule")
    with pytest.raises(run_chainrule.CommandFailed, match="exited with 2"):
        run_chainrule.command("chainrule lesson no-such-lesson")
    with pytest.raises(run_chainrule.CommandFailed, match="starts with `chainrule`"):
        run_chainrule.command("python -c 1")
    here = os.getcwd()
    with run_chainrule.scratch() as folder:
        assert Path(os.getcwd()) == folder and not any(folder.iterdir())
    assert os.getcwd() == here and not folder.exists()

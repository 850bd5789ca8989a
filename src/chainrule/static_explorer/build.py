"""``chainrule site --out DIR``: the explorer as a folder any static web server can serve, with no Python on it.

The folder holds ``chainrule serve``'s own pages and scripts, so a link works
on both (``/?i=2&w=0.3&y=1``, ``/backprop?lesson=wide``), and beside them
what lets the browser answer their requests itself:

    index.html, backprop/index.html   the server's pages, their links made relative (the folder may sit anywhere)
    playground/index.html             why the playground needs ``chainrule serve`` (it trains with numpy)
    static/                           the pages' scripts, styles and vendored libraries, and the two scripts
                                      that answer the API in the browser (``assets/python_*.js``)
    pyodide/                          Python compiled to WebAssembly (the ``pyodide`` npm package's core files)
    graphviz/graphviz.js              Graphviz compiled to WebAssembly (``@hpcc-js/wasm-graphviz``): the same
                                      ``dot`` the server lays the step-through out with
    wheels/                           chainrule's wheel and the pure-Python wheels it needs (sympy, mpmath),
                                      and ``bytecode.zip``: what the pages import, compiled once (``bytecode``)
    explorer.json                     what the worker loads, and the sizes the loading line reports
    sw.js                             the service worker that keeps every file above for offline use

Nothing in the folder is fetched from another host. The npm packages come
from ``node_modules`` (``npm ci`` in a checkout) and the wheels from a
folder (``make site`` builds chainrule's and downloads the others'); a
missing one is named with the command that provides it. Compiling the
bytecode runs the folder's Pyodide in Node.js (``node`` on the PATH).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import InvalidValueError

__all__ = ["build", "Built", "WHEELS", "PYODIDE_FILES"]

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
PAGES_FROM = HERE.parent / "web" / "static"  # the explorer's pages and scripts, as `chainrule serve` serves them

# The pyodide npm package's files that Python needs in the browser (its consoles, maps and types stay behind).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json",
                 "package.json")
GRAPHVIZ = Path("@hpcc-js") / "wasm-graphviz"
# The wheels the browser installs, in order: what chainrule's pages import, and what that imports.
WHEELS = ("mpmath", "sympy", "chainrule")
PREPARE = ("run `make site` in chainrule's checkout (npm ci, then pip wheel --no-deps -w build/wheels . and "
           "pip download --no-deps -d build/wheels sympy mpmath)")
# pages: where each lands in the folder (its depth decides the relative links)
PAGES = {"index.html": "index.html", "backprop.html": "backprop/index.html"}
BYTECODE = "wheels/bytecode.zip"
COMPILE_SECONDS = 600  # the bytecode's compilation: a few tens of seconds on a 2-core machine
_ERROR_LINE = re.compile(r"^[A-Za-z_.]*(Error|Exception)\b.{0,300}$")
_LINK = re.compile(r'\b(href|src)="/([^"]*)"')


@dataclass
class Built:
    """What ``build`` wrote: the folder, its files (relative paths) and their total size in bytes."""

    out: Path
    files: list[str]
    bytes: int
    python_bytes: int
    wheel_bytes: int


def build(out: Path, node_modules: Path, wheels: Path) -> Built:
    """Write the static explorer into ``out`` (a new folder, or one this function wrote before)."""
    out, node_modules, wheels = Path(out), Path(node_modules), Path(wheels)
    pyodide = node_modules / "pyodide"
    missing = [f for f in PYODIDE_FILES if not (pyodide / f).is_file()]
    if missing:
        raise InvalidValueError(f"{pyodide}: no Pyodide here ({missing[0]} is missing); {PREPARE}")
    graphviz = node_modules / GRAPHVIZ / "dist" / "index.js"
    if not graphviz.is_file():
        raise InvalidValueError(f"{graphviz}: no Graphviz for the browser here; {PREPARE}")
    chosen = {name: _wheel(wheels, name) for name in WHEELS}
    _clear(out)

    _copy_tree(PAGES_FROM, out / "static", skip={".html"})
    for name in ("python_backend.js", "python_worker.js"):
        shutil.copyfile(ASSETS / name, out / "static" / "js" / name)
    shutil.copyfile(ASSETS / "static-explorer.css", out / "static" / "css" / "static-explorer.css")
    for page, target in PAGES.items():
        _write(out / target, _static_page((PAGES_FROM / page).read_text(encoding="utf-8"), target, backend=True))
    _write(out / "playground" / "index.html",
           _static_page((ASSETS / "playground.html").read_text(encoding="utf-8"), "playground/index.html", backend=False))
    for name in PYODIDE_FILES:
        _copy(pyodide / name, out / "pyodide" / name)
    _copy(graphviz, out / "graphviz" / "graphviz.js")
    licence = node_modules / GRAPHVIZ / "LICENSE"
    if licence.is_file():
        _copy(licence, out / "graphviz" / "LICENSE")
    for name, wheel in chosen.items():
        _copy(wheel, out / "wheels" / wheel.name)
    _compile(out, [out / "wheels" / chosen[n].name for n in WHEELS])

    python_bytes = sum((out / "pyodide" / f).stat().st_size for f in PYODIDE_FILES)
    wheel_bytes = sum(w.stat().st_size for w in chosen.values()) + (out / BYTECODE).stat().st_size
    manifest = {"version": __version__, "wheels": [f"wheels/{chosen[n].name}" for n in WHEELS], "bytecode": BYTECODE,
                "graphviz": "graphviz/graphviz.js", "bytes": {"python": python_bytes, "wheels": wheel_bytes}}
    _write(out / "explorer.json", json.dumps(manifest, indent=1) + "\n")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    _write(out / "sw.js", _service_worker(out, files))
    files.append("sw.js")
    total = sum((out / f).stat().st_size for f in files)
    return Built(out, sorted(files), total, python_bytes, wheel_bytes)


def _wheel(folder: Path, name: str) -> Path:
    """The one wheel of ``name`` in ``folder`` (chainrule's must be this version's)."""
    found = sorted(folder.glob(f"{name}-*-py3-none-any.whl")) if folder.is_dir() else []
    if name == "chainrule":
        found = [w for w in found if w.name.split("-")[1] == __version__]
    if not found:
        raise InvalidValueError(f"{folder}: no {name} wheel{' ' + __version__ if name == 'chainrule' else ''} "
                                f"(a pure-Python *-py3-none-any.whl) here; {PREPARE}")
    if len(found) > 1:
        raise InvalidValueError(f"{folder}: {len(found)} {name} wheels here ({', '.join(w.name for w in found)}); "
                                "keep one")
    return found[0]


def _compile(out: Path, wheels: list[Path]) -> None:
    """``wheels/bytecode.zip``: the folder's Pyodide, in Node.js, compiles what the pages import (``bytecode``)."""
    node = shutil.which("node")
    if node is None:
        raise InvalidValueError("chainrule site compiles the pages' Python with Node.js, and `node` is not on the "
                                "PATH; install Node.js (Debian: apt-get install nodejs)")
    script = ASSETS / "compile_bytecode.mjs"
    command = [node, str(script), str(out / "pyodide"), str(out / BYTECODE), *map(str, wheels)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_SECONDS)
    except subprocess.TimeoutExpired:
        raise InvalidValueError(f"compiling the pages' Python took over {COMPILE_SECONDS} s; stopped") from None
    if done.returncode != 0 or not (out / BYTECODE).is_file():
        # Node prints the minified line an error came from before it: the reason is the last error line
        named = [line.strip() for line in done.stderr.splitlines() if _ERROR_LINE.match(line.strip())]
        raise InvalidValueError(f"compiling the pages' Python in Pyodide failed: {(named or ['(no message)'])[-1]}")


def _clear(out: Path) -> None:
    """Make ``out`` an empty folder: refuse to empty one this function did not write."""
    if out.exists():
        if not out.is_dir():
            raise InvalidValueError(f"--out {out}: a file is there; give a folder")
        if any(out.iterdir()) and not (out / "explorer.json").is_file():
            raise InvalidValueError(f"--out {out}: a folder with other files in it; give a new or empty folder "
                                    "(or one chainrule site wrote)")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    _write(out / "explorer.json", "{}\n")  # the folder is ours from now on, even if this build stops half-way


def _static_page(html: str, target: str, backend: bool) -> str:
    """A page of the server made static: links relative to ``target``'s place, and the backend loaded first."""
    up = "../" * target.count("/")

    def relative(match: re.Match) -> str:
        attr, path = match.group(1), match.group(2)
        page, _, query = path.partition("?")
        if page in ("backprop", "playground"):
            page += "/"
        link = (up + page) or "./"
        return f'{attr}="{link}{"?" + query if query else ""}"'

    html = _LINK.sub(relative, html)
    extra = f'<link rel="stylesheet" href="{up}static/css/static-explorer.css">\n'
    if backend:
        extra += f'<script src="{up}static/js/python_backend.js"></script>\n'
    return html.replace("</title>\n", "</title>\n" + extra, 1)


def _service_worker(out: Path, files: list[str]) -> str:
    """sw.js with the folder's files (pages by their folder: ``backprop/``) and a version from their contents."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.encode())
        digest.update((out / f).read_bytes())
    listed = [("./" if f == "index.html" else f.removesuffix("index.html")) for f in files]
    source = (ASSETS / "sw.js").read_text(encoding="utf-8")
    return source.replace('"__VERSION__"', json.dumps(digest.hexdigest()[:16])).replace("__FILES__", json.dumps(listed))


def _copy_tree(src: Path, dst: Path, skip: set[str]) -> None:
    for path in sorted(src.rglob("*")):
        if path.is_file() and path.suffix not in skip and "__pycache__" not in path.parts:
            _copy(path, dst / path.relative_to(src))


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

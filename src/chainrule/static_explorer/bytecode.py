"""The static explorer's Python, compiled once when the folder is built instead of at every first visit.

A browser that opens the static explorer runs CPython compiled to WebAssembly
(Pyodide), and Python compiles every module it imports from source first:
about 300 of sympy's, 5 s of a 2-core laptop's time before the first number.
``chainrule site`` does that work once: it starts the folder's own Pyodide in
Node.js, installs the folder's wheels, imports what the pages use (and answers
one request of each kind, so the modules loaded on first use come in too), and
writes each imported module's bytecode into ``wheels/bytecode.zip``. The
worker unpacks it beside the wheels, and Python loads the bytecode instead of
compiling (``UNCHECKED_HASH``: valid whatever the files' dates; the same
Python version wrote it, so the format matches by construction).

This module runs inside Pyodide (``assets/compile_bytecode.mjs`` calls
``write``); it imports only the standard library and what it measures.
"""

from __future__ import annotations

import importlib.util
import json
import py_compile
import site
import sys
import zipfile
from pathlib import Path

# One request of each kind the pages make, so that what they import on first use is imported here too.
REQUESTS = (
    ("GET", "/api/limits", ""),
    ("GET", "/api/lessons/simplest/params", ""),
    ("POST", "/api/simplest", json.dumps({"steps": 3})),
    ("POST", "/api/exercise/questions", json.dumps({"lesson": "simplest"})),
    ("POST", "/api/exercise/check", json.dumps({"lesson": "simplest", "question": "dC/dw", "answer": "2*(i*w-y)*i"})),
    ("POST", "/api/exercise/check", json.dumps({"lesson": "simplest", "question": "edge:1", "answer": "1.5"})),
)


def write(out: str) -> int:
    """Import and exercise the pages' Python, then zip each imported module's bytecode into ``out``; the count."""
    from .answers import answer

    for method, path, body in REQUESTS:
        status, text = answer(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {text}")
    purelib = Path(site.getsitepackages()[0])  # (sysconfig writes it //lib/…, which no __file__ starts with)
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for module in sorted(sys.modules.values(), key=lambda m: m.__name__):
            source = getattr(module, "__file__", None)
            if not source or not source.endswith(".py") or purelib not in Path(source).parents:
                continue
            cached = importlib.util.cache_from_source(source)
            py_compile.compile(source, cfile=cached, doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            archive.write(cached, Path(cached).relative_to(purelib).as_posix())
            count += 1
    return count

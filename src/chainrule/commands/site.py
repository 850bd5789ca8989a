"""``chainrule site --out DIR``: the explorer as a static folder, chainrule itself answering its pages in the browser.

Any static web server can then serve DIR (``python -m http.server -d DIR``,
GitHub Pages, a school's web space): the home page (the video's network with
sliders, Step and Run, the parabola) and the step-through with its exercise
mode, for every lesson, computed by chainrule's own Python running in the
browser (Pyodide). Links work on both: ``/?i=2&w=0.3&y=1`` and
``/backprop?lesson=wide`` mean the same here and on ``chainrule serve``. The
playground trains with numpy, which the browser cannot load here: its page
says so and how to run ``chainrule serve``. After the first visit the pages
work offline.

It builds from a checkout: the npm packages in ``--node-modules`` (``npm
ci``) and the wheels in ``--wheels`` (``make site`` builds chainrule's and
downloads sympy's and mpmath's); Node.js compiles the pages' Python once.
The library side is ``chainrule.static_explorer``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..static_explorer.build import build


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="the folder to write (a new or empty one, or one chainrule site wrote before)")
    parser.add_argument("--node-modules", metavar="DIR", type=Path, default=Path("node_modules"),
                        help="where npm installed pyodide and @hpcc-js/wasm-graphviz (default: ./node_modules)")
    parser.add_argument("--wheels", metavar="DIR", type=Path, default=Path("build/wheels"),
                        help="the folder holding chainrule's, sympy's and mpmath's wheels (default: build/wheels, "
                             "made by `make site`)")


def run(args: argparse.Namespace) -> int:
    built = build(args.out, args.node_modules, args.wheels)
    print(f"the static explorer written to {built.out}: {len(built.files)} files, {built.bytes / 1e6:.1f} MB "
          f"(Pyodide {built.python_bytes / 1e6:.1f} MB, wheels and bytecode {built.wheel_bytes / 1e6:.1f} MB)")
    print(f"try it: python -m http.server --bind 127.0.0.1 --directory {built.out} 8000, then open "
          "http://127.0.0.1:8000/ (publish it: copy the folder to any static host, e.g. GitHub Pages)")
    return 0

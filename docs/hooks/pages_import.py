"""The pages' Python blocks import ``run_chainrule`` (beside this file): this hook puts its folder on ``sys.path``.

mkdocs loads a hook with its folder on the path only while loading it; markdown-exec runs a page's blocks later,
while the page is converted, so the folder stays on the path from ``on_config`` to the end of the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

HOOKS = str(Path(__file__).resolve().parent)


def on_config(config):
    if HOOKS not in sys.path:
        sys.path.insert(0, HOOKS)
    return config

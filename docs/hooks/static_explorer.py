"""The docs site includes the static explorer: ``chainrule site``'s folder, written into the built site's explorer/.

``mkdocs build`` (``make docs``) and ``mkdocs gh-deploy`` write it after the
pages, so a published site carries the explorer that runs in the browser,
with no server (``chainrule.static_explorer``): its npm packages come from
node_modules and its wheels from build/wheels (``make docs`` prepares both).
``mkdocs serve`` leaves it out: compiling its Python takes tens of seconds,
too long to wait for at every edit (``make site`` writes it alone).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError

from chainrule.errors import ChainruleError
from chainrule.static_explorer.build import build

ROOT = Path(__file__).resolve().parents[2]
_serving = False


def on_startup(command, dirty):
    global _serving
    _serving = command == "serve"


def on_post_build(config):
    if _serving:
        return
    try:
        build(Path(config.site_dir) / "explorer", ROOT / "node_modules", ROOT / "build" / "wheels")
    except ChainruleError as exc:
        raise PluginError(f"the static explorer (site/explorer/): {exc}") from None

"""The notebooks of ``notebooks/`` are pages of the site, run while it builds (mkdocs-jupyter) with their outputs.

They live beside the package, where ``make test`` runs them (nbmake), not under ``docs/``; this hook adds each
to the site's files as ``notebooks/NAME.ipynb`` before mkdocs-jupyter (priority 50: hooks otherwise run after
the plugins) turns the notebooks it finds into pages.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]


@event_priority(50)
def on_files(files, config):
    # a File read from the repository's root (mkdocs-jupyter wraps it, and finds it through its src_dir)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        files.append(File(f"notebooks/{path.name}", src_dir=str(ROOT), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files

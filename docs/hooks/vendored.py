"""What the site loads comes from the site itself: KaTeX and the offline search's shim, copied from node_modules.

The maths of every page is set by KaTeX (``docs/javascripts/katex.js``), and the built site's search works
from a folder (``file://``) through iframe-worker, which mkdocs-material's offline plugin asks for. Both are npm
packages pinned in package.json and package-lock.json (``npm ci``, as ``make test`` and ``make docs`` run it);
this hook adds their files to the site at build time, so nothing is fetched from another host and nothing is
copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, InclusionLevel

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"

# where in the site -> (the package's folder, the files wanted from it)
VENDORED = {
    "assets/katex": ("katex/dist", ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts/*"]),
    "assets/iframe-worker": ("iframe-worker/shim", ["index.js"]),
}


def on_files(files, config):
    for site_folder, (package_folder, patterns) in VENDORED.items():
        source = NODE_MODULES / package_folder
        if not source.is_dir():
            raise PluginError(f"{source} is missing: run `npm ci` (make docs does) to install KaTeX and iframe-worker")
        for pattern in patterns:
            found = sorted(p for p in source.glob(pattern) if p.is_file())
            if not found:
                raise PluginError(f"{source / pattern}: no such file in the installed npm package")
            for path in found:
                uri = f"{site_folder}/{path.relative_to(source).as_posix()}"
                files.append(File.generated(config, uri, abs_src_path=str(path), inclusion=InclusionLevel.NOT_IN_NAV))
    return files

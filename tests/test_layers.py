"""The house's layers point down: docs/architecture.md's table names every module's layer, no import points up it,
no import circles."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import chainrule

PACKAGE = Path(chainrule.__file__).resolve().parent
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """The chainrule modules a file imports (at module level only, or anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("chainrule"):
                submodules = {f"{target}.{a.name}" for a in node.names} & MODULES
                found |= submodules or {target}  # `from . import ops` is an import of chainrule.ops
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("chainrule")}
    return {m for m in found if m in MODULES and m != name}


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {_module_name(p) for p in FILES}


def _layer_table() -> list[tuple[str, set[str]]]:
    """docs/architecture.md's layers, top to bottom: (layer, the modules it names and the folders, as prefixes).

    A row names its modules and folders in backticks, as paths under src/chainrule (``cli.py``, ``commands/``,
    ``codegen/python.py``); what a parenthesis says about them (``web/``'s own files, what reads
    ``files.py``) is description, not a row's member.
    """
    lines = ARCHITECTURE.read_text(encoding="utf-8").splitlines()
    start = lines.index("| layer | modules | what it knows |") + 2  # after the header and its rule
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        layer, rest = line.strip("|").split("|", 1)
        modules = rest.rsplit("|", 1)[0]
        while re.search(r"\([^()]*\)", modules):
            modules = re.sub(r"\([^()]*\)", "", modules)
        named = set()
        for token in re.findall(r"`([^`]+)`", modules):
            path = PACKAGE / token
            if token.endswith("/") and path.is_dir():
                named.add("chainrule." + token.rstrip("/").replace("/", ".") + ".")
            elif token.endswith(".py") and path.is_file():
                named.add(_module_name(path))
        table.append((layer.strip(), named))
    return table


LAYERS = _layer_table()


def _layer(module: str) -> int | None:
    """The row of ``module`` in the table: its own entry, else its folder's (None: the package's __init__)."""
    if module == "chainrule":
        return None  # the public names and __version__: above the table, read by whoever needs them
    for k, (_, named) in enumerate(LAYERS):
        if module in named:
            return k
    folders = [(len(f), k) for k, (_, named) in enumerate(LAYERS) for f in named if f.endswith(".")
               and (module + ".").startswith(f)]
    return max(folders)[1] if folders else None


def test_the_architecture_names_every_module_once():
    seen: dict[str, str] = {}
    for layer, named in LAYERS:
        for name in named:
            assert name not in seen, f"{name} is in two layers of docs/architecture.md: {seen[name]} and {layer}"
            seen[name] = layer
    missing = [_module_name(p) for p in FILES if _module_name(p) != "chainrule" and _layer(_module_name(p)) is None]
    assert not missing, f"docs/architecture.md's layer table does not say where these are: {missing}"


def test_every_import_points_down_the_layers():
    upward = []
    for path in FILES:
        name = _module_name(path)
        mine = _layer(name)
        for target in _imports(path, top_level_only=False):  # a deferred import counts as much as any
            theirs = _layer(target)
            if mine is not None and theirs is not None and theirs < mine:
                upward.append(f"{name} ({LAYERS[mine][0]}) imports {target} ({LAYERS[theirs][0]})")
    assert not upward, "imports up the layers of docs/architecture.md:\n" + "\n".join(upward)


def test_the_library_never_imports_the_command_line():
    for path in FILES:
        name = _module_name(path)
        if name.startswith(("chainrule.commands", "chainrule.cli")):
            continue
        upward = {m for m in _imports(path, top_level_only=False) if m.startswith(("chainrule.commands", "chainrule.cli"))}
        assert not upward, f"{name} imports {upward}"


def test_there_are_no_import_circles_between_modules():
    graph = {_module_name(p): _imports(p, top_level_only=True) for p in FILES}

    def visit(node, path):
        for nxt in graph.get(node, ()):
            if nxt in path:
                raise AssertionError(f"import circle: {' → '.join(path[path.index(nxt):] + [nxt])}")
            visit(nxt, path + [nxt])

    for module in graph:
        visit(module, [module])


def _imports_torch(path: Path) -> bool:
    """Whether a file imports torch anywhere (an import statement, or importlib / __import__ given "torch")."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "torch" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "torch":
            return True
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and str(node.args[0].value).split(".")[0] == "torch":
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in ("import_module", "__import__"):
                return True
    return False


def test_torch_is_imported_by_no_library_module_but_the_interop_one():
    importing = {_module_name(path) for path in FILES if _imports_torch(path)}
    assert importing == {"chainrule.interop"}  # code that a module prints (codegen's programs) is not an import


def test_import_chainrule_loads_no_heavy_library():
    code = ("import sys, chainrule; heavy = [m for m in ('sympy', 'numpy', 'rich', 'matplotlib', 'graphviz', "
            "'fastapi', 'torch', 'dataclasses', 'typing') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_chainrule_help_imports_no_command():
    code = ("import sys, io, contextlib\nfrom chainrule.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
            "print(','.join(m for m in sys.modules if m.startswith('chainrule.commands') or m in ('sympy', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""

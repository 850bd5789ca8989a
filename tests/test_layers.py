"""The house's layers point down: no import circles, no arrow from the library up into the command line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import chainrule

PACKAGE = Path(chainrule.__file__).resolve().parent


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

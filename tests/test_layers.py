"""The package's layers, read from its import statements: each layer imports only the
layers below it, so core never reaches chapters or book, and no two modules import
each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "convexnn_lab"

# a layer may import itself and the layers listed after it
ORDER = ["cli", "check_env", "grading", "book", "chapters", "parallel", "training",
         "solvers", "data", "core", "status", "_internal"]
ALLOWED = {layer: set(ORDER[i:]) for i, layer in enumerate(ORDER)}
# grading checks answers against the chapters' helpers and the book draws their figures;
# the CLI demo is a user of everything; parallel launches chapter 6's image programs
ALLOWED["parallel"] |= {"chapters"}


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(imported module, at module level?) for every ``convexnn_lab`` import in `path`."""
    tree = ast.parse(path.read_text())
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("convexnn_lab"):
                names = [name] if node.module else [f"{name}.{a.name}" for a in node.names]
                for n in names:
                    yield n, id(node) in top
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("convexnn_lab"):
                    yield a.name, id(node) in top


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_each_module_imports_only_its_own_and_lower_layers(path):
    source = _layer(_module(path))
    if source == "__init__":
        return  # the public API gathers every layer
    allowed = ALLOWED[source]
    bad = sorted({m for m, _ in _imports(path) if _layer(m) not in allowed | {"__init__"}}
                 - {"convexnn_lab"})
    assert not bad, f"{path.relative_to(PKG)} ({source}) imports {bad} from a higher layer"


def test_no_module_level_import_cycle():
    modules = {_module(p): p for p in MODULES}
    graph = {m: {i for i, top in _imports(p) if top and i in modules and i != m}
             for m, p in modules.items()}
    # a package's __init__ importing its own submodules is not a cycle
    for m in graph:
        graph[m] = {i for i in graph[m] if not i.startswith(m + ".")}
    seen, stack = set(), []

    def visit(m):
        if m in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
        if m in seen:
            return
        stack.append(m)
        for i in sorted(graph[m]):
            visit(i)
        stack.pop()
        seen.add(m)

    for m in sorted(graph):
        visit(m)


def test_old_flat_module_paths_still_import_with_a_warning():
    import importlib
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = importlib.import_module("convexnn_lab.lowrank")
    new = importlib.import_module("convexnn_lab.chapters.lowrank")
    assert old is new and new.__spec__.name == "convexnn_lab.chapters.lowrank"
    assert any("convexnn_lab.chapters.lowrank" in str(w.message) for w in caught)

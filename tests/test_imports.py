"""The package's modules import each other without a cycle: data flow X -> patterns ->
program -> solver -> solution -> network, never back; and each layer (a subpackage)
imports only itself and the layers below it, so core never reaches chapters or book."""

import ast
import functools
import importlib
import warnings
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "convexnn_lab"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set:
    """Package modules imported anywhere in the file (function-level imports count)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            # `from pkg import submodule` needs the submodule, not the package's __init__
            if not all((PACKAGE.parent / n.replace(".", "/")).with_suffix(".py").exists()
                       for n in names):
                names.append(target)
            targets = names
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        found.update(t for t in targets if t.startswith("convexnn_lab"))
    return found


@functools.lru_cache(maxsize=1)
def _graph():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        graph[name] = {t for t in _imports(path) if t in modules and t != name}
    return graph


def _cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    graph = {k: v for k, v in _graph().items() if k != "convexnn_lab"}  # the re-exports
    cycle = _cycle({k: {t for t in v if t != "convexnn_lab"} for k, v in graph.items()})
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checker_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_data_flows_one_way():
    graph = _graph()
    # the network does not know the program; the program does not know its solvers
    assert not any(t.startswith("convexnn_lab.solvers") for t in graph["convexnn_lab.core.program"])
    assert "convexnn_lab.core.solution" not in graph["convexnn_lab.core.networks"]
    assert "convexnn_lab.solvers" not in graph["convexnn_lab.core.solution"]


# a layer may import itself and the layers after it in this list; the top-level
# __init__ gathers the public API from every layer
LAYERS = ["cli", "check_env", "grading", "book", "chapters", "parallel", "training",
          "solvers", "data", "core", "status", "_internal"]
ALLOWED = {layer: set(LAYERS[i:]) for i, layer in enumerate(LAYERS)}
ALLOWED["parallel"] |= {"chapters"}  # its torchrun entry point runs chapter 6's programs


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "convexnn_lab"


@pytest.mark.parametrize("name", sorted(n for n in _graph() if _layer(n) != "convexnn_lab"))
def test_each_module_imports_only_its_own_and_lower_layers(name):
    allowed = ALLOWED[_layer(name)] | {"convexnn_lab"}
    bad = sorted(t for t in _graph()[name] if _layer(t) not in allowed)
    assert not bad, f"{name} imports {bad}, a higher layer than {_layer(name)!r}"


def test_the_layer_check_sees_an_arrow_up():
    assert _layer("convexnn_lab.chapters.lowrank") not in ALLOWED["core"]
    assert _layer("convexnn_lab.core.program") in ALLOWED["chapters"]


def test_old_flat_module_paths_still_import_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = importlib.import_module("convexnn_lab.lowrank")
    new = importlib.import_module("convexnn_lab.chapters.lowrank")
    assert old is new and new.__spec__.name == "convexnn_lab.chapters.lowrank"
    assert any("convexnn_lab.chapters.lowrank" in str(w.message) for w in caught)

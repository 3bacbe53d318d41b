"""Build the book: MyST source -> executed, committed ``.ipynb``.

``python -m convexnn_lab.book.build build book/01_hyperplane_arrangements.md`` (or no
path: every chapter and solution) reads the ``.md`` source with jupytext, executes
it top to bottom with a fresh kernel and writes the paired ``.ipynb`` next to it.
The ``.md`` file is always the source (no ``jupytext --sync`` by file time), and
``in_sync`` is what the tests use to prove the pair agrees.

The pair is written exactly as JupyterLab (with jupytext's contents manager) would
save it, so opening a chapter and letting autosave run changes no file:
``as_jupyterlab_saves`` gives the notebook what the browser gives it (the kernel's
``display_name``, numbers after a JavaScript round trip, merged streams) and
``save_like_jupyterlab`` writes the .ipynb and the .md through jupytext's
``TextFileContentsManager``. The folders' ``jupytext.toml`` keeps jupytext's own version
out of the .md header, so a newer jupytext reads and saves the same bytes.
``tests/test_jupyter_roundtrip.py`` opens and saves every notebook that way.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

__all__ = ["SOURCES", "as_jupyterlab_saves", "build", "in_sync", "save_like_jupyterlab"]

SOURCES = ("book/[0-9]*.md", "solutions/ex*.md")


def _sources(paths):
    if paths:
        return [Path(p).with_suffix(".md") for p in paths]
    root = Path.cwd()
    return sorted(p for pattern in SOURCES for p in root.glob(pattern))


def _js_numbers(obj):
    """`obj` after JSON.parse/JSON.stringify in a browser: 3.0 comes back as 3."""
    if isinstance(obj, float) and obj.is_integer() and abs(obj) < 1e21:
        return int(obj)
    if isinstance(obj, dict):
        return type(obj)((k, _js_numbers(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_js_numbers(v) for v in obj]
    return obj


def _merge_streams(outputs):
    """Consecutive stream outputs of one name as one (JupyterLab's output area merges them)."""
    merged = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev["name"] == out["name"]):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def as_jupyterlab_saves(nb, kernel_name: str = "python3"):
    """Return notebook `nb` as JupyterLab holds it once its kernel has started.

    JupyterLab writes the kernel's own ``kernelspec`` (``display_name`` "Python 3
    (ipykernel)"), sends the notebook through JavaScript (integral floats such as
    widget slider values 3.0 become 3) and merges consecutive stream outputs.
    """
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    nb = nbformat.from_dict(_js_numbers(nb))
    nb.metadata["kernelspec"] = {"display_name": spec.display_name,
                                 "language": spec.language, "name": kernel_name}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
    return nb


def save_like_jupyterlab(nb, ipynb_path) -> None:
    """Write `nb` to `ipynb_path` (and its paired text file) through jupytext's contents
    manager, as JupyterLab's autosave does."""
    import jupytext

    ipynb_path = Path(ipynb_path).resolve()
    cm = jupytext.TextFileContentsManager(root_dir=str(ipynb_path.parent))
    cm.save({"type": "notebook", "format": "json", "content": nb}, ipynb_path.name)


def build(path, *, timeout: int = 600) -> float:
    """Execute the notebook of source `path` (.md) and write its paired .ipynb.

    Returns the execution time in seconds.
    """
    import jupytext
    from nbclient import NotebookClient

    src = Path(path).with_suffix(".md")
    nb = jupytext.read(src)
    env_before = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(src.parent)}}).execute()
        elapsed = time.perf_counter() - start
    finally:
        if env_before is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = env_before
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{src.stem}-{i}".replace("_", "-")
        cell.metadata.pop("execution", None)
    save_like_jupyterlab(as_jupyterlab_saves(nb), src.with_suffix(".ipynb"))
    return elapsed


def in_sync(md_path) -> tuple[bool, str]:
    """Do the .md source and its .ipynb hold the same cells (type and source)?"""
    import jupytext

    md_path = Path(md_path)
    nb_path = md_path.with_suffix(".ipynb")
    if not nb_path.exists():
        return False, f"{nb_path} is missing; run python -m convexnn_lab.book.build build {md_path}"
    a = jupytext.read(md_path)
    b = jupytext.read(nb_path)
    ca = [(c.cell_type, c.source.strip()) for c in a.cells]
    cb = [(c.cell_type, c.source.strip()) for c in b.cells]
    if ca == cb:
        return True, ""
    for i, (x, y) in enumerate(zip(ca, cb)):
        if x != y:
            return False, f"cell {i} differs: {x[1][:60]!r} (md) vs {y[1][:60]!r} (ipynb)"
    return False, f"{len(ca)} cells in {md_path}, {len(cb)} in {nb_path}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convexnn_lab.book.build",
                                     description="Execute book sources into .ipynb.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="execute .md sources and write the paired .ipynb")
    b.add_argument("paths", nargs="*", help="sources (default: book/*.md and solutions/*.md)")
    c = sub.add_parser("check", help="fail if a .md/.ipynb pair differs")
    c.add_argument("paths", nargs="*")
    args = parser.parse_args(argv)
    status = 0
    for src in _sources(args.paths):
        if args.command == "build":
            print(f"{src}: executed in {build(src):.1f} s", flush=True)
        else:
            ok, why = in_sync(src)
            print(f"{src}: {'in sync' if ok else why}")
            status |= not ok
    return status


if __name__ == "__main__":
    sys.exit(main())

"""The student-notebook generator: ``python -m convexnn_lab.grading release``.

Writes ``exercises/exNN_topic.ipynb`` from ``solutions/exNN_topic.md`` with nbgrader's
own preprocessors (``LockCells``, ``ClearSolutions`` with nbgrader's stub
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` and ``YOUR ANSWER HERE``,
``ClearHiddenTests``, ``ClearMarkScheme``, ``ClearOutput``), so ``nbgrader
generate_assignment`` gives the same cells from the same sources (``course`` writes
the nbgrader source folder). Check cells come out locked: ``editable`` and
``deletable`` false, as nbgrader writes them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def release_notebook(src: Path):
    """Read a solutions source (``.md`` or ``.ipynb``) and return the student notebook."""
    import jupytext
    from nbgrader.preprocessors import (
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        LockCells,
    )

    nb = jupytext.read(src)
    resources: dict = {}
    for pre in (LockCells(), ClearSolutions(), ClearHiddenTests(), ClearMarkScheme(),
                ClearOutput()):
        nb, resources = pre.preprocess(nb, resources)
    nb.metadata.pop("jupytext", None)
    executed = Path(src).with_suffix(".ipynb")
    if executed.exists():
        # the kernel's language_info, as JupyterLab adds it when the kernel starts:
        # without it, opening an exercise would change the file
        info = jupytext.read(executed).metadata.get("language_info")
        if info:
            nb.metadata["language_info"] = info
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{src.stem}-{i}".replace("_", "-")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def release(src_dir="solutions", dst_dir="exercises") -> list[Path]:
    """Write ``dst_dir/exNN_topic.ipynb`` for every ``src_dir/exNN_topic.md``."""
    import nbformat

    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    sources = sorted(src_dir.glob("ex*.md"))
    if not sources:
        raise FileNotFoundError(f"no exercise sources ex*.md in {src_dir}")
    dst_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        out = dst_dir / (src.stem + ".ipynb")
        nbformat.write(release_notebook(src), out)
        written.append(out)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m convexnn_lab.grading",
        description="Generate student notebooks from the instructor's solutions.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="write exercises/ from solutions/")
    rel.add_argument("src", nargs="?", default="solutions")
    rel.add_argument("dst", nargs="?", default="exercises")
    crs = sub.add_parser("course", help="write an nbgrader course folder from solutions/")
    crs.add_argument("course_dir")
    crs.add_argument("--solutions", default="solutions")
    crs.add_argument("--only", nargs="*", help="chapter numbers (00 01 ...) to include")
    args = parser.parse_args(argv)
    if args.command == "course":
        from .course import make_course

        written = make_course(args.course_dir, args.solutions, args.only)
    else:
        written = release(args.src, args.dst)
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

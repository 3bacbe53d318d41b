"""The book's promises nbval cannot see."""

import json
from pathlib import Path

import pytest

from convexnn_lab.notebooks import in_sync

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "book").glob("[0-9][0-9]_*.md")) + \
    sorted((ROOT / "solutions").glob("ex*.md"))


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_source_and_notebook_are_in_sync(md):
    ok, why = in_sync(md)
    assert ok, why + f"; rebuild with python -m convexnn_lab.notebooks build {md.name}"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_executed(md):
    nb = json.loads(md.with_suffix(".ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] is not None for c in code), \
        "unexecuted cells are not compared by nbval"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"
              and "raises-exception" not in c["metadata"].get("tags", [])]
    assert not errors, "a cell failed; only cells tagged raises-exception may show an error"


def test_book_has_the_planned_chapters():
    names = [p.stem for p in sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))]
    assert names[0] == "00_nonconvex_landscape"

"""The book's promises nbval cannot see."""

import json
import re
from pathlib import Path

import pytest

from convexnn_lab.book.build import in_sync

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "book").glob("[0-9][0-9]_*.md")) + \
    sorted((ROOT / "solutions").glob("ex*.md"))


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_source_and_notebook_are_in_sync(md):
    ok, why = in_sync(md)
    assert ok, why + f"; rebuild with python -m convexnn_lab.book.build build {md.name}"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_executed(md):
    nb = json.loads(md.with_suffix(".ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] is not None for c in code), \
        "unexecuted cells are not compared by nbval"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"
              and "raises-exception" not in c["metadata"].get("tags", [])]
    assert not errors, "a cell failed; only cells tagged raises-exception may show an error"


def _readme_chapters():
    # rows of README.md's chapter table: "| 00 The non-convex landscape | ... |"
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^\| (\d\d) [^|]+\|", text, re.MULTILINE)


def test_book_has_the_planned_chapters():
    planned = _readme_chapters()
    # a reworded or dropped table would leave nothing to compare
    assert len(planned) >= 8, "README.md's chapter table not found"
    # a gap or a repeat in the numbering (a chapter dropped, two chapters 03)
    assert planned == [f"{k:02d}" for k in range(len(planned))], planned
    sources = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.md"))
    executed = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    # a chapter written but never built (no .ipynb), or an .ipynb left behind by a rename
    assert sources == executed
    # a chapter in the README but missing from book/, one in book/ the README does not
    # list, or two book files with the same number
    assert [stem[:2] for stem in sources] == planned


@pytest.mark.parametrize("chapter", sorted((ROOT / "book").glob("[0-9][0-9]_*.md")),
                         ids=lambda p: p.stem)
def test_every_chapter_has_its_exercises_and_solutions(chapter):
    number = chapter.stem[:2]
    # an exercise notebook or solutions source missing, or two for one chapter
    assert [p.name for p in (ROOT / "exercises").glob(f"ex{number}_*.ipynb")] == \
        [f"ex{chapter.stem}.ipynb"]
    assert [p.name for p in (ROOT / "solutions").glob(f"ex{number}_*.md")] == \
        [f"ex{chapter.stem}.md"]
    # the chapter's "Exercises" section sends the reader to a notebook that was renamed
    # a relative link JupyterLab opens (from the repository root, book/ and exercises/ are
    # both reachable); a bare path in backticks is not clickable
    assert f"](../exercises/ex{chapter.stem}.ipynb)" in chapter.read_text()


NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")) + \
    sorted((ROOT / "solutions").glob("ex*.ipynb")) + sorted((ROOT / "exercises").glob("ex*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_stored_outputs_show_no_absolute_path(path):
    # a traceback printed the author's /work/... path to every reader
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        # text only: base64 images may hold any six characters
        text = json.dumps([{k: v for k, v in out.get("data", out).items()
                            if not k.startswith("image/")} for out in cell.get("outputs", [])])
        for prefix in ("/work/", "/root/", "/home/", "/Users/", "C:\\\\Users"):
            assert prefix not in text, f"cell {i} of {path.name} shows a path with {prefix}"

"""Exercises come from one source: solutions/ex*.md with nbgrader markers."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import convexnn_lab as cl
from convexnn_lab.grading import NOT_ANSWERED, release_notebook

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "solutions").glob("ex*.md"))
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def test_every_chapter_has_exercises():
    chapters = sorted(p.stem[:2] for p in (ROOT / "book").glob("[0-9][0-9]_*.md"))
    assert chapters, "no chapters found"
    assert [p.stem[2:4] for p in SOURCES] == chapters


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_exercises_are_generated_from_solutions(src):
    committed = nbformat.read(ROOT / "exercises" / (src.stem + ".ipynb"), as_version=4)
    fresh = release_notebook(src)
    assert [(c.cell_type, c.source) for c in committed.cells] == \
        [(c.cell_type, c.source) for c in fresh.cells], \
        "exercises/ is stale: run python -m convexnn_lab.grading release"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_exercise_holds_no_solution_text(src):
    text = src.read_text()
    student = (ROOT / "exercises" / (src.stem + ".ipynb")).read_text()
    for marker in MARKERS:
        assert marker not in student
    hidden = re.findall(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", text, re.DOTALL)
    assert hidden, "no solution regions found"
    for _, block in hidden:
        for line in block.splitlines():
            line = line.strip()
            if len(line) > 12:
                assert line not in student, f"solution line leaked: {line}"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_unanswered_exercise_fails_every_check_with_the_stub_message(src):
    nb = release_notebook(src)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "exercises")}}).execute()
    checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        is_check = cell.metadata.get("nbgrader", {}).get("grade", False)
        if is_check:
            checks += 1
            assert errors and NOT_ANSWERED in errors[0]["evalue"], cell.source
        else:
            assert not errors, f"crash outside a check cell: {cell.source[:80]}"
    assert checks >= 3


def test_check_gives_specific_feedback():
    with pytest.raises(AssertionError, match="did you drop duplicates"):
        cl.grading.check("ex01.q1", lambda X, U: (X @ U >= 0).T)
    with pytest.raises(AssertionError, match="twice the expected"):
        cl.grading.check("ex00.q1",
                         lambda w, X, y: np.sum((np.maximum(0, X[:, 0] * w) - y) ** 2))
    with pytest.raises(AssertionError, match="z = 1 - lam/2"):
        cl.grading.check("ex00.q2", lambda lam: 1 - lam)
    with pytest.raises(AssertionError, match="balance"):
        cl.grading.check("ex00.q3", lambda z: (z, 1.0))
    with pytest.raises(AssertionError, match="not answered yet"):
        cl.grading.check("ex00.q4", lambda *a: (_ for _ in ()).throw(NotImplementedError("x")))
    with pytest.raises(AssertionError, match="C\\(n-1, k\\)"):
        import math
        cl.grading.check("ex01.q2", lambda n, r: 2 * sum(math.comb(n, k) for k in range(r)))
    with pytest.raises(AssertionError, match="pass the function"):
        cl.grading.check("ex00.q1", 3.0)
    with pytest.raises(AssertionError, match="left out \\|\\|y\\|\\|"):
        cl.grading.check("ex03.q2", lambda s, y, b: (1 + s / (2 * b)) ** 4)
    with pytest.raises(AssertionError, match="-z_i, not 0"):
        cl.grading.check("ex03.q3", lambda Z, p: p.astype(float) @ Z)
    with pytest.raises(AssertionError, match="count distinct patterns"):
        cl.grading.check("ex04.q1", lambda W1, X: W1.shape[1])
    with pytest.raises(AssertionError, match="sqrt\\(1/2\\)"):
        cl.grading.check("ex04.q2", lambda W1, w2, j: (
            np.hstack([np.delete(W1, j, 1), 0.5 * W1[:, [j, j]]]),
            np.concatenate([np.delete(w2, j), w2[[j, j]]])))

"""A real nbgrader course: generate_assignment, autograde, generate_feedback on chapter 00.

The commands are those of docs/exercises.md (instructors), run in a temporary course folder
made by ``python -m convexnn_lab.grading course``. One student answers some questions
right, one wrong, one not at all (and writes a derivation); another edits a check cell.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow  # builds and grades a whole nbgrader course

nbgrader = pytest.importorskip(
    "nbgrader", reason="nbgrader is not installed (pip install -e '.[dev]' installs it)")

ROOT = Path(__file__).resolve().parents[1]
NB = "ex00_nonconvex_landscape"

ANSWERS = {  # grade_id -> the code a student wrote (alice)
    "ex00-q1": ("def one_neuron_loss(w, X, y):\n"
                "    return 0.5 * np.sum((np.maximum(0.0, X[:, 0] * w) - y) ** 2)"),
    "ex00-q2": "def convex_minimizer(lam):\n    return 1 - lam / 2  # wrong: not clipped at 0",
    # ex00-q3 left as released: not answered
    "ex00-q4": ("def two_neuron_gradient(w, X, y):\n"
                "    x = X[:, 0]\n    z = np.outer(w, x)\n"
                "    r = np.maximum(0.0, z).sum(axis=0) - y\n"
                "    return ((z > 0) * x * r).sum(axis=1)"),
    "ex00-q5": "By AM-GM, (a^2 + b^2)/2 >= |ab| ...",
    "ex00-q6": "prediction = 0.75",
}


def _nbgrader(course, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "nbgrader", *args], check=False, cwd=course,
                         env=env,
                         capture_output=True, text=True, timeout=300)
    print(f"nbgrader {args[0]}: {time.perf_counter() - t0:.1f} s")
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def _submit(course, student, edit):
    released = nbformat.read(course / "release" / "ex00" / f"{NB}.ipynb", as_version=4)
    for cell in released.cells:
        edit(cell)
    folder = course / "submitted" / student / "ex00"
    folder.mkdir(parents=True)
    nbformat.write(released, folder / f"{NB}.ipynb")


def _grade_id(cell):
    return cell["metadata"].get("nbgrader", {}).get("grade_id")


def test_nbgrader_course_end_to_end(tmp_path):
    from nbgrader.api import Gradebook

    from convexnn_lab.grading import make_course

    start = time.perf_counter()
    course = tmp_path / "course"
    make_course(course, ROOT / "solutions", only=["00"])
    _nbgrader(course, "generate_assignment", "ex00", "--force")

    released = nbformat.read(course / "release" / "ex00" / f"{NB}.ipynb", as_version=4)
    cells = {_grade_id(c): c for c in released["cells"] if _grade_id(c)}
    # nbgrader's own stubs, and check cells the learner cannot edit or delete
    assert cells["ex00-q1"]["source"].endswith("    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert cells["ex00-q5"]["source"] == "YOUR ANSWER HERE"
    assert "Rubric" not in nbformat.writes(released)
    checks = [c for c in released["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
              and c["cell_type"] == "code"]
    assert len(checks) == 5
    for cell in checks:
        assert cell["metadata"]["editable"] is False and cell["metadata"]["deletable"] is False
        assert "HIDDEN TESTS" not in cell["source"]

    def alice(cell):
        gid = _grade_id(cell)
        if gid in ANSWERS:
            cell["source"] = ANSWERS[gid]

    def bob(cell):  # right answers, and an edited check cell
        alice(cell)
        if _grade_id(cell) == "ex00-q2":
            cell["source"] = "def convex_minimizer(lam):\n    return max(1 - lam / 2, 0.0)"
        if _grade_id(cell) == "ex00-q2-check":
            cell["source"] = "pass  # the check is gone"

    _submit(course, "alice", alice)
    _submit(course, "bob", bob)
    log = _nbgrader(course, "autograde", "ex00", "--create")
    feedback_log = _nbgrader(course, "generate_feedback", "ex00")

    # no false "checksum has changed" for untouched cells; the edited one is reported
    changed = [line for line in log.splitlines() if "checksum" in line and "has changed" in line]
    assert len(changed) == 1 and "ex00-q2-check" in changed[0], log

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        def score(student, gid):
            return gb.find_grade(gid, NB, "ex00", student).score

        a = {g: score("alice", g) for g in ("ex00-q1-check", "ex00-q2-check",
                                             "ex00-q3-check", "ex00-q4-check",
                                             "ex00-q6-check")}
        assert a == {"ex00-q1-check": 1, "ex00-q2-check": 0, "ex00-q3-check": 0,
                     "ex00-q4-check": 1, "ex00-q6-check": 1}
        manual = gb.find_grade("ex00-q5", NB, "ex00", "alice")
        assert manual.needs_manual_grade and manual.max_score == 3
        sub = gb.find_submission("ex00", "alice")
        assert sub.max_score == 8 and sub.score == 3
        # the restored check cell graded bob's right answer
        assert score("bob", "ex00-q2-check") == 1
        assert gb.find_submission("ex00", "bob").score == 4  # q3 unanswered

    html = (course / "feedback" / "alice" / "ex00" / f"{NB}.html").read_text()
    assert "HIDDEN TESTS" not in html and "X_h, y_h" not in html, feedback_log
    assert "not answered yet" in html and "ex00.q2" in html
    elapsed = time.perf_counter() - start
    print(f"nbgrader end to end: {elapsed:.1f} s; alice {sub.score}/{sub.max_score}")

"""An nbgrader course folder made from the solutions, and the configuration it needs.

The ``solutions/exNN_topic.md`` sources are MyST markdown; nbgrader reads only
``.ipynb``, so ``python -m convexnn_lab.grading course COURSE`` writes
``COURSE/source/exNN/exNN_topic.ipynb`` (one assignment per chapter) and
``COURSE/nbgrader_config.py``. From ``COURSE`` an instructor then runs nbgrader as
usual (``nbgrader generate_assignment exNN``, ``autograde``, ``generate_feedback``);
``tests/test_nbgrader.py`` runs exactly that.

The configuration changes two things in nbgrader 0.9.6:

- :class:`OverwriteCells` replaces nbgrader's: nbgrader stores a check cell's
  checksum before it removes the hidden tests, so every untouched check cell that
  holds hidden tests logged "Attribute 'checksum' for cell ... has changed" on
  autograde (jupyter/nbgrader#1961), which hid real tampering. Ours compares the
  submitted cell with the released one (hidden tests removed) and warns only when the
  learner changed it; like nbgrader's it then restores the cell with its hidden tests.
- ``GenerateFeedback`` removes the hidden tests from the feedback a learner receives,
  and :class:`ShortTracebacks` cuts a failed cell's traceback to its last line (the
  traceback quotes the lines around the failing call: the hidden tests).
"""

from __future__ import annotations

import copy
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells

CONFIG = '''\
# nbgrader configuration written by `python -m convexnn_lab.grading course`
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearOutput,
                                    DeduplicateIds, GetGrades, OverwriteKernelspec)

from convexnn_lab.grading.course import OverwriteCells, ShortTracebacks

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
# no false "checksum has changed" warning for untouched check cells with hidden tests
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                      OverwriteCells, CheckCellMetadata]
# the feedback a learner receives shows neither the hidden tests nor a traceback that
# quotes them (or the checks' code): a failed check shows its message only
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, ShortTracebacks,
                                    CSSHTMLHeaderPreprocessor]
'''


class OverwriteCells(_NbgraderOverwriteCells):
    """nbgrader's ``OverwriteCells`` that warns about a changed checksum only on real edits.

    A locked cell whose source equals the released source (the stored source with
    the hidden tests removed) is untouched: it is restored without a warning. Any
    other change is reported and undone as nbgrader does.
    """

    _untouched = False

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        self._untouched = False
        if grade_id is not None:
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id,
                                                         self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None and source.locked:
                released = copy.deepcopy(cell)
                released.source = source.source
                ClearHiddenTests(enforce_metadata=False)._remove_hidden_test_region(released)
                self._untouched = cell.source == released.source
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self._untouched = False

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and self._untouched:
            return
        super().report_change(name, attr, old, new)


class ShortTracebacks(NbGraderPreprocessor):
    """Replace each error output's traceback by its last line, ``Name: message``."""

    def preprocess_cell(self, cell, resources, cell_index):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources


def make_course(course_dir, solutions="solutions", only=None, course_id="convexnn_lab"):
    """Write an nbgrader course folder: ``source/exNN/exNN_topic.ipynb`` + config.

    Parameters
    ----------
    course_dir : path
        The folder to create (or update); nbgrader commands run from there.
    solutions : path
        The folder holding ``exNN_topic.md``.
    only : iterable of str, optional
        Chapter numbers (``"00"``) or stems to include; default: every exercise.

    Returns
    -------
    list of Path
        The source notebooks written.
    """
    import jupytext
    import nbformat

    course_dir, solutions = Path(course_dir), Path(solutions)
    sources = sorted(solutions.glob("ex*.md"))
    if only:
        only = {str(o) for o in only}
        sources = [s for s in sources if s.stem in only or s.stem[2:4] in only
                   or s.stem[:4] in only]
    if not sources:
        raise FileNotFoundError(f"no exercise sources ex*.md in {solutions}"
                                + (f" matching {sorted(only)}" if only else ""))
    course_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / "nbgrader_config.py").write_text(CONFIG.format(course_id=course_id))
    written = []
    for src in sources:
        nb = jupytext.read(src)
        nb.metadata.pop("jupytext", None)
        out = course_dir / "source" / src.stem[:4] / (src.stem + ".ipynb")
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        written.append(out)
    return written


__all__ = ["CONFIG", "OverwriteCells", "ShortTracebacks", "make_course"]

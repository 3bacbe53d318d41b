"""Graded exercises: the checks learners call, and the student-notebook generator.

Learners call ``check("ex01.q2", answer)`` in a check cell.  Most answers are a
function the learner writes; the check runs it on its own inputs, compares with
the library and explains what is wrong (shape, count, sign, objective gap).  A
prediction answer is a number the learner commits to before running an experiment.
Derivations are markdown answers graded by hand (nbgrader "manual" points, rubric in
the solution).  How a check is written: ``_registry``'s docstring.

Instructors write exercises once, in ``solutions/exNN_topic.md`` with nbgrader's
markers; ``python -m convexnn_lab.grading release solutions exercises`` writes the
student notebooks with nbgrader's own preprocessors (``ClearSolutions``,
``ClearHiddenTests``, ``ClearOutput``), so ``nbgrader generate_assignment`` gives the
same result from the same sources.

Layout: ``_registry`` (the registry ``CHECKS`` and the helpers the checks share),
``ex00`` ... ``ex10`` (the checks of each chapter's exercises, registered on import),
``release`` (the generator and its command line), ``course`` (an nbgrader course folder
made from the sources, and the nbgrader configuration it needs).
"""

from __future__ import annotations

from . import ex00, ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex08, ex09, ex10  # noqa: F401
from ._registry import CHECKS, NOT_ANSWERED, STUB, Feedback, run
from .release import main, release, release_notebook  # noqa: F401  (main: the command line)

__all__ = ["CHECKS", "NOT_ANSWERED", "STUB", "Feedback", "check", "make_course", "release",
           "release_notebook"]


def check(name: str, answer) -> None:
    """Grade `answer` for exercise `name`: print "correct", or raise with feedback.

    `answer` is the function the learner wrote (most exercises) or the number they
    predicted (prediction exercises). Returns None, so a check cell shows no ``Out``.

    Raises
    ------
    KeyError
        If no exercise is called `name`.
    Feedback
        (an AssertionError, so nbgrader counts the cell as failed) with a message that
        names the exercise and what is wrong, or says it is not answered yet. It never
        shows the check's code or its reference values.
    """
    if name not in CHECKS:
        raise KeyError(f"no exercise called {name!r}; known: {', '.join(sorted(CHECKS))}")
    try:
        run(CHECKS[name], answer)
    except Feedback as exc:  # raised here, so a traceback shows no frame of the checks
        raise Feedback(str(exc)) from None
    print(f"{name}: correct")


def make_course(course_dir, solutions="solutions", only=None, course_id="convexnn_lab"):
    """An nbgrader course folder from the solutions (see :mod:`.course`; imports nbgrader)."""
    from .course import make_course as _make

    return _make(course_dir, solutions, only, course_id)

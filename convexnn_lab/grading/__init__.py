"""Graded exercises: the checks learners call, and the student-notebook generator.

Learners call ``check("ex01.q2", answer)`` in a check cell.  Each answer is a
function the learner writes; the check runs it on its own inputs, compares with
the library and explains what is wrong (shape, count, sign, objective gap).

Instructors write exercises once, in ``solutions/exNN_topic.md`` with nbgrader's
markers; ``python -m convexnn_lab.grading release solutions exercises`` writes the
student notebooks with nbgrader's own preprocessors (``ClearSolutions``,
``ClearHiddenTests``, ``ClearOutput``), so ``nbgrader generate_assignment`` gives the
same result from the same sources.

Layout: ``_registry`` (the registry ``CHECKS`` and the helpers the checks share),
``ex00`` ... ``ex09`` (the checks of each chapter's exercises, registered on import),
``release`` (the generator and its command line).
"""

from __future__ import annotations

from . import ex00, ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex09  # noqa: F401  (register)
from ._registry import CHECKS, NOT_ANSWERED, STUB, Feedback
from .release import main, release, release_notebook  # noqa: F401  (main: the command line)

__all__ = ["CHECKS", "NOT_ANSWERED", "STUB", "check", "release", "release_notebook"]


def check(name: str, answer) -> bool:
    """Grade `answer` for exercise `name`; print "correct" or raise with feedback.

    Raises
    ------
    AssertionError
        With a message that names the exercise and what is wrong, or says the
        exercise is not answered yet.
    """
    if name not in CHECKS:
        raise KeyError(f"no exercise called {name!r}; known: {', '.join(sorted(CHECKS))}")
    if not callable(answer):
        raise Feedback(f"{name}: pass the function you wrote (its name, without calling it)")
    try:
        CHECKS[name](answer)
    except NotImplementedError as exc:
        raise Feedback(
            f"{name}: {NOT_ANSWERED} ({exc}); replace the `raise NotImplementedError` "
            "line with your code"
        ) from None
    except Feedback as exc:
        raise Feedback(f"{name}: {exc}") from None
    print(f"{name}: correct")
    return True

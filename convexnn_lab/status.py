"""Every status a result of this library can carry, in one vocabulary.

A status is a plain string (``solution.status == "optimal"`` keeps working), named
here once, with the groups a caller acts on (like CVXPY's ``settings.py``):

- "optimal" (CERTIFIED): the certificate proves the relative gap tol and every block
  lies in its cone; earned, never claimed.
- "inaccurate" (UNCERTIFIED): the method claims convergence; the certificate does not
  confirm it.
- "max_iterations", "time_limit", "max_rounds", "max_patterns", "node_limit",
  "slow_progress" (BUDGET_STOPS): the iteration limit, the time budget, column
  generation's round limit, its pattern budget, the branch and bound's node limit or
  column generation's progress rule (its last round lowered the objective by less than
  ``min_progress``) came first.
- "stalled", "numerical_error" (FAILURES): round-off stopped progress short of tol; a
  Newton system broke down.
- "not_optimal" (DISPROVED): a direction u violates the dual constraint, a proof that
  the patterns miss the global optimum.
- "no_violation_found" (UNCERTIFIED): a search for such a direction found none; not a
  proof.

Which results carry which: ``ConvexSolution`` and ``VectorSolution`` carry
``SOLVE_STATUSES``; ``GlobalCertificate`` (``certify_global``) ``GLOBAL_STATUSES``;
``TrainingReport`` (``train_convex``) ``TRAINING_STATUSES``.  CVXPY's own statuses
enter through :func:`from_cvxpy` only.  A solve that ends uncertified warns with
:class:`ConvergenceWarning`, a category a caller can filter by class.
"""

from __future__ import annotations

__all__ = [
    "BUDGET_STOPS", "CERTIFIED", "DISPROVED", "FAILURES", "GLOBAL_STATUSES",
    "INACCURATE", "MAX_ITERATIONS", "MAX_PATTERNS", "MAX_ROUNDS", "NODE_LIMIT", "NOT_OPTIMAL",
    "NO_VIOLATION_FOUND", "NUMERICAL_ERROR", "OPTIMAL", "PRICE_STATUSES", "BOUND_STATUSES",
    "SLOW_PROGRESS", "SOLVE_STATUSES", "STALLED",
    "TIME_LIMIT", "TRAINING_STATUSES", "UNCERTIFIED", "ConvergenceWarning", "describe",
    "from_cvxpy", "is_certified",
]

OPTIMAL = "optimal"
INACCURATE = "inaccurate"
MAX_ITERATIONS = "max_iterations"
TIME_LIMIT = "time_limit"
MAX_ROUNDS = "max_rounds"
MAX_PATTERNS = "max_patterns"
NODE_LIMIT = "node_limit"
SLOW_PROGRESS = "slow_progress"
STALLED = "stalled"
NUMERICAL_ERROR = "numerical_error"
NOT_OPTIMAL = "not_optimal"
NO_VIOLATION_FOUND = "no_violation_found"

CERTIFIED = (OPTIMAL,)
BUDGET_STOPS = (MAX_ITERATIONS, TIME_LIMIT, MAX_ROUNDS, MAX_PATTERNS, NODE_LIMIT,
                SLOW_PROGRESS)
FAILURES = (STALLED, NUMERICAL_ERROR)
UNCERTIFIED = (INACCURATE, NO_VIOLATION_FOUND)
DISPROVED = (NOT_OPTIMAL,)

# what each result type can carry
SOLVE_STATUSES = (OPTIMAL, INACCURATE, MAX_ITERATIONS, STALLED, NUMERICAL_ERROR)
GLOBAL_STATUSES = (OPTIMAL, NOT_OPTIMAL, INACCURATE, NO_VIOLATION_FOUND)
TRAINING_STATUSES = (OPTIMAL, INACCURATE, NO_VIOLATION_FOUND, TIME_LIMIT, MAX_ROUNDS,
                     MAX_PATTERNS, SLOW_PROGRESS)
PRICE_STATUSES = (OPTIMAL, INACCURATE, NOT_OPTIMAL, TIME_LIMIT, NODE_LIMIT)
BOUND_STATUSES = (OPTIMAL, NOT_OPTIMAL, INACCURATE, TIME_LIMIT, NODE_LIMIT)

_WORDS = {
    OPTIMAL: "certified optimal",
    INACCURATE: "claimed converged, but the certificate does not prove tol",
    MAX_ITERATIONS: "stopped at the iteration limit",
    TIME_LIMIT: "stopped at the time limit",
    MAX_ROUNDS: "stopped at the round limit",
    MAX_PATTERNS: "stopped at the pattern budget",
    NODE_LIMIT: "stopped at the node limit of the branch and bound",
    SLOW_PROGRESS: "stopped: the last round lowered the objective by less than min_progress",
    STALLED: "stalled: round-off stopped progress short of tol",
    NUMERICAL_ERROR: "a Newton system broke down",
    NOT_OPTIMAL: "a violated direction proves the patterns miss the global optimum",
    NO_VIOLATION_FOUND: "the search found no violated pattern (a search, not a proof)",
}

# CVXPY's statuses (cvxpy/settings.py) -> ours; the rest carry no point worth keeping
_FROM_CVXPY = {"optimal": OPTIMAL, "optimal_inaccurate": INACCURATE,
               "user_limit": MAX_ITERATIONS}


class ConvergenceWarning(RuntimeWarning):
    """A solve or a search ended without a certificate of optimality.

    Filter it by class (``warnings.simplefilter("ignore", cl.status.ConvergenceWarning)``)
    where stopping early is intended.  A ``RuntimeWarning`` subclass, so filters written
    for the bare RuntimeWarning earlier releases raised still apply.
    """


def is_certified(status: str) -> bool:
    """True only for a status earned from a certificate ("optimal")."""
    return status in CERTIFIED


def describe(status: str) -> str:
    """The status in plain words, for messages and reports."""
    if status not in _WORDS:
        raise ValueError(f"status must be one of {tuple(_WORDS)}, got {status!r}")
    return _WORDS[status]


def from_cvxpy(status: str) -> str | None:
    """Our status for CVXPY's `status` (``problem.status``): "optimal", "inaccurate"
    (CVXPY's "optimal_inaccurate"), "max_iterations" ("user_limit"); None where CVXPY
    returned no usable point ("infeasible", "unbounded", "solver_error", ...)."""
    return _FROM_CVXPY.get(status)

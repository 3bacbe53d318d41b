"""Is a convex solution optimal for the non-convex network of any width? (chapter 2)

With lambda the solution's dual residual, the solution's network is a global optimum
of the non-convex problem iff ``max_{||u|| <= 1} |lambda^T sigma(X u)| <= beta``: the dual
constraint of the program over **every** pattern of X (notation section of chapter 00).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from .._internal.validation import check_positive_int, check_seed
from ..status import INACCURATE, NO_VIOLATION_FOUND, NOT_OPTIMAL, OPTIMAL
from .certificates import certify_output, gap_within
from .patterns import enumerate_patterns, sample_patterns
from .program import ConvexProgram
from .solution import ConvexSolution

__all__ = ["GlobalCertificate", "certify_global"]


@dataclass
class GlobalCertificate:
    """Is a solution optimal for the full non-convex problem (every direction u)?

    Attributes
    ----------
    status : {"optimal", "not_optimal", "inaccurate", "no_violation_found"}
        "optimal": ``global_gap <= rtol * objective``, proven over every pattern of X.
        "not_optimal": some direction u has ``|lambda^T sigma(X u)| > beta ||u||``; a
        neuron along it lowers the objective.
        "inaccurate": no pattern violates the dual constraint, but the solution is not
        accurate enough for its global gap to fall below ``rtol`` (solve it more tightly).
        "no_violation_found": the random search found none; this is no proof.
    method : {"exact", "random"}
    global_gap : float or None
        ``objective - lower bound`` on the optimum of the non-convex problem of any
        width (exact method only).
    lower_bound : float or None
        That lower bound (exact method only).
    max_ratio : float
        ``max_i c_i / beta`` over the patterns checked, with lambda the solution's
        unscaled dual residual; above 1 means a violation.
    n_patterns : int
        Number of patterns checked.
    """

    status: str
    method: str
    global_gap: float | None
    lower_bound: float | None
    max_ratio: float
    n_patterns: int
    message: str = ""


def certify_global(solution: ConvexSolution, *extra, max_patterns: int = 200_000,
                   n_random: int = 20_000, rtol: float = 1e-5, seed=0) -> GlobalCertificate:
    """Check a convex solution against every direction u, not only its patterns.

    The check is about the solution's own program: its X, y, beta, activation and loss
    (a certificate computed for other data or another beta would say nothing).  When
    the patterns of X can be enumerated (at most `max_patterns`) the check is exact and
    gives a lower bound on the optimum over networks of any width; otherwise `n_random`
    Gaussian directions are tried, which can only find violations.  For a gated-ReLU
    solution the check is about gated-ReLU models (the gated program on every pattern),
    not about the ReLU network its cone decomposition gives.

    Parameters
    ----------
    solution : ConvexSolution
        From ``solve_convex``.

    Raises
    ------
    TypeError
        If `solution` is not a ConvexSolution, or more is passed (the older call
        ``certify_global(X, y, beta, solution)``).
    """
    if extra:
        raise TypeError(
            "certify_global takes the solution only, certify_global(solution): X, y and "
            "beta come from the solution's own program (a certificate computed for other "
            "data or another beta would certify nothing)")
    if not isinstance(solution, ConvexSolution):
        raise TypeError(f"solution must be a ConvexSolution from solve_convex, got "
                        f"{type(solution).__name__}")
    max_patterns = check_positive_int(max_patterns, "max_patterns")
    n_random = check_positive_int(n_random, "n_random")
    seed = check_seed(seed)
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real) or not 0 < rtol < 1:
        raise ValueError(f"rtol must be a relative gap in (0, 1), got {rtol!r}")
    program = solution.program
    try:
        patterns = enumerate_patterns(program.X, max_patterns=max_patterns)
        method = "exact"
    except ValueError:
        patterns = sample_patterns(program.X, n_random, seed=seed)
        method = "random"
    # the solution's point, seen as a point of the program over these patterns: its
    # output on X is the same, so is its dual residual lambda
    every = ConvexProgram(program.X, program.y, program.beta, patterns,
                          activation=program.activation, alpha=program.alpha,
                          loss=program.loss, gated=program.gated)
    cert = certify_output(every, program.output(solution.U, solution.V), solution.objective,
                          exact=True)
    ratio = cert.max_ratio
    if method == "exact":
        gap = max(solution.objective - cert.lower_bound, 0.0)
        ok = gap_within(gap, solution.objective, rtol)
        status = OPTIMAL if ok else NOT_OPTIMAL if ratio > 1 + rtol else INACCURATE
        return GlobalCertificate(
            status, method, gap, cert.lower_bound, ratio,
            len(patterns), f"exact check over all {len(patterns)} patterns: global gap "
            + (f"below {rtol:g} x objective" if ok else f"{gap:.4g}")
            + ("; no pattern violates the dual constraint: solve more tightly to prove it"
               if status == INACCURATE else ""))
    status = NOT_OPTIMAL if ratio > 1 + rtol else NO_VIOLATION_FOUND
    msg = (f"random search over {len(patterns)} patterns: max |lambda^T sigma(Xu)|/beta = "
           f"{ratio:.4f}" + ("" if status == NOT_OPTIMAL else "; this is not a proof"))
    return GlobalCertificate(status, method, None, None, ratio, len(patterns), msg)

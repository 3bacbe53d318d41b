"""The exact reference: the convex program in CVXPY, solved by Clarabel (or SCS)."""

from __future__ import annotations

import time

import numpy as np

from .._internal.cvxpy import cvxpy_solver
from .._internal.memory import available_memory, format_gib
from ..core.program import ConvexProgram
from ..core.solution import SolverResult
from ..status import from_cvxpy
from .budget import cvxpy_memory_estimate

__all__ = ["fits", "solve"]


def fits(program: ConvexProgram) -> bool:
    """Can CVXPY build `program` in half the free host memory?"""
    need = cvxpy_memory_estimate(program.n, program.d, program.P, gated=program.gated)
    return need <= 0.5 * available_memory("cpu")


# targets of the squared loss outside this range are scaled to max |y| = 1 for CVXPY, whose
# solvers work to absolute tolerances (Clarabel called a program with y of order 1e8
# infeasible); the blocks and multipliers are scaled back
_TARGET_RANGE = (1e-2, 1e2)


def _target_scale(program: ConvexProgram) -> float:
    """s such that the program on y / s and beta / s has the solution (U, V) / s."""
    top = float(np.abs(program.y).max(initial=0.0))
    if program.loss != "squared" or top == 0 or _TARGET_RANGE[0] <= top <= _TARGET_RANGE[1]:
        return 1.0
    return top


def solve(program: ConvexProgram, options, *, backend: str | None = None,
          verbose: bool = False) -> SolverResult:
    """Solve `program` with CVXPY (`backend`: its conic solver, default Clarabel); the
    multipliers of the cone rows come back too.  CVXPY works to its own tolerances, so
    `options` (the shared settings) changes nothing here."""
    import cvxpy as cp

    n, d, P = program.n, program.d, program.P
    if not fits(program):
        need = cvxpy_memory_estimate(n, d, P, gated=program.gated)
        have = available_memory("cpu")
        raise MemoryError(
            f"solver='cvxpy' on n={n}, d={d}, P={P} patterns would need about {format_gib(need)} "
            f"to build the program, but only {format_gib(have)} is free; use solver='ipm', "
            "'fista' (gated) or 'al' (cones), or fewer patterns (duplicates add nothing: "
            "cl.unique_patterns)")
    X, sign = program.X, program.signs
    DtT = program.Dt  # (n, P)
    U = cp.Variable((d, P))
    if program.gated:
        W, cons = U, []
        reg = cp.sum(cp.norm(U, 2, axis=0))
    else:
        V = cp.Variable((d, P))
        W = U - V
        reg = cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))
        cons = [cp.multiply(sign, X @ U) >= 0, cp.multiply(sign, X @ V) >= 0]
    pred = cp.sum(cp.multiply(DtT, X @ W), axis=1)
    scale = _target_scale(program)
    if program.loss == "squared":
        data = 0.5 * cp.sum_squares(pred - program.y / scale)
    else:
        data = cp.sum(cp.logistic(cp.multiply(-program.y, pred)))
    problem = cp.Problem(cp.Minimize(data + program.beta / scale * reg), cons)
    name = backend or cvxpy_solver()
    start = time.perf_counter()
    try:
        problem.solve(solver=name, verbose=verbose)
    except cp.error.SolverError as exc:
        raise RuntimeError(
            f"CVXPY solver {name} failed on a program with n={n}, d={d}, P={P}: {exc}; "
            "try solver=CVXPY(backend='SCS'), solver='ipm', or fewer patterns"
        ) from exc
    elapsed = time.perf_counter() - start
    if U.value is None:
        raise RuntimeError(f"CVXPY solver {name} returned no solution (status "
                           f"{problem.status}); try solver='ipm'")
    status = from_cvxpy(problem.status)
    if status is None:  # the program is feasible (u = 0) and bounded: a solver failure
        raise RuntimeError(f"CVXPY solver {name} ended with status {problem.status!r} on a "
                           "program that always has a solution; try solver='ipm'")
    Uv = scale * np.asarray(U.value)
    Vv = np.zeros_like(Uv) if program.gated else scale * np.asarray(V.value)
    multipliers = None
    if not program.gated and cons[0].dual_value is not None:
        multipliers = scale * np.clip(np.hstack([cons[0].dual_value, cons[1].dual_value]), 0,
                                      None)
    # the conic solver's own iteration count, where it reports one (Clarabel, SCS do)
    stats = getattr(problem, "solver_stats", None)
    iterations = int(getattr(stats, "num_iters", None) or 0)
    return SolverResult(U=Uv, V=Vv, status=status, method=f"cvxpy-{name.lower()}",
                        iterations=iterations, time=elapsed, multipliers=multipliers)

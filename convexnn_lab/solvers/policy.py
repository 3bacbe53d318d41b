"""What ``solver="auto"`` runs, what it tries when that stops short, and what a stop
warning advises.  The rule and its calibration: ``docs/solver-rule.md``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .._internal.memory import available_memory
from ..core.program import ConvexProgram
from ..core.solution import ConvexSolution
from ..status import MAX_ITERATIONS, is_certified
from .budget import IPM_MAX_FLOPS, IPM_MAX_FLOPS_CONES, ipm_beats_al, ipm_fits, newton_flops
from .options import SolveOptions
from .registry import AL, CVXPY, FISTA, IPM, Solver

__all__ = ["AUTO_FAST_CONES", "AUTO_FAST_SIZE", "Auto", "choose_solver", "stop_message"]

# "auto" takes CVXPY up to this many mask entries n * P, where it is the exact reference
# in well under a second (bench/solvers.py, the small rows of the solver table)
AUTO_FAST_SIZE = 20_000
# with cones, also only up to this many cone-row entries n * P * d: Clarabel is slow on
# many cone rows (breast_cancer's ReLU program with P = 20, docs/solver-rule.md)
AUTO_FAST_CONES = 50_000


def choose_solver(n: int, d: int, P: int, *, gated: bool, loss: str,
                  dtype: str = "float64", memory: float = float("inf")) -> str:
    """The method ``solver="auto"`` runs first for a program of this size.

    1. ``n * P <= AUTO_FAST_SIZE``, and with the cones ``n * P * d <= AUTO_FAST_CONES``:
       "cvxpy", the exact reference;
    2. float64, the interior point within a quarter of `memory` (bytes free,
       ``budget.ipm_fits``), and one Newton system of at most ``IPM_MAX_FLOPS`` flops or,
       with the cones, at most ``IPM_MAX_FLOPS_CONES`` or expected to beat the augmented
       Lagrangian (``budget.ipm_beats_al``): "ipm";
    3. otherwise the first-order methods, O(n P) memory: "fista" (gated) or "al" (cones).

    A pure function of its arguments (``solve_convex`` passes the free memory).  Where
    the first choice stops short of tol, :class:`Auto` tries the other exact method.
    """
    if n * P <= AUTO_FAST_SIZE and (gated or n * P * d <= AUTO_FAST_CONES):
        return "cvxpy"
    if dtype == "float64" and ipm_fits(n, d, P, gated=gated, memory=memory):
        flops = newton_flops(n, d, P, loss, gated)
        if flops <= IPM_MAX_FLOPS or not gated and (flops <= IPM_MAX_FLOPS_CONES
                                                    or ipm_beats_al(n, d, P, loss)):
            return "ipm"
    return "fista" if gated else "al"


class Auto(Solver):
    """``solver="auto"``: :func:`choose_solver`'s method, then the other exact method
    where the first stops short of tol and the other fits; the better certificate wins.

    Parameters
    ----------
    cvxpy, ipm, fista, al : Solver, optional
        The methods it chooses among (by default the registered ones with default
        settings); a test passes fakes here.
    retry_max_flops : float
        After a stalled interior point, CVXPY is tried only where one Newton system costs
        at most this many flops (beyond, Clarabel takes minutes).
    """

    name: ClassVar[str] = "auto"

    def __init__(self, cvxpy=None, ipm=None, fista=None, al=None, *,
                 retry_max_flops: float = IPM_MAX_FLOPS):
        self.cvxpy, self.ipm = cvxpy or CVXPY(), ipm or IPM()
        self.fista, self.al = fista or FISTA(), al or AL()
        self.retry_max_flops = float(retry_max_flops)
        self.tried: list[str] = []
        self.failed: dict[str, Exception] = {}

    def __repr__(self):
        return "Auto()"

    def pick(self, program: ConvexProgram, options: SolveOptions, *, sharded=False) -> Solver:
        """The first method for `program` (a row-sharded solve: FISTA or the AL)."""
        if sharded:
            return self.fista if program.gated else self.al
        name = choose_solver(program.n, program.d, program.P, gated=program.gated,
                             loss=program.loss, dtype=options.dtype,
                             memory=available_memory(options.device))
        return getattr(self, name)

    def run(self, program, options, comm=None) -> ConvexSolution:
        """Solve with the picked method and its fallback; ``tried`` and ``failed`` say
        what ran (for the stop warning)."""
        first = self.pick(program, options, sharded=comm is not None)
        self.tried, self.failed = [first.name], {}
        if first.name in ("fista", "al"):
            return first.run(program, options, comm)
        if first.name == "cvxpy":
            solution = self._attempt(first, program, options)
            if not self._certified(solution) and options.dtype == "float64" and (
                    self.ipm.fits(program, options)):
                solution = _better(solution, self._attempt(self.ipm, program, options))
            if solution is None:
                raise self.failed["cvxpy"]
            return solution
        solution = first.run(program, options)
        if (not is_certified(solution.status) and self.cvxpy.fits(program, options)
                and newton_flops(program.n, program.d, program.P, program.loss,
                                 program.gated) <= self.retry_max_flops):
            # round-off stopped the interior point (degenerate programs, e.g. all
            # patterns of a few points): CVXPY where it takes the time of a small program
            solution = _better(solution, self._attempt(self.cvxpy, program, options))
        return solution

    def _attempt(self, solver: Solver, program, options) -> ConvexSolution | None:
        """`solver`'s solution, or None (its error kept for the warning) where it raises."""
        if solver.name not in self.tried:
            self.tried.append(solver.name)
        try:
            return solver.run(program, options)
        except (MemoryError, RuntimeError) as err:
            self.failed[solver.name] = err
            return None

    @staticmethod
    def _certified(solution) -> bool:
        return solution is not None and is_certified(solution.status)


def _better(first: ConvexSolution | None, second: ConvexSolution | None):
    """Of two solutions of one program (None: a method that failed), `second` where it
    is optimal, or inside its cones with a finite gap where `first` is outside them or
    has a larger or NaN gap; else `first`."""
    if first is None or second is None:
        return second if first is None else first
    if is_certified(second.status) or (
            second.certificate.feasible and np.isfinite(second.gap)
            and (not first.certificate.feasible or not first.gap <= second.gap)):
        return second
    return first


def stop_message(solution: ConvexSolution, options: SolveOptions, *, tried=(), failed=None,
                 sharded: bool = False, exact=None) -> str:
    """Why a solve is not certified optimal (the gap, the cones, or both), and what to
    try: more iterations where the limit stopped it and more can run, and the `exact`
    methods (default: the interior point and CVXPY) not yet `tried` that fit (none for a
    row-sharded solve); `failed`: the fallbacks that raised, and their errors."""
    from .interior import ITERATION_CAP

    cert, result, program = solution.certificate, solution.result, solution.program
    causes = []
    if not cert.proves_gap(options.tol):
        causes.append(f"a relative gap of {cert.relative_gap:.1e} > tol={options.tol}")
    if not cert.feasible:
        causes.append(f"blocks outside their cones by {cert.cone_violation:.1e} (relative to "
                      "the outputs), so the network's patterns differ from the program's")
    why = " and ".join(causes) or "the solver's own report"
    for name, err in (failed or {}).items():
        why += f" ({name} was tried and failed: {err})"
    done = {"cvxpy" if m.startswith("cvxpy") else m for m in (*tried, result.method)}
    others = []
    for method in () if sharded else (exact or (IPM(), CVXPY())):
        if method.name not in done and method.fits(program, options):
            others.append(f"solver={method.name!r}" + (
                " with dtype='float64'" if method.exact and options.dtype != "float64" else ""))
    more = solution.status == MAX_ITERATIONS and not (
        result.method == "ipm" and result.iterations >= ITERATION_CAP)
    steps = (["raise max_iter"] if more else []) + (
        [f"use {' or '.join(others)}"] if others else [])
    if result.method.startswith("cvxpy"):
        steps.append("try solver=CVXPY(backend='SCS')")
        head = f"CVXPY ({result.method}) ended with status {solution.status!r}"
    else:
        its = f"{result.iterations} iteration{'' if result.iterations == 1 else 's'}"
        head = f"solver={result.method!r} stopped after {its} with status {solution.status!r}"
    return f"{head}: {why}" + ("; " + ", or ".join(steps) if steps else "")

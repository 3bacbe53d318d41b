"""The methods that solve a :class:`ConvexProgram`, each an object that says what it
supports, whether a program fits, and how it solves it.

``solve_convex(..., solver=...)`` takes a name from :data:`REGISTRY` or one of these
objects; settings that belong to one method travel in its object::

    cl.solve_convex(X, y, beta, P, solver=cl.solvers.FISTA(chunk_rows=512), gated=True)
    cl.solve_convex(X, y, beta, P, solver=cl.solvers.CVXPY(backend="SCS"))

A new method subclasses :class:`Solver` and adds itself to :data:`REGISTRY`; "auto"
(``policy.Auto``) chooses among the registered ones.  Tests inject a fake method the
same way, instead of patching module globals.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .._internal.memory import available_memory
from .._internal.threads import torch_threads
from .._internal.validation import check_positive_int
from ..core.certificates import certify
from ..core.program import ConvexProgram
from ..core.solution import ConvexSolution, SolverResult
from ..status import INACCURATE, OPTIMAL
from . import conic
from .budget import ipm_fits
from .options import SolveOptions
from .polish import polish_if_better

__all__ = ["AL", "CVXPY", "FISTA", "IPM", "REGISTRY", "Solver", "wrap"]

# CVXPY's solvers meet the cones to their own feasibility tolerance (Clarabel: 1e-8)
CVXPY_FEASIBILITY_RTOL = 1e-7


class Solver:
    """A method of solving the convex program.

    Subclasses set ``name`` and implement :meth:`solve`; :meth:`check` refuses a program
    the method cannot solve (with a message that names what to use instead), and
    :meth:`fits` says whether it fits in the free memory (``"auto"`` and the advice of a
    stop warning read it).
    """

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = False  # an interior-point method: worth suggesting on a stall
    shardable: ClassVar[bool] = False  # runs row-sharded (``distributed=True``)

    def check(self, program: ConvexProgram, options: SolveOptions) -> None:
        """Raise ValueError if this method cannot solve `program` with `options`."""

    def fits(self, program: ConvexProgram, options: SolveOptions) -> bool:
        """Does `program` fit this method's memory budget on ``options.device``?"""
        return True

    def solve(self, program: ConvexProgram, options: SolveOptions, comm=None) -> SolverResult:
        raise NotImplementedError

    def run(self, program: ConvexProgram, options: SolveOptions, comm=None) -> ConvexSolution:
        """Solve and certify: the :class:`ConvexSolution` of this method on `program`."""
        self.check(program, options)
        with torch_threads(options.threads if options.device == "cpu" else None):
            result = self.solve(program, options, comm)
        return wrap(program, result, tol=options.tol, comm=comm)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if v is not None)
        return f"{type(self).__name__}({fields})"


class CVXPY(Solver):
    """CVXPY with Clarabel (SCS where Clarabel is missing): the exact reference.

    Parameters
    ----------
    backend : str, optional
        A conic solver CVXPY has installed (``cvxpy.installed_solvers()``), e.g. "SCS".
    verbose : bool
        Print the backend's log.
    """

    name = "cvxpy"

    def __init__(self, backend: str | None = None, verbose: bool = False):
        if backend is not None and not isinstance(backend, str):
            raise TypeError(f"backend must be a CVXPY solver name such as 'SCS', got "
                            f"{type(backend).__name__}")
        if not isinstance(verbose, (bool, np.bool_)):
            raise TypeError(f"verbose must be True or False, got {verbose!r}")
        self.backend, self.verbose = backend, bool(verbose)

    def check(self, program, options):
        if self.backend is not None:
            import cvxpy as cp

            installed = cp.installed_solvers()
            if self.backend.upper() not in installed:
                raise ValueError(f"backend={self.backend!r} is not a solver CVXPY has here; "
                                 f"choose one of {installed}")

    def fits(self, program, options):
        return conic.fits(program)

    def solve(self, program, options, comm=None):
        return conic.solve(program, options, backend=self.backend, verbose=self.verbose)


class IPM(Solver):
    """Primal-dual interior point in torch for both programs, float64 (``interior``)."""

    name = "ipm"
    exact = True

    def check(self, program, options):
        if options.dtype != "float64":
            raise ValueError("solver='ipm' runs in float64 (its Newton systems need it); pass "
                             "dtype='float64', or use solver='fista'/'al' for float32")

    def fits(self, program, options):
        return ipm_fits(program.n, program.d, program.P, gated=program.gated,
                        memory=available_memory(options.device))

    def solve(self, program, options, comm=None):
        from . import interior

        return interior.solve(program, options)


class FISTA(Solver):
    """Accelerated proximal gradient in torch for the gated-ReLU program (``fista``).

    Parameters
    ----------
    chunk_rows : int, optional
        Compute the products in row chunks of this size (same iterates, bounded
        temporaries).  By default chosen from a memory estimate; reported in
        ``solution.solver``.
    """

    name = "fista"
    shardable = True

    def __init__(self, chunk_rows: int | None = None):
        self.chunk_rows = None if chunk_rows is None else check_positive_int(chunk_rows,
                                                                             "chunk_rows")

    def check(self, program, options):
        if not program.gated:
            raise ValueError("solver='fista' solves the gated-ReLU program (gated=True); use "
                             "solver='al' or 'ipm' for the program with cone constraints")

    def solve(self, program, options, comm=None):
        from . import fista

        kwargs = {} if comm is None else {"comm": comm}
        return fista.solve(program, options, chunk_rows=self.chunk_rows, **kwargs)


class AL(Solver):
    """Augmented Lagrangian in torch for the program with cones, each subproblem by FISTA
    (``al``)."""

    name = "al"
    shardable = True

    def check(self, program, options):
        if program.gated:
            raise ValueError("solver='al' handles the cone constraints; gated ReLU has none: "
                             "use solver='fista' or 'ipm'")

    def solve(self, program, options, comm=None):
        from . import al

        kwargs = {} if comm is None else {"comm": comm}
        return al.solve(program, options, **kwargs)


REGISTRY: dict[str, type[Solver]] = {"cvxpy": CVXPY, "ipm": IPM, "fista": FISTA, "al": AL}


def wrap(program: ConvexProgram, result: SolverResult, *, tol: float,
         comm=None) -> ConvexSolution:
    """Certify the weights a solver returned and set the final status.

    The certificate is computed on ``result.U, result.V`` in float64, for `program`.
    The status is "optimal" only when that certificate proves the relative gap `tol`
    (``Certificate.proves``: the gap and every block in its cone); a solver that claimed
    "optimal" without that gets "inaccurate".  CVXPY works to its own tolerances: its
    blocks count as inside their cones to ``CVXPY_FEASIBILITY_RTOL``, after a Newton
    polish where it stopped short of `tol`.  With `comm` (a row-sharded solve) the
    certificate is reduced over the ranks (``certify``).
    """
    cert = certify(program, result.U, result.V, result.multipliers, comm=comm)
    status = result.status
    if result.method.startswith("cvxpy"):
        if status == OPTIMAL and not cert.proves_gap(tol):
            # CVXPY stops at its own tolerances (the logistic loss often at 1e-5): a Newton
            # polish on its support and multipliers usually closes the certificate
            better = polish_if_better(program, result, cert)
            if better is not None:
                result, cert = better
                result.method += "+polish"
        if status == OPTIMAL and not cert.proves(tol, cone_rtol=CVXPY_FEASIBILITY_RTOL):
            status = INACCURATE
    elif cert.proves(tol):
        status = OPTIMAL
    elif status == OPTIMAL:
        status = INACCURATE
    return ConvexSolution(program=program, U=result.U, V=result.V, certificate=cert,
                          status=status, result=result)

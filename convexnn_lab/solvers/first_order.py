"""The first-order methods behind one call: FISTA for the gated program (``fista``), the
augmented Lagrangian for the program with cones (``al``), both over the proximal-gradient
skeleton of ``proximal``."""

from __future__ import annotations

from ..core.program import ConvexProgram
from ..core.solution import SolverResult
from .al import AugmentedLagrangianSolve
from .fista import FistaSolve

__all__ = ["solve"]


def solve(program: ConvexProgram, options, **kwargs) -> SolverResult:
    """FISTA (gated ReLU) or the augmented Lagrangian (cones) on `program`.

    kwargs: ``chunk_rows``, ``check_every``, ``stream`` (gated only: X and the masks stay
    in host memory) and ``comm`` (`program` holds this rank's rows); see
    :class:`proximal.ProximalSolve`.
    """
    method = FistaSolve if program.gated else AugmentedLagrangianSolve
    return method(program, options, **kwargs).run()

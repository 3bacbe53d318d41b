"""Which conic solver CVXPY uses here (never a name hard-coded in a chapter)."""

from __future__ import annotations

__all__ = ["cvxpy_solver"]


def cvxpy_solver() -> str:
    """The CVXPY solver the library uses: Clarabel if installed, else SCS."""
    import cvxpy as cp

    installed = cp.installed_solvers()
    for name in ("CLARABEL", "SCS"):
        if name in installed:
            return name
    raise RuntimeError(
        f"no conic solver for CVXPY is installed (found {installed}); pip install clarabel"
    )

"""The settings every solver reads, validated once by ``solve_convex``.

Settings that belong to one method travel in that method's object instead
(``registry.CVXPY(name=...)``, ``registry.FISTA(chunk_rows=...)``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from .._internal.validation import check_bool, check_device, check_positive_int

__all__ = ["SolveOptions", "make_options"]


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: tolerance, budget, device and precision, shared by every method.

    Attributes
    ----------
    tol : float
        Stop when the certificate proves ``gap <= tol * |objective|``.
    max_iter : int
        Iteration limit of the torch solvers.
    device, dtype : str
        Where and in which precision the torch solvers work.
    progress : bool
        A progress bar for solves longer than a second.
    threads : int
        Intra-op threads of the torch solvers on the CPU.
    warm_start : tuple or None
        (U, V, multipliers) on this program's patterns (``carry_over``).
    warm_schedule : tuple or None
        The augmented Lagrangian's (rho, inner budget) when it continues the same program.
    """

    tol: float = 1e-6
    max_iter: int = 20_000
    device: str = "cpu"
    dtype: str = "float64"
    progress: bool = True
    threads: int = 1
    warm_start: tuple | None = None
    warm_schedule: tuple | None = None


def make_options(*, tol, max_iter, device, dtype, progress, threads) -> SolveOptions:
    """Validate the shared settings (each error names its argument)."""
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise ValueError(f"tol must be a relative gap in (0, 1), got {tol!r}")
    if dtype not in ("float64", "float32"):
        text = str(dtype).replace("torch.", "")
        if text not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        dtype = text
    return SolveOptions(tol=float(tol), max_iter=check_positive_int(max_iter, "max_iter"),
                        device=check_device(device), dtype=dtype,
                        progress=check_bool(progress, "progress"),
                        threads=check_positive_int(threads, "threads"))

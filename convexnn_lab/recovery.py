"""Recovering a planted linear model; the path of networks (chapter 7).

Planted model (Wang, Hua, Candes & Pilanci): y = X w*, X Gaussian.  A ReLU network with
a linear skip connection, trained to interpolate with minimal weight decay, is the
convex program

    min ||w0|| + sum_j (||u_j|| + ||v_j||)
    s.t. X w0 + sum_j D_j X (u_j - v_j) = y,   (2 D_j - I) X u_j >= 0, same for v_j

(``relaxed=True`` drops the cones).  Recovery means w0 = w* and every other block zero:
the network is the planted linear model.  The talk's claim: with all patterns this happens
with high probability when n > 2d and fails when n < 2d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_positive_int, check_seed, check_Xy
from .datasets import planted_linear
from .patterns import sample_patterns

__all__ = ["PlantedSolution", "planted_program", "recovery_rate"]


@dataclass
class PlantedSolution:
    """w0 (d,), blocks U, V (d, P), the patterns used, and the optimal value."""

    w0: np.ndarray
    U: np.ndarray
    V: np.ndarray
    patterns: np.ndarray
    value: float
    status: str

    def recovered(self, w_star, tol: float = 1e-4) -> bool:
        """w0 within `tol` (relative) of w*, and every other block below `tol` * ||w*||."""
        scale = np.linalg.norm(w_star)
        blocks = max(np.linalg.norm(self.U, axis=0).max(initial=0),
                     np.linalg.norm(self.V, axis=0).max(initial=0))
        return bool(np.linalg.norm(self.w0 - w_star) <= tol * scale and blocks <= tol * scale)


def planted_program(X, y, patterns, *, relaxed: bool = False) -> PlantedSolution:
    """Minimum-norm interpolation by a ReLU network with a linear skip (see module).

    The all-ones pattern, if present, is dropped: its block would act like w0.
    """
    import cvxpy as cp

    from ._cvxpy import cvxpy_solver

    X, y = check_Xy(X, y)
    patterns = np.asarray(patterns, dtype=bool)
    patterns = patterns[~patterns.all(axis=1)]
    n, d = X.shape
    P = len(patterns)
    w0 = cp.Variable(d)
    U, V = cp.Variable((d, P)), cp.Variable((d, P))
    DT = patterns.T.astype(float)
    fit = X @ w0 + cp.sum(cp.multiply(DT, X @ (U - V)), axis=1)
    cons = [fit == y]
    if not relaxed:
        S = np.where(patterns.T, 1.0, -1.0)
        cons += [cp.multiply(S, X @ U) >= 0, cp.multiply(S, X @ V) >= 0]
    obj = cp.norm(w0, 2) + cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))
    problem = cp.Problem(cp.Minimize(obj), cons)
    problem.solve(solver=cvxpy_solver())
    if w0.value is None:
        raise RuntimeError(f"the planted program failed (status {problem.status})")
    return PlantedSolution(np.asarray(w0.value), np.asarray(U.value), np.asarray(V.value),
                           patterns, float(problem.value), problem.status)


def recovery_rate(n: int, d: int, trials: int = 10, seed: int = 0, *, n_patterns=None,
                  relaxed: bool = False, tol: float = 1e-4):
    """Fraction of trials where the program recovers the planted w*.

    Each trial draws X (n, d) Gaussian and w* on the sphere (``planted_linear``), samples
    `n_patterns` Gaussian directions (default 2n) and solves :func:`planted_program`.
    Trial k uses the seed ``seed * 1000 + k`` (an int `seed`), or one drawn from the
    Generator (or fresh entropy, for None).

    Returns
    -------
    rate : float
    outcomes : list of bool, one per trial
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    trials = check_positive_int(trials, "trials")
    P = 2 * n if n_patterns is None else check_positive_int(n_patterns, "n_patterns")
    seed = check_seed(seed)
    if isinstance(seed, int):
        seeds = [seed * 1000 + k for k in range(trials)]
    else:
        seeds = [int(s) for s in np.random.default_rng(seed).integers(2**31, size=trials)]
    outcomes = []
    for k in range(trials):
        X, y, w_star = planted_linear(n, d, seed=seeds[k])
        patterns = sample_patterns(X, P, seed=seeds[k])
        sol = planted_program(X, y, patterns, relaxed=relaxed)
        outcomes.append(sol.recovered(w_star, tol))
    return float(np.mean(outcomes)), outcomes

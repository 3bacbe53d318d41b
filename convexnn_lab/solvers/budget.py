"""Memory and flop budgets: what each solver needs for a program of a given size.

``choose_solver`` (``solvers``) reads these; each solver checks its own need against the
free memory before it allocates anything, and says what to do when it does not fit.
"""

from __future__ import annotations

__all__ = ["IPM_MAX_FLOPS", "IPM_MAX_FLOPS_CONES", "IPM_MEMORY_SHARE", "cvxpy_memory_estimate",
           "ipm_beats_al", "ipm_fits", "ipm_memory_estimate", "memory_estimate", "newton_flops",
           "newton_route"]

# "auto" takes the interior point while one Newton system costs at most this many flops
# (calibrated on bench/solvers.py: breast_cancer and digits, P = 100-300; docs/solver-rule.md)
IPM_MAX_FLOPS = 5e10
# with the cones, up to this many (train_convex's rounds on digits, bench/beat_adam.py), and
# beyond while ipm_beats_al holds, since the augmented Lagrangian rarely reaches 1e-6 there
IPM_MAX_FLOPS_CONES = 2e11
# the interior point's share of the free memory that "auto" allows (room for temporaries)
IPM_MEMORY_SHARE = 0.25
# ipm_beats_al compares this many interior-point iterations (the benchmark's programs took
# 7-51) with the augmented Lagrangian's default max_iter
IPM_ITERATIONS, AL_ITERATIONS = 50, 20_000
# one-core float64 rates for that comparison (bench/solvers.py --methods ipm,al; the
# measured values and programs are in docs/solver-rule.md): the interior point's flops per
# second as _ipm_iteration_flops counts them, the AL's product rate, and its seconds per
# (row, block) pair of elementwise work
_IPM_FLOP_RATE, _AL_FLOP_RATE, _AL_PAIR_SECONDS = 5e10, 4e10, 1.1e-8
# flops of the interior point's directions an iteration per n d B (its six to eight solves
# with the factors, refinement, correctors; bench/solvers.py, digits P = 100)
_DIRECTION_FLOPS = 120.0
# CVXPY's canonicalization holds about this many bytes per nonzero of the constraint
# matrix (8 points, d = 3, 2,000 and 20,000 patterns; tests/test_solvers.py checks the rule)
CVXPY_BYTES_PER_NONZERO = 300


def memory_estimate(n: int, d: int, P: int, *, gated: bool, dtype_bytes: int = 8) -> int:
    """Bytes the first-order solvers (FISTA, AL) hold for a program of this size."""
    blocks = P if gated else 2 * P
    per_mask = 1 if gated else 3  # slopes; signs and multipliers for the cones
    return dtype_bytes * (n * d + n * blocks * (per_mask + 3) + d * blocks * 8 + 8 * n)


def cvxpy_memory_estimate(n: int, d: int, P: int, *, gated: bool) -> int:
    """Bytes CVXPY needs to build the program (its constraint matrix dominates)."""
    blocks = P if gated else 2 * P
    nonzeros = n * d * blocks * (1 if gated else 2)  # the prediction, and the cone rows
    return CVXPY_BYTES_PER_NONZERO * nonzeros


def ipm_memory_estimate(n: int, d: int, P: int, *, gated: bool) -> int:
    """Bytes (float64) the interior-point method holds, for its cheaper route."""
    B = P if gated else 2 * P
    # the n x n system and Dt_i * X Rf_i^T (gated, d > 2: X X^T, a Gram temporary and two
    # (n, P) factors instead)
    rows = 3 * n * n + 4 * n * P if gated and d > 2 else n * n + n * P * d
    cols = (P * d) ** 2 + n * P * d  # the Pd x Pd system and A
    cones = 0 if gated else 2 * B * n * (d + 1) + 6 * n * B  # Q (B, n, d+1); s, z
    return 8 * (min(rows, cols) + cones + 4 * n * d + 6 * B * (d + 1) ** 2)


def ipm_fits(n: int, d: int, P: int, *, gated: bool, memory: float) -> bool:
    """The one memory rule of "auto": the interior point within IPM_MEMORY_SHARE of
    `memory` (bytes free on the device)."""
    return ipm_memory_estimate(n, d, P, gated=gated) <= IPM_MEMORY_SHARE * memory


def _route_flops(n: int, d: int, P: int, loss: str, gated: bool) -> dict:
    """Cost of one reduced Newton system in each space, in matrix-product flops (a
    Cholesky flop counts twice: it runs at about half the rate of a product here).
    Without cone rows (gated, d > 2) the n x n system is two (n, P) Gram matrices
    (``interior._NewtonSystem._hadamard_gram``) instead of one (n, Pd)."""
    gram = 2.0 * n * n * P * (min(2, d) if gated else d)
    return {"rows": gram + 2 * n ** 3 / 3,
            "columns": 2 * (P * d) ** 3 / 3
            + (0.0 if loss == "squared" else 2.0 * n * (P * d) ** 2)}


def newton_route(n: int, d: int, P: int, loss: str, gated: bool = False) -> str:
    """'rows' (n x n system) or 'columns' ((P d) x (P d) system): fewer flops."""
    flops = _route_flops(n, d, P, loss, gated)
    return min(flops, key=flops.get)


def newton_flops(n: int, d: int, P: int, loss: str = "squared", gated: bool = False) -> float:
    """Flops of one Newton system on the cheaper route (the blocks add 4 n P d^2; gated,
    without cone rows, P d^3)."""
    blocks = P * d ** 3 if gated else 4.0 * n * P * d * d
    return min(_route_flops(n, d, P, loss, gated).values()) + blocks


def _ipm_iteration_flops(n: int, d: int, P: int, loss: str, gated: bool) -> float:
    """One interior-point iteration: its Newton system and its directions (about 120 n d B
    flops, B = P blocks gated, 2P with the cones)."""
    B = P if gated else 2 * P
    return newton_flops(n, d, P, loss, gated) + _DIRECTION_FLOPS * n * d * B


def ipm_beats_al(n: int, d: int, P: int, loss: str = "squared") -> bool:
    """Would IPM_ITERATIONS interior-point iterations take less time than the augmented
    Lagrangian's AL_ITERATIONS on the program with cones (at the rates measured above)?

    Not a bound on n alone: the AL's elementwise work grows with n P, the n x n system
    with n^2 P d and the (P d) x (P d) system not with n, and on the n x n route the
    answer hardly depends on P.  For the squared loss with P = 300, say, it holds for every
    n when d <= 20; when d = 40 up to n of about 6,300 and again from 6,600 (the (P d) x
    (P d) route), when d = 65 up to 4,800 and again from 24,700, and when d = 200 up to
    2,600 (other losses: the (P d) x (P d) route costs more); ``choose_solver`` also asks
    that the interior point fit in a quarter of the free memory.
    """
    ipm = IPM_ITERATIONS * _ipm_iteration_flops(n, d, P, loss, False) / _IPM_FLOP_RATE
    B = 2 * P
    al = AL_ITERATIONS * (4.0 * n * d * B / _AL_FLOP_RATE + _AL_PAIR_SECONDS * n * B)
    return ipm <= al

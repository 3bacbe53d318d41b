"""Memory and flop budgets: what each solver needs for a program of a given size.

``choose_solver`` (``solvers``) reads these; each solver checks its own need against the
free memory before it allocates anything, and says what to do when it does not fit.
"""

from __future__ import annotations

__all__ = ["IPM_MAX_FLOPS", "IPM_MAX_FLOPS_CONES", "cvxpy_memory_estimate", "ipm_beats_al",
           "ipm_memory_estimate", "memory_estimate", "newton_flops", "newton_route"]

# "auto" picks the interior-point method while one Newton system costs at most this
# many flops (a second or two on a laptop core) and fits in a quarter of the memory
IPM_MAX_FLOPS = 5e10
IPM_MAX_FLOPS_CONES = 2e11
# with the cones, "auto" also takes the interior point up to IPM_MAX_FLOPS_CONES (measured
# on train_convex's rounds: digits, round 4, 218 patterns, 1.16 IPM_MAX_FLOPS: the AL gave
# no round in 8 minutes, where the interior point took 34 s for 178 patterns), and beyond
# while IPM_ITERATIONS of its iterations are expected to take less time than the augmented
# Lagrangian's AL_ITERATIONS (its default max_iter), which with the cones rarely reaches
# 1e-6 sooner: it stopped 0.7-2.8% above the optimum on the benchmark's programs, where the
# interior point took 7-51 iterations.  The times come from rates measured on one core in
# float64: a whole interior-point solve ran at 44-72 GFlop/s as ``_ipm_iteration_flops``
# counts them (breast_cancer P = 100 to digits P = 300), and an AL iteration took its
# products X W and X^T R at about 40 GFlop/s plus about 11 ns per (row, block) pair of
# elementwise work (n = 3,000-20,000, d = 5-40, and d = 500 for the products; 25-35 ns
# before its arithmetic was fused; programs small enough for the cache ran faster)
IPM_ITERATIONS, AL_ITERATIONS = 50, 20_000
_IPM_FLOP_RATE, _AL_FLOP_RATE, _AL_PAIR_SECONDS = 5e10, 4e10, 1.1e-8
# flops of the interior point's directions an iteration (its six to eight solves with the
# factors, their refinement and the correctors' trial points) per n d B (one thread,
# digits P = 100: measured within 15%)
_DIRECTION_FLOPS = 120.0

# CVXPY's canonicalization holds about this many bytes per nonzero of the constraint
# matrix (measured: 8 points, d = 3, 2,000 -> 20,000 patterns took 370 -> 870 MB)
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

"""Checks of chapter 03's exercises (``solutions/ex03_low_rank_approximation.md``).

Chapter: Approximate the global optimum in polynomial time.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


@_register("ex03.q1")
def _ex03_q1(fn):
    rng = np.random.default_rng(31)
    X = rng.standard_normal((12, 5))
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    for k in (1, 3):
        got = np.asarray(fn(X, k), dtype=float)
        ref = (U[:, :k] * s[:k]) @ Vt[:k]
        if got.shape == (12, k):
            raise Feedback(f"you return shape {got.shape}, the coordinates U_k S_k; X_k has "
                           "the shape of X: multiply by V_k^T")
        if got.shape == ref.shape and np.linalg.matrix_rank(got) != k:
            raise Feedback(f"your X_k has rank {np.linalg.matrix_rank(got)}, not {k}")
        _close(got, ref, f"X_k for k={k}")


@_register("ex03.q2")
def _ex03_q2(fn):
    from ..lowrank import approximation_bound

    for sigma, ynorm, beta in ((0.5, 1.0, 1.0), (0.3, 4.0, 0.5), (0.0, 2.0, 1.0)):
        got = float(fn(sigma, ynorm, beta))
        ref = approximation_bound(sigma, ynorm, beta)
        if np.isclose(got, ref):
            continue
        if ynorm != 1 and np.isclose(got, (1 + sigma / (2 * beta)) ** 4):
            raise Feedback("you left out ||y||: without normalizing y the bound is "
                           "(1 + sigma ||y|| / (2 beta))^4")
        if np.isclose(got, (1 + sigma * ynorm / beta) ** 2) and not np.isclose(got, ref):
            raise Feedback("(1 + sigma/beta)^2 is the form quoted for ||y|| = 1; the bound "
                           "proved in chapter 3 is (1 + sigma ||y|| / (2 beta))^4")
        _close(got, ref, f"the bound for sigma={sigma}, ||y||={ynorm}, beta={beta}")


@_register("ex03.q3")
def _ex03_q3(fn):
    rng = np.random.default_rng(33)
    Z = rng.standard_normal((6, 2))
    p = np.array([True, False, True, True, False, False])
    got = np.asarray(fn(Z, p), dtype=float)
    ref = np.where(p, 1.0, -1.0) @ Z
    if np.allclose(got, p.astype(float) @ Z):
        raise Feedback("an inactive point contributes -z_i, not 0: the vertex is "
                       "sum_i (2 p_i - 1) z_i")
    _close(got, ref, "the vertex")


@_register("ex03.q4")
def _ex03_q4(fn):
    from ..lowrank import low_rank_scheme

    rng = np.random.default_rng(34)
    X = np.column_stack([rng.standard_normal((12, 2)), np.ones(12)])
    y = rng.standard_normal(12)
    ref = low_rank_scheme(X, y, 0.5, 2).train_on_low_rank
    got = float(fn(X, y, 0.5, 2))
    _close(got, ref, "L_X of the network trained on X_k", rtol=1e-5)

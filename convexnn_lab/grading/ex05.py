"""Checks of chapter 05's exercises (``solutions/ex05_geometric_algebra.md``).

Chapter: Sample patterns with geometric algebra.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


@_register("ex05.q1")
def _ex05_q1(fn):
    from ..patterns import generalized_cross_product

    rng = np.random.default_rng(51)
    for d in (2, 3, 5):
        U = rng.standard_normal((d - 1, d))
        got = np.asarray(fn(U), dtype=float)
        ref = generalized_cross_product(U)
        if got.shape == ref.shape and np.allclose(np.abs(got), np.abs(ref)) and \
                not np.allclose(got, ref):
            raise Feedback(f"for d={d} the magnitudes are right but some signs are not: the "
                           "i-th entry carries (-1)^(i-1)")
        _close(got, ref, f"the cross product for d={d}")


@_register("ex05.q2")
def _ex05_q2(fn):
    rng = np.random.default_rng(52)
    X = rng.standard_normal((10, 4))
    rows = [1, 4, 7]
    h = np.asarray(fn(X, rows), dtype=float)
    if h.shape != (4,):
        raise Feedback(f"return the normal vector h of shape (4,), got {h.shape}")
    if np.linalg.norm(h) < 1e-12:
        raise Feedback("your h is zero; the chosen points are independent, so h must not be")
    off = np.abs(X[rows] @ h) / (np.linalg.norm(X[rows], axis=1) * np.linalg.norm(h))
    if off.max() > 1e-8:
        raise Feedback(f"the chosen points are not on your hyperplane: |x^T h| / (|x||h|) "
                       f"reaches {off.max():.2e}")


@_register("ex05.q3")
def _ex05_q3(fn):
    t = np.array([0.3, -1.0, 2.0, 0.8])
    got = np.asarray(fn(t), dtype=float)
    ref = np.hstack([np.maximum(t[:, None] - t[None, :], 0),
                     np.maximum(t[None, :] - t[:, None], 0)])
    if got.shape == ref.T.shape:
        raise Feedback(f"your dictionary has shape {got.shape}: one row per data point and "
                       f"one column per ramp, (n, 2n) = {ref.shape}")
    if got.shape == ref.shape and np.allclose(got, -ref[:, ::-1]):
        raise Feedback("ramps are (t - t_j)_+ and (t_j - t)_+: non-negative")
    _close(got, ref, "the dictionary")


@_register("ex05.q4")
def _ex05_q4(fn):
    from ..patterns import enumerate_patterns, sample_patterns

    rng = np.random.default_rng(54)
    X = rng.standard_normal((15, 3)) * [3.0, 1.0, 0.1]
    exact = {tuple(p) for p in enumerate_patterns(X)}
    for budget in (10, 80):
        P = sample_patterns(X, budget, seed=1)
        ref = len({tuple(p) for p in P} & exact) / len(exact)
        got = float(fn(X, P))
        if np.isclose(got, len(P) / len(exact)) and not np.isclose(got, ref):
            raise Feedback("count only the sampled rows that are patterns of X")
        if np.isclose(got, len(P) / budget):
            raise Feedback("divide by the number of patterns of X (enumerate_patterns), "
                           "not by the budget")
        _close(got, ref, f"the coverage at budget {budget}")

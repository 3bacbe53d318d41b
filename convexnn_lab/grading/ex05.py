"""Checks of chapter 05's exercises (``solutions/ex05_geometric_algebra.md``).

Chapter: Sample patterns with geometric algebra.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Integer, Number, close, register, rows


@register("ex05.q1", returns=Array(ndim=1, what="a vector"),
          forbid=("convexnn_lab.core.patterns:generalized_cross_product", "numpy:cross"))
def _ex05_q1(answer):
    from ..core.patterns import generalized_cross_product

    rng = np.random.default_rng(51)
    for d in (2, 3, 5):
        U = rng.standard_normal((d - 1, d))
        got = answer(U.copy())
        ref = generalized_cross_product(U)
        if got.shape != ref.shape:
            raise Feedback(f"for U of shape {U.shape} return d = {d} entries, got shape "
                           f"{got.shape}")
        if np.allclose(got, -ref):
            raise Feedback(f"for d={d} every sign is flipped: the first entry carries "
                           "(-1)^(1-1) = +1, i.e. (-1)^i with i counted from 0 in Python")
        if np.allclose(np.abs(got), np.abs(ref)) and not np.allclose(got, ref):
            raise Feedback(f"for d={d} the magnitudes are right but some signs are not: the "
                           "i-th entry carries (-1)^(i-1) (alternating signs)")
        close(got, ref, f"the cross product for d={d}")


@register("ex05.q2", returns=Array(ndim=1, what="a normal vector h"))
def _ex05_q2(answer):
    rng = np.random.default_rng(52)
    for X, chosen in ((rng.standard_normal((10, 4)), [1, 4, 7]),
                      (rng.standard_normal((6, 3)), [5, 0])):
        d = X.shape[1]
        h = answer(X.copy(), list(chosen))
        if h.shape != (d,):
            raise Feedback(f"return the normal vector h of shape ({d},), got {h.shape}")
        if np.linalg.norm(h) < 1e-12:
            raise Feedback("your h is zero; the chosen points are independent, so h must "
                           "not be")
        off = np.abs(X[chosen] @ h) / (np.linalg.norm(X[chosen], axis=1) * np.linalg.norm(h))
        if off.max() > 1e-8:
            raise Feedback(f"the chosen points (rows {chosen}) are not on your hyperplane: "
                           f"|x^T h| / (|x||h|) reaches {off.max():.2e}; use the rows "
                           "X[rows], not the first d-1 rows")


def _ramps(t):
    """The dictionary through the library's kappa-Lasso model (one unit coefficient)."""
    from ..chapters.geometric import KappaLasso

    n = len(t)
    cols = []
    for side in ("right", "left"):
        for j in range(n):
            coef = {"right": np.zeros(n), "left": np.zeros(n)}
            coef[side][j] = 1.0
            model = KappaLasso(0.0, 0.0, t, coef["right"], coef["left"], t[:0], 0.0)
            cols.append(model.predict(t))
    return np.column_stack(cols)


@register("ex05.q3", returns=Array(ndim=2, what="a matrix (n, 2n)"))
def _ex05_q3(answer):
    for t in (np.array([0.3, -1.0, 2.0, 0.8]), np.array([1.5, -0.5, 0.0])):
        n = len(t)
        got = answer(t.copy())
        ref = _ramps(t)
        if got.shape == ref.T.shape:
            raise Feedback(f"your dictionary has shape {got.shape}: one row per data point "
                           f"and one column per ramp, (n, 2n) = {ref.shape}")
        if got.shape == ref.shape and not np.allclose(got, ref):
            if np.allclose(got, np.hstack([ref[:, n:], ref[:, :n]])):
                raise Feedback("your two halves are swapped: the first n columns are "
                               "(t - t_j)_+ (ramps rising to the right), the last n "
                               "(t_j - t)_+")
            if np.allclose(got, ref.reshape(n, 2, n).transpose(0, 2, 1).reshape(n, 2 * n)) \
                    or np.allclose(got, ref[:, np.argsort(np.r_[np.arange(n) * 2,
                                                                np.arange(n) * 2 + 1])]):
                raise Feedback("your columns interleave the two families; put all n ramps "
                               "(t - t_j)_+ first, then all n ramps (t_j - t)_+")
            if np.allclose(got, np.hstack([ref[:, :n].T, ref[:, n:].T])):
                raise Feedback("inside each half, column j must be the ramp at t_j "
                               "(entry [i, j] = (t_i - t_j)_+): you swapped i and j")
            if (got < -1e-12).any():
                raise Feedback("ramps are (t - t_j)_+ and (t_j - t)_+: non-negative (apply "
                               "max(., 0))")
        close(got, ref, f"the dictionary for n={n}")


@register("ex05.q4", returns=Number())
def _ex05_q4(answer):
    from ..core.patterns import enumerate_patterns, sample_patterns

    rng = np.random.default_rng(54)
    X = rng.standard_normal((15, 3)) * [3.0, 1.0, 0.1]
    exact = rows(enumerate_patterns(X))
    for budget in (10, 80):
        P = sample_patterns(X, budget, seed=1)
        # a learner's sample may repeat rows and hold rows that are not patterns of X
        fake = np.zeros((2, X.shape[0]), dtype=bool)
        fake[0, ::2] = True
        fake[1, 1::3] = True
        fake = np.array([f for f in fake if tuple(f) not in exact])
        Pmix = np.vstack([P, P[: max(1, len(P) // 3)], fake])
        ref = len(rows(Pmix) & exact) / len(exact)
        got = answer(X.copy(), Pmix.copy())
        if np.isclose(got, ref):
            continue
        if np.isclose(got, len(Pmix) / len(exact)):
            raise Feedback("you divide the number of rows by the number of patterns; rows "
                           "can repeat, and some may not be patterns of X: count the "
                           "distinct rows that are patterns of X")
        if np.isclose(got, len(rows(Pmix)) / len(exact)):
            raise Feedback("you count every distinct row; count only those that are "
                           "patterns of X (intersect with cl.enumerate_patterns(X))")
        if np.isclose(got, len(rows(Pmix) & exact) / len(Pmix)) or np.isclose(
                got, len(rows(Pmix) & exact) / len(rows(Pmix))):
            raise Feedback("divide by the number of patterns of X, not by the sample size")
        close(got, ref, f"the coverage at budget {budget}")


@register("ex05.q6", kind="value", returns=Integer())
def _ex05_q6(prediction):
    from itertools import combinations

    from ..core.patterns import generalized_cross_product

    X = prediction_data()
    normals = {tuple(np.round(h / np.linalg.norm(h) * np.sign(h[np.argmax(np.abs(h))]), 8))
               for h in (generalized_cross_product(X[list(pair)])
                         for pair in combinations(range(len(X)), X.shape[1] - 1))}
    if prediction == 2 * len(normals):
        raise Feedback("h and -h describe the same hyperplane; count hyperplanes, not "
                       "normals")
    if prediction != len(normals):
        raise Feedback("your prediction does not match the experiment; run the cell below. "
                       "Hint: how many ways are there to choose d-1 of the n points?")


def prediction_data():
    """Q6's points: 8 points in general position in R^3."""
    return np.random.default_rng(56).standard_normal((8, 3))

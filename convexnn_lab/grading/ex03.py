"""Checks of chapter 03's exercises (``solutions/ex03_low_rank_approximation.md``).

Chapter: Approximate the global optimum in polynomial time.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Number, Tuple, close, register

_LR = "convexnn_lab.chapters.lowrank:"


@register("ex03.q1", returns=Array(ndim=2), forbid=(_LR + "low_rank",))
def _ex03_q1(answer):
    from ..chapters.lowrank import low_rank

    rng = np.random.default_rng(31)
    for X in (rng.standard_normal((12, 5)), rng.standard_normal((4, 7))):
        for k in (1, 3):
            ref, _ = low_rank(X, k)
            got = answer(X.copy(), k)
            if got.shape == (X.shape[0], k):
                raise Feedback(f"you return shape {got.shape}, the coordinates U_k S_k; X_k "
                               "has the shape of X: multiply by V_k^T")
            if got.shape == ref.shape and np.linalg.matrix_rank(got, tol=1e-8) != k:
                raise Feedback(f"your X_k has rank {np.linalg.matrix_rank(got, tol=1e-8)}, "
                               f"not k={k}: keep the first k singular triples (indices "
                               "0..k-1)")
            if got.shape == ref.shape and np.allclose(got @ got.T, ref @ ref.T) and \
                    not np.allclose(got, ref):
                raise Feedback(f"for k={k} your X_k has the right singular values but the "
                               "wrong directions: U_k diag(s_k) V_k^T with Vt's first k rows")
            close(got, ref, f"X_k for X of shape {X.shape}, k={k}")


@register("ex03.q2", returns=Number(), forbid=(_LR + "approximation_bound",))
def _ex03_q2(answer):
    from ..chapters.lowrank import approximation_bound

    for sigma, ynorm, beta in ((0.5, 1.0, 1.0), (0.3, 4.0, 0.5), (0.0, 2.0, 1.0),
                               (1.2, 0.7, 3.0)):
        got = answer(sigma, ynorm, beta)
        ref = approximation_bound(sigma, ynorm, beta)
        if np.isclose(got, ref):
            continue
        if np.isclose(got, (1 + sigma / (2 * beta)) ** 4):
            raise Feedback("you left out ||y||: without normalizing y the bound is "
                           "(1 + sigma ||y|| / (2 beta))^4")
        if np.isclose(got, (1 + sigma * ynorm / beta) ** 2):
            raise Feedback("(1 + sigma/beta)^2 is the form quoted for ||y|| = 1; the bound "
                           "proved in chapter 3 has the exponent 4 and beta doubled")
        if np.isclose(got, (1 + sigma * ynorm / beta) ** 4):
            raise Feedback("the bound has 2 beta in the denominator")
        if np.isclose(got, (1 + sigma * ynorm / (2 * beta)) ** 2):
            raise Feedback("the exponent of the bound is 4")
        close(got, ref, f"the bound for sigma={sigma}, ||y||={ynorm}, beta={beta}")


@register("ex03.q3", returns=Array(shape=(2,), what="the vertex"),
          forbid=(_LR + "zonotope",))
def _ex03_q3(answer):
    from ..chapters.lowrank import zonotope

    rng = np.random.default_rng(33)
    for n in (6, 9):
        X = rng.standard_normal((n, 2)) @ rng.standard_normal((2, 4))
        vertices, patterns = zonotope(X, 2)
        Z = X @ np.linalg.svd(X, full_matrices=False)[2][:2].T
        for j in (0, len(patterns) // 3, len(patterns) - 1):
            p = patterns[j]
            got = answer(Z.copy(), p.copy())
            if np.allclose(got, p.astype(float) @ Z):
                raise Feedback("an inactive point contributes -z_i, not 0")
            if np.allclose(got, -vertices[j]):
                raise Feedback("your vertex is the opposite one: active points (p_i = 1) "
                               "contribute +z_i, inactive ones -z_i")
            close(got, vertices[j], f"the vertex of pattern {j} (n={n})")


@register("ex03.q4", returns=Tuple((Number(), Number()), ("ratio", "bound")),
          forbid=(_LR + "low_rank", _LR + "low_rank_scheme", _LR + "approximation_bound"))
def _ex03_q4(answer):
    from ..chapters.lowrank import low_rank_scheme
    from ..core.patterns import enumerate_patterns
    from ..solvers import solve_convex

    rng = np.random.default_rng(34)
    for n, k, beta in ((12, 2, 0.05), (9, 1, 0.1), (10, 1, 0.5)):
        X = np.column_stack([rng.standard_normal((n, 2)), np.ones(n)])
        y = rng.standard_normal(n)
        res = low_rank_scheme(X, y, beta, k)
        full = solve_convex(X, y, beta, enumerate_patterns(X)).objective
        ratio, bound = answer(X.copy(), y.copy(), beta, k)
        where = f"(n={n}, k={k}, beta={beta})"
        want = res.train_on_low_rank / full
        if not np.isclose(ratio, want, rtol=1e-5):
            if np.isclose(ratio, 1 / want, rtol=1e-5):
                raise Feedback(f"{where} your ratio is inverted: L_X(theta_k) / p*, "
                               "the scheme's loss over the optimum (it is >= 1)")
            if np.isclose(ratio, res.patterns_of_low_rank / full, rtol=1e-5):
                raise Feedback(f"{where} you solved the program on X with X_k's patterns "
                               "(scheme A); scheme B solves on X_k and evaluates that "
                               "network on X")
            if np.isclose(ratio, res.train_on_low_rank / res.patterns_of_low_rank, rtol=1e-5):
                raise Feedback(f"{where} p* is the global optimum: the program on X with "
                               "every pattern of X, not X_k's patterns")
            close(ratio, want, f"{where} the ratio L_X(theta_k) / p*", rtol=1e-5)
        s = np.linalg.svd(X, compute_uv=False)
        y_norm = float(np.linalg.norm(y))
        if not np.isclose(bound, res.bound, rtol=1e-8):
            if np.isclose(bound, (1 + s[k - 1] * y_norm / (2 * beta)) ** 4, rtol=1e-8):
                raise Feedback(f"{where} your bound uses sigma_k; the guarantee uses the "
                               "first singular value left out, sigma_{k+1} (s[k] in "
                               "0-based indexing)")
            close(bound, res.bound, f"{where} the bound", rtol=1e-8)
        if ratio > bound * (1 + 1e-6):
            raise Feedback(f"{where} your ratio is above your bound; the guarantee says "
                           "it cannot be")


@register("ex03.q6", kind="value", returns=Number())
def _ex03_q6(prediction):
    from ..chapters.lowrank import low_rank_scheme
    from ..core.patterns import enumerate_patterns
    from ..solvers import solve_convex

    X, y = prediction_data()
    res = low_rank_scheme(X, y, 0.5, 2)
    ratio = res.train_on_low_rank / solve_convex(X, y, 0.5, enumerate_patterns(X)).objective
    if abs(prediction - ratio) > 1e-4:
        raise Feedback("your prediction does not match the experiment; run the cell below. "
                       "Hint: what is sigma_3 of a matrix of rank 2, and what does the bound "
                       "say then?")


def prediction_data():
    """Q6's data: X (10, 3) of rank 2, y (10,)."""
    rng = np.random.default_rng(36)
    X = rng.standard_normal((10, 2)) @ rng.standard_normal((2, 3))
    return X, rng.standard_normal(10)

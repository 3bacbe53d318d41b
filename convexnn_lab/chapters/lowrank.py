"""The low-rank approximation scheme and its guarantee (chapter 3).

For data X of high rank the arrangement is too large to enumerate.  Replace X by its
best rank-k approximation X_k (SVD): X_k has polynomially many patterns
(2 sum_{j<k} C(n-1, j)), the vertices of the zonotope sum_i [-z_i, z_i] of its rows in
the k-dimensional row space, so the network problem on X_k is solved exactly in
polynomial time.  Two ways to use it:

* scheme B ("train on X_k"): the optimal network theta_k for X_k, used on X;
* scheme A ("patterns of X_k"): the program on the full X restricted to the patterns of
  X_k (a restriction, so never below the optimum p*).

Guarantee for scheme B, proved in chapter 3 (our statement and proof): for any
1-Lipschitz piecewise-linear activation, any y and beta > 0,

    L_X(theta_k) <= (1 + sigma_{k+1} ||y|| / (2 beta))^4 * p*(X).

The paper's approximation theorem is often quoted as (1 + sigma_{k+1}/beta)^2 for
||y|| = 1 (``quoted_bound``); chapter 3 tests that form.  ``pattern_bound`` is the
count 2 (e (n-1) / r)^r that chapter 3 proves.  Every bound
is void once beta >= ``zero_network_beta(X, y)``: then the zero network is optimal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_beta, check_positive_int, check_X, check_Xy
from ..core.networks import TwoLayerNetwork
from ..core.patterns import enumerate_patterns
from ..solvers import solve_convex

__all__ = ["low_rank", "approximation_bound", "quoted_bound", "zero_network_beta",
           "LowRankResult", "low_rank_scheme", "zonotope", "pattern_bound"]


def low_rank(X, k: int):
    """Best rank-k approximation X_k = U_k S_k V_k^T and the singular values of X.

    Returns
    -------
    X_k : ndarray of shape (n, d)
    s : ndarray, all singular values (``s[k]`` is sigma_{k+1} = ||X - X_k||_2)
    """
    X = check_X(X)
    k = check_positive_int(k, "k")
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if k > len(s):
        raise ValueError(f"k={k} exceeds the rank bound min(n, d) = {len(s)}")
    return (U[:, :k] * s[:k]) @ Vt[:k], s


def pattern_bound(n: int, r: int) -> float:
    """``2 (e (n-1) / r)^r``: the bound on the number of patterns of n rows of rank r.

    Chapter 3 proves ``2 sum_{k<r} C(n-1, k) <= 2 (e (n-1) / r)^r`` for ``n - 1 >= r``
    (``cl.general_position_count`` is the left side); it is r times smaller than Cover's
    ``2 r (e (n-1) / r)^r`` (``cl.cover_bound``).  Inf where it exceeds the largest float.
    """
    n = check_positive_int(n, "n")
    r = check_positive_int(r, "r")
    if n - 1 < r:
        raise ValueError(f"the bound needs n - 1 >= r, got n={n}, r={r} (then every sign "
                         "pattern of the n rows may occur: at most 2^n)")
    log = np.log(2.0) + r * np.log(np.e * (n - 1) / r)
    return float(np.exp(log)) if log < 709.0 else float("inf")


def approximation_bound(sigma_next: float, y_norm: float, beta: float) -> float:
    """``(1 + sigma_{k+1} ||y|| / (2 beta))^4``: the ratio bound of scheme B."""
    beta = check_beta(beta)
    if sigma_next < 0 or y_norm < 0:
        raise ValueError("sigma_next and y_norm must be >= 0")
    return (1.0 + sigma_next * y_norm / (2.0 * beta)) ** 4


def quoted_bound(sigma_next: float, beta: float) -> float:
    """``(1 + sigma_{k+1} / beta)^2``: the form in which the paper's ratio is often quoted.

    It assumes ||y|| = 1; chapter 3 tests it rather than relying on it ("A guarantee,
    with its hypothesis").  At ||y|| = 1 it is never above ``approximation_bound``, since
    ``(1 + s/2)^4 = (1 + s + s^2/4)^2 >= (1 + s)^2``.
    """
    beta = check_beta(beta)
    if sigma_next < 0:
        raise ValueError(f"sigma_next must be >= 0, got {sigma_next}")
    return (1.0 + sigma_next / beta) ** 2


def zero_network_beta(X, y, patterns=None) -> float:
    """The smallest beta at which the zero network is optimal for (X, y).

    The zero network has L = ||y||^2 / 2, and lambda = y is dual feasible, with dual value
    ||y||^2 / 2, exactly when ``max_i max_{u in K_i, ||u|| <= 1} |y^T D_i X u| <= beta``
    (chapter 2's dual, ReLU).  So the zero network is optimal iff beta is at least that
    maximum, which this returns (computed exactly, one NNLS pair per pattern).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    patterns : bool ndarray of shape (P, n), optional
        Default: every pattern of X (``enumerate_patterns``); with fewer patterns the
        value is that of the restricted program.
    """
    from ..core.certificates import cone_correlation
    from ..core.program import ConvexProgram

    X, y = check_Xy(X, y)
    patterns = enumerate_patterns(X) if patterns is None else patterns
    return float(cone_correlation(ConvexProgram(X, y, 1.0, patterns), y).max())


@dataclass
class LowRankResult:
    """One rank k of the scheme.

    Attributes
    ----------
    k : int
    sigma_next : float
        sigma_{k+1}(X).
    n_patterns : int
        Patterns of X_k.
    train_on_low_rank : float
        Scheme B: L_X of the optimal network for X_k.
    patterns_of_low_rank : float
        Scheme A: optimum of the program on X restricted to the patterns of X_k.
    bound : float
        ``approximation_bound`` (applies to scheme B).
    network : TwoLayerNetwork
        The optimal network for X_k.
    """

    k: int
    sigma_next: float
    n_patterns: int
    train_on_low_rank: float
    patterns_of_low_rank: float
    bound: float
    network: TwoLayerNetwork


def low_rank_scheme(X, y, beta, k, **kwargs) -> LowRankResult:
    """Run both schemes at rank k; kwargs go to :func:`solve_convex`."""
    X, y = check_Xy(X, y)
    beta = check_beta(beta)
    Xk, s = low_rank(X, k)
    patterns = enumerate_patterns(Xk)
    net = solve_convex(Xk, y, beta, patterns, **kwargs).network()
    restricted = solve_convex(X, y, beta, patterns, **kwargs).objective
    sigma_next = float(s[k]) if k < len(s) else 0.0
    return LowRankResult(k, sigma_next, len(patterns), net.objective(X, y, beta), restricted,
                         approximation_bound(sigma_next, float(np.linalg.norm(y)), beta), net)


def zonotope(X, k: int = 2):
    """The zonotope sum_i [-z_i, z_i] of the rows of X_k in its k-dimensional row space.

    z_i = V_k^T x_i are the coordinates of the rows of X_k.  Each pattern p of X_k is a
    vertex ``sum_i (2 p_i - 1) z_i`` (the vertex maximizing u^T z over the zonotope for
    every u in the pattern's cell), so vertices and patterns are in one-to-one
    correspondence.

    Returns
    -------
    vertices : ndarray of shape (P, k), counter-clockwise when k = 2
    patterns : ndarray of bool, shape (P, n), aligned with the vertices
    """
    X = check_X(X)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    Z = X @ Vt[:k].T
    patterns = enumerate_patterns(Z)
    vertices = np.where(patterns, 1.0, -1.0) @ Z
    if k == 2:
        order = np.argsort(np.arctan2(vertices[:, 1], vertices[:, 0]))
        vertices, patterns = vertices[order], patterns[order]
    return vertices, patterns

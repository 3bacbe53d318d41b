"""Why exact training is hard in general, and which data are easy (chapter 8).

Three computations behind the chapter "What convexity cannot do":

* how the number of patterns P of X grows with n at each rank r
  (:func:`pattern_growth`): exactly ``2 sum_{k<r} C(n-1, k)`` for rows in general
  position, i.e. like n^(r-1), under Cover's bound ``2r (e(n-1)/r)^r`` ~ n^r;
* the step from the dual constraint to Max-Cut (:func:`incidence_data`,
  :func:`relu_price`, :func:`zonotope_price`, :func:`max_cut`): pricing the dual vector
  lambda = 1 on the signed incidence data of a graph G gives sqrt(MaxCut(G)), so
  checking the dual constraint ``max_{||u|| <= 1} |lambda^T (X u)_+| <= beta`` (the
  global optimality condition of the notation section of chapter 00) is as hard as
  Max-Cut;
* the classes of data the hardness results single out (:func:`is_orthogonally_separable`,
  :func:`is_negatively_correlated`, :func:`orthogonally_separable_data`,
  :func:`class_patterns`).

Notation: X (n, d), lambda (n,), patterns D_i = diag(1[X u >= 0]), a graph G on n
vertices given by its symmetric weight matrix W (n, n) >= 0.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_positive_int, check_seed, check_X, check_Xy
from ..core.certificates import cone_correlation
from ..core.patterns import enumerate_patterns
from ..core.program import ConvexProgram

__all__ = [
    "PatternGrowth",
    "class_patterns",
    "cut_value",
    "growth_slope",
    "incidence_data",
    "is_negatively_correlated",
    "is_orthogonally_separable",
    "listed_price",
    "max_cut",
    "orthogonally_separable_data",
    "pattern_growth",
    "relu_price",
    "zonotope_price",
]

# brute force over 2^(n-1) cuts or 2^n vertices of a zonotope: refuse beyond this
MAX_BRUTE_FORCE_N = 22


@dataclass
class PatternGrowth:
    """Pattern counts and enumeration times of Gaussian data, rank by rank.

    Attributes
    ----------
    ns : ndarray of shape (k,)
        Numbers of rows n.
    ranks : ndarray of shape (q,)
        Ranks r (X is n x r Gaussian, so its rows are in general position).
    counts : ndarray of int, shape (q, k)
        Number of patterns found by ``enumerate_patterns``.
    seconds : ndarray of shape (q, k)
        Wall-clock time of each enumeration (depends on the machine).
    """

    ns: np.ndarray
    ranks: np.ndarray
    counts: np.ndarray
    seconds: np.ndarray

    def slopes(self, what: str = "counts") -> np.ndarray:
        """Local exponent of growth in n at the largest n, per rank, shape (q,):
        ``log(v[-1] / v[-2]) / log(n[-1] / n[-2])`` for v = counts or seconds."""
        values = self.counts if what == "counts" else self.seconds
        return np.array([growth_slope(self.ns[-2:], v[-2:]) for v in values])


def growth_slope(ns, values) -> float:
    """Least-squares slope of log(values) against log(ns): the exponent p of values ~ n^p.

    Parameters
    ----------
    ns, values : array_like of shape (k,), k >= 2, all > 0
    """
    ns = np.asarray(ns, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if ns.shape != values.shape or ns.ndim != 1 or len(ns) < 2:
        raise ValueError(f"ns and values must be 1-D of the same length >= 2, got shapes "
                         f"{ns.shape} and {values.shape}")
    if (ns <= 0).any() or (values <= 0).any():
        raise ValueError("ns and values must be > 0 to take logarithms")
    return float(np.polyfit(np.log(ns), np.log(values), 1)[0])


def pattern_growth(ns, ranks, *, seed=0) -> PatternGrowth:
    """Enumerate the patterns of Gaussian X of shape (n, r) for every n and rank r.

    Parameters
    ----------
    ns : sequence of int
        Numbers of rows, increasing.
    ranks : sequence of int
        Ranks r >= 1 (columns of X).
    seed : int or numpy Generator

    Returns
    -------
    PatternGrowth

    See Also
    --------
    enumerate_patterns, general_position_count, cover_bound
    """
    ns = np.array([check_positive_int(n, "ns") for n in ns])
    ranks = np.array([check_positive_int(r, "ranks") for r in ranks])
    if len(ns) < 2 or (np.diff(ns) <= 0).any():
        raise ValueError(f"ns must hold at least two increasing numbers of rows, got {ns}")
    rng = np.random.default_rng(check_seed(seed))
    counts = np.zeros((len(ranks), len(ns)), dtype=np.int64)
    seconds = np.zeros((len(ranks), len(ns)))
    for a, r in enumerate(ranks):
        for b, n in enumerate(ns):
            X = rng.standard_normal((n, r))
            start = time.perf_counter()
            counts[a, b] = len(enumerate_patterns(X))
            seconds[a, b] = time.perf_counter() - start
    return PatternGrowth(ns, ranks, counts, seconds)


# --- Max-Cut ---------------------------------------------------------------------------
def _check_graph(W) -> np.ndarray:
    W = check_X(W, "W")
    n = W.shape[0]
    if W.shape != (n, n):
        raise ValueError(f"W must be a square weight matrix (n, n), got shape {W.shape}")
    if not np.allclose(W, W.T):
        raise ValueError("W must be symmetric: W[i, j] is the weight of the edge {i, j}")
    if (W < 0).any():
        raise ValueError("W must have weights >= 0 (Max-Cut with negative weights is "
                         "another problem)")
    if np.any(np.diag(W) != 0):
        raise ValueError("W must have a zero diagonal (no self-loops)")
    return W


def _check_small(n: int, what: str):
    if n > MAX_BRUTE_FORCE_N:
        raise ValueError(f"{what} tries 2^{n} sign vectors: n = {n} is above "
                         f"{MAX_BRUTE_FORCE_N}; use a smaller graph or data set")


def cut_value(W, s) -> float:
    """Weight of the cut of the sign vector s: ``sum_{i<j} W_ij (s_i - s_j)^2 / 4``.

    Parameters
    ----------
    W : ndarray of shape (n, n), symmetric, >= 0, zero diagonal
    s : array_like of shape (n,), entries +1 or -1
    """
    W = _check_graph(W)
    s = np.asarray(s, dtype=np.float64)
    if s.shape != (W.shape[0],) or not np.isin(s, (-1.0, 1.0)).all():
        raise ValueError(f"s must be a vector of +1/-1 of shape ({W.shape[0]},)")
    return float(np.sum(np.triu(W, 1) * (s[:, None] != s[None, :])))


def _signs(n: int) -> np.ndarray:
    """All sign vectors with s_0 = +1 (a cut and its mirror are the same), (2^(n-1), n)."""
    rest = np.array(list(itertools.product((1.0, -1.0), repeat=n - 1))).reshape(-1, n - 1)
    return np.hstack([np.ones((len(rest), 1)), rest])


def max_cut(W):
    """The maximum cut of a small weighted graph, by brute force over 2^(n-1) cuts.

    Max-Cut is NP-hard; this is the exponential algorithm, for n <= 22.

    Parameters
    ----------
    W : ndarray of shape (n, n)
        Symmetric weights >= 0 with a zero diagonal.

    Returns
    -------
    (value, s) : float, and a maximizing sign vector of shape (n,)
    """
    W = _check_graph(W)
    n = W.shape[0]
    _check_small(n, "max_cut")
    S = _signs(n)
    L = np.diag(W.sum(axis=1)) - W  # Laplacian: s^T L s = 4 cut(s)
    values = np.einsum("ki,ij,kj->k", S, L, S) / 4.0
    k = int(np.argmax(values))
    return float(values[k]), S[k]


def incidence_data(W) -> np.ndarray:
    """Data whose rows are the vertices of G: ``X = (diag(sqrt(w)) B)^T``.

    B is the signed edge-vertex incidence matrix (row e = {i, j}, i < j: +1 at i, -1 at
    j) and w the edge weights, so that ``||X^T s||^2 = s^T L s = 4 cut(s)`` for every
    sign vector s, and the rows sum to zero.

    Parameters
    ----------
    W : ndarray of shape (n, n), symmetric, >= 0, zero diagonal

    Returns
    -------
    X : ndarray of shape (n, |E|)
        Row j is vertex j; column e is edge e.
    """
    W = _check_graph(W)
    i, j = np.nonzero(np.triu(W, 1))
    if len(i) == 0:
        raise ValueError("W has no edge: every cut is 0")
    X = np.zeros((W.shape[0], len(i)))
    w = np.sqrt(W[i, j])
    X[i, np.arange(len(i))] = w
    X[j, np.arange(len(i))] = -w
    return X


def zonotope_price(X, lam):
    """``max_{h in {0,1}^n} ||X^T diag(lambda) h||``: the farthest vertex of the zonotope
    ``{X^T diag(lambda) h : h in [0, 1]^n}`` from the origin, by brute force.

    For lambda >= 0 it equals the price of the ReLU dual constraint,
    ``max_{||u|| <= 1} lambda^T (X u)_+``: for fixed u, ``sum_j lambda_j (x_j^T u)_+ =
    max_{h in [0,1]^n} u^T X^T diag(lambda) h``, and swapping the two maxima leaves the
    largest norm over the zonotope, reached at a vertex (a convex function's maximum
    over a polytope).  The maximizing h need not be a pattern of X.

    Parameters
    ----------
    X : ndarray of shape (n, d), n <= 22
    lam : ndarray of shape (n,)

    Returns
    -------
    (value, h) : float, and a maximizing 0/1 vector of shape (n,) (bool)
    """
    X, lam = check_Xy(X, lam)
    n = X.shape[0]
    _check_small(n, "zonotope_price")
    H = (_signs(n + 1)[:, 1:] > 0)  # all 2^n vectors of {0, 1}^n
    Z = (H * lam) @ X  # rows: X^T diag(lambda) h
    norms = np.linalg.norm(Z, axis=1)
    k = int(np.argmax(norms))
    return float(norms[k]), H[k]


def relu_price(X, lam, *, max_patterns: int = 200_000):
    """``max_{||u|| <= 1} |lambda^T (X u)_+|``, exactly, over every pattern of X.

    The left side of the ReLU dual constraint (notation section of chapter 00): for each
    pattern D_i the maximum over its cone K_i, ``max_{u in K_i, ||u|| <= 1}
    |lambda^T D_i X u|`` (two non-negative least-squares problems), then the largest.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Its patterns must be enumerable (at most `max_patterns`).
    lam : ndarray of shape (n,)

    Returns
    -------
    (value, pattern) : float, and the maximizing pattern, bool of shape (n,)

    Raises
    ------
    ValueError
        If X has more than `max_patterns` patterns: then no exact price is available,
        and a search (``pricing.price_patterns``) can only give a lower bound.
    """
    X, lam = check_Xy(X, lam)
    patterns = enumerate_patterns(X, max_patterns=max_patterns)
    program = ConvexProgram(X, np.zeros(X.shape[0]), 1.0, patterns)
    corr = cone_correlation(program, lam)
    k = int(np.argmax(corr))
    return float(corr[k]), patterns[k]


# --- classes of data ---------------------------------------------------------------------
def _labels(X, y):
    X, y = check_Xy(X, y)
    if not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("y must hold labels -1 and +1; map your classes with "
                         "np.where(labels == positive, 1.0, -1.0)")
    return X, y


def is_orthogonally_separable(X, y, *, tol: float = 0.0) -> bool:
    """``x_i^T x_j > tol`` whenever y_i = y_j, and ``x_i^T x_j <= tol`` whenever y_i != y_j.

    Parameters
    ----------
    X : ndarray of shape (n, d); y : ndarray of shape (n,), labels -1/+1
    tol : float
        Round-off allowance on the inner products.
    """
    X, y = _labels(X, y)
    G = X @ X.T
    same = y[:, None] == y[None, :]
    return bool((G[same] > tol).all() and (G[~same] <= tol).all())


def is_negatively_correlated(X, y, *, tol: float = 0.0) -> bool:
    """``x_i^T x_j <= tol`` whenever y_i != y_j (no condition inside a class).

    Parameters
    ----------
    X : ndarray of shape (n, d); y : ndarray of shape (n,), labels -1/+1
    """
    X, y = _labels(X, y)
    G = X @ X.T
    return bool((G[y[:, None] != y[None, :]] <= tol).all())


def orthogonally_separable_data(n: int, *, seed=0):
    """n points in the plane, orthogonally separable: class +1 at angles in (-44, 44)
    degrees, class -1 at angles in (136, 224) degrees, radii in (0.5, 2).

    Two points of one class are less than 90 degrees apart (positive inner product),
    two points of different classes at least 92 degrees (negative inner product).

    Returns
    -------
    X : ndarray of shape (n, 2); y : ndarray of shape (n,), labels -1/+1, both present
    """
    n = check_positive_int(n, "n", minimum=2)
    rng = np.random.default_rng(check_seed(seed))
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    angle = np.deg2rad(rng.uniform(-44, 44, n) + np.where(y > 0, 0.0, 180.0))
    radius = rng.uniform(0.5, 2.0, n)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), y


def class_patterns(y) -> np.ndarray:
    """The two class patterns ``D_+ = diag(1[y = +1])`` and ``D_- = diag(1[y = -1])``.

    Returns
    -------
    bool ndarray of shape (2, n)
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("y must be a 1-D vector of labels -1 and +1")
    return np.vstack([y > 0, y < 0])


def listed_price(X, lam, *, activation: str = "relu", alpha: float = 0.01) -> float:
    """``max_{||u|| <= 1} |lambda^T sigma(X u)|`` by listing every pattern of X and taking
    the exact cone maximum of each (``certificates.cone_correlation``, two NNLS a
    pattern): the reference that ``price_exact``'s branch and bound must match, for X
    whose patterns can be listed (``enumerate_patterns``)."""
    from ..core.certificates import cone_correlation
    from ..core.patterns import enumerate_patterns
    from ..core.program import ConvexProgram

    X, lam = check_Xy(X, lam)
    program = ConvexProgram(X, lam, 1.0, enumerate_patterns(X, progress=False),
                            activation=activation, alpha=alpha)
    return float(cone_correlation(program, lam).max())

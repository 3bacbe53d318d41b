"""Geometric-algebra sampling and the kappa-Lasso (chapter 5; Pilanci, TMLR 2024).

Optimal first-layer weights can be taken as generalized cross products of d-1 training
points: hyperplanes through data points.  Sampling patterns that way reaches thin cells
that random directions miss, and in one dimension the network problem becomes a Lasso
over ramps with breakpoints at the data points (the kappa-Lasso).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_beta, check_seed, check_X, check_y
from ..core.networks import TwoLayerNetwork
from ..core.patterns import enumerate_patterns, generalized_cross_product, sample_patterns
from ..solvers import solve_convex

__all__ = ["coverage", "KappaLasso", "kappa_lasso", "kappa_network", "kappa_dictionary",
           "KappaLassoND", "kappa_lasso_nd", "kinks_1d", "sketched_patterns",
           "sampler_objectives"]


def coverage(X, y, beta, budgets, *, seed=0, methods=("gaussian", "cross_product"),
             solve=True):
    """Gaussian against cross-product sampling at equal budgets.

    For each method and budget (number of draws): the fraction of the exact
    arrangement found, and (if `solve`) the convex optimum with the sampled patterns
    relative to the optimum with all patterns (>= 1).

    Parameters
    ----------
    seed : None, int >= 0 or numpy.random.Generator
        Seed of every sampling call.

    Returns
    -------
    dict with "budgets", "total" (patterns of X), "optimum", and per method
    {"found": [...], "fraction": [...], "ratio": [...]}.
    """
    X = check_X(X)
    seed = check_seed(seed)
    exact = enumerate_patterns(X)
    keys = {p.tobytes() for p in np.packbits(exact, axis=1)}
    out = {"budgets": list(budgets), "total": len(exact)}
    if solve:
        out["optimum"] = solve_convex(X, y, beta, exact).objective
    for method in methods:
        rec = {"found": [], "fraction": [], "ratio": []}
        for b in budgets:
            pats = sample_patterns(X, int(b), method=method, seed=seed)
            found = sum(p.tobytes() in keys for p in np.packbits(pats, axis=1))
            rec["found"].append(found)
            rec["fraction"].append(found / len(exact))
            if solve:
                rec["ratio"].append(solve_convex(X, y, beta, pats).objective / out["optimum"])
        out[method] = rec
    return out


def sketched_patterns(X, n_patterns: int, sketch_dim: int, *, seed=0,
                      return_directions: bool = False):
    """Patterns from generalized cross products of sketched rows (randomized geometric algebra).

    The sampler of Wang, Kim, Chu, Subramaniam & Pilanci ("Randomized geometric algebra
    methods for convex neural networks"; the talk's slide "Approximate Generalized
    Cross-product by Sketching"): draw a Gaussian sketch ``S`` of shape
    ``(sketch_dim, d)``, take the hyperplane through ``sketch_dim - 1`` sketched rows
    ``S x_j`` (their generalized cross product ``v~`` in ``R^sketch_dim``, nudged into one
    of the cells around it as in ``sample_patterns(method="cross_product")``), and embed
    it as ``v = S^T v~``.  Since ``X v = (X S^T) v~``, the pattern ``1[X v >= 0]`` is a
    pattern of X, and ``v`` lies strictly inside its cell: every sample is a real cell of X,
    found with linear algebra in dimension ``sketch_dim`` instead of d.

    Parameters
    ----------
    X : array_like of shape (n, d)
    n_patterns : int
        Draws; duplicates are dropped, so fewer patterns may come back.
    sketch_dim : int, 2 <= sketch_dim <= d
        The sketch size r (r - 1 rows per hyperplane).
    seed : None, int >= 0 or numpy.random.Generator
        Seeds the sketch and the draws.
    return_directions : bool

    Returns
    -------
    patterns : ndarray of bool, shape (P, n)
    directions : ndarray of shape (d, P), only if `return_directions`
        ``S^T v~`` for each pattern, strictly inside its cell of X.
    """
    X = check_X(X)
    d = X.shape[1]
    if isinstance(sketch_dim, bool) or not isinstance(sketch_dim, (int, np.integer)) or \
            not 2 <= sketch_dim <= d:
        raise ValueError(f"sketch_dim must be an integer in [2, d] = [2, {d}], got "
                         f"{sketch_dim!r}")
    rng = np.random.default_rng(check_seed(seed))
    S = rng.standard_normal((int(sketch_dim), d)) / np.sqrt(sketch_dim)
    pats, small = sample_patterns(X @ S.T, n_patterns, method="cross_product", seed=rng,
                                  return_directions=True)
    return (pats, S.T @ small) if return_directions else pats


def sampler_objectives(X, y, beta, n_patterns: int, *, sketch_dims=(3, 5, 10),
                       seeds=(0, 1, 2)) -> dict:
    """The convex optimum on sampled patterns, for several samplers and seeds.

    Samplers: Gaussian directions, cross products of d-1 rows of X
    (``sample_patterns(method="cross_product")``), and :func:`sketched_patterns` with each
    sketch size in `sketch_dims`; each draws `n_patterns` times per seed.  The program is
    the ReLU program of ``solve_convex`` (a restriction: each value is an upper bound on the
    optimum with every pattern).

    Returns
    -------
    dict
        Sampler name -> list of objectives, one per seed, in the order of `seeds`.
    """
    from ..solvers import solve_convex

    X = check_X(X)
    draws = {"gaussian": lambda s: sample_patterns(X, n_patterns, seed=s),
             "cross_product": lambda s: sample_patterns(X, n_patterns, method="cross_product",
                                                        seed=s)}
    for r in sketch_dims:
        draws[f"sketched, r = {r}"] = (
            lambda s, r=r: sketched_patterns(X, n_patterns, r, seed=s))
    return {name: [solve_convex(X, y, beta, draw(s), progress=False).objective for s in seeds]
            for name, draw in draws.items()}


@dataclass
class KappaLasso:
    """A 1-D kappa-Lasso solution.

    fit(t) = bias + sum_j right_j (t - t_j)_+ + left_j (t_j - t)_+

    Attributes
    ----------
    objective : float
        ``0.5*||fit - y||^2 + beta*||z||_1`` (beta = 0: ``||z||_1`` of the interpolant).
    bias : float
        The free, unregularized output bias.
    knots : ndarray of shape (n,)
        The data points t_j (the dictionary's breakpoints).
    right, left : ndarray of shape (n,)
        Coefficients of (t - t_j)_+ and (t_j - t)_+.
    breakpoints : ndarray
        The knots in use (a nonzero coefficient).
    """

    objective: float
    bias: float
    knots: np.ndarray
    right: np.ndarray
    left: np.ndarray
    breakpoints: np.ndarray
    beta: float

    def predict(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64).ravel()
        R = np.maximum(t[:, None] - self.knots[None, :], 0)
        Lm = np.maximum(self.knots[None, :] - t[:, None], 0)
        return self.bias + R @ self.right + Lm @ self.left


def kappa_lasso(t, y, beta: float = 0.0, *, tol: float = 1e-9) -> KappaLasso:
    """The kappa-Lasso in one dimension with a free, unregularized bias.

    Dictionary: ramps ``(t - t_j)_+`` and ``(t_j - t)_+`` at the data points.
    ``beta = 0``: the minimum-l1 interpolant (``min ||z||_1`` s.t. the fit equals y);
    ``beta > 0``: ``min 0.5*||fit - y||^2 + beta*||z||_1``.  This equals the network
    problem ``min 0.5||f - y||^2 + (beta/2) sum_j (w_j^2 + a_j^2)`` over
    ``f(t) = b + sum_j relu(w_j t + c_j) a_j`` with b and the c_j unregularized
    (Pilanci, TMLR 2024): optimal breakpoints sit at data points.

    Parameters
    ----------
    t : array_like of shape (n,)
    y : array_like of shape (n,)
    beta : float, >= 0
    """
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    t = np.asarray(t, dtype=np.float64).ravel()
    if t.size == 0:
        raise ValueError("t is empty")
    y = check_y(y, len(t))
    if not np.isfinite(t).all():
        raise ValueError("t contains NaN or infinite values")
    beta = check_beta(beta, allow_zero=True)
    R = np.maximum(t[:, None] - t[None, :], 0)
    Lm = np.maximum(t[None, :] - t[:, None], 0)
    zr, zl, b = cp.Variable(len(t)), cp.Variable(len(t)), cp.Variable()
    fit = R @ zr + Lm @ zl + b
    l1 = cp.norm1(zr) + cp.norm1(zl)
    if beta == 0:
        problem = cp.Problem(cp.Minimize(l1), [fit == y])
    else:
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - y) + beta * l1))
    problem.solve(solver=cvxpy_solver())
    if zr.value is None:
        raise RuntimeError(f"the kappa-Lasso failed (status {problem.status})")
    right, left = np.asarray(zr.value), np.asarray(zl.value)
    top = max(np.abs(right).max(), np.abs(left).max(), 1e-300)
    right[np.abs(right) <= tol * top] = 0.0
    left[np.abs(left) <= tol * top] = 0.0
    used = np.flatnonzero((right != 0) | (left != 0))
    pred = R @ right + Lm @ left + float(b.value)
    obj = float(np.abs(right).sum() + np.abs(left).sum())
    if beta > 0:
        obj = 0.5 * float(np.sum((pred - y) ** 2)) + beta * obj
    return KappaLasso(obj, float(b.value), t, right, left, t[used], beta)


def kappa_network(sol: KappaLasso) -> TwoLayerNetwork:
    """A ReLU network on inputs [t, 1] that computes the kappa-Lasso fit.

    Ramp (t - t_j)_+ is the neuron relu([1, -t_j] . [t, 1]), (t_j - t)_+ the neuron with
    [-1, t_j], and the bias one neuron relu([0, 1] . [t, 1]) = 1; every neuron is
    balanced.  With the bias as a regularized column (as in ``solve_convex``) this
    network is feasible, so its objective is an upper bound on that problem's optimum.
    """
    cols, outs = [], []
    for coef, sign in ((sol.right, 1.0), (sol.left, -1.0)):
        for tj, z in zip(sol.knots, coef):
            if z == 0:
                continue
            w = np.array([sign, -sign * tj])
            scale = np.sqrt(abs(z) / np.linalg.norm(w))
            cols.append(w * scale)
            outs.append(np.sign(z) * np.sqrt(abs(z) * np.linalg.norm(w)))
    if sol.bias != 0:
        r = np.sqrt(abs(sol.bias))
        cols.append(np.array([0.0, r]))
        outs.append(np.sign(sol.bias) * r)
    return TwoLayerNetwork(np.column_stack(cols), np.array(outs))


def kappa_dictionary(X, *, tol: float = 1e-12):
    """Pilanci's normalized dictionary ``kappa(x; x_j1..x_j(d-1)) = (x^T h)_+ / ||h||``.

    ``h = x(x_j1, ..., x_j(d-1))`` is the generalized cross product of d-1 rows of X, taken
    with both signs (swapping two rows flips h); tuples of dependent rows (h = 0) are
    skipped.  A neuron with first-layer weight ``w = h / ||h||`` has ``relu(X w)`` equal
    to the column, so the dictionary is the set of unit-norm neurons through d-1 data
    points.

    Parameters
    ----------
    X : ndarray of shape (n, d), d >= 2
        Data, a column of ones included if the bias is one of its (regularized) columns.

    Returns
    -------
    K : ndarray of shape (n, N)
        The columns ``relu(X h_j / ||h_j||)``.
    H : ndarray of shape (d, N)
        The unit directions ``h_j / ||h_j||``.
    """
    from itertools import combinations

    X = check_X(X)
    n, d = X.shape
    if d < 2:
        raise ValueError(f"X needs d >= 2 columns (add a bias column for 1-D data), got d={d}")
    dirs = []
    scale = max(np.abs(X).max(), 1e-300) ** (d - 1)
    for rows in combinations(range(n), d - 1):
        h = generalized_cross_product(X[list(rows)])
        norm = np.linalg.norm(h)
        if norm <= tol * scale:
            continue
        dirs += [h / norm, -h / norm]
    if not dirs:
        raise ValueError("every d-1 rows of X are linearly dependent: no hyperplane through "
                         "data points; check the rank of X")
    H = np.column_stack(dirs)
    return np.maximum(X @ H, 0.0), H


@dataclass
class KappaLassoND:
    """A solution of the Lasso over ``kappa_dictionary(X)``.

    Attributes
    ----------
    objective : float
        ``0.5*||K z - y||^2 + beta*||z||_1``, equal to the network objective L of
        ``network`` (chapter 00's scaling).
    z : ndarray of shape (N,)
    H : ndarray of shape (d, N)
    network : TwoLayerNetwork
        One neuron per nonzero z_j: ``w = sqrt|z_j| h_j``, ``a = sign(z_j) sqrt|z_j|``.
    """

    objective: float
    z: np.ndarray
    H: np.ndarray
    network: TwoLayerNetwork


def kappa_lasso_nd(X, y, beta: float, *, tol: float = 1e-9) -> KappaLassoND:
    """``min_z 0.5*||K z - y||^2 + beta*||z||_1`` over Pilanci's normalized dictionary.

    The Lasso of Pilanci (TMLR 2024) for data of any dimension d, with the bias (if any) a
    regularized column of X, the convention of ``solve_convex``.  Its network restricts
    every neuron to a direction through d-1 data points, so its objective is never below
    the exact optimum of ``solve_convex`` with every pattern; chapter 5 compares the two.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    beta : float, > 0
    """
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    X = check_X(X)
    y = check_y(y, X.shape[0])
    beta = check_beta(beta)
    K, H = kappa_dictionary(X)
    z = cp.Variable(K.shape[1])
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(K @ z - y) + beta * cp.norm1(z)))
    problem.solve(solver=cvxpy_solver())
    if z.value is None:
        raise RuntimeError(f"the kappa-Lasso failed (status {problem.status})")
    zv = np.asarray(z.value, dtype=np.float64)
    zv[np.abs(zv) <= tol * max(np.abs(zv).max(), 1e-300)] = 0.0
    used = np.flatnonzero(zv)
    if len(used) == 0:
        net = TwoLayerNetwork(np.zeros((X.shape[1], 1)), np.zeros(1))
    else:
        r = np.sqrt(np.abs(zv[used]))
        net = TwoLayerNetwork(H[:, used] * r, np.sign(zv[used]) * r)
    obj = 0.5 * float(np.sum((K @ zv - y) ** 2)) + beta * float(np.abs(zv).sum())
    return KappaLassoND(obj, zv, H, net)


def kinks_1d(network: TwoLayerNetwork, *, tol: float = 1e-9) -> np.ndarray:
    """Breakpoints ``-w_2 / w_1`` of a network on inputs ``[t, 1]`` (chapter 5).

    Neurons with ``w_1 = 0`` (constants) or a zero output weight have no kink and are
    left out.  Returns the sorted breakpoints, shape (m',).
    """
    W, a = network.W1, np.asarray(network.w2, dtype=np.float64).ravel()
    if W.shape[0] != 2:
        raise ValueError(f"network must take inputs [t, 1] (W1 of shape (2, m)), got {W.shape}")
    keep = (np.abs(W[0]) > tol * max(np.abs(W).max(), 1e-300)) & (np.abs(a) > 0)
    return np.sort(-W[1, keep] / W[0, keep])

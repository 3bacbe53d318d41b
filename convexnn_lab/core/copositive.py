"""A lower bound on the best network of any width from one semidefinite program (chapter 8).

The dual of the network problem over all widths (squared loss; the logistic loss uses its
conjugate) is

    max_lambda  g(lambda) = lambda^T y - ||lambda||^2 / 2
    s.t.        |lambda^T sigma(X u)| <= beta   for all ||u|| <= 1.

Write v = (X u)_+ and s = v - X u, so v, s >= 0, v_i s_i = 0 and
sigma(X u) = (a - b) v + b X u for an activation with slopes (a, b).  With z = (u, v) of
length d + n the squared price is a quadratic form, (c^T z)^2 with
c = (b X^T lambda, (a - b) lambda).  Every lifted point Z = z z^T with ||u|| = 1 satisfies

    Z >= 0 (PSD),  tr Z_uu = 1,  Z_vv >= 0,  S(Z) >= 0,  C(Z) >= 0 with diag C(Z) = 0

(entrywise), where S(Z) lifts s s^T and C(Z) lifts v s^T.  Keeping only these is the
doubly nonnegative (DNN) relaxation of the copositive program of the training problem
(Sahiner et al., ICLR 2021; Prakhya et al., ICLR 2025).  Its dual turns "the relaxed
price is at most beta" into one linear matrix inequality in lambda and multipliers
N1, N3 >= 0 (symmetric) and N2 (>= 0 off its diagonal):

    [[beta^2 E_uu - W(N), c], [c^T, 1]]  PSD,
    z^T W(N) z = <N1, v v^T> + <N3, s s^T> + <N2, v s^T>  >= 0 at every such z,

so the best lambda is one SDP (:func:`dnn_bound`; by default it keeps N2 only, which
is weaker but converges faster).  A lambda feasible there has price at
most beta, so g(lambda) is a proven lower bound on the optimum over networks of any
width.  The SDP solver's answer is feasible only up to its tolerance; the bound is made
rigorous afterwards (:func:`_rigorous`): with the multipliers clipped to their cones,
A0 = beta^2 E_uu - kappa W(N) is shifted to B = A0 + e diag(I_d, t I_n) > 0, which
proves |lambda^T sigma(X u)| <= ||B^{-1/2} c|| (beta^2 + e (1 + t sigma_max(X)^2))^{1/2}
for every lambda (:func:`dnn_price_bound`); the best lambda for that bound and weak
duality along ``t lambda`` (``certificates.dual_bound``) give the lower bound.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_beta, check_Xy
from ..status import INACCURATE, NUMERICAL_ERROR, OPTIMAL, TIME_LIMIT
from .activations import slopes
from .certificates import dual_bound
from .losses import check_loss

__all__ = ["RelaxationBound", "dnn_bound", "dnn_price_bound"]

#: rows above which :func:`dnn_bound` refuses (its n x n multipliers)
MAX_ROWS = 700
#: rows up to which ``solver="auto"`` uses Clarabel (n = 60: about 25 s here)
CLARABEL_ROWS = 60


@dataclass
class RelaxationBound:
    """What the DNN relaxation proved: no network of any width has L below `lower_bound`.

    Attributes
    ----------
    lower_bound : float
        Proven (at any status): weak duality at ``t * dual`` with the price bound below.
    price_bound : float
        M / beta, M >= max_{||u|| <= 1} |dual^T sigma(X u)|, proven from the multipliers.
    dual : ndarray of shape (n,)
        The lambda of the bound (before the scaling t): for the squared loss the best
        one the SDP's multipliers prove, for the logistic loss the SDP's own.
    relaxation_value : float
        The SDP's own optimal value as its solver reported it (not proven; the
        lower bound is at most about this).
    status : {"optimal", "inaccurate", "time_limit", "numerical_error"}
        "optimal": the SDP was solved and the proven bound is within 1e-3 (relative) of
        its value, so this is what the relaxation can prove; "inaccurate": the solver
        stopped early or the rigorous step lost more; "time_limit": out of time;
        "numerical_error": the solvers failed and the bound is the trivial 0.  The
        lower bound holds at every status.
    seconds : float
    message : str
    """

    lower_bound: float
    price_bound: float
    dual: np.ndarray
    relaxation_value: float
    status: str
    seconds: float
    message: str = ""


def _operator(X, N1, N2, N3):
    """The blocks of W(N) (shape (d + n, d + n)) as numpy arrays or CVXPY expressions.

    z^T W z = <N1, v v^T> + <N3, s s^T> + <N2, v s^T> for s = v - X u (tested).
    """
    T, R = N3 @ X, N2 @ X  # (n, d)
    Wuu = X.T @ T
    Wuv = -(T.T + R.T / 2)
    Wvv = N1 + N3 + (N2 + N2.T) / 2
    return Wuu, Wuv, Wvv


def _price_vector(X, lam, a, b):
    """c with sigma(X u)^T lam = c^T (u, v) for v = (X u)_+: shape (d + n,)."""
    return np.concatenate([b * (X.T @ lam), (a - b) * lam])


def _clip(N1, N2, N3):
    """The multipliers moved into their cones (symmetric, nonnegative; N2 off-diagonal)."""
    N1 = np.maximum((N1 + N1.T) / 2, 0.0)
    N3 = np.maximum((N3 + N3.T) / 2, 0.0)
    N2 = np.array(N2, dtype=float)
    off = ~np.eye(len(N2), dtype=bool)
    N2[off] = np.maximum(N2[off], 0.0)
    return N1, N2, N3


def _lifted(X, N1, N2, N3):
    """W(N) as one (d + n, d + n) array, the multipliers clipped into their cones."""
    Wuu, Wuv, Wvv = _operator(X, *_clip(N1, N2, N3))
    return np.block([[Wuu, Wuv], [Wuv.T, Wvv]])


def _certificate_matrix(W, beta, d, kappa):
    """beta^2 E_uu - kappa W: (d + n, d + n)."""
    A0 = -kappa * W
    A0[:d, :d] += beta ** 2 * np.eye(d)
    return A0


def _shifted(A0, d, t):
    """B = A0 + e diag(I_d, t I_n), shifted until it is positive definite with room.

    In the scaled coordinates w = (1, t^{-1/2}) the matrix w A0 w + e I has the
    eigenvectors V of w A0 w and eigenvalues ev + e >= 1e-7 of the largest, so
    ``c^T B^-1 c = ||(V^T (w c)) / sqrt(ev + e)||^2`` is computed to about 1e-9.

    Returns
    -------
    (ev + e, V, w, e)
    """
    w = np.concatenate([np.ones(d), np.full(len(A0) - d, 1 / np.sqrt(t))])
    ev, V = np.linalg.eigh(A0 * np.outer(w, w))
    e = max(0.0, -ev[0]) + 1e-7 * max(abs(ev[0]), abs(ev[-1]), 1e-300)
    return ev + e, V, w, e


def _best_in_ellipsoid(y, Q, r2):
    """argmax lam^T y - ||lam||^2 / 2 subject to lam^T Q lam <= r2 (Q PSD): (n,)."""
    w, V = np.linalg.eigh(Q)
    w, yt = np.maximum(w, 0.0), V.T @ y

    def q(mu):
        return float(np.sum(w * (yt / (1 + 2 * mu * w)) ** 2))

    lo, hi = 0.0, 1.0
    if q(0.0) > r2:
        while q(hi) > r2:
            hi *= 4
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if q(mid) > r2 else (lo, mid)
    else:
        hi = 0.0
    return V @ (yt / (1 + 2 * hi * w))


def dnn_price_bound(X, lam, beta, N1, N2, N3, *, activation="relu", alpha=0.01,
                    kappa=1.0, t=1.0):
    """A proven M >= max_{||u|| <= 1} |lam^T sigma(X u)| from any multipliers N.

    With A0 = beta^2 E_uu - kappa W(N) (N clipped into its cones) and the shift
    B = A0 + e diag(I_d, t I_n) > 0, every z = (u, (X u)_+) with ||u|| = 1 has
    z^T B z <= beta^2 + e (1 + t sigma_max(X)^2) =: R^2, so by Cauchy-Schwarz
    |c^T z| <= ||B^{-1/2} c|| R: M = ||B^{-1/2} c|| R.

    Parameters
    ----------
    X : ndarray of shape (n, d); lam : ndarray of shape (n,); beta : float > 0
    N1, N2, N3 : ndarray of shape (n, n)
        Multipliers of the DNN relaxation (any matrices give a valid bound; the SDP's
        give M close to beta).
    kappa, t : float > 0
        The scaling of W(N) and the shape of the shift.

    Returns
    -------
    float
    """
    a, b = slopes(activation, alpha)
    beta = check_beta(beta)
    X, lam = np.asarray(X, dtype=float), np.asarray(lam, dtype=float)
    n, d = X.shape
    N1, N2, N3 = (_check_multiplier(N, name, n)
                  for N, name in ((N1, "N1"), (N2, "N2"), (N3, "N3")))
    if not (np.isfinite(kappa) and kappa >= 0):
        raise ValueError(f"kappa must be a finite number >= 0, got {kappa}")
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"t must be a finite number > 0, got {t}")
    ev, V, w, e = _shifted(_certificate_matrix(_lifted(X, N1, N2, N3), beta, d, kappa), d, t)
    R2 = beta ** 2 + e * (1 + t * np.linalg.norm(X, 2) ** 2)
    c = _price_vector(X, lam, a, b)
    return float(np.linalg.norm(V.T @ (w * c) / np.sqrt(ev)) * np.sqrt(R2)) * (1 + 1e-6)


def _check_multiplier(N, name, n):
    N = np.asarray(N, dtype=float)
    if N.shape != (n, n) or not np.all(np.isfinite(N)):
        raise ValueError(f"{name} must be a finite array of shape ({n}, {n}), one entry per "
                         f"pair of rows of X; got shape {N.shape}")
    return N


def _rigorous(X, y, beta, lam, N, a, b, loss):
    """The best proven (lower bound, price bound M, lambda) over kappa and t.

    For each (kappa, t): the squared loss takes the best lambda in the ellipsoid
    M(lambda) <= beta (closed form); the logistic loss keeps the SDP's lambda.
    """
    n, d = X.shape
    C = np.vstack([b * X.T, (a - b) * np.eye(n)])  # c(lam) = C lam
    sigma2 = np.linalg.norm(X, 2) ** 2
    best = (-np.inf, np.inf, lam)
    W = _lifted(X, *N)
    for kappa in np.geomspace(0.01, 1.0, 15):
        A0 = _certificate_matrix(W, beta, d, kappa)
        for t in np.logspace(-6, 2, 17):
            ev, V, w, e = _shifted(A0, d, t)
            BC = V.T @ (w[:, None] * C) / np.sqrt(ev)[:, None]  # ||BC lam||^2 = c^T B^-1 c
            R2 = beta ** 2 + e * (1 + t * sigma2)
            cand = (_best_in_ellipsoid(y, BC.T @ BC, beta ** 2 / R2) if loss == "squared"
                    else lam)
            # ||B^{-1/2} c|| R, as a norm (no cancellation), with room for round-off
            M = float(np.linalg.norm(BC @ cand) * np.sqrt(R2)) * (1 + 1e-6)
            lower, _ = dual_bound(y, cand, np.array([M]), beta, loss)
            if lower > best[0]:
                best = (lower, M, cand)
    return best


def _relaxation(X, y, beta, a, b, loss, products):
    """The SDP of the module docstring in CVXPY: (problem, lambda, N1, N2, N3).

    ``products="cross"`` keeps only the multiplier N2 of v s^T (N1 = N3 = 0).
    """
    import cvxpy as cp

    n, d = X.shape
    lam = cp.Variable(n)
    N2 = cp.Variable((n, n))
    full = products == "all"
    N1 = cp.Variable((n, n), symmetric=True) if full else cp.Constant(np.zeros((n, n)))
    N3 = cp.Variable((n, n), symmetric=True) if full else cp.Constant(np.zeros((n, n)))
    Wuu, Wuv, Wvv = _operator(X, N1, N2, N3)
    M = cp.bmat([[beta ** 2 * np.eye(d) - Wuu, -Wuv], [-Wuv.T, -Wvv]])
    c = cp.hstack([b * (X.T @ lam), (a - b) * lam])
    lmi = cp.bmat([[(M + M.T) / 2, cp.reshape(c, (n + d, 1), order="F")],
                   [cp.reshape(c, (1, n + d), order="F"), np.ones((1, 1))]])
    off = 1.0 - np.eye(n)
    if loss == "squared":
        objective = lam @ y - cp.sum_squares(lam) / 2
    else:  # the logistic loss's conjugate: binary entropy of p = y * lambda in [0, 1]
        p = cp.multiply(y, lam)
        objective = cp.sum(cp.entr(p) + cp.entr(1 - p))
    constraints = [lmi >> 0, cp.multiply(N2, off) >= 0] + ([N1 >= 0, N3 >= 0] if full else [])
    return cp.Problem(cp.Maximize(objective), constraints), lam, N1, N2, N3


def _solve(problem, clarabel, fallback, time_limit, eps):
    """Solve with Clarabel or SCS (SCS after a Clarabel failure when `fallback`): None, or
    the failure's message."""
    import cvxpy as cp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the solvers' "inaccurate" warnings: status says it
        try:
            if clarabel:
                try:
                    problem.solve(solver="CLARABEL", time_limit=float(time_limit))
                    return None
                except cp.error.SolverError:
                    if not fallback:
                        raise
            problem.solve(solver="SCS", eps_abs=eps, eps_rel=eps, max_iters=10 ** 7,
                          time_limit_secs=float(time_limit))
        except cp.error.SolverError as err:
            return str(err).splitlines()[0]
    return None


def dnn_bound(X, y, beta, *, activation="relu", alpha=0.01, loss="squared",
              products="cross", solver="auto", time_limit=600.0,
              eps=1e-6) -> RelaxationBound:
    """A proven lower bound on min L over two-layer networks of any width, by one SDP.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data (a bias column included if the networks have biases); n <= 700.
    y : array_like of shape (n,); beta : float > 0
        Targets (+-1 for the logistic loss) and weight decay of
        L = loss(f(X), y) + beta/2 sum_j (||w_j||^2 + alpha_j^2).
    activation : {"relu", "leaky_relu", "absolute"}; alpha : float
    loss : {"squared", "logistic"}
    products : {"cross", "all"}
        The lifted products kept: "cross" only v_i s_j >= 0 (v_i s_i = 0), n^2
        multipliers; "all" also v_i v_j >= 0 and s_i s_j >= 0, 2 n^2 more.  "all" is
        the tighter relaxation but SCS converges more slowly (measured: about 1% tighter
        at n 60; looser than "cross" on 178 rows within 10 minutes).
    solver : {"auto", "clarabel", "scs"}
        The SDP solver.  Clarabel (interior point) solves to about 1e-8, so the
        rigorous step loses almost nothing, but its cost grows like n^6: "auto" uses it
        up to 60 rows (seconds) and SCS (first order) above.
    time_limit : float
        Seconds for the solver; the bound holds at any stop, but an early one is weak
        (the point is far from feasible and the rigorous step loses most of it).
    eps : float
        SCS's absolute and relative tolerance.

    Returns
    -------
    RelaxationBound
    """
    start = time.perf_counter()
    X, y = check_Xy(X, y)
    beta = check_beta(beta)
    loss = check_loss(loss)
    a, b = slopes(activation, alpha)
    if products not in ("cross", "all"):
        raise ValueError(f"products must be 'cross' or 'all', got {products!r}")
    if solver not in ("auto", "clarabel", "scs"):
        raise ValueError(f"solver must be 'auto', 'clarabel' or 'scs', got {solver!r}")
    n = X.shape[0]
    if n > MAX_ROWS:
        raise ValueError(f"X has {n} rows; dnn_bound's SDP has n^2 multipliers and "
                         f"takes at most {MAX_ROWS} rows: subsample X for a bound on the "
                         "subset, or use global_bound's branch and bound")
    if loss == "logistic" and not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y must be +-1 for the logistic loss")
    if not (np.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit}")
    if not (isinstance(eps, float | int) and 0 < eps < 1):
        raise ValueError(f"eps must be a tolerance in (0, 1), got {eps!r}")
    problem, lam, N1, N2, N3 = _relaxation(X, y, beta, a, b, loss, products)
    clarabel = solver == "clarabel" or (solver == "auto" and n <= CLARABEL_ROWS)
    failure = _solve(problem, clarabel, solver == "auto", time_limit, eps)
    out_of_time = time.perf_counter() - start >= time_limit
    if failure is not None or lam.value is None:
        why = failure or f"no point, status {problem.status!r}"
        return RelaxationBound(0.0, np.inf, np.zeros(n), np.nan, NUMERICAL_ERROR,
                               time.perf_counter() - start,
                               f"the SDP solver failed ({why}); only L >= 0 is proven: "
                               "rescale X and y to order 1, or try the other solver")
    multipliers = tuple(np.asarray(N.value, dtype=float) for N in (N1, N2, N3))
    lower, M, dual = _rigorous(X, y, beta, np.asarray(lam.value, dtype=float), multipliers,
                               a, b, loss)
    value = float(problem.value)
    solved = problem.status in ("optimal", "optimal_inaccurate")
    status = (OPTIMAL if solved and lower >= value - 1e-3 * abs(value)
              else TIME_LIMIT if out_of_time else INACCURATE)
    seconds = time.perf_counter() - start
    message = (f"no network of any width has L below {lower:.6g} (DNN relaxation, "
               f"price bound {M / beta:.6g} beta, SDP {status})")
    return RelaxationBound(float(lower), float(M / beta), dual, value, status, seconds,
                           message)

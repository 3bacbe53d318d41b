"""Recovering a planted linear model; the path of networks (chapter 7).

Planted model (Wang, Hua, Candes & Pilanci, IEEE Trans. Inf. Theory 71(3), 2025,
arXiv:2209.15265): y = X w*, X Gaussian.  A ReLU network with a linear skip
connection, trained to interpolate with minimal weight decay, is the convex program

    min ||w0|| + sum_j (||u_j|| + ||v_j||)
    s.t. X w0 + sum_j D_j X (u_j - v_j) = y,   (2 D_j - I) X u_j >= 0, same for v_j

(``relaxed=True`` drops the cones: the gated ReLU program).  Recovery means w0 = w*
and every other block zero: the network is the planted linear model.

The all-ones pattern D = I is always left out: its blocks add X (u - v) at the price
||u|| + ||v|| >= ||u - v||, so moving them into w0 never costs more (chapter 7,
"The planted model").  With every other pattern of X (``patterns="all"``, listed by
:func:`~convexnn_lab.core.patterns.enumerate_patterns`) the program is exact; with sampled
patterns it is a restriction, which can only recover more often.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .._internal.validation import (
    check_bool,
    check_choice,
    check_positive_int,
    check_seed,
    check_Xy,
)
from ..core.patterns import enumerate_patterns, sample_patterns
from ..data.datasets import planted_linear
from ..status import INACCURATE, from_cvxpy

__all__ = [
    "Certificates",
    "PhaseTransition",
    "PlantedSolution",
    "certificate_value",
    "certificates",
    "half_space_frequency",
    "half_space_probability",
    "in_open_half_space",
    "nic_l",
    "orthant_gaussian_width",
    "orthant_statistical_dimension",
    "phase_transition",
    "planted_program",
    "recovery_rate",
]

_PATTERNS = ("sampled", "all")
# tight interior-point tolerances: with Clarabel's defaults a recovered trial's blocks
# reached 7e-5 * ||w*||, next to the recovery tolerance 1e-4; with these they stay below
# 1e-7 at d <= 4 while failures are above 4e-3 (chapter 7 prints the check).  Clarabel
# often stops short of them, at its "reduced" tolerances (status "optimal_inaccurate");
# asking for stricter reduced tolerances made some solves fail outright
_SOLVER_OPTS = {"CLARABEL": dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
                                 tol_ktratio=1e-10)}


@dataclass
class PlantedSolution:
    """w0 (d,), blocks U, V (d, P), the patterns used, and the optimal value."""

    w0: np.ndarray
    U: np.ndarray
    V: np.ndarray
    patterns: np.ndarray
    value: float
    status: str

    def deviation(self, w_star) -> float:
        """``max(||w0 - w*||, largest block norm) / ||w*||``: 0 for exact recovery."""
        scale = np.linalg.norm(w_star)
        blocks = max(np.linalg.norm(self.U, axis=0).max(initial=0),
                     np.linalg.norm(self.V, axis=0).max(initial=0))
        return float(max(np.linalg.norm(self.w0 - w_star), blocks) / scale)

    def recovered(self, w_star, tol: float = 1e-4) -> bool:
        """w0 within `tol` (relative) of w*, and every other block below `tol` * ||w*||."""
        return bool(self.deviation(w_star) <= tol)


def planted_program(X, y, patterns, *, relaxed: bool = False,
                    penalize_skip: bool = True) -> PlantedSolution:
    """Minimum-norm interpolation by a ReLU network with a linear skip (see module).

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    patterns : array_like of bool, shape (P, n)
        Rows D_j; the all-ones pattern, if present, is dropped (its blocks would
        act like w0 at no lower price).

    Returns
    -------
    PlantedSolution
        Its status is "optimal" or "inaccurate" (``status.from_cvxpy``).  Clarabel is
        asked for tolerances of 1e-12 (its defaults, 1e-8, left recovered blocks of size
        7e-5 * ||w*||, next to the recovery tolerance); "inaccurate" (CVXPY's
        "optimal_inaccurate") says it stopped at its reduced tolerances instead (5e-5 on
        the gap), and no warning is raised for it.

    Raises
    ------
    RuntimeError
        If the solver returns no point (the message gives its status).
    relaxed : bool
        Drop the cone constraints (gated ReLU).
    penalize_skip : bool
        Keep ``||w0||`` in the objective.  False is the objective as a slide of the
        talk writes it (chapter 7, "Where the sources slip"): then (w*, 0, 0) has
        value 0 and the program recovers for every X of rank d.
    """
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    X, y = check_Xy(X, y)
    relaxed = check_bool(relaxed, "relaxed")
    penalize_skip = check_bool(penalize_skip, "penalize_skip")
    patterns = np.asarray(patterns, dtype=bool)
    patterns = patterns[~patterns.all(axis=1)]
    n, d = X.shape
    P = len(patterns)
    w0 = cp.Variable(d)
    U, V = cp.Variable((d, P)), cp.Variable((d, P))
    DT = patterns.T.astype(float)
    fit = X @ w0 + cp.sum(cp.multiply(DT, X @ (U - V)), axis=1)
    cons = [fit == y]
    if not relaxed:
        S = np.where(patterns.T, 1.0, -1.0)
        cons += [cp.multiply(S, X @ U) >= 0, cp.multiply(S, X @ V) >= 0]
    obj = cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))
    if penalize_skip:
        obj = obj + cp.norm(w0, 2)
    problem = cp.Problem(cp.Minimize(obj), cons)
    solver = cvxpy_solver()
    with warnings.catch_warnings():
        # Clarabel short of the tight tolerances of `_SOLVER_OPTS`: the status keeps the
        # word "optimal_inaccurate" (a warning per solve would flood the trials)
        if solver in _SOLVER_OPTS:
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        problem.solve(solver=solver, **_SOLVER_OPTS.get(solver, {}))
    if w0.value is None:
        raise RuntimeError(f"the planted program failed (status {problem.status})")
    return PlantedSolution(np.asarray(w0.value), np.asarray(U.value), np.asarray(V.value),
                           patterns, float(problem.value),
                           from_cvxpy(problem.status) or INACCURATE)


def _trial_seeds(seed, trials: int) -> list:
    seed = check_seed(seed)
    if isinstance(seed, int):
        return [seed * 1000 + k for k in range(trials)]
    return [int(s) for s in np.random.default_rng(seed).integers(2**31, size=trials)]


def _trial(n, d, seed, patterns, n_patterns, relaxed, penalize_skip):
    """One planted problem: (deviation, all-ones pattern present, solver status)."""
    X, y, w_star = planted_linear(n, d, seed=seed)
    if patterns == "all":
        P = enumerate_patterns(X)
    else:
        P = sample_patterns(X, 2 * n if n_patterns is None else n_patterns, seed=seed)
    sol = planted_program(X, y, P, relaxed=relaxed, penalize_skip=penalize_skip)
    return (sol.deviation(w_star), bool(np.asarray(P, dtype=bool).all(axis=1).any()),
            sol.status)


def recovery_rate(n: int, d: int, trials: int = 10, seed: int = 0, *, patterns="sampled",
                  n_patterns=None, relaxed: bool = False, penalize_skip: bool = True,
                  tol: float = 1e-4):
    """Fraction of trials where the program recovers the planted w*.

    Each trial draws X (n, d) Gaussian and w* on the sphere (``planted_linear``) and
    solves :func:`planted_program` with every pattern of X (``patterns="all"``) or
    with the patterns of `n_patterns` Gaussian directions (``"sampled"``, default 2n).
    Trial k uses the seed ``seed * 1000 + k`` (an int `seed`), or one drawn from the
    Generator (or fresh entropy, for None); the same seed gives the same X and w*
    whatever `patterns` is, so the two kinds can be compared trial by trial.

    Returns
    -------
    rate : float
    outcomes : list of bool, one per trial
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    trials = check_positive_int(trials, "trials")
    check_choice(patterns, "patterns", _PATTERNS)
    if n_patterns is not None:
        n_patterns = check_positive_int(n_patterns, "n_patterns")
    outcomes = [_trial(n, d, s, patterns, n_patterns, relaxed, penalize_skip)[0] <= tol
                for s in _trial_seeds(seed, trials)]
    return float(np.mean(outcomes)), outcomes


@dataclass
class PhaseTransition:
    """Recovery against n at one d: what :func:`phase_transition` measured.

    Attributes
    ----------
    d : int
    ns : ndarray of int, shape (N,)
    deviations : ndarray of shape (trials, N)
        ``PlantedSolution.deviation`` of each trial (0 is exact recovery).
    all_ones : ndarray of bool, shape (trials, N)
        Whether the all-ones pattern was among the patterns (for ``"all"``: whether
        the n points lie in an open half-space).
    statuses : ndarray of str, shape (trials, N)
        The status of each solve ("optimal", or "inaccurate": see
        :func:`planted_program`); :meth:`clear` says whether any verdict could hang
        on the accuracy.
    tol : float
    patterns : {"all", "sampled"}
    relaxed : bool
    """

    d: int
    ns: np.ndarray
    deviations: np.ndarray
    all_ones: np.ndarray
    statuses: np.ndarray
    tol: float
    patterns: str
    relaxed: bool

    @property
    def outcomes(self) -> np.ndarray:
        """Recovered or not, shape (trials, N)."""
        return self.deviations <= self.tol

    @property
    def rates(self) -> np.ndarray:
        """Fraction of trials recovering, per n (shape (N,))."""
        return self.outcomes.mean(axis=0)

    @property
    def crossing(self):
        """The first n of the grid whose rate is at least 1/2 (None if there is none)."""
        hits = np.flatnonzero(self.rates >= 0.5)
        return int(self.ns[hits[0]]) if hits.size else None

    def clear(self, factor: float = 10.0) -> bool:
        """Every verdict is `factor` away from the tolerance.

        True when each deviation is below ``tol / factor`` or above ``tol * factor``,
        so a solver a little more or less accurate gives the same rates.
        """
        dev = self.deviations
        return bool(np.all((dev <= self.tol / factor) | (dev >= self.tol * factor)))


def phase_transition(d: int, ns, trials: int = 50, seed: int = 0, *, patterns="all",
                     n_patterns=None, relaxed: bool = False, tol: float = 1e-4
                     ) -> PhaseTransition:
    """Recovery rate of the planted program for each n in `ns` at dimension `d`.

    Trial k of every n uses the seed of :func:`recovery_rate`, so "all" and "sampled"
    runs with the same `seed` see the same X and w*.  With ``patterns="all"`` the
    program is exact (every pattern of X is listed, which is practical for d <= 4 and
    n up to a few dozen); with ``"sampled"`` it is a restriction, and a trial that
    the exact program recovers is recovered by the restriction too.

    Parameters
    ----------
    d : int
    ns : sequence of int
        Sample sizes, each >= 1.
    trials : int
        Trials per n (50 gives rates to within about 0.07, one standard error).
    seed : int, Generator or None
    patterns : {"all", "sampled"}
    n_patterns : int, optional
        Directions sampled per trial for ``"sampled"`` (default 2n).
    relaxed : bool
        Drop the cones (gated ReLU).
    tol : float
        Relative tolerance of :meth:`PlantedSolution.recovered`.

    Returns
    -------
    PhaseTransition

    Raises
    ------
    ValueError
        If `ns` is empty or holds an n < 1, or `patterns` is not "all" or "sampled".

    See Also
    --------
    recovery_rate : one n.
    """
    d = check_positive_int(d, "d")
    trials = check_positive_int(trials, "trials")
    check_choice(patterns, "patterns", _PATTERNS)
    ns = [check_positive_int(n, "ns[i]") for n in np.atleast_1d(ns).tolist()]
    if not ns:
        raise ValueError("ns is empty; pass the sample sizes, e.g. range(d, 3 * d + 1)")
    if n_patterns is not None:
        n_patterns = check_positive_int(n_patterns, "n_patterns")
    relaxed = check_bool(relaxed, "relaxed")
    seeds = _trial_seeds(seed, trials)
    dev = np.empty((trials, len(ns)))
    ones = np.empty((trials, len(ns)), dtype=bool)
    status = np.empty((trials, len(ns)), dtype=object)
    for j, n in enumerate(ns):
        for k, s in enumerate(seeds):
            dev[k, j], ones[k, j], status[k, j] = _trial(n, d, s, patterns, n_patterns,
                                                         relaxed, True)
    return PhaseTransition(d, np.array(ns), dev, ones, status.astype(str), float(tol),
                           patterns, relaxed)


def _certificate_setup(X, w_star, patterns):
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(w_star, dtype=np.float64).ravel()
    if X.ndim != 2 or w.shape != (X.shape[1],):
        raise ValueError(f"X must be (n, d) and w_star (d,), got {X.shape} and {w.shape}")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("X must have full column rank d (the planted model is then the only "
                         "linear model that fits y = X w*)")
    P = enumerate_patterns(X) if patterns is None else np.asarray(patterns, dtype=bool)
    P = P[~P.all(axis=1)]  # the all-ones pattern is left out, as in planted_program
    return X, w / np.linalg.norm(w), P


def nic_l(X, w_star, patterns=None) -> float:
    """The value of the linear neural isometry condition (NIC-L) for y = X w*.

    ``max_j ||X^T D_j X (X^T X)^{-1} w*/||w*|| ||`` over the patterns D_j (every pattern
    of X but the all-ones one, by default).  NIC-L holds when it is below 1 (Wang, Hua,
    Candes & Pilanci; the talk's slide "Linear Neural Isometry Condition").  The vector
    ``lambda = X (X^T X)^{-1} w*/||w*||`` is then a dual certificate of the planted
    program, with or without its cones, so both recover w* uniquely (chapter 7, "Why the
    gated program's transition sits near 2d").

    Parameters
    ----------
    X : array_like of shape (n, d), of rank d
    w_star : array_like of shape (d,)
    patterns : array_like of bool, shape (P, n), optional
        The D_j; the all-ones pattern, if present, is dropped.
    """
    X, w, P = _certificate_setup(X, w_star, patterns)
    lam = X @ np.linalg.solve(X.T @ X, w)
    return float(np.linalg.norm((P * lam) @ X, axis=1).max(initial=0.0))


def certificate_value(X, w_star, patterns=None) -> float:
    """The best cone-free certificate ``min max_j ||X^T D_j lambda||`` over ``X^T lambda = w^``.

    Here ``w^ = w*/||w*||``.  The gated planted program (``planted_program(..., relaxed=True)``) has (w*, 0) as an
    optimum exactly when this value is at most 1, and as its only optimum when it is below
    1 (chapter 7).  NIC-L (:func:`nic_l`) evaluates the same maximum at one particular
    lambda, the one of least norm, so ``certificate_value <= nic_l``.  Solved as a
    second-order cone program with CVXPY.

    Parameters
    ----------
    X : array_like of shape (n, d), of rank d
    w_star : array_like of shape (d,)
    patterns : array_like of bool, shape (P, n), optional
        The D_j (default: every pattern of X); the all-ones pattern is dropped.

    Raises
    ------
    RuntimeError
        If the solver returns no point.
    """
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    X, w, P = _certificate_setup(X, w_star, patterns)
    n, d = X.shape
    if len(P) == 0:
        return 0.0
    lam, t = cp.Variable(n), cp.Variable()
    # row j of `A @ lam`, reshaped (P, d), is X^T D_j lambda
    A = (P[:, :, None] * X[None, :, :]).transpose(0, 2, 1).reshape(-1, n)
    Z = cp.reshape(A @ lam, (len(P), d), order="C")
    problem = cp.Problem(cp.Minimize(t), [X.T @ lam == w, cp.norm(Z, 2, axis=1) <= t])
    solver = cvxpy_solver()
    with warnings.catch_warnings():
        # Clarabel short of the tight tolerances of `_SOLVER_OPTS` (see planted_program)
        if solver in _SOLVER_OPTS:
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        problem.solve(solver=solver, **_SOLVER_OPTS.get(solver, {}))
    if t.value is None:
        raise RuntimeError(f"the certificate program failed (status {problem.status})")
    return float(t.value)


@dataclass
class Certificates:
    """NIC-L and the best cone-free certificate, trial by trial (:func:`certificates`).

    Attributes
    ----------
    d : int
    ns : ndarray of int, shape (N,)
    nic : ndarray of shape (trials, N)
        :func:`nic_l` of each trial (NIC-L holds where it is below 1).
    best : ndarray of shape (trials, N)
        :func:`certificate_value` of each trial (the gated program recovers where it is
        below 1).
    """

    d: int
    ns: np.ndarray
    nic: np.ndarray
    best: np.ndarray

    @property
    def nic_rates(self) -> np.ndarray:
        """Fraction of trials where NIC-L holds, per n."""
        return (self.nic < 1).mean(axis=0)

    @property
    def best_rates(self) -> np.ndarray:
        """Fraction of trials with a cone-free certificate below 1, per n."""
        return (self.best < 1).mean(axis=0)


def certificates(d: int, ns, trials: int = 50, seed: int = 0) -> Certificates:
    """:func:`nic_l` and :func:`certificate_value` on the trials of :func:`phase_transition`.

    Trial k at each n draws the same X and w* as trial k of ``phase_transition(d, ns,
    trials, seed)``, and uses every pattern of X, so the values can be set beside that
    run's outcomes trial by trial.
    """
    d = check_positive_int(d, "d")
    trials = check_positive_int(trials, "trials")
    ns = [check_positive_int(n, "ns[i]") for n in np.atleast_1d(ns).tolist()]
    if not ns:
        raise ValueError("ns is empty; pass the sample sizes, e.g. range(d, 3 * d + 1)")
    seeds = _trial_seeds(seed, trials)
    nic = np.empty((trials, len(ns)))
    best = np.empty((trials, len(ns)))
    for j, n in enumerate(ns):
        for k, s in enumerate(seeds):
            X, _, w_star = planted_linear(n, d, seed=s)
            P = enumerate_patterns(X)
            nic[k, j] = nic_l(X, w_star, P)
            best[k, j] = certificate_value(X, w_star, P)
    return Certificates(d, np.array(ns), nic, best)


def half_space_probability(n: int, d: int) -> float:
    """Wendel's probability that n points lie in an open half-space of R^d.

    ``2^(1-n) * sum_{k<d} C(n-1, k)`` for points drawn independently from a
    distribution symmetric about 0 and in general position with probability 1
    (Gaussian rows of X): the chance that X has the all-ones pattern.  It equals 1 for
    n <= d and exactly 1/2 at n = 2d (the binomial sum is then half of 2^(2d-1)).

    References: J. G. Wendel, "A problem in geometric probability", Math. Scand. 11
    (1962) 109-111.
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    return sum(math.comb(n - 1, k) for k in range(min(d, n))) / 2 ** (n - 1)


def in_open_half_space(X) -> bool:
    """Whether the rows of X lie in an open half-space: ``X u > 0`` for some u.

    Decided by the linear program ``find u with X u >= 1`` (feasible iff some u has
    ``X u > 0``, by scaling), with SciPy's HiGHS; for X in general position this is
    the event that X has the all-ones pattern.

    Parameters
    ----------
    X : array_like of shape (n, d)
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite 2-D array (n, d), got shape {X.shape}")
    n, d = X.shape
    res = linprog(np.zeros(d), A_ub=-X, b_ub=-np.ones(n), bounds=[(None, None)] * d,
                  method="highs")
    if res.status not in (0, 2):  # 0: feasible, 2: infeasible
        raise RuntimeError(f"the half-space LP stopped with status {res.status}: "
                           f"{res.message}")
    return bool(res.status == 0)


def half_space_frequency(n: int, d: int, trials: int = 1000, seed: int = 0) -> float:
    """Fraction of `trials` Gaussian (n, d) matrices whose rows lie in an open half-space.

    The Monte Carlo side of :func:`half_space_probability`, with draws independent of
    those of :func:`phase_transition`: each (seed, n, d) has its own generator, so the
    frequencies at different n are independent (not the same points with rows added).
    One standard error is ``sqrt(p (1 - p) / trials)``.
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    trials = check_positive_int(trials, "trials")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    rng = np.random.default_rng([int(seed), n, d])
    return float(np.mean([in_open_half_space(rng.standard_normal((n, d)))
                          for _ in range(trials)]))


def orthant_statistical_dimension(n: int) -> float:
    """Statistical dimension ``E ||max(g, 0)||^2 = n / 2`` of the orthant in R^n.

    g ~ N(0, I_n); the projection onto the nonnegative orthant is ``max(g, 0)``, whose
    coordinates each have second moment 1/2 (Amelunxen, Lotz, McCoy & Tropp, "Living
    on the edge", Inf. Inference 3 (2014), Table 3.1).
    """
    return check_positive_int(n, "n") / 2


def orthant_gaussian_width(n: int) -> float:
    """Gaussian width ``E sup_{x >= 0, ||x|| <= 1} <g, x> = E ||max(g, 0)||`` in R^n.

    Exact: the number K of positive coordinates is Binomial(n, 1/2), and given K = k,
    ``||max(g, 0)||`` is chi with k degrees of freedom, of mean
    ``sqrt(2) Gamma((k+1)/2) / Gamma(k/2)``.  Its square lies between
    ``n/2 - 1`` and n/2 (Amelunxen et al. 2014, Prop. 10.2: ``w^2 <= delta <= w^2 + 1``).
    """
    n = check_positive_int(n, "n")
    total = 0.0
    for k in range(1, n + 1):
        log_p = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
        chi = math.sqrt(2) * math.exp(math.lgamma((k + 1) / 2) - math.lgamma(k / 2))
        total += math.exp(log_p) * chi
    return total

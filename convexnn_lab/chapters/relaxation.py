"""How far the gated-ReLU relaxation is from the ReLU optimum (chapter 8).

On the same patterns D_1..D_P, the gated-ReLU program

    p_gated = min_{w_i}  0.5 || sum_i D_i X w_i - y ||^2 + beta sum_i ||w_i||

drops the cones K_i = {u : (2 D_i - I) X u >= 0} of the ReLU program

    p_relu  = min_{u_i, v_i in K_i}  0.5 || sum_i D_i X (u_i - v_i) - y ||^2
                                      + beta sum_i (||u_i|| + ||v_i||)

(notation section of chapter 00).  Any ReLU point gives the gated point w_i = u_i - v_i
with ``||w_i|| <= ||u_i|| + ||v_i||``, so p_gated <= p_relu on the same patterns.  With
**every** pattern of X, p_relu = p* is the optimum of the two-layer ReLU network of any
width, p_gated a lower bound on it (a relaxation), and their ratio
``p* / p_gated >= 1`` is the quantity a relaxation-gap theorem bounds.  With **sampled**
patterns the ReLU program is a restriction: its value p_sampled >= p*.

:func:`relaxation_gap` computes the three values on one data set, each with the duality
gap of its solver; :func:`gap_table` repeats it over n and seeds on Gaussian data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_beta, check_positive_int, check_seed, check_Xy
from ..core.optimality import certify_global
from ..core.patterns import enumerate_patterns, sample_patterns
from ..solvers import solve_convex

__all__ = ["GapTable", "RelaxationGap", "gap_table", "relaxation_gap"]


@dataclass
class RelaxationGap:
    """The ReLU optimum, its gated relaxation and a sampled restriction on one data set.

    Attributes
    ----------
    relu : float
        p*: the ReLU program on every pattern of X (the network optimum, any width).
    gated : float
        p_gated: the gated-ReLU program on every pattern (a lower bound on p*).
    sampled : float or None
        The ReLU program on `n_sampled` Gaussian patterns (an upper bound on p*).
    relu_status : str
        ``certify_global`` of the ReLU solution: "optimal" proves p* to ``rtol``.
    gated_status : str
        ``certify_global`` of the gated solution (over gated models).
    relu_gap, gated_gap : float
        Objective minus the certified lower bound of each program.
    n_patterns : int
        P, the number of patterns of X.
    """

    relu: float
    gated: float
    sampled: float | None
    relu_status: str
    gated_status: str
    relu_gap: float
    gated_gap: float
    n_patterns: int

    @property
    def ratio(self) -> float:
        """``p* / p_gated`` (>= 1): the relative optimality gap of the relaxation."""
        return self.relu / self.gated

    @property
    def ordered(self) -> bool:
        """``p_gated <= p* (<= p_sampled)`` up to the certified gaps."""
        slack = self.relu_gap + self.gated_gap
        ok = self.gated <= self.relu + slack
        if self.sampled is not None:
            ok = ok and self.relu <= self.sampled + self.relu_gap
        return bool(ok)


def relaxation_gap(X, y, beta, *, n_sampled: int | None = None, max_patterns: int = 20_000,
                   seed=0, tol: float = 1e-7) -> RelaxationGap:
    """Solve the ReLU and gated-ReLU programs on every pattern of X, and certify both.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Its patterns must be enumerable (at most `max_patterns`): small d.
    y : array_like of shape (n,)
    beta : float > 0
    n_sampled : int, optional
        Also solve the ReLU program on this many Gaussian patterns (a restriction).
    max_patterns : int
        Refuse data with more patterns (``enumerate_patterns`` raises ValueError).
    seed : int or numpy Generator
        For the sampled patterns.
    tol : float
        Relative duality gap the solvers aim at.

    Returns
    -------
    RelaxationGap

    See Also
    --------
    gap_table : the same over n and seeds.
    """
    X, y = check_Xy(X, y)
    beta = check_beta(beta)
    patterns = enumerate_patterns(X, max_patterns=max_patterns)
    relu = solve_convex(X, y, beta, patterns, tol=tol, progress=False)
    gated = solve_convex(X, y, beta, patterns, gated=True, tol=tol, progress=False)
    relu_cert = certify_global(relu, max_patterns=max_patterns)
    gated_cert = certify_global(gated, max_patterns=max_patterns)
    sampled = None
    if n_sampled is not None:
        n_sampled = check_positive_int(n_sampled, "n_sampled")
        few = sample_patterns(X, n_sampled, seed=check_seed(seed))
        sampled = solve_convex(X, y, beta, few, tol=tol, progress=False).objective
    return RelaxationGap(
        relu=relu.objective, gated=gated.objective, sampled=sampled,
        relu_status=relu_cert.status, gated_status=gated_cert.status,
        relu_gap=float(relu_cert.global_gap), gated_gap=float(gated_cert.global_gap),
        n_patterns=len(patterns))


@dataclass
class GapTable:
    """``p* / p_gated`` on Gaussian data, for each n (columns) and seed (rows).

    Attributes
    ----------
    ns : ndarray of shape (k,)
    d : int
    beta : float
    ratios : ndarray of shape (seeds, k)
    certified : bool
        Every ReLU and gated solution had global status "optimal".
    """

    ns: np.ndarray
    d: int
    beta: float
    ratios: np.ndarray
    certified: bool

    def mean(self) -> np.ndarray:
        """Mean ratio over seeds, shape (k,)."""
        return self.ratios.mean(axis=0)

    def worst(self) -> np.ndarray:
        """Largest ratio over seeds, shape (k,)."""
        return self.ratios.max(axis=0)

    def rate(self) -> np.ndarray:
        """The theory's rate ``sqrt(log n)``, shape (k,)."""
        return np.sqrt(np.log(self.ns))

    def scaled(self) -> np.ndarray:
        """``worst / sqrt(log n)``: bounded if the ratio grows at most like sqrt(log n)."""
        return self.worst() / self.rate()


def gap_table(ns, d: int, beta: float, *, seeds=range(5)) -> GapTable:
    """``p* / p_gated`` on X ~ N(0, 1)^(n x d), y ~ N(0, 1)^n for every n and seed.

    Parameters
    ----------
    ns : sequence of int
        Numbers of samples (the patterns of X must stay enumerable: small d).
    d : int
        Dimension (no bias column is added).
    beta : float > 0
    seeds : iterable of int
        One data set per seed (``numpy.random.default_rng(seed)``).

    Returns
    -------
    GapTable
    """
    d = check_positive_int(d, "d")
    beta = check_beta(beta)
    ns = np.array([check_positive_int(n, "ns") for n in ns])
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    ratios = np.zeros((len(seeds), len(ns)))
    certified = True
    for a, s in enumerate(seeds):
        for b, n in enumerate(ns):
            rng = np.random.default_rng(check_seed(s))
            X = rng.standard_normal((n, d))
            y = rng.standard_normal(n)
            res = relaxation_gap(X, y, beta)
            ratios[a, b] = res.ratio
            certified &= res.relu_status == "optimal" and res.gated_status == "optimal"
    return GapTable(ns, d, float(beta), ratios, bool(certified))

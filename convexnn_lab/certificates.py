"""Duality-gap certificates for the convex program (MATH.md section 4, chapter 2).

The dual of the squared-loss program is

    max_lambda  lambda^T y - 0.5 ||lambda||^2
    s.t. max_{u in K_i, ||u|| <= 1} |lambda^T Dt_i X u| <= beta   for every pattern i,

with K_i = {u : (2 D_i - I) X u >= 0}.  By conic duality the inner maximum equals
``min_{mu >= 0} ||X^T Dt_i lambda + X^T (2 D_i - I) mu||_2``; any mu >= 0 gives an
upper bound, and non-negative least squares gives the exact value.  For the logistic
loss the dual objective is ``sum_j H(y_j lambda_j)`` with H the binary entropy.
Scaling lambda = s * (-grad of the loss at the solution) until it is feasible gives
a lower bound on the optimum, so ``gap = primal - dual >= 0`` bounds how far the
solution is from the optimum of the program it solved.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar, nnls

from .activations import pattern_slopes

__all__ = ["cone_correlation", "dual_bound", "dual_residual"]


def dual_residual(pred: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """lambda0 = minus the gradient of the loss at the prediction, shape (n,)."""
    if loss == "squared":
        return y - pred
    return y / (1.0 + np.exp(y * pred))


def cone_correlation(
    X: np.ndarray,
    lam: np.ndarray,
    patterns: np.ndarray,
    *,
    activation: str = "relu",
    alpha: float = 0.01,
    gated: bool = False,
) -> np.ndarray:
    """``c_i = max_{u in K_i, ||u|| <= 1} |lambda^T Dt_i X u|`` for every pattern.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    lam : ndarray of shape (n,)
    patterns : ndarray of bool, shape (P, n)
    gated : bool
        Without cone constraints the maximum is ``||X^T Dt_i lambda||_2``.

    Returns
    -------
    ndarray of shape (P,)
    """
    Dt = pattern_slopes(patterns, activation, alpha)  # (P, n)
    G = (Dt * lam[None, :]) @ X  # row i: (X^T Dt_i lambda)^T
    if gated:
        return np.linalg.norm(G, axis=1)
    out = np.empty(len(patterns))
    for i, pat in enumerate(patterns):
        At = (X * np.where(pat, 1.0, -1.0)[:, None]).T  # A_i^T, (d, n)
        g = G[i]
        if not g.any():
            out[i] = 0.0
            continue
        plus = nnls(At, -g)[1]
        minus = nnls(At, g)[1]
        out[i] = max(plus, minus)
    return out


def dual_bound(
    y: np.ndarray,
    lam0: np.ndarray,
    correlations: np.ndarray,
    beta: float,
    loss: str,
) -> tuple[float, float]:
    """Best dual value along lambda = s * lam0 with s feasible.

    Parameters
    ----------
    correlations : ndarray of shape (P,)
        ``cone_correlation`` of `lam0`; feasibility needs ``s * max <= beta``.

    Returns
    -------
    (dual value, s)
    """
    cmax = float(np.max(correlations, initial=0.0))
    s_max = np.inf if cmax == 0 else beta / cmax
    if loss == "squared":
        nrm = float(lam0 @ lam0)
        s = 0.0 if nrm == 0 else float(np.clip((lam0 @ y) / nrm, 0.0, s_max))
        lam = s * lam0
        return float(lam @ y - 0.5 * lam @ lam), s
    p0 = y * lam0  # in (0, 1)
    s_hi = float(min(s_max, 1.0 / max(p0.max(), 1e-300)))

    def neg_entropy(s):
        p = np.clip(s * p0, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -(np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0.0))
        return -float(h.sum())

    res = minimize_scalar(neg_entropy, bounds=(0.0, s_hi), method="bounded",
                          options={"xatol": 1e-12})
    s = float(res.x) if -res.fun >= -neg_entropy(s_hi) else s_hi
    return -neg_entropy(s), s

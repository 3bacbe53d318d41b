"""Active-set Newton polish for the convex program (used by the fast solvers).

A first-order method finds the support quickly but converges slowly near the
optimum, and a certificate built from its residual lags: the gap shrinks only like
the square root of the primal error.  Once the active blocks S (and, with cones, the
rows E_j on each active block's cone boundary) are known, the program restricted to
them is smooth:

    min_z  loss(sum_{j in S} M_j * (X N_j z_j)) + beta * sum_j ||z_j||

with N_j an orthonormal basis of {w : x_k^T w = 0, k in E_j}, and Newton's method
solves it to machine precision.  The polished point is accepted only if it keeps every
cone constraint; the stationarity of the restricted problem gives the multipliers of
the active rows, hence a tight certificate.
"""

from __future__ import annotations

import numpy as np

__all__ = ["newton_polish", "certificate"]


def _loss_parts(z, y, loss):
    if loss == "squared":
        r = z - y
        return 0.5 * float(r @ r), r, np.ones_like(z)
    from scipy.special import expit

    t = -y * z
    sig = expit(t)
    return float(np.sum(np.logaddexp(0.0, t))), -y * sig, sig * (1 - sig)


def newton_polish(X, y, beta, M, W, *, S=None, Gamma=None, loss="squared",
                  max_iter=60, max_vars=6000, max_prunes=20, max_rounds=5):
    """Polish blocks W (d, B) on their support; returns the new W or None.

    Parameters
    ----------
    M : ndarray of shape (n, B)
        Signed slopes of each block (``Dt`` for u blocks, ``-Dt`` for v blocks).
    S : ndarray of shape (n, B), optional
        Cone signs ``2 D - 1`` per block (None: gated, no cones).
    Gamma : ndarray of shape (n, B), optional
        AL multipliers; rows with a positive multiplier count as active.

    Blocks that collapse to zero during the Newton iterations leave the support and
    the iterations go on without them.  Rows that the polished point violates join
    their block's active set, and the polish runs again (at most `max_rounds` times).
    """
    norms = np.linalg.norm(W, axis=0)
    if norms.max() == 0:
        return None
    active = list(np.flatnonzero(norms > 1e-6 * norms.max()))
    xn = np.linalg.norm(X, axis=1)
    gmax = 0.0 if Gamma is None else float(Gamma.max())
    rows_on = {}
    for j in active:
        if S is not None:
            on = np.abs(X @ W[:, j]) <= 1e-6 * xn * norms[j]
            if Gamma is not None and gmax > 0:
                on |= Gamma[:, j] > 1e-6 * gmax
            rows_on[j] = on
    # a primal active-set loop: rows that the polished point leaves join the active set
    for _ in range(max_rounds):
        Wn = _polish_on(X, y, beta, M, W, active, rows_on, loss, max_iter, max_vars,
                        max_prunes)
        if Wn is None:
            return None
        if S is None:
            return Wn
        Z = S * (X @ Wn)
        scale = np.abs(X @ Wn).max() + 1e-300
        left = Z < -1e-9 * scale
        if not left.any():
            return Wn
        for j in np.flatnonzero(left.any(axis=0)):
            if j not in rows_on:
                return None
            rows_on[j] = rows_on[j] | left[:, j]
    return None  # still leaving a cone: the active rows were guessed wrong


def _polish_on(X, y, beta, M, W, active, rows_on, loss, max_iter, max_vars, max_prunes):
    """Newton polish of the blocks `active`, each on the subspace of its active rows."""
    bases = {}
    for j in active:
        N = np.eye(X.shape[1])
        on = rows_on.get(j)
        if on is not None and on.any():
            _, sv, vt = np.linalg.svd(X[on], full_matrices=True)
            rank = int((sv > 1e-9 * sv[0]).sum()) if len(sv) else 0
            N = vt[rank:].T
        if N.shape[1]:
            bases[j] = (N, N.T @ W[:, j])
    for _ in range(max_prunes):
        if not bases:
            return None
        result = _newton(X, y, beta, M, bases, loss, max_iter, max_vars)
        if result is None:
            return None
        collapsed, bases = result
        if not collapsed:
            break
    else:
        return None
    Wn = np.zeros_like(W)
    for j, (N, z) in bases.items():
        Wn[:, j] = N @ z
    return Wn


def _newton(X, y, beta, M, bases, loss, max_iter, max_vars):
    """Damped Newton on the support `bases` {j: (N_j, z_j)}.

    Returns (collapsed, bases): collapsed is True when some block went to zero (it is
    removed from the returned bases), or None on failure.
    """
    keys = list(bases)
    A = np.hstack([(M[:, j, None] * X) @ bases[j][0] for j in keys])
    if A.shape[1] > max_vars:
        return None
    cuts = np.cumsum([0] + [bases[j][0].shape[1] for j in keys])
    spans = list(zip(cuts[:-1], cuts[1:]))
    zvec = np.concatenate([bases[j][1] for j in keys])

    def value(zv):
        fit, _, _ = _loss_parts(A @ zv, y, loss)
        return fit + beta * sum(np.linalg.norm(zv[a:b]) for a, b in spans)

    f = value(zvec)
    scale = max(np.linalg.norm(zvec[a:b]) for a, b in spans)
    for _ in range(max_iter):
        _, g_pred, h_pred = _loss_parts(A @ zvec, y, loss)
        grad = A.T @ g_pred
        H = A.T @ (h_pred[:, None] * A)
        small = [k for k, (a, b) in enumerate(spans)
                 if np.linalg.norm(zvec[a:b]) < 1e-9 * scale]
        if small:
            keep = {keys[k]: (bases[keys[k]][0], zvec[a:b])
                    for k, (a, b) in enumerate(spans) if k not in small}
            return True, keep
        for a, b in spans:
            zj = zvec[a:b]
            nz = np.linalg.norm(zj)
            grad[a:b] += beta * zj / nz
            H[a:b, a:b] += beta * (np.eye(b - a) / nz - np.outer(zj, zj) / nz**3)
        try:
            step = np.linalg.solve(H + 1e-14 * np.trace(H) / len(H) * np.eye(len(H)), -grad)
        except np.linalg.LinAlgError:
            return None
        dec = -float(grad @ step)
        t = 1.0
        cand, fc = zvec, f
        while t > 1e-12:
            cand = zvec + t * step
            fc = value(cand)
            if fc <= f - 1e-4 * t * dec or abs(fc - f) <= 1e-15 * abs(f):
                break
            t *= 0.5
        zvec, f_old, f = cand, f, fc
        if dec <= 1e-28 * max(abs(f), 1.0) or (abs(f_old - f) <= 1e-16 * abs(f) and t == 1.0):
            break
    return False, {j: (bases[j][0], zvec[a:b]) for j, (a, b) in zip(keys, spans)}


def certificate(X, y, beta, M, W, pred, *, S=None, Gamma=None, loss="squared",
                patterns=None, activation="relu", alpha=0.01):
    """Bounds c_j >= max_{u in K_j, ||u||<=1} |lambda0^T M_j X u| for each block.

    Active blocks use the multipliers of their boundary rows (least squares on the
    stationarity condition, clipped at 0); the other blocks use `Gamma` (AL
    multipliers) and, where that bound exceeds beta, the exact non-negative least
    squares value.  Any multipliers >= 0 give a valid bound.
    """
    from .certificates import cone_correlation, dual_residual

    lam0 = dual_residual(pred, y, loss)
    base = X.T @ (M * lam0[:, None])  # (d, B)
    if S is None:
        return np.linalg.norm(base, axis=0), lam0
    B = W.shape[1]
    corr = np.full(B, np.inf)
    norms = np.linalg.norm(W, axis=0)
    top = max(norms.max(), 1e-300)
    xn = np.linalg.norm(X, axis=1)
    for j in range(B):
        if norms[j] > 1e-6 * top:
            z = X @ W[:, j]
            on = np.flatnonzero(np.abs(z) <= 1e-6 * xn * norms[j])
            mu = np.zeros(X.shape[0])
            if len(on):
                target = -base[:, j] + beta * W[:, j] / norms[j]
                Xe = X[on] * S[on, j, None]
                sol, *_ = np.linalg.lstsq(Xe.T, target, rcond=None)
                mu[on] = np.clip(sol, 0, None)
            corr[j] = np.linalg.norm(base[:, j] + X.T @ (S[:, j] * mu))
        elif Gamma is not None:
            corr[j] = np.linalg.norm(base[:, j] + X.T @ (S[:, j] * Gamma[:, j]))
    P = B // 2
    out = np.maximum(corr[:P], corr[P:])
    loose = np.flatnonzero(out > beta * (1 + 1e-9))
    if len(loose) and patterns is not None:
        exact = cone_correlation(X, lam0, patterns[loose], activation=activation, alpha=alpha)
        out[loose] = np.minimum(out[loose], exact)
    return out, lam0

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

With row-sharded data (``comm``, chapter 6 "Solve across devices") the Newton systems are
sums over rows: each rank adds its rows' part of the gradient and Hessian and one
all-reduce completes them; the few rows on a cone boundary are gathered to every rank for
the bases N_j and the multipliers.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg

from .._internal.comm import LOCAL
from ..core.losses import loss_parts
from ..core.program import ConvexProgram

__all__ = ["DEFAULT_LIMITS", "PolishLimits", "newton_polish", "newton_step_flops", "polish",
           "polish_if_better",
           "polish_multipliers"]

# a block counts as active (in the support) above this times the largest norm; inside
# the Newton iterations it leaves the support below COLLAPSE_RTOL
SUPPORT_RTOL, COLLAPSE_RTOL = 1e-6, 1e-9
# the rows side of the polish (``_RowSystem``) holds a few K x (n + blocks) arrays: at most
# this many entries each, and each Newton step costs 2 K (n + blocks)^2 flops: at most this
# many (a step of the order of a second on one core)
POLISH_MAX_ENTRIES, POLISH_MAX_FLOPS = 2e7, 5e10
# the Newton matrix gets this relative ridge (times its mean diagonal) on either side
RIDGE_RTOL = 1e-14
# the Newton decrement (grad^T H^-1 grad, about 2 (f - f*)) is zero below _DEC_ZERO times
# max(|f|, 1), at f's resolution below _DEC_FLOOR times that, and has stopped converging
# there once it shrinks by less than the factor _DEC_STALL
_DEC_ZERO, _DEC_FLOOR, _DEC_STALL = 1e-28, 1e-16, 0.25
# a row x_k lies on block j's cone boundary when |x_k^T w_j| <= BOUNDARY_RTOL ||x_k|| ||w_j||
BOUNDARY_RTOL = 1e-6


class PolishLimits(NamedTuple):
    """What one polish may do: it gives up (returns None) when a support needs more
    than `max_vars` or `max_prunes`, or the cone rows more than `max_rounds`.

    max_steps : Newton steps per support and round; when they are spent, the point
        reached is returned and the caller's certificate decides.
    max_vars : bound on the size of the system each Newton step solves: its K unknowns,
        or n + s (s blocks) when it is solved in the rows (``_rows_side``; then also
        within ``POLISH_MAX_ENTRIES`` and ``POLISH_MAX_FLOPS``); a larger support is
        declined before any basis is built.
    max_prunes : supports tried: a block that collapses (norm below `collapse_rtol`
        times the largest) leaves the support and the Newton steps start again without
        it; 1: none may leave.
    max_rounds : rounds of the active-set loop on the cone rows.
    collapse_rtol : a block whose norm falls below this times the largest collapses.
    """

    max_steps: int = 60
    max_vars: int = 6000
    max_prunes: int = 20
    max_rounds: int = 5
    collapse_rtol: float = COLLAPSE_RTOL


DEFAULT_LIMITS = PolishLimits()


def newton_polish(X, y, beta, M, W, *, S=None, Gamma=None, loss="squared",
                  limits=DEFAULT_LIMITS, comm=LOCAL):
    """Polish blocks W (d, B) on their support; returns the new W or None.

    Parameters
    ----------
    M : ndarray of shape (n, B)
        Signed slopes of each block (``Dt`` for u blocks, ``-Dt`` for v blocks).
    S : ndarray of shape (n, B), optional
        Cone signs ``2 D - 1`` per block (None: gated, no cones).
    Gamma : ndarray of shape (n, B), optional
        AL multipliers; rows with a positive multiplier count as active.
    limits : PolishLimits
        Steps, supports and the collapse threshold one polish may use (defaults:
        ``DEFAULT_LIMITS``).

    Blocks that collapse to zero during the Newton iterations leave the support and
    the iterations go on without them.  Rows that the polished point violates join
    their block's active set, and the polish runs again (at most
    ``limits.max_rounds`` times).
    """
    norms = np.linalg.norm(W, axis=0)
    if norms.max() == 0:
        return None
    active = list(np.flatnonzero(norms > SUPPORT_RTOL * norms.max()))
    if S is None and not _fits(X.shape[0], len(active) * X.shape[1], len(active),
                               limits.max_vars, comm):
        # gated: the Newton system has |support| * d unknowns; too many for a dense
        # solve (at CIFAR scale, 4096 blocks of 3073, the bases alone took ~300 GB)
        return None
    xn = np.linalg.norm(X, axis=1)
    gmax = 0.0 if Gamma is None else comm.max(float(Gamma.max()))
    rows_on = {}
    for j in active:
        if S is not None:
            on = np.abs(X @ W[:, j]) <= BOUNDARY_RTOL * xn * norms[j]
            if Gamma is not None and gmax > 0:
                on |= Gamma[:, j] > SUPPORT_RTOL * gmax
            rows_on[j] = on
    # a primal active-set loop: rows that the polished point leaves join the active set
    for _ in range(limits.max_rounds):
        Wn = _polish_on(X, y, beta, M, W, active, rows_on, loss, limits, comm)
        if Wn is None:
            return None
        if S is None:
            return Wn
        Z = S * (X @ Wn)
        scale = comm.max(float(np.abs(X @ Wn).max())) + 1e-300
        left = Z < -1e-9 * scale
        columns = comm.max(left.any(axis=0).astype(np.float64)) > 0
        if not columns.any():
            return Wn
        for j in np.flatnonzero(columns):
            if j not in rows_on:
                return None
            rows_on[j] = rows_on[j] | left[:, j]
    return None  # still leaving a cone: the active rows were guessed wrong


def _rows_side(n, K, blocks, comm) -> bool:
    """Whether the Newton system of K unknowns in `blocks` blocks on n rows is solved in
    the rows (``_RowSystem``, an (n + blocks) x (n + blocks) system): with one process,
    when that is smaller than K (sharded rows keep the K x K system, a sum over ranks)."""
    return comm.world_size == 1 and n + blocks < K


def _fits(n, K, blocks, max_vars, comm):
    """Whether a Newton system of K unknowns in `blocks` blocks on n rows is a polish:
    the system it solves at most `max_vars` wide; on the rows side also its K x (n +
    blocks) arrays within POLISH_MAX_ENTRIES entries and its 2 K (n + blocks)^2 product
    within POLISH_MAX_FLOPS."""
    if _rows_side(n, K, blocks, comm):
        return (n + blocks <= max_vars and K * (n + blocks) <= POLISH_MAX_ENTRIES
                and 2.0 * K * (n + blocks) ** 2 <= POLISH_MAX_FLOPS)
    return K <= max_vars


def newton_step_flops(n, K, blocks, comm=LOCAL) -> float:
    """Flops of one of the polish's Newton steps: K unknowns in `blocks` blocks on n rows
    (``_RowSystem``: 2 K (n + blocks)^2; the K x K system: 2 n K^2 + K^3 / 3)."""
    if _rows_side(n, K, blocks, comm):
        return 2.0 * K * (n + blocks) ** 2
    return 2.0 * n * K ** 2 + K ** 3 / 3.0


def _polish_on(X, y, beta, M, W, active, rows_on, loss, limits, comm=LOCAL):
    """Newton polish of the blocks `active`, each on the subspace of its active rows."""
    bases, unknowns = {}, 0
    for j in active:
        N = np.eye(X.shape[1])
        on = rows_on.get(j)
        rows = None if on is None else comm.concat_rows(X[on])  # every rank's active rows
        if rows is not None and len(rows):
            # V's d x d square is all the null space needs; U's m x m square (m boundary
            # rows, thousands at n ~ 10^4) is never formed (full_matrices only when m < d)
            _, sv, vt = np.linalg.svd(rows, full_matrices=len(rows) < X.shape[1])
            rank = int((sv > 1e-9 * sv[0]).sum()) if len(sv) else 0
            N = vt[rank:].T
        if N.shape[1]:
            bases[j] = (N, N.T @ W[:, j])
            unknowns += N.shape[1]
            if not _fits(X.shape[0], unknowns, len(bases), limits.max_vars, comm):
                return None  # a dense Newton system that large is not a polish
    for _ in range(limits.max_prunes):
        if not bases:
            return None
        result = _newton(X, y, beta, M, bases, loss, limits, comm)
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


def _newton(X, y, beta, M, bases, loss, limits, comm=LOCAL):
    """Damped Newton on the support `bases` {j: (N_j, z_j)}.

    The Newton system has K = sum_j dim(z_j) unknowns; with one process and n + s < K
    (s blocks) it is solved in the rows instead (``_RowSystem``), and
    ``limits.max_vars`` then bounds n + s.

    Returns (collapsed, bases): collapsed is True when some block went to zero (it is
    removed from the returned bases), or None on failure.
    """
    keys = list(bases)
    A = np.hstack([(M[:, j, None] * X) @ bases[j][0] for j in keys])
    if not _fits(A.shape[0], A.shape[1], len(keys), limits.max_vars, comm):
        return None
    rows_space = _rows_side(A.shape[0], A.shape[1], len(keys), comm)
    cuts = np.cumsum([0] + [bases[j][0].shape[1] for j in keys])
    spans = list(zip(cuts[:-1], cuts[1:]))
    zvec = np.concatenate([bases[j][1] for j in keys])

    def value(zv):
        fit, _, _ = loss_parts(A @ zv, y, loss)
        return comm.sum(fit) + beta * sum(np.linalg.norm(zv[a:b]) for a, b in spans)

    f = value(zvec)
    scale = max(np.linalg.norm(zvec[a:b]) for a, b in spans)
    dec_prev = math.inf
    # the squared loss's A^T A (h = 1) is the same at every step: formed once
    gram = comm.sum(A.T @ A) if loss == "squared" and not rows_space else None
    for _ in range(limits.max_steps):
        _, g_pred, h_pred = loss_parts(A @ zvec, y, loss)
        if rows_space:
            grad, H = A.T @ g_pred, None
        elif gram is not None:
            grad, H = comm.sum(A.T @ g_pred), gram.copy()
        else:  # sums over rows: one all-reduce for both
            grad, H = comm.sum(A.T @ g_pred, A.T @ (h_pred[:, None] * A))
        norms = np.array([np.linalg.norm(zvec[a:b]) for a, b in spans])
        small = [k for k in range(len(spans)) if norms[k] < limits.collapse_rtol * scale]
        if small:
            keep = {keys[k]: (bases[keys[k]][0], zvec[a:b])
                    for k, (a, b) in enumerate(spans) if k not in small}
            return True, keep
        for k, (a, b) in enumerate(spans):
            grad[a:b] += beta * zvec[a:b] / norms[k]
        try:
            if rows_space:
                step = _RowSystem(A, h_pred, zvec, spans, norms, beta).solve(-grad)
            else:
                for k, (a, b) in enumerate(spans):
                    zj, nz = zvec[a:b], norms[k]
                    H[a:b, a:b] += beta * (np.eye(b - a) / nz - np.outer(zj, zj) / nz**3)
                H[np.diag_indices(len(H))] += RIDGE_RTOL * np.trace(H) / len(H)
                step = np.linalg.solve(H, -grad)
        except (np.linalg.LinAlgError, ValueError):  # singular, or not finite
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
        # converged: the Newton decrement (about 2 (f - f*)) zero, or no longer shrinking
        # once below f's resolution (quadratic convergence is over; on breast_cancer the
        # decrement otherwise hovers just above _DEC_ZERO for many steps without effect)
        unit = max(abs(f), 1.0)
        at_resolution = dec <= _DEC_FLOOR * unit
        if (dec <= _DEC_ZERO * unit or (at_resolution and dec > _DEC_STALL * dec_prev)
                or (abs(f_old - f) <= 1e-16 * abs(f) and t == 1.0)):
            break
        dec_prev = dec
    return False, {j: (bases[j][0], zvec[a:b]) for j, (a, b) in zip(keys, spans)}


class _RowSystem:
    """The polish's Newton matrix H = A^T diag(h) A + sum_j (beta / |z_j|) (I - e_j e_j^T)
    (e_j = z_j / |z_j|, one block per z_j; A of shape (n, K)), solved in the rows.

    With the diagonal D = blockdiag(beta / |z_j| I) + rho (rho: the ridge RIDGE_RTOL of the
    K-space solve) and Y = blockdiag(sqrt(beta / |z_j|) e_j) of shape (K, s), H = D + U C
    U^T for U = [A^T diag(sqrt h), Y] and C = diag(I_n, -I_s); Woodbury's identity leaves
    one (n + s) x (n + s) system, C + U^T D^-1 U, whose last s x s block is diagonal, -rho
    / (beta / |z_j| + rho), set exactly rather than as a difference that cancels; one
    refinement step with H itself corrects the round-off.  Flops: 2 K (n + s)^2 against
    K^3 / 3 and 2 n K^2 for H.
    """

    def __init__(self, A, h, zvec, spans, norms, beta):
        n, K = A.shape
        widths = np.array([b - a for a, b in spans])
        dvals = beta / norms
        trace = float(h @ np.einsum("ij,ij->i", A, A)) + float(dvals @ (widths - 1))
        self.A, self.h = A, h
        rho = RIDGE_RTOL * trace / K
        self.D = np.repeat(dvals, widths) + rho
        self.Y = np.zeros((K, len(spans)))
        for k, (a, b) in enumerate(spans):
            self.Y[a:b, k] = np.sqrt(dvals[k]) * zvec[a:b] / norms[k]
        root = np.sqrt(self.D)[:, None]
        Uh = np.hstack([(A * np.sqrt(h)[:, None]).T, self.Y]) / root  # D^-1/2 U
        core = Uh.T @ Uh  # U^T D^-1 U, then + C^-1 (= C)
        core[np.diag_indices(n)] += 1.0
        core[n:, n:] = np.diag(-rho / (dvals + rho))  # Y^T D^-1 Y - I, exactly
        self.DU = Uh / root  # D^-1 U
        self.lu = scipy.linalg.lu_factor(core, check_finite=True)

    def _apply(self, v):
        return self.D * v - self.Y @ (self.Y.T @ v) + self.A.T @ (self.h * (self.A @ v))

    def _woodbury(self, r):
        return r / self.D - self.DU @ scipy.linalg.lu_solve(self.lu, self.DU.T @ r)

    def solve(self, r):
        """H^-1 r."""
        x = self._woodbury(r)
        return x + self._woodbury(r - self._apply(x))


def polish_multipliers(program: ConvexProgram, W, Gamma=None, *, comm=LOCAL):
    """Multipliers Gamma (n, B) >= 0 of the cone rows for the polished blocks W (d, B).

    Active blocks take the multipliers of their boundary rows (least squares on the
    stationarity condition ``X^T (M_j lambda0 + S_j mu) = beta w_j / ||w_j||``, clipped at
    0); the other blocks keep `Gamma` (zero if None).  Any multipliers >= 0 give a valid
    bound in the certificate (``certificates.block_correlations``).
    """
    X = program.X
    U, V = program.split(W)
    lam0 = -loss_parts(program.output(U, V), program.y, program.loss)[1]
    M, S = program.block_slopes(), program.block_signs()
    out = np.zeros((program.n, W.shape[1])) if Gamma is None else np.array(Gamma, float)
    base = comm.sum(X.T @ (M * lam0[:, None]))  # (d, B)
    norms = np.linalg.norm(W, axis=0)
    top = max(norms.max(), 1e-300)
    xn = np.linalg.norm(X, axis=1)
    for j in np.flatnonzero(norms > SUPPORT_RTOL * top):
        on = np.flatnonzero(np.abs(X @ W[:, j]) <= BOUNDARY_RTOL * xn * norms[j])
        out[:, j] = 0.0
        # the boundary rows of every rank, in rank order; this rank's come after `first`
        rows = comm.concat_rows(np.column_stack([X[on] * S[on, j, None],
                                                 np.full(len(on), comm.rank)]))
        if len(rows):
            target = -base[:, j] + program.beta * W[:, j] / norms[j]
            sol, *_ = np.linalg.lstsq(rows[:, :-1].T, target, rcond=None)
            first = int((rows[:, -1] < comm.rank).sum())
            out[on, j] = np.clip(sol[first:first + len(on)], 0, None)
    return out


def polish(program: ConvexProgram, W, Gamma=None, *, comm=LOCAL, limits=DEFAULT_LIMITS):
    """Newton polish of blocks W (d, B) of `program` on their support.

    Returns (W, Gamma): the polished blocks and multipliers (n, B) of the cone rows
    (None for gated ReLU) for the certificate, or None when the polish fails (support
    or active rows guessed wrong).  With `comm`, `program` and `Gamma` hold this rank's
    rows (see the module's docstring).  `limits` bound its work (``PolishLimits``).
    """
    W = np.asarray(W, dtype=np.float64)
    G = None if Gamma is None else np.asarray(Gamma, dtype=np.float64)
    Wp = newton_polish(program.X, program.y, program.beta, program.block_slopes(), W,
                       S=program.block_signs(), Gamma=G, loss=program.loss, comm=comm,
                       limits=limits)
    if Wp is None:
        return None
    return Wp, (None if program.gated else polish_multipliers(program, Wp, G, comm=comm))


def polish_if_better(program: ConvexProgram, result, before):
    """Polish a solver's point; keep it only if it is better.

    Parameters
    ----------
    result : SolverResult
        Its U, V and multipliers are polished on their support (:func:`polish`).
    before : Certificate
        The certificate of `result`'s own point.

    Returns
    -------
    (SolverResult, Certificate) or None
        A copy of `result` at the polished point and that point's certificate, where the
        point lies in its cones with a smaller gap than `before`; else None.
    """
    from dataclasses import replace

    from ..core.certificates import certify

    out = polish(program, program.stack(result.U, result.V), result.multipliers)
    if out is None:
        return None
    U, V = program.split(out[0])
    cert = certify(program, U, V, out[1])
    if not (cert.feasible and cert.gap < before.gap):
        return None
    return replace(result, U=U, V=V, multipliers=out[1]), cert

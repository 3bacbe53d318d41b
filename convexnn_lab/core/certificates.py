"""The duality-gap certificate of a point of the convex program (chapter 2).

The dual of the program (squared loss) is

    max_lambda  lambda^T y - 0.5 ||lambda||^2
    s.t. max_{u in K_i, ||u|| <= 1} |lambda^T Dt_i X u| <= beta   for every pattern i,

with K_i = {u : (2 D_i - I) X u >= 0}.  By conic duality the inner maximum equals
``min_{mu >= 0} ||X^T Dt_i lambda + X^T (2 D_i - I) mu||_2``: any multipliers mu >= 0 give
an upper bound (one product), non-negative least squares the exact value.  For the
logistic loss the dual objective is ``sum_j H(y_j lambda_j)`` with H the binary entropy.
Scaling ``lambda = s * lambda0`` (lambda0 = minus the gradient of the loss at the point's
output) until it is feasible gives a lower bound on the optimum, so ``gap = objective -
lower bound`` bounds how far the point is from the optimum **of this program**.

:func:`certify` is the one place where a certificate is assembled; every solver calls it
(or, inside its iterations, :func:`block_correlations` and :func:`dual_bound`, the two
halves it is made of).  See the notation section of chapter 00.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar, nnls

from .._internal.comm import LOCAL
from .._internal.progress import LazyBar
from .losses import loss_parts
from .program import FEASIBILITY_RTOL, ConvexProgram

__all__ = ["Certificate", "ZERO_BLOCK_RTOL", "block_correlations", "certify", "gap_within",
           "certify_output", "cone_correlation", "dual_bound", "dual_constraints",
           "price_precision"]

# a block whose norm is below this times the largest counts as zero (no neuron)
ZERO_BLOCK_RTOL = 1e-7

# exact cone maxima (one NNLS of n x d per pattern, ~n d^2 flops) are computed where the
# multipliers' bound is above beta, while they cost at most this many flops
EXACT_BUDGET_FLOPS = 5e8


@dataclass(frozen=True)
class Certificate:
    """How far a point (U, V) of a program can be from that program's optimum.

    Attributes
    ----------
    objective : float
        The program's objective at the point (for the program with cones: the objective
        of the network the blocks map to).
    lower_bound : float
        A dual value: the program's optimum is at least this.
    gap : float
        ``max(objective - lower_bound, 0)``, a bound on objective minus optimum.
    dual : ndarray of shape (n,)
        The feasible lambda behind `lower_bound`.
    max_ratio : float
        ``max_i c_i / beta`` for the unscaled lambda0 (<= 1: lambda0 itself is feasible).
    cone_violation : float
        ``ConvexProgram.cone_violation`` of the point (0 for gated ReLU).
    exact : bool
        Every cone maximum above beta was computed exactly (not only bounded).
    """

    objective: float
    lower_bound: float
    gap: float
    dual: np.ndarray = field(repr=False)
    max_ratio: float
    cone_violation: float
    exact: bool

    @property
    def relative_gap(self) -> float:
        """``gap / max(|objective|, tiny)``."""
        return self.gap / max(abs(self.objective), 1e-300)

    @property
    def feasible(self) -> bool:
        """Do the blocks lie in their cones (to round-off, ``FEASIBILITY_RTOL``)?"""
        return self.cone_violation <= FEASIBILITY_RTOL

    def proves_gap(self, tol: float) -> bool:
        """Does the gap alone prove the relative gap `tol` (cones aside)?"""
        return gap_within(self.gap, self.objective, tol)

    def proves(self, tol: float, *, cone_rtol: float = FEASIBILITY_RTOL) -> bool:
        """Is the point certified optimal to a relative gap `tol`, every block inside its
        cone to `cone_rtol` (relative to the outputs)?"""
        return bool(self.cone_violation <= cone_rtol and self.proves_gap(tol))


def gap_within(gap: float, objective: float, tol: float) -> bool:
    """The one test of optimality: a finite ``gap <= tol * |objective|``."""
    return bool(np.isfinite(gap) and gap <= tol * max(abs(objective), 1e-300))


def block_correlations(X, M, lam0, S=None, Gamma=None, *, comm=None):
    """Upper bounds ``||X^T (M_j * lam0 + S_j * Gamma_j)||`` on each block's cone maximum.

    Works on numpy arrays and on torch tensors alike.  With `comm` (row-sharded data,
    ``_comm``) the product ``X^T (...)`` (d, B) is summed over the ranks before the norms.

    Parameters
    ----------
    X : (n, d); M : (n, B) block slopes; lam0 : (n,)
    S : (n, B) block signs, or None (gated: the exact value ``||X^T Dt_i lambda0||``)
    Gamma : (n, B) multipliers >= 0 of the cone rows, or None (taken as 0: still a bound)

    Returns
    -------
    array of shape (P,)
        For the program with cones (B = 2P), the larger of the u_i and v_i bounds.
    """
    C = M * lam0[:, None]
    if S is not None and Gamma is not None:
        C = C + S * Gamma
    G = X.T @ C
    if comm is not None:
        G = comm.sum(G)
    corr = (G * G).sum(axis=0) ** 0.5
    if S is None:
        return corr
    P = corr.shape[0] // 2
    if isinstance(corr, np.ndarray):
        return np.maximum(corr[:P], corr[P:])
    import torch

    return torch.maximum(corr[:P], corr[P:])


def dual_constraints(program: ConvexProgram, lam, multipliers=None, *,
                     exact: bool | str = "auto", comm=None):
    """The dual constraint ``c_i >= max_{u in K_i, ||u|| <= 1} |lambda^T Dt_i X u|`` of every
    pattern: bounded by the multipliers (Gamma = 0 without them), and computed exactly
    (NNLS) where the bound is above beta, as `exact` allows (see ``certify``).

    With `comm` over several ranks (row-sharded data) the exact values come from an
    active-set NNLS that gathers only the rows it needs (``cone_correlation``).

    Returns
    -------
    (c, exact) : ndarray of shape (P,), and whether every bound above beta is exact
    """
    if exact not in (True, False, "auto"):
        raise ValueError(f"exact must be True, False or 'auto', got {exact!r}")
    S = program.block_signs()
    Gamma = None if multipliers is None or S is None else _multipliers(multipliers, program)
    corr = block_correlations(program.X, program.block_slopes(), lam, S, Gamma, comm=comm)
    if program.gated:
        return corr, True
    loose = np.flatnonzero(corr > program.beta)
    rows = program.n if comm is None else comm.sum(program.n)
    cost = len(loose) * rows * program.d ** 2
    if exact is True or (exact == "auto" and cost <= EXACT_BUDGET_FLOPS):
        values, done = _cone_correlation(program, lam, loose, comm)
        corr[loose] = np.minimum(corr[loose], values)
        return corr, done
    return corr, False


def cone_correlation(program: ConvexProgram, lam, which=None, *, comm=None) -> np.ndarray:
    """``c_i = max_{u in K_i, ||u|| <= 1} |lambda^T Dt_i X u|``, exactly.

    Parameters
    ----------
    program : ConvexProgram
    lam : ndarray of shape (n,)
    which : array of int, optional
        The patterns to compute (default: all).
    comm : optional
        Row-sharded data (`program`, `lam`: this rank's rows): the NNLS is solved by
        an active-set loop that gathers only the rows it needs (see Notes).

    Returns
    -------
    ndarray of shape (P,) (or ``(len(which),)``)

    Notes
    -----
    Gated ReLU: ``||X^T Dt_i lambda||``.  With the cones, the larger of two non-negative
    least-squares problems, ``min_{mu >= 0} ||X^T Dt_i lambda -+ X^T (2 D_i - I) mu||``:
    the maximum of ``+lambda^T Dt_i X u`` and of ``-lambda^T Dt_i X u`` over the cone.

    Row-sharded: NNLS on the rows gathered so far (an upper bound on c_i, since fewer
    multipliers can only leave a larger residual), then every rank checks the optimality
    condition ``a_k^T r >= 0`` on its rows (r the residual, a_k = (2 D_i - I)_k x_k);
    the rows that break it most are gathered and the NNLS solved again, until none does
    (the value is then the exact minimum) or ``SHARDED_NNLS_ROUNDS`` rounds.
    """
    return _cone_correlation(program, lam, which, comm)[0]


# rounds of the row-sharded active-set NNLS before it settles for its upper bound
SHARDED_NNLS_ROUNDS = 30


def _cone_correlation(program, lam, which, comm):
    """``cone_correlation`` and whether every value is exact (not only a bound)."""
    X = program.X
    idx = np.arange(program.P) if which is None else np.asarray(which, dtype=np.int64)
    G = (program.Dt[:, idx] * lam[:, None]).T @ X  # row k: (X^T Dt_i lambda)^T
    sharded = comm is not None and comm.world_size > 1
    if sharded:
        G = comm.sum(G)
    if program.gated:
        return np.linalg.norm(G, axis=1), True
    out = np.zeros(len(idx))
    exact = True
    bar = LazyBar(len(idx), "exact cone maxima (NNLS)", disable=sharded and comm.rank != 0)
    for k, i in enumerate(idx):
        bar.update(1)
        if not G[k].any():
            continue
        A = X * program.signs[:, i, None]  # rows a_k of A_i = (2 D_i - I) X, (n, d)
        if sharded:
            (plus, ok1), (minus, ok2) = (_active_set_nnls(A, -G[k], comm),
                                         _active_set_nnls(A, G[k], comm))
            out[k], exact = max(plus, minus), exact and ok1 and ok2
            continue
        values = []
        for b in (-G[k], G[k]):
            # the active-set loop touches only the rows it needs (faster than scipy's
            # NNLS on digits); scipy's NNLS over every row where it stops short of its
            # optimality check
            value, ok = _active_set_nnls(A, b, LOCAL)
            values.append(value if ok else nnls(A.T, b)[1])
        out[k] = max(values)
    bar.close()
    return out, exact


def _active_set_nnls(A, b, comm):
    """``min_{mu >= 0} ||A^T mu - b||`` over the rows a_k of A (this rank's, (n_r, d)) and
    every other rank's (``LOCAL``: one process): (value, exact).

    Starts from no rows and adds, each round, the d rows that would lower the residual
    most, solving the NNLS on the rows taken; exact once no row would lower it, else
    (after ``SHARDED_NNLS_ROUNDS``) an upper bound."""
    norms = np.linalg.norm(A, axis=1)
    scale = 1e-9 * float(np.linalg.norm(b))
    taken = np.zeros(len(A), dtype=bool)
    chosen = np.zeros((0, A.shape[1]))
    r = -b
    for _ in range(SHARDED_NNLS_ROUNDS):
        # rows whose multiplier would lower the residual: a_k^T r < 0 (by more than
        # round-off relative to ||a_k|| ||b||)
        drop = -(A @ r) - scale * norms
        drop[taken] = -np.inf
        if comm.max(float(drop.max(initial=-np.inf))) <= 0:
            return float(np.linalg.norm(r)), True
        add = np.argsort(-drop)[:A.shape[1]]
        add = add[drop[add] > 0]
        taken[add] = True
        chosen = np.vstack([chosen, comm.concat_rows(A[add])])
        mu, _ = nnls(chosen.T, b)
        r = chosen.T @ mu - b
    return float(np.linalg.norm(r)), False


def dual_bound(y, lam0, correlations, beta: float, loss: str, *, comm=None):
    """Best dual value along ``lambda = s * lam0`` with ``s * max(correlations) <= beta``.

    With `comm` (row-sharded y, lam0) its sums over rows are summed over the ranks.

    Returns
    -------
    (dual value, s)
    """
    from .._internal.comm import LOCAL

    comm = comm or LOCAL
    cmax = float(np.max(correlations, initial=0.0))
    s_max = np.inf if cmax == 0 else beta / cmax
    if loss == "squared":
        nrm, lam0_y = comm.sum(float(lam0 @ lam0), float(lam0 @ y))
        s = 0.0 if nrm == 0 else float(np.clip(lam0_y / nrm, 0.0, s_max))
        lam = s * lam0
        lam_y, half_lam2 = comm.sum(float(lam @ y), float(0.5 * lam @ lam))
        return float(lam_y - half_lam2), s
    p0 = y * lam0  # in (0, 1)
    s_hi = float(min(s_max, 1.0 / max(comm.max(float(p0.max())), 1e-300)))

    def neg_entropy(s):
        p = np.clip(s * p0, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -(np.where(p > 0, p * np.log(p), 0.0)
                  + np.where(p < 1, (1 - p) * np.log1p(-p), 0.0))
        return -comm.sum(float(h.sum()))

    res = minimize_scalar(neg_entropy, bounds=(0.0, s_hi), method="bounded",
                          options={"xatol": 1e-12})
    s = float(res.x) if -res.fun >= -neg_entropy(s_hi) else s_hi
    return -neg_entropy(s), s


def price_precision(y, lam0, known_price, beta: float, loss: str, objective: float, *,
                    floor: float, share: float = 0.01, ceiling: float = 0.1) -> float:
    """How precisely to prove the price of lam0 for :func:`dual_bound`: a relative rtol.

    The dual value D is concave along ``s * lam0`` with D(0) = 0, so proving the price
    only to within (1 + rho) costs the bound at most rho times itself:
    ``D(s / (1 + rho)) >= D(s) / (1 + rho)``.  Taking ``rho = share (objective - b) / b``,
    b the bound that ``max(known_price, beta)`` would give (known_price: a price found, at
    most the true one; the tree proves nothing below beta), that loss is at most `share`
    times the gap the exact price would leave.  Far from the
    optimum (a price well above beta) rho is large and the proof cheap; near it rho
    falls to `floor`.

    Returns
    -------
    float in [floor, max(floor, ceiling)]
    """
    b, _ = dual_bound(y, lam0, np.array([max(known_price, beta)]), beta, loss)
    if b <= 0:
        return max(floor, ceiling)
    return float(np.clip(share * (objective - b) / b, floor, max(floor, ceiling)))


def certify(program: ConvexProgram, U, V=None, multipliers=None, *,
            exact: bool | str = "auto", comm=None) -> Certificate:
    """The certificate of blocks U, V (shape (d, P)) of `program`.

    Parameters
    ----------
    program : ConvexProgram
    U, V : ndarray of shape (d, P)
        The point (V ignored, and taken as zero, for gated ReLU).
    multipliers : ndarray of shape (n, 2P), optional
        Multipliers Gamma >= 0 of the cone rows (from the interior-point method, the
        augmented Lagrangian or CVXPY): a cheap bound on every cone maximum.
    exact : bool or "auto"
        Replace bounds above beta by the exact maximum (NNLS): True always, False never,
        "auto" while it costs at most ``EXACT_BUDGET_FLOPS``.
    comm : optional
        Row-sharded programs (``solve_convex(..., distributed=True)``): `program` holds
        this rank's rows, `multipliers` their multipliers, and every sum and maximum over
        rows is reduced over the ranks, so the certificate is that of the whole program
        (its ``dual`` holds this rank's rows).

    Returns
    -------
    Certificate

    See Also
    --------
    certify_global : the same test over every pattern of X (chapter 2).
    """
    if not isinstance(program, ConvexProgram):
        hint = (" (a ConvexSolution carries its own: solution.certificate, or "
                "certify(solution.program, solution.U, solution.V))"
                if hasattr(program, "program") else "")
        raise TypeError(f"program must be a ConvexProgram, got {type(program).__name__}{hint}")
    U = _blocks(U, "U", program)
    V = None if program.gated or V is None else _blocks(V, "V", program)
    output = program.output(U, V)
    fit = float(loss_parts(output, program.y, program.loss)[0])
    if comm is not None:
        fit = comm.sum(fit)
    objective = fit + program.beta * program.regularization(U, V)
    return certify_output(program, output, objective, multipliers=multipliers, exact=exact,
                          cone_violation=program.cone_violation(U, V, comm=comm), comm=comm)


def certify_output(program: ConvexProgram, output, objective: float, *, multipliers=None,
                   exact: bool | str = "auto", cone_violation: float = 0.0,
                   comm=None) -> Certificate:
    """The certificate of any point whose output on X is `output` (n,) and whose
    objective is `objective`, against the patterns of `program`.

    ``lambda0 = -grad l(output)`` is scaled into the dual-feasible set of `program`;
    ``certify`` calls this for the program's own blocks, ``certify_global`` for a
    solution checked against every pattern of X.
    """
    lam0 = -loss_parts(np.asarray(output, dtype=np.float64), program.y, program.loss)[1]
    corr, is_exact = dual_constraints(program, lam0, multipliers, exact=exact, comm=comm)
    lower, s = dual_bound(program.y, lam0, corr, program.beta, program.loss, comm=comm)
    ratio = float(np.max(corr, initial=0.0)) / program.beta
    return Certificate(objective=float(objective), lower_bound=lower,
                       gap=max(float(objective) - lower, 0.0), dual=s * lam0,
                       max_ratio=ratio, cone_violation=float(cone_violation), exact=is_exact)


def _blocks(W, name: str, program: ConvexProgram) -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    if W.shape != (program.d, program.P):
        raise ValueError(f"{name} must have shape (d, P) = ({program.d}, {program.P}), one "
                         f"column per pattern, got {W.shape}")
    if not np.isfinite(W).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return W


def _multipliers(Gamma, program: ConvexProgram) -> np.ndarray:
    """Multipliers of the cone rows: any Gamma >= 0 gives a valid bound, others none."""
    Gamma = np.asarray(Gamma, dtype=np.float64)
    shape = (program.n, 2 * program.P)
    if Gamma.shape != shape:
        raise ValueError(f"multipliers must have shape (n, 2P) = {shape}, one column per block "
                         f"[u_1..u_P, v_1..v_P], got {Gamma.shape}")
    if not np.isfinite(Gamma).all() or Gamma.min() < 0:
        raise ValueError("multipliers must be finite and >= 0: only non-negative multipliers "
                         "of the cone rows bound the dual constraint (clip them at 0)")
    return Gamma

"""Deeper networks: the duality gap of deep linear networks and the exact convex program of a
parallel three-layer ReLU network (chapter 9).

Deep linear networks ``f(X) = X W_1 ... W_L``.  With ``W = W_1 ... W_L`` of singular values
sigma_k:

* weight decay on the standard architecture (one chain of matrices):
  ``min {0.5 sum_l ||W_l||_F^2 : W_1 ... W_L = W} = (L/2) sum_k sigma_k^(2/L)``, a
  Schatten-2/L quasi-norm (raised to 2/L), attained by balanced factors
  (:func:`balanced_factors`); not convex for L >= 3;
* the homogeneous regularization ``(1/L) sum_l ||W_l||_F^L`` on the same chain:
  ``min = ||W||_{S_{2/L}} = (sum_k sigma_k^(2/L))^(L/2)`` (AM-GM, then Hoelder for Schatten
  norms);
* the same regularization summed over the branches of a *parallel* architecture
  ``f(X) = sum_j X W_{1j} ... W_{Lj}``: ``min = ||W||_*`` (each branch costs at least the
  nuclear norm of its product, rank-one branches along the SVD attain it), a convex
  function: the training problem is a nuclear-norm problem;
* weight decay on the parallel architecture: the same ``(L/2) sum_k sigma_k^(2/L)`` as on
  the chain (a branch costs ``(L/2) ||W_j||_{S_{2/L}}^{2/L}``, and for a concave f with
  f(0) = 0, ``sum f(sigma(A + B)) <= sum f(sigma(A)) + sum f(sigma(B))``: Thompson 1976).
  Architecture alone changes nothing; architecture and regularization together give the
  nuclear norm.

With weight decay and L >= 3, keeping the k largest singular values of the target (shrunk)
and dropping the others to zero is a local minimum for every k
(:func:`weight_decay_local_minima`): ``s^(2/L)`` has an infinite slope at 0.

Parallel three-layer ReLU networks, branch k: ``f_k(X) = ((X W_1k)_+ w_2k)_+ w_3k`` with
W_1k (d, m1), w_2k (m1,), w_3k a scalar, and the regularization
``R = (1/3) sum_k (||W_1k||_F^3 + ||w_2k||^3 + |w_3k|^3)``.  With first-layer patterns D_i
(cones K_i) and second-layer patterns D_j (any 0/1 diagonal), the training problem
``0.5 ||sum_k f_k(X) - y||^2 + beta R`` has the same optimum as the convex program
(:func:`three_layer_program`)

    min  0.5 || sum_j D_j (z_j+ - z_j-) - y ||^2 + beta * sum ||q||
    z_js = sum_i D_i X (q_jsi+ - q_jsi-),   q_jsi+- in K_i,   (2 D_j - I) z_js >= 0,

when the D_i are all the patterns of X and the D_j all 0/1 vectors (proof in chapter 9).
Notation: chapter 00.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_beta, check_positive_int, check_X, check_y

__all__ = ["ThreeLayerSolution", "balanced_factors", "deep_linear_gap", "factored_penalty",
           "parallel_power_value", "regularized_deep_linear", "schatten",
           "standard_power_value", "three_layer_certificate", "three_layer_objective",
           "three_layer_program", "train_deep_linear", "train_three_layer",
           "weight_decay_local_minima", "weight_decay_value"]


def _check_depth(L) -> int:
    L = check_positive_int(L, "L")
    if L < 2:
        raise ValueError(f"L must be a depth >= 2 (layers of weights), got {L}")
    return L


def _singular_values(W) -> np.ndarray:
    s = np.linalg.svd(check_X(W, "W"), compute_uv=False)
    # round-off singular values (a numerically rank-deficient W) count as zero: s^(2/L)
    # would turn 1e-16 into 1e-8
    return np.where(s > 1e-12 * s.max(initial=0.0), s, 0.0)


def schatten(W, p: float) -> float:
    """``||W||_{S_p} = (sum_k sigma_k^p)^(1/p)``, a norm for p >= 1, a quasi-norm for p < 1."""
    if not p > 0:
        raise ValueError(f"p must be > 0, got {p!r}")
    s = _singular_values(W)
    return float(np.sum(s ** p) ** (1.0 / p))


def weight_decay_value(W, L) -> float:
    """``min {0.5 sum_l ||W_l||_F^2 : W_1...W_L = W} = (L/2) sum_k sigma_k(W)^(2/L)``."""
    L = _check_depth(L)
    return float(L / 2 * np.sum(_singular_values(W) ** (2.0 / L)))


def standard_power_value(W, L) -> float:
    """``min {(1/L) sum_l ||W_l||_F^L : W_1...W_L = W} = ||W||_{S_{2/L}}``."""
    L = _check_depth(L)
    return schatten(W, 2.0 / L)


def parallel_power_value(W, L) -> float:
    """``min {(1/L) sum_j sum_l ||W_lj||_F^L : sum_j W_1j...W_Lj = W} = ||W||_*``
    (branches enough: at least rank W)."""
    _check_depth(L)
    return float(_singular_values(W).sum())


def factored_penalty(W, L, *, architecture: str = "standard",
                     regularizer: str = "weight_decay") -> float:
    """The smallest regularization of a depth-L linear network whose product is W.

    Parameters
    ----------
    W : ndarray of shape (d, c)
    L : int >= 2
    architecture : {"standard", "parallel"}
        One chain of L matrices, or a sum of chains (branches), enough of them (rank W).
    regularizer : {"weight_decay", "homogeneous"}
        ``0.5 sum ||W_l||_F^2`` or ``(1/L) sum ||W_l||_F^L`` (summed over branches).

    Returns
    -------
    float
        weight decay: ``(L/2) sum_k sigma_k^(2/L)`` on either architecture
        (:func:`weight_decay_value`); homogeneous: ``||W||_{S_{2/L}}`` on the chain
        (:func:`standard_power_value`), ``||W||_*`` in parallel
        (:func:`parallel_power_value`). Only the last is convex in W for L >= 3.
    """
    L = _check_depth(L)
    if _check_pair(architecture, regularizer) == "weight_decay":
        return weight_decay_value(W, L)
    if architecture == "standard":
        return standard_power_value(W, L)
    return parallel_power_value(W, L)


def balanced_factors(W, L) -> list:
    """Factors ``W_1 = U S^(1/L)``, ``W_l = S^(1/L)``, ``W_L = S^(1/L) V^T`` of ``W = U S V^T``
    (thin SVD): their product is W and ``0.5 sum ||W_l||_F^2 = (L/2) sum sigma^(2/L)``."""
    L = _check_depth(L)
    U, s, Vt = np.linalg.svd(check_X(W, "W"), full_matrices=False)
    r = s ** (1.0 / L)
    return [U * r] + [np.diag(r) for _ in range(L - 2)] + [r[:, None] * Vt]


def deep_linear_gap(W, L) -> dict:
    """Primal and dual values of minimum-norm interpolation ``X W_1...W_L = Y`` with weight
    decay, for ``W = X^+ Y`` (X of full column rank).

    With the scale t of the middle layers fixed, the primal is ``t^-(L-2) ||W||_{S_{2/L}}``
    and its Lagrangian dual ``t^-(L-2) ||W||_*`` (chapter 9); adding ``(L-2) t^2 / 2`` and
    minimizing over t gives

    - ``primal = (L/2) sum_k sigma_k^(2/L)`` (= :func:`weight_decay_value`),
    - ``dual = (L/2) (sum_k sigma_k)^(2/L)``,

    and ``gap = primal - dual >= 0``, zero for L = 2 or rank W = 1.

    Returns
    -------
    dict with keys "L", "primal", "dual", "gap"
    """
    L = _check_depth(L)
    s = _singular_values(W)
    primal = float(L / 2 * np.sum(s ** (2.0 / L)))
    dual = float(L / 2 * np.sum(s) ** (2.0 / L))
    return {"L": L, "primal": primal, "dual": dual, "gap": primal - dual}


def _scalar_local_min(y: float, beta: float, L: int):
    """The positive local minimizer of ``h(s) = 0.5 (s - y)^2 + beta (L/2) s^(2/L)`` on
    s > 0 (L >= 3, y >= 0): the larger root of ``h'(s) = 0``, or None where h increases."""
    q = 2.0 / L - 1.0  # in (-1, 0): g(s) = s + beta s^q is convex, h'(s) = g(s) - y
    s0 = (beta * -q) ** (1.0 / (1.0 - q))  # minimizer of g
    if s0 + beta * s0 ** q >= y:
        return None  # h increasing on s > 0: its only minimum is s = 0
    lo, hi = s0, max(y, s0)  # g(lo) < y < g(hi): the larger root is the local minimum
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid + beta * mid ** q < y:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _scalar_value(s: float, y: float, beta: float, L: int) -> float:
    return 0.5 * (s - y) ** 2 + beta * L / 2 * s ** (2.0 / L)


def _scalar_weight_decay(y: float, beta: float, L: int) -> float:
    """Global minimizer over s >= 0 of ``0.5 (s - y)^2 + beta (L/2) s^(2/L)`` (y >= 0)."""
    if L == 2:
        return max(y - beta, 0.0)
    s = _scalar_local_min(y, beta, L)
    if s is None:
        return 0.0
    return s if _scalar_value(s, y, beta, L) < _scalar_value(0.0, y, beta, L) else 0.0


_REGULARIZERS = ("weight_decay", "homogeneous")


def _check_pair(architecture: str, regularizer) -> str:
    if architecture not in ("standard", "parallel"):
        raise ValueError(f"architecture must be 'standard' or 'parallel', got {architecture!r}")
    if regularizer is None:  # the pairing chapter 9 starts from
        return "weight_decay" if architecture == "standard" else "homogeneous"
    if regularizer not in _REGULARIZERS:
        raise ValueError(f"regularizer must be one of {_REGULARIZERS}, got {regularizer!r}")
    return regularizer


def regularized_deep_linear(Y, beta, L, *, architecture: str = "standard",
                            regularizer: str | None = None):
    """The exact global optimum of ``min 0.5 ||W_1...W_L - Y||_F^2 + beta R`` (X = I).

    Parameters
    ----------
    Y : ndarray of shape (d, c)
    beta : float > 0
    L : int >= 2
        The depth (layers of weights).
    architecture : {"standard", "parallel"}
        One chain of L matrices, or a sum of rank-one branches (a column, L - 2 scalars and
        a row each), at least rank Y of them.
    regularizer : {"weight_decay", "homogeneous"}, optional
        ``R = 0.5 sum ||W_l||_F^2`` or ``R = (1/L) sum ||W_l||_F^L`` (per branch for the
        parallel architecture). Default: weight decay for "standard", homogeneous for
        "parallel".

    With weight decay, on either architecture, the product is ``W = U diag(s) V^T`` with
    each s_k the global minimizer of the scalar problem
    ``0.5 (s - sigma_k(Y))^2 + beta (L/2) s^(2/L)`` (a hard threshold for L >= 3: small
    singular values jump to 0); the parallel architecture's penalty is the chain's (module
    docstring). The parallel architecture with the homogeneous regularizer is the convex
    ``0.5 ||W - Y||^2 + beta ||W||_*``, solved by soft thresholding. The standard chain with
    the homogeneous regularizer (the quasi-norm ``||W||_{S_{2/L}}``, not separable over the
    singular values) has no closed form here: ValueError for L >= 3.

    Returns
    -------
    (W, value) : ndarray of the shape of Y, and the optimal value
    """
    Y = check_X(Y, "Y")
    beta = check_beta(beta)
    L = _check_depth(L)
    regularizer = _check_pair(architecture, regularizer)
    U, sy, Vt = np.linalg.svd(Y, full_matrices=False)
    if regularizer == "weight_decay":
        s = np.array([_scalar_weight_decay(float(v), beta, L) for v in sy])
        reg = beta * L / 2 * np.sum(s ** (2.0 / L))
    elif architecture == "parallel" or L == 2:  # nuclear norm (L = 2: S_1 is the nuclear norm)
        s = np.maximum(sy - beta, 0.0)
        reg = beta * np.sum(s)
    else:
        raise ValueError("the standard chain with the homogeneous regularizer has no closed-"
                         "form optimum for L >= 3 (its penalty ||W||_{S_{2/L}} is not "
                         "separable over the singular values)")
    W = (U * s) @ Vt
    return W, float(0.5 * np.sum((W - Y) ** 2) + reg)


def weight_decay_local_minima(Y, beta, L) -> list:
    """The local minima of weight decay on a deep linear chain that keep the top singular
    values of the target and drop the others.

    For ``min 0.5 ||W_1...W_L - Y||_F^2 + (beta/2) sum ||W_l||_F^2`` (X = I, L >= 3, distinct
    singular values sigma_1 > sigma_2 > ... of Y) take the product
    ``U diag(s) V^T`` (singular vectors of Y) with s_k the positive local minimizer of
    ``0.5 (s - sigma_k)^2 + beta (L/2) s^(2/L)`` for the k largest singular values and
    s = 0 for the others. Dropping is a local minimum because ``s^(2/L)`` rises with an
    infinite slope at 0. Keeping a smaller singular value while dropping a larger one is not:
    turning the kept direction toward the dropped one lowers the loss (a saddle).

    Returns
    -------
    list of (k, value)
        k the number of singular values kept (0 is the zero network), `value` the objective
        there; sorted by value. For L = 2 (convex) only the global minimum.
    """
    Y = check_X(Y, "Y")
    beta = check_beta(beta)
    L = _check_depth(L)
    sy = np.linalg.svd(Y, compute_uv=False)
    if L == 2:
        return [(int(np.sum(sy > beta)), regularized_deep_linear(Y, beta, 2)[1])]
    out, kept_value = [], 0.0
    dropped_value = [_scalar_value(0.0, float(v), beta, L) for v in sy]
    for k in range(len(sy) + 1):
        out.append((k, float(kept_value + sum(dropped_value[k:]))))
        if k == len(sy):
            break
        r = _scalar_local_min(float(sy[k]), beta, L)
        if r is None:  # this and every smaller singular value can only be dropped
            break
        kept_value += _scalar_value(r, float(sy[k]), beta, L)
    return sorted(out, key=lambda kv: kv[1])


def train_deep_linear(Y, beta, L, *, architecture: str = "standard",
                      regularizer: str | None = None, width=None, steps: int = 3000,
                      seed: int = 0, init_scale: float = 0.5) -> float:
    """Train the factors from a random start with L-BFGS (torch, float64, CPU); return the
    objective reached (a local result: compare with :func:`regularized_deep_linear`).

    "standard": chain of L matrices of inner width `width` (default min(Y.shape)).
    "parallel": `width` branches (default min(Y.shape)), each a chain of a column, L - 2
    scalars and a row. `regularizer` as in :func:`regularized_deep_linear`: weight decay
    ``0.5 sum ||W_l||_F^2`` or the homogeneous ``(1/L) sum ||W_l||_F^L`` (per branch for
    "parallel"). The factors start as `init_scale` times standard normal entries.
    """
    import torch

    Y = check_X(Y, "Y")
    beta = check_beta(beta)
    L = _check_depth(L)
    regularizer = _check_pair(architecture, regularizer)
    steps = check_positive_int(steps, "steps")
    m = min(Y.shape) if width is None else check_positive_int(width, "width")
    d, c = Y.shape
    g = torch.Generator().manual_seed(int(seed))
    Yt = torch.tensor(Y, dtype=torch.float64)
    if architecture == "standard":
        shapes = [(d, m)] + [(m, m)] * (L - 2) + [(m, c)]
    else:
        shapes = [(d, m)] + [(m,)] * (L - 2) + [(m, c)]
    params = [(init_scale * torch.randn(*s, generator=g, dtype=torch.float64))
              .requires_grad_() for s in shapes]

    def objective():
        if architecture == "standard":
            P = params[0]
            for W in params[1:]:
                P = P @ W
            norms = [W.norm() for W in params]
        else:
            scale = torch.ones(m, dtype=torch.float64)
            for a in params[1:-1]:
                scale = scale * a
            P = (params[0] * scale) @ params[-1]
            norms = [params[0].norm(dim=0), *[a.abs() for a in params[1:-1]],
                     params[-1].norm(dim=1)]
        if regularizer == "weight_decay":  # every entry squared, branch by branch alike
            reg = 0.5 * sum((W ** 2).sum() for W in params)
        else:
            reg = sum((nrm ** L).sum() for nrm in norms) / L
        return 0.5 * ((P - Yt) ** 2).sum() + beta * reg

    opt = torch.optim.LBFGS(params, max_iter=steps, tolerance_grad=1e-12,
                            tolerance_change=1e-15, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        val = objective()
        val.backward()
        return val

    with torch.no_grad():
        before = float(objective())
    opt.step(closure)
    with torch.no_grad():
        after = float(objective())
    return min(after, before) if np.isfinite(after) else before


# --- parallel three-layer ReLU networks ------------------------------------------------

def _all_second_patterns(n: int) -> np.ndarray:
    """Every nonzero 0/1 vector of length n, shape (2^n - 1, n)."""
    if n > 12:
        raise ValueError(f"the second layer's patterns are all 2^n - 1 subsets; n = {n} is too "
                         "many (keep n <= 12, this is an exact program for tiny data)")
    rows = [r for r in itertools.product([0, 1], repeat=n) if any(r)]
    return np.array(rows, dtype=bool)


@dataclass
class ThreeLayerSolution:
    """A solution of :func:`three_layer_program`.

    Attributes
    ----------
    value : float
        The program's optimal value (CVXPY's).
    output : ndarray (n,)
        ``sum_j D_j (z_j+ - z_j-)``.
    branches : list of (W1 (d, m1), w2 (m1,), w3 float)
        The balanced parallel network it maps to (one branch per nonzero (j, sign)).
    first_patterns, second_patterns : bool ndarrays (P1, n), (P2, n)
    """

    value: float
    output: np.ndarray
    branches: list
    first_patterns: np.ndarray
    second_patterns: np.ndarray


def three_layer_objective(branches, X, y, beta) -> float:
    """``0.5 ||sum_k ((X W_1k)_+ w_2k)_+ w_3k - y||^2 + (beta/3) sum_k (||W_1k||_F^3 +
    ||w_2k||^3 + |w_3k|^3)`` for branches [(W1, w2, w3), ...]."""
    X = check_X(X)
    y = check_y(y, X.shape[0])
    beta = check_beta(beta)
    out, reg = np.zeros(X.shape[0]), 0.0
    for W1, w2, w3 in branches:
        out += np.maximum(np.maximum(X @ W1, 0) @ w2, 0) * w3
        reg += (np.linalg.norm(W1) ** 3 + np.linalg.norm(w2) ** 3 + abs(w3) ** 3) / 3
    return float(0.5 * np.sum((out - y) ** 2) + beta * reg)


def three_layer_program(X, y, beta, first_patterns, second_patterns=None,
                        *, tol: float = 1e-7) -> ThreeLayerSolution:
    """Solve the convex program of a parallel three-layer ReLU network (CVXPY).

    Parameters
    ----------
    X : (n, d); y : (n,); beta : float > 0
    first_patterns : bool (P1, n)
        The D_i (``enumerate_patterns(X)`` for the exact program).
    second_patterns : bool (P2, n), optional
        The D_j; default every nonzero 0/1 vector (exact).
    tol : float
        Blocks with norm below tol times the largest are dropped from the network.

    Returns
    -------
    ThreeLayerSolution
    """
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    beta = check_beta(beta)
    D1 = np.asarray(first_patterns, dtype=bool)
    D2 = _all_second_patterns(n) if second_patterns is None else \
        np.asarray(second_patterns, dtype=bool)
    S1, S2 = 2.0 * D1 - 1.0, 2.0 * D2 - 1.0
    P1 = D1.shape[0]
    # q[j, s, b] : (d, P1) for second pattern j, outer sign s, inner sign b
    Q = {(j, s, b): cp.Variable((d, P1)) for j in range(len(D2)) for s in (0, 1)
         for b in (0, 1)}
    cons, out, reg = [], 0, 0
    for key, q in Q.items():
        cons.append(cp.multiply(S1.T, X @ q) >= 0)
        reg = reg + cp.sum(cp.norm(q, 2, axis=0))
    for j in range(len(D2)):
        for s in (0, 1):
            z = cp.sum(cp.multiply(D1.T, X @ (Q[j, s, 0] - Q[j, s, 1])), axis=1)
            cons.append(cp.multiply(S2[j], z) >= 0)
            out = out + (1 - 2 * s) * cp.multiply(D2[j].astype(float), z)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(out - y) + beta * reg), cons)
    problem.solve(solver=cvxpy_solver())
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"CVXPY failed on the three-layer program: {problem.status}")
    values = {k: np.asarray(v.value) for k, v in Q.items()}
    top = max(float(np.linalg.norm(v, axis=0).max()) for v in values.values())
    branches = []
    for j in range(len(D2)):
        for s in (0, 1):
            cols, w2 = [], []
            for b in (0, 1):
                q = values[j, s, b]
                for i in np.flatnonzero(np.linalg.norm(q, axis=0) > tol * top):
                    nq = float(np.linalg.norm(q[:, i]))
                    cols.append(q[:, i] / np.sqrt(nq))
                    w2.append((1 - 2 * b) * np.sqrt(nq))
            if not cols:
                continue
            r = float(sum(w * w for w in w2))  # = sum ||q|| of the branch
            alpha = r ** (-1.0 / 6.0)
            branches.append((alpha * np.column_stack(cols), alpha * np.array(w2),
                             (1 - 2 * s) * r ** (1.0 / 3.0)))
    output = np.asarray(out.value, dtype=float).reshape(-1)
    return ThreeLayerSolution(value=float(problem.value), output=output, branches=branches,
                              first_patterns=D1, second_patterns=D2)


def three_layer_certificate(X, y, beta, output, first_patterns, second_patterns=None):
    """A lower bound on the optimum of every parallel three-layer ReLU network (any widths,
    regularization R), from any output (n,) on X.

    ``lambda = s (y - output)`` is scaled so that ``|lambda^T b| <= beta`` for every unit
    branch b (``sum ||q|| <= 1``), the maximum being computed exactly by one small conic
    program per second-layer pattern and sign; then
    ``lambda^T y - 0.5 ||lambda||^2 <= optimum``.  Valid for all networks when
    `first_patterns` are all the patterns of X and `second_patterns` all 0/1 vectors.

    Returns
    -------
    (lower_bound, max_ratio) : the bound and ``max |lambda0^T b| / beta`` for the unscaled
    residual
    """
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    beta = check_beta(beta)
    lam0 = y - check_y(output, n, "output")
    D1 = np.asarray(first_patterns, dtype=bool)
    D2 = _all_second_patterns(n) if second_patterns is None else \
        np.asarray(second_patterns, dtype=bool)
    S1 = 2.0 * D1 - 1.0
    P1 = D1.shape[0]
    qp, qm = cp.Variable((d, P1)), cp.Variable((d, P1))
    w = cp.Parameter(n)  # lambda * diag(D_j), one sign at a time
    sj = cp.Parameter(n)
    z = cp.sum(cp.multiply(D1.T, X @ (qp - qm)), axis=1)
    cons = [cp.multiply(S1.T, X @ qp) >= 0, cp.multiply(S1.T, X @ qm) >= 0,
            cp.multiply(sj, z) >= 0,
            cp.sum(cp.norm(qp, 2, axis=0)) + cp.sum(cp.norm(qm, 2, axis=0)) <= 1]
    problem = cp.Problem(cp.Maximize(w @ z), cons)
    cmax = 0.0
    for j in range(len(D2)):
        sj.value = 2.0 * D2[j] - 1.0
        for sign in (1.0, -1.0):
            w.value = sign * lam0 * D2[j]
            problem.solve(solver=cvxpy_solver())
            cmax = max(cmax, float(problem.value))
    nrm = float(lam0 @ lam0)
    s_max = np.inf if cmax == 0 else beta / cmax
    s = 0.0 if nrm == 0 else float(np.clip((lam0 @ y) / nrm, 0.0, s_max))
    lam_s = s * lam0
    return float(lam_s @ y - 0.5 * lam_s @ lam_s), cmax / beta


def train_three_layer(X, y, beta, *, branches: int = 8, width: int = 4, steps: int = 3000,
                      lr: float = 1e-2, seed: int = 0):
    """Train a parallel three-layer ReLU network with Adam (torch, float64, CPU) on
    ``0.5 ||f(X) - y||^2 + beta R``; returns the branches [(W1, w2, w3), ...]."""
    import torch

    X = check_X(X)
    y = check_y(y, X.shape[0])
    beta = check_beta(beta)
    K = check_positive_int(branches, "branches")
    m = check_positive_int(width, "width")
    steps = check_positive_int(steps, "steps")
    g = torch.Generator().manual_seed(int(seed))
    Xt, yt = torch.tensor(X), torch.tensor(y)
    W1 = (0.5 * torch.randn(K, X.shape[1], m, generator=g, dtype=torch.float64)).requires_grad_()
    w2 = (0.5 * torch.randn(K, m, generator=g, dtype=torch.float64)).requires_grad_()
    w3 = (0.5 * torch.randn(K, generator=g, dtype=torch.float64)).requires_grad_()
    opt = torch.optim.Adam([W1, w2, w3], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        h = torch.relu(torch.einsum("nd,kdm->knm", Xt, W1))
        out = (torch.relu(torch.einsum("knm,km->kn", h, w2)) * w3[:, None]).sum(0)
        reg = ((W1 ** 2).sum((1, 2)) ** 1.5 + (w2 ** 2).sum(1) ** 1.5 + w3.abs() ** 3).sum() / 3
        loss = 0.5 * ((out - yt) ** 2).sum() + beta * reg
        loss.backward()
        opt.step()
    return [(W1[k].detach().numpy().copy(), w2[k].detach().numpy().copy(),
             float(w3[k].detach())) for k in range(K)]

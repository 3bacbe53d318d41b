"""The convex program of a two-layer network: a group Lasso (chapter 2).

With patterns D_i, Dt_i = a*D_i + b*(I - D_i) and cones K_i = {u : (2 D_i - I) X u >= 0}
(MATH.md section 3):

    min_{u_i, v_i in K_i}  0.5 * || sum_i Dt_i X (u_i - v_i) - y ||^2
                           + beta * sum_i (||u_i||_2 + ||v_i||_2)

Gated ReLU drops the cones and the v_i.  The optimum with every pattern of X equals
the optimum of the non-convex network L of any width m >= m* (m* <= n + 1); with a
subset of patterns it is the optimum over networks whose neurons use those patterns.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_beta, check_choice, check_patterns, check_Xy
from .activations import ACTIVATIONS, pattern_slopes, slopes
from .certificates import cone_correlation, dual_bound, dual_residual
from .networks import LOSSES, TwoLayerNetwork, _make, data_loss
from .patterns import enumerate_patterns, sample_patterns

__all__ = [
    "ConvexSolution",
    "VectorSolution",
    "GlobalCertificate",
    "certify_global",
    "convex_objective",
    "cvxpy_solver",
    "solve_convex",
]

SOLVERS = ("auto", "cvxpy", "ipm", "fista", "al")

# "auto" switches from CVXPY to torch above this many mask entries n * P (below it
# CVXPY takes well under a second and is the exact reference); then it takes the
# interior-point method while its Newton systems are small (solvers.ipm_suits), the
# first-order solvers beyond (bench/solvers.py measures all of them)
AUTO_FAST_SIZE = 20_000


@dataclass
class ConvexSolution:
    """A solution of the convex program and how far from optimal it can be.

    Attributes
    ----------
    objective : float
        ``0.5*||sum_i Dt_i X (u_i - v_i) - y||^2 + beta*sum_i (||u_i|| + ||v_i||)``
        (the logistic loss in place of the squared one if ``loss="logistic"``); for a
        ReLU program it equals ``network().objective(X, y, beta)``.
    gap : float
        Upper bound on ``objective`` minus the optimum of this program (same
        patterns), from a dual-feasible point.  ``gap / objective`` is the relative
        accuracy.
    status : str
        "optimal" when the solver converged, otherwise what stopped it
        ("inaccurate", "max_iterations", ...); ``gap`` is reported either way.
    U, V : ndarray of shape (d, P)
        Primal blocks u_i, v_i as columns (V is zero for gated ReLU).
    patterns : ndarray of bool, shape (P, n)
    dual : ndarray of shape (n,)
        The dual-feasible lambda behind `gap`.
    """

    objective: float
    gap: float
    status: str
    U: np.ndarray
    V: np.ndarray
    patterns: np.ndarray
    beta: float
    activation: str = "relu"
    alpha: float = 0.01
    loss: str = "squared"
    gated: bool = False
    solver: str = "cvxpy"
    solve_time: float = 0.0
    dual: np.ndarray = field(default=None, repr=False)
    X: np.ndarray = field(default=None, repr=False)
    y: np.ndarray = field(default=None, repr=False)
    iterations: int = 0
    multipliers: np.ndarray = field(default=None, repr=False)

    @property
    def relative_gap(self) -> float:
        """``gap / max(objective, tiny)``."""
        return self.gap / max(abs(self.objective), 1e-300)

    @property
    def converged(self) -> bool:
        return self.status == "optimal"

    def predict(self, X=None) -> np.ndarray:
        """Convex model output ``sum_i Dt_i X (u_i - v_i)`` on the training data."""
        if X is not None and not np.array_equal(np.asarray(X, dtype=float), self.X):
            raise ValueError(
                "the convex model is defined on its training rows only (its patterns "
                "are fixed there); use solution.network().predict(X) for new data"
            )
        return _predict(self.X, self.U - self.V, self.patterns, self.activation, self.alpha)

    def active_blocks(self, tol: float = 1e-7) -> np.ndarray:
        """Indices i whose u_i or v_i has norm above `tol` times the largest."""
        nu = np.linalg.norm(self.U, axis=0)
        nv = np.linalg.norm(self.V, axis=0)
        top = max(nu.max(initial=0), nv.max(initial=0), 1e-300)
        return np.flatnonzero((nu > tol * top) | (nv > tol * top))

    def network(self, tol: float = 1e-7) -> TwoLayerNetwork:
        """Map the solution back to a two-layer network.

        Each nonzero u_i gives a neuron ``w = u_i / sqrt(||u_i||)``,
        ``a = +sqrt(||u_i||)``, each nonzero v_i ``w = v_i / sqrt(||v_i||)``,
        ``a = -sqrt(||v_i||)`` (blocks below `tol` times the largest are dropped).
        For a ReLU program the network's objective equals ``self.objective``.

        A gated-ReLU solution is first split by a cone decomposition: for each w_i
        the smallest ``u_i, v_i in K_i`` with ``u_i - v_i = w_i`` (Mishkin, Sahiner &
        Pilanci, 2022).  The network then gives the same outputs on X, but its
        objective can exceed the gated optimum (which is a lower bound).
        """
        U, V = self.U, self.V
        if self.gated:
            U, V = _cone_decomposition(self.X, self.U, self.patterns)
        cols, outs = [], []
        nu = np.linalg.norm(U, axis=0)
        nv = np.linalg.norm(V, axis=0)
        top = max(nu.max(initial=0), nv.max(initial=0), 1e-300)
        for block, norms, sign in ((U, nu, 1.0), (V, nv, -1.0)):
            for i in np.flatnonzero(norms > tol * top):
                cols.append(block[:, i] / np.sqrt(norms[i]))
                outs.append(sign * np.sqrt(norms[i]))
        d = U.shape[0]
        W1 = np.column_stack(cols) if cols else np.zeros((d, 0))
        return _make(W1, np.array(outs), self.activation, self.alpha)


@dataclass
class VectorSolution:
    """The program for targets Y of shape (n, c): one scalar solution per column.

    The objective and gap are sums over the columns (the program is separable);
    ``network()`` stacks the per-class neurons into one network with W2 of shape (m, c),
    each neuron feeding only its class.
    """

    solutions: list

    @property
    def objective(self) -> float:
        return float(sum(s.objective for s in self.solutions))

    @property
    def gap(self) -> float:
        return float(sum(s.gap for s in self.solutions))

    @property
    def relative_gap(self) -> float:
        return self.gap / max(abs(self.objective), 1e-300)

    @property
    def status(self) -> str:
        bad = [s.status for s in self.solutions if s.status != "optimal"]
        return "optimal" if not bad else bad[0]

    @property
    def solve_time(self) -> float:
        return float(sum(s.solve_time for s in self.solutions))

    @property
    def solver(self) -> str:
        return self.solutions[0].solver

    def predict(self) -> np.ndarray:
        return np.column_stack([s.predict() for s in self.solutions])

    def network(self, tol: float = 1e-7) -> TwoLayerNetwork:
        nets = [s.network(tol) for s in self.solutions]
        d = self.solutions[0].U.shape[0]
        W1 = np.hstack([net.W1 for net in nets]) if nets else np.zeros((d, 0))
        W2 = np.zeros((W1.shape[1], len(nets)))
        start = 0
        for c, net in enumerate(nets):
            W2[start:start + net.width, c] = net.w2
            start += net.width
        if W1.shape[1] == 0:
            W1, W2 = np.zeros((d, 1)), np.zeros((1, len(nets)))
        return TwoLayerNetwork(W1, W2, self.solutions[0].activation, self.solutions[0].alpha)


def _predict(X, W, patterns, activation, alpha):
    Dt = pattern_slopes(patterns, activation, alpha)  # (P, n)
    return np.sum(Dt.T * (X @ W), axis=1)


def convex_objective(X, y, beta, patterns, U, V=None, *, activation="relu",
                     alpha=0.01, loss="squared") -> float:
    """Value of the convex program at blocks U, V of shape (d, P)."""
    V = np.zeros_like(U) if V is None else V
    pred = _predict(X, U - V, patterns, activation, alpha)
    reg = np.linalg.norm(U, axis=0).sum() + np.linalg.norm(V, axis=0).sum()
    return data_loss(pred, y, loss) + beta * float(reg)


def cvxpy_solver() -> str:
    """The CVXPY solver we use: Clarabel if installed, else SCS."""
    import cvxpy as cp

    installed = cp.installed_solvers()
    for name in ("CLARABEL", "SCS"):
        if name in installed:
            return name
    raise RuntimeError(
        f"no conic solver for CVXPY is installed (found {installed}); "
        "pip install clarabel"
    )


def solve_convex(
    X,
    y,
    beta: float,
    patterns,
    *,
    activation: str = "relu",
    alpha: float = 0.01,
    loss: str = "squared",
    gated: bool = False,
    solver: str = "auto",
    cvxpy_solver_name: str | None = None,
    verbose: bool = False,
    tol: float = 1e-6,
    max_iter: int = 20_000,
    device: str | None = None,
    dtype: str = "float64",
    warm_start: "ConvexSolution | None" = None,
    progress: bool = True,
    chunk_rows: int | None = None,
) -> ConvexSolution:
    """Solve the convex program of a two-layer network on the given patterns.

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,) or (n, c)
        Targets; labels in {-1, +1} for ``loss="logistic"``.  With c columns (e.g.
        one-hot classes) the program has one group norm per (pattern, class) block and
        the patterns are shared, so it splits into c scalar programs: the result is a
        :class:`VectorSolution`.
    beta : float
        Weight decay, > 0.
    patterns : array_like of bool, shape (P, n)
        Rows are the diagonals of D_i (``enumerate_patterns`` or ``sample_patterns``).
    activation : {"relu", "leaky_relu", "absolute"}
    alpha : float
        Negative slope of the leaky ReLU.
    loss : {"squared", "logistic"}
    gated : bool
        Solve the gated-ReLU program (no cone constraints, no v_i).
    solver : {"auto", "cvxpy", "ipm", "fista", "al"}
        "cvxpy": CVXPY with Clarabel (SCS if Clarabel is missing), the exact
        reference.  "ipm": a primal-dual interior-point method in torch for both
        programs (float64; its Newton systems are n x n or Pd x Pd, so it suits n or
        P*d up to a few thousand).  "fista": accelerated proximal
        gradient in torch, gated ReLU only.  "al": augmented Lagrangian in torch for
        the cone-constrained program.  FISTA and the AL need O(n P) memory, scale to
        GPU sizes, and finish with a Newton polish on the support.  All torch solvers
        stop on the certified gap.  "auto": CVXPY when n * P <= 20,000; else the
        interior-point method when its Newton system is small enough
        (``solvers.ipm_suits``; CVXPY after all if it stalls short of `tol`), else
        FISTA (gated) or the AL (cones).
    cvxpy_solver_name : str, optional
        Override the CVXPY solver (e.g. "SCS").
    tol : float
        Torch solvers: stop when ``gap <= tol * objective``.
    max_iter : int
        Torch solvers: iteration limit (the interior-point method stops at 200 Newton
        steps at most); a solve that hits it says so in ``status`` ("max_iterations";
        "stalled" when round-off stops the interior-point method first) and still
        reports its certified gap.
    device : {"cpu", "cuda"}, optional
        Torch solvers: default "cuda" when a GPU is visible.
    dtype : {"float64", "float32"}
        Torch solvers' working precision (the certificate is computed in float64).
    warm_start : ConvexSolution, optional
        FISTA and the AL: start from this solution (same patterns), multipliers too.
        The interior-point method ignores it (interior points do not warm start).
    progress : bool
        Torch solvers: a progress bar for solves longer than a second.
    chunk_rows : int, optional
        FISTA: compute the products in row chunks of this size (same iterates, bounded
        temporaries).  By default chosen from a memory estimate: chunks are used when
        the full (n, P) temporaries would take over a quarter of the free memory; when X
        and the masks themselves do not fit a GPU, they stay in host memory and row
        chunks are streamed to the device for each product.  The choice is reported in
        ``solution.solver``.

    Returns
    -------
    ConvexSolution

    Raises
    ------
    ValueError, TypeError
        For bad inputs, naming the argument.
    RuntimeError
        If the solver fails outright.

    See Also
    --------
    certify_global : is the solution optimal for the non-convex network? (chapter 2)
    """
    X, y = check_Xy(X, y, allow_matrix=True)
    beta = check_beta(beta)
    patterns = check_patterns(patterns, X.shape[0])
    check_choice(activation, "activation", ACTIVATIONS)
    slopes(activation, alpha)
    check_choice(loss, "loss", LOSSES)
    check_choice(solver, "solver", SOLVERS)
    if y.ndim == 2:
        if loss != "squared":
            raise ValueError("vector outputs (y of shape (n, c)) use loss='squared' (one-hot "
                             "targets, as in the paper's experiments); the softmax loss is "
                             "not supported")
        warm = warm_start.solutions if isinstance(warm_start, VectorSolution) else \
            [None] * y.shape[1]
        return VectorSolution([
            solve_convex(X, y[:, c], beta, patterns, activation=activation, alpha=alpha,
                         loss=loss, gated=gated, solver=solver,
                         cvxpy_solver_name=cvxpy_solver_name, verbose=verbose, tol=tol,
                         max_iter=max_iter, device=device, dtype=dtype, warm_start=warm[c],
                         progress=progress, chunk_rows=chunk_rows)
            for c in range(y.shape[1])])
    if loss == "logistic" and not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("y must hold labels -1 and +1 for loss='logistic'")
    n, d = X.shape
    P = patterns.shape[0]
    chosen = solver == "auto"
    if solver == "auto":
        from .solvers import ipm_suits

        if n * P <= AUTO_FAST_SIZE:
            solver = "cvxpy"
        elif dtype == "float64" and ipm_suits(n, d, P, gated=gated, loss=loss,
                                              device=_auto_device(device)):
            solver = "ipm"
        else:
            solver = "fista" if gated else "al"
    if solver == "fista" and not gated:
        raise ValueError("solver='fista' solves the gated-ReLU program (gated=True); use "
                         "solver='al' for the program with cone constraints")
    if solver == "al" and gated:
        raise ValueError("solver='al' handles the cone constraints; gated ReLU has none: "
                         "use solver='fista'")
    if chosen and solver == "ipm":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="solver='ipm' stopped", category=RuntimeWarning)
            sol = _solve_fast(X, y, beta, patterns, activation, alpha, loss, gated, solver,
                              tol, max_iter, device, dtype, warm_start, progress, chunk_rows)
        if sol.status == "optimal":
            return sol
        # round-off stopped the interior-point method short of tol (degenerate programs,
        # e.g. all patterns of a few points): "auto" falls back on the exact reference
        solver = "cvxpy"
    if solver in ("ipm", "fista", "al"):
        return _solve_fast(X, y, beta, patterns, activation, alpha, loss, gated, solver,
                           tol, max_iter, device, dtype, warm_start, progress, chunk_rows)
    import cvxpy as cp

    DtT = pattern_slopes(patterns, activation, alpha).T  # (n, P)
    sign = np.where(patterns.T, 1.0, -1.0)  # (n, P)
    U = cp.Variable((d, P))
    if gated:
        W = U
        reg = cp.sum(cp.norm(U, 2, axis=0))
        cons = []
    else:
        V = cp.Variable((d, P))
        W = U - V
        reg = cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))
        cons = [cp.multiply(sign, X @ U) >= 0, cp.multiply(sign, X @ V) >= 0]
    pred = cp.sum(cp.multiply(DtT, X @ W), axis=1)
    if loss == "squared":
        data = 0.5 * cp.sum_squares(pred - y)
    else:
        data = cp.sum(cp.logistic(cp.multiply(-y, pred)))
    problem = cp.Problem(cp.Minimize(data + beta * reg), cons)
    name = cvxpy_solver_name or cvxpy_solver()
    start = time.perf_counter()
    try:
        problem.solve(solver=name, verbose=verbose)
    except cp.error.SolverError as exc:
        raise RuntimeError(
            f"CVXPY solver {name} failed on a program with n={n}, d={d}, P={P}: {exc}; "
            "try cvxpy_solver_name='SCS' or fewer patterns"
        ) from exc
    elapsed = time.perf_counter() - start
    if U.value is None:
        raise RuntimeError(f"CVXPY solver {name} returned no solution (status {problem.status})")
    status = {"optimal": "optimal", "optimal_inaccurate": "inaccurate"}.get(
        problem.status, problem.status
    )
    Uv = np.asarray(U.value)
    Vv = np.zeros_like(Uv) if gated else np.asarray(V.value)
    return _finish(X, y, beta, patterns, Uv, Vv, activation, alpha, loss, gated,
                   status, f"cvxpy-{name.lower()}", elapsed)


def _auto_device(device):
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _solve_fast(X, y, beta, patterns, activation, alpha, loss, gated, solver, tol,
                max_iter, device, dtype, warm_start, progress, chunk_rows) -> ConvexSolution:
    from .solvers import fast_solve

    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise ValueError(f"tol must be a relative gap in (0, 1), got {tol!r}")
    init = None
    if warm_start is not None:
        if not isinstance(warm_start, ConvexSolution):
            raise TypeError("warm_start must be a ConvexSolution")
        if warm_start.patterns.shape != patterns.shape or not np.array_equal(
                warm_start.patterns, patterns):
            raise ValueError("warm_start was solved on other patterns; pass the same ones")
        init = (warm_start.U, warm_start.V, warm_start.multipliers)
    out = fast_solve(X, y, beta, patterns, activation=activation, alpha=alpha, loss=loss,
                     gated=gated, solver=solver, tol=tol, max_iter=max_iter, device=device,
                     dtype=dtype, init=init, progress=progress, chunk_rows=chunk_rows)
    if out["status"] != "optimal":
        warnings.warn(
            f"solver={solver!r} stopped after {out['iterations']} iterations with a "
            f"relative gap of {out['gap'] / max(abs(out['objective']), 1e-300):.1e} > "
            f"tol={tol}; raise max_iter, or use solver='cvxpy'", RuntimeWarning,
            stacklevel=3)
    return ConvexSolution(
        objective=out["objective"], gap=out["gap"], status=out["status"], U=out["U"],
        V=out["V"], patterns=patterns, beta=beta, activation=activation, alpha=alpha,
        loss=loss, gated=gated,
        solver=f"{solver}-{out['device']}-{dtype}"
        + ("-streamed from host" if out["streamed"] else "")
        + (f"-chunks of {out['chunk_rows']} rows" if out["chunk_rows"] else ""),
        solve_time=out["time"], dual=out["dual"], X=X, y=y, iterations=out["iterations"],
        multipliers=out["multipliers"])


def _finish(X, y, beta, patterns, U, V, activation, alpha, loss, gated, status,
            solver, elapsed) -> ConvexSolution:
    """Objective and certified gap of primal blocks (shared by every solver)."""
    pred = _predict(X, U - V, patterns, activation, alpha)
    reg = np.linalg.norm(U, axis=0).sum() + np.linalg.norm(V, axis=0).sum()
    objective = data_loss(pred, y, loss) + beta * float(reg)
    lam0 = dual_residual(pred, y, loss)
    corr = cone_correlation(X, lam0, patterns, activation=activation, alpha=alpha,
                            gated=gated)
    dual_value, s = dual_bound(y, lam0, corr, beta, loss)
    return ConvexSolution(
        objective=objective,
        gap=max(objective - dual_value, 0.0),
        status=status,
        U=U,
        V=V,
        patterns=patterns,
        beta=beta,
        activation=activation,
        alpha=alpha,
        loss=loss,
        gated=gated,
        solver=solver,
        solve_time=elapsed,
        dual=s * lam0,
        X=X,
        y=y,
    )


def _cone_decomposition(X, W, patterns):
    """Smallest u_i, v_i in K_i with u_i - v_i = w_i for every column of W."""
    import cvxpy as cp

    sign = np.where(patterns.T, 1.0, -1.0)
    V = cp.Variable(W.shape)
    U = W + V
    problem = cp.Problem(
        cp.Minimize(cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))),
        [cp.multiply(sign, X @ U) >= 0, cp.multiply(sign, X @ V) >= 0],
    )
    problem.solve(solver=cvxpy_solver())
    if V.value is None:
        raise RuntimeError(
            "the cone decomposition failed: some gate pattern is not an open cell of X "
            f"(status {problem.status}); use patterns from enumerate_patterns or "
            "sample_patterns"
        )
    Vv = np.asarray(V.value)
    return W + Vv, Vv


@dataclass
class GlobalCertificate:
    """Is a solution optimal for the full non-convex problem (every direction u)?

    Attributes
    ----------
    status : {"optimal", "not_optimal", "no_violation_found"}
        "optimal": ``global_gap <= rtol * objective``, proven over every pattern of X.
        "not_optimal": some direction u has ``|lambda^T sigma(X u)| > beta ||u||``; a
        neuron along it lowers the objective.
        "no_violation_found": the random search found none; this is no proof.
    method : {"exact", "random"}
    global_gap : float or None
        ``objective - lower bound`` on the optimum of the non-convex problem of any
        width (exact method only).
    max_ratio : float
        ``max_i c_i / beta`` over the patterns checked, with lambda the solution's
        unscaled dual residual; above 1 means a violation.
    n_patterns : int
        Number of patterns checked.
    """

    status: str
    method: str
    global_gap: float | None
    lower_bound: float | None
    max_ratio: float
    n_patterns: int
    message: str = ""


def certify_global(
    X,
    y,
    beta: float,
    solution: ConvexSolution,
    *,
    max_patterns: int = 200_000,
    n_random: int = 20_000,
    rtol: float = 1e-5,
    seed=0,
) -> GlobalCertificate:
    """Check a convex solution against every direction u, not only its patterns.

    With lambda the solution's dual residual, the solution is optimal for the
    non-convex problem iff ``max_{||u|| <= 1} |lambda^T sigma(X u)| <= beta``
    (MATH.md section 4).  When the patterns of X can be enumerated the check is
    exact and gives a lower bound on the optimum over networks of any width;
    otherwise `n_random` Gaussian directions are tried, which can only find
    violations.
    """
    X, y = check_Xy(X, y)
    beta = check_beta(beta)
    if not isinstance(solution, ConvexSolution):
        raise TypeError("solution must be a ConvexSolution from solve_convex")
    if solution.X is None or solution.X.shape != X.shape or not np.allclose(solution.X, X):
        raise ValueError("solution was computed on a different X; pass the same data")
    pred = solution.predict()
    lam0 = dual_residual(pred, y, solution.loss)
    kw = dict(activation=solution.activation, alpha=solution.alpha, gated=solution.gated)
    try:
        patterns = enumerate_patterns(X, max_patterns=max_patterns)
        method = "exact"
    except ValueError:
        patterns = sample_patterns(X, n_random, seed=seed)
        method = "random"
    corr = cone_correlation(X, lam0, patterns, **kw)
    ratio = float(corr.max() / beta)
    if method == "exact":
        lower, _ = dual_bound(y, lam0, corr, beta, solution.loss)
        gap = max(solution.objective - lower, 0.0)
        ok = gap <= rtol * max(abs(solution.objective), 1e-300)
        return GlobalCertificate(
            "optimal" if ok else "not_optimal", method, gap, lower, ratio, len(patterns),
            f"exact check over all {len(patterns)} patterns: global gap "
            + (f"below {rtol:g} x objective" if ok else f"{gap:.4g}"),
        )
    status = "not_optimal" if ratio > 1 + rtol else "no_violation_found"
    msg = (
        f"random search over {len(patterns)} patterns: max |lambda^T sigma(Xu)|/beta = "
        f"{ratio:.4f}" + ("" if status == "not_optimal" else "; this is not a proof")
    )
    return GlobalCertificate(status, method, None, None, ratio, len(patterns), msg)


def solve_path(X, y, betas, patterns, *, solver="auto", **kwargs) -> list:
    """Solve the program along a grid of beta with warm starts (chapter 7).

    The betas are solved from the largest to the smallest, each torch solve starting
    from the previous solution (CVXPY has no warm start), and returned in the order
    given.  Larger beta means fewer active neurons: the "path of neural networks".

    Parameters
    ----------
    betas : sequence of float, each > 0
    kwargs : passed to :func:`solve_convex`

    Returns
    -------
    list of ConvexSolution, one per beta
    """
    betas = [check_beta(b, "betas") for b in np.atleast_1d(betas)]
    if not betas:
        raise ValueError("betas is empty; pass at least one value")
    order = np.argsort(betas)[::-1]
    out = [None] * len(betas)
    previous = None
    for k in order:
        torch_solved = previous is not None and previous.solver.split("-")[0] in ("fista", "al")
        warm = previous if torch_solved else None
        sol = solve_convex(X, y, betas[k], patterns, solver=solver, warm_start=warm, **kwargs)
        out[k] = previous = sol
    return out

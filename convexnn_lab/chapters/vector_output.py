"""Vector outputs done properly: a nuclear-norm penalty per pattern couples the classes
(chapter 6, section "Vector outputs that share neurons").

A two-layer ReLU network with c outputs, ``f(X) = (X W1)_+ W2`` with W1 (d, m), W2 (m, c),
trained with weight decay,

    L(W1, W2) = 0.5 * ||f(X) - Y||_F^2 + (beta/2) * (||W1||_F^2 + ||W2||_F^2),

is, by Sahiner, Ergen, Pauly & Pilanci (ICLR 2021, "Vector-output ReLU neural network
problems are copositive programs"), equivalent to a convex copositive program: one d x c
block V_i per pattern D_i, penalised by a *cone-constrained* nuclear norm (the gauge of
the convex hull of the rank-one matrices ``u g^T`` with ``u`` in the cone K_i and
``||u g^T||_* <= 1``).  That program is exact but hard in general (the abstract: polynomial
for data of fixed rank, exponential in the dimension).  This module implements the
tractable programs around it:

``VectorProgram`` (the nuclear-norm program, a relaxation)
    min_{V_i}  0.5 * || sum_i D_i X V_i - Y ||_F^2 + beta * sum_i ||V_i||_*

    It drops the cone from the gauge, so its optimum is a lower bound on L over every
    network whose neurons use the patterns given (with all patterns of X: on L itself).
    It is *exactly* the vector-output gated-ReLU problem (gates D_i fixed).  When every
    left singular vector of every V_i lies in K_i or in -K_i, the network it maps to is a
    ReLU network with the same objective, so the bound is attained: the relaxation is
    exact (checked a posteriori by :meth:`VectorSolution.network_is_exact`).

``copositive_relaxation`` (the lifted relaxation, CVXPY, small sizes)
    the same with the lifted variables ``[[A_i, V_i], [V_i^T, B_i]] >= 0`` (PSD) and the
    cone kept on the lifted block, ``(2 D_i - I) X A_i X^T (2 D_i - I) >= 0`` entrywise,
    and ``(tr A_i + tr B_i) / 2`` for ``||V_i||_*``: tighter than the nuclear-norm program,
    still a lower bound on L.

The one-vs-all program (``solve_convex`` with Y of shape (n, c), ``VectorSolution`` in
``solution``) is a *restriction*: each neuron feeds one class (W2 block-diagonal), and
``sum_c ||v_ic|| >= ||V_i||_*``, so its optimum is never below the nuclear-norm program's.

Dual and certificate (squared loss): for any Lambda (n, c) with
``||X^T D_i Lambda||_2 <= beta`` (spectral norm) for every i,

    tr(Lambda^T Y) - 0.5 * ||Lambda||_F^2  <=  optimum of VectorProgram,

the nuclear norm's dual being the spectral norm.  Scaling ``Lambda = s (Y - prediction)``
into that set gives :class:`~convexnn_lab.core.certificates.Certificate`.  Notation: chapter 00.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._internal.validation import check_beta, check_patterns, check_positive_int, check_X, check_y
from ..core.certificates import ZERO_BLOCK_RTOL, Certificate, gap_within
from ..core.networks import TwoLayerNetwork
from ..status import INACCURATE, OPTIMAL, from_cvxpy

__all__ = ["VectorComparison", "VectorProgram", "VectorOutputSolution", "compare_one_vs_all",
           "copositive_relaxation",
           "singular_value_threshold", "solve_vector", "vector_certificate"]


def singular_value_threshold(V, tau: float) -> np.ndarray:
    """The proximal map of ``tau * ||.||_*`` on each block: ``U diag((s - tau)_+) W^T``.

    Parameters
    ----------
    V : ndarray of shape (P, d, c)
    tau : float, >= 0

    Returns
    -------
    ndarray of shape (P, d, c)
    """
    U, s, Wt = np.linalg.svd(V, full_matrices=False)
    return (U * np.maximum(s - tau, 0.0)[:, None, :]) @ Wt


class VectorProgram:
    """The nuclear-norm program of a vector-output two-layer network on patterns D_i.

    ``min_{V_i} 0.5 * ||sum_i D_i X V_i - Y||_F^2 + beta * sum_i ||V_i||_*``

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data, a column of ones included if the network has a bias.
    Y : array_like of shape (n, c)
        Targets (one-hot rows for classification), c >= 1.
    beta : float
        Weight decay, > 0.
    patterns : array_like of bool, shape (P, n)
        Row i is the diagonal of D_i.

    Attributes
    ----------
    X (n, d), Y (n, c), beta, patterns (P, n) bool; masks : float ndarray (P, n)

    Raises
    ------
    ValueError, TypeError
        For bad inputs, naming the argument.
    """

    def __init__(self, X, Y, beta, patterns):
        X = check_X(X)
        Y = check_y(Y, X.shape[0], "Y", allow_matrix=True)
        if Y.ndim == 1:
            Y = Y[:, None]
        self.X, self.Y = X.copy(), Y.copy()
        self.beta = check_beta(beta)
        self.patterns = check_patterns(patterns, X.shape[0]).copy()
        self.masks = self.patterns.astype(np.float64)
        self.signs = 2.0 * self.masks - 1.0
        for arr in (self.X, self.Y, self.patterns, self.masks, self.signs):
            arr.setflags(write=False)

    n = property(lambda self: int(self.X.shape[0]))
    d = property(lambda self: int(self.X.shape[1]))
    c = property(lambda self: int(self.Y.shape[1]))
    P = property(lambda self: int(self.patterns.shape[0]))

    def __repr__(self):
        return (f"VectorProgram(n={self.n}, d={self.d}, c={self.c}, P={self.P}, "
                f"beta={self.beta:g})")

    def blocks(self, V) -> np.ndarray:
        """V as float64 of shape (P, d, c), checked."""
        V = np.asarray(V, dtype=np.float64)
        if V.shape != (self.P, self.d, self.c):
            raise ValueError(f"V must have shape (P, d, c) = ({self.P}, {self.d}, {self.c}), "
                             f"one d x c block per pattern, got {V.shape}")
        if not np.isfinite(V).all():
            raise ValueError("V contains NaN or infinite values")
        return V

    def predict(self, V) -> np.ndarray:
        """``sum_i D_i X V_i``, shape (n, c): masked products, never the matrices D_i X."""
        XV = np.matmul(self.X[None], V)  # (P, n, c)
        return np.einsum("pn,pnc->nc", self.masks, XV)

    def adjoint(self, R) -> np.ndarray:
        """``X^T D_i R`` for every i, shape (P, d, c), for R of shape (n, c)."""
        return np.matmul(self.X.T[None], self.masks[:, :, None] * R[None])

    def predict_gated(self, V, X_new, gates) -> np.ndarray:
        """The gated model on new rows: ``sum_i 1[X_new g_i >= 0] * (X_new V_i)``, (k, c).

        `gates` (d, P) are the directions g_i whose patterns on X are the program's.
        """
        X_new = check_X(X_new, "X_new")
        gates = np.asarray(gates, dtype=np.float64)
        if gates.shape != (self.d, self.P) or X_new.shape[1] != self.d:
            raise ValueError(f"gates must have shape (d, P) = ({self.d}, {self.P}) and X_new "
                             f"d = {self.d} columns; got {gates.shape} and {X_new.shape}")
        mask = (X_new @ gates >= 0).T.astype(np.float64)
        return np.einsum("pk,pkc->kc", mask, np.matmul(X_new[None], V))

    def regularization(self, V) -> float:
        """``sum_i ||V_i||_*``."""
        return float(np.linalg.svd(V, compute_uv=False).sum())

    def objective(self, V) -> float:
        """``0.5 * ||sum_i D_i X V_i - Y||_F^2 + beta * sum_i ||V_i||_*``."""
        V = self.blocks(V)
        R = self.predict(V) - self.Y
        return 0.5 * float(np.sum(R * R)) + self.beta * self.regularization(V)

    def lipschitz(self, iters: int = 100, seed: int = 0) -> float:
        """An upper estimate of ``||A||^2`` for ``A: V -> sum_i D_i X V_i`` (power method,
        times 1.01 for safety)."""
        rng = np.random.default_rng(seed)
        V = rng.standard_normal((self.P, self.d, self.c))
        lam = 0.0
        for _ in range(iters):
            W = self.adjoint(self.predict(V))
            lam = float(np.linalg.norm(W))
            if lam == 0:
                return 1.0
            V = W / lam
        return 1.01 * lam


def vector_certificate(program: VectorProgram, V) -> Certificate:
    """The duality-gap certificate of blocks V (P, d, c) for the nuclear-norm program.

    ``Lambda0 = Y - prediction``; ``c_i = ||X^T D_i Lambda0||_2`` (spectral norm); the best
    ``Lambda = s Lambda0`` with ``s * max_i c_i <= beta`` gives the lower bound
    ``tr(Lambda^T Y) - 0.5 ||Lambda||_F^2``.  The bound holds for the program on these
    patterns (and for the ReLU network problem when the patterns are all of X's).
    """
    V = program.blocks(V)
    lam0 = program.Y - program.predict(V)
    objective = 0.5 * float(np.sum(lam0 * lam0)) + program.beta * program.regularization(V)
    corr = np.linalg.norm(program.adjoint(lam0), ord=2, axis=(1, 2))
    cmax = float(corr.max(initial=0.0))
    nrm = float(np.sum(lam0 * lam0))
    s_max = np.inf if cmax == 0 else program.beta / cmax
    s = 0.0 if nrm == 0 else float(np.clip(np.sum(lam0 * program.Y) / nrm, 0.0, s_max))
    lam = s * lam0
    lower = float(np.sum(lam * program.Y) - 0.5 * np.sum(lam * lam))
    return Certificate(objective=objective, lower_bound=lower,
                       gap=max(objective - lower, 0.0), dual=lam,
                       max_ratio=cmax / program.beta, cone_violation=0.0, exact=True)


@dataclass
class VectorOutputSolution:
    """A point V of a :class:`VectorProgram`, its certificate and how it was found.

    Attributes
    ----------
    program : VectorProgram
    V : ndarray of shape (P, d, c)
        One block per pattern.
    certificate : Certificate
        For the nuclear-norm program (``dual`` has shape (n, c)).
    status : str
        "optimal" (the certificate proves the tolerance asked for), or "max_iterations".
    method : str
        "fista-svt" or "cvxpy-<solver>".
    iterations : int
    time : float
        Seconds.
    """

    program: VectorProgram
    V: np.ndarray
    certificate: Certificate
    status: str
    method: str
    iterations: int = 0
    time: float = 0.0
    _net: dict = field(default_factory=dict, repr=False)

    objective = property(lambda self: self.certificate.objective)
    gap = property(lambda self: self.certificate.gap)
    relative_gap = property(lambda self: self.certificate.relative_gap)

    def predict(self) -> np.ndarray:
        """The program's output on its training rows, shape (n, c)."""
        return self.program.predict(self.V)

    def rank_one_terms(self, tol: float = ZERO_BLOCK_RTOL):
        """The SVD terms ``sigma * u g^T`` of every block above `tol` times the largest
        singular value: list of (i, sigma, u (d,), g (c,))."""
        U, s, Wt = np.linalg.svd(self.V, full_matrices=False)
        top = max(float(s.max(initial=0.0)), 1e-300)
        return [(i, float(s[i, k]), U[i, :, k], Wt[i, k, :])
                for i in range(self.program.P) for k in range(s.shape[1])
                if s[i, k] > tol * top]

    def neurons(self, tol: float = ZERO_BLOCK_RTOL) -> int:
        """Number of rank-one terms: the gated network's width (``sum_i rank V_i``)."""
        return len(self.rank_one_terms(tol))

    def _cone_side(self, i, u):
        """+1 if u lies in K_i, -1 if -u does, 0 if neither (to round-off)."""
        z = self.program.signs[i] * (self.program.X @ u)
        slack = 1e-7 * max(float(np.abs(z).max(initial=0.0)), 1e-300)
        if z.min(initial=0.0) >= -slack:
            return 1
        if z.max(initial=0.0) <= slack:
            return -1
        return 0

    def network_is_exact(self, tol: float = ZERO_BLOCK_RTOL) -> bool:
        """Does every left singular vector lie in K_i or -K_i?  Then the mapped ReLU network
        reproduces the program's output and objective, and (with all patterns of X) the
        relaxation is exact: that network is a global optimum of L."""
        return all(self._cone_side(i, u) != 0 for i, _, u, _ in self.rank_one_terms(tol))

    def network(self, tol: float = ZERO_BLOCK_RTOL) -> TwoLayerNetwork:
        """Map back to a ReLU network with W2 of shape (m, c).

        Each SVD term ``sigma u g^T`` of V_i with u in K_i (or in -K_i) gives one neuron
        ``w = +-sqrt(sigma) u``, ``a = +-sqrt(sigma) g``: its output is ``D_i X (sigma u) g^T``
        and its cost ``beta * sigma``.  A term whose u lies in neither cone is split by
        the cone decomposition ``sigma u = p - q`` with p, q in K_i (the smallest
        ``||p|| + ||q||``) into two neurons (p, g) and (q, -g): the output on X is kept,
        the cost grows to ``beta (||p|| + ||q||)``, so then the network's objective is
        above the program's (an upper bound, the certificate a lower bound).
        """
        key = float(tol)
        if key in self._net:
            return self._net[key]
        prog = self.program
        cols, outs, split = [], [], []
        for i, sigma, u, g in self.rank_one_terms(tol):
            side = self._cone_side(i, u)
            if side != 0:
                cols.append(side * np.sqrt(sigma) * u)
                outs.append(side * np.sqrt(sigma) * g)
            else:
                split.append((i, sigma * u, g))
        if split:
            from ..core.program import ConvexProgram
            from ..core.solution import cone_decomposition

            rows = np.array([prog.patterns[i] for i, _, _ in split])
            W = np.column_stack([z for _, z, _ in split])
            scalar = ConvexProgram(prog.X, np.zeros(prog.n), 1.0, rows)
            Pp, Qq = cone_decomposition(scalar, W)
            for k, (_, _, g) in enumerate(split):
                for z, sign in ((Pp[:, k], 1.0), (Qq[:, k], -1.0)):
                    nz = float(np.linalg.norm(z))
                    if nz > 0:
                        cols.append(z / np.sqrt(nz))
                        outs.append(sign * np.sqrt(nz) * g)
        if not cols:
            net = TwoLayerNetwork(np.zeros((prog.d, 1)), np.zeros((1, prog.c)))
        else:
            net = TwoLayerNetwork(np.column_stack(cols), np.array(outs))
        self._net[key] = net
        return net


def _fista(program: VectorProgram, *, tol: float, max_iter: int, check_every: int = 10):
    L = program.lipschitz()
    step = 1.0 / L
    V = np.zeros((program.P, program.d, program.c))
    Z, t = V.copy(), 1.0
    cert = vector_certificate(program, V)
    it = 0
    for it in range(1, max_iter + 1):
        G = program.adjoint(program.predict(Z) - program.Y)
        V_new = singular_value_threshold(Z - step * G, step * program.beta)
        # adaptive restart (O'Donoghue & Candes): momentum off when it points uphill
        if np.sum((Z - V_new) * (V_new - V)) > 0:
            t = 1.0
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        Z = V_new + ((t - 1) / t_new) * (V_new - V)
        V, t = V_new, t_new
        if it % check_every == 0 or it == max_iter:
            cert = vector_certificate(program, V)
            if gap_within(cert.gap, cert.objective, tol):
                return V, cert, "optimal", it
    return V, cert, "max_iterations", it


def _cvxpy(program: VectorProgram):
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    Vs = [cp.Variable((program.d, program.c)) for _ in range(program.P)]
    pred = sum(cp.multiply(program.masks[i][:, None], program.X @ Vs[i])
               for i in range(program.P))
    obj = 0.5 * cp.sum_squares(pred - program.Y) + program.beta * sum(
        cp.normNuc(V) for V in Vs)
    problem = cp.Problem(cp.Minimize(obj))
    name = cvxpy_solver()
    problem.solve(solver=name)
    if Vs[0].value is None:
        raise RuntimeError(f"CVXPY ({name}) failed on the nuclear-norm program: status "
                           f"{problem.status}")
    V = np.stack([np.asarray(v.value) for v in Vs])
    return V, "cvxpy-" + name.lower(), from_cvxpy(problem.status)


def solve_vector(X, Y, beta, patterns, *, solver: str = "fista", tol: float = 1e-6,
                 max_iter: int = 20_000) -> VectorOutputSolution:
    """Solve the nuclear-norm program ``min 0.5||sum_i D_i X V_i - Y||_F^2 + beta sum_i
    ||V_i||_*``.

    Parameters
    ----------
    X : array_like (n, d); Y : array_like (n, c); beta : float > 0
    patterns : array_like of bool (P, n)
    solver : {"fista", "cvxpy"}
        "fista": accelerated proximal gradient with singular-value thresholding on each
        d x c block (one product ``X V`` and one adjoint an iteration, patterns as
        masks), stopped when the certificate proves `tol`.  "cvxpy": the reference
        (Clarabel, SCS if missing), for small sizes.
    tol : float
        Relative duality gap to stop at (FISTA); in (0, 1).
    max_iter : int
        FISTA's iteration limit; a solve that hits it says so in ``status``.

    Returns
    -------
    VectorOutputSolution

    Raises
    ------
    ValueError
        For bad inputs, naming the argument.
    """
    if solver not in ("fista", "cvxpy"):
        raise ValueError(f"solver must be 'fista' or 'cvxpy', got {solver!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise ValueError(f"tol must be a relative gap in (0, 1), got {tol!r}")
    max_iter = check_positive_int(max_iter, "max_iter")
    program = VectorProgram(X, Y, beta, patterns)
    start = time.perf_counter()
    if solver == "fista":
        V, cert, status, it = _fista(program, tol=tol, max_iter=max_iter)
        method = "fista-svt"
    else:
        V, method, cstatus = _cvxpy(program)
        cert = vector_certificate(program, V)
        status = OPTIMAL if cstatus == OPTIMAL else INACCURATE
        it = 0
    return VectorOutputSolution(program=program, V=V, certificate=cert, status=status,
                                method=method, iterations=it,
                                time=time.perf_counter() - start)


def copositive_relaxation(X, Y, beta, patterns) -> float:
    """Optimal value of the lifted (copositive-type) relaxation, by CVXPY (small sizes).

    ``min 0.5 ||sum_i D_i X V_i - Y||_F^2 + beta * sum_i (tr A_i + tr B_i) / 2``
    over ``[[A_i, V_i], [V_i^T, B_i]]`` PSD with ``(2D_i - I) X A_i X^T (2D_i - I) >= 0``
    entrywise.  Every ReLU network whose neurons use these patterns is feasible (with
    ``A_i = sum_k w_k w_k^T``, ``B_i = sum_k a_k a_k^T``) at its own objective L, so the
    value is a lower bound on L over such networks, and at least the nuclear-norm
    program's optimum (drop the entrywise constraint).

    Returns
    -------
    float
    """
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    prog = VectorProgram(X, Y, beta, patterns)
    d, c = prog.d, prog.c
    Ms = [cp.Variable((d + c, d + c), PSD=True) for _ in range(prog.P)]
    pred, reg, cons = 0, 0, []
    for i, M in enumerate(Ms):
        A, V = M[:d, :d], M[:d, d:]
        SX = prog.signs[i][:, None] * prog.X
        pred = pred + cp.multiply(prog.masks[i][:, None], prog.X @ V)
        reg = reg + 0.5 * cp.trace(M)
        cons.append(SX @ A @ SX.T >= 0)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(pred - prog.Y) + prog.beta * reg),
                         cons)
    problem.solve(solver=cvxpy_solver())
    if problem.value is None or problem.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"CVXPY failed on the copositive relaxation: {problem.status}")
    return float(problem.value)


@dataclass(frozen=True)
class VectorComparison:
    """One program's row in :func:`compare_one_vs_all` (all objectives use L's scaling).

    Attributes
    ----------
    method : str
    program_objective : float
        The program's objective at its solution (= the gated network's L).
    lower_bound : float
        Certified lower bound on that program's optimum.
    relu_objective : float
        L of the ReLU network the solution maps to, on the same (X, Y, beta).
    gated_neurons, relu_neurons : int
        Width of the gated network (rank-one terms) and of the mapped ReLU network.
    relu_exact : bool
        The map needed no cone decomposition (then ``relu_objective == program_objective``).
    train_accuracy, test_accuracy : float
        The mapped ReLU network's (test: nan without test data).
    gated_test_accuracy : float
        The gated model's on the test rows (nan without `gates`).
    """

    method: str
    program_objective: float
    lower_bound: float
    relu_objective: float
    gated_neurons: int
    relu_neurons: int
    relu_exact: bool
    train_accuracy: float
    test_accuracy: float
    gated_test_accuracy: float


def compare_one_vs_all(X, Y, beta, patterns, *, gates=None, X_test=None, labels_test=None,
                       tol: float = 1e-6) -> list:
    """The nuclear-norm program against one-vs-all on the same data and patterns.

    Both are solved on (X, Y, beta, patterns) and gated (no cones: the patterns act as
    gates), each mapped to a ReLU network (SVD terms, cone decomposition where needed)
    and scored under the same vector objective L.  On the same patterns the nuclear-norm
    optimum is never above one-vs-all's (``||V_i||_* <= sum_c ||v_ic||``).

    Parameters
    ----------
    X (n, d), Y (n, c) one-hot, beta > 0, patterns (P, n) bool
    gates : ndarray (d, P), optional
        The directions behind the patterns, to score the gated models on `X_test`.
    X_test : ndarray (k, d), optional; labels_test : int array (k,), optional

    Returns
    -------
    list of VectorComparison: [nuclear-norm, one-vs-all]
    """
    from ..solvers import solve_convex

    prog = VectorProgram(X, Y, beta, patterns)
    labels = prog.Y.argmax(axis=1)
    nuc = solve_vector(X, Y, beta, patterns, tol=tol)
    ova = solve_convex(X, prog.Y, beta, patterns, gated=True, solver="fista", tol=tol,
                       progress=False)
    rows = []
    for name, sol in (("nuclear norm (classes coupled)", nuc),
                      ("one-vs-all (one program per class)", ova)):
        net = sol.network()
        if sol is nuc:
            lower, gated_m = nuc.certificate.lower_bound, nuc.neurons()
            exact = nuc.network_is_exact()
            gated_out = None if gates is None or X_test is None else \
                prog.predict_gated(nuc.V, X_test, gates)
        else:
            lower = ova.objective - ova.gap
            gated_m = int(sum(len(s.active_blocks()) for s in ova.solutions))
            exact = False
            gated_out = None
            if gates is not None and X_test is not None:
                mask = (np.asarray(X_test) @ gates >= 0).astype(float)
                gated_out = np.column_stack([np.sum(mask * (X_test @ s.U), axis=1)
                                             for s in ova.solutions])
        relu_obj = net.objective(prog.X, prog.Y, prog.beta)
        if sol is not nuc:
            exact = bool(np.isclose(relu_obj, ova.objective, rtol=1e-6))
        test = np.nan if X_test is None else net.accuracy(X_test, labels_test)
        gtest = np.nan if gated_out is None else float(
            np.mean(gated_out.argmax(axis=1) == np.asarray(labels_test)))
        rows.append(VectorComparison(
            method=name, program_objective=sol.objective, lower_bound=float(lower),
            relu_objective=float(relu_obj), gated_neurons=int(gated_m),
            relu_neurons=net.width, relu_exact=bool(exact),
            train_accuracy=net.accuracy(prog.X, labels), test_accuracy=float(test),
            gated_test_accuracy=gtest))
    return rows

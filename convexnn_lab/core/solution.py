"""A solution of the convex program, its certificate, and the network it maps to (chapter 2).

Map back (notation section of chapter 00): each nonzero u_i gives a neuron
``w = u_i / sqrt(||u_i||)``, ``a = +sqrt(||u_i||)``; each nonzero v_i gives
``w = v_i / sqrt(||v_i||)``, ``a = -sqrt(||v_i||)``.  For the program with cones the
network's objective equals the solution's objective.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ..status import OPTIMAL, SOLVE_STATUSES, is_certified
from .certificates import ZERO_BLOCK_RTOL, Certificate
from .networks import TwoLayerNetwork, _make, stack_outputs
from .program import ConvexProgram

__all__ = ["ConvexSolution", "STATUSES", "SolverResult", "VectorSolution", "kept_blocks"]

# every status a solve can end with (``convexnn_lab.status``)
STATUSES = SOLVE_STATUSES


@dataclass
class SolverResult:
    """What a solver returns: the point and how it got there.

    Attributes
    ----------
    U, V : ndarray of shape (d, P)
        Blocks u_i, v_i as columns (V is zero for gated ReLU).
    status : str
        One of ``STATUSES``, as the solver saw it.
    method : str
        "cvxpy-clarabel", "ipm", "fista", "al", ...
    iterations : int
        The solver's iterations (CVXPY: its conic solver's, where it reports them, else 0).
    time : float
        Seconds.
    device, dtype : str
    multipliers : ndarray of shape (n, 2P), optional
        Multipliers Gamma >= 0 of the cone rows (interior point, augmented Lagrangian).
    chunk_rows : int, optional
        FISTA: rows per chunk of the products.
    streamed : bool
        FISTA: X and the masks were streamed from host memory.
    route : str, optional
        Interior point: "rows" (n x n Newton systems) or "columns" ((Pd) x (Pd)).
    history : list of (iteration, objective, gap)
        Certified points met on the way (torch solvers; the interior point certifies
        its iterates once their complementarity gap is within 1e3 tol of the objective,
        and its last one).
    ranks : int
        Processes the rows were sharded across (``solve_convex(..., distributed=True)``);
        the multipliers then hold this rank's rows.
    phases : dict
        Torch solvers: seconds per phase of the solve, e.g. ``{"newton": 1.2, "gram":
        0.7, "directions": 0.6, "certificate": 0.3, "other": 0.1}`` (``solvers.phases``
        says what each holds; "gram" is part of "newton").
    schedule : (float, int), optional
        Augmented Lagrangian: the penalty rho and inner-iteration budget its next outer
        step would have used; a solve of the same program warm-started from this one
        resumes them (``solve_convex``'s `warm_start`).
    """

    U: np.ndarray
    V: np.ndarray
    status: str
    method: str
    iterations: int = 0
    time: float = 0.0
    device: str = "cpu"
    dtype: str = "float64"
    multipliers: np.ndarray | None = field(default=None, repr=False)
    chunk_rows: int | None = None
    streamed: bool = False
    route: str | None = None
    history: list = field(default_factory=list, repr=False)
    ranks: int = 1
    phases: dict = field(default_factory=dict, repr=False)
    schedule: tuple | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def name(self) -> str:
        """A readable summary, e.g. ``"fista-cpu-float32-chunks of 200 rows"``."""
        if self.method.startswith("cvxpy"):
            return self.method
        return (f"{self.method}-{self.device}-{self.dtype}"
                + ("-streamed from host" if self.streamed else "")
                + (f"-chunks of {self.chunk_rows} rows" if self.chunk_rows else "")
                + (f"-rows on {self.ranks} ranks" if self.ranks > 1 else ""))


@dataclass
class ConvexSolution:
    """A point of a :class:`ConvexProgram`, its certificate and how it was found.

    Attributes
    ----------
    program : ConvexProgram
        The program solved: X, y, beta, patterns, activation, loss, gated.
    U, V : ndarray of shape (d, P)
        Blocks u_i, v_i as columns (V is zero for gated ReLU).
    certificate : Certificate
        Computed on U, V as returned (float64), for `program`.
    status : str
        One of ``STATUSES``: "optimal" only when the certificate proves the tolerance
        asked for and every block lies in its cone.
    result : SolverResult
        What the solver reported (iterations, time, device, multipliers, history).
    """

    program: ConvexProgram
    U: np.ndarray
    V: np.ndarray
    certificate: Certificate
    status: str
    result: SolverResult = field(repr=False)

    # --- the program's data ---------------------------------------------------------
    X = property(lambda self: self.program.X)
    y = property(lambda self: self.program.y)
    beta = property(lambda self: self.program.beta)
    patterns = property(lambda self: self.program.patterns)
    activation = property(lambda self: self.program.activation)
    alpha = property(lambda self: self.program.alpha)
    loss = property(lambda self: self.program.loss)
    gated = property(lambda self: self.program.gated)

    # --- the certificate --------------------------------------------------------------
    @property
    def objective(self) -> float:
        """``l(output, y) + beta * sum_i (||u_i|| + ||v_i||)``; for the program with cones,
        equal to ``network().objective(X, y, beta)``."""
        return self.certificate.objective

    @property
    def gap(self) -> float:
        """Bound on objective minus the optimum of this program (same patterns)."""
        return self.certificate.gap

    @property
    def relative_gap(self) -> float:
        return self.certificate.relative_gap

    @property
    def dual(self) -> np.ndarray:
        """The feasible lambda (n,) behind `gap`."""
        return self.certificate.dual

    @property
    def converged(self) -> bool:
        return is_certified(self.status)

    # --- how it was solved --------------------------------------------------------------
    @property
    def solver(self) -> str:
        """e.g. "cvxpy-clarabel", "ipm-cpu-float64", "fista-cpu-float32-chunks of 200 rows"."""
        return self.result.name

    solve_time = property(lambda self: self.result.time)
    iterations = property(lambda self: self.result.iterations)
    multipliers = property(lambda self: self.result.multipliers)

    # --- the model --------------------------------------------------------------------
    def predict(self, X=None) -> np.ndarray:
        """Convex model output ``sum_i Dt_i X (u_i - v_i)`` on the training data."""
        if X is not None and not np.array_equal(np.asarray(X, dtype=float), self.X):
            raise ValueError(
                "the convex model is defined on its training rows only (its patterns "
                "are fixed there); use solution.network().predict(X) for new data"
            )
        return self.program.predict(self.U, self.V)

    def active_blocks(self, tol: float = ZERO_BLOCK_RTOL) -> np.ndarray:
        """Indices i whose u_i or v_i is kept by :func:`kept_blocks` at `tol`."""
        keep_u, keep_v = kept_blocks(self.program, self.U, self.V, _check_tol(tol))
        return np.flatnonzero(keep_u | keep_v)

    def network(self, tol: float = ZERO_BLOCK_RTOL) -> TwoLayerNetwork:
        """Map the solution back to a two-layer network.

        Each nonzero u_i gives a neuron ``w = u_i / sqrt(||u_i||)``,
        ``a = +sqrt(||u_i||)``, each nonzero v_i ``w = v_i / sqrt(||v_i||)``,
        ``a = -sqrt(||v_i||)`` (the blocks :func:`kept_blocks` drops at `tol` are dropped).
        For the program with cones the network's objective is ``self.objective`` up to
        the dropped blocks: with ``tol=0`` every nonzero block is kept and the two agree
        to round-off; the default drops blocks a solver only drove near zero (an
        interior point leaves them at ~sqrt(mu)), which can move the objective by a
        relative amount of the order of the solver's tolerance.

        A gated-ReLU solution is first split by a cone decomposition: for each w_i
        the smallest ``u_i, v_i in K_i`` with ``u_i - v_i = w_i`` (Mishkin, Sahiner &
        Pilanci, 2022).  The network then gives the same outputs on X, but its
        objective can exceed the gated optimum (which is a lower bound).
        """
        tol = _check_tol(tol)
        U, V = self.U, self.V
        if self.gated:
            U, V = cone_decomposition(self.program, self.U)
        cols, outs = [], []
        for block, keep, sign in zip((U, V), kept_blocks(self.program, U, V, tol), (1.0, -1.0)):
            norms = np.linalg.norm(block, axis=0)
            for i in np.flatnonzero(keep):
                cols.append(block[:, i] / np.sqrt(norms[i]))
                outs.append(sign * np.sqrt(norms[i]))
        W1 = np.column_stack(cols) if cols else np.zeros((self.program.d, 0))
        return _make(W1, np.array(outs), self.activation, self.alpha)


def kept_blocks(program: ConvexProgram, U, V, tol: float = ZERO_BLOCK_RTOL):
    """Which blocks u_i, v_i are neurons: (keep_u (P,), keep_v (P,)) of bool.

    A block is dropped when its norm is at most `tol` times the largest block's, or when
    its output on the data is negligible in absolute terms: ``max_k |x_k^T u_i|`` at most
    ``tol * max|y| / B`` (B blocks), so that every dropped block together moves no
    prediction by more than `tol` times the targets' scale.  The second rule keeps the
    zero network at width 0 where a solver leaves round-off in every block (a relative
    cutoff alone keeps that noise as neurons).
    """
    U, V = np.asarray(U, dtype=float), np.asarray(V, dtype=float)
    norms = np.linalg.norm(U, axis=0), np.linalg.norm(V, axis=0)
    top = max(norms[0].max(initial=0), norms[1].max(initial=0), 1e-300)
    floor = tol * float(np.abs(program.y).max(initial=0.0)) / max(2 * U.shape[1], 1)
    return tuple((n > tol * top) & (np.abs(program.X @ W).max(axis=0, initial=0.0) > floor)
                 for W, n in zip((U, V), norms))


def _check_tol(tol) -> float:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 <= tol < 1:
        raise ValueError(f"tol must be a real number in [0, 1) (a fraction of the largest "
                         f"block's norm), got {tol!r}")
    return float(tol)


def cone_decomposition(program: ConvexProgram, W):
    """Smallest u_i, v_i in K_i with ``u_i - v_i = w_i`` for every column of W (d, P)."""
    import cvxpy as cp

    from .._internal.cvxpy import cvxpy_solver

    sign = program.signs
    V = cp.Variable(W.shape)
    U = W + V
    problem = cp.Problem(
        cp.Minimize(cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))),
        [cp.multiply(sign, program.X @ U) >= 0, cp.multiply(sign, program.X @ V) >= 0],
    )
    problem.solve(solver=cvxpy_solver())
    if V.value is None:
        # the gated program is a valid convex program on any masks (its optimum stands);
        # only the map to a ReLU network needs every mask to be a cell of X
        raise ValueError(
            "no ReLU network for this gated solution: some of its patterns are no cell of X "
            f"(the cone decomposition is {problem.status}), so no neuron can have them; solve "
            "on patterns from enumerate_patterns or sample_patterns"
        )
    Vv = np.asarray(V.value)
    return W + Vv, Vv


@dataclass
class VectorSolution:
    """The program for targets Y of shape (n, c): one scalar solution per column.

    With the patterns shared and one group norm per (pattern, class) block, the program
    is separable: it is c scalar programs (one-vs-all).  The objective and gap are sums
    over the columns; ``network()`` stacks the per-class neurons into one network with
    W2 of shape (m, c), each neuron feeding only its class.
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
        bad = [s.status for s in self.solutions if not is_certified(s.status)]
        return OPTIMAL if not bad else bad[0]

    @property
    def solve_time(self) -> float:
        return float(sum(s.solve_time for s in self.solutions))

    @property
    def solver(self) -> str:
        return self.solutions[0].solver

    def predict(self, X=None) -> np.ndarray:
        """Convex model outputs (n, c) on the training data (see ConvexSolution.predict)."""
        return np.column_stack([s.predict(X) for s in self.solutions])

    def network(self, tol: float = ZERO_BLOCK_RTOL) -> TwoLayerNetwork:
        return stack_outputs([s.network(tol) for s in self.solutions])

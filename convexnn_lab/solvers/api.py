"""``solve_convex`` and ``solve_path``: the public entry points of the solvers.

The data are validated once, into a :class:`ConvexProgram`; the method comes from the
registry (a name or a :class:`registry.Solver` object); its result is certified
(``registry.wrap``) and, when not certified optimal, a :class:`ConvergenceWarning` says
why and what to try (``policy.stop_message``).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

from .._internal.comm import LOCAL
from .._internal.validation import check_beta, check_bool, check_choice, check_Xy
from ..core.certificates import certify, dual_bound, gap_within
from ..core.losses import check_loss, loss_parts
from ..core.program import ConvexProgram
from ..core.solution import ConvexSolution, SolverResult, VectorSolution
from ..status import OPTIMAL, ConvergenceWarning, is_certified
from .options import SolveOptions, make_options
from .policy import Auto, stop_message
from .registry import REGISTRY, Solver

__all__ = ["SOLVERS", "carry_over", "solve_convex", "solve_path"]

SOLVERS = ("auto", *REGISTRY)


def solve_convex(X, y=None, beta=None, patterns=None, *, activation: str = "relu",
                 alpha: float = 0.01, loss: str = "squared", gated: bool = False,
                 solver: str | Solver = "auto", tol: float = 1e-6, max_iter: int = 20_000,
                 device: str | None = None, dtype: str = "float64",
                 warm_start: ConvexSolution | None = None, progress: bool = True,
                 threads: int = 1, distributed: bool = False):
    """Solve the convex program of a two-layer network on the given patterns.

    Parameters
    ----------
    X : array_like of shape (n, d), or ConvexProgram
        The data, or a program made already (then leave y, beta, patterns and the
        program's keywords out: it holds them).
    y : array_like of shape (n,) or (n, c)
        Targets; labels in {-1, +1} for ``loss="logistic"``.  With c columns the program
        has one group norm per (pattern, class) block and splits into c scalar programs:
        the result is a :class:`VectorSolution`.
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
    solver : {"auto", "cvxpy", "ipm", "fista", "al"} or a Solver
        A method of ``solvers.REGISTRY`` by name, or its object carrying the method's own
        settings (``cl.solvers.FISTA(chunk_rows=512)``, ``cl.solvers.CVXPY(backend="SCS")``).
        "cvxpy": the exact reference.  "ipm": interior point in torch, both programs,
        float64, Newton systems n x n or Pd x Pd.  "fista": accelerated proximal gradient,
        gated only.  "al": augmented Lagrangian, the cones.  FISTA and the AL need O(n P)
        memory and finish with a Newton polish; the AL stops at once on a warm start that
        proves `tol`.  "auto": :func:`choose_solver`'s method, with a fallback.
    tol : float
        Stop when ``gap <= tol * objective``; in (0, 1).
    max_iter : int
        Torch solvers' iteration limit (the interior point stops at 200 at most).
    device : {"cpu", "cuda", "cuda:k"}, optional
        Torch solvers: default "cuda" when a GPU is visible.
    dtype : {"float64", "float32"}
        Torch solvers' working precision (the certificate is float64 on the weights).
    warm_start : ConvexSolution, optional
        FISTA and the AL start from it (multipliers too; the AL resumes its schedule on
        the same program); blocks of patterns it shares are carried over
        (:func:`carry_over`).  CVXPY and the interior point ignore it.
    progress : bool
        Torch solvers: a progress bar for solves longer than a second.
    threads : int
        Torch solvers on the CPU: intra-op threads (default 1: threads spin, and one busy
        neighbour process stalls them all).
    distributed : bool
        Row-sharded solve across the ranks of the initialized ``torch.distributed``
        process group: each rank passes its own rows (``cl.distributed.shard_rows``) and
        the same settings; FISTA or the AL all-reduce the d x P gradient and the loss.
        Every rank returns the same U, V and certificate of the whole program.

    Returns
    -------
    ConvexSolution (VectorSolution for y of shape (n, c))
        ``status`` is "optimal" only when its certificate proves `tol`; any other status
        comes with a :class:`~convexnn_lab.status.ConvergenceWarning` saying what stopped
        the solver.  ``solution.result.phases``: where a torch solver's time went.

    Raises
    ------
    ValueError, TypeError
        For bad inputs, naming the argument.
    MemoryError
        When the chosen solver would not fit in the free memory (checked first).
    RuntimeError
        If the solver fails outright; with `distributed`, when no process group is
        initialized or another rank stopped.

    See Also
    --------
    certify_global : is the solution optimal for the non-convex network? (chapter 2)
    """
    engine = _solver(solver)
    sharded = check_bool(distributed, "distributed")
    comm = _communicator(sharded, engine)
    if comm is not None and device is None:
        device = "cpu" if comm.device.type == "cpu" else f"cuda:{comm.device.index}"
    options = make_options(tol=tol, max_iter=max_iter, device=device, dtype=dtype,
                           progress=progress, threads=threads)
    if isinstance(X, ConvexProgram):
        _check_program_alone(y, beta, patterns, activation, alpha, loss, gated)
        program = X
    else:
        X, y = check_Xy(X, y, allow_matrix=True)
        if y.ndim == 2 and y.shape[1] > 1:
            return _solve_columns(X, y, beta, patterns, warm_start, activation=activation,
                                  alpha=alpha, loss=loss, gated=gated, solver=solver, tol=tol,
                                  max_iter=max_iter, device=options.device, dtype=dtype,
                                  progress=progress, threads=threads, distributed=distributed)
        program = ConvexProgram(X, y.ravel(), beta, patterns, activation=activation,
                                alpha=alpha, loss=loss, gated=gated)
    if sharded and isinstance(engine, Auto):
        engine = engine.pick(program, options, sharded=True)  # rows sharded: FISTA or the AL
    if comm is not None:
        comm.check_same({"d": program.d, "P": program.P, "beta": program.beta,
                         "activation": program.activation, "alpha": program.alpha,
                         "loss": program.loss, "gated": program.gated, "solver": engine.name,
                         "tol": options.tol, "max_iter": options.max_iter,
                         "dtype": options.dtype, "warm_start": warm_start is not None})
    options = _with_warm_start(options, warm_start, program, engine, comm)
    solution = _zero_if_optimal(program, options, comm) or engine.run(program, options, comm)
    if not is_certified(solution.status):
        auto = isinstance(engine, Auto)
        warnings.warn(stop_message(solution, options, tried=engine.tried if auto else (),
                                   failed=engine.failed if auto else {},
                                   sharded=sharded,
                                   exact=(engine.ipm, engine.cvxpy) if auto else None),
                      ConvergenceWarning, stacklevel=2)
    return solution


def _zero_if_optimal(program: ConvexProgram, options: SolveOptions, comm=None):
    """The zero network, certified, where beta is so large that it is the optimum.

    At U = V = 0 the dual point is lambda0 = -grad l(0) (y for the squared loss) and every
    cone maximum is at most ``||X^T Dt_i lambda0||`` (the gated bound, multipliers zero):
    where beta is above all of them the certificate of 0 proves it optimal, at the cost
    of one product.  A method would only spend iterations (and, at beta of 1e20,
    round-off) to reach it.
    """
    # the cheap test first: one (P, n) x (n, d) product, no (n, P) temporary
    at_zero, grad, _ = loss_parts(np.zeros(program.n), program.y, program.loss)
    lam0 = -grad
    G = program.Dt.T @ (lam0[:, None] * program.X)  # row i: (X^T Dt_i lambda0)^T
    corr = np.linalg.norm(G if comm is None else comm.sum(G), axis=1)
    lower, _ = dual_bound(program.y, lam0, corr, program.beta, program.loss, comm=comm)
    at_zero = float(at_zero) if comm is None else comm.sum(float(at_zero))
    if not gap_within(at_zero - lower, at_zero, options.tol):
        return None
    zero = np.zeros((program.d, program.P))
    cert = certify(program, zero, zero, np.zeros((program.n, 2 * program.P)), exact=False,
                   comm=comm)
    if not cert.proves(options.tol):
        return None
    result = SolverResult(U=zero, V=zero.copy(), status=OPTIMAL, method="zero-check",
                          device=options.device, dtype=options.dtype)
    return ConvexSolution(program=program, U=zero, V=zero.copy(), certificate=cert,
                          status=OPTIMAL, result=result)


def _solver(solver) -> Solver:
    """A fresh solver object for `solver` (a name or a Solver)."""
    if isinstance(solver, Solver):
        return copy.copy(solver)  # "auto" records what it tried on its own copy
    if not isinstance(solver, str):
        raise TypeError(f"solver must be one of {', '.join(map(repr, SOLVERS))} or a "
                         f"cl.solvers.Solver such as cl.solvers.FISTA(chunk_rows=512); got "
                         f"{solver!r}")
    check_choice(solver, "solver", SOLVERS)
    return Auto() if solver == "auto" else REGISTRY[solver]()


def _check_program_alone(y, beta, patterns, activation, alpha, loss, gated) -> None:
    """A ConvexProgram passed as X holds its data and settings: refuse them passed again."""
    given = [name for name, value in (("y", y), ("beta", beta), ("patterns", patterns))
             if value is not None]
    given += [name for name, value, default in (
        ("activation", activation, "relu"), ("alpha", alpha, 0.01),
        ("loss", loss, "squared"), ("gated", gated, False)) if value != default]
    if given:
        raise TypeError(f"X is a ConvexProgram, which holds its data and settings already; "
                        f"remove {', '.join(given)} (or pass arrays instead of the program)")


def _solve_columns(X, Y, beta, patterns, warm_start, *, loss, **kwargs) -> VectorSolution:
    """One scalar program per output column on shared patterns (y of shape (n, c))."""
    check_beta(beta)
    if check_loss(loss) != "squared":
        raise ValueError("vector outputs (y of shape (n, c)) use loss='squared' (one-hot "
                         "targets, as in the paper's experiments); the softmax loss is "
                         "not supported")
    if warm_start is not None and not isinstance(warm_start, VectorSolution):
        raise TypeError("warm_start for vector outputs must be a VectorSolution from "
                        f"solve_convex, got {type(warm_start).__name__}")
    if warm_start is not None and len(warm_start.solutions) != Y.shape[1]:
        raise ValueError(f"warm_start has {len(warm_start.solutions)} output columns, y has "
                         f"{Y.shape[1]}; pass a solution of the same targets' shape")
    warm = warm_start.solutions if warm_start is not None else [None] * Y.shape[1]
    return VectorSolution([solve_convex(X, Y[:, c], beta, patterns, loss=loss,
                                        warm_start=warm[c], **kwargs)
                           for c in range(Y.shape[1])])


def _communicator(distributed, engine: Solver):
    """None for a one-process solve, else the ranks' communicator (``_internal.comm``)."""
    from .._internal.comm import communicator

    if not check_bool(distributed, "distributed"):
        return None
    if not (isinstance(engine, Auto) or engine.shardable):
        raise ValueError(f"distributed=True runs the first-order solvers (solver='fista', "
                         f"'al' or 'auto'), not solver={engine.name!r}: CVXPY and the interior "
                         "point need every row on one process")
    comm = communicator(True)
    return None if comm.world_size == 1 else comm


def _same_program(a: ConvexProgram, b: ConvexProgram) -> bool:
    """Are `a` and `b` the same program (data, patterns, beta, loss, activation)?"""
    return (a.beta == b.beta and a.loss == b.loss and a.activation == b.activation
            and a.alpha == b.alpha and a.gated == b.gated and np.array_equal(a.X, b.X)
            and np.array_equal(a.y, b.y) and np.array_equal(a.patterns, b.patterns))


def _with_warm_start(options, warm_start, program, engine, comm=None) -> SolveOptions:
    if warm_start is None:
        return options
    if not isinstance(warm_start, ConvexSolution):
        raise TypeError(f"warm_start must be a ConvexSolution from solve_convex, got "
                        f"{type(warm_start).__name__}")
    if warm_start.program.n != program.n or warm_start.U.shape[0] != program.d:
        raise ValueError(f"warm_start was solved on other data (X of shape "
                         f"({warm_start.program.n}, {warm_start.U.shape[0]}), this program's is "
                         f"({program.n}, {program.d})): pass a solution on the same X")
    if warm_start.program.gated != program.gated:
        raise ValueError("warm_start solves the other program (gated vs cone-constrained); "
                         "pass a solution with the same `gated`")
    # CVXPY and the interior point do not warm start; "auto" only where it picks FISTA or the AL
    first = engine.pick(program, options, sharded=comm is not None) if isinstance(
        engine, Auto) else engine
    if not first.shardable:
        return options
    from dataclasses import replace

    # continuing the same program, the AL resumes its penalty and inner budget (restarting
    # them lost ground); any other program restarts them (a resumed rho only grew along a
    # path of beta).  Every rank decides alike (each compares its own rows)
    same = _same_program(warm_start.program, program)
    schedule = (warm_start.result.schedule
                if not program.gated and (comm or LOCAL).max(float(not same)) == 0 else None)
    return replace(options, warm_start=carry_over(warm_start, program.patterns),
                   warm_schedule=schedule)


def carry_over(solution: ConvexSolution, patterns):
    """Start blocks for a program on `patterns` from a solution on other patterns.

    A pattern the solution also has keeps its blocks u_i, v_i (and the multipliers of
    its cone rows); the others start at zero: the warm start of column generation
    (``train_convex``), where each round adds and drops patterns.

    Parameters
    ----------
    solution : ConvexSolution on patterns of shape (P0, n)
    patterns : bool ndarray of shape (P, n)

    Returns
    -------
    U, V : ndarray of shape (d, P) (V is None for gated ReLU)
    multipliers : ndarray of shape (n, 2P) or None
    """
    patterns = np.asarray(patterns, dtype=bool)
    old = {row.tobytes(): i for i, row in enumerate(np.packbits(solution.patterns, axis=1))}
    where = np.array([old.get(row.tobytes(), -1) for row in np.packbits(patterns, axis=1)])
    have = where >= 0
    P0 = len(solution.patterns)
    U = np.zeros((solution.U.shape[0], len(patterns)))
    U[:, have] = solution.U[:, where[have]]
    if solution.program.gated:
        return U, None, None
    V = np.zeros_like(U)
    V[:, have] = solution.V[:, where[have]]
    G = None
    if solution.multipliers is not None:
        G0 = np.asarray(solution.multipliers)
        G = np.zeros((G0.shape[0], 2 * len(patterns)))
        G[:, :len(patterns)][:, have] = G0[:, :P0][:, where[have]]
        G[:, len(patterns):][:, have] = G0[:, P0:][:, where[have]]
    return U, V, G


def solve_path(X, y, betas, patterns, *, solver="auto", **kwargs) -> list:
    """Solve the program along a grid of beta with warm starts (chapter 7).

    The betas are solved from the largest to the smallest, each first-order solve
    starting from the previous solution (CVXPY and the interior point do not warm
    start), and returned in the order given.  Larger beta means fewer active neurons:
    the "path of neural networks".

    Parameters
    ----------
    betas : sequence of float, each > 0
    kwargs : passed to :func:`solve_convex` (not `warm_start`: the path sets it)

    Returns
    -------
    list of ConvexSolution, one per beta
    """
    if "warm_start" in kwargs:
        raise TypeError("solve_path warm-starts each solve from the previous one itself; "
                        "remove the warm_start argument")
    betas = [check_beta(b, "betas") for b in np.atleast_1d(betas)]
    if not betas:
        raise ValueError("betas is empty; pass at least one value")
    order = np.argsort(betas)[::-1]
    out = [None] * len(betas)
    previous = None
    for k in order:
        out[k] = previous = solve_convex(X, y, betas[k], patterns, solver=solver,
                                         warm_start=previous, **kwargs)
    return out

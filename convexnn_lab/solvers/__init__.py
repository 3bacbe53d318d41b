"""Solvers of the convex program behind one interface (chapter 2).

``solve_convex`` validates its arguments, builds the :class:`ConvexProgram`, asks the pure
:func:`choose_solver` which method to run, runs it and wraps what it returns into a
:class:`ConvexSolution` whose certificate is computed on the weights returned.

=============  ===============================================================  ==========
method         what it is                                                       module
=============  ===============================================================  ==========
"cvxpy"        CVXPY + Clarabel (SCS if Clarabel is missing): the reference      conic
"ipm"          primal-dual interior point in torch, both programs, float64       interior
"fista"        accelerated proximal gradient in torch, gated ReLU                first_order
"al"           augmented Lagrangian (cones), each subproblem by the same FISTA   first_order
=============  ===============================================================  ==========

FISTA, the AL and a stalled interior point finish with a Newton polish on the support
(``polish``); ``budget`` holds the memory and flop estimates the choice reads.
``distributed=True`` runs FISTA or the AL on rows sharded across the ranks of a
``torch.distributed`` process group (``_comm``; chapter 6, "Solve across devices").
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from .._internal.comm import LOCAL
from .._internal.memory import available_memory
from .._internal.threads import torch_threads
from .._internal.validation import (
    check_beta,
    check_bool,
    check_choice,
    check_device,
    check_positive_int,
    check_Xy,
)
from ..core.certificates import certify
from ..core.losses import check_loss
from ..core.program import ConvexProgram
from ..core.solution import STATUSES, ConvexSolution, SolverResult, VectorSolution
from . import conic
from .budget import (
    IPM_MAX_FLOPS,
    IPM_MAX_FLOPS_CONES,
    ipm_beats_al,
    ipm_memory_estimate,
    newton_flops,
)

__all__ = ["AUTO_FAST_CONES", "AUTO_FAST_SIZE", "SOLVERS", "STATUSES", "SolveOptions",
           "carry_over", "choose_solver",
           "solve_convex", "solve_path", "wrap"]

SOLVERS = ("auto", "cvxpy", "ipm", "fista", "al")

# CVXPY's solvers meet the cones to their own feasibility tolerance (Clarabel: 1e-8)
CVXPY_FEASIBILITY_RTOL = 1e-7

# "auto" takes CVXPY up to this many mask entries n * P (it then takes well under a
# second and is the exact reference); with cones, also only up to AUTO_FAST_CONES
# entries n * P * d of the cone rows (Clarabel took 5.8 s on breast_cancer's ReLU
# program with P = 20, n * P * d = 272,640, the interior point 1.5 s; 4.7 s against
# 1.0 s on chapter 6's digits with P = 4, n * P * d = 52,000)
AUTO_FAST_SIZE = 20_000
AUTO_FAST_CONES = 50_000


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: the settings every solver reads (validated by ``solve_convex``)."""

    tol: float = 1e-6
    max_iter: int = 20_000
    device: str = "cpu"
    dtype: str = "float64"
    progress: bool = True
    chunk_rows: int | None = None
    warm_start: tuple | None = None  # (U, V, multipliers) of the same program's patterns
    warm_schedule: tuple | None = None  # the augmented Lagrangian's (rho, inner budget)
    cvxpy_solver_name: str | None = None
    verbose: bool = False
    threads: int = 1


def choose_solver(n: int, d: int, P: int, *, gated: bool, loss: str,
                  dtype: str = "float64", memory: float = float("inf")) -> str:
    """The method ``solver="auto"`` runs for a program of this size.

    The rule, in order:

    1. ``n * P <= AUTO_FAST_SIZE`` (20,000), and for the program with cones also
       ``n * P * d <= AUTO_FAST_CONES`` (50,000): "cvxpy", the exact reference, well
       under a second at that size (Clarabel is slow on many cone rows: 5.8 s against
       the interior point's 1.5 s on breast_cancer, n = 426, d = 32, P = 20); where
       CVXPY stops short of tol, ``solve_convex`` tries "ipm" and keeps the better
       certificate;
    2. float64, the interior point's memory within a quarter of `memory` (bytes free on
       the device), and one Newton system of at most ``IPM_MAX_FLOPS`` (5e10) flops or,
       with the cones, of at most ``IPM_MAX_FLOPS_CONES`` (2e11) or with 50 iterations
       expected to take less time than the augmented Lagrangian's default 20,000, which
       with the cones rarely reaches tol (``budget.ipm_beats_al``, from rates measured
       on one core): "ipm" (if it ends short of tol on a program within IPM_MAX_FLOPS,
       ``solve_convex`` tries "cvxpy" where CVXPY fits in memory, and keeps the better
       certificate);
    3. otherwise the first-order methods, O(n P) memory: "fista" (gated) or "al" (cones).

    A pure function of its arguments (``solve_convex`` passes the free memory).
    """
    if n * P <= AUTO_FAST_SIZE and (gated or n * P * d <= AUTO_FAST_CONES):
        return "cvxpy"
    if dtype == "float64" and ipm_memory_estimate(n, d, P, gated=gated) <= 0.25 * memory:
        flops = newton_flops(n, d, P, loss, gated)
        if flops <= IPM_MAX_FLOPS or not gated and (flops <= IPM_MAX_FLOPS_CONES
                                                    or ipm_beats_al(n, d, P, loss)):
            return "ipm"
    return "fista" if gated else "al"


def _run(method: str, program: ConvexProgram, options: SolveOptions,
         comm=None) -> SolverResult:
    if method == "cvxpy":
        return conic.solve(program, options)
    with torch_threads(options.threads if options.device == "cpu" else None):
        if method == "ipm":
            from . import interior

            return interior.solve(program, options)
        from . import first_order

        if comm is None:
            return first_order.solve(program, options)
        return first_order.solve(program, options, comm=comm)


def wrap(program: ConvexProgram, result: SolverResult, *, tol: float,
         comm=None) -> ConvexSolution:
    """Certify the weights a solver returned and set the final status.

    The certificate is computed on ``result.U, result.V`` in float64, for `program`.
    The status is "optimal" only when that certificate proves the relative gap `tol`
    (torch solvers) and every block lies in its cone; a solver that claimed "optimal"
    without that gets "inaccurate".  CVXPY works to its own tolerances: its "optimal"
    stands while its blocks meet their cones to ``CVXPY_FEASIBILITY_RTOL`` and its
    certificate proves `tol`, after a Newton polish where CVXPY stopped short of it.
    With `comm` (a row-sharded solve), `program` holds this rank's rows and the
    certificate is reduced over the ranks (``certify``).
    """
    cert = certify(program, result.U, result.V, result.multipliers, comm=comm)
    status = result.status
    if result.method.startswith("cvxpy"):
        if status == "optimal" and not cert.gap <= tol * max(abs(cert.objective), 1e-300):
            # CVXPY stops at its own tolerances (the logistic loss often at 1e-5): a Newton
            # polish on its support and multipliers usually closes the certificate
            polished = _polish(program, result, cert)
            if polished is not None:
                result, cert = polished
        within = cert.cone_violation <= CVXPY_FEASIBILITY_RTOL and np.isfinite(cert.gap)
        proved = cert.gap <= tol * max(abs(cert.objective), 1e-300)
        if status == "optimal" and not (within and proved):
            status = "inaccurate"
    elif cert.proves(tol):
        status = "optimal"
    elif status == "optimal":
        status = "inaccurate"
    return ConvexSolution(program=program, U=result.U, V=result.V, certificate=cert,
                          status=status, result=result)


def _polish(program: ConvexProgram, result: SolverResult, before):
    """The polished point of a CVXPY result and its certificate, if it beats `before`."""
    from dataclasses import replace

    from .polish import polish

    out = polish(program, program.stack(result.U, result.V), result.multipliers)
    if out is None:
        return None
    U, V = program.split(out[0])
    cert = certify(program, U, V, out[1])
    if not (cert.feasible and cert.gap < before.gap):
        return None
    return replace(result, U=U, V=V, multipliers=out[1],
                   method=result.method + "+polish"), cert


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
    threads: int = 1,
    distributed: bool = False,
):
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
        P*d up to a few thousand).  "fista": accelerated proximal gradient in torch,
        gated ReLU only.  "al": augmented Lagrangian in torch for the cone-constrained
        program.  FISTA and the AL need O(n P) memory, scale to GPU sizes, and finish
        with a Newton polish on the support.  The AL stops at once on a warm start that
        proves `tol`; otherwise a warm start is only where it starts: its iterates leave
        the cones and are not monotone, so a short run can end worse than its warm start
        (its last iterate inside the cones but with a larger certified gap than an earlier
        one gives way to that one).  "auto": the rule of :func:`choose_solver`.
    cvxpy_solver_name : str, optional
        Override the CVXPY solver (e.g. "SCS").
    verbose : bool
        CVXPY: print the solver's log.
    tol : float
        Torch solvers: stop when ``gap <= tol * objective``; in (0, 1).
    max_iter : int
        Torch solvers: iteration limit, >= 1 (the interior-point method stops at 200
        iterations at most); a solve that hits it says so in ``status``
        ("max_iterations"; "stalled" when round-off stops the interior-point method
        first) and still reports its certified gap.
    device : {"cpu", "cuda", "cuda:k"}, optional
        Torch solvers: default "cuda" when a GPU is visible.
    dtype : {"float64", "float32"}
        Torch solvers' working precision (the certificate is computed in float64 on the
        weights returned).
    warm_start : ConvexSolution, optional
        FISTA and the AL: start from this solution on the same X, multipliers too (when
        it solved this same program, the AL also resumes its penalty rho and inner
        budget, ``result.schedule``: a continuation).  Its patterns may differ: the
        blocks of the patterns it shares are carried over, the others start at zero
        (:func:`carry_over`).  The interior-point method and CVXPY ignore it.
    progress : bool
        Torch solvers: a progress bar for solves longer than a second.
    chunk_rows : int, optional
        FISTA: compute the products in row chunks of this size (same iterates, bounded
        temporaries).  By default chosen from a memory estimate: chunks are used when
        the full (n, P) temporaries would take over a quarter of the free memory; when X
        and the masks themselves do not fit a GPU, they stay in host memory and row
        chunks are streamed to the device for each product.  The choice is reported in
        ``solution.solver``.
    threads : int
        Torch solvers on the CPU: intra-op threads (default 1).  Every thread spins on
        its core, so one busy neighbour process stalls them all: with the other core of
        a 2-core machine busy, the interior point on breast_cancer (P = 60) took 73 s on
        2 threads and 2.8 s on 1.  Raise it on a quiet machine with many cores.
    distributed : bool
        Row-sharded solve across the ranks of the initialized ``torch.distributed``
        process group (launched by ``torchrun --nproc_per_node K script.py``; backend
        "nccl" on GPUs, "gloo" on CPUs).  Each rank passes **its own rows** of X, y and
        the patterns (``cl.distributed.shard_rows``), the same columns, patterns and
        settings; FISTA or the AL run with each iteration's products local plus one
        all-reduce of the d x P (cones: d x 2P) gradient and the loss, the certificate's
        sums and maxima reduced the same way.  Every rank returns the same U, V and the
        same certificate (of the whole program); ``solution.program`` is the rank's
        shard, and the multipliers and ``certificate.dual`` hold its rows.  Default
        device: the rank's current GPU with NCCL (call ``torch.cuda.set_device(local_rank)``
        before ``init_process_group``), else "cpu".
        solver "auto" means "fista" (gated) or "al"; "cvxpy" and "ipm" are refused.

    Returns
    -------
    ConvexSolution (VectorSolution for y of shape (n, c))
        Its ``status`` is "optimal" only when its certificate proves `tol`; any other
        status comes with a RuntimeWarning that says what stopped the solver.
        ``solution.result.phases`` says where a torch solver's time went (seconds per
        phase: Newton systems, directions, certificates, polish; the interior point's
        "gram" lies inside "newton", so the phases can sum to more than the time;
        ``solvers.phases``).

    Raises
    ------
    ValueError, TypeError
        For bad inputs, naming the argument.
    MemoryError
        When the chosen solver would not fit in the free memory (checked before
        allocating).
    RuntimeError
        If the solver fails outright; with `distributed`, when no process group is
        initialized (the message says how to launch one) or another rank stopped or
        timed out.

    See Also
    --------
    certify_global : is the solution optimal for the non-convex network? (chapter 2)
    """
    X, y = check_Xy(X, y, allow_matrix=True)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # one output column is the scalar program
    check_choice(solver, "solver", SOLVERS)
    check_loss(loss)
    comm = _communicator(distributed, solver)
    if comm is not None and device is None:
        device = _rank_device(comm)
    options = _options(tol=tol, max_iter=max_iter, device=device, dtype=dtype,
                       progress=progress, chunk_rows=chunk_rows,
                       cvxpy_solver_name=cvxpy_solver_name, verbose=verbose, threads=threads)
    if y.ndim == 2:
        check_beta(beta)
        if loss != "squared":
            raise ValueError("vector outputs (y of shape (n, c)) use loss='squared' (one-hot "
                             "targets, as in the paper's experiments); the softmax loss is "
                             "not supported")
        if warm_start is not None and not isinstance(warm_start, VectorSolution):
            raise TypeError("warm_start for vector outputs must be a VectorSolution from "
                            f"solve_convex, got {type(warm_start).__name__}")
        if warm_start is not None and len(warm_start.solutions) != y.shape[1]:
            raise ValueError(f"warm_start has {len(warm_start.solutions)} output columns, y has "
                             f"{y.shape[1]}; pass a solution of the same targets' shape")
        warm = warm_start.solutions if warm_start is not None else [None] * y.shape[1]
        return VectorSolution([
            solve_convex(X, y[:, c], beta, patterns, activation=activation, alpha=alpha,
                         loss=loss, gated=gated, solver=solver,
                         cvxpy_solver_name=cvxpy_solver_name, verbose=verbose, tol=tol,
                         max_iter=max_iter, device=options.device, dtype=dtype,
                         warm_start=warm[c], progress=progress, chunk_rows=chunk_rows,
                         threads=threads, distributed=distributed)
            for c in range(y.shape[1])])
    program = ConvexProgram(X, y, beta, patterns, activation=activation, alpha=alpha,
                            loss=loss, gated=gated)
    method = solver
    if distributed and solver == "auto":
        method = "fista" if program.gated else "al"
    if comm is not None:
        comm.check_same({"d": program.d, "P": program.P, "beta": program.beta,
                         "activation": program.activation, "alpha": program.alpha,
                         "loss": program.loss, "gated": program.gated, "solver": method,
                         "tol": options.tol, "max_iter": options.max_iter,
                         "dtype": options.dtype,
                         "warm_start": warm_start is not None})
    if method == "auto":
        method = choose_solver(program.n, program.d, program.P, gated=program.gated,
                               loss=program.loss, dtype=options.dtype,
                               memory=available_memory(options.device))
    if method == "fista" and not program.gated:
        raise ValueError("solver='fista' solves the gated-ReLU program (gated=True); use "
                         "solver='al' or 'ipm' for the program with cone constraints")
    if method == "al" and program.gated:
        raise ValueError("solver='al' handles the cone constraints; gated ReLU has none: "
                         "use solver='fista' or 'ipm'")
    if chunk_rows is not None and method != "fista":
        raise ValueError(f"chunk_rows applies to solver='fista' (the gated program), not "
                         f"{method!r}")
    options = _with_warm_start(options, warm_start, program, method, comm)
    tried, failed = [method], {}  # the methods run; "auto"'s retries that raised, and why

    def retry(name):
        """`name`'s solution, or None (the error kept for the warning) where it raises."""
        tried.append(name)
        try:
            return wrap(program, _run(name, program, options), tol=options.tol)
        except (MemoryError, RuntimeError) as err:
            failed[name] = err
            return None

    if solver != "auto" or method in ("fista", "al"):
        solution = wrap(program, _run(method, program, options, comm), tol=options.tol,
                        comm=comm)
    elif method == "ipm":
        solution = wrap(program, _run("ipm", program, options), tol=options.tol)
        if (solution.status != "optimal" and conic.fits(program)
                and newton_flops(program.n, program.d, program.P, program.loss,
                                 program.gated) <= IPM_MAX_FLOPS):
            # round-off stopped the interior-point method short of tol (degenerate
            # programs, e.g. all patterns of a few points): "auto" tries the exact
            # reference where CVXPY fits in memory and takes the time of a small program
            # (beyond, Clarabel takes minutes), and keeps the better certificate
            solution = _better(solution, retry("cvxpy"))
    else:  # "auto" took CVXPY
        tried.clear()
        solution = retry("cvxpy")
        if ((solution is None or solution.status != "optimal")
                and options.dtype == "float64"
                and ipm_memory_estimate(program.n, program.d, program.P, gated=program.gated)
                <= 0.25 * available_memory(options.device)):
            # CVXPY failed or stopped short of tol (its own tolerances on a degenerate
            # program, e.g. a network's few distinct patterns): "auto" tries the interior
            # point, and keeps whichever certificate is better
            tried.append("ipm")
            solution = _better(solution, wrap(program, _run("ipm", program, options),
                                              tol=options.tol))
        if solution is None:
            raise failed["cvxpy"]
    if solution.status != "optimal":
        warnings.warn(_stop_message(solution, options, tried, failed, distributed),
                      RuntimeWarning, stacklevel=2)
    return solution


def _better(first: ConvexSolution | None, second: ConvexSolution | None):
    """Of two solutions of one program (None: a method that failed), `second` where it
    is optimal, or inside its cones with a finite gap where `first` is outside them or
    has a larger or NaN gap; else `first`."""
    if first is None or second is None:
        return second if first is None else first
    if second.status == "optimal" or (
            second.certificate.feasible and np.isfinite(second.gap)
            and (not first.certificate.feasible or not first.gap <= second.gap)):
        return second
    return first


def _communicator(distributed, solver):
    """None for a one-process solve, else the ranks' communicator (``_comm``)."""
    from .._internal.comm import communicator

    if not check_bool(distributed, "distributed"):
        return None
    if solver not in ("auto", "fista", "al"):
        raise ValueError(f"distributed=True runs the first-order solvers (solver='fista', "
                         f"'al' or 'auto'), not solver={solver!r}: CVXPY and the interior "
                         "point need every row on one process")
    comm = communicator(True)
    return None if comm.world_size == 1 else comm


def _rank_device(comm) -> str:
    """The device a rank computes on by default: its current GPU with NCCL, else the CPU."""
    return "cpu" if comm.device.type == "cpu" else f"cuda:{comm.device.index}"


def _stop_message(solution: ConvexSolution, options: SolveOptions, tried=(), failed=None,
                  distributed=False) -> str:
    """Why a solve is not certified optimal (the gap, the cones, or both), and what to try:
    more iterations where the iteration limit stopped it and more can run, and the exact
    methods not yet `tried` that this program fits (none for a sharded solve, which runs
    FISTA or the AL); `failed`: "auto"'s retries that raised, and their errors."""
    from .interior import MAX_ITERATIONS

    cert, result, program = solution.certificate, solution.result, solution.program
    causes = []
    if not cert.gap <= options.tol * max(abs(cert.objective), 1e-300):
        causes.append(f"a relative gap of {cert.relative_gap:.1e} > tol={options.tol}")
    if not cert.feasible:
        causes.append(f"blocks outside their cones by {cert.cone_violation:.1e} (relative to "
                      "the outputs), so the network's patterns differ from the program's")
    why = " and ".join(causes) or "the solver's own report"
    for name, err in (failed or {}).items():
        why += f" ({name} was tried and failed: {err})"
    done = {"cvxpy" if m.startswith("cvxpy") else m for m in (*tried, result.method)}
    others = []
    if not distributed:
        # the exact methods this program fits (CVXPY's build: 29 GiB for digits' ReLU
        # program with P = 300, where the interior point needs 1.2 GiB)
        if "ipm" not in done and ipm_memory_estimate(
                program.n, program.d, program.P, gated=program.gated) <= 0.25 * (
                available_memory(options.device)):
            others.append("solver='ipm'" + ("" if options.dtype == "float64"
                                            else " with dtype='float64'"))
        if "cvxpy" not in done and conic.fits(program):
            others.append("solver='cvxpy'")
    more = solution.status == "max_iterations" and not (
        result.method == "ipm" and result.iterations >= MAX_ITERATIONS)
    steps = (["raise max_iter"] if more else []) + (
        [f"use {' or '.join(others)}"] if others else [])
    if result.method.startswith("cvxpy"):
        steps.append("try cvxpy_solver_name='SCS'")
        head = f"CVXPY ({result.method}) ended with status {solution.status!r}"
    else:
        its = f"{result.iterations} iteration{'' if result.iterations == 1 else 's'}"
        head = f"solver={result.method!r} stopped after {its} with status {solution.status!r}"
    return f"{head}: {why}" + ("; " + ", or ".join(steps) if steps else "")


def _options(*, tol, max_iter, device, dtype, progress, chunk_rows, cvxpy_solver_name,
             verbose, threads) -> SolveOptions:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise ValueError(f"tol must be a relative gap in (0, 1), got {tol!r}")
    max_iter = check_positive_int(max_iter, "max_iter")
    if dtype not in ("float64", "float32"):
        text = str(dtype).replace("torch.", "")
        if text not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        dtype = text
    if chunk_rows is not None:
        chunk_rows = check_positive_int(chunk_rows, "chunk_rows")
    if cvxpy_solver_name is not None and not isinstance(cvxpy_solver_name, str):
        raise TypeError(f"cvxpy_solver_name must be a string such as 'SCS', got "
                        f"{type(cvxpy_solver_name).__name__}")
    return SolveOptions(tol=float(tol), max_iter=max_iter, device=check_device(device),
                        dtype=dtype, progress=check_bool(progress, "progress"),
                        chunk_rows=chunk_rows, cvxpy_solver_name=cvxpy_solver_name,
                        verbose=check_bool(verbose, "verbose"),
                        threads=check_positive_int(threads, "threads"))


def _same_program(a: ConvexProgram, b: ConvexProgram) -> bool:
    """Are `a` and `b` the same program (data, patterns, beta, loss, activation)?"""
    return (a.beta == b.beta and a.loss == b.loss and a.activation == b.activation
            and a.alpha == b.alpha and a.gated == b.gated and np.array_equal(a.X, b.X)
            and np.array_equal(a.y, b.y) and np.array_equal(a.patterns, b.patterns))


def _with_warm_start(options, warm_start, program, method, comm=None) -> SolveOptions:
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
    if method not in ("fista", "al"):
        return options  # CVXPY and the interior point do not warm start
    from dataclasses import replace

    # continuing the same program, the augmented Lagrangian resumes its penalty and inner
    # budget: restarting them at rho = 10 and 100 inner iterations lost ground
    # (breast_cancer, P = 50, beta 0.01: 500 + 500 warm-started iterations ended at 8.58,
    # 1000 in one run at 6.59; resumed: 5.48).  Any other program restarts them: along a
    # path of beta a resumed rho only grew (to 3e8) and two solves of five lost their
    # certificate, and new patterns (column generation) start at zero.  Every rank decides
    # alike (each compares its own rows)
    same = _same_program(warm_start.program, program)
    schedule = (warm_start.result.schedule
                if method == "al" and (comm or LOCAL).max(float(not same)) == 0 else None)
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


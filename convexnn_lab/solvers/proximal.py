"""The proximal-gradient skeleton of the torch solvers, on the CPU or a GPU (chapter 2).

One proximal-gradient core serves both programs (``fista`` and ``al`` subclass
:class:`ProximalSolve`: setup, iterate, certificate, polish, finalize).  The blocks are stacked as
W = [U, V] of shape (d, 2P) (gated ReLU: W = U, (d, P)), with signed slopes
M2 = [Dt, -Dt] of shape (n, 2P), so that

    prediction  = sum_j M2[:, j] * (X @ W)[:, j]          (n,)
    adjoint(r)  = X^T (M2 * r[:, None])                    (d, 2P)

and the P matrices D_i X are never built: a pattern is a mask on X @ W.

* ``fista`` (gated ReLU): accelerated proximal gradient with group soft-thresholding,
  backtracking line search (no step size to tune) and function-value restarts.
* ``al`` (ReLU, leaky ReLU, absolute value): the augmented Lagrangian of the cone
  constraints (2 D_i - I) X u_i >= 0, each subproblem solved by the same FISTA,
  multipliers Gamma >= 0 updated as Gamma <- max(0, Gamma - rho * S * (X @ W)).

Both stop on the certified duality gap (``certificates``; chapter 2).  For the cones, the AL
multipliers give ``c_j <= ||X^T (M2_j * lambda + S_j * Gamma_j)||``, an upper bound on
the inner maximum for any Gamma >= 0, at the cost of one product, so the
certificate is valid at every iteration.  The objective reported for ReLU is that of
the network the blocks map to (``sum_j sigma(X u_j) - sigma(X v_j)``), which is a
real network's objective even while the cones are violated a little.

Row-sharded solves (``solve_convex(..., distributed=True)``, chapter 6) run this same code
with a communicator ``comm`` (``_comm``): the data hold this rank's rows, every sum over
rows (the loss, the adjoint) is completed by ``comm.sum`` (one all-reduce of the d x B
gradient and the loss per step) and every maximum by ``comm.max``; with one process
both are the identity.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._internal.comm import LOCAL
from .._internal.memory import available_memory, format_gib
from .._internal.progress import LazyBar
from .._internal.validation import check_positive_int
from ..core.activations import activate
from ..core.certificates import block_correlations, certify, dual_bound
from ..core.losses import loss_parts
from ..core.program import ConvexProgram
from ..core.solution import SolverResult
from ..status import MAX_ITERATIONS
from .budget import memory_estimate
from .phases import PhaseTimer
from .polish import DEFAULT_LIMITS, SUPPORT_RTOL, polish

__all__ = ["ProximalSolve"]

# a polish that failed is tried again on the same support once the gap is this much smaller
_RETRY_FACTOR = 10.0


class _Data:
    """The program's data on one device for the first-order solvers: X, y, masks, loss.

    With `stream`, X and the masks stay in host memory and row chunks travel to the
    device for each product; with `chunk` rows, products run chunk by chunk.
    """

    def __init__(self, program: ConvexProgram, device, dtype, stream=False):
        import torch

        self.torch = torch
        self.device = device
        self.stream = stream
        self.X, self.y, self.M, self.S = program.tensors(
            device, dtype, home="cpu" if stream else device)
        if stream and str(device).startswith("cuda"):
            self.X, self.M = self.X.pin_memory(), self.M.pin_memory()
        self.gated = program.gated
        self.beta = program.beta
        self.loss = program.loss
        self.activation, self.alpha = program.activation, program.alpha
        self.chunk = None
        self.comm = LOCAL  # sums over rows are this rank's part until comm.sum

    def _slices(self):
        n = self.X.shape[0]
        step = self.chunk or n
        return [slice(i, min(i + step, n)) for i in range(0, n, step)]

    def _rows(self, s):
        if not self.stream:
            return self.X[s], self.M[s]
        return (self.X[s].to(self.device, non_blocking=True),
                self.M[s].to(self.device, non_blocking=True))

    def forward(self, W):
        if not self.chunk:
            return self.torch.linalg.vecdot(self.X @ W, self.M, dim=1)
        # row chunks keep the (rows, blocks) temporaries bounded
        out = []
        for s in self._slices():
            Xc, Mc = self._rows(s)
            out.append(self.torch.linalg.vecdot(Xc @ W, Mc, dim=1))
        return self.torch.cat(out)

    def adjoint(self, r):
        if not self.chunk:
            return self.X.T @ (self.M * r[:, None])
        total = 0
        for s in self._slices():
            Xc, Mc = self._rows(s)
            total = total + Xc.T @ (Mc * r[s, None])
        return total

    def data_loss(self, pred):
        return loss_parts(pred, self.y, self.loss)[0]

    def loss_grad(self, pred):
        """Gradient of the data loss with respect to the prediction (= -lambda0)."""
        return loss_parts(pred, self.y, self.loss)[1]

    def reg(self, W):
        return self.torch.linalg.vector_norm(W, dim=0).sum()

    def output(self, W):
        """What the solution predicts: the convex model (gated), else the mapped network
        ``sum_j sigma(X u_j) - sigma(X v_j)``."""
        if self.gated:
            return self.forward(W)
        act = activate(self.X @ W, self.activation, self.alpha)
        P = W.shape[1] // 2
        return act[:, :P].sum(dim=1) - act[:, P:].sum(dim=1)


def _violation(c, y_scale: float, comm=LOCAL) -> float:
    """Relative cone violation of the products c = S * (X W) (0: inside every cone), as
    ``ConvexProgram.cone_violation`` measures it."""
    top, worst = comm.max(float(c.abs().max()), float((-c).max()))
    scale = max(top, y_scale)
    return max(worst, 0.0) / scale if scale > 0 else 0.0


def _support(W):
    """The blocks of W (d, B) above SUPPORT_RTOL times the largest norm: (B,) bool."""
    norms = __import__("torch").linalg.vector_norm(W, dim=0)
    return (norms > SUPPORT_RTOL * norms.max()).cpu().numpy()


def _prox(W, step_beta):
    torch = __import__("torch")
    norms = torch.linalg.vector_norm(W, dim=0, keepdim=True)
    return W * torch.clamp(1 - step_beta / torch.clamp(norms, min=1e-300), min=0)


def _fista(prog, W, smooth, *, L, max_iter, check=None, check_every=10, bar=None):
    """Minimize smooth(W) + beta * sum_j ||W_j|| by FISTA with backtracking and restarts.

    ``smooth(W, need_grad=True, image=None) -> (value, gradient or None, image)``, where
    the image is linear in W (the prediction, or X W) and is used instead of a product
    when given.  The extrapolated point's image is extrapolated from the last two
    iterates' (``A Z = A W_new + c (A W_new - A W)``, both computed fresh), so an
    iteration costs one product and one adjoint, not two products and one adjoint (one
    more of each when its line search fails once: Z is then evaluated afresh).
    check(W, iteration) -> True to stop (every `check_every`).
    Returns W, L, iterations, stopped_by_check.
    """
    beta = prog.beta
    slack = 8 * prog.torch.finfo(W.dtype).eps  # rounding room in the line search
    f_W, _, img_W = smooth(W, need_grad=False)
    F_W = f_W + beta * prog.reg(W)
    Z, img_Z, t = W, img_W, 1.0
    it = 0
    for it in range(1, max_iter + 1):
        f_Z, g_Z, _ = smooth(Z, image=img_Z)
        fresh = img_Z is img_W
        L_start = L
        while True:
            W_new = _prox(Z - g_Z / L, beta / L)
            D = W_new - Z
            f_new, _, img_new = smooth(W_new, need_grad=False)
            DD = (D * D).sum()
            if f_new <= f_Z + (g_Z * D).sum() + 0.5 * L * DD + slack * abs(f_Z):
                break
            if not (math.isfinite(float(DD)) and math.isfinite(float(f_new))
                    and math.isfinite(L)):  # (NaN fails every test: it would never end)
                raise FloatingPointError(f"FISTA's line search met a non-finite value "
                                         f"(step {float(DD)}, objective {float(f_new)}, "
                                         f"L {L}); check X and y for huge entries")
            if DD == 0:
                # the step vanished (L grew past every entry of Z): nothing left to test;
                # go on from the L the iteration began with, not the inflated one
                L = L_start
                break
            if not fresh:
                # Z's extrapolated image carries round-off that f_new's fresh one does
                # not; near the optimum it can fail the test at every L (doubling L to
                # overflow): test again against Z's value computed afresh before raising L
                f_Z, g_Z, img_Z = smooth(Z)
                fresh = True
                continue
            L *= 2.0
        F_new = f_new + beta * prog.reg(W_new)
        if F_new > F_W:  # restart: momentum stopped helping
            Z, img_Z, t = W, img_W, 1.0
            L *= 0.9
            continue
        t_new = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        c = (t - 1) / t_new
        Z = W_new + c * (W_new - W)
        # img_new + c (img_new - img_W) in one pass over the (n, B) image
        img_Z = prog.torch.lerp(img_W, img_new, 1.0 + c)
        W, img_W, F_W, t = W_new, img_new, F_new, t_new
        L *= 0.95
        if bar is not None:
            bar.update(1)
        if check is not None and it % check_every == 0 and check(W, it):
            return W, L, it, True
    return W, L, it, False


def _setup(program: ConvexProgram, options, tdtype, itemsize, stream, chunk_rows):
    """Memory checks, streaming and row chunks; returns the device data."""
    n, d, P, gated = program.n, program.d, program.P, program.gated
    device = options.device
    need = memory_estimate(n, d, P, gated=gated, dtype_bytes=itemsize)
    have = available_memory(device)
    if stream is None:
        # gated programs whose data do not fit the device stream X and the masks from
        # host memory, when the host can hold them
        stream = bool(gated and need > 0.8 * have and device != "cpu"
                      and need <= 0.8 * available_memory("cpu"))
    if stream:
        if not gated:
            raise ValueError("streaming from host memory applies to the gated program "
                             "(solver='fista')")
        if chunk_rows is None:
            chunk_rows = max(1, int(0.1 * have / ((3 * P + d) * itemsize)))
    elif need > 0.8 * have:
        raise MemoryError(
            f"the program with n={n}, d={d}, P={P} patterns needs about {format_gib(need)} on "
            f"{device}, but only {format_gib(have)} is free; use fewer patterns, dtype='float32', "
            "or a subsample of the rows")
    data = _Data(program, device, tdtype, stream=stream)
    if chunk_rows is None and gated and 3 * n * P * itemsize > 0.25 * have:
        # full-size temporaries take a few (n, P) arrays per product
        chunk_rows = max(1, int(0.1 * have / (3 * P * itemsize)))
    if chunk_rows is not None:
        if not gated:
            raise ValueError("chunk_rows applies to the gated program (solver='fista')")
        data.chunk = check_positive_int(chunk_rows, "chunk_rows") if chunk_rows < n else None
        if stream and data.chunk is None:
            data.chunk = n  # one chunk: X still travels from host memory
    return data


class ProximalSolve:
    """One solve of the program by a proximal-gradient method, its state as attributes.

    ``run()`` is ``iterate()`` (the method's own loop, in a subclass) between this class's
    setup and ``finalize()``; the subclass calls :meth:`certificate` (objective and
    certified gap, recorded in ``history``) and :meth:`try_polish` (a Newton polish on the
    support, kept when it proves tol) from its loop.

    Attributes
    ----------
    program : ConvexProgram;  options : SolveOptions
    data : _Data
        The program's tensors on the device (row chunks, streaming).
    W : tensor of shape (d, B);  Gamma : tensor of shape (n, B) or None
        The blocks and, with cones, the multipliers of the cone rows.
    L : float
        The line search's current Lipschitz estimate.
    iterations : int;  status : str;  history : list of (iteration, objective, gap)
    """

    method = ""

    def __init__(self, program: ConvexProgram, options, *, chunk_rows=None,
                 check_every: int = 10, stream: bool | None = None, comm=LOCAL):
        import torch

        self.torch, self.program, self.options, self.comm = torch, program, options, comm
        self.tdtype = {"float64": torch.float64, "float32": torch.float32}[options.dtype]
        itemsize = 4 if self.tdtype == torch.float32 else 8
        self.data = _setup(program, options, self.tdtype, itemsize, stream, chunk_rows)
        self.data.comm = comm
        self.check_every = check_every
        self.tol, self.beta = options.tol, program.beta
        self._start_point()
        # step size: backtracking from a cheap estimate of ||A||^2
        self.x_norm2 = comm.spectral_norm2(self.data.X)
        self.L = self.x_norm2 + 1e-12
        self.history, self.iterations, self.status = [], 0, MAX_ITERATIONS
        self.y_scale = comm.max(float(np.abs(program.y).max()))
        self.timer = PhaseTimer(options.device)
        self.polished = None  # (W, Gamma) of a polish that proved tol
        # the support and gap of the last failed try, full and early apart (a failed
        # early try must not hold back the full one)
        self.tried = {kind: {"support": None, "gap": math.inf} for kind in ("full", "early")}
        # relative gap from which a Newton polish is worth trying (float32 stalls earlier)
        self.polish_from = 1e-2 if self.tdtype == torch.float64 else 1e-1

    def _start_point(self):
        torch, program, device = self.torch, self.program, self.options.device
        self.W = torch.zeros((program.d, program.n_blocks), dtype=self.tdtype, device=device)
        self.Gamma = None if program.gated else torch.zeros(
            (program.n, program.n_blocks), dtype=self.tdtype, device=device)
        if self.options.warm_start is not None:
            U0, V0, G0 = self.options.warm_start
            self.W = torch.as_tensor(program.stack(U0, V0), dtype=self.tdtype, device=device)
            if G0 is not None and not program.gated:
                self.Gamma = torch.as_tensor(G0, dtype=self.tdtype, device=device)

    def run(self) -> SolverResult:
        self.bar = LazyBar(self.options.max_iter, f"{self.method} P={self.program.P}",
                           disable=not self.options.progress or self.comm.rank != 0)
        self.start = time.perf_counter()
        self.iterate()
        self.bar.close()
        return self.finalize()

    def iterate(self) -> None:
        raise NotImplementedError

    def certificate(self, W, G=None):
        """Objective and certified gap at W (the dual value in float64 numpy)."""
        with self.timer("certificate"):
            data, comm, program, torch = self.data, self.comm, self.program, self.torch
            pred = data.output(W)
            lam0 = -data.loss_grad(pred)
            if program.gated:  # ||X^T Dt_i lambda0||, computed chunk by chunk
                corr = torch.linalg.vector_norm(comm.sum(data.adjoint(lam0)), dim=0)
            else:
                corr = block_correlations(data.X, data.M, lam0, data.S, G, comm=comm)
            objective = float(comm.sum(data.data_loss(pred)) + self.beta * data.reg(W))
            dual, _ = dual_bound(program.y, lam0.detach().cpu().double().numpy(),
                                 corr.detach().cpu().double().numpy(), self.beta,
                                 program.loss, comm=comm)
            self.history.append((self.iterations, objective, objective - dual))
            return objective, objective - dual

    def try_polish(self, W, G, gap, limits=DEFAULT_LIMITS, kind="full") -> bool:
        """Newton polish on the current support; True when its certificate meets tol.

        A try on the support and active rows of the last failed one of its `kind` (full
        or early) waits until the relative `gap` has fallen by _RETRY_FACTOR since then:
        the same support nearer the optimum may converge (when every block is active from
        the start, the support never changes, and one failure would otherwise end every
        polish).
        """
        comm, program = self.comm, self.program
        W_np = W.detach().cpu().double().numpy()
        G_np = None if G is None else G.detach().cpu().double().numpy()
        support = np.flatnonzero(_support(W))
        rows = () if G_np is None else tuple(comm.sum(
            (G_np[:, support] > SUPPORT_RTOL * comm.max(float(G_np.max()))).sum(axis=0)))
        signature = (tuple(support), rows)
        last = self.tried[kind]
        if signature == last["support"] and gap > last["gap"] / _RETRY_FACTOR:
            return False  # as at the last failed try, and not much nearer the optimum
        last["support"], last["gap"] = signature, gap
        with self.timer("polish"):  # the Newton polish and the certificate of its point
            out = polish(program, W_np, G_np, comm=comm, limits=limits)
            if out is None:
                return False
            cert = certify(program, *program.split(out[0]), out[1], comm=comm)
        if not cert.proves(self.tol):
            return False
        self.polished = out
        self.history.append((self.iterations, cert.objective, cert.gap))
        return True

    def schedule(self):
        """What a continuation of this solve resumes (the AL's penalty), or None."""
        return None

    def finalize(self) -> SolverResult:
        """The result: the polished point if a polish proved tol, else the last W."""
        elapsed = time.perf_counter() - self.start
        phases = self.timer.summary(elapsed, ("certificate", "polish"))
        phases["iterations"] = phases.pop("other")  # the rest: the iterations themselves
        W_np = self.W.detach().cpu().double().numpy()
        G_np = None if self.Gamma is None else self.Gamma.detach().cpu().double().numpy()
        if self.polished is not None:
            W_np, G_np = self.polished
        W_np = self.comm.broadcast(W_np)  # the same weights on every rank, to the bit
        U, V = self.program.split(W_np)
        return SolverResult(U=U, V=V, status=self.status, method=self.method,
                            iterations=self.iterations, time=elapsed,
                            device=str(self.options.device), dtype=self.options.dtype,
                            multipliers=G_np, chunk_rows=self.data.chunk,
                            streamed=self.data.stream, history=self.history,
                            ranks=self.comm.world_size, phases=phases,
                            schedule=self.schedule())

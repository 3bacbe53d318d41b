"""Fast solvers for the convex program, in torch, on the CPU or a GPU (chapter 2).

One proximal-gradient core serves both programs.  The blocks are stacked as
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
from ..core.certificates import block_correlations, certify, dual_bound, gap_within
from ..core.losses import loss_parts
from ..core.program import FEASIBILITY_RTOL, ConvexProgram
from ..core.solution import SolverResult
from ..status import MAX_ITERATIONS, OPTIMAL
from .budget import memory_estimate
from .phases import PhaseTimer
from .polish import DEFAULT_LIMITS, SUPPORT_RTOL, PolishLimits, newton_step_flops, polish

__all__ = ["solve"]

# augmented Lagrangian schedule: initial rho, its growth when the cone violation
# does not halve, and the inner FISTA budget (grows by 1.5x per outer step)
_RHO0, _RHO_GROWTH, _RHO_TRIGGER, _INNER0, _INNER_MAX = 10.0, 2.0, 0.5, 100, 2000
# a polish that failed is tried again on the same support once the gap is this much smaller
_RETRY_FACTOR = 10.0
# FISTA tries an early polish (relative gap up to _EARLY_GAP instead of 1e-2) once its
# support has held for _STABLE_ITERS iterations and its iterations have cost the flops of
# _EARLY_STEPS of the polish's Newton steps.  That try is cheap to lose: at most
# 2 * _EARLY_STEPS steps, and no block may fall below 1e-3 of the largest (a block on its
# way to zero: the support is not yet the optimum's; go on iterating).  So an optimum
# with a block below 1e-3 of the largest is always left to the full polish; in float32
# the full polish starts at 1e-1 already, and no try is early
_EARLY_GAP, _STABLE_ITERS, _EARLY_STEPS = 1e-1, 500, 5
_EARLY_LIMITS = PolishLimits(max_steps=2 * _EARLY_STEPS, max_prunes=1, collapse_rtol=1e-3)


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
                # not; near the optimum it can fail the test at every L (measured: a
                # difference of 1e-15 against a slack of 1e-16 doubled L to overflow):
                # test again against Z's value computed afresh before raising L
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


def solve(program: ConvexProgram, options, *, chunk_rows: int | None = None,
          check_every: int = 10, stream: bool | None = None, comm=LOCAL) -> SolverResult:
    """FISTA (gated ReLU) or the augmented Lagrangian (cones); see ``solve_convex``.

    Both stop once the certificate at the iterate proves ``options.tol`` (with the
    blocks inside their cones), or after ``options.max_iter`` iterations.  `stream`
    (gated only) keeps X and the masks in host memory and sends row chunks to the device
    for each product; by default it is chosen when they do not fit the device.  `comm`:
    `program` holds this rank's rows of a row-sharded program (module docstring).
    """
    import torch

    tdtype = {"float64": torch.float64, "float32": torch.float32}[options.dtype]
    itemsize = 4 if tdtype == torch.float32 else 8
    gated, beta, tol = program.gated, program.beta, options.tol
    P, device = program.P, options.device
    prog = _setup(program, options, tdtype, itemsize, stream, chunk_rows)
    prog.comm = comm
    blocks = program.n_blocks
    W = torch.zeros((program.d, blocks), dtype=tdtype, device=device)
    Gamma = None if gated else torch.zeros((program.n, blocks), dtype=tdtype, device=device)
    if options.warm_start is not None:
        U0, V0, G0 = options.warm_start
        W = torch.as_tensor(program.stack(U0, V0), dtype=tdtype, device=device)
        if G0 is not None and not gated:
            Gamma = torch.as_tensor(G0, dtype=tdtype, device=device)
    # step size: backtracking from a cheap estimate of ||A||^2
    x_norm2 = comm.spectral_norm2(prog.X)
    L = x_norm2 + 1e-12
    history = []
    state = {"iteration": 0}
    y_scale = comm.max(float(np.abs(program.y).max()))
    timer = PhaseTimer(device)

    def certificate(W_, G_):
        with timer("certificate"):
            return _certificate(W_, G_)

    def _certificate(W_, G_):
        """Objective and certified gap at W_ (the dual value in float64 numpy)."""
        pred = prog.output(W_)
        lam0 = -prog.loss_grad(pred)
        if gated:  # ||X^T Dt_i lambda0||, computed chunk by chunk
            corr = torch.linalg.vector_norm(comm.sum(prog.adjoint(lam0)), dim=0)
        else:
            corr = block_correlations(prog.X, prog.M, lam0, prog.S, G_, comm=comm)
        objective = float(comm.sum(prog.data_loss(pred)) + beta * prog.reg(W_))
        dual, _ = dual_bound(program.y, lam0.detach().cpu().double().numpy(),
                             corr.detach().cpu().double().numpy(), beta, program.loss,
                             comm=comm)
        history.append((state["iteration"], objective, objective - dual))
        return objective, objective - dual

    polished = {"W": None, "Gamma": None}
    # the support and gap of the last failed try, full and early apart (a failed early
    # try must not hold back the full one)
    tried = {kind: {"support": None, "gap": math.inf} for kind in ("full", "early")}
    # relative gap from which a Newton polish is worth trying (float32 stalls earlier)
    polish_from = 1e-2 if tdtype == torch.float64 else 1e-1

    def try_polish(W_t, G_t, gap, early=False):
        """Newton polish on the current support; True when its certificate meets tol.
        An `early` try is limited (``_EARLY_LIMITS``).

        A try on the support and active rows of the last failed one of its kind (full or
        early) waits until the relative gap has fallen by RETRY_FACTOR since then: the
        same support nearer the optimum may converge (when every block is active from the
        start, the support never changes, and one early failure would otherwise end every
        polish).
        """
        W_np = W_t.detach().cpu().double().numpy()
        G_np = None if G_t is None else G_t.detach().cpu().double().numpy()
        support = np.flatnonzero(_support(W_t))
        rows = () if G_np is None else tuple(comm.sum(
            (G_np[:, support] > SUPPORT_RTOL * comm.max(float(G_np.max()))).sum(axis=0)))
        signature = (tuple(support), rows)
        last = tried["early" if early else "full"]
        if signature == last["support"] and gap > last["gap"] / _RETRY_FACTOR:
            return False  # as at the last failed try, and not much nearer the optimum
        last["support"], last["gap"] = signature, gap
        with timer("polish"):  # the Newton polish and the certificate of its point
            out = polish(program, W_np, G_np, comm=comm,
                         limits=_EARLY_LIMITS if early else DEFAULT_LIMITS)
            if out is None:
                return False
            cert = certify(program, *program.split(out[0]), out[1], comm=comm)
        if not cert.proves(tol):
            return False
        polished.update(W=out[0], Gamma=out[1])
        history.append((state["iteration"], cert.objective, cert.gap))
        return True

    bar = LazyBar(options.max_iter, f"{'fista' if gated else 'al'} P={P}",
                  disable=not options.progress or comm.rank != 0)
    start = time.perf_counter()
    status = MAX_ITERATIONS
    iters = 0
    if gated:
        def smooth(W_, need_grad=True, image=None):
            pred = prog.forward(W_) if image is None else image
            val = prog.data_loss(pred)
            if not need_grad:
                return comm.sum(val), None, pred
            # one all-reduce for the value and the gradient
            return (*comm.sum(val, prog.adjoint(prog.loss_grad(pred))), pred)

        # flops of an iteration (one product and one adjoint) over all ranks' rows (the
        # same count on every rank, so that all of them try the same polishes), and the
        # support's history
        rows = comm.sum(program.n)
        iteration_flops = 4.0 * rows * program.d * blocks
        held = {"support": None, "since": 0}

        def check(W_, iteration=None):
            if iteration is not None:
                state["iteration"] = iteration  # the history's iteration count
            obj, gap = certificate(W_, None)
            bar.set_postfix(gap=f"{gap:.2e}")
            if gap_within(gap, obj, tol):
                return True
            relative = gap / max(abs(obj), 1e-300)
            if relative <= polish_from:
                return try_polish(W_, None, relative)
            # the support only: an early polish pays once it has stopped moving and the
            # iterations have cost what a few Newton steps on it would
            support = _support(W_)
            it = state["iteration"]
            if held["support"] is None or not np.array_equal(support, held["support"]):
                held.update(support=support, since=it)
            active = int(support.sum())
            early = (relative <= _EARLY_GAP and it - held["since"] >= _STABLE_ITERS
                     and it * iteration_flops >= _EARLY_STEPS * newton_step_flops(
                         rows, active * program.d, active, comm))
            # every rank decides alike (the polish makes collective calls)
            return comm.max(float(early)) > 0 and try_polish(W_, None, relative, early=True)

        W, L, iters, ok = _fista(prog, W, smooth, L=L, max_iter=options.max_iter,
                                 check=check, check_every=check_every, bar=bar)
        state["iteration"] = iters
        if ok or check(W):
            status = OPTIMAL
    else:
        rho, inner = options.warm_schedule or (_RHO0, _INNER0)
        if options.warm_schedule is not None:  # as after each growth of rho
            L = max(L, rho * x_norm2)
        viol_prev = math.inf
        last_support = -1
        # the AL's iterates are not monotone: keep its own feasible iterate with the
        # smallest certified gap, returned in place of a last iterate that is feasible
        # and worse.  A last iterate outside its cones (the AL's usual state short of
        # tol) is returned as it is, and so is one worse than the warm start: handing the
        # warm start back made a loop of short warm-started calls repeat itself exactly
        best = {"gap": math.inf, "W": None, "Gamma": None}

        def keep_if_best(W_, G_, gap_):
            if gap_ < best["gap"]:
                best.update(gap=gap_, W=W_.clone(), Gamma=G_.clone())

        if options.warm_start is not None:  # stop at once if it is optimal already
            c = prog.S * (prog.X @ W)
            obj, gap = certificate(W, Gamma)
            if (_violation(c, y_scale, comm) <= FEASIBILITY_RTOL
                    and gap_within(gap, obj, tol)):
                status = OPTIMAL
        while status != OPTIMAL and iters < options.max_iter:
            def smooth(W_, need_grad=True, image=None, G_=Gamma, rho_=rho):
                # data loss + (1/(2 rho)) ||max(0, Gamma - rho * S * (X W))||^2, from the
                # image X W and one adjoint (the program with cones is never chunked).
                # Fused and in place: an iteration is mostly elementwise work on (n, B)
                # arrays where d is small (n = 3000, d = 20, P = 100: 16 ms an iteration
                # with a temporary per operation, against 1.1 ms for its two products)
                Z = prog.X @ W_ if image is None else image
                pred = torch.linalg.vecdot(Z, prog.M, dim=1)
                pen = torch.addcmul(G_, prog.S, Z, value=-rho_).clamp_(min=0)
                val = (prog.data_loss(pred)
                       + (0.5 / rho_) * torch.linalg.vector_norm(pen) ** 2)
                if not need_grad:
                    return comm.sum(val), None, Z
                # X^T (M * g - S * pen) = -X^T (S * pen - M * g), pen overwritten
                R = pen.mul_(prog.S).addcmul_(prog.M, prog.loss_grad(pred)[:, None],
                                              value=-1)
                return (*comm.sum(val, -(prog.X.T @ R)), Z)

            W, L, k, _ = _fista(prog, W, smooth, L=L,
                                max_iter=min(inner, options.max_iter - iters), bar=bar)
            iters += k
            state["iteration"] = iters
            c = prog.S * (prog.X @ W)
            Gamma = torch.clamp(Gamma - rho * c, min=0)
            viol = comm.max(float(torch.clamp(-c, min=0).max()))
            obj, gap = certificate(W, Gamma)
            bar.set_postfix(gap=f"{gap:.2e}", viol=f"{viol:.1e}")
            # a block outside its cone maps to a neuron with another pattern: the
            # network may then beat the program, so the gap only counts once the
            # blocks are feasible (to round-off)
            last_feasible = _violation(c, y_scale, comm) <= FEASIBILITY_RTOL
            if last_feasible:
                keep_if_best(W, Gamma, gap)
                if gap_within(gap, obj, tol):
                    status = OPTIMAL
                    break
            support = int(_support(W).sum())
            stable = support == last_support
            last_support = support
            # a polish pays off only once the support has stopped moving
            if (stable and gap <= 5 * polish_from * abs(obj)
                    and try_polish(W, Gamma, gap / max(abs(obj), 1e-300))):
                status = OPTIMAL
                break
            if k < inner:  # max_iter cut the inner solve short: leave the schedule
                continue
            if viol > _RHO_TRIGGER * viol_prev:
                rho *= _RHO_GROWTH
                L = max(L, rho * x_norm2)
            viol_prev = viol
            inner = min(int(inner * 1.5), _INNER_MAX)
        # (a kept point means the loop ran: the last certificate, history[-1], and
        # last_feasible are the last iterate's)
        if (status != OPTIMAL and best["W"] is not None and last_feasible
                and history[-1][2] > best["gap"]):
            W, Gamma = best["W"], best["Gamma"]
    bar.close()
    elapsed = time.perf_counter() - start
    phases = timer.summary(elapsed, ("certificate", "polish"))
    phases["iterations"] = phases.pop("other")  # the rest: the iterations themselves
    W_np = W.detach().cpu().double().numpy()
    G_np = None if gated else Gamma.detach().cpu().double().numpy()
    if polished["W"] is not None:
        W_np, G_np = polished["W"], polished["Gamma"]
    W_np = comm.broadcast(W_np)  # the same weights on every rank, to the bit
    U, V = program.split(W_np)
    return SolverResult(U=U, V=V, status=status, method="fista" if gated else "al",
                        iterations=iters, time=elapsed, device=str(device),
                        dtype=options.dtype, multipliers=G_np, chunk_rows=prog.chunk,
                        streamed=prog.stream, history=history, ranks=comm.world_size,
                        phases=phases, schedule=None if gated else (rho, inner))

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

Both stop on the certified duality gap (MATH.md section 4).  For the cones, the AL
multipliers give ``c_j <= ||X^T (M2_j * lambda + S_j * Gamma_j)||``, an upper bound on
the inner maximum for any Gamma >= 0, at the cost of one product, so the
certificate is valid at every iteration.  The objective reported for ReLU is that of
the network the blocks map to (``sum_j sigma(X u_j) - sigma(X v_j)``), which is a
real network's objective even while the cones are violated a little.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ._progress import LazyBar
from ._validation import check_positive_int
from .activations import pattern_slopes, slopes
from .certificates import cone_correlation, dual_bound, dual_residual
from .networks import data_loss
from .polish import certificate as polish_certificate
from .polish import newton_polish

__all__ = ["fast_solve", "memory_estimate", "available_memory", "ipm_suits", "polish"]

# "auto" picks the interior-point method while one Newton system costs at most this
# many flops (a second or two on a laptop core) and fits in a quarter of the memory
IPM_MAX_FLOPS = 5e10

# augmented Lagrangian schedule: initial rho, its growth when the cone violation
# does not halve, and the inner FISTA budget (grows by 1.5x per outer step)
_RHO0, _RHO_GROWTH, _RHO_TRIGGER, _INNER0, _INNER_MAX = 10.0, 2.0, 0.5, 100, 2000


def memory_estimate(n: int, d: int, P: int, *, gated: bool, dtype_bytes: int = 8) -> int:
    """Bytes the fast solvers hold for a program with n rows, d columns, P patterns."""
    blocks = P if gated else 2 * P
    per_mask = 1 if gated else 3  # slopes; signs and multipliers for the cones
    return dtype_bytes * (n * d + n * blocks * (per_mask + 3) + d * blocks * 8 + 8 * n)


def loss_parts(pred, y, loss: str):
    """Data loss at the prediction (torch, shape (n,)), its gradient g and its Hessian's
    diagonal h with respect to the prediction (g = -lambda0)."""
    import torch

    if loss == "squared":
        r = pred - y
        return 0.5 * (r @ r), r, torch.ones_like(r)
    t = -y * pred
    sig = torch.sigmoid(t)
    return torch.nn.functional.softplus(t).sum(), -y * sig, sig * (1 - sig)


def available_memory(device: str) -> int:
    """Free bytes on `device` ("cpu": MemAvailable of /proc/meminfo)."""
    import torch

    if device.startswith("cuda"):
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 1 << 62


class _Program:
    """Data of one program on one device: X, y, masks, loss."""

    def __init__(self, X, y, beta, patterns, activation, alpha, loss, gated, device, dtype,
                 stream=False):
        import torch

        self.torch = torch
        self.device = device
        # streaming: X and the masks stay in host memory, row chunks travel per product
        home = "cpu" if stream else device
        self.stream = stream
        self.X = torch.as_tensor(X, dtype=dtype, device=home)
        self.y = torch.as_tensor(y, dtype=dtype, device=device)
        Dt = torch.as_tensor(pattern_slopes(patterns, activation, alpha).T, dtype=dtype,
                             device=home)
        if stream and str(device).startswith("cuda"):
            self.X, Dt = self.X.pin_memory(), Dt.pin_memory()
        self.gated = gated
        self.M = Dt if gated else torch.cat([Dt, -Dt], dim=1)
        if not gated:
            S = torch.as_tensor(np.where(patterns.T, 1.0, -1.0), dtype=dtype, device=device)
            self.S = torch.cat([S, S], dim=1)
        self.beta = beta
        self.loss = loss
        self.a, self.b = slopes(activation, alpha)
        self.chunk = None

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
            return (self.X @ W * self.M).sum(dim=1)
        # row chunks keep the (rows, blocks) temporaries bounded
        out = []
        for s in self._slices():
            Xc, Mc = self._rows(s)
            out.append((Xc @ W * Mc).sum(dim=1))
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

    def network_prediction(self, W):
        """sum_j sigma(X u_j) - sigma(X v_j): the output of the mapped network."""
        Z = self.X @ W
        act = self.torch.where(Z >= 0, self.a * Z, self.b * Z)
        P = W.shape[1] // 2
        return act[:, :P].sum(dim=1) - act[:, P:].sum(dim=1)


def _feasible(c) -> bool:
    """Are the cone constraints S * (X W) >= 0 met to round-off?"""
    scale = float(c.abs().max())
    return float((-c).max()) <= 1e-9 * max(scale, 1e-300)


def _prox(W, step_beta):
    torch = __import__("torch")
    norms = torch.linalg.vector_norm(W, dim=0, keepdim=True)
    return W * torch.clamp(1 - step_beta / torch.clamp(norms, min=1e-300), min=0)


def _fista(prog, W, smooth, *, L, max_iter, check=None, check_every=10, bar=None):
    """Minimize smooth(W) + beta * sum_j ||W_j|| by FISTA with backtracking and restarts.

    smooth(W) -> (value, gradient); check(W) -> True to stop (every `check_every`).
    Returns W, L, iterations, stopped_by_check.
    """
    beta = prog.beta
    slack = 8 * prog.torch.finfo(W.dtype).eps  # rounding room in the line search
    f_W, _ = smooth(W)
    F_W = f_W + beta * prog.reg(W)
    Z, t = W, 1.0
    it = 0
    for it in range(1, max_iter + 1):
        f_Z, g_Z = smooth(Z)
        while True:
            W_new = _prox(Z - g_Z / L, beta / L)
            D = W_new - Z
            f_new, _ = smooth(W_new, need_grad=False)
            if f_new <= f_Z + (g_Z * D).sum() + 0.5 * L * (D * D).sum() + slack * abs(f_Z):
                break
            L *= 2.0
        F_new = f_new + beta * prog.reg(W_new)
        if F_new > F_W:  # restart: momentum stopped helping
            Z, t = W, 1.0
            L *= 0.9
            continue
        t_new = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        Z = W_new + ((t - 1) / t_new) * (W_new - W)
        W, F_W, t = W_new, F_new, t_new
        L *= 0.95
        if bar is not None:
            bar.update(1)
        if check is not None and it % check_every == 0 and check(W):
            return W, L, it, True
    return W, L, it, False


def polish(X, y, beta, patterns, W, Gamma=None, *, activation="relu", alpha=0.01,
           loss="squared", gated=False):
    """Newton polish of blocks W (d, B) on their support, with its certificate.

    Returns (W, objective, gap, dual lambda) or None when the polish fails (support or
    active rows guessed wrong).  Gamma (n, B): multipliers of the cone rows.
    """
    Xn = np.asarray(X, dtype=np.float64)
    P = patterns.shape[0]
    Dt_np = pattern_slopes(patterns, activation, alpha).T
    M_np = Dt_np if gated else np.hstack([Dt_np, -Dt_np])
    S_np = None if gated else np.tile(np.where(patterns.T, 1.0, -1.0), (1, 2))
    Wp = newton_polish(Xn, y, beta, M_np, W, S=S_np, Gamma=Gamma, loss=loss)
    if Wp is None:
        return None
    if gated:
        pred = (Xn @ Wp * M_np).sum(axis=1)
    else:
        a_s, b_s = slopes(activation, alpha)
        Zp = Xn @ Wp
        act = np.where(Zp >= 0, a_s * Zp, b_s * Zp)
        pred = act[:, :P].sum(axis=1) - act[:, P:].sum(axis=1)
    corr, lam0 = polish_certificate(Xn, y, beta, M_np, Wp, pred, S=S_np, Gamma=Gamma,
                                    loss=loss, patterns=patterns, activation=activation,
                                    alpha=alpha)
    objective = data_loss(pred, y, loss) + beta * float(np.linalg.norm(Wp, axis=0).sum())
    dual, s = dual_bound(y, lam0, corr, beta, loss)
    return Wp, objective, objective - dual, s * lam0


def fast_solve(X, y, beta, patterns, *, activation="relu", alpha=0.01, loss="squared",
               gated=False, solver="fista", tol=1e-6, max_iter=10_000, device=None,
               dtype="float64", init=None, progress=True, check_every=10, chunk_rows=None,
               stream=None):
    """Solve the convex program with the torch solvers; see ``solve_convex``.

    Returns a dict: primal blocks U, V (numpy float64, shape (d, P)), status,
    iterations, device, AL multipliers (n, 2P) or None, time, objective and gap.
    """
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but torch sees no GPU; use device='cpu'")
    tdtype = {"float64": torch.float64, "float32": torch.float32}.get(str(dtype).replace("torch.", ""))
    if tdtype is None:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    n, d = X.shape
    P = patterns.shape[0]
    if solver == "ipm":
        return _ipm(X, y, beta, patterns, activation, alpha, loss, gated, tol, max_iter,
                    device, tdtype, init, progress)
    itemsize = 4 if tdtype == torch.float32 else 8
    need = memory_estimate(n, d, P, gated=gated, dtype_bytes=itemsize)
    have = available_memory(device)
    if stream is None:
        # gated programs whose data do not fit the device stream X and the masks from
        # host memory, when the host can hold them
        stream = bool(gated and need > 0.8 * have and device != "cpu"
                      and need <= 0.8 * available_memory("cpu"))
    if stream:
        if not gated:
            raise ValueError("streaming applies to the gated program (solver='fista')")
        if chunk_rows is None:
            chunk_rows = max(1, int(0.1 * have / ((3 * P + d) * itemsize)))
    elif need > 0.8 * have:
        raise MemoryError(
            f"the program with n={n}, d={d}, P={P} patterns needs about {need / 2**30:.2f} GiB "
            f"on {device}, but only {have / 2**30:.2f} GiB is free; use fewer patterns, "
            "dtype='float32', or a subsample of the rows"
        )
    prog = _Program(X, y, beta, patterns, activation, alpha, loss, gated, device, tdtype,
                    stream=stream)
    if chunk_rows is None and gated:
        # full-size temporaries: a few (n, P) arrays per product
        temp = 3 * n * P * itemsize
        if temp > 0.25 * have:
            chunk_rows = max(1, int(0.1 * have / (3 * P * itemsize)))
    if chunk_rows is not None:
        if not gated:
            raise ValueError("chunk_rows applies to the gated program (solver='fista')")
        prog.chunk = check_positive_int(chunk_rows, "chunk_rows") if chunk_rows < n else None
        if stream and prog.chunk is None:
            prog.chunk = n  # one chunk: X still travels from host memory
    blocks = P if gated else 2 * P
    W = torch.zeros((d, blocks), dtype=tdtype, device=device)
    Gamma = None if gated else torch.zeros((n, blocks), dtype=tdtype, device=device)
    if init is not None:
        U0, V0, G0 = init
        W = torch.as_tensor(U0 if gated else np.hstack([U0, V0]), dtype=tdtype, device=device)
        if G0 is not None and not gated:
            Gamma = torch.as_tensor(G0, dtype=tdtype, device=device)
    # step size: backtracking from a cheap estimate of ||A||^2
    x_norm2 = float(torch.linalg.matrix_norm(prog.X, ord=2) ** 2)
    L = x_norm2 + 1e-12
    y_np = np.asarray(y, dtype=np.float64)
    state = {"gap": math.inf, "objective": math.inf, "lam": None}

    def certificate(W_, G_):
        """Certified gap at W_ (float64 numpy for the dual value)."""
        pred = prog.forward(W_) if gated else prog.network_prediction(W_)
        lam0 = -prog.loss_grad(pred)
        if gated:
            corr = torch.linalg.vector_norm(prog.adjoint(lam0), dim=0)
        else:
            C = prog.M * lam0[:, None] + prog.S * G_
            corr = torch.linalg.vector_norm(prog.X.T @ C, dim=0)
        corr = torch.maximum(corr[:P], corr[P:]) if not gated else corr
        objective = float(prog.data_loss(pred) + beta * prog.reg(W_))
        lam0_np = lam0.detach().cpu().double().numpy()
        dual, s = dual_bound(y_np, lam0_np, corr.detach().cpu().double().numpy(), beta, loss)
        state["lam"] = s * lam0_np
        return objective, objective - dual

    polished = {"support": None, "W": None}
    # relative gap from which a Newton polish is worth trying (float32 stalls earlier)
    polish_from = 1e-2 if tdtype == torch.float64 else 1e-1

    def try_polish(W_t, G_t):
        """Newton polish on the current support; True when the gap meets tol."""
        W_np = W_t.detach().cpu().double().numpy()
        G_np = None if G_t is None else G_t.detach().cpu().double().numpy()
        norms_np = np.linalg.norm(W_np, axis=0)
        support = np.flatnonzero(norms_np > 1e-6 * norms_np.max())
        rows = () if G_np is None else tuple((G_np[:, support] > 1e-6 * G_np.max()).sum(axis=0))
        signature = (tuple(support), rows)
        if signature == polished["support"]:
            return False  # same support and active rows as the last failed try
        polished["support"] = signature
        out = polish(X, y_np, beta, patterns, W_np, G_np, activation=activation, alpha=alpha,
                     loss=loss, gated=gated)
        if out is None or out[2] > tol * max(abs(out[1]), 1e-300):
            return False
        polished["W"] = out[0]
        state.update(objective=out[1], gap=out[2], lam=out[3])
        return True

    bar = LazyBar(max_iter, f"{solver} P={P}", disable=not progress)
    start = time.perf_counter()
    status = "max_iterations"
    iters = 0

    if gated:
        def smooth(W_, need_grad=True):
            pred = prog.forward(W_)
            val = prog.data_loss(pred)
            return val, (prog.adjoint(prog.loss_grad(pred)) if need_grad else None)

        def check(W_):
            obj, gap = certificate(W_, None)
            state.update(objective=obj, gap=gap)
            bar.set_postfix(gap=f"{gap:.2e}")
            if gap <= tol * max(abs(obj), 1e-300):
                return True
            return gap <= polish_from * abs(obj) and try_polish(W_, None)

        W, L, iters, ok = _fista(prog, W, smooth, L=L, max_iter=max_iter, check=check,
                                 check_every=check_every, bar=bar)
        if ok or check(W):
            status = "optimal"
    else:
        rho = _RHO0
        viol_prev = math.inf
        last_support = -1
        inner = _INNER0
        while iters < max_iter:
            def smooth(W_, need_grad=True, G_=Gamma, rho_=rho):
                # data loss + (1/(2 rho)) ||max(0, Gamma - rho * S * (X W))||^2
                pred = prog.forward(W_)
                pen = torch.clamp(G_ - rho_ * (prog.S * (prog.X @ W_)), min=0)
                val = prog.data_loss(pred) + (0.5 / rho_) * torch.sum(pen ** 2)
                if not need_grad:
                    return val, None
                return val, prog.adjoint(prog.loss_grad(pred)) - prog.X.T @ (prog.S * pen)
    
            W, L, k, _ = _fista(prog, W, smooth, L=L, max_iter=min(inner, max_iter - iters),
                                bar=bar)
            iters += k
            c = prog.S * (prog.X @ W)
            Gamma = torch.clamp(Gamma - rho * c, min=0)
            viol = float(torch.clamp(-c, min=0).max())
            obj, gap = certificate(W, Gamma)
            state.update(objective=obj, gap=gap)
            bar.set_postfix(gap=f"{gap:.2e}", viol=f"{viol:.1e}")
            # a block outside its cone maps to a neuron with another pattern: the
            # network may then beat the program, so the gap only counts once the
            # blocks are feasible (to round-off)
            if gap <= tol * max(abs(obj), 1e-300) and _feasible(c):
                status = "optimal"
                break
            support = int((torch.linalg.vector_norm(W, dim=0)
                           > 1e-6 * torch.linalg.vector_norm(W, dim=0).max()).sum())
            stable = support == last_support
            last_support = support
            # a polish pays off only once the support has stopped moving
            if stable and gap <= 5 * polish_from * abs(obj) and try_polish(W, Gamma):
                status = "optimal"
                break
            if viol > _RHO_TRIGGER * viol_prev:
                rho *= _RHO_GROWTH
                L = max(L, rho * x_norm2)
            viol_prev = viol
            inner = min(int(inner * 1.5), _INNER_MAX)
    bar.close()
    elapsed = time.perf_counter() - start
    if polished["W"] is not None:
        W = torch.as_tensor(polished["W"], dtype=tdtype, device=device)
    U = W[:, :P].detach().cpu().double().numpy()
    V = np.zeros_like(U) if gated else W[:, P:].detach().cpu().double().numpy()
    G_out = None if gated else Gamma.detach().cpu().double().numpy()
    if status != "optimal" and not gated and n * P <= 2_000_000:
        # the multipliers' bound is loose until AL converges: try the exact one once
        pred = prog.network_prediction(W).detach().cpu().double().numpy()
        lam0 = dual_residual(pred, y_np, loss)
        corr = cone_correlation(np.asarray(X, float), lam0, patterns,
                                activation=activation, alpha=alpha)
        dual, s = dual_bound(y_np, lam0, corr, beta, loss)
        if state["objective"] - dual < state["gap"]:
            state.update(gap=state["objective"] - dual, lam=s * lam0)
        if state["gap"] <= tol * abs(state["objective"]) and _feasible(prog.S * (prog.X @ W)):
            status = "optimal"
    return {"U": U, "V": V, "status": status, "iterations": iters, "device": device,
            "chunk_rows": prog.chunk, "streamed": bool(stream),
            "multipliers": G_out, "time": elapsed, "objective": state["objective"],
            "gap": max(state["gap"], 0.0), "dual": state.get("lam")}


def ipm_suits(n: int, d: int, P: int, *, gated: bool, loss: str, device: str = "cpu") -> bool:
    """Is the interior-point method the fast choice for this program (``solver="auto"``)?"""
    from .interior import ipm_memory_estimate, newton_flops

    return (newton_flops(n, d, P, loss) <= IPM_MAX_FLOPS
            and ipm_memory_estimate(n, d, P, gated=gated) <= 0.25 * available_memory(device))


def _ipm(X, y, beta, patterns, activation, alpha, loss, gated, tol, max_iter, device,
         tdtype, init, progress):
    """The interior-point route of ``fast_solve`` (float64)."""
    import torch

    from .interior import interior_point, ipm_memory_estimate

    if tdtype != torch.float64:
        raise ValueError("solver='ipm' runs in float64 (its Newton systems need it); pass "
                         "dtype='float64', or use solver='fista'/'al' for float32")
    n, d = X.shape
    P = patterns.shape[0]
    need = ipm_memory_estimate(n, d, P, gated=gated)
    have = available_memory(device)
    if need > 0.8 * have:
        raise MemoryError(
            f"solver='ipm' on n={n}, d={d}, P={P} needs about {need / 2**30:.2f} GiB on "
            f"{device}, but only {have / 2**30:.2f} GiB is free; use solver='al' (cones) or "
            "'fista' (gated), which need O(n P) memory, or fewer patterns")
    # interior-point iterations cannot use a warm start; `init` is ignored on purpose
    out = interior_point(X, y, beta, patterns, activation=activation, alpha=alpha,
                         loss=loss, gated=gated, tol=tol, max_iter=min(max_iter, 200),
                         device=device, progress=progress)
    if out["status"] in ("stalled", "numerical_error"):
        # round-off stopped the Newton systems short of tol: the support and the active
        # cone rows are known by now, and the polish solves the smooth restriction
        start = time.perf_counter()
        W = np.hstack([out["U"], out["V"]]) if not gated else out["U"]
        res = polish(X, np.asarray(y, dtype=np.float64), beta, patterns, W, out["multipliers"],
                     activation=activation, alpha=alpha, loss=loss, gated=gated)
        if res is not None and res[2] < out["gap"]:
            Wp, objective, gap, lam = res
            out.update(U=Wp[:, :P], V=np.zeros_like(out["U"]) if gated else Wp[:, P:],
                       objective=objective, gap=max(gap, 0.0), dual=lam)
            if gap <= tol * abs(objective):
                out["status"] = "optimal"
        out["time"] += time.perf_counter() - start
    return out

"""A primal-dual interior-point method for the convex program, in torch (chapter 2).

The program with blocks u_j (columns of U, shape (d, B)) and bounds t_j (shape (B,))
in the conic form of Vandenberghe's CVXOPT notes (``min f(x) + c^T x,
G x + s = h, s in K``):

    minimize   f( sum_j M_j * (X u_j) ) + beta * sum_j t_j
    subject to S_j * (X u_j) >= 0        n rows per block: the cone (2 D_i - I) X u >= 0
               ||u_j||_2 <= t_j          one second-order cone per block

with B = 2P blocks [u_1..u_P, v_1..v_P], signed slopes M = [Dt, -Dt] and signs
S = [2D - 1, 2D - 1], both of shape (n, B) (gated ReLU: B = P, M = Dt, no S).

Each iteration is a Mehrotra predictor-corrector step with Nesterov-Todd scaling,
lengthened by up to three of Gondzio's centrality correctors (``_correct``).
Its Newton system ``(H + G^T W^-2 G) dx = r`` has a block-diagonal part (one
(d+1) x (d+1) block per u_j: the cone rows give X^T diag(z/s) X) plus the loss
Hessian, which only sees p_i = u_i - v_i through ``sum_i Dt_i * (X p_i)``.
Eliminating each block for fixed p_i leaves

    (F^-1 + A^T diag(h) A) p = F^-1 a,     A p = sum_i Dt_i * (X p_i),

with F = blockdiag(F_i) (P blocks of d x d).  It is solved in whichever space takes fewer
flops (``budget.newton_route``): the n rows (Woodbury: an n x n Cholesky, ``2 n^2 P d``
flops to form; gated ReLU, whose F_i are a multiple of I plus rank one, ``4 n^2 P``) or the
P*d columns (a (Pd) x (Pd) Cholesky; for the squared loss A^T A is formed once).
The P matrices D_i X are still never stored: A acts as a mask on X p.

For a loss other than the squared one the Newton system holds its quadratic model, and a
step is shortened until that model is accurate along it (``_trusted_step``).

The iterates stay strictly inside the cones, the multipliers z of the cone rows are
the Gamma of the certificate (``certificates``), and the solver stops on the same
certified duality gap as the first-order solvers, once the blocks meet their cones.
Interior-point iterations do not profit from warm starts; the method runs in float64.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._internal.memory import available_memory, format_gib
from .._internal.progress import LazyBar
from .._internal.validation import check_positive_int
from ..core.certificates import ZERO_BLOCK_RTOL, certify, dual_bound
from ..core.losses import loss_parts
from ..core.program import ConvexProgram
from ..core.solution import SolverResult
from ..status import FAILURES, MAX_ITERATIONS, NUMERICAL_ERROR, OPTIMAL, STALLED
from .budget import ipm_memory_estimate, newton_route
from .phases import PhaseTimer
from .polish import polish_if_better

__all__ = ["ITERATION_CAP", "interior_point", "solve"]

# "ipm" through solve_convex runs at most this many iterations whatever max_iter says
# (the benchmark's programs take 7-51)
ITERATION_CAP = 200

_STEP = 0.99  # fraction of the way to the boundary of the cones
# refinement steps per Newton solve, stopped once the residual is this small relative to
# the right-hand side: the loosest value that leaves bench/solvers.py's iterations and
# objectives unchanged (1e-4 stalled breast_cancer; tighter refines every solve twice)
_REFINE, _REFINE_RTOL = 2, 1e-8
_PATIENCE = 6  # iterations without a better certified gap before stopping
# ... once the complementarity is below tol, or once every one of those iterations' steps
# was below this (n = 22,345, d = 17, P = 100, beta 5: the Newton systems lost their digits
# at a relative gap of 6e-5 and the steps fell to 1e-4 - 1e-2 for 35 iterations)
_COLLAPSED = 0.05
# Gondzio's centrality correctors (``_correct``): at most this many per iteration, each
# aiming at a step this much longer, pushing the complementarity products into this
# range around sigma * mu, and kept when the step grows by this fraction of the aim
_CORRECTORS, _ASPIRATION, _CENTRAL, _ACCEPT = 3, 0.3, (0.1, 10.0), 0.1
# certify an iterate once its complementarity gap is below this many times tol * objective
_CERTIFY_FROM = 1e3
# the phases that do not nest ("gram" lies inside "newton"); the rest is "other"
_TOP_PHASES = ("newton", "directions", "certificate")


# --- second-order cone algebra, column-wise on (k, B) arrays: x = (x0, x1) ----------

def _jdot(a, b):
    return a[0] * b[0] - (a[1:] * b[1:]).sum(dim=0)


def _soc_prod(a, b):
    """Jordan product a o b = (a^T b, a0 b1 + b0 a1)."""
    torch = _torch()
    return torch.cat([(a * b).sum(dim=0, keepdim=True), a[0] * b[1:] + b[0] * a[1:]])


def _soc_div(lam, b):
    """x with lam o x = b."""
    torch = _torch()
    x0 = (lam[0] * b[0] - (lam[1:] * b[1:]).sum(dim=0)) / _jdot(lam, lam)
    return torch.cat([x0[None], (b[1:] - x0 * lam[1:]) / lam[0]])


def _soc_step(x, dx):
    """Largest alpha with x + alpha dx in the cone, per column (x inside it)."""
    torch = _torch()
    a, b, c = _jdot(dx, dx), 2 * _jdot(x, dx), _jdot(x, x).clamp(min=0)
    disc = b * b - 4 * a * c
    q = -0.5 * (b + torch.where(b >= 0, 1.0, -1.0) * disc.clamp(min=0).sqrt())
    inf = torch.full_like(a, math.inf)
    r1 = torch.where(a != 0, q / a, inf)
    r2 = torch.where(q != 0, c / q, inf)
    r1 = torch.where(r1 > 0, r1, inf)
    r2 = torch.where(r2 > 0, r2, inf)
    step = torch.minimum(r1, r2)
    return torch.where(disc < 0, inf, step)


def _lp_step(s, ds):
    """Largest alpha with s + alpha ds >= 0 (s > 0): 1 / max(-ds / s)."""
    rate = -_torch().div(ds, s).min() if s.numel() else s.new_tensor(0.0)
    return 1.0 / rate if rate > 0 else s.new_tensor(math.inf)


def _torch():
    import torch

    return torch


class _NTScaling:
    """Nesterov-Todd scaling W of one point (s, z): W z = W^-1 s = lambda.

    LP rows: W = diag(sqrt(s / z)), never formed (the directions use lambda o lambda =
    s o z, and ``_NewtonSystem`` keeps z / s).  Second-order cones: W = eta * H(w),
    W^-1 = H(J w) / eta, with the hyperbolic rotation H(w) = [[w0, w1^T], [w1, I + w1
    w1^T / (1 + w0)]], w = (s/|s|_J + J z/|z|_J) / (2 gamma) and eta = sqrt(|s|_J / |z|_J).
    """

    def __init__(self, s_l, z_l, s_q, z_q):
        torch = _torch()
        self.lamsq_l = s_l * z_l  # lambda o lambda of the cone rows
        sn = _jdot(s_q, s_q).clamp(min=1e-300).sqrt()
        zn = _jdot(z_q, z_q).clamp(min=1e-300).sqrt()
        sb, zb = s_q / sn, z_q / zn
        gamma = torch.sqrt(0.5 * (1 + (sb * zb).sum(dim=0)))
        self.w = (sb + _J(zb)) / (2 * gamma)  # (k, B), w^T J w = 1
        self.eta = torch.sqrt(sn / zn)
        self.lam_q = self.W(z_q)

    def matrix(self):
        """W of each second-order cone as a (B, k, k) array."""
        torch = _torch()
        w = self.w
        k, B = w.shape
        H = torch.empty((B, k, k), dtype=w.dtype, device=w.device)
        H[:, 0, 0] = w[0]
        H[:, 0, 1:] = w[1:].T
        H[:, 1:, 0] = w[1:].T
        H[:, 1:, 1:] = torch.eye(k - 1, dtype=w.dtype, device=w.device) \
            + w[1:].T[:, :, None] * w[1:].T[:, None, :] / (1 + w[0])[:, None, None]
        return H * self.eta[:, None, None]

    @staticmethod
    def _H(w, x):
        w1x1 = (w[1:] * x[1:]).sum(dim=0)
        top = w[0] * x[0] + w1x1
        return _torch().cat([top[None], x[0] * w[1:] + x[1:] + w[1:] * (w1x1 / (1 + w[0]))])

    def W(self, x):
        return self.eta * self._H(self.w, x)

    def Winv(self, x):
        return self._H(_J(self.w), x) / self.eta


def _J(x):
    """J x = (x0, -x1)."""
    return _torch().cat([x[:1], -x[1:]])


def _gram(Z, chunks=8):
    """Z Z^T for Z of shape (n, q), exactly symmetric, from its lower block triangle.

    The Newton system's n x n matrix is most of an iteration's flops (2 n^2 q); row
    blocks times the rows above them compute (1 + 1/chunks) / 2 of them (breast_cancer,
    n = 426, q = 6200: 0.049 s -> 0.035 s; digits, n = 1347, q = 3900: 0.28 s -> 0.16 s,
    one thread).
    """
    torch = _torch()
    n = Z.shape[0]
    if n < 2 * chunks:
        return Z @ Z.T
    C = torch.empty((n, n), dtype=Z.dtype, device=Z.device)
    edges = [round(i * n / chunks) for i in range(chunks + 1)]
    for a, b in zip(edges[:-1], edges[1:]):
        C[a:b, :b] = Z[a:b] @ Z[:b].T
        C[:a, a:b] = C[a:b, :a].T
    return C


class _Breakdown(Exception):
    """A Newton system that round-off made indefinite."""


def _cholesky(A):
    torch = _torch()
    L, info = torch.linalg.cholesky_ex(A)
    if int(info.max()) > 0:  # round-off made it indefinite: a tiny ridge, once
        A = A.clone()
        A.diagonal(dim1=-2, dim2=-1).add_(1e-12 * float(A.diagonal(dim1=-2, dim2=-1).mean()))
        L, info = torch.linalg.cholesky_ex(A)
        if int(info.max()) > 0:
            raise _Breakdown
    return L


def _cho_solve(L, b):
    """A^-1 b from the Cholesky factor L of A, by two triangular solves.

    The same result as ``torch.cholesky_solve`` (bit for bit in our checks), whose CPU
    path copies the whole factor on every call: one right-hand side with a 2,100-wide
    factor took 18.7 ms there against 1.1 ms here (one thread).
    """
    torch = _torch()
    return torch.linalg.solve_triangular(
        L.T, torch.linalg.solve_triangular(L, b, upper=False), upper=True)


class _Data:
    """The program's data on the device, in float64, as the interior-point method uses it.

    X (n, d), y (n,), Dt (n, P) slopes of the patterns, M (n, B) signed slopes of the
    blocks; the cone rows Xl (m, d) with signs S (m, B) (gated ReLU: m = 0).
    """

    def __init__(self, program: ConvexProgram, device, route):
        torch = _torch()
        dt = torch.float64
        self.program = program
        self.n, self.d, self.P, self.B = program.n, program.d, program.P, program.n_blocks
        self.k = self.d + 1
        self.beta, self.loss, self.gated, self.route = (program.beta, program.loss,
                                                        program.gated, route)
        self.X, self.y, self.M, S = program.tensors(device, dt)
        self.Dt = torch.tensor(program.Dt, dtype=dt, device=device)
        # cone rows; a zero row of X constrains nothing and would keep its slack at 0
        keep = (np.zeros(0, dtype=np.int64) if program.gated
                else np.flatnonzero(np.abs(program.X).sum(axis=1) > 0))
        self.keep = keep
        self.rows = torch.as_tensor(keep, device=device)
        self.S = S[self.rows] if S is not None else torch.zeros((0, self.B), dtype=dt,
                                                                device=device)
        self.Xl = self.X[self.rows]
        self.m = len(keep)
        self.nu = self.m * self.B + self.B  # degree of the cone
        self.e_q = torch.zeros((self.k, self.B), dtype=dt, device=device)
        self.e_q[0] = 1.0
        # the upper triangles of the rows' outer products x x^T, (m, d (d + 1) / 2): each
        # block's cone Hessian X^T diag(c_j) X is then one GEMM row c^T XX (half the flops
        # of the full d^2: digits, B = 200, 2.3 -> 1.2 GFlop an iteration); kept where
        # they take less memory (and flops) than the (B, m, d) products X W_j of the other
        # way (d <= B)
        self.XX = None
        if self.m and self.d <= self.B:
            self.tri = torch.triu_indices(self.d, self.d, device=device)
            self.XX = self.Xl[:, self.tri[0]] * self.Xl[:, self.tri[1]]
        self.A_cols = self.K_fixed = self.K = None
        # gated ReLU: the n x n system from two (n, P) Gram matrices and X X^T
        # (``_NewtonSystem._hadamard_gram``), fewer flops than the general form once d > 2
        self.hadamard = route == "rows" and self.gated and self.d > 2
        if self.hadamard:
            self.K = self.X @ self.X.T
        if route == "columns":  # A as a matrix (n, Pd); A^T A once for the squared loss
            self.A_cols = (self.Dt[:, :, None] * self.X[:, None, :]).reshape(self.n, -1)
            if self.loss == "squared":
                self.K_fixed = self.A_cols.T @ self.A_cols
        # weights below this norm may be round-off (see certify)
        self.w_floor = 1e-7 * float(torch.linalg.vector_norm(self.y)) / max(
            float(torch.linalg.matrix_norm(self.X, ord=2)), 1e-300)

    def loss_parts(self, pred):
        """Loss value, gradient g and Hessian diagonal h with respect to pred."""
        return loss_parts(pred, self.y, self.loss)

    def forward(self, U):
        """sum_j M_j * (X u_j), (n,)."""
        return (self.X @ U * self.M).sum(dim=1)

    def pair(self, V):
        """p_i = u_i - v_i (gated: u_i) for V of shape (., B): (., P)."""
        return V if self.gated else V[:, :self.P] - V[:, self.P:]

    def unpair(self, Q):
        """The transpose of `pair`: (., P) -> (., B)."""
        return Q if self.gated else _torch().cat([Q, -Q], dim=1)

    def multipliers(self, Gamma):
        """Gamma (m, B) of the kept rows as multipliers (n, B) of all rows (numpy)."""
        if self.gated:
            return None
        out = np.zeros((self.n, self.B))
        out[self.keep] = Gamma.cpu().numpy()
        return out

    def certify(self, U, Gamma, exact_for=None):
        """The certificate of U, or of U with its vanishing blocks set to zero (a block
        that should vanish only reaches ~sqrt(mu) and may sit outside its cone by as
        much): whichever is feasible with the smaller gap.

        Returns (certificate, the blocks certified).  The multipliers Gamma (m, B) of the
        cone rows bound the cone maxima.  With a tolerance `exact_for`, when no bound
        certificate proves it, each candidate whose exact maxima could prove it
        (``_could_prove``) is certified again with them (NNLS, where affordable).
        """
        norms = _torch().linalg.vector_norm(U, dim=0)
        keep = norms > max(ZERO_BLOCK_RTOL * float(norms.max()), self.w_floor)
        Gamma_np = self.multipliers(Gamma)
        candidates = [U] if bool(keep.all()) else [U, U * keep]
        best = None

        def consider(W, exact):
            nonlocal best
            Ux, Vx = self.program.split(W.cpu().numpy())
            cert = certify(self.program, Ux, Vx, Gamma_np, exact=exact)
            if best is None or (not cert.feasible, cert.gap) < (not best[0].feasible,
                                                                  best[0].gap):
                best = (cert, W)
            return cert

        bounded = [(consider(W, False), W) for W in candidates]
        if exact_for is not None and not best[0].proves(exact_for):
            for cert, W in bounded:
                if self._could_prove(cert, W, exact_for):
                    consider(W, "auto")
        return best

    def _could_prove(self, cert, W, tol):
        """Could exact cone maxima make `cert`, the bound certificate of the blocks W,
        prove `tol`?  The NNLS can lower each maximum c_i no further than what a block
        inside its cone attains, ``|lambda0^T Dt_i X w| / ||w||``; if even the dual point
        s lambda0 scaled so that the largest of these is beta leaves the gap above tol,
        the exact values are not worth their cost (breast_cancer, P = 300: 0.3 s for one
        certificate that then did not prove tol)."""
        program = self.program
        if program.gated or not cert.feasible:  # gated: the maxima are exact already
            return False
        W_np = W.cpu().numpy()
        output = program.output(*program.split(W_np))
        lam0 = -loss_parts(output, program.y, program.loss)[1]
        images = program.X @ W_np  # (n, B): X w_j
        norms = np.linalg.norm(W_np, axis=0)
        inside = (norms > 0) & ((program.block_signs() * images).min(axis=0) >= 0)
        attained = np.abs(lam0 @ (program.block_slopes() * images))[inside] / norms[inside]
        ceiling, _ = dual_bound(program.y, lam0, attained, program.beta, program.loss)
        return cert.objective - ceiling <= tol * abs(cert.objective)


class _Point:
    """An iterate: blocks U (d, B), bounds t (B,), slacks and multipliers of the cone
    rows s_l, z_l (m, B) and of the second-order cones s_q, z_q (d+1, B)."""

    def __init__(self, U, t, s_l, z_l, s_q, z_q):
        self.U, self.t, self.s_l, self.z_l, self.s_q, self.z_q = U, t, s_l, z_l, s_q, z_q

    def moved(self, d, step):
        return _Point(*(getattr(self, k) + step * getattr(d, k) for k in _Direction._PARTS))

    def max_step(self, d):
        """Largest step along direction d that stays in the cones."""
        torch = _torch()
        steps = torch.stack([_soc_step(self.s_q, d.s_q).min(), _soc_step(self.z_q, d.z_q).min(),
                             _lp_step(self.s_l, d.s_l), _lp_step(self.z_l, d.z_l)])
        return float(steps.min())


class _NewtonSystem:
    """The Newton system of one iterate, factored: ``solve`` gives a direction.

    Block j of ``H + G^T W^-2 G`` is W_j^-2 + [0, 0; 0, X^T diag(z/s) X] = W_j^-1 T_j
    W_j^-1 with T_j = I + W_j C_j W_j (eigenvalues >= 1): T_j is factored, never W_j^-2,
    whose condition number is the square of W_j's.  The loss Hessian is added through
    p = pair(u) on the route's space (module docstring).  `timer` (``phases``) times the
    rows route's n x n product as "gram".
    """

    def __init__(self, prog, pt, h, timer):
        torch = _torch()
        self.prog, self.pt, self.h = prog, pt, h
        B, k, d, P = prog.B, prog.k, prog.d, prog.P
        self.scal = _NTScaling(pt.s_l, pt.z_l, pt.s_q, pt.z_q)
        Wm = self.scal.matrix()  # (B, k, k)
        eye_k = torch.eye(k, dtype=Wm.dtype, device=Wm.device).expand(B, k, k)
        # T = I + Q^T Q with Q = diag(sqrt(z/s)) X W_u, a Gram matrix so that it stays
        # PSD in floating point; where its Cholesky fails, a QR of [I; Q] gives the
        # factor without forming the square
        self.zs = pt.z_l / pt.s_l  # (m, B), used by every solve

        def cone_rows(blocks=slice(None)):  # (B, m, k), or the given blocks only
            return ((prog.Xl @ Wm[blocks, 1:, :])
                    * torch.sqrt(self.zs[:, blocks]).T[:, :, None])

        if prog.XX is not None:  # W_u^T (X^T diag(z/s) X) W_u, the Hessians by one GEMM
            Wu = Wm[:, 1:, :]
            upper = self.zs.T @ prog.XX  # (B, d (d + 1) / 2)
            Hc = torch.empty((B, d, d), dtype=upper.dtype, device=upper.device)
            Hc[:, prog.tri[0], prog.tri[1]] = upper
            Hc[:, prog.tri[1], prog.tri[0]] = upper
            T = Wu.transpose(1, 2) @ Hc @ Wu
            T = 0.5 * (T + T.transpose(1, 2)) + eye_k
            Q = None
        else:
            Q = cone_rows()
            T = Q.transpose(1, 2) @ Q + eye_k
        LT, info = torch.linalg.cholesky_ex(T)
        failed = torch.nonzero(info > 0)[:, 0]
        if len(failed):  # only these blocks: the QR costs roughly (m + k) / k Choleskys
            Q = (cone_rows(failed) if Q is None else Q[failed])
            LT[failed] = torch.linalg.qr(torch.cat([eye_k[failed], Q], dim=1),
                                         mode="r")[1].transpose(1, 2)
        # the blocks' inverses W T^-1 W = R^T R with R = L_T^-1 W, (B, k, k), applied as
        # R^T (R r) by broadcast products and sums (never formed: the square would lose
        # the small directions of W); (block inverse)_uu = Rt^T Rt with Rt = R[:, :, 1:],
        # and F_i sums the blocks of pattern i: F_i = Rf_i^T Rf_i
        self.R = R = torch.linalg.solve_triangular(LT, Wm, upper=False)
        Rt = R[:, :, 1:]  # (B, k, d)
        Rstack = Rt if prog.gated else torch.cat([Rt[:P], Rt[P:]], dim=1)
        LF, info = torch.linalg.cholesky_ex(Rstack.transpose(1, 2) @ Rstack)
        self.Rf = (torch.linalg.qr(Rstack, mode="r")[1] if int(info.max()) > 0
                   else LF.transpose(1, 2))  # (P, d, d)
        if prog.hadamard:
            self.sh = h.sqrt()
            C = self._hadamard_gram(timer)
        elif prog.route == "rows":  # Woodbury: I + sqrt(h) A F A^T sqrt(h), (n, n)
            self.sh = h.sqrt()
            # Z = [Dt_1 X Rf_1^T, ..., Dt_P X Rf_P^T] scaled by sqrt(h): one GEMM with the
            # Rf_i^T side by side, then the masks in place (no (P, n, d) transpose)
            Z = prog.X @ self.Rf.permute(2, 0, 1).reshape(d, P * d)
            Z.view(prog.n, P, d).mul_((prog.Dt * self.sh[:, None])[:, :, None])
            with timer("gram"):
                C = _gram(Z)
            C.diagonal().add_(1.0)
        else:  # F^-1 + A^T diag(h) A, (Pd, Pd)
            C = (prog.K_fixed.clone() if prog.K_fixed is not None
                 else prog.A_cols.T @ (h[:, None] * prog.A_cols))
            eye_d = torch.eye(d, dtype=Wm.dtype, device=Wm.device).expand(P, d, d)
            Rinv = torch.linalg.solve_triangular(self.Rf, eye_d, upper=True)
            diag = torch.arange(P, device=Wm.device)
            C.view(P, d, P, d)[diag, :, diag, :] += Rinv @ Rinv.transpose(1, 2)
        self.LC = _cholesky(C)

    def _hadamard_gram(self, timer):
        """Gated ReLU, rows route: I + sqrt(h) A F A^T sqrt(h) without the (n, Pd)
        products.  Without cone rows F_i is the (u, u) block of W_i^2 = eta_i^2 H(w_i)^2,
        eta_i^2 (I + g_i w_i w_i^T) with w_i the scaling point without its first entry
        and g_i = 1 + 2 c + c^2 |w_i|^2, c = 1 / (1 + w0) (g_i = 2 when w0^2 - |w_i|^2 = 1,
        as it is up to round-off; the computed g_i keeps this form equal to the factors
        ``_reduced_solve`` uses), so with S = diag(sqrt(h)) Dt (n, P)

            sum_i S_i X F_i X^T S_i = (X X^T) o (S diag(eta^2) S^T) + V V^T,
            V_i = sqrt(g_i) eta_i S_i * (X w_i),

        two (n, P) Gram matrices: 4 n^2 P flops as full products, where the general form
        takes 2 n^2 P d.
        """
        prog, scal = self.prog, self.scal
        w0, w = scal.w[0], scal.w[1:]
        c = 1.0 / (1.0 + w0)
        g = 1.0 + 2.0 * c + c * c * (w * w).sum(dim=0)
        S = prog.Dt * self.sh[:, None]
        V = S * (prog.X @ w) * (g.sqrt() * scal.eta)
        with timer("gram"):
            C = _gram(S * scal.eta).mul_(prog.K)
            C += _gram(V)
        C.diagonal().add_(1.0)
        return C

    def _block_solve(self, r):
        """Bd^-1 r = R^T (R r) for r of shape (B, k)."""
        Rr = (self.R * r[:, None, :]).sum(dim=2)
        return (self.R * Rr[:, :, None]).sum(dim=1)

    def _F_solve(self, v):
        """F_i^-1 v_i for v of shape (d, P)."""
        torch = _torch()
        x = torch.linalg.solve_triangular(self.Rf.transpose(1, 2), v.T[:, :, None], upper=False)
        return torch.linalg.solve_triangular(self.Rf, x, upper=True)[:, :, 0].T

    def _reduced_solve(self, r):
        """xi (k, B) with (H + G^T W^-2 G) xi = r, r of shape (B, k)."""
        torch = _torch()
        prog = self.prog
        a = prog.pair(self._block_solve(r)[:, 1:].T)  # (d, P)
        if prog.route == "rows":
            Aa = (prog.Dt * (prog.X @ a)).sum(dim=1) * self.sh
            v = _cho_solve(self.LC, Aa[:, None])[:, 0] * self.sh
            ATv = prog.X.T @ (prog.Dt * v[:, None])  # (d, P)
            p = a - (self.Rf.transpose(1, 2) @ (self.Rf @ ATv.T[:, :, None]))[:, :, 0].T
        else:
            rhs = self._F_solve(a).T.reshape(-1, 1)
            p = _cho_solve(self.LC, rhs)[:, 0].reshape(prog.P, prog.d).T
        nu = prog.unpair(self._F_solve(a - p))  # (d, B): multipliers of u_i - v_i = p_i
        return self._block_solve(r - torch.cat([torch.zeros_like(nu[:1]), nu]).T).T

    def _apply(self, xi):
        """(H + G^T W^-2 G) xi as (B, k), for the residual of a solve."""
        prog = self.prog
        out = self.scal.Winv(self.scal.Winv(xi))
        u = xi[1:]
        # the cone rows through X u, not through the blocks' d x d Hessians: near the end
        # z/s spans many magnitudes and the residual needs X u's accuracy (with the
        # Hessians, the sine data of tests/test_verification.py stalled at 8e-7, tol 1e-9)
        out[1:] += prog.Xl.T @ (self.zs * (prog.Xl @ u))
        Hp = self.h * (prog.Dt * (prog.X @ prog.pair(u))).sum(dim=1)  # diag(h) A p, (n,)
        out[1:] += prog.unpair(prog.X.T @ (prog.Dt * Hp[:, None]))
        return out.T

    def solve(self, bU, bt, bz_l, bz_q, bs_l, bs_q):
        """The direction with H dx + G^T dz = b_x, G dx + ds = b_z, lambda o (W dz +
        W^-1 ds) = b_s (x = (U, t)), by the reduced system and iterative refinement."""
        torch = _torch()
        prog, pt, scal = self.prog, self.pt, self.scal
        rho_q = scal.Winv(scal.Winv(bz_q) - _soc_div(scal.lam_q, bs_q))
        # the cone rows' -rho = (b_s - z o b_z) / s, each (m, B) pass counted (they are
        # most of an iteration's time once n is large)
        mrho_l = torch.div(bs_l, pt.s_l).addcmul_(self.zs, bz_l, value=-1.0)
        r = torch.cat([(bt - rho_q[0])[None],
                       bU - rho_q[1:] + prog.Xl.T @ (prog.S * mrho_l)]).T  # (B, k)
        xi = self._reduced_solve(r)
        for _ in range(_REFINE):  # W^-2 is badly conditioned near the end
            res = r - self._apply(xi)
            if float(res.abs().max()) <= _REFINE_RTOL * float(r.abs().max()):
                break
            xi = xi + self._reduced_solve(res)
        sg = (prog.Xl @ xi[1:]).mul_(prog.S)  # -G dx on the cone rows
        return _Direction(U=xi[1:], t=xi[0], s_l=bz_l + sg,
                          z_l=mrho_l.addcmul_(self.zs, sg, value=-1.0),
                          s_q=bz_q + xi, z_q=scal.Winv(scal.Winv(-xi)) - rho_q)


class _Direction:
    _PARTS = ("U", "t", "s_l", "z_l", "s_q", "z_q")

    def __init__(self, **parts):
        self.__dict__.update(parts)

    def __add__(self, other):
        return _Direction(**{k: getattr(self, k) + getattr(other, k) for k in self._PARTS})


def _centrality_targets(pt, direction, aim, scal, target):
    """Corrections of the complementarity products of the trial point `pt` + `aim` *
    `direction` that bring them into ``_CENTRAL`` times `target` (Gondzio 1996): (m, B)
    for the cone rows, (k, B) for the second-order cones, whose scaled product
    (W^-1 s) o (W z) is corrected on its two eigenvalues (x0 +- |x1|)."""
    torch = _torch()
    lo, hi = _CENTRAL[0] * target, _CENTRAL[1] * target

    def change(v):
        """Into [lo, hi]; products far above are only pulled down by hi (the rest is
        left to the direction)."""
        return (v.clamp(min=lo, max=hi) - v).clamp_(min=-hi)

    s_q, z_q = (x.add(dx, alpha=aim) for x, dx in ((pt.s_q, direction.s_q),
                                                   (pt.z_q, direction.z_q)))
    v_l = pt.s_l.add(direction.s_l, alpha=aim).mul_(pt.z_l.add(direction.z_l, alpha=aim))
    v_q = _soc_prod(scal.Winv(s_q), scal.W(z_q))
    norm = torch.linalg.vector_norm(v_q[1:], dim=0)
    unit = v_q[1:] / norm.clamp(min=1e-300)
    big, small = change(v_q[0] + norm), change(v_q[0] - norm)  # of the two eigenvalues
    return change(v_l), torch.cat([((big + small) / 2)[None], unit * ((big - small) / 2)])


def _correct(pt, newton, direction, target, timer, correctors):
    """Gondzio's multiple centrality correctors for the predictor-corrector `direction`
    at the iterate `pt`, with the factored `newton` system and `target` = sigma mu (a
    number); at most `correctors` of them.  Returns the corrected direction.

    Each one asks for a step ``_ASPIRATION`` longer than the direction allows: at that
    trial point the complementarity products outside ``_CENTRAL`` * `target` (sigma mu)
    are the right-hand side of one more solve with the same factors (primal and dual
    residuals zero), and the sum is kept when its step grows.  Each costs one solve with
    the factors at hand, a fraction of forming them.  Measured with P = 100 Gaussian
    patterns, beta 0.1 (``bench/solvers.py``): the ReLU programs of breast_cancer and
    digits took 33 and 36 iterations, against 43 and 47 with the code before them.
    """
    torch = _torch()
    alpha = min(1.0, pt.max_step(direction))
    for _ in range(correctors):
        if alpha >= 1.0:
            break
        aim = min(1.0, alpha + _ASPIRATION)
        t_l, t_q = _centrality_targets(pt, direction, aim, newton.scal, target)
        with timer("directions"):
            corrector = newton.solve(torch.zeros_like(pt.U), torch.zeros_like(pt.t),
                                     torch.zeros_like(t_l), torch.zeros_like(t_q), t_l, t_q)
        candidate = direction + corrector
        reach = min(1.0, pt.max_step(candidate))
        if reach < alpha + _ACCEPT * (aim - alpha):
            break
        direction, alpha = candidate, reach
    return direction


def _starting_point(prog, newton, g):
    """CVXOPT's start: at s = z = e the scaling is the identity; solve H x + G^T z = -q,
    G x - z = 0, then shift s = -z and z into the interior of the cones."""
    torch = _torch()
    q_U = prog.X.T @ (prog.M * g[:, None])  # gradient of f at U = 0
    zero_q, zero_l = torch.zeros_like(prog.e_q), torch.zeros_like(newton.pt.s_l)
    d = newton.solve(-q_U, -prog.beta * torch.ones_like(prog.e_q[0]), zero_l, zero_q,
                     zero_l, zero_q)
    shifted = []
    for q, lp in ((-d.z_q, -d.z_l), (d.z_q, d.z_l)):
        shift = float((torch.linalg.vector_norm(q[1:], dim=0) - q[0]).max())
        if lp.numel():
            shift = max(shift, float((-lp).max()))
        if shift >= -1e-8 * max(1.0, float(q.abs().max())):
            q, lp = q + (1 + shift) * prog.e_q, lp + (1 + shift)
        shifted.append((q, lp))
    (s_q, s_l), (z_q, z_l) = shifted
    return _Point(d.U, d.t, s_l, z_l, s_q, z_q)


def _trusted_step(prog, pred, dU, step, f, g, h):
    """The step along dU (predictions `pred` now), halved until the loss's quadratic model
    (value f, gradient g, Hessian diagonal h at `pred`, as the Newton system used them)
    is off by at most half its predicted change or half its second-order term, whichever
    is larger (the model's error is third order, so the steps near the optimum pass).
    Returns 0 when no step above 1e-12 passes.

    For the squared loss the model is exact; for the logistic loss full steps overshot
    where h is small: on random 300-point problems (d = 3, gated, beta 0.05 or 0.02, 60
    patterns) the objective jumped from 118 to 863 in one step and grew to 1e19 ("stalled"
    in 5 of 80 programs; with the check, none).
    """
    dpred = prog.forward(dU)
    slope = float(g @ dpred)
    curvature = float((h * dpred * dpred).sum())
    while step > 1e-12:
        second = 0.5 * step * step * curvature
        model = step * slope + second
        actual = float(prog.loss_parts(pred + step * dpred)[0]) - float(f)
        if actual - model <= 0.5 * max(abs(model), second) + 1e-12 * abs(float(f)):
            return step
        step *= 0.5
    return 0.0


def _direction(prog, pt, newton, g, gap, timer, correctors):
    """The search direction at `pt`: Mehrotra's predictor-corrector on the KKT residuals
    (the predictor is the affine-scaling direction; the corrector adds the complementarity's
    second-order term and centering on sigma * mu), then Gondzio's `correctors`."""
    torch = _torch()
    # residuals of the KKT conditions
    bU = -(prog.X.T @ (prog.M * g[:, None]) - pt.z_q[1:] - prog.Xl.T @ (prog.S * pt.z_l))
    bt = -(prog.beta - pt.z_q[0])
    bz_q = -(pt.s_q - torch.cat([pt.t[None], pt.U]))
    bz_l = -(pt.s_l - prog.S * (prog.Xl @ pt.U))
    scal = newton.scal
    lamsq_q = _soc_prod(scal.lam_q, scal.lam_q)
    lamsq_l = scal.lamsq_l
    with timer("directions"):
        aff = newton.solve(bU, bt, bz_l, bz_q, -lamsq_l, -lamsq_q)
    sigma = min(1.0, (1.0 - min(1.0, pt.max_step(aff))) ** 3)
    mu = gap / prog.nu
    bs_q = -lamsq_q - _soc_prod(scal.Winv(aff.s_q), scal.W(aff.z_q)) + sigma * mu * prog.e_q
    bs_l = -lamsq_l - aff.s_l * aff.z_l + sigma * mu
    with timer("directions"):
        direction = newton.solve(bU, bt, bz_l, bz_q, bs_l, bs_q)
    return _correct(pt, newton, direction, sigma * mu, timer, correctors)


def _stalled(since_best, below_tol, steps):
    """Stop for round-off?  The best certificate is `since_best` iterations old, and the
    complementarity is below tol (`below_tol`) or the last ``_PATIENCE`` `steps` (step
    lengths, one per iteration) were all below ``_COLLAPSED`` (the Newton systems have
    lost their digits)."""
    if since_best < _PATIENCE:
        return False
    return below_tol or (len(steps) >= _PATIENCE and max(steps[-_PATIENCE:]) < _COLLAPSED)


def interior_point(program: ConvexProgram, *, tol=1e-6, max_iter=100, device="cpu",
                   progress=False, route=None, correctors=_CORRECTORS) -> SolverResult:
    """Solve `program` by the interior-point method (no polish); see ``solve_convex``.

    Parameters
    ----------
    program : ConvexProgram
    route : {"rows", "columns"}, optional
        Space of the reduced Newton system; default: the one with fewer flops.
    correctors : int
        Gondzio's centrality correctors per iteration at most (0: Mehrotra's
        predictor-corrector alone).

    Returns
    -------
    SolverResult
        status "optimal", "max_iterations", "stalled" (round-off, or a loss whose
        quadratic model no step above 1e-12 could trust, stopped progress short of tol)
        or "numerical_error"; multipliers Gamma (n, 2P) of the cone rows.
    """
    torch = _torch()
    start = time.perf_counter()
    n, d, P = program.n, program.d, program.P
    route = route or newton_route(n, d, P, program.loss, program.gated)
    if route not in ("rows", "columns"):
        raise ValueError(f"route must be 'rows' or 'columns', got {route!r}")
    correctors = check_positive_int(correctors, "correctors", minimum=0)
    timer = PhaseTimer(device)  # where the solve's time goes (``SolverResult.phases``)
    prog = _Data(program, device, route)
    B, m = prog.B, prog.m
    e_q = prog.e_q
    ones_l = torch.ones((m, B), dtype=torch.float64, device=device)
    pt = _Point(torch.zeros((d, B), dtype=torch.float64, device=device),
                torch.zeros(B, dtype=torch.float64, device=device), ones_l, ones_l.clone(),
                e_q.clone(), e_q.clone())
    best = None  # (certificate, blocks, multipliers, iteration)
    history = []
    steps = []  # each iteration's step to the cones' boundary (before a loss's trust test)
    last_objective = 0.0
    bar = LazyBar(max_iter, f"ipm P={P}", disable=not progress)
    status = MAX_ITERATIONS
    it = 0
    for it in range(1, max_iter + 1):
        pred = prog.forward(pt.U)
        f, g, h = prog.loss_parts(pred)
        gap = float((pt.s_q * pt.z_q).sum() + (pt.s_l * pt.z_l).sum())
        primal = float(f) + program.beta * float(torch.linalg.vector_norm(pt.U, dim=0).sum())
        bar.update(1)
        # far from the end the certificate (a pass over the data, the cone maxima) cannot
        # prove tol: certify once the complementarity is within reach of it
        if it == max_iter or gap <= _CERTIFY_FROM * tol * abs(primal):
            # the exact cone maxima (NNLS) only pay off once the end is near
            with timer("certificate"):
                near = gap <= 10 * tol * abs(last_objective)
                cert, U_cert = prog.certify(pt.U, pt.z_l, exact_for=tol if near else None)
            last_objective = cert.objective
            history.append((it, cert.objective, cert.gap))
            if cert.feasible and (best is None or cert.gap < best[0].gap):
                best = (cert, U_cert, pt.z_l.clone(), it)
            elif best is not None and _stalled(it - best[3], gap <= tol * abs(cert.objective),
                                               steps):
                status = STALLED  # round-off has taken over: keep the best iterate
                break
            bar.set_postfix(gap=f"{cert.gap:.2e}")
            if cert.proves(tol):
                status = OPTIMAL
                break
        try:
            with timer("newton"):
                newton = _NewtonSystem(prog, pt, h, timer)
            if it == 1:
                with timer("directions"):
                    pt = _starting_point(prog, newton, g)
                continue
            direction = _direction(prog, pt, newton, g, gap, timer, correctors)
        except _Breakdown:
            status = NUMERICAL_ERROR
            break
        step = min(1.0, _STEP * pt.max_step(direction))
        steps.append(step)  # the cones' step: a loss model's shortening is no collapse
        if program.loss != "squared":  # the Newton system saw a quadratic model of f
            step = _trusted_step(prog, pred, direction.U, step, f, g, h)
        if not step > 1e-12:
            status = STALLED
            break
        pt = pt.moved(direction, step)
    bar.close()
    if best is None:  # no feasible iterate: report the last one
        with timer("certificate"):
            cert, U_cert = prog.certify(pt.U, pt.z_l)
        best = (cert, U_cert, pt.z_l, it)
    U, V = program.split(best[1].cpu().numpy())
    elapsed = time.perf_counter() - start
    return SolverResult(U=U, V=V, status=status, method="ipm", iterations=it,
                        time=elapsed, device=str(device),
                        multipliers=prog.multipliers(best[2]), route=route, history=history,
                        phases=timer.summary(elapsed, _TOP_PHASES))


def solve(program: ConvexProgram, options) -> SolverResult:
    """The interior-point route of ``solve_convex`` (float64), with a Newton polish when
    round-off stops it short of `options.tol`."""
    need = ipm_memory_estimate(program.n, program.d, program.P, gated=program.gated)
    have = available_memory(options.device)
    if need > 0.8 * have:
        raise MemoryError(
            f"solver='ipm' on n={program.n}, d={program.d}, P={program.P} needs about "
            f"{format_gib(need)} on {options.device}, but only {format_gib(have)} is free; use "
            "solver='al' (cones) or 'fista' (gated), which need O(n P) memory, or fewer "
            "patterns")
    # interior-point iterations cannot use a warm start; it is ignored on purpose
    out = interior_point(program, tol=options.tol,
                         max_iter=min(options.max_iter, ITERATION_CAP),
                         device=options.device, progress=options.progress)
    if out.status in FAILURES:
        # round-off stopped the Newton systems short of tol: the support and the active
        # cone rows are known by now, and the polish solves the smooth restriction
        start = time.perf_counter()
        better = polish_if_better(program, out, certify(program, out.U, out.V, out.multipliers))
        if better is not None:
            polished, after = better
            out.U, out.V, out.multipliers = polished.U, polished.V, polished.multipliers
            out.history.append((out.iterations, after.objective, after.gap))
            if after.proves(options.tol):
                out.status = OPTIMAL
        spent = time.perf_counter() - start
        out.time += spent
        out.phases["polish"] = spent
    return out

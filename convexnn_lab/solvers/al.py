"""The augmented Lagrangian for the program with cones (ReLU, leaky ReLU, absolute value;
chapter 2): each subproblem by the same FISTA (``proximal._fista``), multipliers
Gamma >= 0 updated as Gamma <- max(0, Gamma - rho * S * (X W)), rho raised while the cone
violation does not halve.  The certificate is valid at every iteration (``proximal``).
"""

from __future__ import annotations

import math

from .._internal.comm import LOCAL
from ..core.certificates import gap_within
from ..core.program import FEASIBILITY_RTOL, ConvexProgram
from ..core.solution import SolverResult
from ..status import OPTIMAL
from .proximal import ProximalSolve, _fista, _support, _violation

__all__ = ["AugmentedLagrangianSolve", "solve"]

# the schedule: initial rho, its growth when the cone violation does not halve, and the
# inner FISTA budget (grows by 1.5x per outer step up to _INNER_MAX)
_RHO0, _RHO_GROWTH, _RHO_TRIGGER, _INNER0, _INNER_MAX = 10.0, 2.0, 0.5, 100, 2000


class AugmentedLagrangianSolve(ProximalSolve):
    """min_W  l(sum_j M_j * (X W)_j, y) + beta sum_j ||W_j||  s.t.  S * (X W) >= 0."""

    method = "al"

    def smooth(self, W, need_grad=True, image=None):
        """data loss + (1/(2 rho)) ||max(0, Gamma - rho * S * (X W))||^2 and its gradient,
        from the image X W and one adjoint (the program with cones is never chunked).
        Fused and in place: where d is small an iteration is mostly elementwise work on
        (n, B) arrays."""
        torch, data, rho = self.torch, self.data, self.rho
        Z = data.X @ W if image is None else image
        pred = torch.linalg.vecdot(Z, data.M, dim=1)
        pen = torch.addcmul(self.Gamma, data.S, Z, value=-rho).clamp_(min=0)
        val = data.data_loss(pred) + (0.5 / rho) * torch.linalg.vector_norm(pen) ** 2
        if not need_grad:
            return self.comm.sum(val), None, Z
        # X^T (M * g - S * pen) = -X^T (S * pen - M * g), pen overwritten
        R = pen.mul_(data.S).addcmul_(data.M, data.loss_grad(pred)[:, None], value=-1)
        return (*self.comm.sum(val, -(data.X.T @ R)), Z)

    def feasible(self, c) -> bool:
        """Are the products c = S * (X W) inside their cones (to round-off)?"""
        return _violation(c, self.y_scale, self.comm) <= FEASIBILITY_RTOL

    def iterate(self):
        self.rho, self.inner = self.options.warm_schedule or (_RHO0, _INNER0)
        if self.options.warm_schedule is not None:  # as after each growth of rho
            self.L = max(self.L, self.rho * self.x_norm2)
        # the AL's iterates are not monotone: keep its own feasible iterate with the
        # smallest certified gap, returned in place of a last iterate that is feasible and
        # worse.  A last iterate outside its cones (its usual state short of tol) is
        # returned as it is, and so is one worse than the warm start: handing the warm
        # start back made a loop of short warm-started calls repeat itself exactly
        self.best = {"gap": math.inf, "W": None, "Gamma": None}
        if self.options.warm_start is not None and self._optimal_at_start():
            self.status = OPTIMAL
            return
        self.viol_prev, self.last_support, last_feasible = math.inf, -1, False
        while self.status != OPTIMAL and self.iterations < self.options.max_iter:
            last_feasible = self.outer_step()
        # (a kept point means the loop ran: history[-1] is the last iterate's certificate)
        if (self.status != OPTIMAL and self.best["W"] is not None and last_feasible
                and self.history[-1][2] > self.best["gap"]):
            self.W, self.Gamma = self.best["W"], self.best["Gamma"]

    def _optimal_at_start(self) -> bool:
        """A warm start that is optimal already stops the solve at once."""
        c = self.data.S * (self.data.X @ self.W)
        obj, gap = self.certificate(self.W, self.Gamma)
        return self.feasible(c) and gap_within(gap, obj, self.tol)

    def outer_step(self) -> bool:
        """One subproblem, the multipliers' update, the stopping tests and the schedule;
        returns whether the new iterate is inside its cones."""
        torch, rho = self.torch, self.rho
        self.W, self.L, k, _ = _fista(
            self.data, self.W, self.smooth, L=self.L,
            max_iter=min(self.inner, self.options.max_iter - self.iterations), bar=self.bar)
        self.iterations += k
        c = self.data.S * (self.data.X @ self.W)
        self.Gamma = torch.clamp(self.Gamma - rho * c, min=0)
        viol = self.comm.max(float(torch.clamp(-c, min=0).max()))
        obj, gap = self.certificate(self.W, self.Gamma)
        self.bar.set_postfix(gap=f"{gap:.2e}", viol=f"{viol:.1e}")
        # a block outside its cone maps to a neuron with another pattern: the network may
        # then beat the program, so the gap only counts once the blocks are feasible
        feasible = self.feasible(c)
        if feasible:
            if gap < self.best["gap"]:
                self.best.update(gap=gap, W=self.W.clone(), Gamma=self.Gamma.clone())
            if gap_within(gap, obj, self.tol):
                self.status = OPTIMAL
                return feasible
        support = int(_support(self.W).sum())
        stable, self.last_support = support == self.last_support, support
        # a polish pays off only once the support has stopped moving
        if (stable and gap <= 5 * self.polish_from * abs(obj)
                and self.try_polish(self.W, self.Gamma, gap / max(abs(obj), 1e-300))):
            self.status = OPTIMAL
            return feasible
        if k < self.inner:  # max_iter cut the inner solve short: leave the schedule
            return feasible
        if viol > _RHO_TRIGGER * self.viol_prev:
            self.rho *= _RHO_GROWTH
            self.L = max(self.L, self.rho * self.x_norm2)
        self.viol_prev = viol
        self.inner = min(int(self.inner * 1.5), _INNER_MAX)
        return feasible

    def schedule(self):
        return (self.rho, self.inner)


def solve(program: ConvexProgram, options, *, check_every: int = 10,
          comm=LOCAL) -> SolverResult:
    """The augmented Lagrangian on the program with cones; see ``solve_convex``.  `comm`:
    `program` holds this rank's rows of a row-sharded program."""
    return AugmentedLagrangianSolve(program, options, check_every=check_every,
                                    comm=comm).run()

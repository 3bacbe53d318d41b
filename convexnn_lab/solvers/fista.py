"""FISTA for the gated-ReLU program (chapter 2): accelerated proximal gradient with group
soft-thresholding, backtracking (no step size to tune) and function-value restarts
(``proximal._fista``), stopped by the certified gap, with a Newton polish on the support.
"""

from __future__ import annotations

import numpy as np

from .._internal.comm import LOCAL
from ..core.certificates import gap_within
from ..core.program import ConvexProgram
from ..core.solution import SolverResult
from ..status import OPTIMAL
from .polish import PolishLimits, newton_step_flops
from .proximal import ProximalSolve, _fista, _support

__all__ = ["FistaSolve", "solve"]

# FISTA tries an early polish (relative gap up to _EARLY_GAP instead of 1e-2) once its
# support has held for _STABLE_ITERS iterations and its iterations have cost the flops of
# _EARLY_STEPS of the polish's Newton steps: cheap to lose (at most 2 * _EARLY_STEPS steps;
# a block below 1e-3 of the largest means the support is not the optimum's yet).  In
# float32 the full polish starts at 1e-1 already, and no try is early
_EARLY_GAP, _STABLE_ITERS, _EARLY_STEPS = 1e-1, 500, 5
_EARLY_LIMITS = PolishLimits(max_steps=2 * _EARLY_STEPS, max_prunes=1, collapse_rtol=1e-3)


class FistaSolve(ProximalSolve):
    """min_W  l(sum_j M_j * (X W)_j, y) + beta sum_j ||W_j||, W of shape (d, P)."""

    method = "fista"

    def smooth(self, W, need_grad=True, image=None):
        """The data loss at W, its gradient (one all-reduce for both), and the prediction."""
        data = self.data
        pred = data.forward(W) if image is None else image
        val = data.data_loss(pred)
        if not need_grad:
            return self.comm.sum(val), None, pred
        return (*self.comm.sum(val, data.adjoint(data.loss_grad(pred))), pred)

    def iterate(self):
        # flops of an iteration (one product and one adjoint) over all ranks' rows (the
        # same count on every rank, so that all of them try the same polishes)
        self.rows = self.comm.sum(self.program.n)
        self.iteration_flops = 4.0 * self.rows * self.program.d * self.program.n_blocks
        self.held = {"support": None, "since": 0}
        self.W, self.L, self.iterations, ok = _fista(
            self.data, self.W, self.smooth, L=self.L, max_iter=self.options.max_iter,
            check=self.check, check_every=self.check_every, bar=self.bar)
        if ok or self.check(self.W):
            self.status = OPTIMAL

    def check(self, W, iteration=None) -> bool:
        """Stop? The gap proves tol, or a polish (full, or early on a held support) does."""
        if iteration is not None:
            self.iterations = iteration  # the history's iteration count
        obj, gap = self.certificate(W)
        self.bar.set_postfix(gap=f"{gap:.2e}")
        if gap_within(gap, obj, self.tol):
            return True
        relative = gap / max(abs(obj), 1e-300)
        if relative <= self.polish_from:
            return self.try_polish(W, None, relative)
        # the support only: an early polish pays once it has stopped moving and the
        # iterations have cost what a few Newton steps on it would
        support, it = _support(W), self.iterations
        if self.held["support"] is None or not np.array_equal(support, self.held["support"]):
            self.held.update(support=support, since=it)
        active = int(support.sum())
        early = (relative <= _EARLY_GAP and it - self.held["since"] >= _STABLE_ITERS
                 and it * self.iteration_flops >= _EARLY_STEPS * newton_step_flops(
                     self.rows, active * self.program.d, active, self.comm))
        # every rank decides alike (the polish makes collective calls)
        return self.comm.max(float(early)) > 0 and self.try_polish(
            W, None, relative, limits=_EARLY_LIMITS, kind="early")


def solve(program: ConvexProgram, options, *, chunk_rows: int | None = None,
          check_every: int = 10, stream: bool | None = None, comm=LOCAL) -> SolverResult:
    """FISTA on the gated program; see ``solve_convex``.  `stream` keeps X and the masks in
    host memory and sends row chunks to the device for each product (by default when
    they do not fit the device); `comm`: `program` holds this rank's rows."""
    return FistaSolve(program, options, chunk_rows=chunk_rows, check_every=check_every,
                      stream=stream, comm=comm).run()

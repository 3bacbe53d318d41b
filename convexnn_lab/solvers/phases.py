"""Where a solve's time goes: seconds per named phase, kept in ``SolverResult.phases``.

The torch solvers time their phases with :class:`PhaseTimer` (``bench/solvers.py``
prints them beside each row), so a claim about where the time goes has its numbers:

* interior point: ``"newton"`` forming and factoring the Newton systems, of which
  ``"gram"`` the n x n product of the rows route (2 n^2 P d flops as a full product, of
  which ``interior._gram`` computes 9/16 from the lower block triangle; gated ReLU: two
  n x P products, ``interior._NewtonSystem._hadamard_gram``); ``"directions"``
  the solves for the directions (with refinement and Gondzio's correctors);
  ``"certificate"`` certifying iterates; ``"polish"`` the Newton polish after a stall and
  the certificates of its point; the rest (setup, residuals, steps) is ``"other"``;
* FISTA and the augmented Lagrangian: ``"certificate"``, ``"polish"`` (with the
  certificate of the polished point), and the rest, the iterations, ``"iterations"``.

On a GPU each boundary waits for the device (``torch.cuda.synchronize``), so that its
asynchronous work is counted in its phase: a few waits per interior-point iteration, one
per FISTA certificate (every 10 iterations), small against the work between them.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

__all__ = ["PhaseTimer"]


class PhaseTimer:
    """Wall-clock seconds spent in named phases; phases may nest (``"gram"`` inside
    ``"newton"``) and repeat (the seconds add up).

    Parameters
    ----------
    device : str
        Where the timed work runs: on "cuda" every boundary synchronizes the device.
    """

    def __init__(self, device: str = "cpu"):
        self.seconds: dict = {}
        self._sync = str(device).startswith("cuda")
        self._start = time.perf_counter()

    def _now(self) -> float:
        if self._sync:
            import torch

            torch.cuda.synchronize()
        return time.perf_counter()

    @contextmanager
    def __call__(self, name: str):
        """Time the body of a ``with`` statement as phase `name`."""
        self.seconds.setdefault(name, 0.0)  # phases listed in the order they first began
        start = self._now()
        try:
            yield
        finally:
            self.seconds[name] += self._now() - start

    def summary(self, total: float | None = None, top_level=None) -> dict:
        """The phases' seconds, and ``"other"``: `total` (default: since this timer was
        made) less the phases in `top_level` (default: all; a nested phase such as
        "gram" must be left out of it, as its time is already inside its parent's)."""
        total = time.perf_counter() - self._start if total is None else total
        names = self.seconds if top_level is None else top_level
        out = dict(self.seconds)
        out["other"] = max(0.0, total - sum(self.seconds.get(k, 0.0) for k in names))
        return out

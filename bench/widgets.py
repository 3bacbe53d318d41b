"""How long a slider move takes in each explorer (update + redraw + PNG render).

    python bench/widgets.py

The reference measured in the same run is the explorer's one-time setup, so the
printed ratio says how much of the heavy work the callbacks avoid.
"""

from __future__ import annotations

import contextlib
import io
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab.book.widgets import (  # noqa: E402
    ArrangementExplorer,
    LandscapeExplorer,
    RegularizationExplorer,
)


def time_moves(box, slider, values):
    """Seconds per move: the callback, the redraw and the PNG a browser would receive."""
    times = []
    for v in values:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # display() outside a kernel prints
            slider.value = v
        box.figure.savefig(io.BytesIO(), format="png")
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.max(times))


def main():
    rng = np.random.default_rng(0)
    rows = []
    t0 = time.perf_counter()
    box = ArrangementExplorer(rng.standard_normal((12, 2))).widget()
    setup = time.perf_counter() - t0
    rows.append(("arrangement (12 points)", setup, *time_moves(box, box.slider, range(0, 360, 15))))
    t = np.linspace(-1, 1, 12)
    t0 = time.perf_counter()
    ex = RegularizationExplorer(t, np.sin(3 * t), np.geomspace(1e-3, 1, 8))
    box = ex.widget()
    setup = time.perf_counter() - t0
    rows.append(("regularization (8 betas)", setup,
                 *time_moves(box, box.slider, sorted(ex.betas) * 2)))
    X, y = cl.toy("two_neurons")
    t0 = time.perf_counter()
    box = LandscapeExplorer(X, y).widget()
    setup = time.perf_counter() - t0
    rows.append(("landscape (start w1)", setup,
                 *time_moves(box, box.sliders[1], np.linspace(-2.5, 2.5, 11))))
    print(f"{'explorer':28s} {'setup s':>8s} {'median move s':>14s} {'max move s':>11s} "
          f"{'setup/move':>10s}")
    for name, setup, med, worst in rows:
        print(f"{name:28s} {setup:8.3f} {med:14.3f} {worst:11.3f} {setup / med:10.1f}")


if __name__ == "__main__":
    main()

"""Checks of chapter 06's exercises (``solutions/ex06_gpu_cifar.md``).

Chapter: Train on images at scale: convex gated ReLU against Adam and SGD.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


@_register("ex06.q1")
def _ex06_q1(fn):
    labels = np.array([2, 0, 1, 2])
    got = np.asarray(fn(labels, 4), dtype=float)
    if got.shape == (4, 3):
        raise Feedback("pass the number of classes on: 4 classes means 4 columns even if "
                       "class 3 does not occur")
    if got.shape != (4, 4):
        raise Feedback(f"return shape (n, n_classes) = (4, 4), got {got.shape}")
    _close(got, np.eye(4)[labels], "the one-hot matrix")


@_register("ex06.q2")
def _ex06_q2(fn):
    rng = np.random.default_rng(62)
    G = np.asarray(fn((2, 6, 6), 3, rng), dtype=float)
    if G.shape != (72, 3):
        raise Feedback(f"return gates as columns: shape (C*H*W, n) = (72, 3), got {G.shape}")
    for k in range(3):
        block = G[:, k].reshape(2, 6, 6) != 0
        rows, cols = np.nonzero(block.any(axis=0))
        if block.sum() != 18 or np.ptp(rows) != 2 or np.ptp(cols) != 2 or \
                not (block[0] == block[1]).all():
            raise Feedback(f"gate {k} is not one 3x3 patch on every channel (it has "
                           f"{int(block.sum())} nonzeros; expected 2 x 3 x 3 = 18)")


@_register("ex06.q3")
def _ex06_q3(fn):
    from ..solvers import solve_convex

    rng = np.random.default_rng(63)
    X = np.column_stack([rng.standard_normal((15, 2)), np.ones(15)])
    Y = np.eye(3)[rng.integers(0, 3, 15)]
    P = np.unique((X @ rng.standard_normal((3, 6)) >= 0).T, axis=0)
    got = float(fn(X, Y, 0.3, P))
    ref = solve_convex(X, Y, 0.3, P, gated=True).objective
    _close(got, ref, "the vector-output objective", rtol=1e-5)

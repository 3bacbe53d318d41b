"""Checks of chapter 07's exercises (``solutions/ex07_planted_model_and_path.md``).

Chapter: Recover a planted model, and walk the path of networks.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


@_register("ex07.q1")
def _ex07_q1(fn):
    w = np.array([0.6, 0.8])
    U = np.zeros((2, 3))
    cases = [(w + 1e-7, U, True), (w * 1.01, U, False), (w, U + 1e-3, False),
             (w, U + 1e-9, True)]
    for w0, blocks, want in cases:
        got = bool(fn(w0, blocks, w, 1e-4))
        if got != want:
            if not want and np.allclose(w0, w):
                raise Feedback("recovery also needs every other block to be (near) zero: "
                               "compare their norms with tol * ||w*||")
            raise Feedback(f"for ||w0 - w*|| = {np.linalg.norm(w0 - w):.1e} and largest block "
                           f"{np.linalg.norm(blocks, axis=0).max():.1e} you say {got}")


@_register("ex07.q2")
def _ex07_q2(fn):
    from ..datasets import planted_linear
    from ..patterns import sample_patterns
    from ..recovery import planted_program

    X, y, _ = planted_linear(12, 4, seed=5)
    P = sample_patterns(X, 24, seed=5)
    ref = planted_program(X, y, P).value
    got = float(fn(X, y, P))
    if got > 1 + 1e-6 and ref <= 1:
        raise Feedback(f"{got:.4f} is above ||w*|| = 1, which the linear model alone achieves")
    _close(got, ref, "the program's value", rtol=1e-5)


@_register("ex07.q3")
def _ex07_q3(fn):
    rng = np.random.default_rng(73)
    U = rng.standard_normal((3, 5))
    U[:, [1, 3]] = 0.0
    U[:, 4] *= 1e-12
    V = np.zeros((3, 5))
    V[:, 0] = 1.0
    got = int(fn(U, V))
    if got == 10:
        raise Feedback("you count every block; count the nonzero ones (norm above a tolerance)")
    if got == 4:
        raise Feedback("a block of norm 1e-12 is numerically zero: use a relative tolerance")
    if got != 3:
        raise Feedback(f"you count {got} active neurons; there are 3 (two u blocks, one v)")


@_register("ex07.q4")
def _ex07_q4(fn):
    betas = [0.1, 1.0, 10.0]
    errors = [0.2, 0.05, 0.3]
    got = float(fn(betas, errors))
    if got == 0.1:
        raise Feedback("the smallest beta fits the training data best, not the held-out data")
    if got != 1.0:
        raise Feedback(f"you pick beta = {got}; the lowest held-out error is at beta = 1.0")

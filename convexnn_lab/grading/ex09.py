"""Checks of chapter 09's exercises (``solutions/ex09_deep_parallel_networks.md``).

Chapter: Deeper networks: parallel architectures and strong duality.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


@_register("ex09.q1")
def _ex09_q1(fn):
    from ..deep import deep_linear_gap

    W = np.diag([3.0, 1.0])
    got = float(fn(W, 2))
    if abs(got) > 1e-9:
        raise Feedback(f"two layers have no gap (weight decay is the nuclear norm), you "
                       f"return {got:.4g}")
    for Wc, L in ((W, 3), (np.diag([2.0, 1.0, 0.5]), 4), (np.eye(2), 3)):
        ref = deep_linear_gap(Wc, L)["gap"]
        got = float(fn(Wc, L))
        if np.isclose(got, -ref, rtol=1e-6):
            raise Feedback("your gap has the wrong sign: it is primal minus dual, and the "
                           "primal (Schatten quasi-norm) is the larger")
        s = np.linalg.svd(Wc, compute_uv=False)
        if np.isclose(got, L / 2 * (np.sum(s ** (2 / L)) - np.sum(s)), rtol=1e-6) and \
                not np.isclose(got, ref, rtol=1e-6):
            raise Feedback("the dual is (L/2) (sum_k sigma_k)^(2/L): raise the nuclear norm "
                           "to the power 2/L")
        _close(got, ref, f"the gap for L = {L}", rtol=1e-6)


@_register("ex09.q2")
def _ex09_q2(fn):
    from ..deep import regularized_deep_linear

    for y, beta, L in ((2.0, 0.5, 3), (0.6, 0.5, 3), (1.0, 0.3, 4), (2.0, 0.5, 2),
                       (0.9, 0.4, 3)):
        ref = float(regularized_deep_linear(np.array([[y]]), beta, L)[0][0, 0])
        got = float(fn(y, beta, L))
        if got < 0:
            raise Feedback(f"a singular value is >= 0; you return {got:.4g} for y = {y}")
        if ref == 0.0 and got > 0:
            h = lambda s: 0.5 * (s - y) ** 2 + beta * L / 2 * s ** (2 / L)  # noqa: E731
            raise Feedback(f"for y = {y}, beta = {beta}, L = {L} your s = {got:.4g} is a "
                           f"local minimum (h = {h(got):.4g}) but s = 0 is lower "
                           f"(h = {h(0.0):.4g}): compare with s = 0")
        if ref > 0 and np.isclose(got, max(y - beta, 0.0)) and L > 2:
            raise Feedback("that is the soft threshold of two layers; for L >= 3 solve "
                           "s + beta * s^(2/L - 1) = y for the larger root")
        _close(got, ref, f"the minimizer for y = {y}, beta = {beta}, L = {L}", rtol=1e-6,
               atol=1e-8)


@_register("ex09.q3")
def _ex09_q3(fn):
    from ..deep import deep_linear_gap

    got = fn()
    if not isinstance(got, (bool, np.bool_)):
        raise Feedback(f"return True or False, got {type(got).__name__}")
    truth = bool(abs(deep_linear_gap(np.eye(2), 3)["gap"]) < 1e-12)
    if bool(got) != truth:
        g = deep_linear_gap(np.eye(2), 3)
        raise Feedback(f"computed: primal {g['primal']:.4f}, dual {g['dual']:.4f}: the "
                       "quasi-norm of I_2 is 2^(3/2), its nuclear norm 2")

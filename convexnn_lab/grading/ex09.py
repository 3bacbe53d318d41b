"""Checks of chapter 09's exercises (``solutions/ex09_deep_parallel_networks.md``).

Chapter: Deeper networks: parallel architectures and strong duality.
Q4 (a short proof) is graded by hand (nbgrader manual points); it has no check here.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Integer, Number, close, describe, register

_D = "convexnn_lab.chapters.deep:"


def _singular(W):
    return np.linalg.svd(W, compute_uv=False)


@register("ex09.q1", returns=Number(),
          forbid=(_D + "deep_linear_gap", _D + "weight_decay_value", _D + "schatten",
                  _D + "standard_power_value", _D + "parallel_power_value"))
def _ex09_q1(answer):
    from ..chapters.deep import deep_linear_gap

    W = np.diag([3.0, 1.0])
    got = answer(W.copy(), 2)
    if abs(got) > 1e-9:
        raise Feedback(f"two layers have no gap (weight decay is the nuclear norm), you "
                       f"return {got:.4g}")
    rng = np.random.default_rng(91)
    for Wc, L in ((W, 3), (np.diag([2.0, 1.0, 0.5]), 4), (np.eye(2), 3),
                  (rng.standard_normal((3, 2)), 5)):
        ref = deep_linear_gap(Wc, L)["gap"]
        got = answer(Wc.copy(), L)
        if np.isclose(got, ref, rtol=1e-6):
            continue
        if np.isclose(got, -ref, rtol=1e-6):
            raise Feedback("your gap has the wrong sign: it is primal minus dual, and the "
                           "primal (Schatten quasi-norm) is the larger")
        s = _singular(Wc)
        if np.isclose(got, L / 2 * (np.sum(s ** (2 / L)) - np.sum(s)), rtol=1e-6):
            raise Feedback(f"for L = {L}: the dual is (L/2) (sum_k sigma_k)^(2/L): raise the "
                           "nuclear norm to the power 2/L")
        if np.isclose(got, 2 / L * ref, rtol=1e-6):
            raise Feedback(f"for L = {L}: both values carry the factor L/2 (L layers, each "
                           "paying half its squared norm)")
        if np.isclose(got, np.sum(s ** (2 / L)) ** (L / 2) - np.sum(s), rtol=1e-6):
            raise Feedback(f"for L = {L} you return the gap of the homogeneous "
                           "regularization (Schatten quasi-norm minus nuclear norm); the "
                           "question is about weight decay: (L/2) sum_k sigma_k^(2/L) minus "
                           "(L/2) (sum_k sigma_k)^(2/L)")
        close(got, ref, f"the gap for L = {L}", rtol=1e-6)


@register("ex09.q2", returns=Number(),
          forbid=(_D + "regularized_deep_linear", _D + "_scalar_weight_decay"))
def _ex09_q2(answer):
    from ..chapters.deep import regularized_deep_linear

    for y, beta, L in ((2.0, 0.5, 3), (0.6, 0.5, 3), (1.0, 0.3, 4), (2.0, 0.5, 2),
                       (0.9, 0.4, 3), (0.3, 0.5, 2)):
        ref = float(regularized_deep_linear(np.array([[y]]), beta, L)[0][0, 0])
        got = answer(y, beta, L)
        if np.isclose(got, ref, rtol=1e-6, atol=1e-8):
            continue
        where = f"for y = {y}, beta = {beta}, L = {L}"
        if got < 0:
            raise Feedback(f"{where} you return {got:.4g}: a singular value is >= 0 (clip "
                           "at 0)")

        def h(s, y=y, beta=beta, L=L):
            return 0.5 * (s - y) ** 2 + beta * L / 2 * s ** (2 / L)

        if ref == 0.0 and got > 0 and h(got) > h(0.0):
            raise Feedback(f"{where} your s = {got:.4g} is a local minimum "
                           f"(h = {h(got):.4g}) but s = 0 is lower (h = {h(0.0):.4g}): "
                           "compare with s = 0")
        if L > 2 and np.isclose(got, max(y - beta, 0.0)):
            raise Feedback(f"{where} you return the soft threshold of two layers; for "
                           "L >= 3 solve s + beta * s^(2/L - 1) = y for the larger root and "
                           "compare it with s = 0")
        if got > 0 and abs(got + beta * got ** (2 / L - 1) - y) > 1e-6 * max(1.0, y):
            raise Feedback(f"{where} your s = {got:.4g} is not a stationary point of h "
                           "(h'(s) = s + beta s^(2/L - 1) - y is not 0 there), nor is it 0")
        close(got, ref, f"the minimizer {where}", rtol=1e-6, atol=1e-8)


@register("ex09.q3", forbid=(_D + "balanced_factors",))
def _ex09_q3(answer):
    from ..chapters.deep import weight_decay_value

    rng = np.random.default_rng(93)
    for W, L in ((rng.standard_normal((3, 2)), 3), (rng.standard_normal((2, 4)), 4),
                 (np.outer([1.0, -2.0], [0.5, 1.0, 2.0]), 3), (rng.standard_normal((3, 3)), 2)):
        factors = answer(W.copy(), L)
        if not isinstance(factors, (list, tuple)):
            raise Feedback(f"your function returned {describe(factors)}; it should return a "
                           f"list of L matrices [W_1, ..., W_L]")
        if len(factors) != L:
            raise Feedback(f"for L = {L} you return {len(factors)} factors; a network of "
                           f"depth L has L weight matrices")
        spec = Array(ndim=2, what="a matrix")
        mats = []
        for k, F in enumerate(factors):
            try:
                mats.append(spec.convert(F))
            except Feedback as exc:
                raise Feedback(f"factor {k + 1} of {L}: {exc}") from None
        shapes = [M.shape for M in mats]
        if shapes[0][0] != W.shape[0] or shapes[-1][1] != W.shape[1]:
            raise Feedback(f"for W of shape {W.shape} your factors have shapes {shapes}: W_1 "
                           "needs the rows of W, W_L its columns")
        for k in range(L - 1):
            if shapes[k][1] != shapes[k + 1][0]:
                raise Feedback(f"factors {k + 1} and {k + 2} have shapes {shapes[k]} and "
                               f"{shapes[k + 1]}: their inner dimensions must agree")
        product = mats[0]
        for M in mats[1:]:
            product = product @ M
        close(product, W, f"the product W_1 ... W_L for W of shape {W.shape}, L = {L}",
              rtol=1e-8, atol=1e-10)
        cost = 0.5 * sum(float(np.sum(M ** 2)) for M in mats)
        best = weight_decay_value(W, L)
        if cost > best * (1 + 1e-7) + 1e-12:
            raise Feedback(f"for W of shape {W.shape}, L = {L} your factors multiply to W but "
                           "their weight decay 0.5 sum_l ||W_l||_F^2 is above the smallest "
                           "possible: balance the layers (each factor carries the singular "
                           "values sigma_k^(1/L))")


ZERO_GAP_CASES = ((np.eye(2), 2), (np.eye(2), 3), (np.diag([3.0, 0.0]), 4),
                  (np.diag([2.0, 1.0]), 3))


@register("ex09.q5", kind="value", returns=Integer())
def _ex09_q5(prediction):
    from ..chapters.deep import deep_linear_gap

    if prediction < 0 or prediction > len(ZERO_GAP_CASES):
        raise Feedback(f"your prediction is a count of the {len(ZERO_GAP_CASES)} cases: a "
                       f"whole number from 0 to {len(ZERO_GAP_CASES)}")
    zero = sum(abs(deep_linear_gap(W, L)["gap"]) < 1e-12 for W, L in ZERO_GAP_CASES)
    if prediction != zero:
        raise Feedback("your prediction does not match the experiment; run the cell below. "
                       "Hint: when is sum_k sigma_k^p equal to (sum_k sigma_k)^p for p < 1, "
                       "and what is p for L = 2?")

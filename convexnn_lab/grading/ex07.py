"""Checks of chapter 07's exercises (``solutions/ex07_planted_model_and_path.md``).

Chapter: Recover a planted model, and walk the path of networks.
"""

from __future__ import annotations

import numpy as np

from ._registry import Anything, Boolean, Feedback, Integer, Number, close, register


@register("ex07.q1", returns=Boolean())
def _ex07_q1(answer):
    for scale in (1.0, 100.0):
        w = np.array([0.6, 0.8]) * scale
        U = np.zeros((2, 3))
        cases = [(w + 1e-7 * scale, U, True), (w * 1.01, U, False),
                 (w, U + 1e-3 * scale, False), (w, U + 1e-9 * scale, True),
                 (w * (1 + 5e-5), U, True)]
        for w0, blocks, want in cases:
            got = answer(w0.copy(), blocks.copy(), w.copy(), 1e-4)
            if got != want:
                if not want and np.allclose(w0, w):
                    raise Feedback("recovery also needs every other block to be (near) "
                                   "zero: compare their norms with tol * ||w*||")
                if scale != 1.0:
                    raise Feedback(f"with ||w*|| = {scale:g} you say {got}: both tolerances "
                                   "are relative, tol * ||w*||")
                raise Feedback(f"for ||w0 - w*|| = {np.linalg.norm(w0 - w):.1e} and "
                               f"largest block {np.linalg.norm(blocks, axis=0).max():.1e} "
                               f"you say {got}")


@register("ex07.q2", returns=Number(),
          forbid=("convexnn_lab.chapters.recovery:planted_program",
                  "convexnn_lab.chapters.recovery:recovery_rate"))
def _ex07_q2(answer):
    from ..chapters.recovery import planted_program
    from ..core.patterns import sample_patterns
    from ..data.datasets import planted_linear

    for n, d, seed, noise in ((12, 4, 5, 0.0), (8, 3, 6, 0.3)):
        X, y, _ = planted_linear(n, d, noise=noise, seed=seed)
        P = sample_patterns(X, 24, seed=seed)
        ref = planted_program(X, y, P).value
        got = answer(X.copy(), y.copy(), P.copy())
        where = f"(n={n}, d={d})"
        if abs(got - ref) <= 1e-4 * max(1.0, abs(ref)):
            continue
        if got < ref and np.isclose(got, planted_program(X, y, P, relaxed=True).value,
                                    rtol=1e-4):
            raise Feedback(f"{where} you dropped the cone constraints "
                           "(2 D_j - I) X u_j >= 0 (and for v_j); the program of chapter 7 "
                           "keeps them")
        if got < ref:
            raise Feedback(f"{where} your value is below the program's optimum: the "
                           "objective is ||w0|| + sum_j (||u_j|| + ||v_j||), plain norms "
                           "(not squared), subject to exact interpolation and the cones")
        if got > 1 + 1e-4 and ref <= 1 + 1e-6:
            raise Feedback(f"{where} your value is above ||w*|| = 1, which the linear skip "
                           "w0 = w* alone achieves: does your model have the skip X w0, and "
                           "both U and V blocks?")
        close(got, ref, f"{where} the program's value", rtol=1e-4)


def _blocks(seed, scale):
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((3, 5)) * scale
    U[:, [1, 3]] = 0.0
    U[:, 4] *= 1e-12
    V = np.zeros((3, 5))
    V[:, 0] = scale
    V[:, 2] = rng.standard_normal(3) * scale * (seed % 2)
    return U, V


@register("ex07.q3", returns=Integer())
def _ex07_q3(answer):
    for seed, scale in ((73, 1.0), (74, 1e-9), (75, 1e4)):
        U, V = _blocks(seed, scale)
        norms = np.linalg.norm(np.hstack([U, V]), axis=0)
        want = sum(1 for v in norms if v > 1e-7 * max(norms))
        got = answer(U.copy(), V.copy())
        if got == want:
            continue
        if got == U.shape[1] + V.shape[1]:
            raise Feedback("you count every block; count the nonzero ones (norm above a "
                           "tolerance)")
        if got == int((np.linalg.norm(U, axis=0) > 1e-7 * norms.max()).sum()):
            raise Feedback("count the blocks of V too: each v_i is a neuron with a < 0")
        if got == int((norms > 0).sum()):
            raise Feedback("a block of norm 1e-12 times the others is numerically zero: "
                           "use the relative tolerance 1e-7 * (largest block norm)")
        if scale != 1.0 and got == int((norms > 1e-7).sum()):
            raise Feedback(f"with blocks of size about {scale:g} an absolute tolerance "
                           "fails: compare with 1e-7 times the largest block norm")
        raise Feedback(f"for blocks of size about {scale:g} you count {got} active neurons, "
                       "which is not right")


def _q4_want(betas, val, test):
    best = min(val)
    k = max((i for i, e in enumerate(val) if e == best), key=lambda i: betas[i])
    return betas[k], test[k]


@register("ex07.q4", returns=Anything())
def _ex07_q4(answer):
    cases = [([0.1, 1.0, 10.0], [0.2, 0.05, 0.3], [0.04, 0.12, 0.2]),
             ([0.01, 0.1, 0.5, 10.0], [0.4, 0.3, 0.1, 0.5], [0.3, 0.05, 0.15, 0.4]),
             ([0.5, 2.0, 8.0], [0.3, 0.2, 0.2], [0.1, 0.25, 0.3]),
             ([3.0, 1.0, 0.3], [0.1, 0.1, 0.3], [0.2, 0.15, 0.05])]
    for betas, val, test in cases:
        got = answer(list(betas), list(val), list(test))
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Feedback(f"return a pair (beta, test_error), got {got!r}")
        beta, err = (Number().convert(v) for v in got)
        want_beta, want_err = _q4_want(betas, val, test)
        where = f"for betas {betas}, validation errors {val}, test errors {test}"
        if beta == want_beta and err == want_err:
            continue
        by_test = _q4_want(betas, test, val)[0]
        if beta == by_test and beta != want_beta:
            raise Feedback(f"{where} you chose beta by the test error: choose it on the "
                           "validation error, then look at the test error of that beta only")
        if beta == want_beta and err == min(test) and err != want_err:
            raise Feedback(f"{where} you report the best test error over all betas; report "
                           "the test error of the chosen beta (the others were never chosen)")
        if beta == want_beta:
            raise Feedback(f"{where} the beta is right; the test error to report is the one "
                           "at that beta")
        if beta in betas and val[betas.index(beta)] == min(val):
            raise Feedback("on ties of the validation error take the largest beta (the "
                           "simplest network), whatever the order of betas")
        if beta in betas and val[betas.index(beta)] == max(val):
            raise Feedback("you pick the highest validation error: use the lowest")
        if beta not in betas and int(beta) == beta and 0 <= beta < len(betas):
            raise Feedback("you return the index of the best beta; return the beta itself "
                           "(betas[index])")
        raise Feedback(f"{where} you pick beta {beta:g}, which does not have the lowest "
                       "validation error")


@register("ex07.q6", kind="value", returns=Number())
def _ex07_q6(prediction):
    from ..chapters.recovery import planted_program

    X, y, _, P = prediction_data()
    sol = planted_program(X, y, P)
    if abs(prediction - sol.value) > 1e-4:
        raise Feedback("your prediction does not match the experiment; run the cell below. "
                       "Hint: which point is feasible, and what is its value?")


def prediction_data():
    """Q6's planted problem: X (40, 3), y = X w* (||w*|| = 1), 60 sampled patterns."""
    from ..core.patterns import sample_patterns
    from ..data.datasets import planted_linear

    X, y, w_star = planted_linear(40, 3, seed=7)
    return X, y, w_star, sample_patterns(X, 60, seed=7)

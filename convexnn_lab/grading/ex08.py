"""Checks of chapter 08's exercises (``solutions/ex08_hardness_and_relaxation.md``).

Chapter: Measure what convexity cannot do: hardness, approximation and relaxation.
Q5 (a short proof) is graded by hand (nbgrader manual points); it has no check here.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


def _graph(n, seed, weighted=True):
    rng = np.random.default_rng(seed)
    A = np.triu((rng.random((n, n)) < 0.6) * (rng.random((n, n)) if weighted else 1.0), 1)
    return A + A.T


@_register("ex08.q1")
def _ex08_q1(fn):
    from ..hardness import max_cut

    for n, seed in ((5, 81), (7, 82)):
        W = _graph(n, seed)
        ref = max_cut(W)[0]
        got = float(fn(W.copy()))
        total = float(np.triu(W, 1).sum())
        if np.isclose(got, 2 * ref):
            raise Feedback("you count every cut edge twice (once as {i, j}, once as {j, i}): "
                           "sum over i < j, or halve the sum over all pairs")
        if np.isclose(got, total) and not np.isclose(ref, total):
            raise Feedback(f"{got:.4f} is the total weight of the graph: a cut counts only the "
                           "edges whose ends lie on different sides (s_i != s_j)")
        if np.isclose(got, 4 * ref):
            raise Feedback("s^T L s = 4 cut(s): divide by 4")
        _close(got, ref, f"the maximum cut of a graph with {n} vertices", rtol=1e-9)


@_register("ex08.q2")
def _ex08_q2(fn):
    from ..hardness import max_cut

    for n, seed in ((6, 83), (8, 84)):
        W = _graph(n, seed)
        ref = np.sqrt(max_cut(W)[0])
        got = float(fn(W.copy()))
        if np.isclose(got, ref ** 2):
            raise Feedback("you return MaxCut itself; the price is its square root "
                           "(||X^T h|| = sqrt(cut(s)) at h = (1 + s)/2)")
        if np.isclose(got, 2 * ref):
            raise Feedback("||X^T s|| = 2 sqrt(cut(s)) over sign vectors s; the price is over "
                           "h in {0,1}^n, and X^T h = X^T s / 2")
        _close(got, ref, f"the price of lambda = 1 on a graph with {n} vertices", rtol=1e-6)


@_register("ex08.q3")
def _ex08_q3(fn):
    from ..relaxation import relaxation_gap

    rng = np.random.default_rng(85)
    X, y = rng.standard_normal((10, 2)), rng.standard_normal(10)
    ref = relaxation_gap(X, y, 0.2).ratio
    got = float(fn(X.copy(), y.copy(), 0.2))
    if got < 1 - 1e-6:
        if np.isclose(got, 1 / ref, rtol=1e-5):
            raise Feedback("you return p_gated / p*; the relaxation is the lower value, so the "
                           "ratio p* / p_gated is >= 1")
        raise Feedback(f"{got:.4f} < 1 is impossible: p_gated <= p* on the same patterns")
    _close(got, ref, "p* / p_gated (both programs on every pattern of X)", rtol=1e-5)


@_register("ex08.q4")
def _ex08_q4(fn):
    from ..patterns import general_position_count
    from ..pricing import train_convex

    # runs of train_convex with the chapter's settings (about 7 s in all)
    for n, d in ((30, 2), (12, 12), (40, 10)):
        rng = np.random.default_rng(86)
        X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
        want = train_convex(X, y, 0.1, initial_patterns=10, per_round=10, seed=0).status
        got = fn(n, d)
        count = general_position_count(n, min(n, d))
        if got != want:
            raise Feedback(f"for n = {n}, d = {d} train_convex reports {want!r}, you predict "
                           f"{got!r}: X has {count} patterns, and train_convex prices exactly "
                           "when it can list them all (at most 20,000)")

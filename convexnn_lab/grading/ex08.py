"""Checks of chapter 08's exercises (``solutions/ex08_hardness_and_relaxation.md``).

Chapter: Measure what convexity cannot do: hardness, approximation and relaxation.
Q5 (a short proof) is graded by hand (nbgrader manual points); it has no check here.
"""

from __future__ import annotations

import functools

import numpy as np

from ._registry import Feedback, Integer, Number, close, register

_H = "convexnn_lab.chapters.hardness:"


def _graph(n, seed, weighted=True):
    rng = np.random.default_rng(seed)
    A = np.triu((rng.random((n, n)) < 0.6) * (rng.random((n, n)) if weighted else 1.0), 1)
    return A + A.T


def _graphs():
    yield _graph(5, 81)
    yield _graph(7, 82)
    yield _graph(6, 80, weighted=False)
    # a path: bipartite, so its maximum cut is every edge (total weight = MaxCut here)
    path = np.diag([1.0, 2.0, 0.5], 1)
    yield path + path.T


@register("ex08.q1", returns=Number(),
          forbid=(_H + "max_cut", _H + "zonotope_price", _H + "relu_price"))
def _ex08_q1(answer):
    from ..chapters.hardness import max_cut

    for W in _graphs():
        n = W.shape[0]
        ref = max_cut(W)[0]
        got = answer(W.copy())
        total = float(np.triu(W, 1).sum())
        if np.isclose(got, ref, rtol=1e-9):
            continue
        if np.isclose(got, 2 * ref):
            raise Feedback("you count every cut edge twice (once as {i, j}, once as {j, i}): "
                           "sum over i < j, or halve the sum over all pairs")
        if np.isclose(got, 4 * ref):
            raise Feedback("s^T L s = 4 cut(s): divide by 4")
        if np.isclose(got, total) and not np.isclose(ref, total):
            raise Feedback(f"on a graph with {n} vertices your value is the total weight of "
                           "the graph: a cut counts only the edges whose ends lie on "
                           "different sides (s_i != s_j)")
        if abs(got) < 1e-12:
            raise Feedback(f"on a graph with {n} vertices you return 0, the cut of a sign "
                           "vector with all signs equal: take the largest cut over every s")
        if got > ref:
            raise Feedback(f"on a graph with {n} vertices your value is larger than any cut: "
                           "a cut's weight is sum_{i<j} W_ij 1[s_i != s_j]")
        close(got, ref, f"the maximum cut of a graph with {n} vertices", rtol=1e-9)


@register("ex08.q2", returns=Number())
def _ex08_q2(answer):
    from ..chapters.hardness import max_cut, relu_price

    for n, seed in ((6, 83), (8, 84), (5, 87)):
        W = _graph(n, seed)
        ref = np.sqrt(max_cut(W)[0])
        got = answer(W.copy())
        if np.isclose(got, ref, rtol=1e-6):
            continue
        if np.isclose(got, ref ** 2):
            raise Feedback("you return MaxCut itself; the price is its square root "
                           "(||X^T h|| = sqrt(cut(s)) at h = (1 + s)/2)")
        if np.isclose(got, 2 * ref):
            raise Feedback("||X^T s|| = 2 sqrt(cut(s)) over sign vectors s; the price is over "
                           "h in {0,1}^n, and X^T h = X^T s / 2")
        if np.isclose(got, relu_price(W, np.ones(n))[0], rtol=1e-6):
            raise Feedback("you priced the weight matrix W as data; the data are the "
                           "graph's incidence data, hardness.incidence_data(W)")
        close(got, ref, f"the price of lambda = 1 on a graph with {n} vertices", rtol=1e-6)


def _q3_data():
    rng = np.random.default_rng(85)
    yield rng.standard_normal((10, 2)), rng.standard_normal(10), 0.2
    rng = np.random.default_rng(88)
    yield rng.standard_normal((7, 3)), rng.standard_normal(7), 0.5


@register("ex08.q3", returns=Number(), forbid=("convexnn_lab.chapters.relaxation:relaxation_gap",))
def _ex08_q3(answer):
    from ..core.patterns import enumerate_patterns
    from ..solvers import solve_convex

    for X, y, beta in _q3_data():
        P = enumerate_patterns(X)
        relu = solve_convex(X, y, beta, P, tol=1e-8, progress=False).objective
        gated = solve_convex(X, y, beta, P, gated=True, tol=1e-8, progress=False).objective
        ref = relu / gated
        got = answer(X.copy(), y.copy(), beta)
        where = f"(n={len(y)}, d={X.shape[1]}, beta={beta})"
        if np.isclose(got, ref, rtol=1e-5):
            continue
        if np.isclose(got, 1 / ref, rtol=1e-5):
            raise Feedback(f"{where} you return p_gated / p*; the relaxation is the lower "
                           "value, so the ratio p* / p_gated is >= 1")
        if np.isclose(got, relu - gated, rtol=1e-5):
            raise Feedback(f"{where} you return the difference p* - p_gated; the question "
                           "asks for the ratio p* / p_gated")
        if got < 1 - 1e-6:
            raise Feedback(f"{where} a ratio below 1 is impossible: p_gated <= p* on the "
                           "same patterns")
        if got > ref:
            raise Feedback(f"{where} your ratio is too large: is your p* the ReLU program "
                           "over every pattern of X (cl.enumerate_patterns)? Fewer patterns "
                           "only give an upper bound")
        close(got, ref, f"p* / p_gated {where}", rtol=1e-5)


@register("ex08.q4", kind="value", returns=Integer())
def _ex08_q4(prediction):
    if prediction < 0 or prediction > len(PREDICTION_SHAPES):
        raise Feedback(f"your prediction is a count of the {len(PREDICTION_SHAPES)} data "
                       f"sets: a whole number from 0 to {len(PREDICTION_SHAPES)}")
    if prediction != _optimal_count():
        raise Feedback("your prediction does not match the experiment; run the cell below. "
                       "Hint: how many patterns does each X have (chapter 1's count for "
                       "points in general position), and which of them can be listed?")


PREDICTION_SHAPES = ((30, 2), (14, 14), (16, 16), (40, 10))


def prediction_data():
    """Q4's data sets: Gaussian X of the shapes in ``PREDICTION_SHAPES``, and y."""
    out = []
    for n, d in PREDICTION_SHAPES:
        rng = np.random.default_rng(86)
        out.append((rng.standard_normal((n, d)), rng.standard_normal(n)))
    return out


@functools.lru_cache(maxsize=1)
def _optimal_count() -> int:
    from ..training.pricing import train_convex

    # the experiment of Q4 (about 6 s), run once per session
    return sum(train_convex(X, y, 0.1, initial_patterns=10, per_round=10, warm_network=None,
                            seed=0).status == "optimal" for X, y in prediction_data())


def _q6_data():
    rng = np.random.default_rng(89)
    y, lam = rng.standard_normal(12), rng.standard_normal(12)
    lam = lam if lam @ y > 0 else -lam
    # beta / M binding, the unconstrained scaling binding, and lambda^T y < 0 (t = 0)
    yield y, lam, 0.1, 10.0 * abs(lam @ y)
    yield y, lam, 0.1, 1e-3
    yield y, -lam, 0.1, 1.0


@register("ex08.q6", returns=Number(), forbid=("convexnn_lab.core.certificates:dual_bound",))
def _ex08_q6(answer):
    from ..core.certificates import dual_bound

    for k, (y, lam, beta, M) in enumerate(_q6_data()):
        ref = dual_bound(y, lam, np.array([M]), beta, "squared")[0]
        got = answer(y.copy(), lam.copy(), beta, M)
        if np.isclose(got, ref, rtol=1e-9, atol=1e-12):
            continue
        s = beta / M
        if np.isclose(got, s * (lam @ y) - 0.5 * s**2 * (lam @ lam)):
            raise Feedback("t = beta / M is feasible, but not always the best: the dual value "
                           "is a concave parabola in t, largest at lambda^T y / ||lambda||^2; "
                           "take the smaller of the two (and t >= 0)")
        if np.isclose(got, lam @ y - 0.5 * (lam @ lam)):
            raise Feedback("you used t = 1: lambda itself is feasible only when M <= beta; "
                           "scale it by some 0 <= t <= beta / M")
        if got > ref:
            raise Feedback(f"case {k}: your value is above the best feasible dual value, so "
                           "it is not a valid lower bound: is t <= beta / M?")
        close(got, ref, f"the lower bound of case {k}", rtol=1e-9)

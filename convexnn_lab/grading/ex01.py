"""Checks of chapter 01's exercises (``solutions/ex01_hyperplane_arrangements.md``).

Chapter: Enumerate the hyperplane arrangement of a data set.
"""

from __future__ import annotations

import math

import numpy as np

from ._registry import Array, Boolean, Feedback, Integer, register, rows

_P = "convexnn_lab.core.patterns:"


@register("ex01.q1", returns=Array(ndim=2, dtype=bool, what="a boolean matrix (P, n)"),
          forbid=(_P + "patterns_of_directions", _P + "unique_patterns",
                  _P + "enumerate_patterns"))
def _ex01_q1(answer):
    from ..core.patterns import patterns_of_directions, unique_patterns

    rng = np.random.default_rng(11)
    cases = [(rng.standard_normal((8, 3)), rng.standard_normal((3, 200)))]
    # integer data and a direction orthogonal to the first point: x^T u = 0 there
    Xi = np.array([[1.0, 2.0], [2.0, -1.0], [-1.0, 1.0], [0.0, 1.0]])
    cases.append((Xi, np.array([[-2.0, 1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]])))
    for X, U in cases:
        n = X.shape[0]
        ref = unique_patterns(patterns_of_directions(X, U))
        got = answer(X, U)
        if got.shape[1] != n and got.shape[0] == n:
            raise Feedback(f"your pattern matrix has shape {got.shape}: one row per pattern "
                           f"and one column per data point, i.e. (P, {n}); transpose it")
        if got.shape[1] != n:
            raise Feedback(f"your rows have {got.shape[1]} entries; one per data point ({n})")
        if len(rows(got)) < len(got):
            raise Feedback(f"your pattern matrix has {got.shape[0]} rows but only "
                           f"{len(rows(got))} distinct ones: did you drop duplicates?")
        if rows(got) == rows(~ref):
            raise Feedback("your patterns are flipped: a point is active when x^T u >= 0")
        if rows(got) == rows(unique_patterns((X @ U > 0).T)) and rows(got) != rows(ref):
            raise Feedback("a point with x^T u = 0 counts as active: use >= 0, not > 0")
        if rows(got) != rows(ref):
            missing, extra = len(rows(ref) - rows(got)), len(rows(got) - rows(ref))
            raise Feedback(f"for X of shape {X.shape}: {missing} patterns of these "
                           f"directions are missing and {extra} of your rows are not "
                           "1[X u >= 0] for any column u")


@register("ex01.q2", returns=Integer(),
          forbid=(_P + "general_position_count", _P + "cover_bound"))
def _ex01_q2(answer):
    from ..core.patterns import general_position_count

    for n, r in ((5, 1), (5, 2), (10, 3), (7, 7), (20, 4), (9, 2)):
        got = answer(n, r)
        ref = general_position_count(n, r)
        if got == ref:
            continue
        if got == 2 * sum(math.comb(n, k) for k in range(r)):
            raise Feedback(f"for n={n}, r={r}: the sum uses C(n-1, k), not C(n, k)")
        if got * 2 == ref:
            raise Feedback(f"for n={n}, r={r} you return half the count: every cell has "
                           "an opposite cell (u and -u); count both (the factor 2)")
        if got == 2 * sum(math.comb(n - 1, k) for k in range(r + 1)) or \
                got == 2 * sum(math.comb(n - 1, k) for k in range(r - 1)):
            raise Feedback(f"for n={n}, r={r}: the sum runs over k = 0, ..., r-1 "
                           "(range(r))")
        if got == 2 ** n:
            raise Feedback("2^n counts every 0/1 vector; only those cut out by a "
                           "hyperplane are patterns")
        raise Feedback(f"for n={n}, r={r} you return {got}, which is not the count; "
                       "evaluate 2 * sum_{k<r} C(n-1, k) by hand for n=3, r=2 (it is 6)")


@register("ex01.q3", returns=Array(ndim=2, dtype=bool, what="a boolean matrix (2n, n)"),
          forbid=(_P + "enumerate_patterns", _P + "sample_patterns",
                  _P + "patterns_of_directions"))
def _ex01_q3(answer):
    from ..core.patterns import enumerate_patterns
    from ..data.datasets import add_bias

    for t in (np.array([0.3, -1.0, 2.0]), np.array([-2.0, -1.5, 0.0, 0.4, 1.0, 3.0]),
              np.array([5.0, 1.0])):
        ref = enumerate_patterns(add_bias(t[:, None]))
        got = answer(t.copy())
        if got.shape[1] != len(t):
            raise Feedback(f"for n={len(t)} return a (2n, {len(t)}) array of 0/1 rows, "
                           f"got shape {got.shape}")
        if len(rows(got)) != len(got):
            raise Feedback("your rows contain duplicates; the empty and the full set "
                           "appear once each")
        if rows(got) != rows(ref):
            missing = rows(ref) - rows(got)
            extra = len(rows(got) - rows(ref))
            hint = (" (a neuron activates the points right of a threshold or left of it: "
                    "did you include both directions?)" if len(got) <= len(t) + 1 else "")
            raise Feedback(f"for t={t.tolist()} you have {len(got)} patterns, 2n = "
                           f"{2 * len(t)} exist; {len(missing)} missing, {extra} that are "
                           f"not cells{hint}")


@register("ex01.q4", returns=Boolean(),
          forbid=(_P + "enumerate_patterns", _P + "sample_patterns",
                  _P + "patterns_of_directions"))
def _ex01_q4(answer):
    from ..core.patterns import enumerate_patterns

    cases = [np.array([[3.0, 3.0], [2.0, 2.0], [1.0, 0.0]]),
             np.random.default_rng(4).standard_normal((5, 2))]
    for X in cases:
        real = rows(enumerate_patterns(X))
        said = {}
        for bits in np.ndindex(*(2,) * X.shape[0]):
            pat = np.array(bits, dtype=bool)
            said[bits] = answer(X, pat.copy())
        if all(said.values()):
            raise Feedback("you say every 0/1 vector is a cell; a point where the pattern "
                           "is 0 must have x^T u < 0, i.e. (2 p_j - 1) x_j^T u >= 1")
        for bits, got in said.items():
            want = tuple(np.array(bits, dtype=bool)) in real
            if got != want:
                s = "".join(map(str, bits))
                raise Feedback(
                    f"for X={X.round(3).tolist()} you say pattern {s} is "
                    f"{'' if got else 'not '}a cell, but it is{'' if want else ' not'}"
                    + (" (rows 1 and 2 are parallel: they share their sign)"
                       if X[0, 0] == 3.0 and got and not want else ""))


@register("ex01.q6", kind="value", returns=Integer())
def _ex01_q6(prediction):
    from ..core.patterns import enumerate_patterns

    if prediction == 2 * (1 + 11 + 55):
        raise Feedback("that is the count for 12 points of rank 3; these points span only "
                       "a plane: what is r?")
    if prediction == 2 ** 12:
        raise Feedback("not every 0/1 vector is a pattern: count the cells of the "
                       "arrangement")
    if prediction != len(enumerate_patterns(prediction_data())):
        raise Feedback("your prediction does not match the experiment; run the cell below "
                       "and compare with the general-position count of chapter 1")


def prediction_data():
    """The 12 points of Q6: (12, 3), in a generic plane through the origin."""
    rng = np.random.default_rng(16)
    return rng.standard_normal((12, 2)) @ rng.standard_normal((2, 3))

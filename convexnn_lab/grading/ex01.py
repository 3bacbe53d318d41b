"""Checks of chapter 01's exercises (``solutions/ex01_hyperplane_arrangements.md``).

Chapter: Enumerate the hyperplane arrangement of a data set.
"""

from __future__ import annotations

import math

import numpy as np

from ._registry import Feedback, _register, _rows


@_register("ex01.q1")
def _ex01_q1(fn):
    from ..patterns import patterns_of_directions, unique_patterns

    rng = np.random.default_rng(11)
    X = rng.standard_normal((8, 3))
    U = rng.standard_normal((3, 200))
    ref = unique_patterns(patterns_of_directions(X, U))
    got = np.asarray(fn(X, U))
    if got.ndim != 2:
        raise Feedback(f"return a 2-D array (P, n), got shape {got.shape}")
    if got.shape[1] != X.shape[0] and got.shape[0] == X.shape[0]:
        raise Feedback(f"your pattern matrix has shape {got.shape}: one row per pattern "
                       f"and one column per data point, i.e. (P, {X.shape[0]}); transpose it")
    if got.shape[0] != ref.shape[0]:
        hint = ("; did you drop duplicates?" if got.shape[0] > ref.shape[0]
                else "; did you drop distinct patterns?")
        raise Feedback(f"your pattern matrix has {got.shape[0]} rows; these directions "
                       f"give {ref.shape[0]} distinct patterns{hint}")
    if _rows(got) != _rows(ref):
        if _rows(~got.astype(bool)) == _rows(ref):
            raise Feedback("your patterns are flipped: a point is active when x^T u >= 0")
        raise Feedback("your rows are not the patterns 1[X u >= 0] of these directions")


@_register("ex01.q2")
def _ex01_q2(fn):
    from ..patterns import general_position_count

    for n, r in ((5, 1), (5, 2), (10, 3), (7, 7), (20, 4)):
        got = int(fn(n, r))
        ref = general_position_count(n, r)
        if got == ref:
            continue
        if got == 2 * sum(math.comb(n, k) for k in range(r)):
            raise Feedback(f"for n={n}, r={r} you return {got}: the sum uses C(n-1, k), "
                           "not C(n, k)")
        if got == ref // 2:
            raise Feedback(f"for n={n}, r={r} you return {got}, half of {ref}: every "
                           "cell has an opposite cell (u and -u); count both")
        if got != ref:
            raise Feedback(f"for n={n}, r={r} you return {got}; expected {ref}")


@_register("ex01.q3")
def _ex01_q3(fn):
    from ..datasets import add_bias
    from ..patterns import enumerate_patterns

    for t in (np.array([0.3, -1.0, 2.0]), np.array([-2.0, -1.5, 0.0, 0.4, 1.0, 3.0])):
        ref = enumerate_patterns(add_bias(t[:, None]))
        got = np.asarray(fn(t), dtype=bool)
        if got.ndim != 2 or got.shape[1] != len(t):
            raise Feedback(f"return a (P, {len(t)}) array of 0/1 rows, got shape {got.shape}")
        if len(_rows(got)) != len(got):
            raise Feedback("your rows contain duplicates; the empty and the full set "
                           "appear once each")
        if _rows(got) != _rows(ref):
            missing = len(_rows(ref) - _rows(got))
            extra = len(_rows(got) - _rows(ref))
            raise Feedback(f"for t={t.tolist()} you have {len(got)} patterns, {len(ref)} "
                           f"exist (2n); {missing} missing, {extra} that are not cells "
                           "(a cell activates exactly the points right of, or left of, a "
                           "threshold)")


@_register("ex01.q4")
def _ex01_q4(fn):
    from ..patterns import enumerate_patterns

    cases = [np.array([[3.0, 3.0], [2.0, 2.0], [1.0, 0.0]]),
             np.random.default_rng(4).standard_normal((5, 2))]
    for X in cases:
        real = _rows(enumerate_patterns(X))
        for bits in np.ndindex(*(2,) * X.shape[0]):
            pat = np.array(bits, dtype=bool)
            got = bool(fn(X, pat))
            want = tuple(pat) in real
            if got != want:
                s = "".join(map(str, bits))
                raise Feedback(
                    f"for X={X.round(3).tolist()} you say pattern {s} is "
                    f"{'' if got else 'not '}a cell, but it is{'' if want else ' not'}"
                    + (" (rows 1 and 2 are parallel: they share their sign)"
                       if X[0, 0] == 3.0 and got and not want else ""))

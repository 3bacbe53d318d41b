"""Chapter 8's checks explain the usual mistakes (and accept the library's answers)."""

import itertools

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab import hardness, relaxation


def _cut_sum_over_all_pairs(W):
    n = W.shape[0]
    best = 0.0
    for t in itertools.product((1, -1), repeat=n):
        s = np.array(t)
        best = max(best, float(np.sum(W * (s[:, None] != s[None, :]))))
    return best


def test_ex08_checks_accept_the_library():
    cl.grading.check("ex08.q1", lambda W: hardness.max_cut(W)[0])
    cl.grading.check("ex08.q2", lambda W: np.sqrt(hardness.max_cut(W)[0]))
    cl.grading.check("ex08.q3", lambda X, y, b: relaxation.relaxation_gap(X, y, b).ratio)


def test_ex08_checks_name_the_mistake():
    with pytest.raises(AssertionError, match="twice"):
        cl.grading.check("ex08.q1", _cut_sum_over_all_pairs)
    with pytest.raises(AssertionError, match="square root"):
        cl.grading.check("ex08.q2", lambda W: hardness.max_cut(W)[0])
    with pytest.raises(AssertionError, match="p_gated / p\\*"):
        cl.grading.check("ex08.q3",
                         lambda X, y, b: 1 / relaxation.relaxation_gap(X, y, b).ratio)
    with pytest.raises(AssertionError, match="prices exactly"):
        cl.grading.check("ex08.q4", lambda n, d: "optimal")

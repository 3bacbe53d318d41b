"""Graded exercises: the checks learners call, and the student-notebook generator.

Learners call ``check("ex01.q2", answer)`` in a check cell.  Each answer is a
function the learner writes; the check runs it on its own inputs, compares with
the library and explains what is wrong (shape, count, sign, objective gap).

Instructors write exercises once, in ``solutions/exNN_topic.md`` with nbgrader's
markers; ``python -m convexnn_lab.grading release solutions exercises`` writes the
student notebooks with nbgrader's own preprocessors (``ClearSolutions``,
``ClearHiddenTests``, ``ClearOutput``), so ``nbgrader generate_assignment`` gives the
same result from the same sources.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["CHECKS", "NOT_ANSWERED", "STUB", "check", "release", "release_notebook"]

STUB = 'raise NotImplementedError("write your answer here, then run the check cell below")'
NOT_ANSWERED = "not answered yet"

CHECKS: dict[str, Callable] = {}


def _register(name: str):
    def wrap(fn):
        CHECKS[name] = fn
        return fn

    return wrap


class Feedback(AssertionError):
    """A graded check failed; the message says what is wrong."""


def check(name: str, answer) -> bool:
    """Grade `answer` for exercise `name`; print "correct" or raise with feedback.

    Raises
    ------
    AssertionError
        With a message that names the exercise and what is wrong, or says the
        exercise is not answered yet.
    """
    if name not in CHECKS:
        raise KeyError(f"no exercise called {name!r}; known: {', '.join(sorted(CHECKS))}")
    if not callable(answer):
        raise Feedback(f"{name}: pass the function you wrote (its name, without calling it)")
    try:
        CHECKS[name](answer)
    except NotImplementedError as exc:
        raise Feedback(
            f"{name}: {NOT_ANSWERED} ({exc}); replace the `raise NotImplementedError` "
            "line with your code"
        ) from None
    except Feedback as exc:
        raise Feedback(f"{name}: {exc}") from None
    print(f"{name}: correct")
    return True


def _close(mine, ref, what, rtol=1e-6, atol=1e-9):
    mine = np.asarray(mine, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if mine.shape != ref.shape:
        raise Feedback(f"{what} has shape {mine.shape}, expected {ref.shape}")
    if not np.allclose(mine, ref, rtol=rtol, atol=atol):
        i = np.unravel_index(np.argmax(np.abs(mine - ref)), ref.shape) if ref.shape else ()
        raise Feedback(f"{what}: got {mine[i]:.6g} where {ref[i]:.6g} was expected"
                       + (f" (at index {tuple(int(k) for k in i)})" if ref.shape else ""))


def _rows(P):
    return {tuple(np.asarray(p, dtype=bool)) for p in P}


# ---------------------------------------------------------------- chapter 0


@_register("ex00.q1")
def _ex00_q1(fn):
    from .landscape import one_neuron_loss

    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 1))
    y = rng.standard_normal(6)
    for w in (-1.3, 0.0, 0.7, 2.0):
        got = float(fn(w, X, y))
        ref = float(one_neuron_loss(w, X, y))
        if np.isclose(got, 2 * ref):
            raise Feedback(f"at w={w} you return {got:.4g}, twice the expected "
                           f"{ref:.4g}: the book's loss is 0.5 * sum of squares")
        if w != 0 and np.isclose(got, 0.5 * np.sum((X[:, 0] * w - y) ** 2)) and not np.isclose(got, ref):
            raise Feedback(f"at w={w} you return the loss of a linear neuron; apply "
                           "max(0, x w) before comparing with y")
        _close(got, ref, f"the loss at w={w}")


@_register("ex00.q2")
def _ex00_q2(fn):
    from .landscape import product_minimizer

    for lam in (0.0, 0.5, 1.0, 2.0, 3.0):
        got = float(fn(lam))
        ref = product_minimizer(lam)
        if lam >= 2 and got != 0 and abs(got) > 1e-8:
            raise Feedback(f"for lam={lam} you return z={got:.4g}, but when lam >= 2 the "
                           "penalty wins: the minimizer of (z-1)^2 + lam|z| is 0")
        if lam > 0 and np.isclose(got, 1 - lam):
            raise Feedback(f"for lam={lam} you return {got:.4g} = 1 - lam; set the "
                           "derivative 2(z-1) + lam to zero: z = 1 - lam/2")
        _close(got, ref, f"the minimizer for lam={lam}")


@_register("ex00.q3")
def _ex00_q3(fn):
    for z in (-2.0, -0.25, 0.0, 0.5, 3.0):
        a, b = (float(v) for v in fn(z))
        if not np.isclose(a * b, z, atol=1e-12):
            raise Feedback(f"for z={z} your (a, b) = ({a:.4g}, {b:.4g}) has a*b = "
                           f"{a * b:.4g}; the product must equal z")
        if not np.isclose(0.5 * (a * a + b * b), abs(z), atol=1e-12):
            raise Feedback(f"for z={z} your (a, b) has (a^2 + b^2)/2 = "
                           f"{0.5 * (a * a + b * b):.4g}, not |z| = {abs(z):.4g}: "
                           "balance the two factors (|a| = |b| = sqrt|z|)")


@_register("ex00.q4")
def _ex00_q4(fn):
    from .datasets import toy
    from .landscape import two_neuron_grad

    X, y = toy("two_neurons")
    for w in ((0.5, -0.7), (1.5, 1.2), (-2.0, 0.3), (0.8, 0.0)):
        got = np.asarray(fn(np.array(w), X, y), dtype=float)
        ref = two_neuron_grad(np.array(w), X, y)
        if got.shape != (2,):
            raise Feedback(f"return one partial derivative per weight: shape (2,), got {got.shape}")
        if np.allclose(got, 2 * ref):
            raise Feedback(f"at w={w} your gradient is twice the expected one; the loss "
                           "has a factor 0.5")
        _close(got, ref, f"the gradient at w={w}")


# ---------------------------------------------------------------- chapter 1


@_register("ex01.q1")
def _ex01_q1(fn):
    from .patterns import patterns_of_directions, unique_patterns

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
    from .patterns import general_position_count

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
    from .datasets import add_bias
    from .patterns import enumerate_patterns

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
    from .patterns import enumerate_patterns

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


# ---------------------------------------------------------------- chapter 2


def _ch2_problem():
    from .patterns import enumerate_patterns

    rng = np.random.default_rng(21)
    X = np.column_stack([rng.standard_normal((7, 1)), np.ones(7)])
    y = rng.standard_normal(7)
    P = enumerate_patterns(X)
    U = rng.standard_normal((2, len(P)))
    V = rng.standard_normal((2, len(P)))
    return X, y, P, U, V


@_register("ex02.q1")
def _ex02_q1(fn):
    from .program import ConvexProgram

    X, y, P, U, V = _ch2_problem()
    for beta in (0.1, 1.0):
        got = float(fn(X, y, beta, P, U, V))
        ref = ConvexProgram(X, y, beta, P).objective(U, V)
        sq = float(np.sum(np.linalg.norm(U, axis=0) ** 2 + np.linalg.norm(V, axis=0) ** 2))
        if np.isclose(got, ref - beta * (np.linalg.norm(U, axis=0).sum()
                                          + np.linalg.norm(V, axis=0).sum()) + beta * sq):
            raise Feedback("you penalize squared norms; the group Lasso uses ||u_i||_2")
        _close(got, ref, f"the objective at beta={beta}")


@_register("ex02.q2")
def _ex02_q2(fn):
    from .networks import TwoLayerNetwork
    from .program import ConvexProgram

    X, y, P, U, V = _ch2_problem()
    # blocks inside their cones: project the random blocks by the pattern's direction
    from .patterns import enumerate_patterns

    _, dirs = enumerate_patterns(X, return_directions=True)
    U = dirs * np.linspace(0.5, 2.0, dirs.shape[1])
    V = np.zeros_like(U)
    V[:, 0] = dirs[:, 0] * 0.7
    W1, w2 = fn(U, V)
    W1, w2 = np.asarray(W1, float), np.asarray(w2, float).ravel()
    if W1.shape[0] != X.shape[1]:
        raise Feedback(f"W1 must have shape (d, m) with d={X.shape[1]}, got {W1.shape}")
    net = TwoLayerNetwork(W1, w2)
    beta = 0.3
    ref = ConvexProgram(X, y, beta, P).objective(U, V)
    got = net.objective(X, y, beta)
    if not np.isclose(net.predict(X), (np.maximum(X @ U, 0).sum(1) - np.maximum(X @ V, 0).sum(1))).all():
        raise Feedback("your network's outputs differ from the convex model's: each u_i "
                       "becomes a neuron with a > 0, each v_i one with a < 0")
    if not np.isclose(got, ref, rtol=1e-8):
        raise Feedback(f"your network's objective is {got:.6g}, the convex objective "
                       f"{ref:.6g}: scale w = u/sqrt(||u||), a = sqrt(||u||) so that "
                       "(||w||^2 + a^2)/2 = ||u||")


@_register("ex02.q3")
def _ex02_q3(fn):
    from .certificates import cone_correlation, dual_bound
    from .program import ConvexProgram

    X, y, P, U, V = _ch2_problem()
    pred = 0.3 * X[:, 0]
    lam0 = y - pred
    beta = 0.5
    corr = cone_correlation(ConvexProgram(X, y, beta, P, gated=True), lam0)
    ref, _ = dual_bound(y, lam0, corr, beta, "squared")
    got = float(fn(X, y, pred, P, beta))
    if got > ref + 1e-9 and np.isclose(got, lam0 @ y - 0.5 * lam0 @ lam0):
        raise Feedback("you evaluated the dual at lambda = y - pred without scaling it; "
                       "scale by s so that max_i ||X^T D_i lambda|| <= beta")
    _close(got, ref, "the dual lower bound", rtol=1e-6)


@_register("ex02.q4")
def _ex02_q4(fn):
    from .datasets import toy
    from .patterns import enumerate_patterns
    from .solvers import solve_convex

    X, y = toy("bias_two_points")
    for beta in (0.01, 0.1):
        ref = solve_convex(X, y, beta, enumerate_patterns(X)).objective
        got = float(fn(beta))
        if got > ref * (1 + 1e-4):
            raise Feedback(f"for beta={beta} your objective {got:.6g} is above the "
                           f"optimum {ref:.6g}: did you use every pattern of X?")
        _close(got, ref, f"the optimum for beta={beta}", rtol=1e-4)


# ---------------------------------------------------------------- chapter 3


@_register("ex03.q1")
def _ex03_q1(fn):
    rng = np.random.default_rng(31)
    X = rng.standard_normal((12, 5))
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    for k in (1, 3):
        got = np.asarray(fn(X, k), dtype=float)
        ref = (U[:, :k] * s[:k]) @ Vt[:k]
        if got.shape == (12, k):
            raise Feedback(f"you return shape {got.shape}, the coordinates U_k S_k; X_k has "
                           "the shape of X: multiply by V_k^T")
        if got.shape == ref.shape and np.linalg.matrix_rank(got) != k:
            raise Feedback(f"your X_k has rank {np.linalg.matrix_rank(got)}, not {k}")
        _close(got, ref, f"X_k for k={k}")


@_register("ex03.q2")
def _ex03_q2(fn):
    from .lowrank import approximation_bound

    for sigma, ynorm, beta in ((0.5, 1.0, 1.0), (0.3, 4.0, 0.5), (0.0, 2.0, 1.0)):
        got = float(fn(sigma, ynorm, beta))
        ref = approximation_bound(sigma, ynorm, beta)
        if np.isclose(got, ref):
            continue
        if ynorm != 1 and np.isclose(got, (1 + sigma / (2 * beta)) ** 4):
            raise Feedback("you left out ||y||: without normalizing y the bound is "
                           "(1 + sigma ||y|| / (2 beta))^4")
        if np.isclose(got, (1 + sigma * ynorm / beta) ** 2) and not np.isclose(got, ref):
            raise Feedback("(1 + sigma/beta)^2 is the form quoted for ||y|| = 1; the bound "
                           "proved in chapter 3 is (1 + sigma ||y|| / (2 beta))^4")
        _close(got, ref, f"the bound for sigma={sigma}, ||y||={ynorm}, beta={beta}")


@_register("ex03.q3")
def _ex03_q3(fn):
    rng = np.random.default_rng(33)
    Z = rng.standard_normal((6, 2))
    p = np.array([True, False, True, True, False, False])
    got = np.asarray(fn(Z, p), dtype=float)
    ref = np.where(p, 1.0, -1.0) @ Z
    if np.allclose(got, p.astype(float) @ Z):
        raise Feedback("an inactive point contributes -z_i, not 0: the vertex is "
                       "sum_i (2 p_i - 1) z_i")
    _close(got, ref, "the vertex")


@_register("ex03.q4")
def _ex03_q4(fn):
    from .lowrank import low_rank_scheme

    rng = np.random.default_rng(34)
    X = np.column_stack([rng.standard_normal((12, 2)), np.ones(12)])
    y = rng.standard_normal(12)
    ref = low_rank_scheme(X, y, 0.5, 2).train_on_low_rank
    got = float(fn(X, y, 0.5, 2))
    _close(got, ref, "L_X of the network trained on X_k", rtol=1e-5)


# ---------------------------------------------------------------- chapter 4


def _ch4_net():
    rng = np.random.default_rng(41)
    X = np.column_stack([rng.standard_normal((9, 2)), np.ones(9)])
    y = rng.standard_normal(9)
    W = rng.standard_normal((3, 3))
    W1 = np.hstack([W, 2.0 * W[:, :1]])  # neuron 3 repeats neuron 0's direction
    w2 = np.array([1.0, -0.5, 0.8, 0.6])
    return X, y, W1, w2


@_register("ex04.q1")
def _ex04_q1(fn):
    X, _, W1, _ = _ch4_net()
    ref = len({tuple(p) for p in (X @ W1 >= 0).T})
    got = int(fn(W1, X))
    if got == W1.shape[1] and ref < got:
        raise Feedback(f"you return {got}, the number of neurons; neurons 0 and 3 share a "
                       "pattern: count distinct patterns")
    if got != ref:
        raise Feedback(f"you return {got}; these neurons have {ref} distinct patterns")


@_register("ex04.q2")
def _ex04_q2(fn):
    from .networks import TwoLayerNetwork

    X, y, W1, w2 = _ch4_net()
    net = TwoLayerNetwork(W1, w2)
    W1s, w2s = fn(W1, w2, 1)
    W1s, w2s = np.asarray(W1s, float), np.asarray(w2s, float)
    if W1s.shape != (W1.shape[0], W1.shape[1] + 1):
        raise Feedback(f"the split network must have {W1.shape[1] + 1} neurons "
                       f"(W1 of shape {(W1.shape[0], W1.shape[1] + 1)}), got {W1s.shape}")
    split = TwoLayerNetwork(W1s, w2s)
    if not np.allclose(split.predict(X), net.predict(X)):
        raise Feedback("the split network's outputs differ: both halves keep the direction "
                       "of w, and their output weights must add up the same contribution")
    if not np.isclose(split.objective(X, y, 0.3), net.objective(X, y, 0.3)):
        raise Feedback(f"outputs match but the objective moved from "
                       f"{net.objective(X, y, 0.3):.5f} to {split.objective(X, y, 0.3):.5f}: "
                       "scale both w and a by sqrt(1/2), not w by 1/2")


@_register("ex04.q3")
def _ex04_q3(fn):
    from .networks import TwoLayerNetwork

    X, y, W1, w2 = _ch4_net()
    net = TwoLayerNetwork(W1, w2)
    Wm, wm = fn(W1, w2, X)
    merged = TwoLayerNetwork(np.asarray(Wm, float), np.asarray(wm, float))
    if merged.width >= net.width:
        raise Feedback(f"your network still has {merged.width} neurons; neurons 0 and 3 "
                       "share a pattern and an output sign: merge them")
    if not np.allclose(merged.predict(X), net.predict(X)):
        raise Feedback("the merged network's outputs differ on X: add u = w a of the "
                       "merged neurons, then split u back as w = u/sqrt(||u||), a = sqrt(||u||)")
    if merged.objective(X, y, 0.3) > net.objective(X, y, 0.3) + 1e-12:
        raise Feedback("merging raised the objective; balance the merged neuron "
                       "(||w|| = |a|)")


@_register("ex04.q4")
def _ex04_q4(fn):
    from .networks import TwoLayerNetwork
    from .stationary import network_program

    X, y, W1, w2 = _ch4_net()
    net = TwoLayerNetwork(W1, w2)
    ref = network_program(X, y, 0.3, net).objective
    got = float(fn(X, y, 0.3, W1, w2))
    if got > net.objective(X, y, 0.3) + 1e-9:
        raise Feedback(f"{got:.5f} is above the network's own objective "
                       f"{net.objective(X, y, 0.3):.5f}; the program on its patterns can "
                       "always do at least as well")
    _close(got, ref, "the program's optimum", rtol=1e-5)


# ---------------------------------------------------------------- chapter 5


@_register("ex05.q1")
def _ex05_q1(fn):
    from .patterns import generalized_cross_product

    rng = np.random.default_rng(51)
    for d in (2, 3, 5):
        U = rng.standard_normal((d - 1, d))
        got = np.asarray(fn(U), dtype=float)
        ref = generalized_cross_product(U)
        if got.shape == ref.shape and np.allclose(np.abs(got), np.abs(ref)) and \
                not np.allclose(got, ref):
            raise Feedback(f"for d={d} the magnitudes are right but some signs are not: the "
                           "i-th entry carries (-1)^(i-1)")
        _close(got, ref, f"the cross product for d={d}")


@_register("ex05.q2")
def _ex05_q2(fn):
    rng = np.random.default_rng(52)
    X = rng.standard_normal((10, 4))
    rows = [1, 4, 7]
    h = np.asarray(fn(X, rows), dtype=float)
    if h.shape != (4,):
        raise Feedback(f"return the normal vector h of shape (4,), got {h.shape}")
    if np.linalg.norm(h) < 1e-12:
        raise Feedback("your h is zero; the chosen points are independent, so h must not be")
    off = np.abs(X[rows] @ h) / (np.linalg.norm(X[rows], axis=1) * np.linalg.norm(h))
    if off.max() > 1e-8:
        raise Feedback(f"the chosen points are not on your hyperplane: |x^T h| / (|x||h|) "
                       f"reaches {off.max():.2e}")


@_register("ex05.q3")
def _ex05_q3(fn):
    t = np.array([0.3, -1.0, 2.0, 0.8])
    got = np.asarray(fn(t), dtype=float)
    ref = np.hstack([np.maximum(t[:, None] - t[None, :], 0),
                     np.maximum(t[None, :] - t[:, None], 0)])
    if got.shape == ref.T.shape:
        raise Feedback(f"your dictionary has shape {got.shape}: one row per data point and "
                       f"one column per ramp, (n, 2n) = {ref.shape}")
    if got.shape == ref.shape and np.allclose(got, -ref[:, ::-1]):
        raise Feedback("ramps are (t - t_j)_+ and (t_j - t)_+: non-negative")
    _close(got, ref, "the dictionary")


@_register("ex05.q4")
def _ex05_q4(fn):
    from .patterns import enumerate_patterns, sample_patterns

    rng = np.random.default_rng(54)
    X = rng.standard_normal((15, 3)) * [3.0, 1.0, 0.1]
    exact = {tuple(p) for p in enumerate_patterns(X)}
    for budget in (10, 80):
        P = sample_patterns(X, budget, seed=1)
        ref = len({tuple(p) for p in P} & exact) / len(exact)
        got = float(fn(X, P))
        if np.isclose(got, len(P) / len(exact)) and not np.isclose(got, ref):
            raise Feedback("count only the sampled rows that are patterns of X")
        if np.isclose(got, len(P) / budget):
            raise Feedback("divide by the number of patterns of X (enumerate_patterns), "
                           "not by the budget")
        _close(got, ref, f"the coverage at budget {budget}")


# ---------------------------------------------------------------- chapter 6


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
    from .solvers import solve_convex

    rng = np.random.default_rng(63)
    X = np.column_stack([rng.standard_normal((15, 2)), np.ones(15)])
    Y = np.eye(3)[rng.integers(0, 3, 15)]
    P = np.unique((X @ rng.standard_normal((3, 6)) >= 0).T, axis=0)
    got = float(fn(X, Y, 0.3, P))
    ref = solve_convex(X, Y, 0.3, P, gated=True).objective
    _close(got, ref, "the vector-output objective", rtol=1e-5)


# ---------------------------------------------------------------- chapter 7


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
    from .datasets import planted_linear
    from .patterns import sample_patterns
    from .recovery import planted_program

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


# ---------------------------------------------------------------- the generator


def release_notebook(src: Path):
    """Read a solutions source (``.md`` or ``.ipynb``) and return the student notebook."""
    import jupytext
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    nb = jupytext.read(src)
    resources: dict = {}
    for pre in (ClearSolutions(code_stub={"python": STUB}), ClearHiddenTests(),
                ClearOutput()):
        nb, resources = pre.preprocess(nb, resources)
    nb.metadata.pop("jupytext", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{src.stem}-{i}".replace("_", "-")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def release(src_dir="solutions", dst_dir="exercises") -> list[Path]:
    """Write ``dst_dir/exNN_topic.ipynb`` for every ``src_dir/exNN_topic.md``."""
    import nbformat

    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    sources = sorted(src_dir.glob("ex*.md"))
    if not sources:
        raise FileNotFoundError(f"no exercise sources ex*.md in {src_dir}")
    dst_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        out = dst_dir / (src.stem + ".ipynb")
        nbformat.write(release_notebook(src), out)
        written.append(out)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m convexnn_lab.grading",
        description="Generate student notebooks from the instructor's solutions.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="write exercises/ from solutions/")
    rel.add_argument("src", nargs="?", default="solutions")
    rel.add_argument("dst", nargs="?", default="exercises")
    args = parser.parse_args(argv)
    for path in release(args.src, args.dst):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

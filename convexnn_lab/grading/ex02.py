"""Checks of chapter 02's exercises (``solutions/ex02_convex_program.md``).

Chapter: Train a ReLU network by solving a convex program.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


def _ch2_problem():
    from ..patterns import enumerate_patterns

    rng = np.random.default_rng(21)
    X = np.column_stack([rng.standard_normal((7, 1)), np.ones(7)])
    y = rng.standard_normal(7)
    P = enumerate_patterns(X)
    U = rng.standard_normal((2, len(P)))
    V = rng.standard_normal((2, len(P)))
    return X, y, P, U, V


@_register("ex02.q1")
def _ex02_q1(fn):
    from ..program import ConvexProgram

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
    from ..networks import TwoLayerNetwork
    from ..program import ConvexProgram

    X, y, P, U, V = _ch2_problem()
    # blocks inside their cones: project the random blocks by the pattern's direction
    from ..patterns import enumerate_patterns

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
    from ..certificates import cone_correlation, dual_bound
    from ..program import ConvexProgram

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
    from ..datasets import toy
    from ..patterns import enumerate_patterns
    from ..solvers import solve_convex

    X, y = toy("bias_two_points")
    for beta in (0.01, 0.1):
        ref = solve_convex(X, y, beta, enumerate_patterns(X)).objective
        got = float(fn(beta))
        if got > ref * (1 + 1e-4):
            raise Feedback(f"for beta={beta} your objective {got:.6g} is above the "
                           f"optimum {ref:.6g}: did you use every pattern of X?")
        _close(got, ref, f"the optimum for beta={beta}", rtol=1e-4)

"""Checks of chapter 02's exercises (``solutions/ex02_convex_program.md``).

Chapter: Train a ReLU network by solving a convex program.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Number, Tuple, close, register


def _ch2_problem(seed=21, n=7):
    from ..core.patterns import enumerate_patterns

    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.standard_normal((n, 1)), np.ones(n)])
    y = rng.standard_normal(n)
    P = enumerate_patterns(X)
    U = rng.standard_normal((2, len(P)))
    V = rng.standard_normal((2, len(P)))
    return X, y, P, U, V


@register("ex02.q1", returns=Number(),
          forbid=("convexnn_lab.core.program:ConvexProgram.objective",
                  "convexnn_lab.core.program:ConvexProgram.predict"))
def _ex02_q1(answer):
    from ..core.program import ConvexProgram

    for seed in (21, 22):
        X, y, P, U, V = _ch2_problem(seed)
        for beta in (0.1, 1.0):
            got = answer(X, y, beta, P, U, V)
            ref = ConvexProgram(X, y, beta, P).objective(U, V)
            nu, nv = np.linalg.norm(U, axis=0), np.linalg.norm(V, axis=0)
            pred = np.sum(P.T * (X @ (U - V)), axis=1)
            fit = 0.5 * np.sum((pred - y) ** 2)
            reg = beta * (nu.sum() + nv.sum())
            if np.isclose(got, fit + beta * np.sum(nu**2 + nv**2)):
                raise Feedback("you penalize squared norms; the group Lasso uses ||u_i||_2")
            if np.isclose(got, 0.5 * np.sum((pred + y) ** 2) + reg) or np.isclose(
                    got, 0.5 * np.sum((-pred - y) ** 2) + reg):
                raise Feedback("your prediction has the wrong sign: it is "
                               "sum_i D_i X (u_i - v_i), u blocks add and v blocks subtract")
            if np.isclose(got, fit - reg):
                raise Feedback("the penalty is added: + beta * sum(||u_i|| + ||v_i||)")
            if np.isclose(got, 0.5 * np.sum(((X @ (U - V)).sum(1) - y) ** 2) + reg):
                raise Feedback("you left out the masks D_i: multiply column i of X (U - V) "
                               "by pattern i before summing")
            if np.isclose(got, 2 * fit + reg):
                raise Feedback("the squared loss carries a factor 1/2")
            close(got, ref, f"the objective at beta={beta}")


@register("ex02.q2", returns=Tuple((Array(ndim=2), Array()), ("W1", "w2")),
          forbid=("convexnn_lab.core.solution:ConvexSolution.network",))
def _ex02_q2(answer):
    from ..core.networks import TwoLayerNetwork
    from ..core.patterns import enumerate_patterns
    from ..core.program import ConvexProgram

    for seed, zero in ((21, False), (23, True)):
        X, y, P, _, _ = _ch2_problem(seed)
        # blocks inside their cones: multiples of each pattern's own direction
        _, dirs = enumerate_patterns(X, return_directions=True)
        U = dirs * np.linspace(0.5, 2.0, dirs.shape[1])
        V = np.zeros_like(U)
        V[:, 2] = dirs[:, 2] * 0.7
        if zero:
            U[:, 1] = 0.0
        W1, w2 = answer(U.copy(), V.copy())
        w2 = w2.ravel()
        if W1.shape[0] != X.shape[1]:
            raise Feedback(f"W1 must have shape (d, m) with d={X.shape[1]}, got {W1.shape}")
        if W1.shape[1] != len(w2):
            raise Feedback(f"W1 has {W1.shape[1]} columns but w2 has {len(w2)} entries")
        nonzero = int((np.linalg.norm(U, axis=0) > 0).sum() + (np.linalg.norm(V, axis=0) > 0).sum())
        if W1.shape[1] != nonzero:
            raise Feedback(f"your network has {W1.shape[1]} neurons, the blocks have "
                           f"{nonzero} nonzero columns: one neuron per nonzero column, "
                           "skip the zero ones")
        net = TwoLayerNetwork(W1, w2)
        beta = 0.3
        ref = ConvexProgram(X, y, beta, P).objective(U, V)
        conv = np.maximum(X @ U, 0).sum(1) - np.maximum(X @ V, 0).sum(1)
        if not np.allclose(net.predict(X), conv) and np.allclose(
                net.predict(X), np.maximum(X @ U, 0).sum(1) + np.maximum(X @ V, 0).sum(1)):
            raise Feedback("the v blocks must subtract: their neurons get a = -sqrt(||v||)")
        if not np.allclose(net.predict(X), conv):
            raise Feedback("your network's outputs differ from the convex model's: each u_i "
                           "becomes a neuron with a > 0, each v_i one with a < 0, and "
                           "w a = u_i")
        got = net.objective(X, y, beta)
        if not np.isclose(got, ref, rtol=1e-8):
            raise Feedback("outputs match but the objective differs: scale "
                           "w = u/sqrt(||u||), a = sqrt(||u||) so that "
                           "(||w||^2 + a^2)/2 = ||u||")


@register("ex02.q3", returns=Number(),
          forbid=("convexnn_lab.core.certificates:dual_bound",
                  "convexnn_lab.core.certificates:cone_correlation",
                  "convexnn_lab.core.certificates:dual_constraints",
                  "convexnn_lab.core.certificates:certify"))
def _ex02_q3(answer):
    from ..core.certificates import cone_correlation, dual_bound
    from ..core.program import ConvexProgram

    X, y, P, _, _ = _ch2_problem()
    # small beta: the constraint s <= beta/worst is active; large beta: the parabola's
    # maximizer is; a prediction worse than zero: lam0^T y < 0 and s' = 0
    for pred, beta in ((0.3 * X[:, 0], 0.5), (0.3 * X[:, 0], 50.0), (y + 0.2 * X[:, 0], 0.5),
                       (2.0 * y, 1.0)):
        lam0 = y - pred
        corr = cone_correlation(ConvexProgram(X, y, beta, P, gated=True), lam0)
        ref, _ = dual_bound(y, lam0, corr, beta, "squared")
        got = answer(X, y, pred.copy(), P, beta)
        worst = np.linalg.norm((P * lam0) @ X, axis=1).max()
        s_max = beta / worst
        lam = s_max * lam0
        if not np.isclose(got, ref) and np.isclose(got, lam @ y - 0.5 * lam @ lam):
            raise Feedback(f"for beta={beta} you evaluate the dual at the largest feasible "
                           "s; the best s' in [0, s] is the parabola's maximizer "
                           "lam0^T y / ||lam0||^2 clipped to [0, s]")
        if not np.isclose(got, ref) and np.isclose(got, lam0 @ y - 0.5 * lam0 @ lam0):
            raise Feedback("you evaluated the dual at lambda = y - pred without scaling it; "
                           "scale by s so that max_i ||X^T D_i lambda|| <= beta")
        s_free = (lam0 @ y) / (lam0 @ lam0)
        lam = s_free * lam0
        if not np.isclose(got, ref) and np.isclose(got, lam @ y - 0.5 * lam @ lam):
            raise Feedback(f"for beta={beta} your lambda breaks the dual constraint: clip "
                           "the maximizer to [0, s] with s = beta / max_i ||X^T D_i lam0||")
        if got > ref + 1e-9 * max(1.0, abs(ref)):
            raise Feedback(f"for beta={beta} your bound is above the best bound along "
                           "lambda = s' lam0: is your lambda feasible (||X^T D_i lambda|| "
                           "<= beta for every pattern) and s' >= 0?")
        close(got, ref, f"the dual lower bound for beta={beta}")


def _q4_data():
    from ..data.datasets import add_bias, toy

    rng = np.random.default_rng(24)
    X, y = toy("bias_two_points")
    yield X, y, add_bias(rng.uniform(-1.5, 1.5, (9, 1)))
    t = np.array([-1.0, -0.4, 0.1, 0.6, 1.2])
    yield (add_bias(t[:, None]), np.array([1.0, -0.5, 0.3, -0.8, 0.9]),
           add_bias(np.r_[rng.uniform(-1.5, 1.5, 7), -0.7, 0.35][:, None]))


_SOL = "convexnn_lab.core.solution:"


@register("ex02.q4", returns=Array(ndim=1),
          forbid=(_SOL + "ConvexSolution.predict", _SOL + "ConvexSolution.network",
                  "convexnn_lab.core.networks:TwoLayerNetwork.predict",
                  "convexnn_lab.core.networks:TwoLayerNetwork.hidden"))
def _ex02_q4(answer):
    from ..core.patterns import enumerate_patterns
    from ..solvers import solve_convex

    for X, y, Xt in _q4_data():
        P = enumerate_patterns(X)
        for beta in (0.01, 0.1):
            sol = solve_convex(X, y, beta, P)
            ref = sol.network().predict(Xt)
            got = answer(X.copy(), y.copy(), beta, Xt.copy())
            where = f"n={len(y)}, beta={beta}"
            if got.shape != ref.shape:
                raise Feedback(f"for {len(Xt)} new points your function returned shape "
                               f"{got.shape}: return one prediction per row of Xt")
            scale = 1e-4 * max(1.0, np.abs(ref).max())
            if np.allclose(got, ref, rtol=1e-4, atol=scale):
                continue
            U, V = sol.U, sol.V
            if np.allclose(got, Xt @ (U - V).sum(axis=1), rtol=1e-4, atol=scale):
                raise Feedback(f"({where}) your network is linear: a new point has no "
                               "pattern D_i, so the network applies the ReLU to each "
                               "block, max(0, x^T u_i) - max(0, x^T v_i)")
            if np.allclose(got, np.maximum(Xt @ U, 0).sum(1) + np.maximum(Xt @ V, 0).sum(1),
                           rtol=1e-4, atol=scale):
                raise Feedback(f"({where}) the v blocks must subtract: their neurons have "
                               "negative output weights")
            gated = solve_convex(X, y, beta, P, gated=True)
            if np.allclose(got, np.maximum(Xt @ gated.U, 0).sum(1)
                           - np.maximum(Xt @ gated.V, 0).sum(1), rtol=1e-4, atol=scale):
                raise Feedback(f"({where}) you solved the gated-ReLU program, a different "
                               "model; the ReLU network's program has cone constraints "
                               "(gated=False)")
            ones = solve_convex(X, y, beta, np.ones((1, len(y)), bool))
            if np.allclose(got, np.maximum(Xt @ ones.U, 0).sum(1)
                           - np.maximum(Xt @ ones.V, 0).sum(1), rtol=1e-4, atol=scale):
                raise Feedback(f"({where}) your network is not the global optimum: give the "
                               "program every pattern of X (cl.enumerate_patterns), not "
                               "only the all-ones pattern")
            close(got, ref, f"the optimal network's predictions at the new points ({where})",
                  rtol=1e-4, atol=scale)


@register("ex02.q6", kind="value", returns=Number())
def _ex02_q6(prediction):
    from ..core.patterns import enumerate_patterns
    from ..data.datasets import toy
    from ..solvers import solve_convex

    X, y = toy("bias_two_points")
    ref = solve_convex(X, y, 100.0, enumerate_patterns(X)).objective
    if abs(prediction - ref) > 1e-4 * max(1.0, abs(ref)):
        raise Feedback("your prediction does not match the experiment; run the cell below. "
                       "Hint: at this beta, is any neuron worth its penalty?")

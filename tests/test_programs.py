import numpy as np
import pytest

import convexnn_lab as cl


def problem(seed=0, n=12, d=2):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, d - 1)))
    y = rng.standard_normal(n)
    return X, y, cl.enumerate_patterns(X)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
@pytest.mark.parametrize("seed", [0, 1])
def test_network_objective_equals_convex_objective(activation, seed):
    X, y, P = problem(seed, n=10, d=3)
    sol = cl.solve_convex(X, y, 0.1, P, activation=activation)
    assert sol.status == "optimal"
    net = sol.network()
    assert net.activation == activation
    assert np.isclose(net.objective(X, y, 0.1), sol.objective, rtol=1e-6)
    assert 0 <= sol.gap <= 1e-5 * sol.objective


def test_gap_is_an_upper_bound_on_suboptimality():
    X, y, P = problem(2)
    sol = cl.solve_convex(X, y, 0.05, P)
    # a worse point: scale the optimal blocks; its certified gap must cover the excess
    worse = cl.programs._finish(X, y, 0.05, P, 0.7 * sol.U, 0.7 * sol.V, "relu", 0.01,
                                "squared", False, "optimal", "test", 0.0)
    assert worse.objective > sol.objective
    assert worse.gap >= worse.objective - sol.objective - 1e-9


def test_gated_is_a_lower_bound_and_its_network_fits_the_same_outputs():
    X, y, P = problem(3)
    relu = cl.solve_convex(X, y, 0.1, P)
    gated = cl.solve_convex(X, y, 0.1, P, gated=True)
    assert gated.objective <= relu.objective + 1e-7
    net = gated.network()
    assert np.allclose(net.predict(X), gated.predict(), atol=1e-5)
    assert net.objective(X, y, 0.1) >= gated.objective - 1e-6


def test_logistic_loss():
    X, y, P = problem(4)
    labels = np.where(y > 0, 1.0, -1.0)
    sol = cl.solve_convex(X, labels, 0.1, P, loss="logistic")
    net = sol.network()
    assert np.isclose(net.objective(X, labels, 0.1, loss="logistic"), sol.objective, rtol=1e-6)
    assert 0 <= sol.gap <= 1e-3 * sol.objective
    with pytest.raises(ValueError, match="-1 and \\+1"):
        cl.solve_convex(X, y, 0.1, P, loss="logistic")


def test_all_patterns_never_beaten_by_training():
    X, y = cl.toy("bias_two_points")
    P = cl.enumerate_patterns(X)
    sol = cl.solve_convex(X, y, 0.01, P)
    for seed in range(3):
        net = cl.train_nonconvex(X, y, 4, 0.01, lr=0.01, steps=1500, seed=seed)
        assert net.history[-1] >= sol.objective - 1e-7


def test_certify_global_exact_and_random():
    X, y, P = problem(5)
    full = cl.solve_convex(X, y, 0.1, P)
    cert = cl.certify_global(X, y, 0.1, full)
    assert cert.method == "exact" and cert.status == "optimal"
    assert cert.global_gap <= 1e-5 * full.objective
    part = cl.solve_convex(X, y, 0.1, P[:3])
    cert2 = cl.certify_global(X, y, 0.1, part)
    assert cert2.status == "not_optimal" and cert2.max_ratio > 1
    assert cert2.global_gap > 0
    assert cert2.lower_bound <= full.objective + 1e-7


def test_merge_neurons_never_increases_objective():
    X, y, P = problem(6)
    rng = np.random.default_rng(0)
    W = rng.standard_normal((2, 3))
    net = cl.TwoLayerNetwork(np.hstack([W, 2 * W, np.zeros((2, 1))]),
                             np.array([1.0, -1.0, 0.5, 2.0, -0.2, 0.3, 1.0]))
    merged = net.merge_neurons(X)
    assert merged.width <= 4
    assert np.allclose(merged.predict(X), net.predict(X))
    assert merged.objective(X, y, 0.3) <= net.objective(X, y, 0.3) + 1e-12


def test_solution_reports_solver_and_patterns():
    X, y, P = problem(7)
    sol = cl.solve_convex(X, y, 0.1, P)
    assert sol.solver.startswith("cvxpy-")
    assert sol.patterns.shape == P.shape and sol.U.shape == (X.shape[1], len(P))
    assert sol.converged and sol.relative_gap < 1e-5

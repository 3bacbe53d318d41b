"""A solution maps back to a network with its objective; its fields come from its program."""

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


def test_solution_reports_its_program_solver_and_certificate():
    X, y, P = problem(7)
    sol = cl.solve_convex(X, y, 0.1, P)
    assert sol.solver.startswith("cvxpy-") and sol.result.method == sol.solver
    assert sol.patterns.shape == P.shape and sol.U.shape == (X.shape[1], len(P))
    assert np.array_equal(sol.X, X) and sol.beta == 0.1 and sol.program.P == len(P)
    assert sol.converged and sol.relative_gap < 1e-5
    assert sol.objective == sol.certificate.objective and sol.gap == sol.certificate.gap
    # the certificate is the one certify computes on the returned weights
    again = cl.certify(sol.program, sol.U, sol.V, sol.multipliers)
    assert again.gap == pytest.approx(sol.gap, abs=1e-12)


def test_network_tolerance_is_validated():
    X, y, P = problem(8)
    sol = cl.solve_convex(X, y, 0.1, P)
    for bad in ("x", -1.0, 1.5, True):
        with pytest.raises(ValueError, match="tol must be a real number in \\[0, 1\\)"):
            sol.network(tol=bad)
    assert sol.network(tol=0.0).width >= sol.network().width


def test_predict_is_only_defined_on_the_training_rows():
    X, y, P = problem(9)
    sol = cl.solve_convex(X, y, 0.1, P)
    assert np.allclose(sol.predict(), sol.network().predict(X), atol=1e-6)
    with pytest.raises(ValueError, match="network"):
        sol.predict(X[:3])

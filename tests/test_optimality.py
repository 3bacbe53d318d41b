"""certify_global: about the solution's own program, exact or a search, never a false proof."""

import numpy as np
import pytest

import convexnn_lab as cl


def setup():
    # the case that once certified a beta=0.1 solution at beta=1 and for 5*y
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((8, 2)))
    y = rng.standard_normal(8)
    return X, y, cl.enumerate_patterns(X)


def test_exact_certificate_of_the_optimum_and_of_a_restriction():
    X, y, P = setup()
    full = cl.solve_convex(X, y, 0.1, P)
    cert = cl.certify_global(full)
    assert cert.method == "exact" and cert.status == "optimal" and cert.n_patterns == len(P)
    assert cert.global_gap <= 1e-5 * full.objective
    part = cl.solve_convex(X, y, 0.1, P[:3])
    cert2 = cl.certify_global(part)
    assert cert2.status == "not_optimal" and cert2.max_ratio > 1
    assert cert2.global_gap > 0
    assert cert2.lower_bound <= full.objective + 1e-7


def test_the_certificate_is_bound_to_the_solution_program():
    X, y, P = setup()
    sol = cl.solve_convex(X, y, 0.1, P)
    with pytest.raises(TypeError, match="solution only"):
        cl.certify_global(X, y, 1.0, sol)
    # the same solution, asked about at beta = 1: it is a different program, so solve it
    at_one = cl.solve_convex(X, y, 1.0, P)
    net = sol.network()
    assert net.objective(X, y, 1.0) > at_one.objective + 1.0  # 5.26 against 1.90
    assert cl.certify_global(at_one).status == "optimal"


def test_random_search_never_claims_a_proof():
    X, y, P = setup()
    full = cl.solve_convex(X, y, 0.1, P)
    # max_patterns below the 58 patterns of X: the random branch
    cert = cl.certify_global(full, max_patterns=10, n_random=2000, seed=1)
    assert cert.method == "random" and cert.status == "no_violation_found"
    assert cert.global_gap is None and "not a proof" in cert.message
    part = cl.solve_convex(X, y, 0.1, P[:3])
    cert2 = cl.certify_global(part, max_patterns=10, n_random=2000, seed=1)
    assert cert2.method == "random" and cert2.status == "not_optimal" and cert2.max_ratio > 1


def test_all_patterns_never_beaten_by_training():
    X, y = cl.toy("bias_two_points")
    P = cl.enumerate_patterns(X)
    sol = cl.solve_convex(X, y, 0.01, P)
    for seed in range(3):
        net = cl.train_nonconvex(X, y, 4, 0.01, lr=0.01, steps=1500, seed=seed)
        assert net.history[-1] >= sol.objective - 1e-7


def test_bad_settings_are_named():
    X, y, P = setup()
    sol = cl.solve_convex(X, y, 0.1, P)
    with pytest.raises(ValueError, match="rtol"):
        cl.certify_global(sol, rtol=0)
    with pytest.raises(TypeError, match="seed"):
        cl.certify_global(sol, seed="abc")
    with pytest.raises(ValueError, match="n_random"):
        cl.certify_global(sol, n_random=0)


def test_an_inaccurate_solution_is_not_called_not_optimal():
    X, y, P = setup()
    sol = cl.solve_convex(X, y, 0.1, P)
    # 2e-5 away from the optimum along its own blocks: no violated pattern, gap too large
    rough = cl.ConvexSolution(sol.program, sol.U * (1 + 2e-5), sol.V * (1 + 2e-5),
                              cl.certify(sol.program, sol.U * (1 + 2e-5), sol.V * (1 + 2e-5)),
                              "inaccurate", sol.result)
    cert = cl.certify_global(rough, rtol=1e-9)
    assert cert.status == "inaccurate" and "solve more tightly" in cert.message

"""The certificate: a true bound, whichever multipliers it is given, on the program it is for."""

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.core.certificates import block_correlations, cone_correlation


def problem(seed=0, n=12):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    y = rng.standard_normal(n)
    return X, y, cl.enumerate_patterns(X)


def test_gap_is_an_upper_bound_on_suboptimality():
    X, y, P = problem(2)
    sol = cl.solve_convex(X, y, 0.05, P)
    # a worse point: scale the optimal blocks; its certified gap must cover the excess
    worse = cl.certify(sol.program, 0.7 * sol.U, 0.7 * sol.V)
    assert worse.objective > sol.objective
    assert worse.gap >= worse.objective - sol.objective - 1e-9
    assert worse.lower_bound <= sol.objective + 1e-9
    assert worse.feasible and worse.exact


def test_any_multipliers_give_a_bound_above_the_exact_maximum():
    X, y, P = problem(3)
    prog = cl.ConvexProgram(X, y, 0.1, P)
    lam = np.random.default_rng(0).standard_normal(len(y))
    exact = cone_correlation(prog, lam)
    for Gamma in (None, np.abs(np.random.default_rng(1).standard_normal((len(y), 2 * prog.P)))):
        bound = block_correlations(prog.X, prog.block_slopes(), lam, prog.block_signs(), Gamma)
        assert np.all(bound >= exact - 1e-10)
    # gated: the bound without cones is the exact value
    gated = cl.ConvexProgram(X, y, 0.1, P, gated=True)
    exact_gated = cone_correlation(gated, lam)
    assert np.allclose(block_correlations(X, gated.block_slopes(), lam), exact_gated)


def test_certificate_with_loose_multipliers_stays_valid():
    X, y, P = problem(4)
    sol = cl.solve_convex(X, y, 0.1, P)
    prog = sol.program
    zero = np.zeros((len(y), 2 * prog.P))
    loose = cl.certify(prog, sol.U, sol.V, zero, exact=False)
    tight = cl.certify(prog, sol.U, sol.V, zero, exact=True)
    assert not loose.exact and tight.exact
    assert loose.lower_bound <= tight.lower_bound + 1e-12  # looser, never wrong
    assert tight.gap <= 1e-5 * tight.objective


def test_a_point_outside_its_cones_is_not_proved_optimal():
    X, y, P = problem(5)
    relu = cl.ConvexProgram(X, y, 0.1, P)
    gated = cl.solve_convex(X, y, 0.1, P, gated=True)
    # the gated optimum as a ReLU point: u_i = w_i, v_i = 0, outside most cones
    cert = cl.certify(relu, gated.U, np.zeros_like(gated.U))
    assert cert.cone_violation > 1e-3 and not cert.feasible
    assert not cert.proves(0.5)


def test_certificate_is_for_its_own_program():
    X, y, P = problem(6)
    sol = cl.solve_convex(X, y, 0.1, P)
    other = cl.ConvexProgram(X, 5 * y, 0.1, P)
    assert cl.certify(sol.program, sol.U, sol.V).proves(1e-5)
    assert not cl.certify(other, sol.U, sol.V).proves(1e-2)


def test_logistic_dual_bound_is_below_the_optimum():
    X, y, P = problem(7)
    labels = np.where(y > 0, 1.0, -1.0)
    sol = cl.solve_convex(X, labels, 0.1, P, loss="logistic")
    half = cl.certify(sol.program, 0.5 * sol.U, 0.5 * sol.V)
    assert half.lower_bound <= sol.objective + 1e-9 <= half.objective
    assert sol.relative_gap <= 1e-3


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
def test_exact_maximum_matches_a_brute_force_search(activation):
    X, y, P = problem(8, n=6)
    prog = cl.ConvexProgram(X, y, 0.1, P, activation=activation)
    lam = np.random.default_rng(2).standard_normal(6)
    exact = cone_correlation(prog, lam)
    # sample many unit directions; each lies in one cell, whose maximum it bounds from below
    U = np.random.default_rng(3).standard_normal((3, 200_000))
    U /= np.linalg.norm(U, axis=0)
    pats = (X @ U >= 0).T
    values = np.abs(lam @ cl.activations.activate(X @ U, activation, prog.alpha))
    for i, pat in enumerate(P):
        inside = np.all(pats == pat, axis=1)
        if inside.any():
            assert values[inside].max() <= exact[i] + 1e-9
    # and the largest of them is the maximum over the sphere, which sampling approaches
    assert values.max() == pytest.approx(exact.max(), rel=1e-2)


def test_only_non_negative_multipliers_of_the_right_shape_are_taken():
    # negative multipliers once certified the zero network as optimal
    X, y, P = problem(9, n=7)
    prog = cl.ConvexProgram(X, y, 0.1, P)
    zero = np.zeros((3, prog.P))
    with pytest.raises(ValueError, match=">= 0"):
        cl.certify(prog, zero, zero, -np.ones((7, 2 * prog.P)))
    with pytest.raises(ValueError, match="shape \\(n, 2P\\)"):
        cl.certify(prog, zero, zero, np.ones((7, prog.P)))
    with pytest.raises(ValueError, match="U must have shape"):
        cl.certify(prog, zero[:, :2], zero)
    with pytest.raises(ValueError, match="exact"):
        cl.certify(prog, zero, zero, exact="yes")
    sol = cl.solve_convex(X, y, 0.1, P)
    with pytest.raises(TypeError, match="solution.certificate"):
        cl.certify(sol, sol.U)

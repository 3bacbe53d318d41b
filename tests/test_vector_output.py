"""The nuclear-norm program of vector outputs: solver against CVXPY, certificate, map back."""

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.chapters import vector_output as vo


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(3)
    X = cl.add_bias(rng.standard_normal((10, 2)))
    Y = rng.standard_normal((10, 3))
    return X, Y, 0.4, cl.enumerate_patterns(X)


@pytest.fixture(scope="module")
def solved(small):
    X, Y, beta, P = small
    return (vo.solve_vector(X, Y, beta, P, tol=1e-10, max_iter=50_000),
            vo.solve_vector(X, Y, beta, P, solver="cvxpy"))


def test_fista_matches_cvxpy_to_1e6(solved):
    fista, ref = solved
    assert fista.status == "optimal"
    assert abs(fista.objective - ref.objective) <= 1e-6 * ref.objective
    assert np.allclose(fista.predict(), ref.predict(), atol=1e-4)


def test_certificate_is_a_lower_bound(solved, small):
    fista, ref = solved
    X, Y, beta, P = small
    # the optimum lies in [lower, upper] from the certified FISTA solution; any point's
    # certificate bounds it from below and its objective from above
    lower, upper = fista.certificate.lower_bound, min(fista.objective, ref.objective)
    prog = vo.VectorProgram(X, Y, beta, P)
    rng = np.random.default_rng(0)
    for V in (np.zeros((prog.P, prog.d, prog.c)), 0.1 * rng.standard_normal(
            (prog.P, prog.d, prog.c)), fista.V):
        cert = vo.vector_certificate(prog, V)
        assert cert.lower_bound <= upper + 1e-12
        assert cert.objective >= lower - 1e-12
    # the dual is feasible: spectral norms of X^T D_i Lambda at most beta
    lam = fista.certificate.dual
    norms = np.linalg.norm(prog.adjoint(lam), ord=2, axis=(1, 2))
    assert norms.max() <= beta * (1 + 1e-12)
    assert fista.certificate.gap <= 1e-9 * fista.objective


def test_svt_is_the_prox_of_the_nuclear_norm():
    rng = np.random.default_rng(1)
    V = rng.standard_normal((2, 4, 3))
    out = vo.singular_value_threshold(V, 0.7)
    s_in = np.linalg.svd(V, compute_uv=False)
    s_out = np.linalg.svd(out, compute_uv=False)
    assert np.allclose(s_out, np.maximum(s_in - 0.7, 0), atol=1e-12)
    # optimality: out minimizes 0.5||Z - V||^2 + 0.7||Z||_*; random perturbations do worse
    f = lambda Z: 0.5 * np.sum((Z - V) ** 2) + 0.7 * np.linalg.svd(Z, compute_uv=False).sum()
    assert all(f(out) <= f(out + 1e-3 * rng.standard_normal(V.shape)) for _ in range(20))


def test_mapped_network_reproduces_the_program_when_exact():
    # a rank-one ReLU target on the patterns of its neuron and of the opposite one: the
    # SVD factors lie in their cones
    rng = np.random.default_rng(4)
    X = cl.add_bias(rng.standard_normal((12, 2)))
    w = np.array([1.0, -0.5, 0.2])
    Y = np.maximum(X @ w, 0)[:, None] * np.array([[1.0, 2.0]])
    P = np.vstack([X @ w >= 0, X @ -w >= 0])
    sol = vo.solve_vector(X, Y, 0.05, P, tol=1e-9, max_iter=50_000)
    assert sol.network_is_exact()
    net = sol.network()
    assert np.isclose(net.objective(X, Y, 0.05), sol.objective, rtol=1e-6)
    assert np.allclose(net.predict(X), sol.predict(), atol=1e-6)


def test_mapped_network_keeps_the_output_and_bounds_from_above(solved, small):
    fista, ref = solved
    X, Y, beta, _ = small
    net = fista.network()
    assert np.allclose(net.predict(X), fista.predict(), atol=1e-5)
    # a real ReLU network: its L is at least the relaxation's optimum
    assert net.objective(X, Y, beta) >= ref.objective - 1e-8
    if fista.network_is_exact():
        assert np.isclose(net.objective(X, Y, beta), fista.objective, rtol=1e-6)


def test_relaxations_are_ordered(small, solved):
    X, Y, beta, P = small
    _, nuc = solved
    cop = vo.copositive_relaxation(X, Y, beta, P)
    ova = cl.solve_convex(X, Y, beta, P, solver="cvxpy", progress=False)
    relu_upper = ova.network().objective(X, Y, beta)
    # nuclear <= copositive <= ReLU optimum <= a ReLU network (one-vs-all's)
    assert nuc.objective <= cop + 1e-6 * cop
    assert cop <= relu_upper + 1e-6 * relu_upper
    # the nuclear program is never above one-vs-all on the same patterns (gated both)
    ova_gated = cl.solve_convex(X, Y, beta, P, gated=True, solver="cvxpy", progress=False)
    assert nuc.objective <= ova_gated.objective + 1e-7


def test_one_vs_all_objective_is_never_below_nuclear():
    rng = np.random.default_rng(5)
    X = cl.add_bias(rng.standard_normal((20, 3)))
    Y = np.eye(3)[rng.integers(0, 3, 20)]
    P = cl.sample_patterns(X, 6, seed=0)
    rows = vo.compare_one_vs_all(X, Y, 1.0, P)
    nuc, ova = rows
    assert nuc.program_objective <= ova.program_objective + 1e-6
    assert nuc.lower_bound <= nuc.program_objective
    for r in rows:
        assert r.relu_objective >= r.program_objective - 1e-6 * r.program_objective


def test_bad_inputs_name_the_argument(small):
    X, Y, beta, P = small
    with pytest.raises(ValueError, match="solver"):
        vo.solve_vector(X, Y, beta, P, solver="ipm")
    with pytest.raises(ValueError, match="tol"):
        vo.solve_vector(X, Y, beta, P, tol=2.0)
    with pytest.raises(ValueError, match="beta"):
        vo.VectorProgram(X, Y, -1.0, P)
    prog = vo.VectorProgram(X, Y, beta, P)
    with pytest.raises(ValueError, match="V must have shape"):
        prog.objective(np.zeros((1, 2, 3)))


def test_max_iterations_says_so(small):
    X, Y, beta, P = small
    sol = vo.solve_vector(X, Y, beta, P, max_iter=3)
    assert sol.status == "max_iterations"
    assert sol.certificate.lower_bound <= sol.objective

import matplotlib

matplotlib.use("Agg")

import cvxpy as cp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab.book import plots
from convexnn_lab.chapters import geometric  # noqa: E402

T = np.array([-1.0, -0.4, 0.1, 0.5, 1.0])
Y = np.array([0.2, 1.0, -0.3, 0.8, 0.1])


def test_interpolant_fits_and_uses_data_breakpoints():
    sol = geometric.kappa_lasso(T, Y, 0.0)
    assert np.allclose(sol.predict(T), Y, atol=1e-7)
    assert set(sol.breakpoints) <= set(T)
    net = geometric.kappa_network(sol)
    assert np.allclose(net.predict(cl.add_bias(T[:, None])), sol.predict(T), atol=1e-7)


@pytest.mark.parametrize("beta", [0.01, 0.1])
def test_breakpoints_at_data_points_are_optimal(beta):
    # a much finer knot grid (containing the data) cannot beat knots at the data
    sol = geometric.kappa_lasso(T, Y, beta)
    knots = np.union1d(np.linspace(-1.5, 1.5, 61), T)
    R = np.maximum(T[:, None] - knots[None, :], 0)
    L = np.maximum(knots[None, :] - T[:, None], 0)
    zr, zl, b = cp.Variable(len(knots)), cp.Variable(len(knots)), cp.Variable()
    fine = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(R @ zr + L @ zl + b - Y)
                                  + beta * (cp.norm1(zr) + cp.norm1(zl))))
    fine.solve()
    assert sol.objective <= fine.value + 1e-6
    assert np.isclose(sol.objective, fine.value, rtol=1e-5)


def test_kappa_network_bounds_the_regularized_bias_optimum():
    X = cl.add_bias(T[:, None])
    opt = cl.solve_convex(X, Y, 0.05, cl.enumerate_patterns(X))
    upper = geometric.kappa_network(geometric.kappa_lasso(T, Y, 0.05)).objective(X, Y, 0.05)
    assert upper >= opt.objective - opt.gap


def test_cross_products_cover_thin_cells_better():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3)) * [5.0, 1.0, 0.05]
    y = rng.standard_normal(40)
    res = geometric.coverage(X, y, 1.0, [100, 400], seed=0)
    assert res["total"] == cl.general_position_count(40, 3)
    assert all(0 < f <= 1 for m in ("gaussian", "cross_product") for f in res[m]["fraction"])
    assert res["cross_product"]["fraction"][-1] > 2 * res["gaussian"]["fraction"][-1]
    assert all(r >= 1 - 1e-6 for m in ("gaussian", "cross_product") for r in res[m]["ratio"])
    fig, axes = plots.coverage(res)
    assert len(axes[0].lines) == 2


def test_kappa_lasso_input_errors():
    with pytest.raises(ValueError, match="y has 2 entries"):
        geometric.kappa_lasso(T, Y[:2])
    with pytest.raises(ValueError, match="beta"):
        geometric.kappa_lasso(T, Y, -1.0)


def test_kappa_dictionary_columns_are_unit_neurons_through_data_points():
    X = cl.add_bias(np.random.default_rng(6).standard_normal((7, 2)))
    K, H = geometric.kappa_dictionary(X)
    assert K.shape == (7, 2 * 21) and np.allclose(np.linalg.norm(H, axis=0), 1)
    assert np.allclose(K, np.maximum(X @ H, 0))
    # each direction is orthogonal to the d-1 = 2 rows it was built from
    assert np.all(np.sum(np.abs(X @ H) < 1e-9, axis=0) >= 2)
    with pytest.raises(ValueError, match="d >= 2"):
        geometric.kappa_dictionary(np.ones((3, 1)))


@pytest.mark.parametrize("beta", [0.01, 0.2])
def test_kappa_lasso_nd_is_a_network_and_an_upper_bound(beta):
    X1 = cl.add_bias(T[:, None])
    sol = geometric.kappa_lasso_nd(X1, Y, beta)
    assert np.isclose(sol.network.objective(X1, Y, beta), sol.objective, rtol=1e-6)
    opt = cl.solve_convex(X1, Y, beta, cl.enumerate_patterns(X1)).objective
    assert sol.objective >= opt * (1 - 1e-5)


def test_kinks_1d():
    net = cl.TwoLayerNetwork(np.array([[1.0, -2.0, 0.0], [0.5, 1.0, 1.0]]),
                             np.array([1.0, 1.0, 1.0]))
    assert np.allclose(geometric.kinks_1d(net), [-0.5, 0.5])
    with pytest.raises(ValueError, match="inputs"):
        geometric.kinks_1d(cl.TwoLayerNetwork(np.ones((3, 1)), np.ones(1)))


def test_sketched_cross_products_are_cells_of_x_through_sketched_points():
    rng = np.random.default_rng(7)
    X = cl.add_bias(rng.standard_normal((30, 12)))
    P, V = geometric.sketched_patterns(X, 40, 4, seed=3, return_directions=True)
    # every sample is an open cell of X: its direction reproduces it, no point on a wall
    assert np.array_equal((X @ V >= 0).T, P) and np.abs(X @ V).min() > 0
    assert len(P) == len(cl.unique_patterns(P)) and V.shape == (13, len(P))
    # the directions lie in the range of the sketch S^T (a 4-dim subspace of R^13)
    assert np.linalg.matrix_rank(V, tol=1e-8) == 4
    # the same seed, the same sketch and draws
    assert np.array_equal(geometric.sketched_patterns(X, 40, 4, seed=3), P)
    # sketch_dim = d: cross products in a rotated copy of the row space, still real cells
    Pd, Vd = geometric.sketched_patterns(X, 10, 13, seed=0, return_directions=True)
    assert np.array_equal((X @ Vd >= 0).T, Pd)
    for bad in (1, 14, 2.5, True):
        with pytest.raises(ValueError, match="sketch_dim"):
            geometric.sketched_patterns(X, 5, bad)


def test_sampler_objectives_are_restrictions_of_the_exact_program():
    rng = np.random.default_rng(8)
    X = cl.add_bias(rng.standard_normal((12, 2)))
    y = rng.standard_normal(12)
    out = geometric.sampler_objectives(X, y, 0.5, 8, sketch_dims=(2,), seeds=(0, 1))
    assert list(out) == ["gaussian", "cross_product", "sketched, r = 2"]
    exact = cl.solve_convex(X, y, 0.5, cl.enumerate_patterns(X)).objective
    for values in out.values():
        assert len(values) == 2
        # sampled patterns restrict the program: never below the exact optimum, never
        # above the zero network
        assert all(exact * (1 - 1e-6) <= v <= 0.5 * y @ y * (1 + 1e-9) for v in values)

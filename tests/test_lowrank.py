import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab.book import plots
from convexnn_lab.chapters import lowrank  # noqa: E402


@pytest.mark.parametrize("beta", [0.3, 1.0, 5.0])
@pytest.mark.parametrize("scale", [1.0, 7.0])
def test_the_bound_holds_on_unnormalized_targets(beta, scale):
    rng = np.random.default_rng(int(10 * beta + scale))
    X = cl.add_bias(rng.standard_normal((14, 2)) * [2.0, 0.3])
    y = scale * rng.standard_normal(14)
    p_star = cl.solve_convex(X, y, beta, cl.enumerate_patterns(X)).objective
    for k in (1, 2):
        r = lowrank.low_rank_scheme(X, y, beta, k)
        assert r.train_on_low_rank <= r.bound * p_star * (1 + 1e-6)
        assert r.patterns_of_low_rank >= p_star * (1 - 1e-6)  # a restriction
    full = lowrank.low_rank_scheme(X, y, beta, 3)
    assert full.bound == 1.0 and np.isclose(full.train_on_low_rank, p_star, rtol=1e-5)


def test_low_rank_is_the_truncated_svd():
    X = np.random.default_rng(1).standard_normal((9, 4))
    Xk, s = lowrank.low_rank(X, 2)
    assert np.linalg.matrix_rank(Xk) == 2
    assert np.isclose(np.linalg.norm(X - Xk, 2), s[2])
    with pytest.raises(ValueError, match="k=5"):
        lowrank.low_rank(X, 5)


def test_zonotope_vertices_are_the_patterns():
    X = np.random.default_rng(2).standard_normal((8, 3))
    V, P = lowrank.zonotope(X, k=2)
    Xk, _ = lowrank.low_rank(X, 2)
    assert {tuple(p) for p in P} == {tuple(p) for p in cl.enumerate_patterns(Xk)}
    assert len(V) == 2 * 8  # n generators in general position in the plane
    # every vertex maximizes u^T z over the zonotope for a u in its cell
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    Z = X @ Vt[:2].T
    angles = np.arctan2(V[:, 1], V[:, 0])
    assert np.all(np.diff(angles) > 0)  # counter-clockwise
    for v, p in zip(V, P):
        assert np.allclose(v, np.where(p, 1.0, -1.0) @ Z)
    fig, ax = plots.zonotope(V, P)
    assert len(ax.texts) == len(V)


def test_ratio_plot_keeps_a_linear_axis_and_labels_clipped_bounds():
    fig, ax = plots.ratio_vs_k([1, 2], {"a": [1.2, 1.0]}, [5.0e6, 1.1], baseline=1.3)
    assert ax.get_yscale() == "linear"
    assert ax.get_ylim()[1] < 2  # the 5e6 bound does not stretch the axis
    assert [t.get_text() for t in ax.texts] == ["bound 5e+06"]


def test_zero_network_beta_is_where_the_optimum_becomes_zero():
    rng = np.random.default_rng(4)
    X = cl.add_bias(rng.standard_normal((12, 2)))
    y = rng.standard_normal(12)
    P = cl.enumerate_patterns(X)
    b0 = lowrank.zero_network_beta(X, y)
    assert b0 == lowrank.zero_network_beta(X, y, P)
    above = cl.solve_convex(X, y, 1.01 * b0, P).objective
    below = cl.solve_convex(X, y, 0.9 * b0, P).objective
    assert np.isclose(above, 0.5 * y @ y, rtol=1e-5)
    assert below < 0.5 * y @ y * (1 - 1e-4)


def test_quoted_bound_is_below_the_proved_one_at_unit_norm():
    for s in (0.0, 0.1, 1.0, 7.0):
        for beta in (0.5, 2.0):
            q = lowrank.quoted_bound(s, beta)
            assert np.isclose(q, (1 + s / beta) ** 2)
            assert q <= lowrank.approximation_bound(s, 1.0, beta) * (1 + 1e-12)
    with pytest.raises(ValueError, match="sigma_next"):
        lowrank.quoted_bound(-1.0, 1.0)


def test_pattern_bound_holds_above_the_exact_count_and_below_covers():
    for n in (4, 10, 30, 200):
        for r in range(1, min(n - 1, 12) + 1):
            exact = cl.general_position_count(n, r)
            assert exact <= lowrank.pattern_bound(n, r) * (1 + 1e-12)
            assert np.isclose(lowrank.pattern_bound(n, r) * r, cl.cover_bound(n, r))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3))  # general position: the count is attained
    assert len(cl.enumerate_patterns(X)) == cl.general_position_count(12, 3)
    assert lowrank.pattern_bound(10**6, 300) == float("inf")
    with pytest.raises(ValueError, match="n - 1 >= r"):
        lowrank.pattern_bound(3, 3)

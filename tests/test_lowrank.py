import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab import lowrank, plots  # noqa: E402


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


def test_ratio_plot():
    fig, ax = plots.ratio_vs_k([1, 2], {"a": [1.2, 1.0]}, [5.0, 1.0])
    assert len(ax.lines) == 3

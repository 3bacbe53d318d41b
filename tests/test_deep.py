"""Deep linear networks' closed forms and the parallel three-layer ReLU program."""

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.chapters import deep


def test_balanced_factors_attain_the_weight_decay_value():
    W = np.random.default_rng(0).standard_normal((4, 3))
    for L in (2, 3, 5):
        F = deep.balanced_factors(W, L)
        P = F[0]
        for f in F[1:]:
            P = P @ f
        assert np.allclose(P, W)
        assert np.isclose(0.5 * sum(np.sum(f * f) for f in F), deep.weight_decay_value(W, L))


def test_random_factorizations_never_beat_the_closed_form():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 3))
    for L in (3, 4):
        for _ in range(50):
            F = [rng.standard_normal((3, 3)) for _ in range(L - 1)]
            P = F[0]
            for f in F[1:]:
                P = P @ f
            F.append(np.linalg.solve(P, W))  # the last factor makes the product W
            assert 0.5 * sum(np.sum(f * f) for f in F) >= deep.weight_decay_value(W, L) - 1e-9
            # and the homogeneous regularization is at least the Schatten-2/L quasi-norm
            assert sum(np.linalg.norm(f) ** L for f in F) / L >= \
                deep.standard_power_value(W, L) - 1e-9


def test_gap_is_zero_for_two_layers_or_rank_one_only():
    W = np.diag([2.0, 1.0])
    assert abs(deep.deep_linear_gap(W, 2)["gap"]) < 1e-12
    assert deep.deep_linear_gap(W, 3)["gap"] > 0.1
    assert abs(deep.deep_linear_gap(np.outer([1, 2.0], [3, 1.0]), 4)["gap"]) < 1e-12
    # equal singular values of rank 2 still leave a gap for L = 3
    assert deep.deep_linear_gap(np.eye(2), 3)["gap"] > 0.1
    # the order: nuclear <= Schatten-2/L quasi-norm
    assert deep.parallel_power_value(W, 3) <= deep.standard_power_value(W, 3)


def test_regularized_optimum_against_training_and_a_grid():
    Y = np.array([[2.0, 0.0], [0.0, 0.6]])
    for L in (2, 3, 4):
        W, v = deep.regularized_deep_linear(Y, 0.5, L)
        # brute force over the diagonal (Y diagonal: the optimum shares its singular vectors)
        s = np.linspace(0, 2.5, 25001)
        h = lambda y: np.min(0.5 * (s - y) ** 2 + 0.5 * L / 2 * s ** (2 / L))  # noqa: E731
        assert np.isclose(v, h(2.0) + h(0.6), atol=1e-6)
        assert deep.train_deep_linear(Y, 0.5, L, seed=0, steps=500) >= v - 1e-8
    # L = 3: the small singular value jumps to zero (hard threshold), not soft
    W3, _ = deep.regularized_deep_linear(Y, 0.5, 3)
    assert W3[1, 1] == 0.0
    Wp, vp = deep.regularized_deep_linear(Y, 0.5, 3, architecture="parallel")
    assert np.allclose(np.diag(Wp), [1.5, 0.1])
    assert deep.train_deep_linear(Y, 0.5, 3, architecture="parallel", seed=1,
                                  steps=500) >= vp - 1e-8


@pytest.fixture(scope="module")
def tiny():
    t = np.array([-1.0, -0.3, 0.4, 1.0])
    X = cl.add_bias(t[:, None])
    y = np.array([1.0, -0.5, 0.8, 0.2])
    P1 = cl.enumerate_patterns(X)
    return X, y, 0.1, P1, deep.three_layer_program(X, y, 0.1, P1)


def test_three_layer_network_reproduces_the_program(tiny):
    X, y, beta, _, sol = tiny
    assert np.isclose(deep.three_layer_objective(sol.branches, X, y, beta), sol.value,
                      rtol=1e-5)


def test_three_layer_certificate_bounds_every_network(tiny):
    X, y, beta, P1, sol = tiny
    lower, ratio = deep.three_layer_certificate(X, y, beta, sol.output, P1)
    assert lower <= sol.value + 1e-9
    assert sol.value - lower <= 1e-5 * sol.value
    br = deep.train_three_layer(X, y, beta, steps=300, seed=0)
    assert deep.three_layer_objective(br, X, y, beta) >= lower - 1e-9
    # a random network's own residual gives a (looser) valid bound too
    out = sum(np.maximum(np.maximum(X @ a, 0) @ b, 0) * c for a, b, c in br)
    lower2, _ = deep.three_layer_certificate(X, y, beta, out, P1)
    assert lower2 <= sol.value + 1e-7


def test_bad_inputs():
    with pytest.raises(ValueError, match="L must be"):
        deep.weight_decay_value(np.eye(2), 1)
    with pytest.raises(ValueError, match="architecture"):
        deep.regularized_deep_linear(np.eye(2), 0.1, 3, architecture="wide")
    with pytest.raises(ValueError, match="n = 20"):
        deep.three_layer_program(np.ones((20, 2)), np.ones(20), 0.1, np.ones((1, 20), bool))

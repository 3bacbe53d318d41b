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


def test_parallel_weight_decay_costs_what_the_chain_costs():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((3, 3))
    for L in (3, 4):
        chain = deep.factored_penalty(W, L)
        assert np.isclose(deep.factored_penalty(W, L, architecture="parallel"), chain)
        # rank-one branches c_j u_j v_j^T (balanced: cost (L/2) c_j^(2/L)), more of them
        # than the rank, never beat the chain (Thompson's inequality for t^(2/L))
        s = np.linalg.svd(W, compute_uv=False)
        for _ in range(200):
            A = rng.standard_normal((3, 5))
            Bt = np.linalg.lstsq(A, W, rcond=None)[0]  # A @ Bt = W (A has full row rank)
            cost = sum(L / 2 * (np.linalg.norm(A[:, j]) * np.linalg.norm(Bt[j])) ** (2 / L)
                       for j in range(5))
            assert np.allclose(A @ Bt, W)
            assert cost >= chain - 1e-9
        # the homogeneous regularizer: quasi-norm on the chain, nuclear norm in parallel
        assert np.isclose(deep.factored_penalty(W, L, regularizer="homogeneous"),
                          deep.schatten(W, 2 / L))
        assert np.isclose(deep.factored_penalty(W, L, architecture="parallel",
                                                regularizer="homogeneous"), s.sum())
    Y = np.array([[2.0, 0.0], [0.0, 0.6]])
    for L in (3, 4):
        _, chain_v = deep.regularized_deep_linear(Y, 0.5, L, regularizer="weight_decay")
        _, par_v = deep.regularized_deep_linear(Y, 0.5, L, architecture="parallel",
                                                regularizer="weight_decay")
        assert np.isclose(chain_v, par_v)
        assert deep.train_deep_linear(Y, 0.5, L, architecture="parallel",
                                      regularizer="weight_decay", init_scale=1.0,
                                      steps=300) >= par_v - 1e-8
    with pytest.raises(ValueError, match="no closed-form"):
        deep.regularized_deep_linear(Y, 0.5, 3, regularizer="homogeneous")
    with pytest.raises(ValueError, match="regularizer"):
        deep.factored_penalty(Y, 3, regularizer="l1")


def test_weight_decay_local_minima_trap_small_starts():
    Y, beta, L = np.diag([2.0, 1.8, 0.2]), 0.5, 4
    minima = deep.weight_decay_local_minima(Y, beta, L)
    # keep 2 (the optimum), keep 1, keep 0 (the zero network, 0.5 ||Y||^2); 0.2 cannot be kept
    assert [k for k, _ in minima] == [2, 1, 0]
    assert np.isclose(minima[0][1], deep.regularized_deep_linear(Y, beta, L)[1])
    assert np.isclose(minima[-1][1], 0.5 * np.sum(Y ** 2))

    def objective(F):
        P = F[0]
        for f in F[1:]:
            P = P @ f
        return 0.5 * np.sum((P - Y) ** 2) + beta / 2 * sum(np.sum(f * f) for f in F)

    # keep 1 is a local minimum of the factored objective: no small perturbation lowers it
    rng = np.random.default_rng(0)
    s1 = minima[1][1]
    s = deep.regularized_deep_linear(np.array([[2.0]]), beta, L)[0][0, 0]  # 2.0, kept
    F = deep.balanced_factors(np.diag([s, 0.0, 0.0]), L)
    assert np.isclose(objective(F), s1, atol=1e-6)
    for eps in (1e-3, 1e-2):
        for _ in range(300):
            assert objective([f + eps * rng.standard_normal(f.shape) for f in F]) > \
                objective(F) - 1e-12
    # keeping the second singular value instead is a saddle: turning it toward the first
    # lowers the objective at the same cost
    s2 = deep.regularized_deep_linear(np.array([[1.8]]), beta, L)[0][0, 0]
    th = 0.1
    u = np.array([np.sin(th), np.cos(th), 0.0])
    kept_second = objective(deep.balanced_factors(s2 * np.outer([0, 1.0, 0], [0, 1.0, 0]), L))
    turned = objective(deep.balanced_factors(s2 * np.outer(u, u), L))
    assert turned < kept_second
    # a small start stops at the zero network; the parallel homogeneous network does not
    assert np.isclose(deep.train_deep_linear(Y, beta, L, init_scale=0.1, steps=300),
                      minima[-1][1], rtol=1e-6)
    _, nuc = deep.regularized_deep_linear(Y, beta, L, architecture="parallel")
    assert np.isclose(deep.train_deep_linear(Y, beta, L, architecture="parallel",
                                             regularizer="homogeneous", init_scale=0.1,
                                             steps=300), nuc, rtol=1e-6)


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

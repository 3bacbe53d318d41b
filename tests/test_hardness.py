"""Chapter 8's hardness computations: pattern growth, Max-Cut inside the dual constraint,
and the classes of easy data."""

import itertools

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.chapters import hardness


def _graph(n, seed, p=0.6):
    rng = np.random.default_rng(seed)
    A = np.triu((rng.random((n, n)) < p) * rng.random((n, n)), 1)
    return A + A.T


def test_pattern_growth_counts_match_the_formula_and_grow_like_n_to_the_r_minus_1():
    growth = hardness.pattern_growth([8, 16, 32], [1, 2, 3], seed=1)
    formula = [[cl.general_position_count(n, r) for n in (8, 16, 32)] for r in (1, 2, 3)]
    assert np.array_equal(growth.counts, formula)
    slopes = growth.slopes("counts")
    # the exponent is r - 1 (the general-position count), not Cover's r
    assert np.allclose(slopes, [0, 1, 2], atol=0.1)
    assert growth.seconds.shape == (3, 3) and (growth.seconds >= 0).all()


def test_pattern_growth_refuses_bad_sizes():
    with pytest.raises(ValueError, match="increasing"):
        hardness.pattern_growth([16, 8], [2])
    with pytest.raises(ValueError, match="ns"):
        hardness.pattern_growth([0, 8], [2])


def test_growth_slope_recovers_a_power():
    ns = np.array([4, 8, 16, 32])
    assert np.isclose(hardness.growth_slope(ns, 3.0 * ns ** 2.5), 2.5)
    with pytest.raises(ValueError, match="> 0"):
        hardness.growth_slope([1, 2], [0, 1])
    with pytest.raises(ValueError, match="same length"):
        hardness.growth_slope([1, 2, 3], [1, 2])


def test_max_cut_on_known_graphs():
    K4 = np.ones((4, 4)) - np.eye(4)
    assert hardness.max_cut(K4)[0] == 4.0
    path = np.diag(np.ones(4), 1) + np.diag(np.ones(4), -1)  # 5 vertices in a path
    value, s = hardness.max_cut(path)
    assert value == 4.0  # bipartite: every edge cut
    assert hardness.cut_value(path, s) == value


def test_max_cut_is_the_best_cut():
    W = _graph(7, 3)
    value, s = hardness.max_cut(W)
    every = [hardness.cut_value(W, np.array(t)) for t in itertools.product((1, -1), repeat=7)]
    assert np.isclose(value, max(every)) and np.isclose(hardness.cut_value(W, s), value)


def test_graph_input_errors_name_the_problem():
    with pytest.raises(ValueError, match="symmetric"):
        hardness.max_cut(np.triu(np.ones((3, 3)), 1))
    with pytest.raises(ValueError, match=">= 0"):
        hardness.max_cut(-(np.ones((3, 3)) - np.eye(3)))
    with pytest.raises(ValueError, match="diagonal"):
        hardness.max_cut(np.ones((3, 3)))
    with pytest.raises(ValueError, match="above 22"):
        hardness.max_cut(np.ones((23, 23)) - np.eye(23))
    with pytest.raises(ValueError, match="no edge"):
        hardness.incidence_data(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"\+1/-1"):
        hardness.cut_value(np.ones((2, 2)) - np.eye(2), [1, 0])


def test_incidence_data_turns_cuts_into_norms():
    W = _graph(6, 4)
    X = hardness.incidence_data(W)
    assert np.allclose(X.sum(axis=0), 0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        s = rng.choice([-1.0, 1.0], 6)
        assert np.isclose(np.linalg.norm(X.T @ s) ** 2, 4 * hardness.cut_value(W, s))


@pytest.mark.parametrize("seed", [5, 6])
def test_price_of_ones_on_incidence_data_is_sqrt_max_cut(seed):
    W = _graph(7, seed)
    X = hardness.incidence_data(W)
    exact, pattern = hardness.relu_price(X, np.ones(7))
    zono, _ = hardness.zonotope_price(X, np.ones(7))
    assert np.isclose(exact, np.sqrt(hardness.max_cut(W)[0]))
    assert np.isclose(zono, exact)
    # the maximizing pattern is a cut side: its price is reached inside its cone
    assert pattern.shape == (7,) and pattern.any() and not pattern.all()


def test_zonotope_price_equals_relu_price_for_nonnegative_lambda_only():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((7, 3))
    lam = rng.random(7)
    assert np.isclose(hardness.zonotope_price(X, lam)[0], hardness.relu_price(X, lam)[0])
    with pytest.raises(ValueError, match="above 22"):
        hardness.zonotope_price(np.ones((23, 2)), np.ones(23))


def test_relu_price_refuses_data_it_cannot_enumerate():
    X = np.random.default_rng(0).standard_normal((30, 8))
    with pytest.raises(ValueError):
        hardness.relu_price(X, np.ones(30), max_patterns=100)


def test_orthogonally_separable_data_and_the_classes():
    X, y = hardness.orthogonally_separable_data(16, seed=2)
    assert hardness.is_orthogonally_separable(X, y)
    assert hardness.is_negatively_correlated(X, y)
    # negatively correlated but not orthogonally separable: two orthogonal points of a class
    Xn = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    yn = np.array([1.0, 1.0, -1.0])
    assert hardness.is_negatively_correlated(Xn, yn)
    assert not hardness.is_orthogonally_separable(Xn, yn)
    flipped = y.copy()
    flipped[0] = -flipped[0]  # point 0 joins the other class, near its old one
    assert not hardness.is_negatively_correlated(X, flipped)
    with pytest.raises(ValueError, match="labels -1 and \\+1"):
        hardness.is_orthogonally_separable(X, np.zeros(16))


def test_two_class_price_on_orthogonally_separable_data():
    X, y = hardness.orthogonally_separable_data(12, seed=3)
    rng = np.random.default_rng(9)
    D = hardness.class_patterns(y)
    assert D.shape == (2, 12) and (D.sum(axis=0) == 1).all()
    for _ in range(3):
        lam = y * rng.random(12)  # signs follow the labels
        formula = max(np.linalg.norm(X.T @ (D[0] * lam)), np.linalg.norm(X.T @ (D[1] * lam)))
        assert np.isclose(hardness.relu_price(X, lam)[0], formula)

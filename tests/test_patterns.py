import math

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.core.patterns import patterns_of_directions


def brute_force(X):
    """Every 0/1 vector s with an open cell: (2s - 1) * X u >= 1 is feasible (an LP)."""
    from scipy.optimize import linprog

    n, d = X.shape
    found = set()
    for bits in np.ndindex(*(2,) * n):
        s = np.where(np.array(bits) == 1, 1.0, -1.0)
        zero = ~X.any(axis=1)
        if (s[zero] < 0).any():
            continue  # a zero row is always active
        A = -(s[~zero, None] * X[~zero])
        res = linprog(np.zeros(d), A_ub=A, b_ub=-np.ones(len(A)), bounds=[(None, None)] * d)
        if res.status == 0:
            found.add(tuple(np.array(bits, dtype=bool)))
    return found


def sampled(X, draws=100_000, seed=0):
    G = np.random.default_rng(seed).standard_normal((X.shape[1], draws))
    return {tuple(r) for r in patterns_of_directions(X, G)}


def rows(P):
    return {tuple(r) for r in P}


def test_seed_example_has_exactly_four_patterns():
    X, _ = cl.toy("parallel_rows")
    P = cl.enumerate_patterns(X)
    assert [cl.plots.pattern_string(p) for p in P] == ["000", "001", "110", "111"]


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_one_dimensional_data_with_bias_has_2n_patterns(n):
    t = np.sort(np.random.default_rng(n).uniform(-2, 2, n))
    assert len(cl.enumerate_patterns(cl.add_bias(t[:, None]))) == 2 * n


@pytest.mark.parametrize("n,d", [(6, 2), (8, 3), (9, 4), (8, 5)])
def test_general_position_count_and_brute_force(n, d):
    X = np.random.default_rng(n * d).standard_normal((n, d))
    P = cl.enumerate_patterns(X)
    assert len(P) == cl.general_position_count(n, d)
    assert rows(P) == brute_force(X)


def test_larger_arrangement_contains_every_sampled_pattern():
    X = np.random.default_rng(3).standard_normal((40, 3))
    P = cl.enumerate_patterns(X)
    assert len(P) == cl.general_position_count(40, 3)
    assert sampled(X) <= rows(P)


def test_degenerate_arrangements_match_brute_force():
    grid = np.array([[a, b, 1.0] for a in range(3) for b in range(3)])  # 3 points per line
    dup = np.repeat(np.random.default_rng(1).standard_normal((4, 3)), 2, axis=0)
    low_rank = np.random.default_rng(2).standard_normal((10, 2)) @ np.ones((2, 5))
    low_rank[:, 2:] += np.random.default_rng(3).standard_normal((10, 1))
    for X in (grid, dup, low_rank):
        P = cl.enumerate_patterns(X)
        assert rows(P) == brute_force(X)
        assert len(P) <= cl.general_position_count(len(X), np.linalg.matrix_rank(X))


def test_rows_are_unique_and_sorted():
    P = cl.enumerate_patterns(np.random.default_rng(3).standard_normal((12, 3)))
    assert len(rows(P)) == len(P)
    keys = [tuple(r) for r in P.astype(int)]
    assert keys == sorted(keys)


def test_directions_lie_inside_their_cells():
    X = np.random.default_rng(4).standard_normal((15, 3))
    P, U = cl.enumerate_patterns(X, return_directions=True)
    Z = X @ U
    assert np.array_equal((Z >= 0).T, P)
    assert np.abs(Z).min() > 0  # strictly inside an open cell


def test_all_ones_only_when_it_is_a_cell():
    # points on both sides of the origin: no direction activates all of them
    X = np.array([[1.0], [-1.0]])
    assert not cl.enumerate_patterns(X).all(axis=1).any()
    # zero rows are always active (0 >= 0)
    X0 = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    assert cl.enumerate_patterns(X0)[:, 1].all()


def test_too_many_patterns_raises_with_estimate():
    X = np.random.default_rng(5).standard_normal((60, 20))
    with pytest.raises(ValueError, match="sample_patterns"):
        cl.enumerate_patterns(X)


def test_counts_and_bounds():
    assert cl.general_position_count(10, 1) == 2
    assert cl.general_position_count(5, 5) == 2**5
    assert cl.general_position_count(7, 3) == 2 * (1 + 6 + 15)
    for n, r in [(10, 2), (50, 3), (100, 5)]:
        assert cl.cover_bound(n, r) >= cl.general_position_count(n, r)


def test_generalized_cross_product():
    rng = np.random.default_rng(6)
    U = rng.standard_normal((2, 3))
    assert np.allclose(cl.generalized_cross_product(U), np.cross(U[0], U[1]))
    assert np.allclose(cl.generalized_cross_product(np.array([[2.0, 5.0]])), [5.0, -2.0])
    U5 = rng.standard_normal((4, 5))
    h = cl.generalized_cross_product(U5)
    x = rng.standard_normal(5)
    assert np.isclose(x @ h, np.linalg.det(np.vstack([x, U5])))
    assert np.allclose(U5 @ h, 0)
    with pytest.raises(ValueError, match="d-1"):
        cl.generalized_cross_product(np.ones((3, 3)))


@pytest.mark.parametrize("method", ["gaussian", "cross_product"])
def test_sampled_patterns_are_real_cells(method):
    X = cl.add_bias(np.random.default_rng(7).standard_normal((30, 2)))
    P, U = cl.sample_patterns(X, 40, method=method, seed=1, return_directions=True)
    assert 0 < len(P) <= 40
    assert len(rows(P)) == len(P)
    assert rows(P) <= rows(cl.enumerate_patterns(X))
    assert np.array_equal((X @ U >= 0).T, P)
    again = cl.sample_patterns(X, 40, method=method, seed=1)
    assert np.array_equal(P, again)


def test_sampling_many_directions_finds_everything_in_low_dimension():
    X = np.random.default_rng(8).standard_normal((6, 2))
    assert rows(cl.sample_patterns(X, 5000)) == rows(cl.enumerate_patterns(X))
    assert math.isclose(len(cl.enumerate_patterns(X)), 12)


def setup_X():
    rng = np.random.default_rng(0)
    return cl.add_bias(rng.standard_normal((8, 2)))


def test_enumerate_patterns_rejects_a_tol_that_breaks_the_enumeration():
    X = setup_X()
    assert len(cl.enumerate_patterns(X, tol=1e-8)) == len(cl.enumerate_patterns(X)) == 58
    # nan and 1.0 used to return 1 pattern, 0.5 and -1 crashed deep inside, 0 divided by 0
    for tol in (float("nan"), 1.0, 0.5, -1, 0.0, 1e-3):
        with pytest.raises(ValueError, match=r"tol must lie in \[1e-13, 1e-06\].*keep the default"):
            cl.enumerate_patterns(X, tol=tol)
    with pytest.raises(TypeError, match="tol must be a real number"):
        cl.enumerate_patterns(X, tol="small")


def test_all_zero_X_has_the_single_all_ones_pattern_for_every_method():
    X0 = np.zeros((5, 3))
    want = np.ones((1, 5), dtype=bool)
    assert np.array_equal(cl.enumerate_patterns(X0), want)
    for method in ("gaussian", "cross_product"):
        P, U = cl.sample_patterns(X0, 10, method=method, return_directions=True)
        assert np.array_equal(P, want)
        assert U.shape == (3, 1) and np.array_equal((X0 @ U >= 0).T, P)


def test_sampling_more_patterns_than_memory_holds_says_how_much():
    with pytest.raises(MemoryError, match=r"n_patterns=1,000,000,000,000 .* GiB .*at most 58"):
        cl.sample_patterns(setup_X(), 10**12)


def test_refusal_names_counts_beyond_a_float():
    # 384-d embeddings and a bias: rank 385 and 2400 rows, C(2400, 384) > 10^308
    X = np.random.default_rng(0).standard_normal((2400, 385))
    with pytest.raises(ValueError, match=r"about 10\^\d+ patterns"):
        cl.enumerate_patterns(X, max_patterns=100)

"""The DNN relaxation's lower bound (cl.dnn_bound): valid, below every network, and rigorous."""

import warnings

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.core.copositive import _operator, dnn_price_bound


def _data(seed, n=14, loss="squared"):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    t = np.maximum(X @ rng.standard_normal((3, 3)), 0) @ rng.standard_normal(3)
    y = np.where(t > np.median(t), 1.0, -1.0) if loss == "logistic" else t
    return X, y + (0 if loss == "logistic" else 0.1 * rng.standard_normal(n))


def test_operator_is_the_lifted_products():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 3))
    N1, N2, N3 = (rng.standard_normal((7, 7)) for _ in range(3))
    N1, N3 = N1 + N1.T, N3 + N3.T
    Wuu, Wuv, Wvv = _operator(X, N1, N2, N3)
    W = np.block([[Wuu, Wuv], [Wuv.T, Wvv]])
    u = rng.standard_normal(3)
    v = np.maximum(X @ u, 0)
    s = v - X @ u
    z = np.concatenate([u, v])
    assert z @ W @ z == pytest.approx(v @ N1 @ v + s @ N3 @ s + v @ N2 @ s, rel=1e-12)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
@pytest.mark.parametrize("seed", [0, 1])
def test_bound_is_below_the_enumerated_optimum(activation, seed):
    X, y = _data(seed)
    opt = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X), tol=1e-9,
                          activation=activation, alpha=0.2)
    bound = cl.dnn_bound(X, y, 0.1, activation=activation, alpha=0.2, eps=1e-6)
    assert bound.status == "optimal"
    assert bound.lower_bound <= opt.objective * (1 + 1e-9)
    # a relaxation, not a formality: it recovers most of the optimum on these data
    assert bound.lower_bound >= 0.5 * opt.objective
    # the dual vector's price is at most what the bound says (exact price by branch and
    # bound; the ellipsoid step makes the proven bound beta itself)
    price = cl.price_exact(X, bound.dual, activation=activation, alpha=0.2)
    assert price.status == "optimal"
    assert price.price <= bound.price_bound * 0.1 * (1 + 1e-9)
    assert bound.price_bound == pytest.approx(1.0, abs=1e-5)


def test_all_products_are_at_least_as_tight():
    X, y = _data(6, n=16)
    opt = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X), tol=1e-9)
    cross = cl.dnn_bound(X, y, 0.1)
    full = cl.dnn_bound(X, y, 0.1, products="all")
    scs = cl.dnn_bound(X, y, 0.1, solver="scs")
    assert scs.lower_bound == pytest.approx(cross.lower_bound, rel=1e-2)
    assert full.relaxation_value >= cross.relaxation_value * (1 - 1e-4)
    assert full.lower_bound <= opt.objective * (1 + 1e-9)


def test_logistic_bound_is_below_the_optimum():
    X, y = _data(2, loss="logistic")
    opt = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X), tol=1e-9, loss="logistic")
    bound = cl.dnn_bound(X, y, 0.1, loss="logistic", eps=1e-6)
    assert 0.5 * opt.objective <= bound.lower_bound <= opt.objective * (1 + 1e-9)


def test_price_bound_from_bad_multipliers_is_still_valid():
    X, y = _data(3)
    rng = np.random.default_rng(3)
    lam = rng.standard_normal(len(y))
    U = rng.standard_normal((3, 20000))
    sampled = np.abs(lam @ np.maximum(X @ (U / np.linalg.norm(U, axis=0)), 0)).max()
    for N in (np.zeros((len(y), len(y))), rng.standard_normal((len(y), len(y)))):
        M = dnn_price_bound(X, lam, 0.1, N, N, N)
        assert M >= sampled


def test_bound_is_below_trained_networks_when_solved_inexactly():
    X, y = _data(4, n=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = cl.train_nonconvex(X, y, 50, 0.1, steps=1000, seed=0)
    rough = cl.dnn_bound(X, y, 0.1, solver="scs", eps=1e-2)
    fine = cl.dnn_bound(X, y, 0.1)  # Clarabel at this size
    assert rough.lower_bound <= fine.lower_bound * (1 + 1e-6) <= net.objective(X, y, 0.1)
    assert fine.status == "optimal"


def test_bad_input_names_the_argument():
    X, y = _data(0)
    with pytest.raises(ValueError, match="time_limit"):
        cl.dnn_bound(X, y, 0.1, time_limit=0)
    with pytest.raises(ValueError, match="rows"):
        cl.dnn_bound(np.ones((800, 2)), np.ones(800), 0.1)
    with pytest.raises(ValueError, match="solver"):
        cl.dnn_bound(X, y, 0.1, solver="mosek")
    with pytest.raises(ValueError, match="products"):
        cl.dnn_bound(X, y, 0.1, products="some")
    with pytest.raises(ValueError, match="y must be"):
        cl.dnn_bound(X, y, 0.1, loss="logistic")


def test_global_bound_keeps_the_larger_bound():
    X, y = _data(5, n=20)
    opt = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X), tol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = cl.train_nonconvex(X, y, 20, 0.1, steps=300, seed=0)
    plain = cl.global_bound(X, y, 0.1, net, improve=0)
    both = cl.global_bound(X, y, 0.1, net, improve=0, relaxation=True)
    assert plain.relaxation_bound is None
    assert both.lower_bound == max(plain.lower_bound, both.relaxation_bound)
    assert both.lower_bound <= opt.objective * (1 + 1e-9)
    assert "DNN relaxation" in both.message


def test_ill_conditioned_certificate_stays_below_the_optimum():
    # found by a counterexample hunt: B near singular at the SDP optimum made the proven
    # price bound 3e-6 too small, and the lower bound rose above the optimum
    X = np.array([[0.2716683988554176, 0.17285607536975375, 1.0],
                  [0.5610297327935706, -2.135831051443722, 1.0]])
    y = np.array([2.1755979241438617, -1.387413231554587])
    beta = 0.08435391710672739
    kw = dict(activation="leaky_relu", alpha=0.1)
    bound = cl.dnn_bound(X, y, beta, products="all", solver="clarabel", **kw)
    opt = cl.solve_convex(X, y, beta, cl.enumerate_patterns(X), tol=1e-9, **kw)
    assert bound.lower_bound <= opt.objective
    price = cl.price_exact(X, bound.dual, rtol=1e-12, **kw)
    assert price.price <= bound.price_bound * beta


def test_large_scale_data_give_no_vanishing_price_bound():
    # X of order 1e4: C^T B^-1 C cancelled to a negative number, M became 0
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 2)) * 1e4, rng.standard_normal(6)
    bound = cl.dnn_bound(X, y, 0.1, activation="absolute", solver="scs", eps=1e-2)
    assert bound.price_bound > 0
    opt = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X), activation="absolute")
    assert bound.lower_bound <= opt.objective * (1 + 1e-6)


def test_price_bound_checks_its_arguments():
    X, y = _data(0)
    n = len(y)
    N = np.zeros((n, n))
    with pytest.raises(ValueError, match="kappa"):
        dnn_price_bound(X, y, 0.1, N, N, N, kappa=-1.0)
    with pytest.raises(ValueError, match="t must"):
        dnn_price_bound(X, y, 0.1, N, N, N, t=np.inf)
    with pytest.raises(ValueError, match="N2 must"):
        dnn_price_bound(X, y, 0.1, N, np.zeros((2, 2)), N)
    with pytest.raises(ValueError, match="beta"):
        dnn_price_bound(X, y, 0.0, N, N, N)
    with pytest.raises(ValueError, match="eps"):
        cl.dnn_bound(X, y, 0.1, eps=-1.0)

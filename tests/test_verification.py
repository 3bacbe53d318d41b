"""Exact pricing by branch and bound (cl.price_exact) and the global lower bound (cl.global_bound)."""

import warnings

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.chapters.hardness import listed_price
from convexnn_lab.core.certificates import dual_bound, price_precision


def _enumerated_price(X, lam, activation, alpha=0.2):
    return listed_price(X, lam, activation=activation, alpha=alpha)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_price_equals_enumeration(activation, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((18, 3 + seed % 2))
    lam = rng.standard_normal(18)
    found = cl.price_exact(X, lam, activation=activation, alpha=0.2, rtol=1e-9)
    exact = _enumerated_price(X, lam, activation)
    assert found.status == "optimal" and found.exact
    assert found.price == pytest.approx(exact, rel=1e-8)
    assert exact <= found.upper_bound <= exact * (1 + 1e-8)
    # the direction returned attains the price
    u = found.direction
    value = lam @ cl.activations.activate(X @ u, activation, 0.2)
    assert np.linalg.norm(u) == pytest.approx(1.0)
    assert abs(value) == pytest.approx(found.price, rel=1e-9)


def test_bound_holds_when_a_budget_stops_it():
    rng = np.random.default_rng(3)
    X = cl.add_bias(rng.standard_normal((200, 4)))
    lam = rng.standard_normal(200)
    found = cl.price_exact(X, lam, node_limit=600)
    assert found.status == "node_limit" and not found.exact
    U = rng.standard_normal((5, 20000))
    U /= np.linalg.norm(U, axis=0)
    sampled = np.abs(lam @ np.maximum(X @ U, 0)).max()
    assert found.price <= found.upper_bound
    assert sampled <= found.upper_bound
    assert cl.price_exact(X, lam, time_limit=1e-9).status == "time_limit"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_open_nodes_come_out_largest_bound_first_ties_first_pushed(seed):
    """The tree's frontier (chunks of arrays) pops as a heap of single nodes keyed by
    (-bound, push order) would, each node with its own fields; integer bounds make ties
    common, as parents' bounds do."""
    import heapq

    from convexnn_lab.core.verification import _Frontier

    rng = np.random.default_rng(seed)
    frontier, heap, pushed, bound_of = _Frontier(), [], 0, {}
    for _ in range(200):
        if rng.random() < 0.6 or not heap:
            bound = rng.integers(0, 6, size=rng.integers(0, 9)).astype(float)
            ids = np.arange(pushed, pushed + len(bound))
            frontier.push(bound, ids, 10.0 * ids)
            for b, i in zip(bound, ids):
                heapq.heappush(heap, (-b, int(i)))
                bound_of[int(i)] = b
            pushed += len(bound)
        else:
            m = int(rng.integers(1, 12))
            bounds, ids, tens = frontier.pop(m)
            want = [heapq.heappop(heap) for _ in range(min(m, len(heap)))]
            assert ids.tolist() == [i for _, i in want]
            assert [bound_of.pop(int(i)) for i in ids] == bounds.tolist()
            assert np.array_equal(tens, 10.0 * ids)
        assert len(frontier) == len(heap)
        assert frontier.top() == (-heap[0][0] if heap else 0.0)


def test_threshold_and_stop_above():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((20, 3))
    lam = rng.standard_normal(20)
    price = _enumerated_price(X, lam, "relu")
    above = cl.price_exact(X, lam, threshold=2 * price)
    assert above.status == "optimal" and price <= above.upper_bound <= 2 * price * (1 + 1e-9)
    below = cl.price_exact(X, lam, stop_above=0.5 * price)
    assert below.status == "not_optimal" and below.price > 0.5 * price


def test_bad_input_names_the_argument():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="lam must have shape"):
        cl.price_exact(X, np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        cl.price_exact(X, np.array([1.0, np.nan, 0.0, 0.0]))
    with pytest.raises(ValueError, match="time_limit"):
        cl.price_exact(X, np.ones(4), time_limit=0)
    with pytest.raises(ValueError, match="node_limit"):
        cl.price_exact(X, np.ones(4), node_limit=0)


def _sine(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    return X, np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(n)


def test_global_bound_is_below_every_network_and_tight_at_the_optimum():
    X, y = _sine()
    beta = 0.1
    optimum = cl.solve_convex(X, y, beta, cl.enumerate_patterns(X), tol=1e-9)
    assert optimum.status == "optimal"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nets = [cl.train_nonconvex(X, y, width, beta, steps=1000, seed=seed)
                for width, seed in [(5, 0), (50, 1), (200, 2)]]
    for net in nets:
        for improve in (0, 1, 3):
            bound = cl.global_bound(X, y, beta, net, improve=improve)
            assert bound.lower_bound <= optimum.objective * (1 + 1e-9)
            assert bound.lower_bound <= bound.objective
            assert bound.rounds <= improve and (bound.rounds == 0) == (improve == 0)
            assert bound.best_objective >= optimum.objective * (1 - 1e-9)
            if bound.gap > 1e-4:
                assert bound.status != "optimal"
    tight = cl.global_bound(X, y, beta, optimum)
    assert tight.status == "optimal"
    assert tight.lower_bound == pytest.approx(optimum.objective, rel=1e-5)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_a_looser_price_costs_the_bound_at_most_that_share(loss):
    """dual_bound is concave along s * lambda with value 0 at s = 0, so a price proven
    only to (1 + rho) lowers the bound by at most rho times itself: what lets
    price_precision trade precision for a share of the gap."""
    rng = np.random.default_rng(7)
    y = np.where(rng.standard_normal(40) > 0, 1.0, -1.0) if loss == "logistic" else (
        rng.standard_normal(40))
    lam = 0.4 * y * rng.uniform(0.1, 1.0, 40) if loss == "logistic" else (
        y - 0.3 * rng.standard_normal(40))
    for price in (0.05, 0.3, 2.0, 40.0):
        exact, _ = dual_bound(y, lam, np.array([price]), 0.1, loss)
        for rho in (1e-6, 1e-2, 0.1, 1.0):
            loose, _ = dual_bound(y, lam, np.array([price * (1 + rho)]), 0.1, loss)
            assert loose >= exact / (1 + rho) - 1e-12
    # near the optimum (objective = the bound) the precision asked for is the floor
    at_optimum, _ = dual_bound(y, lam, np.array([0.1]), 0.1, loss)
    assert price_precision(y, lam, 0.05, 0.1, loss, at_optimum, floor=1e-6) == 1e-6


def test_global_bound_loses_at_most_a_share_of_the_gap_to_the_exact_price():
    X, y = _sine()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = cl.train_nonconvex(X, y, 10, 0.1, steps=200, seed=0)
    bound = cl.global_bound(X, y, 0.1, net, improve=0)
    lam = y - net.predict(X)
    W = net.W1 / np.linalg.norm(net.W1, axis=0)
    neurons = np.abs(lam @ np.maximum(X @ W, 0.0)).max()  # the prices global_bound knows
    loose = price_precision(y, lam, neurons, 0.1, "squared", bound.objective, floor=1e-6)
    assert loose > 1e-3  # a poor network: the price was proven to a loose precision
    price = _enumerated_price(X, lam, "relu")
    best, _ = dual_bound(y, lam, np.array([price]), 0.1, "squared")
    assert bound.lower_bound <= best * (1 + 1e-9)
    # the bound of the price proven exactly (the tree prunes below beta either way)
    exact, _ = dual_bound(y, lam, np.array([max(price, 0.1)]), 0.1, "squared")
    assert bound.lower_bound >= exact - 0.01 * (bound.objective - exact) - 1e-12


def test_global_bound_refuses_a_solution_of_other_data():
    X, y = _sine()
    sol = cl.solve_convex(X, y, 0.1, cl.sample_patterns(X, 10, seed=0))
    with pytest.raises(ValueError, match="other data"):
        cl.global_bound(X, y, 0.2, sol)
    with pytest.raises(TypeError, match="model must be"):
        cl.global_bound(X, y, 0.1, "network")


def test_train_convex_exact_pricing_proves_the_all_pattern_optimum():
    X, y = _sine(24, seed=5)
    beta = 0.1
    optimum = cl.solve_convex(X, y, beta, cl.enumerate_patterns(X), tol=1e-9)
    # exact_limit=1: no enumeration, so "optimal" comes from the branch and bound
    report = cl.train_convex(X, y, beta, exact_limit=1, pricing="exact", tol=1e-8, seed=0)
    assert report.status == "optimal" and report.exact
    assert report.objective == pytest.approx(optimum.objective, rel=1e-6)
    lows = [r.lower_bound for r in report.rounds]
    assert all(low is not None and low <= optimum.objective * (1 + 1e-9) for low in lows)
    searched = cl.train_convex(X, y, beta, exact_limit=1, pricing="search", seed=0)
    assert searched.status != "optimal"


def test_train_convex_pricing_is_checked():
    X, y = _sine()
    with pytest.raises(ValueError, match="pricing must be one of"):
        cl.train_convex(X, y, 0.1, pricing="branch")
    with pytest.raises(ValueError, match="pricing='exact'"):
        cl.train_convex(X, y, 0.1, pricing="exact", gated=True)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_global_bound_for_each_activation_and_loss(activation, loss):
    rng = np.random.default_rng(3)
    X = cl.add_bias(rng.standard_normal((24, 2)))
    y = np.where(np.sin(2 * X[:, 0]) > 0, 1.0, -1.0)
    opt = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X), tol=1e-9, loss=loss,
                          activation=activation, alpha=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = cl.train_nonconvex(X, y, 20, 0.1, steps=300, seed=0, loss=loss,
                                 activation=activation, alpha=0.2)
    own = cl.global_bound(X, y, 0.1, net, loss=loss, improve=0)
    improved = cl.global_bound(X, y, 0.1, net, loss=loss)
    assert own.lower_bound <= improved.lower_bound * (1 + 1e-9) + 1e-12
    assert improved.lower_bound <= opt.objective * (1 + 1e-7)
    assert improved.lower_bound == pytest.approx(opt.objective, rel=1e-4)
    assert cl.global_bound(X, y, 0.1, opt, loss=loss).status == "optimal"


def test_parallel_rows_merge_into_one_hyperplane():
    """Rows on one line through the origin share a hyperplane: the tree merges them, so
    repeated rows, opposite rows and cancelling weights neither slow it nor fool it."""
    x = np.array([1.0, 0.3, -0.2])
    repeated = cl.price_exact(np.tile(x, (7, 1)), np.zeros(7), time_limit=10)
    assert repeated.status == "optimal" and repeated.upper_bound == 0.0
    X = np.vstack([np.tile(x, (4, 1)), -np.tile(x, (4, 1))])
    flat = cl.price_exact(X, np.r_[np.ones(4), -np.ones(4)], activation="absolute",
                          time_limit=10)
    assert flat.status == "optimal" and flat.upper_bound < 1e-10  # F is 0 everywhere
    rng = np.random.default_rng(5)
    base = rng.standard_normal((6, 3))
    lam = rng.standard_normal(12)
    doubled = np.vstack([base, -2.0 * base])
    for activation in ("relu", "leaky_relu", "absolute"):
        found = cl.price_exact(doubled, lam, activation=activation, alpha=0.2, rtol=1e-9)
        assert found.price == pytest.approx(_enumerated_price(doubled, lam, activation),
                                            rel=1e-7)

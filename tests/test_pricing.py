"""Pattern pricing: exact where X's patterns can be listed, an honest search elsewhere."""

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.core.certificates import cone_correlation
from convexnn_lab.core.patterns import patterns_of_directions
from convexnn_lab.training.pricing import WARM_WIDTH, neighbor_starts, price_patterns, train_convex


def data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    return X, rng.standard_normal(n)


def test_exact_pricing_reaches_the_all_pattern_optimum_with_few_patterns():
    X, y = data()
    every = cl.enumerate_patterns(X)
    full = cl.solve_convex(X, y, 0.1, every)
    report = train_convex(X, y, 0.1, initial_patterns=5, per_round=5, seed=0)
    assert report.exact and report.status == "optimal"
    assert report.global_gap <= 1e-5 * full.objective
    assert abs(report.objective - full.objective) <= 1e-6 * full.objective
    assert len(report.solution.patterns) < len(every) / 5  # 68 of 872 when measured
    assert np.isclose(report.network().objective(X, y, 0.1), report.objective, rtol=1e-6)
    objectives = [r.objective for r in report.rounds]
    assert objectives[-1] <= objectives[0]


def test_search_prices_are_true_dual_quantities():
    X, y = data(40, seed=1)
    restricted = cl.solve_convex(X, y, 0.1, cl.sample_patterns(X, 3, seed=0))
    lam = y - restricted.program.output(restricted.U, restricted.V)
    patterns, ratios = price_patterns(X, lam, 0.1, seed=0)
    assert ratios[0] > 1  # three random patterns are not optimal: violations exist
    assert np.all(np.diff(ratios) <= 0)
    # each price is reached by a direction in the pattern's cell: the exact cone maximum
    # of the pattern is at least that large
    program = cl.ConvexProgram(X, y, 0.1, patterns[:5])
    exact = cone_correlation(program, lam)
    assert np.all(exact >= ratios[:5] * 0.1 * (1 - 1e-9))


def test_search_never_claims_a_proof_and_budgets_are_said():
    X, y = data(30, seed=2)
    # exact_limit below the 872 patterns of X: pricing is a search
    report = train_convex(X, y, 0.1, initial_patterns=5, per_round=5, exact_limit=10,
                          max_rounds=40, seed=0)
    assert not report.exact and report.global_gap is None
    assert report.status in ("no_violation_found", "max_rounds")
    # the budgets, from 5 Gaussian patterns (the L-BFGS start would leave little to do)
    cold = dict(initial_patterns=5, warm_network=None)
    short = train_convex(X, y, 0.1, per_round=5, max_rounds=2, **cold)
    assert short.status == "max_rounds" and len(short.rounds) == 2
    capped = train_convex(X, y, 0.1, per_round=5, max_patterns=8, **cold)
    assert capped.status == "max_patterns"
    quick = train_convex(X, y, 0.1, per_round=1, time_limit=1e-6, **cold)
    assert quick.status == "time_limit" and len(quick.rounds) == 1


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
def test_neighbor_starts_step_along_each_neurons_ascent_into_other_cells(activation):
    X, y = data(60, seed=2)
    sol = cl.solve_convex(X, y, 0.05, cl.sample_patterns(X, 6, seed=0), activation=activation)
    lam = y - sol.program.output(sol.U, sol.V)
    net = sol.network()  # its neurons are the nonzero blocks, u_i first, then v_i
    k = net.width
    starts = neighbor_starts(X, lam, sol, steps=(0.1, 0.3))
    assert starts.shape == (X.shape[1], 3 * k)
    assert np.allclose(np.linalg.norm(starts, axis=0), 1.0)
    unit = lambda v: v / np.linalg.norm(v)
    for j, (w, a) in enumerate(zip(net.W1.T, net.w2)):
        assert np.allclose(starts[:, j], unit(w))
        # the gradient of sign(a) lambda^T sigma(X w) in w's cell (slopes of its pattern)
        other = {"relu": 0.0, "leaky_relu": 0.01, "absolute": -1.0}[activation]
        slope = np.where(X @ w >= 0, 1.0, other)
        g = unit(np.sign(a) * X.T @ (slope * lam))
        for m, t in enumerate((0.1, 0.3), start=1):
            assert np.allclose(starts[:, m * k + j], unit(unit(w) + t * g), atol=1e-5)
    # the steps leave the block's own cell for some block
    own = patterns_of_directions(X, starts[:, :k])
    assert any((patterns_of_directions(X, starts[:, m * k:(m + 1) * k]) != own).any()
               for m in (1, 2))


def test_rounds_keep_a_stalled_interior_point_instead_of_calling_cvxpy(monkeypatch):
    from convexnn_lab.solvers import conic, interior

    real = interior.interior_point

    def stalls(program, **kwargs):  # stops at a gap of about 1e-3 and says "stalled"
        out = real(program, **dict(kwargs, tol=1e-3))
        out.status = "stalled"
        return out

    def refuse(*args, **kwargs):
        raise AssertionError("a round fell back on CVXPY")

    monkeypatch.setattr(interior, "interior_point", stalls)
    monkeypatch.setattr(conic, "solve", refuse)
    rng = np.random.default_rng(3)
    X = cl.add_bias(rng.standard_normal((600, 5)))  # "auto" picks the interior point here
    y = rng.standard_normal(600)
    with pytest.raises(AssertionError, match="CVXPY"):  # solve_convex's own "auto" does
        cl.solve_convex(X, y, 0.1, cl.sample_patterns(X, 20, seed=0))
    with pytest.warns(RuntimeWarning, match="stalled"):
        report = train_convex(X, y, 0.1, max_rounds=2, seed=0)
    assert report.solution.result.method == "ipm" and report.solution.status == "stalled"
    assert len(report.rounds) == 2 and report.rounds[1].objective < report.rounds[0].objective


def test_warm_network_patterns_join_the_start():
    X, y = data(30, seed=3)
    net = cl.train_nonconvex(X, y, 6, 0.1, steps=300, seed=0)
    report = train_convex(X, y, 0.1, initial_patterns=2, max_rounds=1, warm_network=net)
    assert report.rounds[0].n_patterns >= len(net.patterns(X))


@pytest.mark.parametrize("kind", ["relu", "leaky_relu", "absolute", "gated", "logistic"])
def test_default_start_is_an_lbfgs_network_the_first_round_improves(kind):
    X, y = data(40, seed=5)
    activation = kind if kind in ("leaky_relu", "absolute") else "relu"
    loss = "logistic" if kind == "logistic" else "squared"
    y = np.sign(y) if loss == "logistic" else y
    report = train_convex(X, y, 0.1, max_rounds=1, seed=0, activation=activation, loss=loss,
                          gated=kind == "gated")
    net = report.warm_network
    assert net.width == WARM_WIDTH and net.activation == activation
    assert 0 < report.warm_seconds <= report.rounds[0].seconds
    assert np.isclose(report.warm_objective, net.objective(X, y, 0.1, loss))
    # no Gaussian patterns beside it: the first program holds exactly its neurons' patterns
    assert report.rounds[0].n_patterns == len(net.patterns(X))
    # ... and a point the network maps to, with an objective at most the network's: the
    # round ends at most there plus its certified gap
    first = report.rounds[0]
    assert first.objective <= report.warm_objective + first.gap
    # L-BFGS itself went down from its start (no learning rate was given)
    assert net.history[-1] < 0.5 * net.history[0]


def test_without_a_warm_network_pricing_starts_from_gaussian_patterns():
    X, y = data(40, seed=5)
    cold = train_convex(X, y, 0.1, max_rounds=1, seed=0, warm_network=None)
    assert cold.warm_network is None and cold.warm_objective is None
    assert cold.warm_seconds == 0
    # 20 Gaussian directions only (some share a pattern)
    gaussian = cl.sample_patterns(X, 20, seed=np.random.default_rng(0))
    assert cold.rounds[0].n_patterns == len(gaussian)


def test_bad_settings_are_named():
    X, y = data()
    with pytest.raises(TypeError, match="gated"):
        train_convex(X, y, 0.1, gated="no")
    with pytest.raises(ValueError, match="per_round"):
        train_convex(X, y, 0.1, per_round=0)
    with pytest.raises(ValueError, match="time_limit"):
        train_convex(X, y, 0.1, time_limit=-1)
    with pytest.raises(ValueError, match="warm_network must be 'lbfgs'.*got 'adam'"):
        train_convex(X, y, 0.1, warm_network="adam")
    with pytest.raises(TypeError, match="warm_network must be 'lbfgs'.*got ndarray"):
        train_convex(X, y, 0.1, warm_network=np.ones((3, 4)))
    with pytest.raises(ValueError, match="initial_patterns"):
        train_convex(X, y, 0.1, initial_patterns=-1)
    with pytest.raises(ValueError, match="initial_patterns=0 and no warm network"):
        train_convex(X, y, 0.1, initial_patterns=0, warm_network=None)
    with pytest.raises(ValueError, match="device"):
        train_convex(X, y, 0.1, device="tpu")


def test_warm_started_rounds_reach_the_cold_optimum():
    # the first-order route warm-starts each round from the last (carry_over); its
    # final program solved cold must give the same optimum
    # (from Gaussian patterns: the L-BFGS start's many near-equal patterns make a program
    # that FISTA does not finish in 20,000 iterations, measured: relative gap 3.5e-6)
    X, y = data(30, seed=4)
    report = train_convex(X, y, 0.1, gated=True, solver="fista", initial_patterns=5,
                          per_round=5, warm_network=None, seed=0)
    assert report.status == "optimal"
    cold = cl.solve_convex(X, y, 0.1, report.solution.patterns, gated=True, solver="fista",
                           progress=False)
    assert abs(report.objective - cold.objective) <= 1e-6 * cold.objective
    full = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X), gated=True)
    assert abs(report.objective - full.objective) <= 1e-5 * full.objective


def test_pricing_runs_on_degenerate_data():
    # digits: blank pixels leave X (450 x 65) of rank 57, and no sampled hyperplane
    # passes through exactly d-1 points: the cross-product starts give way to Gaussian ones
    dg = cl.load_dataset("digits", n_samples=600, seed=0)
    X, y = cl.add_bias(dg.X_train), np.where(dg.y_train >= 5, 1.0, -1.0)
    with pytest.raises(ValueError, match="degenerate"):
        cl.sample_patterns(X, 32, method="cross_product", seed=0)
    patterns, ratios = price_patterns(X, y, 0.1, n_starts=16, seed=0)
    assert len(patterns) and np.all(np.diff(ratios) <= 0)
    report = train_convex(X, y, 0.1, initial_patterns=5, max_rounds=1, seed=0)
    assert report.status == "max_rounds" and report.rounds[0].added > 0


def test_phases_split_the_run_into_start_solves_pricing_and_the_rest():
    X, y = data(40, seed=6)
    report = train_convex(X, y, 0.1, max_rounds=3, seed=0)  # with the L-BFGS start
    ph = report.phases
    assert ph["warm_network"] == report.warm_seconds > 0
    assert all(r.solve_seconds > 0 and r.price_seconds > 0 for r in report.rounds)
    assert ph["solves"] == pytest.approx(sum(r.solve_seconds for r in report.rounds))
    # the rest is positive (setup and bookkeeping) unless a phase were counted twice
    assert ph["other"] > 0
    assert sum(ph.values()) == pytest.approx(report.rounds[-1].seconds, rel=1e-9)
    # a round's seconds since the start grow by at least its solve and its pricing
    for prev, r in zip(report.rounds, report.rounds[1:]):
        assert r.seconds - prev.seconds >= r.solve_seconds + r.price_seconds


def test_progress_rule_stops_a_search_whose_rounds_stopped_paying():
    X, y = data(60, seed=3)
    cold = dict(initial_patterns=3, per_round=2, warm_network=None, exact_limit=10, seed=0)
    # a rule no round can meet; with no warm network the first round is not judged, so
    # it stops after the second
    strict = train_convex(X, y, 0.1, min_progress=0.9, **cold)
    assert strict.status == "slow_progress" and len(strict.rounds) == 2
    objs = [r.objective for r in strict.rounds]
    assert objs[0] - objs[1] < 0.9 * objs[1]
    # 0: no rule; the same first rounds, then on until a budget or no violation
    free = train_convex(X, y, 0.1, min_progress=0, max_rounds=6, **cold)
    assert free.status != "slow_progress" and len(free.rounds) > 2
    assert [r.objective for r in free.rounds[:2]] == objs
    # the rule reads each round alone: every round it let through gained at least the
    # fraction asked, the one it stopped at less
    seen = [r.objective for r in free.rounds]
    cut = 0.5 * max((a - b) / b for a, b in zip(seen, seen[1:]))
    ruled = train_convex(X, y, 0.1, min_progress=cut, max_rounds=6, **cold)
    objs = [r.objective for r in ruled.rounds]
    assert objs == seen[:len(objs)]
    gains = [(a - b) / b for a, b in zip(objs, objs[1:])]
    assert all(g >= cut for g in gains[:-1])
    assert ruled.status == "slow_progress" and gains[-1] < cut  # 4 rounds when written
    with pytest.raises(ValueError, match="min_progress"):
        train_convex(X, y, 0.1, min_progress=1.5)
    with pytest.raises(ValueError, match="min_progress"):
        train_convex(X, y, 0.1, min_progress=True)


def test_progress_rule_judges_the_first_round_against_the_warm_network():
    X, y = data(60, seed=3)
    warm = cl.train_nonconvex(X, y, 8, 0.1, optimizer="lbfgs", steps=50, seed=0)
    settings = dict(per_round=2, exact_limit=10, seed=0, warm_network=warm)
    report = train_convex(X, y, 0.1, min_progress=0.9, **settings)
    assert report.status == "slow_progress" and len(report.rounds) == 1
    # the first round starts from the warm network's patterns: at most its objective
    # plus the round's certified gap
    first = report.rounds[0]
    assert first.objective <= report.warm_objective + first.gap
    # a warm network of another activation is not comparable: the first round passes
    other = cl.train_nonconvex(X, y, 8, 0.1, optimizer="lbfgs", steps=50, seed=0,
                               activation="absolute")
    settings["warm_network"] = other
    report = train_convex(X, y, 0.1, min_progress=0.9, **settings)
    assert report.status == "slow_progress" and len(report.rounds) == 2


def test_progress_rule_is_off_by_default_where_pricing_is_exact():
    # every pattern listed: a certificate needs every round, so no progress rule
    X, y = data(30, seed=4)
    settings = dict(initial_patterns=3, per_round=2, warm_network=None, seed=0)
    report = train_convex(X, y, 0.1, **settings)
    assert report.exact and report.status == "optimal"
    # the same run with the rule asked for stops early: the default really is 0 here
    ruled = train_convex(X, y, 0.1, min_progress=0.9, **settings)
    assert ruled.status == "slow_progress" and len(ruled.rounds) < len(report.rounds)

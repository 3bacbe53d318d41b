"""The interior-point method: both Newton routes, its multipliers, its limits."""

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.solvers.interior import interior_point


def problem(seed=0, n=25, P=15):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    y = rng.standard_normal(n)
    return X, y, cl.sample_patterns(X, P, seed=seed)


def test_interior_point_routes_agree_and_ignore_zero_rows():
    X, y, P = problem(10, n=30, P=10)
    X[4] = 0.0  # a zero row constrains nothing
    P = cl.sample_patterns(X, 10, seed=10)
    ref = cl.solve_convex(X, y, 0.1, P, solver="cvxpy")
    program = cl.ConvexProgram(X, y, 0.1, P)
    outs = [interior_point(program, route=r, tol=1e-6) for r in ("rows", "columns")]
    for out in outs:
        cert = cl.certify(program, out.U, out.V, out.multipliers)
        assert out.status == "optimal" and out.route in ("rows", "columns")
        assert cert.gap <= 1e-6 * cert.objective and cert.feasible
        assert abs(cert.objective - ref.objective) <= 1e-6 * ref.objective
    assert np.allclose(outs[0].U, outs[1].U, atol=1e-5)
    # the multipliers of the cone rows are what certifies the solution
    assert outs[0].multipliers.shape == (30, 2 * len(P)) and outs[0].multipliers.min() >= 0
    assert not outs[0].multipliers[4].any()


@pytest.mark.parametrize("kw", [{}, {"loss": "logistic"},
                                {"activation": "leaky_relu", "alpha": 0.2},
                                {"activation": "absolute"}])
def test_gated_routes_agree(kw):
    # gated ReLU's rows route forms its n x n system from two (n, P) Gram matrices and
    # X X^T (the blocks' F_i are a multiple of I plus rank one), the columns route from
    # the blocks themselves: the same optimum, with the loss Hessian and the slopes
    X, y, P = problem(13, n=40, P=12)
    target = np.where(y > 0, 1.0, -1.0) if kw.get("loss") == "logistic" else y
    program = cl.ConvexProgram(X, target, 0.05, P, gated=True, **kw)
    outs = [interior_point(program, route=r, tol=1e-7) for r in ("rows", "columns")]
    for out in outs:
        assert out.status == "optimal"
    objectives = [program.objective(out.U) for out in outs]
    assert abs(objectives[0] - objectives[1]) <= 1e-6 * objectives[1]
    assert np.allclose(outs[0].U, outs[1].U, atol=1e-4)
    # the same Newton directions, iteration by iteration: the certified points on the way
    # agree (a wrong n x n matrix would still end at the optimum, after other steps)
    assert outs[0].iterations == outs[1].iterations
    rows, cols = (np.array(out.history) for out in outs)
    assert rows.shape == cols.shape
    assert np.allclose(rows[:, 1], cols[:, 1], rtol=1e-9)


def test_interior_point_limit_is_reported_with_a_true_gap():
    X, y, P = problem(11)
    ref = cl.solve_convex(X, y, 0.1, P, solver="cvxpy")
    with pytest.warns(RuntimeWarning, match="stopped after 4 iterations"):
        sol = cl.solve_convex(X, y, 0.1, P, solver="ipm", max_iter=4, progress=False)
    assert sol.status == "max_iterations"
    assert sol.objective - sol.gap <= ref.objective + 1e-9
    # the history holds the certified points met (far from tol the interior point
    # certifies only its last iterate), none better than what is returned
    (it, objective, gap), = sol.result.history
    assert it == 4 and objective - gap <= ref.objective + 1e-9


def test_interior_point_gated_and_logistic_match_cvxpy():
    X, y, P = problem(12)
    labels = np.where(y > 0, 1.0, -1.0)
    for kw in (dict(gated=True), dict(loss="logistic")):
        target = labels if kw.get("loss") == "logistic" else y
        ref = cl.solve_convex(X, target, 0.1, P, solver="cvxpy", **kw)
        sol = cl.solve_convex(X, target, 0.1, P, solver="ipm", progress=False, **kw)
        assert sol.status == "optimal"
        assert sol.objective - sol.gap <= ref.objective + 1e-9
        assert sol.objective <= ref.objective + 1e-5 * abs(ref.objective)


def test_logistic_steps_are_shortened_where_the_quadratic_model_fails():
    # full Newton steps overshot here: the objective went from 118 to 863 in one step and
    # on to 1e19, "stalled" (a reader's sweep of random logistic programs found it)
    rng = np.random.default_rng(4)
    X = cl.add_bias(rng.standard_normal((300, 2)))
    y = np.where(rng.standard_normal(300) >= 0, 1.0, -1.0)
    P = cl.sample_patterns(X, 60, seed=4)
    ref = cl.solve_convex(X, y, 0.05, P, gated=True, solver="cvxpy", loss="logistic")
    program = cl.ConvexProgram(X, y, 0.05, P, gated=True, loss="logistic")
    out = interior_point(program, tol=1e-6)  # no polish to make up for a stall
    assert out.status == "optimal"
    assert abs(program.objective(out.U) - ref.objective) <= 1e-6 * ref.objective


def test_bad_route_is_named():
    X, y, P = problem(13)
    with pytest.raises(ValueError, match="route"):
        interior_point(cl.ConvexProgram(X, y, 0.1, P), route="diagonal")


def test_phases_add_up_to_the_solve_time_and_the_gram_lies_inside_newton():
    X, y, P = problem(13, n=30, P=10)
    program = cl.ConvexProgram(X, y, 0.1, P)
    for route in ("rows", "columns"):
        out = interior_point(program, route=route, tol=1e-6)
        ph = out.phases
        top = ph["newton"] + ph["directions"] + ph["certificate"] + ph["other"]
        assert min(ph.values()) >= 0 and abs(top - out.time) <= 1e-9 * max(out.time, 1.0)
        # "other" (setup, residuals, steps) is the rest: positive unless a phase were
        # counted twice (it is clamped at 0, and the sum would then exceed the time)
        assert ph["other"] > 0
        # the n x n product is formed on the rows route only, inside the Newton systems
        assert ("gram" in ph) == (route == "rows")
        assert ph.get("gram", 0.0) <= ph["newton"]


def test_centrality_correctors_take_fewer_steps_to_the_same_optimum():
    # Gondzio's correctors lengthen the steps (Mehrotra alone: 21 and 19 iterations
    # here, with them 15 and 16); the point they reach is the same certified optimum
    for seed, n, P in ((0, 25, 15), (1, 60, 20)):
        X, y, patterns = problem(seed, n=n, P=P)
        program = cl.ConvexProgram(X, y, 0.1, patterns)
        plain, corrected = (interior_point(program, tol=1e-8, correctors=k) for k in (0, 3))
        assert plain.status == corrected.status == "optimal"
        assert corrected.iterations < plain.iterations
        a, b = (cl.certify(program, o.U, o.V, o.multipliers) for o in (plain, corrected))
        assert a.proves(1e-8) and b.proves(1e-8)
        assert abs(a.objective - b.objective) <= 2e-8 * a.objective
    with pytest.raises(ValueError, match="correctors"):
        interior_point(program, correctors=-1)


def test_a_stall_short_of_tol_runs_the_polish_and_says_so():
    # tol 1e-14 is beyond round-off: the interior point stalls (or round-off breaks a
    # Newton system), the Newton polish runs on its support (its time is the "polish"
    # phase), and the status says the solve fell short, with the gap it reached
    X, y, patterns = problem(0)
    with pytest.warns(RuntimeWarning, match="status '(stalled|numerical_error)'"):
        sol = cl.solve_convex(X, y, 0.1, patterns, solver="ipm", tol=1e-14, progress=False)
    ph = sol.result.phases
    assert sol.status in ("stalled", "numerical_error")
    assert 0 < sol.gap <= 1e-9 * sol.objective
    assert ph["polish"] > 0
    top = ph["newton"] + ph["directions"] + ph["certificate"] + ph["other"] + ph["polish"]
    assert abs(top - sol.result.time) <= 1e-9 * max(sol.result.time, 1.0)


def test_the_run_stops_for_round_off_only_once_its_certificate_is_stale():
    # where the Newton systems lose their digits the steps collapse long before the
    # complementarity reaches tol (n = 22,345 in docs/benchmarks.md: steps of 1e-4 - 1e-2
    # for 35 iterations); the run then stops instead of spending its iteration budget
    from convexnn_lab.solvers.interior import _COLLAPSED, _PATIENCE, _stalled

    short, long_ = [0.5 * _COLLAPSED] * _PATIENCE, [0.9] + [0.5 * _COLLAPSED] * (_PATIENCE - 1)
    assert _stalled(_PATIENCE, False, short)
    assert not _stalled(_PATIENCE - 1, False, short)  # the certificate still improves
    assert not _stalled(_PATIENCE, False, long_)  # a long step among the last ones
    assert not _stalled(_PATIENCE, False, short[1:])  # too few steps to judge
    assert _stalled(_PATIENCE, True, long_)  # below tol: the rule that was there before
    assert _stalled(_PATIENCE + 1, False, [0.9] + short)  # only the last _PATIENCE count

"""The torch solvers against CVXPY, their certificates, and their failure modes."""

import warnings

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab import solvers
from convexnn_lab.solvers import budget
from convexnn_lab.status import ConvergenceWarning


def problem(seed=0, n=25, P=15):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    y = rng.standard_normal(n)
    return X, y, cl.sample_patterns(X, P, seed=seed)


@pytest.mark.parametrize("method", ["first-order", "ipm"])
@pytest.mark.parametrize("gated", [False, True], ids=["cones", "gated"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
def test_fast_solvers_agree_with_cvxpy(activation, loss, gated, method):
    X, y, P = problem(1)
    if loss == "logistic":
        y = np.where(y > 0, 1.0, -1.0)
    kw = dict(activation=activation, loss=loss, gated=gated)
    ref = cl.solve_convex(X, y, 0.1, P, solver="cvxpy", **kw)
    assert ref.iterations > 0  # Clarabel's own count, not a placeholder 0
    solver = "ipm" if method == "ipm" else "fista" if gated else "al"
    fast = cl.solve_convex(X, y, 0.1, P, solver=solver, tol=1e-8, progress=False, **kw)
    assert fast.status == "optimal"
    # ref.objective - ref.gap <= optimum <= fast.objective <= fast.objective - fast.gap + ...
    assert fast.objective <= ref.objective + 1e-6 * abs(ref.objective)
    assert fast.objective >= ref.objective - ref.gap - 1e-9
    if loss == "squared":  # Clarabel is at its most accurate here
        assert abs(fast.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    # the certified gap is a true upper bound: the lower bound stays below CVXPY's value
    assert fast.objective - fast.gap <= ref.objective + 1e-12
    assert fast.gap <= 1e-8 * abs(fast.objective)


def test_fast_relu_solution_maps_to_an_equal_network():
    X, y, P = problem(2)
    sol = cl.solve_convex(X, y, 0.05, P, solver="al", progress=False)
    net = sol.network()
    assert np.isclose(net.objective(X, y, 0.05), sol.objective, rtol=1e-6)
    cones = np.where(P.T, 1.0, -1.0) * (X @ sol.U)
    assert cones.min() >= -1e-9 * np.abs(X @ sol.U).max()


def test_float32_path():
    X, y, P = problem(3)
    ref = cl.solve_convex(X, y, 0.1, P, gated=True, solver="cvxpy")
    sol = cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", dtype="float32",
                          device="cpu", progress=False)
    assert sol.solver == "fista-cpu-float32"
    assert abs(sol.objective - ref.objective) <= 1e-4 * ref.objective


def test_iteration_limit_is_reported_not_hidden():
    X, y, P = problem(4)
    with pytest.warns(RuntimeWarning, match="stopped after 5 iterations"):
        sol = cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", max_iter=5,
                              progress=False)
    assert sol.status == "max_iterations"
    ref = cl.solve_convex(X, y, 0.1, P, gated=True, solver="cvxpy")
    assert sol.gap >= sol.objective - ref.objective - 1e-9 > 0


def test_a_stop_advises_only_the_exact_methods_that_fit(monkeypatch):
    from convexnn_lab.solvers import conic, interior

    X, y, P = problem(4)
    with pytest.warns(RuntimeWarning,
                      match="raise max_iter, or use solver='ipm' or solver='cvxpy'$"):
        cl.solve_convex(X, y, 0.1, P, solver="al", max_iter=5, progress=False)
    # the interior point runs in float64 only
    with pytest.warns(RuntimeWarning, match="use solver='ipm' with dtype='float64' or"):
        cl.solve_convex(X, y, 0.1, P, solver="al", max_iter=5, dtype="float32",
                        progress=False)
    # a program CVXPY could not build (digits' ReLU program with P = 300 needs 29 GiB)
    monkeypatch.setattr(conic, "fits", lambda program: False)
    with pytest.warns(RuntimeWarning, match="raise max_iter, or use solver='ipm'$"):
        cl.solve_convex(X, y, 0.1, P, solver="al", max_iter=5, progress=False)
    with pytest.warns(RuntimeWarning, match="raise max_iter$"):
        cl.solve_convex(X, y, 0.1, P, solver="ipm", max_iter=2, progress=False)
    # more iterations cannot help the interior point at its own cap
    monkeypatch.setattr(interior, "ITERATION_CAP", 2)
    with pytest.warns(RuntimeWarning, match="'max_iterations': [^;]*$"):
        cl.solve_convex(X, y, 0.1, P, solver="ipm", progress=False)


def test_of_two_solutions_auto_keeps_the_certified_one_inside_its_cones():
    from types import SimpleNamespace

    from convexnn_lab.solvers.policy import _better

    def sol(gap, feasible=True, status="max_iterations"):
        return SimpleNamespace(gap=gap, status=status,
                               certificate=SimpleNamespace(feasible=feasible))

    inside, outside = sol(1.0), sol(1e-3, feasible=False)
    assert _better(outside, inside) is inside and _better(inside, outside) is inside
    assert _better(inside, sol(0.5)).gap == 0.5 and _better(inside, sol(2.0)) is inside
    assert _better(inside, sol(float("nan"))) is inside  # a NaN gap never wins
    assert _better(sol(float("nan")), inside) is inside
    assert _better(None, inside) is inside and _better(inside, None) is inside
    optimal = sol(1e-9, status="optimal")
    assert _better(inside, optimal) is optimal


# 66 patterns of 30 points (bit j of a code: point j, the first point the highest bit),
# the first round of a train_convex run: FISTA's line search compared a value of the
# extrapolated point Z computed from its extrapolated image with a fresh one, and the
# 1e-15 round-off between them, above the test's slack near the optimum, doubled L to
# overflow: the solve never ended
HANG_CODES = (
    "0 165920 1212416 1804704 20971520 136023432 169877640 169877642 199242262 257978391 "
    "268566560 268568608 268569120 268601376 268601888 268929568 269978144 270502304 "
    "277318176 278366816 294033956 294033972 294099492 294115957 297800228 297800230 "
    "300184118 367426167 534802967 535065111 535065175 538938857 672894440 706315656 "
    "708322698 708412808 773557705 775679433 775679435 775941593 779642331 779707867 "
    "803239519 803239903 803764191 804812255 805139935 805140447 805172703 805173215 "
    "882888697 899144309 899669621 899670005 899670013 902299255 903864181 904166007 "
    "1017106425 1071644671 1071936087 1073575903 1073577951 1073577983 1073709055 "
    "1073741823")


def test_fista_line_search_ends_where_round_off_fails_its_test():
    rng = np.random.default_rng(4)
    X = cl.add_bias(rng.standard_normal((30, 2)))
    y = rng.standard_normal(30)
    codes = [int(c) for c in HANG_CODES.split()]
    patterns = np.array([[(c >> (29 - j)) & 1 for j in range(30)] for c in codes], dtype=bool)
    sol = cl.solve_convex(X, y, 0.1, patterns, gated=True, solver="fista", progress=False)
    ref = cl.solve_convex(X, y, 0.1, patterns, gated=True, solver="cvxpy", progress=False)
    assert sol.status == "optimal"
    assert abs(sol.objective - ref.objective) <= 1e-6 * ref.objective


def test_warm_start_saves_iterations():
    X, y, P = problem(5, n=40, P=25)
    first = cl.solve_convex(X, y, 0.2, P, gated=True, solver="fista", progress=False)
    cold = cl.solve_convex(X, y, 0.21, P, gated=True, solver="fista", progress=False)
    warm = cl.solve_convex(X, y, 0.21, P, gated=True, solver="fista", warm_start=first,
                           progress=False)
    assert warm.iterations < cold.iterations
    assert np.isclose(warm.objective, cold.objective, rtol=1e-7)



def test_a_warm_started_augmented_lagrangian_resumes_its_penalty_schedule():
    # restarting at rho = 10 and 100 inner iterations lost ground against one long run
    X, y, P = problem(7, n=40, P=25)

    def al(beta=0.1, patterns=P, **kw):
        with pytest.warns(RuntimeWarning, match="max_iterations"):
            return cl.solve_convex(X, y, beta, patterns, solver="al", progress=False, **kw)

    first = al(max_iter=150)
    more = al(max_iter=150, warm_start=first)
    inner0, inner1 = first.result.schedule[1], more.result.schedule[1]
    assert inner1 > inner0  # a restart would end at inner0 again
    assert more.objective < first.objective
    # the penalty too: a continuation's first outer step runs at the rho it was left at;
    # an inner solve cut short by max_iter leaves the inner budget where it was
    first.result.schedule = (80.0, 200)
    assert al(max_iter=1, warm_start=first).result.schedule == (80.0, 200)
    assert al(max_iter=250, warm_start=first).result.schedule == (80.0, 300)
    # another program starts afresh, as a cold solve does: other patterns (column
    # generation), another beta (a path, where a resumed rho only grew)
    for beta, patterns in ((0.1, P[:20]), (0.2, P)):
        other = al(beta, patterns, max_iter=150, warm_start=first)
        cold = al(beta, patterns, max_iter=150)
        assert other.result.schedule[1] == cold.result.schedule[1] == inner0
        assert other.result.schedule[0] < 80.0  # rho from 10, not the 80 it was left at
    gated = cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", progress=False)
    assert gated.result.schedule is None


def test_a_warm_started_augmented_lagrangian_stops_on_an_optimum_and_moves_on_otherwise():
    X, y, P = problem(7, n=40, P=25)
    opt = cl.solve_convex(X, y, 0.1, P, solver="ipm", progress=False)
    assert opt.status == "optimal"
    again = cl.solve_convex(X, y, 0.1, P, solver="al", warm_start=opt, progress=False)
    assert again.status == "optimal" and again.iterations == 0
    assert again.objective == opt.objective
    # from a point that is not optimal, short warm-started calls go on from each other:
    # handing back a warm start that beat the run made this loop repeat itself exactly
    ds = cl.load_dataset("breast_cancer", seed=0)
    X, y = cl.add_bias(ds.X_train), ds.signed_labels()[0]
    P = cl.sample_patterns(X, 100, seed=0)
    with pytest.warns(RuntimeWarning, match="max_iterations"):
        sol = cl.solve_convex(X, y, 0.1, P, solver="ipm", max_iter=12, progress=False)
    objectives, gaps = [], []
    for _ in range(3):
        with pytest.warns(RuntimeWarning, match="max_iterations"):
            sol = cl.solve_convex(X, y, 0.1, P, solver="al", warm_start=sol, max_iter=200,
                                  progress=False)
        objectives.append(sol.objective)
        gaps.append(sol.gap)
    assert objectives[2] < objectives[1] < objectives[0] and gaps[2] < gaps[0]


def test_the_augmented_lagrangian_returns_its_best_feasible_iterate_for_a_worse_last_one():
    # Whether a run ends feasible and worse depends on the warm start's last digits: on
    # seed 6 it did (700 iterations) until the interior point's passes were regrouped;
    # now, of seeds 0-11 (500-800 iterations), seed 5 with 800 does, its last outer step
    # 2.2 times above the best one's gap.  tol 1e-15: no float64 certificate proves it,
    # so no polish ends the run (at 1e-13 one did, once the AL's arithmetic was fused)
    X, y, P = problem(5, n=40, P=25)
    opt = cl.solve_convex(X, y, 0.1, P, solver="ipm", progress=False)
    with pytest.warns(RuntimeWarning, match="max_iterations"):
        sol = cl.solve_convex(X, y, 0.1, P, solver="al", warm_start=opt, tol=1e-15,
                              max_iter=800, progress=False)
    _, *run = sol.result.history  # the warm start's certificate, then each outer step's
    best = min(run[:-1], key=lambda entry: entry[2])
    assert best[2] < run[-1][2]  # the last outer step ended feasible but worse
    assert sol.certificate.feasible
    assert sol.objective == pytest.approx(best[1], rel=1e-12) and sol.gap < run[-1][2]


@pytest.mark.parametrize("gated", [True, False])
def test_warm_start_on_other_patterns_carries_the_shared_blocks(gated):
    X, y, P = problem(6, n=40, P=25)
    method = "fista" if gated else "al"
    first = cl.solve_convex(X, y, 0.1, P[:15], gated=gated, solver="ipm", progress=False)
    # the next round of column generation: two patterns dropped, ten added
    later = np.vstack([P[2:15], P[15:]])
    U, V, G = cl.solvers.carry_over(first, later)
    assert np.array_equal(U[:, :13], first.U[:, 2:15]) and not U[:, 13:].any()
    if not gated:
        assert np.array_equal(V[:, :13], first.V[:, 2:15])
        assert G.shape == (40, 46) and not G[:, 13:23].any() and not G[:, 36:].any()
    cold = cl.solve_convex(X, y, 0.1, later, gated=gated, solver=method, progress=False)
    warm = cl.solve_convex(X, y, 0.1, later, gated=gated, solver=method, warm_start=first,
                           progress=False)
    assert warm.status == cold.status == "optimal"
    assert np.isclose(warm.objective, cold.objective, rtol=1e-5)
    with pytest.raises(ValueError, match="other program"):
        cl.solve_convex(X, y, 0.1, later, gated=not gated, solver="ipm", warm_start=first)


def test_path_loses_neurons_as_beta_grows():
    t = np.linspace(-1, 1, 12)
    X, y = cl.add_bias(t[:, None]), np.sin(3 * t)
    P = cl.enumerate_patterns(X)
    betas = [1e-2, 1e-1, 1.0, 10.0]
    path = cl.solve_path(X, y, betas, P, gated=True, solver="fista", progress=False)
    widths = [len(s.active_blocks()) for s in path]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
    assert all(s.status == "optimal" for s in path)
    assert [s.beta for s in path] == betas


def test_solver_choice_errors():
    X, y, P = problem(6)
    with pytest.raises(ValueError, match="gated"):
        cl.solve_convex(X, y, 0.1, P, solver="fista")
    with pytest.raises(ValueError, match="fista"):
        cl.solve_convex(X, y, 0.1, P, solver="al", gated=True)
    with pytest.raises(ValueError, match="tol"):
        cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", tol=2.0)
    with pytest.raises(ValueError, match="dtype"):
        cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", dtype="float16")
    with pytest.raises(ValueError, match="float64"):
        cl.solve_convex(X, y, 0.1, P, solver="ipm", dtype="float32")


def test_cuda_without_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    X, y, P = problem(7)
    with pytest.raises(ValueError, match="no GPU"):
        cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", device="cuda")


def test_memory_is_checked_before_allocating(monkeypatch):
    X, y, P = problem(8)
    from convexnn_lab.solvers import interior, proximal

    monkeypatch.setattr(proximal, "available_memory", lambda device: 1000)
    monkeypatch.setattr(interior, "available_memory", lambda device: 1000)
    with pytest.raises(MemoryError, match="GiB"):
        cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista")
    with pytest.raises(MemoryError, match="solver='al'"):
        cl.solve_convex(X, y, 0.1, P, solver="ipm")
    need = budget.memory_estimate(50_000, 3072, 4096, gated=True, dtype_bytes=4)
    assert 2 * 2**30 < need < 64 * 2**30


def test_auto_picks_cvxpy_for_small_and_torch_for_large():
    X, y, P = problem(9)
    assert cl.solve_convex(X, y, 0.1, P).solver.startswith("cvxpy")
    rng = np.random.default_rng(0)
    Xb = cl.add_bias(rng.standard_normal((400, 3)))
    yb = rng.standard_normal(400)
    Pb = cl.sample_patterns(Xb, 60, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sol = cl.solve_convex(Xb, yb, 1.0, Pb, gated=True, progress=False)
        cones = cl.solve_convex(Xb, yb, 1.0, Pb, progress=False)
    assert sol.solver.startswith("ipm") and sol.status == "optimal"
    assert cones.solver.startswith("ipm") and cones.status == "optimal"


class StalledIPM(cl.solvers.IPM):
    """The interior point stopped by round-off after 3 iterations (no polish)."""

    def solve(self, program, options, comm=None):
        from convexnn_lab.solvers import interior

        out = interior.interior_point(program, tol=options.tol, max_iter=3,
                                      device=options.device, progress=False)
        out.status = "stalled"
        return out


class UnfitCVXPY(cl.solvers.CVXPY):
    """A program CVXPY could not build in the free memory."""

    def fits(self, program, options):
        return False


class FailingCVXPY(cl.solvers.CVXPY):
    def solve(self, program, options, comm=None):
        raise RuntimeError("CVXPY ended with status infeasible_inaccurate")


class RefusedCVXPY(cl.solvers.CVXPY):
    def solve(self, program, options, comm=None):
        raise AssertionError("CVXPY run past the retry's flop limit")


def test_auto_falls_back_on_cvxpy_when_the_interior_point_stalls():
    rng = np.random.default_rng(1)
    X = cl.add_bias(rng.standard_normal((400, 3)))
    y = rng.standard_normal(400)
    P = cl.sample_patterns(X, 60, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stall is handled, not warned about
        sol = cl.solve_convex(X, y, 1.0, P, progress=False,
                              solver=cl.solvers.Auto(ipm=StalledIPM()))
    assert sol.solver.startswith("cvxpy") and sol.status == "optimal"

    def no_advice(record):  # a stall is not cured by more iterations; no exact method left
        message = str(record[0].message)
        assert "status 'stalled'" in message
        assert "raise max_iter" not in message and "use solver" not in message

    # where CVXPY would not fit in memory, "auto" returns the stalled interior point's
    # point, and says so (it used to raise CVXPY's MemoryError, losing that point)
    with pytest.warns(ConvergenceWarning) as record:
        kept = cl.solve_convex(X, y, 1.0, P, progress=False,
                               solver=cl.solvers.Auto(ipm=StalledIPM(), cvxpy=UnfitCVXPY()))
    assert kept.solver.startswith("ipm") and kept.status == "stalled"
    assert kept.iterations == 3  # the interior point's own (max_iter=3) point
    no_advice(record)
    # likewise where CVXPY fails (the warning says how)
    with pytest.warns(ConvergenceWarning,
                      match="cvxpy was tried and failed: CVXPY ended") as record:
        kept = cl.solve_convex(X, y, 1.0, P, progress=False,
                               solver=cl.solvers.Auto(ipm=StalledIPM(), cvxpy=FailingCVXPY()))
    assert kept.solver.startswith("ipm") and kept.iterations == 3
    no_advice(record)
    # past the retry's flop limit CVXPY would take minutes: not tried
    auto = cl.solvers.Auto(ipm=StalledIPM(), cvxpy=RefusedCVXPY(), retry_max_flops=0.0)
    with pytest.warns(ConvergenceWarning, match="stopped after 3 iterations"):
        kept = cl.solve_convex(X, y, 1.0, P, progress=False, solver=auto)
    assert kept.solver.startswith("ipm")
    with pytest.warns(ConvergenceWarning, match="stopped after"):  # asked for by name
        assert cl.solve_convex(X, y, 1.0, P, solver=StalledIPM(),
                               progress=False).status == "stalled"
    # float32 asked for: "auto" does not pick the float64-only interior-point method
    assert cl.solve_convex(X, y, 1.0, P, gated=True, dtype="float32",
                           progress=False).solver.startswith("fista")


def test_choose_solver_rule():
    # 1. small: the CVXPY reference; 2. a cheap Newton system in float64: the interior
    # point; 3. otherwise first order, gated or with cones
    assert cl.choose_solver(20, 3, 500, gated=False, loss="squared") == "cvxpy"
    # many cone rows: the interior point, already at n * P <= 20,000
    assert cl.choose_solver(426, 32, 20, gated=True, loss="squared") == "cvxpy"
    assert cl.choose_solver(426, 32, 20, gated=False, loss="squared") == "ipm"
    assert cl.choose_solver(1347, 65, 30, gated=False, loss="squared") == "ipm"
    assert cl.choose_solver(1347, 65, 30, gated=True, loss="squared", dtype="float32") == "fista"
    assert cl.choose_solver(50_000, 3072, 4096, gated=True, loss="squared") == "fista"
    assert cl.choose_solver(50_000, 3072, 4096, gated=False, loss="squared") == "al"
    # with the cones, the interior point past IPM_MAX_FLOPS while it is expected to beat
    # the augmented Lagrangian's 20,000 iterations (digits' size, P = 300: 51 iterations,
    # certified, where the AL stops short of tol); gated, FISTA converges: the flops rule
    big = {"loss": "squared", "memory": 64e9}
    assert cl.choose_solver(1347, 65, 300, gated=False, **big) == "ipm"
    assert budget.ipm_memory_estimate(10_000, 65, 300, gated=False) < 0.25 * big["memory"]
    assert cl.choose_solver(10_000, 65, 300, gated=False, **big) == "al"  # not by memory
    assert cl.choose_solver(20_000, 65, 300, gated=True, **big) == "fista"
    # and up to IPM_MAX_FLOPS_CONES even where the AL is expected to be a little faster
    assert not budget.ipm_beats_al(2000, 500, 10)
    assert cl.choose_solver(2000, 500, 10, gated=False, **big) == "ipm"
    # the gated rule is the flops of its Newton system alone, as it was tuned
    assert cl.choose_solver(1347, 65, 6000, gated=True, **big) == "ipm"
    # the interior point's memory must fit a quarter of what is free
    assert cl.choose_solver(1347, 65, 30, gated=False, loss="squared", memory=1e6) == "al"


def test_optimal_needs_a_certificate_and_blocks_inside_their_cones():
    X, y, P = problem(20)
    program = cl.ConvexProgram(X, y, 0.1, P)
    ref = cl.solve_convex(X, y, 0.1, P, solver="cvxpy")
    honest = solvers.wrap(program, cl.SolverResult(ref.U, ref.V, "optimal", "al"), tol=1e-6)
    assert honest.status == "optimal"
    # a solver that claims "optimal" for a point outside its cones: not believed
    W = ref.U - ref.V  # the gated-style point: u_i - v_i in u_i's place, v_i = 0
    outside = cl.SolverResult(W, np.zeros_like(W), "optimal", "al")
    wrapped = solvers.wrap(program, outside, tol=1e-6)
    assert not wrapped.certificate.feasible and wrapped.status == "inaccurate"
    # nor for a point whose certificate does not reach tol
    far = cl.SolverResult(0.5 * ref.U, 0.5 * ref.V, "optimal", "fista")
    assert solvers.wrap(program, far, tol=1e-6).status == "inaccurate"
    # an iteration limit stays what it is; a certified point is optimal whatever the solver said
    late = cl.SolverResult(ref.U, ref.V, "max_iterations", "al")
    assert solvers.wrap(program, late, tol=1e-3).status == "optimal"
    with pytest.raises(ValueError, match="status"):
        cl.SolverResult(ref.U, ref.V, "converged", "al")


def test_al_with_no_iterations_is_refused_not_optimal():
    X, y, P = problem(21)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        cl.solve_convex(X, y, 0.1, P, solver="al", max_iter=0)
    with pytest.warns(RuntimeWarning, match="max_iterations"):
        one = cl.solve_convex(X, y, 0.1, P, solver="al", max_iter=1, progress=False)
    assert one.status == "max_iterations"
    assert np.isfinite(one.objective) and np.isfinite(one.gap)


def test_al_warning_names_the_cone_violation():
    X, y, P = problem(22)
    with pytest.warns(RuntimeWarning, match="outside their cones") as info:
        sol = cl.solve_convex(X, y, 0.1, P, solver="al", max_iter=30, progress=False)
    assert sol.status == "max_iterations" and not sol.certificate.feasible
    assert "relative gap" in str(info[0].message) or sol.certificate.proves(1e-6) is False


def test_float32_gap_is_computed_on_the_weights_returned():
    X, y, P = problem(23)
    sol = cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", dtype="float32",
                          device="cpu", progress=False)
    program = sol.program
    again = cl.certify(program, sol.U, sol.V)
    assert sol.U.dtype == np.float64
    assert again.gap == pytest.approx(sol.gap, rel=1e-12, abs=1e-15)
    assert again.objective == pytest.approx(sol.objective, rel=1e-12)


def test_solver_settings_are_validated():
    X, y, P = problem(24)
    cases = [
        (dict(gated="False"), TypeError, "gated must be True or False"),
        (dict(gated=1), TypeError, "gated must be True or False"),
        (dict(progress="yes", solver="ipm"), TypeError, "progress"),
        (dict(device="tpu", solver="ipm"), ValueError, "device must be 'cpu', 'cuda'"),
        (dict(device=0, solver="ipm"), TypeError, "device must be"),
        (dict(max_iter=2.5, solver="ipm"), TypeError, "max_iter must be an integer"),
        (dict(tol=float("nan"), solver="ipm"), ValueError, "tol"),
        (dict(activation=None), ValueError, "activation"),
        (dict(solver=cl.solvers.FISTA(chunk_rows=5)), ValueError, "gated-ReLU program"),
        (dict(solver=cl.solvers.CVXPY(backend="FOO")), ValueError, "backend='FOO'"),
        (dict(solver=object()), TypeError, "solver must be one of"),
        (dict(warm_start="previous"), TypeError, "warm_start must be a ConvexSolution"),
    ]
    for kwargs, exc, words in cases:
        with pytest.raises(exc, match=words):
            cl.solve_convex(X, y, 0.1, P, **kwargs)


def test_solve_path_sets_its_own_warm_starts():
    X, y, P = problem(25)
    with pytest.raises(TypeError, match="warm_start"):
        cl.solve_path(X, y, [0.1, 1.0], P, warm_start=None)


def test_cvxpy_memory_is_checked_before_building(monkeypatch):
    from convexnn_lab.solvers import conic

    X, y, P = problem(26)
    # 2e6 patterns of 25 points would need ~70 GB in CVXPY; pretend 1 GB is free
    monkeypatch.setattr(conic, "available_memory", lambda device="cpu": 2**30)
    many = np.repeat(P, 2_000_000 // len(P), axis=0)
    with pytest.raises(MemoryError, match="solver='cvxpy'.*GiB"):
        cl.solve_convex(X, y, 0.1, many, solver="cvxpy")
    assert budget.cvxpy_memory_estimate(25, 3, 2_000_000, gated=False) > 2**30


def test_torch_solvers_run_on_the_threads_asked_for_and_restore_the_setting():
    import torch

    from convexnn_lab.solvers import interior

    X, y, P = problem(27)
    seen = []
    real = interior.interior_point

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    before = torch.get_num_threads()
    interior.interior_point = spy
    try:
        cl.solve_convex(X, y, 0.1, P, solver="ipm", progress=False)
        cl.solve_convex(X, y, 0.1, P, solver="ipm", progress=False, threads=2)
    finally:
        interior.interior_point = real
    assert seen == [1, 2] and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be >= 1"):
        cl.solve_convex(X, y, 0.1, P, solver="ipm", threads=0)


def test_cvxpy_optimal_means_certified_to_tol_after_a_polish():
    # CVXPY stops the logistic program near 1e-5; its "optimal" once stood with a 4e-5 gap
    rng = np.random.default_rng(0)
    X = np.hstack([rng.standard_normal((7, 2)), np.ones((7, 1))])
    y = np.where(rng.random(7) < 0.5, 1.0, -1.0)
    P = cl.enumerate_patterns(X)
    for gated in (True, False):
        sol = cl.solve_convex(X, y, 0.1, P, loss="logistic", gated=gated, solver="cvxpy")
        assert sol.status != "optimal" or sol.certificate.proves(1e-6)
        ref = cl.solve_convex(X, y, 0.1, P, loss="logistic", gated=gated, solver="ipm",
                              progress=False)
        assert sol.objective - sol.gap <= ref.objective + 1e-12


def test_one_output_column_is_the_scalar_program_and_warm_starts_must_match():
    X, y, P = problem(28)
    col = cl.solve_convex(X, y[:, None], 0.1, P)
    assert isinstance(col, cl.ConvexSolution)
    first = cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", progress=False)
    with pytest.raises(ValueError, match="other data"):
        cl.solve_convex(X[:, :2], y, 0.1, P, gated=True, solver="fista", warm_start=first)
    Y = np.column_stack([y, -y])
    vec = cl.solve_convex(X, Y, 0.1, P, gated=True, solver="fista", progress=False)
    assert vec.predict(X).shape == (len(y), 2)
    with pytest.raises(ValueError, match="output columns"):
        cl.solve_convex(X, np.column_stack([y, y, y]), 0.1, P, gated=True, solver="fista",
                        warm_start=vec)


class EarlyCVXPY(cl.solvers.CVXPY):
    """A CVXPY that stopped early: zero blocks, "inaccurate"."""

    def solve(self, program, options, comm=None):
        from convexnn_lab.core.solution import SolverResult

        out = super().solve(program, options)
        return SolverResult(U=0 * out.U, V=0 * out.V, status="inaccurate",
                            method="cvxpy-clarabel")


def test_auto_tries_the_interior_point_when_cvxpy_stops_short():
    X, y, P = problem(7, n=20, P=6)
    # n * P * d = 360: auto picks CVXPY first
    sol = cl.solve_convex(X, y, 0.1, P, solver=cl.solvers.Auto(cvxpy=EarlyCVXPY()))
    assert sol.status == "optimal" and sol.result.method == "ipm"


def test_fista_tries_a_failed_polish_again_once_the_gap_has_fallen(monkeypatch):
    # every block stays active (small beta, few patterns), so the support never changes:
    # a first polish that fails must not end every polish.  The first try is made to fail;
    # FISTA alone cannot reach tol 1e-10 in 3000 iterations, the second try does
    from convexnn_lab.solvers import fista, proximal

    rng = np.random.default_rng(7)
    X = cl.add_bias(rng.standard_normal((30, 2)))
    y = rng.standard_normal(30)
    patterns = cl.sample_patterns(X, 5, seed=7)
    real, tries = proximal.polish, []

    def polish_failing_once(program, W, Gamma=None, **kw):
        tries.append(cl.certify(program, W).gap)
        return None if len(tries) == 1 else real(program, W, Gamma, **kw)

    monkeypatch.setattr(proximal, "polish", polish_failing_once)
    monkeypatch.setattr(fista, "_EARLY_GAP", 0.0)  # full tries only
    sol = cl.solve_convex(X, y, 1e-3, patterns, gated=True, solver="fista", tol=1e-10,
                          max_iter=3000, progress=False)
    assert sol.status == "optimal" and len(tries) == 2
    assert tries[1] <= tries[0] / 10  # retried only once the gap had fallen tenfold


def test_fista_polishes_early_once_its_support_has_held(monkeypatch):
    # with a support that holds and iterations that have cost a few Newton steps, FISTA
    # tries a limited polish at a relative gap of up to 1e-1 instead of waiting for 1e-2;
    # here it ends optimal at 510 iterations instead of 780, at the same optimum
    from convexnn_lab.solvers import fista, proximal

    rng = np.random.default_rng(2)
    X = cl.add_bias(rng.standard_normal((80, 4)))
    y = np.sin(X @ rng.standard_normal(5)) + 0.1 * rng.standard_normal(80)
    patterns = cl.sample_patterns(X, 12, seed=2)
    real, tries = proximal.polish, []

    def recorded(program, W, Gamma=None, **kw):
        out = real(program, W, Gamma, **kw)
        tries.append((kw["limits"] == fista._EARLY_LIMITS, out is not None))
        return out

    monkeypatch.setattr(proximal, "polish", recorded)
    runs = []
    for early_gap in (fista._EARLY_GAP, 0.0):  # 0: no early try
        monkeypatch.setattr(fista, "_EARLY_GAP", early_gap)
        tries.clear()
        runs.append(cl.solve_convex(X, y, 0.05, patterns, gated=True, solver="fista",
                                    max_iter=5000, progress=False))
        assert runs[-1].status == "optimal" and tries[-1] == (early_gap > 0, True)
    early, late = runs
    assert early.iterations < late.iterations
    assert abs(early.objective - late.objective) <= 1e-10 * late.objective


def test_a_failed_early_polish_does_not_hold_back_the_full_one(monkeypatch):
    # early tries are made to fail: the full polish still comes at the first check with a
    # relative gap below 1e-2 (not a tenth of the early try's gap) and ends FISTA
    from convexnn_lab.solvers import fista, proximal

    rng = np.random.default_rng(2)
    X = cl.add_bias(rng.standard_normal((80, 4)))
    y = np.sin(X @ rng.standard_normal(5)) + 0.1 * rng.standard_normal(80)
    patterns = cl.sample_patterns(X, 12, seed=2)
    program = cl.ConvexProgram(X, y, 0.05, patterns, gated=True)
    real, tries = proximal.polish, []

    def early_ones_fail(program_, W, Gamma=None, **kw):
        early = kw["limits"] == fista._EARLY_LIMITS
        cert = cl.certify(program, W)
        support = tuple(np.flatnonzero(np.linalg.norm(W, axis=0) > 1e-6 * np.abs(W).max()))
        tries.append((early, cert.gap / cert.objective, support))
        return None if early else real(program_, W, Gamma, **kw)

    monkeypatch.setattr(proximal, "polish", early_ones_fail)
    sol = cl.solve_convex(X, y, 0.05, patterns, gated=True, solver="fista", max_iter=5000,
                          progress=False)
    assert sol.status == "optimal"
    assert tries[0][0] and not tries[-1][0]
    first_full = next(t for t in tries if not t[0])
    # on the support of the failed early try: one shared record would have held it back
    assert first_full[2] == tries[0][2]
    assert tries[0][1] / 10 < first_full[1] <= 1e-2

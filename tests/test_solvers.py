"""The torch solvers against CVXPY, their certificates, and their failure modes."""

import warnings

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab import solvers


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


def test_warm_start_saves_iterations():
    X, y, P = problem(5, n=40, P=25)
    first = cl.solve_convex(X, y, 0.2, P, gated=True, solver="fista", progress=False)
    cold = cl.solve_convex(X, y, 0.21, P, gated=True, solver="fista", progress=False)
    warm = cl.solve_convex(X, y, 0.21, P, gated=True, solver="fista", warm_start=first,
                           progress=False)
    assert warm.iterations < cold.iterations
    assert np.isclose(warm.objective, cold.objective, rtol=1e-7)
    with pytest.raises(ValueError, match="other patterns"):
        cl.solve_convex(X, y, 0.2, P[:-1], gated=True, solver="fista", warm_start=first)


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


def test_interior_point_routes_agree_and_ignore_zero_rows():
    from convexnn_lab.interior import interior_point

    X, y, P = problem(10, n=30, P=10)
    X[4] = 0.0  # a zero row constrains nothing
    P = cl.sample_patterns(X, 10, seed=10)
    ref = cl.solve_convex(X, y, 0.1, P, solver="cvxpy")
    outs = [interior_point(X, y, 0.1, P, route=r, tol=1e-6) for r in ("rows", "columns")]
    for out in outs:
        assert out["status"] == "optimal"
        assert out["gap"] <= 1e-6 * out["objective"]
        assert abs(out["objective"] - ref.objective) <= 1e-6 * ref.objective
    assert np.allclose(outs[0]["U"], outs[1]["U"], atol=1e-5)
    # the multipliers of the cone rows are what certifies the solution
    assert outs[0]["multipliers"].shape == (30, 2 * len(P)) and outs[0]["multipliers"].min() >= 0
    assert not outs[0]["multipliers"][4].any()


def test_interior_point_limit_is_reported_with_a_true_gap():
    X, y, P = problem(11)
    ref = cl.solve_convex(X, y, 0.1, P, solver="cvxpy")
    with pytest.warns(RuntimeWarning, match="stopped after 4 iterations"):
        sol = cl.solve_convex(X, y, 0.1, P, solver="ipm", max_iter=4, progress=False)
    assert sol.status == "max_iterations"
    assert sol.objective - sol.gap <= ref.objective + 1e-9


def test_cuda_without_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    X, y, P = problem(7)
    with pytest.raises(ValueError, match="no GPU"):
        cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", device="cuda")


def test_memory_is_checked_before_allocating(monkeypatch):
    X, y, P = problem(8)
    monkeypatch.setattr(solvers, "available_memory", lambda device: 1000)
    with pytest.raises(MemoryError, match="GiB"):
        cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista")
    with pytest.raises(MemoryError, match="solver='al'"):
        cl.solve_convex(X, y, 0.1, P, solver="ipm")
    need = solvers.memory_estimate(50_000, 3072, 4096, gated=True, dtype_bytes=4)
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
    # too large a Newton system for the interior-point method: the first-order solvers
    assert not solvers.ipm_suits(50_000, 3072, 4096, gated=True, loss="squared")
    assert solvers.ipm_suits(1347, 65, 30, gated=False, loss="squared")


def test_optimal_needs_blocks_inside_their_cones():
    import torch

    assert solvers._feasible(torch.tensor([[1.0, 0.0], [2.0, 3.0]]))
    assert not solvers._feasible(torch.tensor([[1.0, -1e-3], [2.0, 3.0]]))


def test_progress_bar_appears_only_for_long_solves():
    from convexnn_lab._progress import LazyBar

    quick = LazyBar(10, "quick", delay=60.0)
    quick.update()
    quick.set_postfix(gap="1e-3")
    assert quick.bar is None  # nothing drawn: no empty widget in a notebook cell
    slow = LazyBar(10, "slow", delay=0.0)
    slow.set_postfix(gap="1e-3")
    slow.update(2)
    assert slow.bar is not None and slow.bar.n == 2
    slow.close()
    assert LazyBar(10, "off", disable=True, delay=0.0).bar is None


def test_auto_falls_back_on_cvxpy_when_the_interior_point_stalls(monkeypatch):
    from convexnn_lab import interior

    rng = np.random.default_rng(1)
    X = cl.add_bias(rng.standard_normal((400, 3)))
    y = rng.standard_normal(400)
    P = cl.sample_patterns(X, 60, seed=1)
    real = interior.interior_point

    def stalled(*args, **kwargs):
        out = real(*args, **dict(kwargs, max_iter=3))
        out["status"] = "stalled"
        return out

    monkeypatch.setattr(interior, "interior_point", stalled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stall is handled, not warned about
        sol = cl.solve_convex(X, y, 1.0, P, progress=False)
    assert sol.solver.startswith("cvxpy") and sol.status == "optimal"
    with pytest.warns(RuntimeWarning, match="stopped after"):  # asked for by name: reported
        assert cl.solve_convex(X, y, 1.0, P, solver="ipm", progress=False).status == "stalled"
    # float32 asked for: "auto" does not pick the float64-only interior-point method
    assert cl.solve_convex(X, y, 1.0, P, gated=True, dtype="float32",
                           progress=False).solver.startswith("fista")

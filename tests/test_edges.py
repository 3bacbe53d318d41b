"""The edges of the public API: tiny rows, extreme scales, the zero network, huge sizes.

Each case failed before (a false "optimal" certificate, an aborted interpreter, a raw
numpy or torch error, minutes of work before a MemoryError); every "optimal" here is
checked against an independent value (an all-pattern optimum computed another way, the
zero network's objective, or a trained network that cannot beat it).
"""

import subprocess
import sys

import numpy as np
import pytest

import convexnn_lab as cl


def _near_zero_row_data():
    t = np.linspace(-1, 1, 9)
    X = np.vstack([np.column_stack([t, np.ones(9)]), [1e-11, 0.0]])
    y = np.r_[2 * np.maximum(-t, 0), 0.0]
    return X, y


def test_a_tiny_row_still_splits_cells_and_the_certificate_holds():
    X, y = _near_zero_row_data()
    P = cl.enumerate_patterns(X)
    # the tiny row's direction (1, 0) is a line of its own: 10 lines, 20 cells
    rng = np.random.default_rng(0)
    angles = rng.uniform(0, 2 * np.pi, 20_000)
    sampled = cl.unique_patterns(cl.patterns.patterns_of_directions(
        X, np.vstack([np.cos(angles), np.sin(angles)])))
    assert len(P) == 20 and {r.tobytes() for r in sampled} <= {r.tobytes() for r in P}
    sol = cl.solve_convex(X, y, 0.01, P)
    assert sol.status == "optimal" and cl.certify_global(sol).status == "optimal"
    # the optimum over all patterns (CVXPY over every pattern, in the report)
    # was 0.0199202; with the tiny row cut, 0.0404201 was certified instead
    assert np.isclose(sol.objective, 0.0199202, atol=1e-6)
    net = cl.train_nonconvex(X, y, 20, 0.01, optimizer="lbfgs", steps=500)
    assert net.objective(X, y, 0.01) >= sol.objective - 1e-6


@pytest.mark.parametrize("make", [
    lambda X, y: cl.enumerate_patterns(X * 1e-200),
    lambda X, y: cl.enumerate_patterns(X * 1e200),
    lambda X, y: cl.solve_convex(X * 1e-165, y, 1e-166, cl.sample_patterns(X, 5)),
    lambda X, y: cl.solve_convex(X, y * 1e160, 0.1, cl.sample_patterns(X, 5)),
    lambda X, y: cl.train_convex(X, y, 1e200),
    lambda X, y: cl.ConvexReLURegressor().fit(X * 1e160, y),
])
def test_scales_that_float64_cannot_carry_are_refused_with_the_remedy(make):
    rng = np.random.default_rng(0)
    X, y = cl.add_bias(rng.standard_normal((30, 3))), rng.standard_normal(30)
    with pytest.raises(ValueError, match="rescale"):
        make(X, y)


def test_huge_entries_never_abort_the_interpreter():
    # scipy's NNLS aborted the process ("double free") on the infinities of X * 1e160
    code = ("import numpy as np, convexnn_lab as cl\n"
            "X = cl.add_bias(np.random.default_rng(0).standard_normal((20, 2))) * 1e160\n"
            "try:\n    cl.certify(cl.ConvexProgram(X, np.ones(20), 0.1,"
            " np.ones((1, 20), bool)), np.zeros((3, 1)))\n"
            "except ValueError as e:\n    print('refused:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0 and "refused" in out.stdout, out.stderr[-500:]


@pytest.mark.parametrize("solver", ["auto", "cvxpy", "ipm"])
def test_the_zero_network_has_width_zero(solver):
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((60, 4)))
    y = rng.standard_normal(60)
    P = cl.sample_patterns(X, 80, seed=0)
    sol = cl.solve_convex(X, y, 1e3, P, solver=solver, progress=False)
    assert sol.status == "optimal" and np.isclose(sol.objective, 0.5 * y @ y)
    assert sol.network().width == 0 and len(sol.active_blocks()) == 0
    assert cl.ConvexReLURegressor(beta=1e6, pattern_method="gaussian").fit(
        X[:, :-1], y).n_neurons_ == 0


def test_a_huge_beta_returns_the_certified_zero_network():
    ds = cl.load_dataset("diabetes")
    X, y = cl.add_bias(ds.X_train[:100]), ds.y_train[:100]
    report = cl.train_convex(X, y, 1e20)
    # the zero network scores 0.5 |y|^2; before, the rounds ended at 8e20 "no violation"
    assert report.status == "optimal" and report.global_gap == 0.0
    assert np.isclose(report.objective, 0.5 * y @ y) and report.network().width == 0
    labels = np.where(y > 0, 1.0, -1.0)
    logistic = cl.train_convex(X, labels, 1e4, loss="logistic")
    assert logistic.status == "optimal" and np.isclose(logistic.objective, 100 * np.log(2))


def test_cvxpy_solves_targets_of_any_scale():
    ds = cl.load_dataset("diabetes")
    X, y = cl.add_bias(ds.X_train[:100]), ds.y_train[:100]
    P = cl.sample_patterns(X, 20, seed=0)
    reference = cl.solve_convex(X, y, 0.1, P, solver="ipm", progress=False)
    for c in (1e8, 1e-5):  # Clarabel called the first "infeasible"
        scaled = cl.solve_convex(X, c * y, 0.1 * c, P, solver="cvxpy")
        assert scaled.status == "optimal"
        assert np.isclose(scaled.objective / c**2, reference.objective, rtol=1e-6)


def test_logistic_labels_follow_one_rule_everywhere():
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((20, 2)))
    zero_one = (rng.random(20) > 0.5).astype(float)
    net = cl.train_nonconvex(X, np.where(zero_one > 0, 1.0, -1.0), 3, 0.1, steps=5,
                             loss="logistic")
    for call in (lambda: cl.train_nonconvex(X, zero_one, 3, 0.1, loss="logistic"),
                 lambda: net.objective(X, zero_one, 0.1, loss="logistic"),
                 lambda: cl.train_convex(X, zero_one, 0.1, loss="logistic"),
                 lambda: cl.solve_convex(X, zero_one, 0.1, np.ones((1, 20), bool),
                                         loss="logistic")):
        with pytest.raises(ValueError, match="labels -1 and \\+1"):
            call()


def test_sizes_that_do_not_fit_fail_before_allocating(monkeypatch):
    from convexnn_lab._internal import memory

    monkeypatch.setattr(memory, "_meminfo", lambda: 2**20)  # 1 MiB free
    rng = np.random.default_rng(0)
    X, y = cl.add_bias(rng.standard_normal((50, 2))), rng.standard_normal(50)
    with pytest.raises(MemoryError, match="P=5,000 patterns"):
        cl.ConvexProgram(X, y, 0.1, np.ones((5000, 50), dtype=bool))
    with pytest.raises(MemoryError, match="width=100,000"):
        cl.train_nonconvex(X, y, 100_000, 0.1)


def test_raw_errors_are_now_named():
    with pytest.raises(TypeError, match="X is None"):
        cl.add_bias(None)
    with pytest.raises(ValueError, match="reshape"):
        cl.add_bias(np.arange(3.0))
    assert cl.cover_bound(10**9, 10**8) == float("inf")
    masked = np.ma.masked_array(np.ones((4, 2)), mask=[[1, 0]] + [[0, 0]] * 3)
    with pytest.raises(ValueError, match="masked"):
        cl.enumerate_patterns(masked)
    with pytest.raises(TypeError, match="return_directions"):
        cl.enumerate_patterns(np.ones((4, 2)), return_directions="yes")
    with pytest.raises(TypeError, match="standardize"):
        cl.load_dataset("wine", standardize="yes")


def test_a_gated_solution_on_masks_that_are_no_cell_says_so_when_mapped():
    # the gated program is a valid convex program on any masks, so "optimal" stands; the
    # map to a ReLU network needs cells of X and says which input to change
    X = cl.add_bias(np.array([-1.0, 0.0, 1.0, 2.0])[:, None])
    sol = cl.solve_convex(X, np.array([1.0, 0, 1, 0]), 0.1, np.array([[1, 0, 1, 0]], bool),
                          gated=True)
    assert sol.status == "optimal"
    with pytest.raises(ValueError, match="no cell of X.*enumerate_patterns"):
        sol.network()


def test_read_only_data_raise_no_torch_warning():
    import warnings

    rng = np.random.default_rng(0)
    X, y = cl.add_bias(rng.standard_normal((10, 2))), rng.standard_normal(10)
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = cl.train_nonconvex(X, y, 2, 0.1, steps=3)
        cl.gradient_norm(net, X, y, 0.1)

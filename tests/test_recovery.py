import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab import plots, recovery  # noqa: E402


def test_recovery_above_and_failure_at_n_equals_d():
    high, _ = recovery.recovery_rate(15, 5, trials=4, seed=2)
    low, _ = recovery.recovery_rate(5, 5, trials=4, seed=2)
    assert high == 1.0 and low <= 0.5  # n = d: recovery is the exception


def test_planted_solution_fits_and_respects_cones():
    X, y, w = cl.datasets.planted_linear(8, 4, seed=3)
    P = cl.sample_patterns(X, 16, seed=3)
    sol = recovery.planted_program(X, y, P)
    fit = X @ sol.w0 + np.sum(sol.patterns.T * (X @ (sol.U - sol.V)), axis=1)
    assert np.allclose(fit, y, atol=1e-6)
    S = np.where(sol.patterns.T, 1.0, -1.0)
    assert (S * (X @ sol.U)).min() >= -1e-6
    assert sol.value <= np.linalg.norm(w) + 1e-6  # the planted model is feasible
    assert not sol.patterns.all(axis=1).any()  # the all-ones pattern is left out


def test_relaxed_program_is_a_lower_bound():
    X, y, _ = cl.datasets.planted_linear(8, 4, seed=4)
    P = cl.sample_patterns(X, 16, seed=4)
    assert (recovery.planted_program(X, y, P, relaxed=True).value
            <= recovery.planted_program(X, y, P).value + 1e-7)


def test_path_plots():
    fig, ax = plots.recovery([1, 2], {"a": [0.0, 1.0]})
    assert ax.get_ylim()[1] > 1
    fig, axes = plots.regularization_path([0.1, 1], [5, 2], [0, 0.1], [0.1, 0.2], [1, 2])
    assert len(axes) == 3

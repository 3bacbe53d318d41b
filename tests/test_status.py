"""One status vocabulary for every result, CVXPY's statuses mapped once, and a warning
category a caller can filter by class."""

import warnings

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab import status


def test_groups_partition_the_vocabulary():
    groups = (status.CERTIFIED, status.BUDGET_STOPS, status.FAILURES, status.UNCERTIFIED,
              status.DISPROVED)
    every = [s for g in groups for s in g]
    assert len(every) == len(set(every))
    for carried in (status.SOLVE_STATUSES, status.GLOBAL_STATUSES, status.TRAINING_STATUSES):
        assert set(carried) <= set(every)
    assert all(status.describe(s) for s in every)
    assert status.is_certified("optimal") and not status.is_certified("inaccurate")
    with pytest.raises(ValueError, match="status must be one of"):
        status.describe("optimal_inaccurate")


def test_cvxpy_statuses_enter_through_one_map():
    assert status.from_cvxpy("optimal") == "optimal"
    assert status.from_cvxpy("optimal_inaccurate") == "inaccurate"
    assert status.from_cvxpy("user_limit") == "max_iterations"
    assert status.from_cvxpy("infeasible") is None


def test_an_uncertified_solve_warns_with_a_filterable_category():
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((30, 2)))
    y = rng.standard_normal(30)
    P = cl.sample_patterns(X, 10, seed=0)
    with pytest.warns(status.ConvergenceWarning, match="max_iterations"):
        sol = cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", max_iter=2,
                              progress=False)
    assert sol.status in status.BUDGET_STOPS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", status.ConvergenceWarning)
        cl.solve_convex(X, y, 0.1, P, gated=True, solver="fista", max_iter=2, progress=False)


def test_every_result_type_speaks_the_same_vocabulary():
    rng = np.random.default_rng(1)
    X = cl.add_bias(rng.standard_normal((12, 1)))
    y = rng.standard_normal(12)
    sol = cl.solve_convex(X, y, 0.1, cl.enumerate_patterns(X))
    assert sol.status in status.SOLVE_STATUSES
    assert cl.certify_global(sol).status in status.GLOBAL_STATUSES
    report = cl.train_convex(X, y, 0.1)
    assert report.status in status.TRAINING_STATUSES
    Xp, yp, _ = cl.datasets.planted_linear(8, 2, seed=0)
    planted = cl.recovery.planted_program(Xp, yp, cl.enumerate_patterns(Xp))
    assert planted.status in status.SOLVE_STATUSES  # CVXPY's words mapped

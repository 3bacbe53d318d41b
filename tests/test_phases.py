"""PhaseTimer: the seconds of named phases, nested and repeated."""

import time

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.solvers.phases import PhaseTimer


def test_phases_repeat_nest_and_leave_the_rest_to_other():
    timer = PhaseTimer()
    for _ in range(2):
        with timer("outer"), timer("inner"):  # "inner" nests in "outer"
            time.sleep(0.01)
    out = timer.summary(total=1.0, top_level=("outer",))
    assert 0.02 <= out["inner"] <= out["outer"] < 1.0
    assert out["other"] == pytest.approx(1.0 - out["outer"])
    # a phase interrupted by an exception still counts
    with pytest.raises(ValueError), timer("failing"):
        time.sleep(0.01)
        raise ValueError
    assert timer.seconds["failing"] >= 0.01


@pytest.mark.parametrize("gated", [True, False])
def test_first_order_phases_add_up_to_the_solve_time(gated):
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((30, 2)))
    y = rng.standard_normal(30)
    sol = cl.solve_convex(X, y, 0.1, cl.sample_patterns(X, 8, seed=0), gated=gated,
                          solver="fista" if gated else "al", progress=False)
    ph = sol.result.phases
    assert set(ph) >= {"certificate", "iterations"} and min(ph.values()) >= 0
    # "iterations" is the rest: positive unless a phase were counted twice (it is clamped
    # at 0, and the sum would then exceed the solve time)
    assert ph["iterations"] > 0
    assert sum(ph.values()) == pytest.approx(sol.result.time, rel=1e-9)

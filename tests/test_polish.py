"""The Newton polish: from a rough point on the right support to the certified optimum."""

import numpy as np

import convexnn_lab as cl
from convexnn_lab.solvers.polish import polish


def problem(seed=0, n=30, P=12, gated=False):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    y = rng.standard_normal(n)
    return cl.ConvexProgram(X, y, 0.1, cl.sample_patterns(X, P, seed=seed), gated=gated)


def test_polish_reaches_the_certified_optimum_from_a_rough_point():
    for gated in (True, False):
        program = problem(1, gated=gated)
        ref = cl.solve_convex(program.X, program.y, 0.1, program.patterns, gated=gated,
                              solver="cvxpy")
        rough = program.stack(ref.U, ref.V)
        rough = rough * (1 + 1e-3 * np.random.default_rng(0).standard_normal(rough.shape))
        out = polish(program, rough, None if gated else ref.multipliers)
        assert out is not None
        U, V = program.split(out[0])
        cert = cl.certify(program, U, V, out[1])
        assert cert.feasible and cert.gap <= 1e-9 * cert.objective
        assert cert.objective <= ref.objective + 1e-9


def test_polish_of_nothing_fails_cleanly():
    program = problem(2)
    assert polish(program, np.zeros((program.d, program.n_blocks))) is None


def test_a_support_too_large_for_newton_is_declined_before_building_it():
    # FISTA in float32 tries the polish at a 10% gap: at CIFAR scale (4096 blocks of 3073
    # unknowns) building the support's bases took ~300 GB and hung the solve.  Here 60
    # blocks of 400 unknowns: declined, without allocating the 60 bases (77 MB)
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 400))
    program = cl.ConvexProgram(X, rng.standard_normal(8), 0.1,
                               cl.sample_patterns(X, 60, seed=0), gated=True)
    W = rng.standard_normal((program.d, program.n_blocks))
    tracemalloc.start()
    try:
        assert polish(program, W) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8e6

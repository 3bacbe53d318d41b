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
    # unknowns) building the support's bases took ~300 GB and hung the solve.  Here 200
    # blocks of 400 unknowns on 300 rows (2.4e7 entries in the rows-side arrays of its
    # Newton system): declined, without allocating the 200 bases (256 MB)
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 400))
    program = cl.ConvexProgram(X, rng.standard_normal(300), 0.1,
                               cl.sample_patterns(X, 200, seed=0), gated=True)
    W = rng.standard_normal((program.d, program.n_blocks))
    tracemalloc.start()
    try:
        assert polish(program, W) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8e6


def test_the_rows_side_newton_step_is_the_k_side_one():
    # the Woodbury solve of the polish's Newton matrix (K unknowns, solved in n + s) against
    # the dense K x K matrix it stands for, blocks of unequal width and norm
    from convexnn_lab.solvers.polish import RIDGE_RTOL, _RowSystem

    rng = np.random.default_rng(4)
    n, widths, beta = 6, [3, 2, 4, 3], 0.3
    spans = list(zip(np.cumsum([0] + widths[:-1]), np.cumsum(widths)))
    K = sum(widths)
    A, h, z = rng.standard_normal((n, K)), rng.uniform(0.5, 2, n), rng.standard_normal(K)
    z[spans[1][0]:spans[1][1]] *= 1e-4  # a block on its way to zero: a stiff 1 / |z_j|
    norms = np.array([np.linalg.norm(z[a:b]) for a, b in spans])
    H = A.T @ (h[:, None] * A)
    for (a, b), nz in zip(spans, norms):
        H[a:b, a:b] += beta * (np.eye(b - a) / nz - np.outer(z[a:b], z[a:b]) / nz**3)
    H[np.diag_indices(K)] += RIDGE_RTOL * np.trace(H) / K
    r = rng.standard_normal(K)
    x = _RowSystem(A, h, z, spans, norms, beta).solve(r)
    assert np.linalg.norm(H @ x - r) <= 1e-10 * np.linalg.norm(r)


def test_a_support_wider_than_the_rows_is_solved_in_the_rows(monkeypatch):
    # 40 blocks of 3 unknowns on 12 rows, gated: K = 3 s > n + s once s > 6 blocks are
    # active, so the Newton steps go through the rows (Woodbury); the polish still ends at
    # the certified optimum, and equals the one whose Newton systems are K x K (two
    # "processes": sharded rows never take the rows side)
    from convexnn_lab._internal import comm as _comm
    from convexnn_lab.solvers import polish as polish_module

    class TwoRanksOfOne(_comm.Local):  # the same data, but world_size 2
        world_size = 2

    steps = []
    solve_rows = polish_module._RowSystem.solve
    monkeypatch.setattr(polish_module._RowSystem, "solve",
                        lambda self, r: steps.append(1) or solve_rows(self, r))
    program = problem(3, n=12, P=40, gated=True)
    program = cl.ConvexProgram(program.X, program.y, 0.01, program.patterns, gated=True)
    ref = cl.solve_convex(program.X, program.y, 0.01, program.patterns, gated=True,
                          solver="cvxpy")
    rough = ref.U * (1 + 1e-3 * np.random.default_rng(1).standard_normal(ref.U.shape))
    out = polish(program, rough)
    assert out is not None and steps  # the Newton steps were solved in the rows
    cert = cl.certify(program, out[0])
    assert cert.gap <= 1e-9 * cert.objective and cert.objective <= ref.objective + 1e-9
    steps.clear()
    dense = polish(program, rough, comm=TwoRanksOfOne())
    assert dense is not None and not steps and np.allclose(out[0], dense[0], atol=1e-8)


def count_loss_evaluations(monkeypatch):
    """A list that grows by one at each loss evaluation of the polish (its work)."""
    from convexnn_lab.solvers import polish as polish_module

    calls, real = [], polish_module.loss_parts

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(polish_module, "loss_parts", counted)
    return calls


def test_limits_make_a_polish_fail_fast_when_a_block_should_vanish(monkeypatch):
    # a block that is zero at the optimum, started at 1% of the largest: the default
    # polish drops it on the way (it collapses) and certifies the optimum; with
    # PolishLimits(max_prunes=1) no block may leave, so the same start fails (None), and
    # with collapse_rtol 1e-3 (FISTA's early tries) it fails after fewer loss evaluations
    from convexnn_lab.solvers import polish as polish_module

    program = problem(3, n=40, P=15, gated=True)
    program = cl.ConvexProgram(program.X, program.y, 0.5, program.patterns, gated=True)
    ref = cl.solve_convex(program.X, program.y, 0.5, program.patterns, gated=True,
                          solver="ipm", tol=1e-10, progress=False)
    norms = np.linalg.norm(ref.U, axis=0)
    zero = np.flatnonzero(norms <= 1e-8 * norms.max())
    assert len(zero) and len(zero) < len(norms) - 2
    start = ref.U.copy()
    start[:, zero] = 0.0
    start[:, zero[0]] = 0.01 * norms.max() * program.X[0] / np.linalg.norm(program.X[0])
    out = polish(program, start)
    assert out is not None and not out[0][:, zero[0]].any()
    assert cl.certify(program, out[0]).proves(1e-9)
    calls = count_loss_evaluations(monkeypatch)
    spent = []
    for limits in (polish_module.PolishLimits(max_prunes=1),
                   polish_module.PolishLimits(max_prunes=1, collapse_rtol=1e-3)):
        calls.clear()
        assert polish(program, start, limits=limits) is None
        spent.append(len(calls))
    assert 0 < spent[1] < spent[0]


def test_newton_stops_once_its_decrement_no_longer_shrinks(monkeypatch):
    # from a near-optimal start the Newton steps converge quadratically; once the
    # decrement sits at f's resolution the polish stops instead of stepping on until the
    # value stops changing (the rule switched off: _DEC_STALL = inf); same certified point
    from convexnn_lab.solvers import polish as polish_module

    rng = np.random.default_rng(3)
    X = cl.add_bias(rng.standard_normal((300, 8)))
    y = np.sign(rng.standard_normal(300))
    program = cl.ConvexProgram(X, y, 0.1, cl.sample_patterns(X, 40, seed=3), gated=True)
    ref = cl.solve_convex(X, y, 0.1, program.patterns, gated=True, solver="ipm", tol=1e-8,
                          progress=False)
    calls = count_loss_evaluations(monkeypatch)
    # whether a given start ends with steps at f's resolution depends on its last digits
    # (one start, seed 0, stopped saving a step when the interior point's rounding changed):
    # over five starts the rule never costs an evaluation and saves some
    spent = {polish_module._DEC_STALL: [], np.inf: []}
    for seed in range(5):
        start = ref.U * (1 + 1e-3 * np.random.default_rng(seed).standard_normal(ref.U.shape))
        points = []
        for stall in spent:
            monkeypatch.setattr(polish_module, "_DEC_STALL", stall)
            calls.clear()
            out = polish(program, start)
            assert out is not None and cl.certify(program, out[0]).proves(1e-9)
            spent[stall].append(len(calls))
            points.append(out[0])
        assert np.allclose(points[0], points[1], rtol=0, atol=1e-9 * np.abs(points[1]).max())
    with_rule, without = spent.values()
    assert all(a <= b for a, b in zip(with_rule, without))
    assert sum(with_rule) < sum(without)

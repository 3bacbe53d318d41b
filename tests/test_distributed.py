"""Row-sharded solves and pricing on 2 gloo processes give what one process gives."""

import time
import warnings

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.parallel import distributed as cd
from convexnn_lab.training.pricing import price_patterns, train_convex

BETA = {"fista": 0.5, "logistic": 0.5, "al": 0.05}
AL_SEED = 7  # data on which the AL is certified in 812 iterations (cheap on 2 busy cores)


def data(seed):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((40, 2)))
    return X, rng.standard_normal(40), cl.sample_patterns(X, 8, seed=1)


def solves(rows, distributed):
    """The three first-order solves of the suite, on `rows` of the data."""
    X, y, pats = data(0)
    Xa, ya, pa = data(AL_SEED)
    ylab = np.where(y > 0, 1.0, -1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every solve must end certified
        return {
            "fista": cl.solve_convex(X[rows], y[rows], BETA["fista"], pats[:, rows],
                                     gated=True, solver="fista", progress=False,
                                     distributed=distributed),
            "logistic": cl.solve_convex(X[rows], ylab[rows], BETA["logistic"], pats[:, rows],
                                        gated=True, loss="logistic", solver="fista",
                                        progress=False, distributed=distributed),
            "al": cl.solve_convex(Xa[rows], ya[rows], BETA["al"], pa[:, rows], solver="al",
                                  progress=False, distributed=distributed),
        }


def summary(sol):
    c = sol.certificate
    return {"objective": c.objective, "lower_bound": c.lower_bound, "gap": c.gap,
            "max_ratio": c.max_ratio, "cone_violation": c.cone_violation, "exact": c.exact,
            "status": sol.status, "U": sol.U, "V": sol.V, "iterations": sol.result.iterations,
            "solver": sol.solver, "dual": c.dual}


def rank_suite():
    """What every rank runs: its rows of the same data, then solves, pricing, training."""
    from convexnn_lab._internal.comm import communicator

    X, y, pats = data(0)
    rows = cd.shard_rows(len(X))
    Xr, yr, pr = X[rows], y[rows], pats[:, rows]
    out = {name: summary(s) for name, s in solves(rows, True).items()}
    sol = cl.solve_convex(Xr, yr, BETA["fista"], pr, gated=True, solver="fista",
                          progress=False, distributed=True)
    lam = yr - sol.program.output(sol.U, sol.V)
    out["pricing"] = price_patterns(Xr, lam, 0.1, gated=True, seed=0, distributed=True)
    report = train_convex(Xr, yr, 0.1, gated=True, solver="fista", initial_patterns=5,
                          per_round=5, max_rounds=2, seed=0, distributed=True)
    out["train"] = {"objectives": [r.objective for r in report.rounds],
                    "patterns": report.solution.patterns, "status": report.status}
    try:  # a setting that differs between ranks is named, on every rank
        cl.solve_convex(Xr, yr, 1.0 + cd.shard_rows(len(X)).start, pr, gated=True,
                        solver="fista", progress=False, distributed=True)
    except ValueError as err:
        out["disagree"] = str(err)
    comm = communicator(True)
    # rows by global index (pricing's row sample on large data), and every rank's rows
    out["rows"] = (comm.take_rows(Xr, [0, 19, 20, 39]), comm.concat_rows(Xr[:3]))
    out["traffic"] = (comm.calls, comm.bytes)
    return out


@pytest.fixture(scope="module")
def ranks():
    return cd.run_local(rank_suite, 2, timeout=60)


@pytest.mark.slow  # starts two torch.distributed ranks
@pytest.mark.parametrize("name", ["fista", "logistic", "al"])
def test_two_ranks_give_the_one_process_objective_and_certificate(ranks, name):
    ref = summary(solves(slice(None), False)[name])
    scale = abs(ref["objective"])
    for out in ranks:
        got = out[name]
        assert got["status"] == ref["status"] == "optimal"
        assert got["iterations"] == ref["iterations"]
        for key in ("objective", "lower_bound", "gap"):
            assert abs(got[key] - ref[key]) <= 1e-10 * scale, (key, got[key], ref[key])
        assert abs(got["max_ratio"] - ref["max_ratio"]) <= 1e-10
        assert abs(got["cone_violation"] - ref["cone_violation"]) <= 1e-10
        assert got["exact"] == ref["exact"]
        assert np.allclose(got["U"], ref["U"], rtol=0, atol=1e-10 * np.abs(ref["U"]).max())
        assert got["solver"].endswith("rows on 2 ranks")
    # every rank ends with the same weights, to the bit; each holds its rows of the dual
    assert np.array_equal(ranks[0][name]["U"], ranks[1][name]["U"])
    assert np.array_equal(ranks[0][name]["V"], ranks[1][name]["V"])
    dual = np.concatenate([out[name]["dual"] for out in ranks])
    assert np.allclose(dual, ref["dual"], rtol=0, atol=1e-9 * np.abs(ref["dual"]).max())


@pytest.mark.slow  # starts two torch.distributed ranks
def test_sharded_pricing_finds_the_one_process_patterns(ranks):
    X, y, pats = data(0)
    sol = cl.solve_convex(X, y, BETA["fista"], pats, gated=True, solver="fista",
                          progress=False)
    ref_pats, ref_ratios = price_patterns(X, y - sol.program.output(sol.U, sol.V), 0.1,
                                          gated=True, seed=0)
    got = np.hstack([out["pricing"][0] for out in ranks])  # each rank's columns

    def by_rows(pats):  # patterns of equal price come in an order round-off decides
        return pats[np.lexsort(pats.T[::-1])]

    assert got.shape == ref_pats.shape and np.array_equal(by_rows(got), by_rows(ref_pats))
    assert np.allclose(ranks[0]["pricing"][1], ref_ratios, rtol=1e-10, atol=0)
    assert ref_ratios[0] > 1  # the search found violated patterns to add


@pytest.mark.slow  # starts two torch.distributed ranks
def test_sharded_training_follows_the_one_process_rounds(ranks):
    X, y, _ = data(0)
    # exact_limit=1: the one-process run prices by the search too; warm_network=None: a
    # sharded run trains no L-BFGS warm network (it needs every row on one process)
    ref = train_convex(X, y, 0.1, gated=True, solver="fista", initial_patterns=5,
                       per_round=5, max_rounds=2, seed=0, exact_limit=1, warm_network=None)
    got = ranks[0]["train"]
    assert got["status"] == ref.status
    assert np.allclose(got["objectives"], [r.objective for r in ref.rounds], rtol=1e-10)
    patterns = np.hstack([out["train"]["patterns"] for out in ranks])
    assert np.array_equal(patterns, ref.solution.patterns)


@pytest.mark.slow  # starts two torch.distributed ranks
def test_ranks_that_disagree_are_told_which_setting(ranks):
    for out in ranks:
        assert "the ranks disagree on beta: [1.0, 21.0]" in out["disagree"]


@pytest.mark.slow  # starts two torch.distributed ranks
def test_rows_travel_by_global_index_in_rank_order(ranks):
    X = data(0)[0]
    for out in ranks:
        taken, stacked = out["rows"]
        assert np.array_equal(taken, X[[0, 19, 20, 39]])
        assert np.array_equal(stacked, np.vstack([X[:3], X[20:23]]))


@pytest.mark.slow  # starts two torch.distributed ranks
def test_communication_is_counted(ranks):
    calls, sent = ranks[0]["traffic"]
    assert calls > 0 and sent > 0 and ranks[1]["traffic"][0] == calls


def fail_on_rank_one():
    """Rank 1 rejects its data and stays alive a while without joining the collectives."""
    import torch.distributed as dist

    X, y, pats = data(0)
    rows = cd.shard_rows(len(X))
    if dist.get_rank() == 1:
        try:
            cl.solve_convex(X[rows], y[rows], 0.5, pats, gated=True, solver="fista",
                            distributed=True)  # patterns of every row: wrong shape
        finally:
            time.sleep(5)  # alive and silent: only the timeout can free rank 0
    start = time.perf_counter()
    try:
        cl.solve_convex(X[rows], y[rows], 0.5, pats[:, rows], gated=True, solver="fista",
                        progress=False, distributed=True)
    except RuntimeError as err:
        raise RuntimeError(f"after {time.perf_counter() - start:.1f} s: {err}") from err


@pytest.mark.slow  # starts two torch.distributed ranks
def test_a_failing_rank_stops_the_others_with_a_clear_error():
    with pytest.raises(RuntimeError) as info:
        cd.run_local(fail_on_rank_one, 2, timeout=2)
    text = str(info.value)
    assert text.startswith("2 of 2 ranks failed:\n  rank 0: RuntimeError: after ")
    assert "rank 1: ValueError: patterns must have one column per row of X" in text
    rank0 = text.split("\n")[1]
    assert "rank 0 of 2: the all-gather of the solve's settings across ranks failed" in rank0
    assert "did not answer within the process group's timeout" in rank0
    assert "every rank must make the same calls" in rank0
    # freed by the 2 s timeout, before rank 1 woke up: not a hang
    assert float(rank0.split("after ")[1].split(" s:")[0]) < 4.5


def test_without_a_process_group_the_error_says_how_to_launch():
    X, y, pats = data(0)
    with pytest.raises(RuntimeError, match="torchrun --nproc_per_node K"):
        cl.solve_convex(X, y, 0.5, pats, gated=True, distributed=True)
    with pytest.raises(ValueError, match="first-order solvers"):
        cl.solve_convex(X, y, 0.5, pats, solver="cvxpy", distributed=True)
    with pytest.raises(TypeError, match="distributed must be True or False"):
        cl.solve_convex(X, y, 0.5, pats, distributed="yes")


def test_shard_rows_splits_in_rank_order():
    parts = [cd.shard_rows(10, r, 3) for r in range(3)]
    assert parts == [slice(0, 4), slice(4, 7), slice(7, 10)]
    assert [len(a) for a in np.array_split(np.arange(10), 3)] == [4, 3, 3]
    with pytest.raises(ValueError, match="rank must be an integer in"):
        cd.shard_rows(10, 3, 3)
    with pytest.raises(ValueError, match="use fewer processes"):
        cd.shard_rows(2, 0, 3)


def test_the_model_crossover_is_where_k_devices_start_to_win():
    cluster = cd.CLUSTERS[0]
    for k in (2, 8):
        n = cd.crossover_rows(3073, 4096, k, cluster)
        assert cd.iteration_model(n, 3073, 4096, k, cluster)["speedup"] >= 1
        assert cd.iteration_model(n - 1, 3073, 4096, k, cluster)["speedup"] < 1
    # bandwidth-bound: n* -> 2 * 8 * flops / (F * bandwidth) for large d * P, F the flops
    # per row and block of an iteration
    limit = 16 * cluster.flops / (cd.FLOPS_PER_ITERATION * cluster.bandwidth)
    assert limit <= cd.crossover_rows(10**6, 10**6, 2, cluster) <= limit * (1 + 1e-5) + 1
    model = cd.iteration_model(50_000, 3073, 4096, 1, cluster)
    assert model["communicate"] == 0 and model["speedup"] == 1


def test_the_assumed_clusters_say_how_much_memory_a_device_has():
    for cluster in cd.CLUSTERS:
        assert 0 < cluster.memory < float("inf")
        cifar = cd.iteration_model(50_000, 3073, 4096, 1, cluster)["memory"]
        imagenet = cd.iteration_model(1_281_167, 3073, 4096, 1, cluster)["memory"]
        assert cifar < cluster.memory < imagenet  # the chapter 6 statements
    half = cd.iteration_model(50_000, 3073, 4096, 2, cd.CLUSTERS[0], dtype_bytes=4)
    full = cd.iteration_model(50_000, 3073, 4096, 2, cd.CLUSTERS[0])
    assert half["bytes"] * 2 == full["bytes"]

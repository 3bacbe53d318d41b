"""The benchmark scripts' own logic, on tiny sizes (speed goals live in bench/, not here)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_timing_mode_times_the_library_solver_and_counts_its_products():
    res = load("solvers").gpu_timing(300, 12, 20, "cpu", iters=(10, 30))
    d = 13  # the bias column
    assert res["solver"].startswith("fista") and res["d"] == d
    # each iteration runs at least the two products of a gradient step (the line search
    # and the certificate add more), each 2 n d P flops
    assert res["products_per_iteration"] >= 2
    assert res["flops_per_iteration"] == 2.0 * 300 * d * 20 * res["products_per_iteration"]
    assert [r["iterations"] for r in res["runs"]] == [10, 30]
    # under load the two solves' difference can be noise: then the longer solve's mean
    assert res["seconds_per_iteration"] > 0 and res["achieved_flops_per_second"] > 0
    assert res["timed_as"].startswith(("difference", "longer solve"))


def test_ratios_compare_the_same_program():
    bench = load("solvers")
    rows = [
        {"data": "a", "program": "gated", "method": "ours fista (cpu)", "seconds": 1.0,
         "objective": 2.0},
        {"data": "a", "program": "gated", "method": "cvxpy clarabel", "seconds": 4.0,
         "objective": 2.0},
        {"data": "a", "program": "relu", "method": "cvxpy clarabel", "seconds": 9.0,
         "objective": 5.0},
        {"data": "a", "program": "relu", "method": "ours ipm (cpu)", "seconds": 0.9,
         "objective": 5.0},
    ]
    gated, relu = bench.ratios(rows)
    assert gated["time_ratio"] == 0.25 and gated["program"] == "gated"
    assert np.isclose(relu["time_ratio"], 0.1) and relu["ours"] == "ours ipm (cpu)"


def test_relu_objective_scores_the_mapped_network():
    bench = load("solvers")
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    U, V = rng.standard_normal((3, 2)), np.zeros((3, 2))
    obj, pred = bench.relu_objective(X, y, 0.5, U, V)
    assert np.allclose(pred, np.maximum(X @ U, 0).sum(1))
    assert np.isclose(obj, 0.5 * np.sum((pred - y) ** 2) + 0.5 * np.linalg.norm(U, axis=0).sum())


def test_pattern_benchmark_runs():
    rows = load("patterns").run([20, 30], 3)
    assert all(r["patterns"] == r["formula"] for r in rows)


def test_images_benchmark_writes_json(tmp_path):
    import json

    out = tmp_path / "t.json"
    load("images").main(["--timing", "--scale", "200,10,16", "--json", str(out)])
    res = json.loads(out.read_text())
    assert res["flops_per_iteration"] == 2.0 * 200 * 11 * 16 * res["products_per_iteration"]


def test_distributed_bench_fits_the_model_and_times_one_rank():
    bench = load("distributed")
    rows = bench.model_table(sizes=((1000, 10, 20),), ks=(1, 2), clusters=bench.cd.CLUSTERS[:1])
    assert [r["k"] for r in rows] == [1, 2]
    assert rows[0]["speedup"] == 1 and rows[0]["crossover_rows"] is None
    assert rows[1]["crossover_rows"] == bench.cd.crossover_rows(10, 20, 2, bench.cd.CLUSTERS[0])
    measured = [{"ranks": 1, "compute": 0.01},
                {"ranks": 2, "allreduce_one_number": 1e-4, "allreduce": 1e-3}]
    fit = bench.fitted_cluster(measured, 100, 4, 6)
    assert np.isclose(fit.flops, bench.cd.FLOPS_PER_ITERATION * 100 * 5 * 6 / 0.01)
    assert np.isclose(fit.latency, 5e-5) and np.isclose(fit.bandwidth, (5 * 6 + 2) * 8 / 8e-4)
    # one process: no process group, the step's products and no traffic
    one = bench.step_timing(200, 5, 10, reps=2)
    assert one["ranks"] == 1 and one["bytes_per_iteration"] == 0 and one["step"] > 0


@pytest.mark.slow  # three convex heads, an Adam grid and three solvers: about 20 s
def test_heads_benchmark_runs_both_tables_on_the_shipped_slice(tmp_path):
    bench = load("heads")
    common = ["--source", "shipped", "--k", "4", "--json", str(tmp_path / "h.json")]
    out = bench.main(common + ["--max-rounds", "1", "--adam-steps", "5"])
    rows = {r["method"].split(" (")[0]: r for r in out["heads"]}
    assert list(rows)[:4] == ["convex from Adam's lowest L", "convex from L-BFGS",
                              "Adam, lowest L", "Adam, validation's lr"]
    assert all(0 <= r["test"] <= 1 for r in out["heads"])
    # the program on Adam's own patterns ends at most at Adam's L (chapter 04)
    assert rows["convex from Adam's lowest L"]["objective"] <= \
        rows["Adam, lowest L"]["objective"] * (1 + 1e-6)
    assert rows["MLPClassifier"]["objective"] is None
    solvers = bench.main(common + ["--solvers", "--P", "8", "--al-iterations", "300"])["solvers"]
    ipm = next(r for r in solvers if r["method"] == "ours ipm")
    assert ipm["gap"] <= 1e-4 and ipm["feasible"]  # certified by cl.certify, exact maxima
    assert min(r["above_best"] for r in solvers if r["feasible"]) == 0

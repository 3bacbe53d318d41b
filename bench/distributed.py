"""Benchmark: row-sharded first-order iterations on 1 and 2 processes, and the cost model.

    python bench/distributed.py [--n 8000 --d 50 --P 100] [--ranks 1,2] [--json out.json]

Measured here (gloo, CPU processes on this machine, one torch thread each):

* per rank count k: seconds per iteration of the gated program's FISTA step (the
  forward product at the extrapolated and at the line-search point, the adjoint, and
  the all-reduces of ``_comm``: the d x P gradient with the loss, then the line
  search's loss), split into compute and all-reduce time, and the bytes each rank sends
  into the all-reduces per iteration (counted by the communicator);
* a full ``solve_convex(..., distributed=True)`` of the same program for a fixed
  number of iterations: seconds per iteration including the certificate checks, and
  its objective (the same for every k).

The model (``cl.distributed.iteration_model``) is fitted to this machine (flop/s from
k = 1, all-reduce latency and bandwidth from timed all-reduces of one number and of the
gradient) and predicts the k = 2 time; then, with assumed GPU-cluster parameters
(``cl.distributed.CLUSTERS``), it gives the speedups at chapter 6's CIFAR-10 scale and
beyond, and the crossover: the fewest rows from which k devices beat one.  GPU times:
not measured (no GPU was available when this was written).

Quote ratios from one run, with the load average printed at the top: the machine the
numbers come from has 2 cores shared with other jobs, and two ranks on two busy cores
wait for each other at every all-reduce.  Each step time is the best of 5 blocks of
reps/5 steps (the least disturbed by other jobs); the solve's is one run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np

import convexnn_lab as cl
from convexnn_lab import distributed as cd


def problem(n, d, P, seed=0):
    """Synthetic gated program: X (n, d+1) with a bias column, y, P Gaussian patterns."""
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, d)))
    G = rng.standard_normal((d + 1, P))
    return X, rng.standard_normal(n), (X @ G >= 0).T


def step_timing(n, d, P, reps, seed=0):
    """What one rank measures: the FISTA step's products and all-reduces on its rows."""
    import torch

    from convexnn_lab._internal.comm import communicator
    from convexnn_lab.core.program import ConvexProgram
    from convexnn_lab.solvers.proximal import _Data, _prox

    X, y, pats = problem(n, d, P, seed)
    comm = communicator(torch.distributed.is_initialized())
    rows = cd.shard_rows(n, comm.rank, comm.world_size)
    prog = _Data(ConvexProgram(X[rows], y[rows], 1.0, pats[:, rows], gated=True), "cpu",
                 torch.float64)
    prog.comm = comm
    W = torch.zeros((d + 1, P), dtype=torch.float64)
    Z = W + 1e-3
    L = comm.spectral_norm2(prog.X)

    def local_parts(V):
        pred = prog.forward(V)
        return prog.data_loss(pred), prog.adjoint(prog.loss_grad(pred))

    def step():
        val, grad = comm.sum(*local_parts(Z))  # one all-reduce: gradient and loss
        W_new = _prox(Z - grad / L, 1.0 / L)
        comm.sum(prog.data_loss(prog.forward(W_new)))  # the line search's loss
        return val

    def compute_only():
        local_parts(Z)
        _prox(Z, 1.0 / L)
        prog.data_loss(prog.forward(Z))

    def reduce_only():
        comm.sum(torch.zeros(()), torch.zeros((d + 1, P), dtype=torch.float64))
        comm.sum(torch.zeros((), dtype=torch.float64))

    def timed(fn, blocks=5):
        """Seconds per call: the best of `blocks` blocks (the least disturbed by the
        machine's other jobs), every rank starting each block together."""
        fn()  # warm up
        size = max(reps // blocks, 1)
        best = float("inf")
        for _ in range(blocks):
            if comm.world_size > 1:
                comm.sum(0.0)
            start = time.perf_counter()
            for _ in range(size):
                fn()
            best = min(best, (time.perf_counter() - start) / size)
        return best

    before = getattr(comm, "bytes", 0)
    for _ in range(3):
        step()
    sent = (getattr(comm, "bytes", 0) - before) / 3
    t_step = timed(step)
    t_compute = timed(compute_only)
    t_reduce = timed(reduce_only) if comm.world_size > 1 else 0.0

    def one_number():
        comm.sum(torch.zeros((), dtype=torch.float64))

    t_latency = timed(one_number) if comm.world_size > 1 else 0.0
    return {"ranks": comm.world_size, "rows_per_rank": rows.stop - rows.start,
            "step": t_step, "compute": t_compute, "allreduce": t_reduce,
            "allreduce_one_number": t_latency, "bytes_per_iteration": sent}


def solve_timing(n, d, P, iters, seed=0):
    """A full distributed solve, stopped after `iters` iterations."""
    import torch

    X, y, pats = problem(n, d, P, seed)
    rows = cd.shard_rows(n, torch.distributed.get_rank(), torch.distributed.get_world_size())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stopped by max_iter on purpose
        sol = cl.solve_convex(X[rows], y[rows], 1e-3 * n, pats[:, rows], gated=True,
                              solver="fista", tol=1e-12, max_iter=iters, progress=False,
                              distributed=True)
    return {"seconds_per_iteration": sol.result.time / sol.result.iterations,
            "iterations": sol.result.iterations, "objective": sol.objective,
            "status": sol.status}


def measure(n, d, P, ranks, reps, iters):
    rows = []
    for k in ranks:
        step = cd.run_local(step_timing, k, args=(n, d, P, reps), timeout=300)
        solve = cd.run_local(solve_timing, k, args=(n, d, P, iters), timeout=300)
        # the slowest rank sets the pace
        rec = {key: max(s[key] for s in step) for key in step[0]}
        rec.update(solve[0])
        rec["same_objective_on_every_rank"] = len({s["objective"] for s in solve}) == 1
        rows.append(rec)
    return rows


def fitted_cluster(rows, n, d, P) -> cd.Cluster:
    """This machine as the model sees it: flop/s from k = 1, latency and bandwidth from
    the timed all-reduces of k = 2 (ring: 2 (k-1) steps, 2 (k-1)/k of the bytes)."""
    one = next(r for r in rows if r["ranks"] == 1)
    flops = cd.FLOPS_PER_ITERATION * n * (d + 1) * P / one["compute"]
    two = next((r for r in rows if r["ranks"] == 2), None)
    if two is None:
        return cd.Cluster("this machine (gloo)", flops, float("inf"), 0.0)
    latency = two["allreduce_one_number"] / 2
    payload = ((d + 1) * P + 2) * 8
    # the two all-reduces of a step: 2 * 2 (k - 1) latency steps, the gradient's bytes
    rest = max(two["allreduce"] - 2 * two["allreduce_one_number"], 1e-9)
    bandwidth = payload / rest
    return cd.Cluster("this machine (gloo, fitted)", flops, bandwidth, latency)


def model_table(sizes=((50_000, 3073, 4096), (1_281_167, 3073, 4096)), ks=(1, 2, 4, 8),
                clusters=cd.CLUSTERS):
    """Rows of the model on GPU clusters: seconds per iteration, speedup, memory per rank,
    and the crossover rows for each k."""
    out = []
    for cluster in clusters:
        for n, d, P in sizes:
            for k in ks:
                m = cd.iteration_model(n, d, P, k, cluster)
                out.append({"cluster": cluster.name, "n": n, "d": d, "P": P, "k": k,
                            "seconds": m["total"], "speedup": m["speedup"],
                            "memory_gb": m["memory"] / 1e9, "megabytes": m["bytes"] / 1e6,
                            "crossover_rows": (cd.crossover_rows(d, P, k, cluster)
                                               if k > 1 else None)})
    return out


def print_model(rows):
    print(f"{'cluster':28s} {'n':>9s} {'d':>5s} {'P':>5s} {'k':>2s} {'s/iter':>9s} "
          f"{'speedup':>7s} {'GB/rank':>8s} {'MB reduced':>10s} {'crossover n':>11s}")
    for r in rows:
        cross = "" if r["crossover_rows"] is None else f"{r['crossover_rows']:,d}"
        print(f"{r['cluster']:28s} {r['n']:9,d} {r['d']:5d} {r['P']:5d} {r['k']:2d} "
              f"{r['seconds']:9.4f} {r['speedup']:7.2f} {r['memory_gb']:8.1f} "
              f"{r['megabytes']:10.1f} {cross:>11s}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=8000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--P", type=int, default=100)
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--iters", type=int, default=60)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    ranks = [int(k) for k in args.ranks.split(",")]
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; "
          f"gloo, one torch thread per rank; n={args.n}, d={args.d}+1, P={args.P} (gated)")
    rows = measure(args.n, args.d, args.P, ranks, args.reps, args.iters)
    cluster = fitted_cluster(rows, args.n, args.d, args.P)
    print(f"\n{'k':>2s} {'rows/rank':>9s} {'step ms':>8s} {'compute':>8s} {'allreduce':>9s} "
          f"{'model ms':>8s} {'KB reduced/it':>13s} {'solve ms/it':>11s}  objective")
    for r in rows:
        model = cd.iteration_model(args.n, args.d + 1, args.P, r["ranks"], cluster)["total"]
        print(f"{r['ranks']:2d} {r['rows_per_rank']:9d} {1e3 * r['step']:8.2f} "
              f"{1e3 * r['compute']:8.2f} {1e3 * r['allreduce']:9.3f} {1e3 * model:8.2f} "
              f"{r['bytes_per_iteration'] / 1e3:13.1f} {1e3 * r['seconds_per_iteration']:11.2f}"
              f"  {r['objective']:.10g}{'' if r['same_objective_on_every_rank'] else ' (ranks differ!)'}")
    one = next(r for r in rows if r["ranks"] == 1)
    for r in rows:
        if r["ranks"] > 1:
            print(f"measured speedup of k={r['ranks']}: step {one['step'] / r['step']:.2f}x, "
                  f"solve {one['seconds_per_iteration'] / r['seconds_per_iteration']:.2f}x")
    print(f"fitted: {cluster.flops / 1e9:.2f} GFLOP/s per rank, all-reduce latency "
          f"{1e6 * cluster.latency:.0f} us per step, bandwidth {cluster.bandwidth / 1e9:.2f} GB/s; "
          f"crossover on this machine, k=2: n >= "
          f"{cd.crossover_rows(args.d + 1, args.P, 2, cluster):,d} rows")
    print("\nThe model on GPU clusters (assumed parameters; GPU times: not measured):")
    for c in cd.CLUSTERS:
        print(f"  {c.name}: {c.note}; latency {1e6 * c.latency:.0f} us")
    table = model_table()
    print_model(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"load": load, "args": vars(args), "measured": rows,
                       "fitted": vars(cluster) if hasattr(cluster, "__dict__") else None,
                       "model": table}, fh, indent=1, default=str)


if __name__ == "__main__":
    main()

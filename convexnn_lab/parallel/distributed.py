"""Solves that outgrow one device: rows sharded across processes (chapter 6, "Solve across
devices").

The rows of X (with y, the masks D_i and the cone multipliers) are split across K
processes of a ``torch.distributed`` process group; the blocks W (d, B) are replicated.
An iteration of FISTA or of the augmented Lagrangian then costs, per rank, the products
of its n/k rows (about ``6 (n/k) d B`` flops: the forward product at the extrapolated
point and at the line-search point, and the adjoint) plus one all-reduce of the d x B
gradient (B = P gated, 2P with cones) and of the loss, so more devices pay once the rows
are many compared with what the all-reduce costs (:func:`iteration_model`,
:func:`crossover_rows`).

* ``solve_convex(X_r, y_r, beta, patterns_r, distributed=True)`` and
  ``train_convex(..., distributed=True)`` inside a process group: the public switch;
  every rank passes its own rows (:func:`shard_rows`).
* ``torchrun --nproc_per_node K -m convexnn_lab.parallel.distributed`` runs the chapter's
  vector-output program that way (:func:`main`).
* :func:`run_local` starts K gloo processes on this machine (tests, the chapter's
  demonstration, ``bench/distributed.py``).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import socket
import sys
import time
from dataclasses import dataclass

import numpy as np

from .._internal.comm import LAUNCH_HINT, communicator
from .._internal.validation import check_positive_int
from ..solvers.budget import memory_estimate

__all__ = ["CLUSTERS", "Cluster", "crossover_rows", "iteration_model", "main", "run_local",
           "shard_rows", "solve_shard"]

# flops per row and block of one first-order iteration: the forward product X W at the
# line-search point and one adjoint (2 flops a multiply-add); the extrapolated point's
# product is extrapolated from the iterates' (solvers.proximal._fista)
FLOPS_PER_ITERATION = 4
# all-reduces per iteration: the gradient (with the loss) and the line search's loss
ALLREDUCES_PER_ITERATION = 2


def shard_rows(n: int, rank: int | None = None, world_size: int | None = None) -> slice:
    """The rows of rank `rank` among `world_size`: contiguous, sizes differing by at most 1
    (``np.array_split``'s rule), in rank order.

    Parameters
    ----------
    n : int
        Rows of the whole data.
    rank, world_size : int, optional
        Default: those of the initialized ``torch.distributed`` process group.

    Returns
    -------
    slice
        ``X[shard_rows(n)]``, ``y[...]``, ``patterns[:, ...]`` are this rank's part.
    """
    n = check_positive_int(n, "n")
    if rank is None or world_size is None:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError("shard_rows without rank and world_size reads them from the "
                               f"torch.distributed process group, and none is initialized: "
                               f"{LAUNCH_HINT}")
        rank, world_size = dist.get_rank(), dist.get_world_size()
    world_size = check_positive_int(world_size, "world_size")
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) \
            or not 0 <= rank < world_size:
        raise ValueError(f"rank must be an integer in [0, {world_size}), got {rank!r}")
    if n < world_size:
        raise ValueError(f"n={n} rows cannot give each of world_size={world_size} ranks a row; "
                         "use fewer processes")
    base, extra = divmod(n, world_size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def solve_shard(X, y, beta, patterns, **kwargs):
    """This rank's solve of the whole data: take its rows (:func:`shard_rows`) of X, y and
    the patterns and call ``solve_convex(..., distributed=True)``.

    For data every rank can hold (the chapter's demonstration, tests); at scale each
    rank loads only its own rows and calls ``solve_convex`` itself.
    """
    from ..solvers import solve_convex

    X, y, patterns = np.asarray(X), np.asarray(y), np.asarray(patterns)
    rows = shard_rows(X.shape[0])
    return solve_convex(X[rows], y[rows], beta, patterns[:, rows], distributed=True, **kwargs)


# --- local launcher ----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank, world_size, port, timeout, threads, fn, args, kwargs, queue):
    import torch
    import torch.distributed as dist

    torch.set_num_threads(threads)
    try:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world_size,
                                timeout=datetime.timedelta(seconds=timeout))
        try:
            queue.put((rank, True, fn(*args, **kwargs)))
        finally:
            dist.destroy_process_group()
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises
        queue.put((rank, False, f"{type(err).__name__}: {err}"))


def run_local(fn, world_size: int = 2, *, args=(), kwargs=None, timeout: float = 60.0,
              threads: int = 1) -> list:
    """Run ``fn(*args, **kwargs)`` on `world_size` new CPU processes joined in a gloo
    process group, and return their results in rank order.

    Parameters
    ----------
    fn : callable
        Importable by name (a module-level function: the processes are spawned), e.g.
        :func:`solve_shard`.
    world_size : int
    args, kwargs
        Passed to every rank (pickled).
    timeout : float
        Seconds the process group waits for a peer in a collective (the ranks then stop
        with a RuntimeError instead of hanging); the whole run is given
        ``2 * timeout + 120`` seconds.
    threads : int
        torch threads per process.

    Raises
    ------
    RuntimeError
        If any rank fails: every rank's error, in rank order.
    """
    import multiprocessing as mp

    world_size = check_positive_int(world_size, "world_size")
    threads = check_positive_int(threads, "threads")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=_rank_main, daemon=True,
                         args=(r, world_size, port, float(timeout), threads, fn, tuple(args),
                               dict(kwargs or {}), queue))
             for r in range(world_size)]
    for p in procs:
        p.start()
    results, errors = {}, {}
    deadline = time.monotonic() + 2 * timeout + 120
    import queue as queue_module

    while len(results) + len(errors) < world_size:
        try:
            rank, ok, value = queue.get(timeout=max(deadline - time.monotonic(), 0.1))
        except queue_module.Empty:
            break
        (results if ok else errors)[rank] = value
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()
            p.join()
    missing = [r for r in range(world_size) if r not in results and r not in errors]
    for r in missing:
        errors[r] = (f"no answer (exit code {procs[r].exitcode}); it died or ran past "
                     f"{2 * timeout + 120:.0f} s")
    if errors:
        lines = "\n".join(f"  rank {r}: {errors[r]}" for r in sorted(errors))
        raise RuntimeError(f"{len(errors)} of {world_size} ranks failed:\n{lines}")
    return [results[r] for r in range(world_size)]


# --- the cost model ------------------------------------------------------------------------
@dataclass(frozen=True)
class Cluster:
    """What an iteration costs on a kind of machine (the model's parameters).

    Attributes
    ----------
    name : str
    flops : float
        Sustained flop/s of one device on the solver's products (not the peak).
    bandwidth : float
        All-reduce bus bandwidth, bytes/s: a ring all-reduce of b bytes over k devices
        takes ``2 (k - 1) / k * b / bandwidth`` plus latency.
    latency : float
        Seconds per step of a ring all-reduce (``2 (k - 1)`` steps).
    note : str
        Where the numbers come from.
    memory : float
        Bytes of memory on one device (inf: not modelled), to compare with the
        ``memory`` of :func:`iteration_model`.
    """

    name: str
    flops: float
    bandwidth: float
    latency: float
    note: str = ""
    memory: float = float("inf")


# assumed parameters, orders of magnitude from vendor figures (not measured here)
CLUSTERS = (
    Cluster("GPUs in one node (NVLink)", flops=30e12, bandwidth=200e9, latency=10e-6,
            note="assumed: float64 matrix products at about half an H100's 67 TFLOP/s peak; "
                 "NCCL all-reduce bus bandwidth 200 GB/s; 80 GB per device (H100 SXM)",
            memory=80e9),
    Cluster("GPU nodes (InfiniBand)", flops=30e12, bandwidth=20e9, latency=30e-6,
            note="assumed: the same GPUs, one per node, on a 200 Gb/s link", memory=80e9),
)


def iteration_model(n: int, d: int, P: int, k: int, cluster: Cluster, *, gated: bool = True,
                    dtype_bytes: int = 8) -> dict:
    """Seconds per first-order iteration on `k` devices, by the model.

    ``compute = FLOPS_PER_ITERATION * (n / k) * d * B / flops`` (B = P gated, 2P with
    cones); ``communicate = ALLREDUCES_PER_ITERATION * 2 (k - 1) * latency
    + 2 (k - 1) / k * (d B + 1) * dtype_bytes / bandwidth`` (the gradient and the loss; the
    line search's second all-reduce carries one number); 0 for k = 1.

    Returns
    -------
    dict
        compute, communicate, total (seconds), speedup (against k = 1 by the same
        model), bytes (all-reduce payload per rank per iteration) and memory (bytes per
        rank, ``budget.memory_estimate`` of its rows).
    """
    for value, name in ((n, "n"), (d, "d"), (P, "P"), (k, "k")):
        check_positive_int(value, name)
    B = P if gated else 2 * P
    rows = math.ceil(n / k)
    compute = FLOPS_PER_ITERATION * rows * d * B / cluster.flops
    payload = (d * B + 2) * dtype_bytes
    if k == 1:
        communicate = 0.0
    else:
        communicate = (ALLREDUCES_PER_ITERATION * 2 * (k - 1) * cluster.latency
                       + 2 * (k - 1) / k * payload / cluster.bandwidth)
    one = FLOPS_PER_ITERATION * n * d * B / cluster.flops
    total = compute + communicate
    return {"compute": compute, "communicate": communicate, "total": total,
            "speedup": one / total, "bytes": payload if k > 1 else 0,
            "memory": memory_estimate(rows, d, P, gated=gated, dtype_bytes=dtype_bytes)}


def crossover_rows(d: int, P: int, k: int, cluster: Cluster, *, gated: bool = True,
                   dtype_bytes: int = 8) -> int:
    """The fewest rows n from which k devices beat one, by :func:`iteration_model`.

    Solving ``(1 - 1/k) * F n d B / flops = communicate(k)`` for n, F =
    ``FLOPS_PER_ITERATION``: the bandwidth part gives ``n = 2 * dtype_bytes * flops / (F *
    bandwidth)`` whatever d and B (both sides grow like d B), the latency part adds
    ``2 k * latency * flops / (F d B)``.
    """
    for value, name in ((d, "d"), (P, "P"), (k, "k")):
        check_positive_int(value, name)
    if k == 1:
        raise ValueError("k must be >= 2: the crossover compares k devices with one")
    B = P if gated else 2 * P
    communicate = iteration_model(1, d, P, k, cluster, gated=gated,
                                  dtype_bytes=dtype_bytes)["communicate"]
    return math.ceil(communicate * cluster.flops / (FLOPS_PER_ITERATION * d * B * (1 - 1 / k)))


# --- the torchrun entry point ---------------------------------------------------------------
def main(argv=None) -> int:
    """``torchrun --nproc_per_node K -m convexnn_lab.parallel.distributed [--data digits]``: the
    chapter's gated program (one-hot targets, convolutional gates) with rows sharded
    across the K ranks; rank 0 prints the result."""
    parser = argparse.ArgumentParser(prog="python -m convexnn_lab.parallel.distributed",
                                     description=main.__doc__)
    parser.add_argument("--data", default="digits", choices=("digits", "cifar10"))
    parser.add_argument("--n-train", type=int, default=None, help="rows (default: all)")
    parser.add_argument("--patterns", type=int, default=200, help="convolutional gates")
    parser.add_argument("--beta", type=float, default=None,
                        help="weight decay (default 1e-3 * n)")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=2000)
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    args = parser.parse_args(argv)
    if "RANK" not in os.environ:
        print(f"this entry point runs under torchrun: {LAUNCH_HINT}", file=sys.stderr)
        return 2
    import torch
    import torch.distributed as dist

    from ..chapters import images
    from ..core.patterns import conv_gates, patterns_of_directions
    from ..data.datasets import add_bias
    from ..solvers import solve_convex

    gpu = torch.cuda.is_available()
    if gpu:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if gpu else "gloo")
    comm = communicator(True)
    try:
        data = images.image_data(args.data, n_train=args.n_train)
        # every rank draws the same gates; at scale each rank would read only its rows
        rows = shard_rows(len(data.X_train))
        Xr = add_bias(data.X_train[rows])
        G = conv_gates(data.image_shape, args.patterns, d=Xr.shape[1],
                       rng=np.random.default_rng(0))
        Y = images.one_hot(data.y_train, int(data.y_train.max()) + 1)[rows]
        beta = args.beta if args.beta is not None else 1e-3 * len(data.X_train)
        start = time.perf_counter()
        sol = solve_convex(Xr, Y, beta, patterns_of_directions(Xr, G), gated=True,
                           solver="fista", tol=args.tol, max_iter=args.max_iter,
                           dtype=args.dtype, progress=False, distributed=True)
        seconds = time.perf_counter() - start
        iters = sum(s.result.iterations for s in sol.solutions)
        if comm.rank == 0:
            print(f"{args.data}: n={len(data.X_train)}, d={Xr.shape[1]}, P={G.shape[1]}, "
                  f"{Y.shape[1]} classes; {comm.world_size} ranks ({dist.get_backend()})")
            print(f"status {sol.status}, objective {sol.objective:.6g}, relative gap "
                  f"{sol.relative_gap:.1e}, {iters} iterations, {seconds:.1f} s")
            print(f"each iteration all-reduces the {Xr.shape[1]} x {G.shape[1]} gradient "
                  f"({Xr.shape[1] * G.shape[1] * (8 if args.dtype == 'float64' else 4) / 1e6:.2f}"
                  f" MB); rank 0 sent {getattr(comm, 'bytes', 0) / 1e6:.1f} MB in "
                  f"{getattr(comm, 'calls', 0)} collectives in all (certificates and the "
                  "Newton polish included)")
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The chapter-6 comparison at a chosen scale, written to JSON.

    python bench/images.py                                   # digits, CPU-sized
    python bench/images.py --dataset cifar10 --n-train 50000 --patterns 4096 --device cuda
    python bench/images.py --timing --device cuda --scale 50000,3072,4096

The comparison (convex gated ReLU with FISTA, convex ReLU, Adam and SGD on the same data and
objective) is ``convexnn_lab.chapters.images.compare_training``; ``--timing`` reports seconds per FISTA
iteration of the library's FISTA and its achieved FLOP/s at a given (n, d, P) on synthetic data
of that shape (``bench/solvers.py``'s timing mode).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
from pathlib import Path

from convexnn_lab import images


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="digits", choices=["digits", "cifar10"])
    p.add_argument("--cifar-dir", default=None, help="folder of the CIFAR-10 python batches")
    p.add_argument("--n-train", type=int, default=None)
    p.add_argument("--n-test", type=int, default=None)
    p.add_argument("--patterns", type=int, default=100)
    p.add_argument("--relu-patterns", type=int, default=10)
    p.add_argument("--beta", type=float, default=5.0)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--tol", type=float, default=1e-6)
    p.add_argument("--device", default=None)
    p.add_argument("--timing", action="store_true", help="seconds per iteration and FLOP/s")
    p.add_argument("--scale", default="50000,3072,4096", help="n,d,P of the timing mode")
    p.add_argument("--json", default="bench/results/images.json")
    args = p.parse_args(argv)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    if args.timing:
        spec = importlib.util.spec_from_file_location(
            "bench_solvers", Path(__file__).with_name("solvers.py"))
        solvers = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(solvers)
        n, d, P = (int(v) for v in args.scale.split(","))
        result = solvers.gpu_timing(n, d, P, args.device or "cpu")
    else:
        data = images.image_data(args.dataset, n_train=args.n_train, n_test=args.n_test,
                                 path=args.cifar_dir)
        runs = images.compare_training(data, n_patterns=args.patterns,
                                       relu_patterns=args.relu_patterns, beta=args.beta,
                                       steps=args.steps, tol=args.tol, device=args.device)
        result = {"dataset": data.name, "n_train": len(data.X_train),
                  "runs": [dataclasses.asdict(r) for r in runs]}
        for r in runs:
            print(f"{r.method:50s} {r.seconds:8.2f} s on {r.device:4s} objective "
                  f"{r.objective:10.3f} train {r.train_accuracy:.3f} test {r.test_accuracy:.3f}")
    print(json.dumps(result, indent=2, default=float)[:2000] if args.timing else "")
    with open(args.json, "w") as fh:
        json.dump(result, fh, indent=2, default=float)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

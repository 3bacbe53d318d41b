"""Benchmark: exact arrangement enumeration against Gaussian sampling.

    python bench/patterns.py [--sizes 100 200 400] [--rank 3] [--json out.json]

For rank-r Gaussian data with n rows it times ``enumerate_patterns`` (all cells,
exactly) and, as the reference measured in the same run, ``sample_patterns`` with the
same number of directions as there are cells.  It prints the time ratio and the
fraction of cells the sampling found, so the cost of exactness is a measured number.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import convexnn_lab as cl


def run(sizes, rank, seed=0):
    rows = []
    for n in sizes:
        X = np.random.default_rng(seed).standard_normal((n, rank))
        t0 = time.perf_counter()
        exact = cl.enumerate_patterns(X, max_patterns=10**7)
        t_exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        sampled = cl.sample_patterns(X, len(exact), seed=seed)
        t_sample = time.perf_counter() - t0
        rows.append({
            "n": n, "rank": rank, "patterns": len(exact),
            "formula": cl.general_position_count(n, rank),
            "enumerate_s": t_exact, "sample_s": t_sample,
            "ratio_enumerate_over_sample": t_exact / t_sample,
            "sampled_fraction": len(sampled) / len(exact),
        })
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400])
    p.add_argument("--rank", type=int, default=3)
    p.add_argument("--json", default=None, help="write the rows to this JSON file")
    args = p.parse_args(argv)
    rows = run(args.sizes, args.rank)
    print(f"{'n':>6} {'patterns':>9} {'exact s':>8} {'sample s':>9} {'ratio':>7} {'sampled':>8}")
    for r in rows:
        assert r["patterns"] == r["formula"]
        print(f"{r['n']:6d} {r['patterns']:9d} {r['enumerate_s']:8.3f} {r['sample_s']:9.3f} "
              f"{r['ratio_enumerate_over_sample']:7.1f} {r['sampled_fraction']:8.1%}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()

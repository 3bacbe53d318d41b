"""Benchmark: certified global optimality beyond enumeration (cl.price_exact, cl.global_bound).

    python bench/global.py [--sets planted:300x3,wine] [--budget 600] [--checkpoints 60,600]
                           [--adam] [--scip 30] [--dnn 600] [--json out.json]

Per data set, ReLU, squared loss, beta 0.1 (issue #35's setting):

* **train_convex(pricing="auto")**: column generation whose pricing is the search, then
  the branch and bound of ``price_exact`` when the search finds nothing; every round
  that ran the branch and bound records a proven lower bound on the optimum over
  networks of any width.  The row gives the status, the objective, the best lower bound
  and the relative gap at each checkpoint (seconds), the rounds and the pricing time.
* **global_bound of Adam's best network** (``--adam``): width 100, the lr grid of
  ``bench/beat_adam.py``; the gap it certifies within ``--bound-time`` seconds.
* **SCIP** (``--scip SECONDS``, needs ``pip install pyscipopt``; an optional baseline,
  never a test dependency): the price of the final dual vector as a mixed-integer
  quadratically constrained program (one binary per row with lambda_i > 0, big-M
  ||x_i||), both signs, against ``price_exact`` on the same vector: each one's upper
  bound and seconds.
* **The DNN relaxation** (``--dnn SECONDS``): ``cl.dnn_bound``'s proven lower bound with
  the solver stopped after SECONDS (n <= 700), its gap to train_convex's network, and the gap
  of the better of the two bounds.

Data: planted ReLU teachers ``planted:NxD`` (N points, D Gaussian features plus a bias
column, 5 teacher neurons, noise 0.1) and the standardized scikit-learn sets wine (class
0 against the rest, +-1), diabetes (standardized target) and breast_cancer (+-1), each
with a bias column.  Wall times depend on the machine and its load: the script prints
the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np

import convexnn_lab as cl
from convexnn_lab.core.losses import dual_residual

BETA = 0.1


def planted(n, d, seed=0, width=5, noise=0.1):
    """A ReLU teacher of `width` neurons on d Gaussian features plus a bias column."""
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, d)))
    W, a = rng.standard_normal((d + 1, width)), rng.standard_normal(width)
    return X, np.maximum(X @ W, 0) @ a + noise * rng.standard_normal(n)


def real(name):
    """A whole scikit-learn set, standardized, with a bias column (issue #35's targets)."""
    import sklearn.datasets as skd

    bunch = getattr(skd, f"load_{name}")()
    X, y = bunch.data.astype(np.float64), bunch.target.astype(np.float64)
    scale = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    if name == "wine":
        y = np.where(y == 0, 1.0, -1.0)
    elif name == "breast_cancer":
        y = np.where(y == 1, 1.0, -1.0)
    else:
        y = (y - y.mean()) / y.std()
    return cl.add_bias(X), y


def load(spec):
    if spec.startswith("planted:"):
        n, d = spec.split(":")[1].split("x")
        return planted(int(n), int(d))
    return real(spec)


def gap_at(report, seconds):
    """The best lower bound and relative gap the rounds had proven by `seconds`."""
    best, objective = None, None
    for r in report.rounds:
        if r.seconds > seconds:
            break
        objective = r.objective
        if r.lower_bound is not None:
            best = r.lower_bound if best is None else max(best, r.lower_bound)
    if best is None or objective is None:
        return None
    return max(objective - best, 0.0) / abs(objective)


def scip_price(X, lam, time_limit):
    """SCIP's bound on max_{||u||<=1} |lam^T relu(X u)|: (upper bound, best found, seconds)."""
    from pyscipopt import Model, quicksum

    n, d = X.shape
    big = np.linalg.norm(X, axis=1)
    upper, found, start = 0.0, 0.0, time.perf_counter()
    for sign in (1.0, -1.0):
        w = sign * lam
        m = Model()
        m.hideOutput()
        m.setParam("limits/time", max(time_limit - (time.perf_counter() - start), 1.0))
        u = [m.addVar(lb=-1, ub=1) for _ in range(d)]
        z = [m.addVar(lb=0, ub=float(big[i])) for i in range(n)]
        for i in range(n):
            a = quicksum(float(X[i, j]) * u[j] for j in range(d))
            m.addCons(z[i] >= a)
            if w[i] > 0:  # the convex terms need the binary; the others sit at max(0, a)
                s = m.addVar(vtype="B")
                m.addCons(z[i] <= a + float(big[i]) * (1 - s))
                m.addCons(z[i] <= float(big[i]) * s)
        m.addCons(quicksum(v * v for v in u) <= 1)
        m.setObjective(quicksum(float(w[i]) * z[i] for i in range(n)), "maximize")
        m.optimize()
        upper = max(upper, m.getDualbound())
        if m.getNSols():
            found = max(found, m.getObjVal())
    return upper, found, time.perf_counter() - start


def bench(spec, budget, checkpoints, adam, scip, bound_time, dnn=0.0):
    X, y = load(spec)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.status.ConvergenceWarning)
        t0 = time.perf_counter()
        report = cl.train_convex(X, y, BETA, pricing="auto", time_limit=budget,
                                 max_rounds=100_000, max_patterns=100_000)
        seconds = time.perf_counter() - t0
    lows = [r.lower_bound for r in report.rounds if r.lower_bound is not None]
    rows.append(dict(
        data=spec, n=X.shape[0], d=X.shape[1], method="train_convex pricing=auto",
        status=report.status, objective=report.objective,
        lower_bound=max(lows) if lows else None,
        gap=(report.global_gap / abs(report.objective)
             if report.global_gap is not None else None),
        gaps={c: gap_at(report, c) for c in checkpoints}, seconds=seconds,
        rounds=len(report.rounds), pricing_seconds=report.phases["pricing"]))
    if adam:
        import importlib.util
        from pathlib import Path

        spec_b = importlib.util.spec_from_file_location(
            "beat_adam", Path(__file__).with_name("beat_adam.py"))
        beat = importlib.util.module_from_spec(spec_b)
        spec_b.loader.exec_module(beat)
        net, lr, _, grid_seconds, _ = beat.adam_grid(X, y, BETA)
        bound = cl.global_bound(X, y, BETA, net, time_limit=bound_time)
        rows.append(dict(data=spec, method=f"global_bound of Adam (w=100, lr={lr})",
                         status=bound.status, objective=bound.objective,
                         lower_bound=bound.lower_bound, gap=bound.gap,
                         seconds=bound.seconds, grid_seconds=grid_seconds))
    if dnn:
        relaxed = cl.dnn_bound(X, y, BETA, time_limit=dnn)
        best = max(relaxed.lower_bound, max(lows) if lows else -np.inf)
        rows.append(dict(data=spec, method=f"dnn_bound ({dnn:g} s)", status=relaxed.status,
                         lower_bound=relaxed.lower_bound, sdp_value=relaxed.relaxation_value,
                         gap=(report.objective - relaxed.lower_bound) / abs(report.objective),
                         best_gap=(report.objective - best) / abs(report.objective),
                         seconds=relaxed.seconds))
    if scip:
        sol = report.solution
        lam = dual_residual(sol.program.output(sol.U, sol.V), y)
        up, found, t_scip = scip_price(X, lam, scip)
        ours = cl.price_exact(X, lam, time_limit=scip, rtol=1e-6)
        rows.append(dict(data=spec, method="price of the final lambda / beta",
                         scip_upper=up / BETA, scip_found=found / BETA, scip_seconds=t_scip,
                         ours_upper=ours.upper_bound / BETA, ours_found=ours.price / BETA,
                         ours_seconds=ours.seconds, ours_status=ours.status))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="planted:300x2,planted:300x3,wine,diabetes")
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--checkpoints", default="60,600")
    parser.add_argument("--adam", action="store_true")
    parser.add_argument("--scip", type=float, default=0.0)
    parser.add_argument("--bound-time", type=float, default=60.0)
    parser.add_argument("--dnn", type=float, default=0.0)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    checkpoints = [float(c) for c in args.checkpoints.split(",")]
    print("load average before:", os.getloadavg())
    rows = []
    for spec in args.sets.split(","):
        for row in bench(spec, args.budget, checkpoints, args.adam, args.scip,
                         args.bound_time, args.dnn):
            print(json.dumps(row, default=float))
            rows.append(row)
    print("load average after:", os.getloadavg())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1, default=float)
    return rows


if __name__ == "__main__":
    main()

"""Benchmark: chapter 10 at full scale, and the solvers on one head's program.

    python bench/heads.py                      # all 37,243 tweets (needs the cache, below)
    python bench/heads.py --source shipped     # the 3,000 shipped tweets (chapter 10's data)
    python bench/heads.py --solvers --P 500    # table 2 only: the ReLU program with cones
    python bench/heads.py --solvers --k 384    # the same program on the whole embedding

The full set needs the embeddings cached once: ``pip install -e ".[text]"``, then
``python -c "import convexnn_lab as cl; cl.load_tweets(source='full')"`` (about 4 minutes
on 2 cores with the machine to itself; ``--cache-dir`` or ``CONVEXNN_CACHE`` says where).

**Table 1, the heads** (chapter 10's comparison): the embeddings projected on their top k
principal components (fitted on the fit rows), a quarter of the training tweets held out for
validation, three classes one-vs-rest.  Rows: ``train_convex`` per class with its defaults
(or ``--max-rounds``), from Adam's lowest-L heads (its seconds are its own: add the grid's
for the whole route) and from its own L-BFGS start; Adam (width 100, full batch,
``--adam-steps`` steps, best iterate) at the lr of (1e-3, 1e-2, 5e-2) with the lowest summed
L and at the one whose heads classify the validation split best, each with the whole
grid's time; scikit-learn's MLPClassifier (100 neurons shared by the classes) and
LogisticRegression on the same features, and LogisticRegression on all 384.  Columns: test
accuracy, the summed per-class objective L of the two-layer heads, seconds.  ``--repeats``
runs everything that many times and prints the median time.

**Table 2, the solvers** (``--solvers``): one program, the negative-vs-rest ReLU program with
cones on the fit rows, features k components and a bias, ``--P`` Gaussian patterns, beta
``--beta``.  Our interior point, our augmented Lagrangian and pyscnn's AL (when installed:
``pip install -e ".[bench]"`` then ``pip install --no-deps pyscnn==0.0.10``; its default
settings and tol=1e-6, ``--pyscnn-runs``); our AL stops at ``--al-iterations``.
Every point is certified by ``cl.certify`` on the same program (exact cone maxima), so the
column "certified gap" is comparable across methods; "above best" is the objective minus the
lowest objective of a point inside its cones, relative (a point outside them is a network
with other patterns, whose objective can be below the program's optimum).

Wall times depend on the machine and its load: the script prints the load average before and
after, and ratios measured within one run are what to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np

import convexnn_lab as cl
from convexnn_lab.chapters import heads

LRS = (1e-3, 1e-2, 5e-2)


def split(source, k, cache_dir, seed=0):
    """Features (with a bias) and labels of the fit, validation and test rows, the raw
    embeddings of fit and test, and the projection."""
    data = cl.load_tweets(source=source, cache_dir=cache_dir, seed=seed)
    fit, val = cl.datasets.validation_split(len(data.y_train), 0.25, seed=seed,
                                            labels=data.y_train)
    proj = heads.Projection.fit(data.X_train[fit], k) if k < data.X_train.shape[1] else None
    feat = (lambda E: heads.features(proj, E)) if proj else cl.add_bias  # noqa: E731
    return dict(X_fit=feat(data.X_train[fit]), X_val=feat(data.X_train[val]),
                X_test=feat(data.X_test), y_fit=data.y_train[fit], y_val=data.y_train[val],
                y_test=data.y_test, E_fit=data.X_train[fit], E_test=data.X_test)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def heads_table(d, beta, max_rounds, adam_steps):
    """One run of every head (chapter 10's rows): (method, test accuracy, summed L or
    None, seconds)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    Xf, yf, Xt, yt = d["X_fit"], d["y_fit"], d["X_test"], d["y_test"]
    kwargs = {} if max_rounds is None else {"max_rounds": max_rounds}
    adam = heads.fit_adam_heads(Xf, yf, beta, 3, d["X_val"], d["y_val"], steps=adam_steps)
    lowest_lr, lowest = adam.lowest()
    conv = heads.fit_convex_heads(Xf, yf, beta, 3, seed=0, **kwargs)
    polished = heads.fit_convex_heads(Xf, yf, beta, 3, warm_networks=lowest, seed=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp, t_mlp = timed(lambda: MLPClassifier((100,), max_iter=300, random_state=0)
                           .fit(Xf[:, :-1], yf))
        lin, t_lin = timed(lambda: LogisticRegression(max_iter=2000).fit(Xf[:, :-1], yf))
        full, t_full = timed(lambda: LogisticRegression(max_iter=2000).fit(d["E_fit"], yf))

    def row(name, fit, nets=None):
        nets = fit.networks if nets is None else nets
        return (name, heads.head_accuracy(nets, Xt, yt), heads.head_objective(nets, Xf, yf, beta),
                fit.seconds)

    def statuses(fit):
        return ",".join(f"{r.status} {len(r.rounds)}" for r in fit.reports)

    return [
        row(f"convex from Adam's lowest L ({statuses(polished)}; + grid)", polished),
        row(f"convex from L-BFGS ({statuses(conv)})", conv),
        row(f"Adam, lowest L (lr {lowest_lr:g}; grid time)", adam, lowest),
        row(f"Adam, validation's lr ({adam.lr:g}; grid time)", adam),
        ("MLPClassifier (100, shared)", mlp.score(Xt[:, :-1], yt), None, t_mlp),
        ("LogisticRegression, same features", lin.score(Xt[:, :-1], yt), None, t_lin),
        ("LogisticRegression, all 384", full.score(d["E_test"], yt), None, t_full),
    ]


def run_heads(d, args):
    runs = [heads_table(d, args.beta, args.max_rounds, args.adam_steps)
            for _ in range(args.repeats)]
    print(f"\nTable 1: heads, n_fit {len(d['y_fit'])}, n_test {len(d['y_test'])}, "
          f"features {d['X_fit'].shape[1]} (with the bias), beta {args.beta:g}")
    print(f"  {'head':64s} {'test acc':>8s} {'summed L':>10s} {'seconds (median)':>17s}")
    rows = []
    for j, (name, acc, L, _) in enumerate(runs[0]):
        secs = statistics.median(run[j][3] for run in runs)
        print(f"  {name:64s} {acc:8.3f} {'-' if L is None else f'{L:.2f}':>10s} {secs:17.1f}")
        rows.append(dict(method=name, test=acc, objective=L, seconds=secs,
                         all_seconds=[run[j][3] for run in runs]))
    return rows


def run_pyscnn(X, y, beta, G, tol):
    from scnn.metrics import Metrics
    from scnn.models import ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL

    model = ConvexReLU(G)
    solver = AL(model) if tol is None else AL(model, max_primal_iters=100_000,
                                              max_dual_iters=100_000, tol=tol,
                                              constraint_tol=tol)
    cvx, _ = optimize_model(model, solver, Metrics(), X, y, regularizer=NeuronGL1(beta / len(y)),
                            return_convex=True, unitize_data=False, dtype="float64",
                            verbose=False)
    U = np.asarray(cvx.parameters[0])[0].T
    V = np.asarray(cvx.parameters[1])[0].T
    return U, V, np.asarray(cvx.G)


def run_solvers(d, args):
    X, y = d["X_fit"], np.where(d["y_fit"] == 0, 1.0, -1.0)  # negative vs rest
    patterns, G = cl.sample_patterns(X, args.P, seed=0, return_directions=True)
    program = cl.ConvexProgram(X, y, args.beta, patterns)
    print(f"\nTable 2: {program} (negative vs rest); our AL stops at {args.al_iterations} "
          "iterations")
    rows = []

    def add(method, seconds, U, V, prog=program, note=""):
        cert = cl.certify(prog, U, V, exact=True)
        rows.append(dict(method=method, seconds=seconds, objective=cert.objective,
                         gap=cert.relative_gap, feasible=cert.feasible, note=note))
        # each row as soon as it is measured: a long run stopped later keeps what it has
        print(f"  ... {method}: {seconds:.1f} s, objective {cert.objective:.6f}, certified "
              f"gap {cert.relative_gap:.1e}, {'inside' if cert.feasible else 'outside'} its "
              f"cones; {note}", flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for solver in ("ipm", "al"):
            try:
                sol, t = timed(lambda: cl.solve_convex(program, solver=solver, tol=args.tol,
                                                       max_iter=args.al_iterations,
                                                       progress=False))
            except (MemoryError, ValueError, RuntimeError) as err:
                rows.append(dict(method=f"ours {solver}", seconds=float("nan"),
                                 objective=float("nan"), gap=float("nan"), feasible=False,
                                 note=f"{type(err).__name__}: {str(err)[:90]}"))
                continue
            add(f"ours {solver}", t, sol.U, sol.V, note=sol.status)
        try:
            import scnn  # noqa: F401
        except ImportError:
            print("  (pyscnn not installed: its rows are skipped)")
        else:
            for label, tol in [("defaults", None), ("tol=1e-6", 1e-6)][:args.pyscnn_runs]:
                (U, V, G2), t = timed(lambda: run_pyscnn(X, y, args.beta, G, tol))
                prog = cl.ConvexProgram(X, y, args.beta, (X @ G2 >= 0).T)
                add(f"pyscnn al {label}", t, U, V, prog)
    # the lowest objective of a point inside its cones (a point outside them maps to a
    # network with other patterns, which can score below the program's optimum)
    best = min((r["objective"] for r in rows if r["feasible"] and np.isfinite(r["objective"])),
               default=float("nan"))
    print(f"  {'method':22s} {'seconds':>8s} {'objective':>12s} {'above best':>10s} "
          f"{'certified gap':>13s}  note")
    for r in rows:
        r["above_best"] = (r["objective"] - best) / abs(best)
        print(f"  {r['method']:22s} {r['seconds']:8.1f} {r['objective']:12.4f} "
              f"{r['above_best']:10.1e} {r['gap']:13.1e}  "
              f"{'' if r['feasible'] else 'outside its cones; '}{r['note']}")
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", default="full", choices=("full", "shipped"))
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--k", type=int, default=16, help="principal components (384: all)")
    p.add_argument("--beta", type=float, default=5.0)
    p.add_argument("--max-rounds", type=int, default=None,
                   help="train_convex's max_rounds (default: its defaults)")
    p.add_argument("--adam-steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--solvers", action="store_true", help="table 2 only")
    p.add_argument("--P", type=int, default=500)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--al-iterations", type=int, default=20_000)
    p.add_argument("--pyscnn-runs", type=int, default=2, choices=(0, 1, 2),
                   help="pyscnn's AL with its defaults (1) and also at tol=1e-6 (2)")
    p.add_argument("--json", default="bench/results/heads.json")
    args = p.parse_args(argv)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} cores)")
    d = split(args.source, args.k, args.cache_dir)
    out = {"args": vars(args)}
    if not args.solvers:
        out["heads"] = run_heads(d, args)
    out["solvers"] = run_solvers(d, args) if args.solvers else None
    load = os.getloadavg()
    print(f"\nload average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as fh:
        json.dump(out, fh, indent=1, default=float)
    print(f"wrote {args.json}")
    return out


if __name__ == "__main__":
    main()

"""Benchmark: our torch solvers against CVXPY (Clarabel, SCS), pyscnn and Adam.

Ours: the interior-point method ("ipm", both programs) and the first-order solvers
("fista" for gated ReLU, "al" for the cones), all on the CPU, stopping at a certified
relative gap of 1e-6.

    python bench/solvers.py [--patterns 30] [--beta 1.0] [--json bench/results/solvers.json]
    python bench/solvers.py --device cuda --scale 50000,3072,4096   # GPU timing mode
    python bench/solvers.py --only timing --scale 2000,64,256        # the same on the CPU

Every method gets the same X (bias column added), the same sampled patterns (and the
same gate directions for pyscnn), the same beta, and is scored with the same
objective L (notation, chapter 00), evaluated by us on the weights it returns:

* pyscnn minimizes (1/(2n)) ||.||^2 + lam * R; we pass lam = beta / n (so its
  objective is ours divided by n) and evaluate our objective on its convex weights.
  It runs twice: at its defaults and with a tight tolerance, for a matched accuracy.
* ReLU solutions that leave their cones a little are scored as the network they map
  to (sum_j relu(X u_j) - relu(X v_j)), i.e. what they really achieve.
* Adam trains the non-convex network (width P) on the same objective; best of a small
  learning-rate grid.  With sampled patterns the convex program is a restriction, so
  Adam may end lower; the table says so rather than hiding it.

The table prints wall time, objective, relative difference to the best objective of
the same program, certified gap where the method has one, and test accuracy (R^2
for regression); then the ratios ours/theirs measured in this run.  Install the peer
with ``pip install -e ".[bench]"`` then ``pip install --no-deps pyscnn==0.0.10`` (its
torchvision requirement is unused and would pull a CUDA torch).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np

import convexnn_lab as cl
from convexnn_lab.core.activations import pattern_slopes
from convexnn_lab.core.losses import data_loss


def datasets(n_synthetic=2000, seed=0):
    bc = cl.load_dataset("breast_cancer", seed=seed)
    yield "breast_cancer", bc.X_train, *bc.signed_labels(), bc.X_test, "classification"
    dg = cl.load_dataset("digits", seed=seed)
    to_pm = lambda v: np.where(v >= 5, 1.0, -1.0)  # noqa: E731 - digits 5-9 against 0-4
    yield "digits (0-4 vs 5-9)", dg.X_train, to_pm(dg.y_train), to_pm(dg.y_test), dg.X_test, \
        "classification"
    db = cl.load_dataset("diabetes", seed=seed)
    yield "diabetes", db.X_train, db.y_train, db.y_test, db.X_test, "regression"
    Xs, ys, _ = cl.datasets.planted_relu(n_synthetic + 500, 20, m=5, noise=0.1, seed=seed)
    yield f"synthetic n={n_synthetic}", Xs[:n_synthetic], ys[:n_synthetic], ys[n_synthetic:], \
        Xs[n_synthetic:], "regression"


def score(pred, y, task):
    if task == "classification":
        return float(np.mean(np.where(pred >= 0, 1.0, -1.0) == y))
    return float(1 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2))


def relu_objective(X, y, beta, U, V):
    """Objective of the network the blocks map to (ReLU), and its output."""
    pred = np.maximum(X @ U, 0).sum(1) - np.maximum(X @ V, 0).sum(1)
    reg = np.linalg.norm(U, axis=0).sum() + np.linalg.norm(V, axis=0).sum()
    return data_loss(pred, y) + beta * reg, pred


def gated_objective(X, y, beta, patterns, U):
    return cl.ConvexProgram(X, y, beta, patterns, gated=True).objective(U), None


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_pyscnn(X, y, beta, G, gated, tol):
    from scnn.metrics import Metrics
    from scnn.models import ConvexGatedReLU, ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL, RFISTA

    model = ConvexGatedReLU(G) if gated else ConvexReLU(G)
    if tol is None:
        solver = RFISTA(model) if gated else AL(model)
    elif gated:
        solver = RFISTA(model, max_iters=100_000, tol=tol)
    else:
        solver = AL(model, max_primal_iters=100_000, max_dual_iters=100_000, tol=tol,
                    constraint_tol=tol)
    cvx, _ = optimize_model(model, solver, Metrics(), X, y,
                            regularizer=NeuronGL1(beta / len(y)), return_convex=True,
                            unitize_data=False, dtype="float64", verbose=False)
    U = np.asarray(cvx.parameters[0])[0].T
    V = None if gated else np.asarray(cvx.parameters[1])[0].T
    # pyscnn drops duplicate gates and reorders them: pair its weights with its gates
    return U, V, np.asarray(cvx.G)


def bench_dataset(name, X, y, y_test, X_test, task, P, beta, seed, have_pyscnn, lrs, steps,
                  methods=None):
    """Rows of the table for one data set; `methods` (a set of "ipm", "first-order",
    "clarabel", "scs", "pyscnn", "adam") limits what runs (None: everything)."""
    runs = (lambda m: True) if methods is None else (lambda m: m in methods)
    X, X_test = cl.add_bias(X), cl.add_bias(X_test)
    patterns, G = cl.sample_patterns(X, P, seed=seed, return_directions=True)
    rows = []

    def add(program, method, seconds, objective, pred_test, gap=None, note="", phases=None,
            iterations=None):
        rows.append({"data": name, "program": program, "method": method, "seconds": seconds,
                     "objective": float(objective), "gap": gap,
                     "test": score(pred_test, y_test, task), "note": note,
                     "phases": phases or {}, "iterations": iterations})

    for gated in (True, False):
        program = "gated" if gated else "relu"
        for ours in ("ipm", "fista" if gated else "al"):
            if not runs("ipm" if ours == "ipm" else "first-order"):
                continue
            sol, t = timed(lambda: cl.solve_convex(X, y, beta, patterns, gated=gated,
                                                   solver=ours, device="cpu", progress=False))
            net_pred = (np.sum(pattern_slopes(cl.patterns.patterns_of_directions(X_test, G)).T
                               * (X_test @ sol.U), axis=1) if gated else
                        sol.network().predict(X_test))
            add(program, f"ours {ours} (cpu)", t, sol.objective, net_pred, sol.gap,
                "" if sol.status == "optimal" else sol.status, sol.result.phases,
                sol.iterations)
        for cname in ("CLARABEL", "SCS"):
            if not runs(cname.lower()):
                continue
            try:
                ref, t = timed(lambda: cl.solve_convex(
                    X, y, beta, patterns, gated=gated, solver=cl.solvers.CVXPY(backend=cname)))
            except (RuntimeError, MemoryError) as exc:  # e.g. too big for CVXPY here
                add(program, f"cvxpy {cname.lower()}", float("nan"), float("nan"),
                    np.zeros(len(y_test)), note=str(exc))
                continue
            if gated:
                obj, _ = gated_objective(X, y, beta, patterns, ref.U)
                pred_t = np.sum(pattern_slopes(cl.patterns.patterns_of_directions(X_test, G)).T
                                * (X_test @ ref.U), axis=1)
            else:
                obj, _ = relu_objective(X, y, beta, ref.U, ref.V)
                pred_t = (np.maximum(X_test @ ref.U, 0).sum(1)
                          - np.maximum(X_test @ ref.V, 0).sum(1))
            add(program, f"cvxpy {cname.lower()}", t, obj, pred_t, ref.gap, ref.status)
        if have_pyscnn and runs("pyscnn"):
            for label, tol in (("defaults", None), ("tol=1e-10", 1e-10)):
                (U, V, G2), t = timed(lambda: run_pyscnn(X, y, beta, G, gated, tol))
                if gated:
                    obj, _ = gated_objective(X, y, beta, (X @ G2 > 0).T, U)
                    pred_t = np.sum((X_test @ G2 > 0) * (X_test @ U), axis=1)
                else:
                    obj, _ = relu_objective(X, y, beta, U, V)
                    pred_t = (np.maximum(X_test @ U, 0).sum(1) - np.maximum(X_test @ V, 0).sum(1))
                add(program, f"pyscnn {'rfista' if gated else 'al'} {label}", t, obj, pred_t)
    best_adam = None
    for lr in (lrs if runs("adam") else ()):
        (net), t = timed(lambda: cl.train_nonconvex(X, y, P, beta, lr=lr, steps=steps, seed=seed))
        if best_adam is None or net.history[-1] < best_adam[0].history[-1]:
            best_adam = (net, t, lr)
    if best_adam is not None:
        net, t, lr = best_adam
        add("relu", f"adam (best lr={lr})", t, net.history[-1], net.predict(X_test),
            note="non-convex network, width P")
    for program in ("gated", "relu"):
        group = [r for r in rows if r["program"] == program and np.isfinite(r["objective"])]
        best = min(r["objective"] for r in group)
        for r in group:
            r["rel_to_best"] = (r["objective"] - best) / abs(best)
    return rows


def ratios(rows):
    out = []
    for data in dict.fromkeys(r["data"] for r in rows):
        get = {r["method"]: r for r in rows if r["data"] == data}
        pairs = [(ours, theirs, program)
                 for program, first_order, peer in (("gated", "fista", "rfista"),
                                                    ("relu", "al", "al"))
                 for ours in ("ours ipm (cpu)", f"ours {first_order} (cpu)")
                 for theirs in ("cvxpy clarabel", f"pyscnn {peer} tol=1e-10")]
        for ours, theirs, program in pairs:
            a = next((r for r in rows if r["data"] == data and r["method"] == ours
                      and r["program"] == program), None)
            b = next((r for r in rows if r["data"] == data and r["method"] == theirs
                      and r["program"] == program), None)
            if a and b and b["seconds"] > 0:
                out.append({"data": data, "program": program, "ours": ours, "theirs": theirs,
                            "time_ratio": a["seconds"] / b["seconds"],
                            "objective_diff": (a["objective"] - b["objective"])
                            / abs(b["objective"])})
        adam = next((r for k, r in get.items() if k.startswith("adam")), None)
        ipm = next((r for r in rows if r["data"] == data and r["program"] == "relu"
                    and r["method"] == "ours ipm (cpu)"), None)
        if adam and ipm:
            out.append({"data": data, "program": "relu", "ours": "ours ipm (cpu)",
                        "theirs": adam["method"], "time_ratio": ipm["seconds"] / adam["seconds"],
                        "objective_diff": (ipm["objective"] - adam["objective"])
                        / abs(adam["objective"])})
    return out


def gpu_timing(n, d, P, device, iters=(20, 60), seed=0, dtype="float32", tf32=False):
    """The library's FISTA (``solve_convex(..., gated=True, solver="fista")``) at scale:
    seconds per iteration and achieved FLOP/s, on Gaussian data of shape (n, d).

    Two solves of the same program, stopped at ``iters[0]`` and ``iters[1]`` iterations
    (tol 1e-12 is never met); seconds per iteration = difference of the wall times over
    difference of the iterations, so moving the data to the device, building the masks
    and the final certificate cancel.  Flops count the products X @ W (masked) and
    X^T (M * r) the solver ran (2 n d P each, counted by wrapping them); the
    ``kernel_*`` fields time the two bare products of one ideal iteration for reference.
    """
    import torch

    from convexnn_lab.solvers import proximal

    torch.backends.cuda.matmul.allow_tf32 = bool(tf32)
    torch.backends.cudnn.allow_tf32 = bool(tf32)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    Xt = torch.randn(n, d, generator=gen, dtype=torch.float32)
    X = cl.add_bias(Xt.numpy())
    # the gates' patterns, computed on the device (a numpy product would take minutes)
    Gt = torch.randn(X.shape[1], P, generator=gen, dtype=torch.float32)
    Xd = torch.as_tensor(X, dtype=torch.float32, device=device)
    patterns = (Xd @ Gt.to(device) >= 0).T.cpu().numpy()
    planted = torch.relu(Xd @ torch.randn(X.shape[1], 8, generator=gen).to(device)).sum(1)
    y = (planted - planted.mean()).cpu().double().numpy()
    del Xd
    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)
    counts = {"products": 0}
    fwd, adj = proximal._Data.forward, proximal._Data.adjoint

    def forward(self, W):
        counts["products"] += 1
        return fwd(self, W)

    def adjoint(self, r):
        counts["products"] += 1
        return adj(self, r)

    runs = []
    proximal._Data.forward, proximal._Data.adjoint = forward, adjoint
    try:
        for k in iters:
            counts["products"] = 0
            sync()
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # max_iterations is the point here
                sol = cl.solve_convex(X, y, 1e-3 * n, patterns, gated=True, solver="fista",
                                      device=device, dtype=dtype, tol=1e-12, max_iter=k,
                                      progress=False)
            sync()
            runs.append((time.perf_counter() - t0, sol.iterations, counts["products"],
                         sol.solver, sol.objective, sol.gap))
    finally:
        proximal._Data.forward, proximal._Data.adjoint = fwd, adj
    (t1, k1, p1, *_), (t2, k2, p2, solver_name, obj, gap) = runs
    per_iter, timed = (t2 - t1) / (k2 - k1), "difference of the two solves"
    if per_iter <= 0:  # tiny sizes: the difference is below the timers' noise
        per_iter, timed = t2 / k2, "longer solve / its iterations (difference below noise)"
    products = (p2 - p1) / (k2 - k1)
    flops = 2.0 * n * X.shape[1] * P * products
    # the bare products of one ideal iteration, for reference
    tdt = {"float32": torch.float32, "float64": torch.float64}[dtype]
    Xk = torch.as_tensor(X, dtype=tdt, device=device)
    M = torch.as_tensor(patterns.T, dtype=tdt, device=device)
    W = torch.randn(X.shape[1], P, generator=gen).to(device, tdt)
    r = torch.randn(n, generator=gen).to(device, tdt)
    for _ in range(2):
        (Xk @ W * M).sum(1), Xk.T @ (M * r[:, None])
    sync()
    t0 = time.perf_counter()
    for _ in range(10):
        (Xk @ W * M).sum(1), Xk.T @ (M * r[:, None])
    sync()
    kernel = (time.perf_counter() - t0) / 10
    return {"n": n, "d": X.shape[1], "P": P, "device": str(device),
            "device_name": (torch.cuda.get_device_name(device)
                            if str(device).startswith("cuda") else "cpu"),
            "dtype": dtype, "tf32": bool(tf32), "solver": solver_name,
            "seconds_per_iteration": per_iter, "timed_as": timed,
            "products_per_iteration": products,
            "flops_per_iteration": flops, "achieved_flops_per_second": flops / per_iter,
            "setup_and_certificate_seconds": t1 - k1 * per_iter,
            "runs": [{"seconds": t, "iterations": k, "products": p} for t, k, p, *_ in runs],
            "objective": obj, "gap": gap,
            "kernel_seconds_two_products": kernel,
            "kernel_flops_per_second": 4.0 * n * X.shape[1] * P / kernel}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--patterns", type=int, default=30)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=2000, help="Adam steps")
    p.add_argument("--synthetic", type=int, default=2000, help="rows of the synthetic set")
    p.add_argument("--only", default=None,
                   help="run only data sets whose name contains this (comma-separated: any)")
    p.add_argument("--device", default="cpu", help="cuda: the GPU timing mode")
    p.add_argument("--scale", default="50000,3072,4096", help="n,d,P of the timing mode")
    p.add_argument("--dtype", default="float32", help="timing mode: float32 or float64")
    p.add_argument("--tf32", action="store_true", help="timing mode: TF32 matrix products")
    p.add_argument("--json", default="bench/results/solvers.json")
    p.add_argument("--methods", default=None,
                   help="comma-separated subset of ipm,first-order,clarabel,scs,pyscnn,adam "
                   "(default: all), e.g. ipm,clarabel for the 20x target")
    args = p.parse_args(argv)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    if args.device != "cpu" or args.only == "timing":
        n, d, P = (int(v) for v in args.scale.split(","))
        res = gpu_timing(n, d, P, args.device, dtype=args.dtype, tf32=args.tf32)
        print(json.dumps(res, indent=2))
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
        return
    try:
        import scnn  # noqa: F401

        have_pyscnn = True
    except ImportError:
        have_pyscnn = False
        print("pyscnn not installed: its rows are skipped (see the module docstring)")
    rows = []
    for name, X, y, y_test, X_test, task in datasets(args.synthetic):
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows += bench_dataset(name, X, y, y_test, X_test, task, args.patterns, args.beta,
                                  0, have_pyscnn, (1e-3, 1e-2, 5e-2), args.steps,
                                  None if args.methods is None
                                  else set(args.methods.split(",")))
        print_rows([r for r in rows if r["data"] == name])
    rat = ratios(rows)
    print("\nratios measured in this run (time ours/theirs; objective (ours - theirs)/|theirs|)")
    for r in rat:
        print(f"  {r['data']:22s} {r['program']:5s} {r['ours']:16s} vs {r['theirs']:24s} "
              f"time x{r['time_ratio']:.3g}  objective {r['objective_diff']:+.1e}")
    with open(args.json, "w") as fh:
        json.dump({"rows": rows, "ratios": rat, "patterns": args.patterns, "beta": args.beta},
                  fh, indent=2, default=float)
    print(f"wrote {args.json}")


def print_rows(rows):
    print(f"\n{rows[0]['data']}")
    print(f"  {'program':7s} {'method':26s} {'seconds':>8s} {'objective':>12s} {'vs best':>9s} "
          f"{'gap':>8s} {'test':>6s}  note")
    for r in rows:
        gap = "-" if r["gap"] is None else f"{r['gap']:.1e}"
        print(f"  {r['program']:7s} {r['method']:26s} {r['seconds']:8.2f} {r['objective']:12.6f} "
              f"{r.get('rel_to_best', float('nan')):9.1e} {gap:>8s} {r['test']:6.3f}  "
              f"{r['note'][:60]}")
    # where our solvers' time went (SolverResult.phases; "gram" is part of "newton")
    for r in rows:
        if r.get("phases"):
            parts = ", ".join(f"({k} {v:.2f})" if k == "gram" else f"{k} {v:.2f}"
                              for k, v in r["phases"].items())
            print(f"    {r['program']} {r['method']}: {parts} s; "
                  f"{r['iterations']} iterations")


if __name__ == "__main__":
    main()

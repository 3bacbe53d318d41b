"""The ``convexnn-lab`` command line."""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from .status import INACCURATE, describe, is_certified

__all__ = ["demo", "main"]


def demo(dataset="breast_cancer", *, beta=1.0, n_patterns=20, seeds=3, steps=2000,
         lr=1e-2, seed=0, time_limit=60.0, out=print):
    """Convex training against Adam on a bundled data set; returns the table rows.

    Rows: the convex program on `n_patterns` sampled patterns (a restriction), the
    L-BFGS network ``train_convex`` starts from, the convex route with priced patterns
    (``train_convex`` from those `n_patterns` patterns and the L-BFGS network's, no
    learning rate, stopped after about `time_limit` seconds: checked after each round),
    then Adam from `seeds` seeds at the width of the priced network.  Every objective is
    evaluated on the network the row returns.
    """
    from ._internal.validation import check_positive_int
    from .core.patterns import sample_patterns
    from .data.datasets import add_bias, load_dataset
    from .solvers import solve_convex
    from .training.nonconvex import train_nonconvex
    from .training.pricing import train_convex

    n_patterns = check_positive_int(n_patterns, "n_patterns")
    seeds = check_positive_int(seeds, "seeds")
    steps = check_positive_int(steps, "steps")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not (
            math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be a number of seconds > 0, got {time_limit!r}")
    ds = load_dataset(dataset, seed=seed)
    X, Xte = add_bias(ds.X_train), add_bias(ds.X_test)
    if ds.task == "classification":
        y, yte = ds.signed_labels()
        positive = ds.classes[-1]
        note = f"labels: class {positive} -> +1, others -> -1 (squared loss)"
    else:
        y, yte = ds.y_train, ds.y_test
        note = "standardized regression targets (squared loss)"

    def score(net, A, target):
        if ds.task == "classification":
            return net.accuracy(A, target)
        pred = net.predict(A)
        return float(1 - np.sum((pred - target) ** 2) / np.sum((target - target.mean()) ** 2))

    out(f"data: {dataset}, n_train={X.shape[0]}, d={X.shape[1]} (with bias), "
        f"beta={beta}; {note}")
    rows = []
    patterns = sample_patterns(X, n_patterns, seed=seed)
    sol = solve_convex(X, y, beta, patterns)
    net = sol.network()
    rows.append((f"convex, {n_patterns} sampled patterns", net.objective(X, y, beta), sol.gap,
                 score(net, X, y), score(net, Xte, yte), net.width, sol.solve_time))
    out(f"train_convex: an L-BFGS start, then patterns priced from the dual (about "
        f"{time_limit:g} s at most)...")
    t0 = time.perf_counter()
    report = train_convex(X, y, beta, initial_patterns=n_patterns, time_limit=time_limit,
                          seed=seed)
    priced = report.network()
    warm = report.warm_network
    # train_convex's L-BFGS start by itself: the rounds' share of the result is the rest
    rows.append((f"L-BFGS start of train_convex ({warm.width})", report.warm_objective,
                 float("nan"), score(warm, X, y), score(warm, Xte, yte), warm.width,
                 report.warm_seconds))
    rows.append((f"convex, priced patterns ({len(report.solution.patterns)})",
                 priced.objective(X, y, beta), report.solution.gap, score(priced, X, y),
                 score(priced, Xte, yte), priced.width, time.perf_counter() - t0))
    width = max(priced.width, 2)
    for s in range(seeds):
        # a few seconds each: say what runs, so the wait does not look like a hang
        out(f"training Adam, seed {s} ({s + 1} of {seeds}, {steps} steps, "
            f"{width} neurons)...")
        t0 = time.perf_counter()
        adam = train_nonconvex(X, y, width, beta, lr=lr, steps=steps, seed=s)
        rows.append((f"adam seed {s}", adam.objective(X, y, beta), float("nan"),
                     score(adam, X, y), score(adam, Xte, yte), adam.width,
                     time.perf_counter() - t0))
    metric = "acc" if ds.task == "classification" else "R^2"
    header = (f"{'model':38s} {'objective':>10s} {'gap':>9s} {'train ' + metric:>10s} "
              f"{'test ' + metric:>9s} {'neurons':>7s} {'time s':>7s}")
    out(header)
    out("-" * len(header))
    for name, obj, gap, tr, te, m, t in rows:
        gap_s = "-" if np.isnan(gap) else f"{gap:.1e}"
        out(f"{name:38s} {obj:10.4f} {gap_s:>9s} {tr:10.3f} {te:9.3f} {m:7d} {t:7.2f}")
    out("gap: certified bound on objective minus the optimum of that row's convex program "
        "(on its patterns). Sampled patterns restrict the program, so Adam can end lower; "
        "priced patterns are chosen where the dual says the objective can still drop.")
    out(_pricing_line(report, beta))
    if ds.task != "classification":
        note = _negative_r2_note(rows, X.shape[0], beta)
        if note:
            out(note)
    return rows


def _pricing_line(report, beta: float) -> str:
    """What train_convex's status proves, in one line."""
    last = report.rounds[-1]
    if is_certified(report.status):
        return (f"pricing: status optimal: every pattern of X was priced and none violates "
                f"its dual constraint: a certificate of global optimality over networks of "
                f"any width (global gap {report.global_gap:.1e})")
    what = ("no violated pattern, but the gap is above tolerance"
            if report.status == INACCURATE else describe(report.status))
    return (f"pricing: status {report.status}: {what} after "
            f"{len(report.rounds)} rounds; largest price found {last.best_ratio:.2f} x beta "
            "(above 1: the objective can still drop)")


def _negative_r2_note(rows, n_train: int, beta: float) -> str:
    """One line on the models whose test R^2 is below 0, and the likely reason."""
    bad = [(name, tr) for name, _, _, tr, te, _, _ in rows if te < 0]
    if not bad:
        return ""
    names = ", ".join(name for name, _ in bad)
    if min(tr for _, tr in bad) < 0.5:
        why = (f"they fit the training set poorly too: too few patterns (--patterns) or "
               f"too large a weight decay (beta={beta}, try a smaller --beta)")
    else:
        why = (f"they fit the {n_train} training points well but not new ones: a small "
               f"data set overfitted (try a larger --beta)")
    return (f"note: test R^2 < 0 for {names}: worse than predicting the mean of the "
            f"test targets; {why}.")


def _checked(convert, accept, requirement: str, what: str):
    """An argparse `type`: `convert` the text, then require `accept(value)`.

    The message says `requirement` (e.g. "an integer >= 1") and `what` the option is.
    """

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be {requirement} ({what}), got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {requirement} ({what}), got {text}")
        return value

    parse.__name__ = requirement
    return parse


def _int_at_least(minimum: int, what: str, maximum: int | None = None):
    if maximum is None:
        return _checked(int, lambda v: v >= minimum, f"an integer >= {minimum}", what)
    return _checked(int, lambda v: minimum <= v <= maximum,
                    f"an integer from {minimum} to {maximum:,}", what)


def _positive_float(what: str):
    return _checked(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0", what)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="convexnn-lab",
        description="Convex training of two-layer ReLU networks (convexnn_lab).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo",
        help="train the convex model and Adam on a bundled data set and compare",
        description="Train a two-layer ReLU network by its convex program on a bundled "
        "scikit-learn data set (no download): on sampled patterns, and with patterns "
        "priced from the dual (train_convex: an L-BFGS start, shown in a row of its own, "
        "then pricing; no learning rate); train the same network with Adam from "
        "several seeds on the same objective, and print objective, certified gap, "
        "accuracy, neurons and time.",
    )
    d.add_argument("--dataset", default="breast_cancer",
                   choices=["breast_cancer", "wine", "iris", "digits", "diabetes"],
                   help="bundled data set (classification sets use class-vs-rest "
                   "labels -1/+1; default: breast_cancer)")
    d.add_argument("--beta", type=_positive_float("the weight decay, e.g. 1.0"), default=1.0,
                   help="weight decay beta > 0 (default 1.0)")
    # a bundled set's program on a million patterns already needs several GiB
    d.add_argument("--patterns", type=_int_at_least(1, "the number of sampled directions",
                                                    maximum=100_000),
                   default=20,
                   help="number of Gaussian directions sampled for patterns (default 20)")
    d.add_argument("--seeds", type=_int_at_least(1, "the number of Adam runs", maximum=1000),
                   default=3,
                   help="number of Adam runs (default 3)")
    d.add_argument("--steps", type=_int_at_least(1, "Adam steps per run"), default=2000,
                   help="Adam steps per run (default 2000)")
    d.add_argument("--lr", type=_positive_float("the Adam learning rate, e.g. 0.01"),
                   default=1e-2, help="Adam learning rate (default 0.01)")
    d.add_argument("--time-limit", type=_positive_float("seconds, e.g. 60"), default=60.0,
                   help="seconds for train_convex, its L-BFGS start included; checked "
                   "after each round, so the last round can overrun it (default 60)")
    d.add_argument("--seed", type=_int_at_least(0, "a numpy seed"), default=0,
                   help="seed of the train/test split, of the sampled patterns and of "
                   "train_convex's L-BFGS start; "
                   "Adam runs use seeds 0 to SEEDS-1 (default 0)")
    w = sub.add_parser(
        "site",
        help="build the book as a static website (no execution, no network)",
        description="Build a static HTML book from the committed, executed notebooks "
        "(book/NN_*.ipynb, exercises/*.ipynb) with Sphinx, myst-nb and sphinx-book-theme. "
        "Nothing is executed and nothing is downloaded: MathJax is copied into the site. "
        "Run it from the project folder.",
    )
    w.add_argument("--out", default="_site",
                   help="output folder: new, empty, or a site built before, which is "
                   "replaced (default: _site)")
    args = parser.parse_args(argv)
    if args.command == "site":
        from .book.site import build

        try:
            build(args.out)
        except (FileNotFoundError, FileExistsError, ImportError) as exc:
            parser.error(str(exc))
        return 0
    if args.command == "demo":
        try:
            demo(args.dataset, beta=args.beta, n_patterns=args.patterns, seeds=args.seeds,
                 steps=args.steps, lr=args.lr, seed=args.seed, time_limit=args.time_limit,
                 out=lambda line: print(line, flush=True))
        except (ValueError, TypeError) as exc:
            parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())

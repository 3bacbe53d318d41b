"""Convex training on images: the comparison of chapter 6 (and bench/images.py).

The convex model is the CIFAR-10 setup of Mishkin, Sahiner & Pilanci (ICML 2022) at
any scale: gated ReLU with convolutional gates (random filters on random patches),
squared loss on one-hot targets, one group norm per (pattern, class) block (the
one-vs-all restriction of the vector-output program, chapter 6 "Vector outputs"),
solved by FISTA; beside it the cone-constrained ReLU program, and the non-convex
network with as many neurons as gates trained with Adam and with SGD, each rate chosen
on a validation split of the training rows, all on the same data.
:func:`optimizer_sensitivity` measures how much each result moves with the
optimizer's settings.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._internal.validation import check_choice, check_optional_count, check_seed
from ..core.patterns import sample_patterns
from ..data.datasets import add_bias, load_cifar10, load_dataset, validation_split
from ..solvers import solve_convex
from ..training.nonconvex import train_nonconvex

__all__ = ["ImageData", "image_data", "one_hot", "gated_predict", "Run", "compare_training",
           "LrSearch", "tune_learning_rate", "ADAM_LRS", "SGD_LRS",
           "SensitivityRow", "Sensitivity", "optimizer_sensitivity", "CONVEX_SETTINGS",
           "ADAM_SETTINGS", "best_iterate_objective", "patch_matrix"]

# learning-rate grids, half decades: Adam is scale-free; SGD's step is on an objective
# that sums over rows, so it needs rates about n times smaller
ADAM_LRS = tuple(float(f"{10 ** (k / 2):.3g}") for k in range(-8, 1))  # 1e-4 ... 1
SGD_LRS = tuple(float(f"{10 ** (k / 2):.3g}") for k in range(-12, -3))  # 1e-6 ... 1e-2


@dataclass
class ImageData:
    """Standardized images with labels; rows flattened channel-major."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    image_shape: tuple
    name: str


def image_data(name="digits", *, n_train=None, n_test=None, path=None, seed=0) -> ImageData:
    """digits (bundled, 8x8, 10 classes) or cifar10 (local files, 3x32x32).

    CIFAR-10 is read with :func:`convexnn_lab.data.datasets.load_cifar10` (a folder of the
    official python batches, by `path` or CONVEXNN_CIFAR10_DIR); features are
    standardized with the training statistics.

    Parameters
    ----------
    name : {"digits", "cifar10"}
    n_train, n_test : int >= 1, optional
        Keep a random subset of the training rows, and the first test rows.
    path : str or Path, optional
        Folder of the CIFAR-10 batches.
    seed : None, int >= 0 or numpy.random.Generator

    Raises
    ------
    ValueError
        If `name` is unknown or `n_train` / `n_test` is below 1.
    TypeError
        If `n_train` / `n_test` is not an integer or None, or `seed` is not a seed.
    """
    check_choice(name, "name", ("digits", "cifar10"))
    n_train = check_optional_count(n_train, "n_train")
    n_test = check_optional_count(n_test, "n_test")
    seed = check_seed(seed)
    if name == "digits":
        ds = load_dataset("digits", seed=seed)
        Xtr, Xte, ytr, yte, shape = ds.X_train, ds.X_test, ds.y_train, ds.y_test, (1, 8, 8)
    else:
        ds = load_cifar10(path, n_train=n_train, n_test=n_test)
        mu, sd = ds.X_train.mean(axis=0), ds.X_train.std(axis=0) + 1e-8
        Xtr, Xte = (ds.X_train - mu) / sd, (ds.X_test - mu) / sd
        ytr, yte, shape = ds.y_train, ds.y_test, (3, 32, 32)
    rng = np.random.default_rng(seed)
    if n_train is not None and n_train < len(Xtr):
        keep = np.sort(rng.choice(len(Xtr), n_train, replace=False))
        Xtr, ytr = Xtr[keep], ytr[keep]
    if n_test is not None and n_test < len(Xte):
        Xte, yte = Xte[:n_test], yte[:n_test]
    return ImageData(Xtr, Xte, np.asarray(ytr), np.asarray(yte), shape, name)


def one_hot(labels, n_classes: int) -> np.ndarray:
    """One-hot targets of shape (n, n_classes) with entries 0/1."""
    labels = np.asarray(labels, dtype=int)
    return np.eye(n_classes)[labels]


def gated_predict(X, gates, solution) -> np.ndarray:
    """Outputs (n, c) of a gated-ReLU vector solution on new rows X (with bias column).

    Class c: ``sum_i 1[X g_i >= 0] * (X u_ic)``; the gates G (d, P) fix the patterns.
    """
    mask = (X @ gates >= 0).astype(float)
    return np.column_stack([np.sum(mask * (X @ s.U), axis=1) for s in solution.solutions])


def patch_matrix(X, image_shape, patch: int = 3) -> np.ndarray:
    """Every ``patch x patch`` patch (all channels) of every image, one per row.

    A convolutional neuron applies one filter w to every patch, so its activation
    pattern is ``1[Z w >= 0]`` for this matrix Z: the patterns of a filter are those of
    an arrangement of rank at most ``C * patch**2``, whatever the number of images
    (chapter 6, "How many patterns can a filter make?").

    Parameters
    ----------
    X : ndarray of shape (n, C*H*W) or (n, C*H*W + 1)
        Images flattened channel-major; a last bias column, if present, is ignored.
    image_shape : (C, H, W)
    patch : int

    Returns
    -------
    ndarray of shape (n * (H - patch + 1) * (W - patch + 1), C * patch * patch)
        Rows ordered image by image, then patch position row-major; columns ordered
        as the filter of :func:`convexnn_lab.core.patterns.conv_gates` is flattened.
    """
    C, H, W = (int(v) for v in image_shape)
    X = np.asarray(X, dtype=np.float64)
    size = C * H * W
    if X.ndim != 2 or X.shape[1] not in (size, size + 1):
        raise ValueError(f"X must have shape (n, {size}) or (n, {size + 1}) for image_shape "
                         f"{tuple(image_shape)}, got {X.shape}")
    if not 1 <= patch <= min(H, W):
        raise ValueError(f"patch={patch} does not fit an image of {H}x{W}")
    imgs = X[:, :size].reshape(-1, C, H, W)
    win = np.lib.stride_tricks.sliding_window_view(imgs, (patch, patch), axis=(2, 3))
    # (n, C, H', W', p, p) -> (n, H', W', C, p, p)
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(
        -1, C * patch * patch)


@dataclass
class Run:
    """One method of the comparison; `curve` holds (seconds, train acc, test acc).

    ``objective`` is the method's own objective: the gated program's for the gated
    model, L of the last iterate for Adam and SGD.  ``relu_objective`` is L of the
    ReLU network the method delivers, all on the same data and the same L: the gated
    solution mapped to a ReLU network (cone decompositions), the ReLU program's
    network, and the best iterate of the Adam and SGD runs (L at every step);
    ``relu_width`` counts that network's neurons.  ``seconds`` counts the search of
    the learning rate for Adam and SGD (their curves start after it).
    """

    method: str
    device: str
    seconds: float
    objective: float
    train_accuracy: float
    test_accuracy: float
    note: str = ""
    curve: list = field(default_factory=list)
    tuning: LrSearch | None = None
    relu_objective: float = float("nan")
    relu_width: int = 0


def _acc(scores, labels):
    return float(np.mean(np.asarray(scores).argmax(axis=1) == labels))


@dataclass
class LrSearch:
    """A learning-rate grid searched on a validation split of the training rows.

    ``validation_accuracy[k]`` and ``validation_error[k]`` (half the squared error on
    the one-hot targets) belong to ``grid[k]``; NaN where that rate diverged.  The
    chosen rate has the best validation accuracy, ties broken by the lower error.
    """

    optimizer: str
    grid: tuple
    validation_accuracy: tuple
    validation_error: tuple
    chosen: float
    n_fit: int
    n_validation: int
    seconds: float = field(default=0.0, compare=False)  # wall time of the search

    @property
    def interior(self) -> bool:
        """True when the chosen rate has a tried rate on each side (not a grid end)."""
        k = list(self.grid).index(self.chosen)
        return 0 < k < len(self.grid) - 1


def _train_segments(X, Y, width, beta, optimizer, lr, steps, checkpoints, batch, seed,
                    on_checkpoint=None, record_every=None):
    """`checkpoints` warm-started runs of steps // checkpoints updates (one training
    procedure for the search and the final fit); `on_checkpoint(net, seconds)` after each.
    `record_every` (default: once per segment) only sets how often L is recorded in each
    segment's ``net.history``; the iterates are the same."""
    net, seg = None, max(steps // checkpoints, 1)
    for _ in range(checkpoints):
        t0 = time.perf_counter()
        net = train_nonconvex(X, Y, width, beta, optimizer=optimizer, lr=lr, steps=seg,
                              batch_size=batch, seed=seed, init=net,
                              record_every=record_every or seg)
        if on_checkpoint is not None:
            on_checkpoint(net, time.perf_counter() - t0)
    return net


def best_iterate_objective(X, Y, width, beta, optimizer, lr, steps, checkpoints=1,
                           batch_size=None, seed=0) -> float:
    """The lowest L over every iterate of the training run :func:`compare_training` makes.

    The run is replayed with L recorded at every step (the same iterates: the seed fixes
    the initialization and the batches), so the timed run is not slowed by it.
    """
    hist = []
    _train_segments(X, Y, width, beta, optimizer, lr, steps, checkpoints, batch_size, seed,
                    on_checkpoint=lambda net, _: hist.extend(net.history), record_every=1)
    return float(np.min(hist))


def tune_learning_rate(X, Y, labels, width: int, beta: float, *, optimizer="adam",
                       lrs=ADAM_LRS, steps=300, checkpoints=1, batch_size=None,
                       validation=0.25, seed=0) -> LrSearch:
    """Choose a learning rate for the non-convex network on held-out training rows.

    Each rate trains the network on the fit rows (weight decay scaled to them,
    ``beta * n_fit / n``, so the data term and the penalty keep their balance), then
    scores it on the validation rows; the test set is never seen.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Training rows (bias column included).
    Y : ndarray of shape (n, c)
        One-hot targets.
    labels : int ndarray of shape (n,)
    width : int
        Neurons m.
    beta : float
        Weight decay of the objective on all n rows.
    optimizer : {"adam", "sgd"}
    lrs : tuple of float
        The grid, increasing.  A rate that diverges scores NaN.
    steps, checkpoints, batch_size, seed
        As in :func:`compare_training` (the same training procedure).
    validation : float in (0, 1)
        Share of the rows held out (:func:`convexnn_lab.data.datasets.validation_split`,
        seeded by `seed`).

    Returns
    -------
    LrSearch

    Raises
    ------
    ValueError
        If `lrs` is empty or not increasing, or `validation` is not a usable fraction.
    FloatingPointError
        If every rate diverged.
    """
    lrs = tuple(float(lr) for lr in lrs)
    if not lrs or any(b <= a for a, b in zip(lrs, lrs[1:])):
        raise ValueError(f"lrs must be a non-empty increasing grid of rates, got {lrs}")
    labels = np.asarray(labels)
    t0 = time.perf_counter()
    fit, val = validation_split(len(X), validation, seed=seed, name="validation")
    beta_fit = beta * len(fit) / len(X)
    accs, errs = [], []
    for lr in lrs:
        try:
            net = _train_segments(X[fit], Y[fit], width, beta_fit, optimizer, lr, steps,
                                  checkpoints, batch_size, seed)
        except FloatingPointError:
            accs.append(np.nan)
            errs.append(np.nan)
            continue
        out = net.predict(X[val])
        err = 0.5 * float(np.sum((out - Y[val]) ** 2))
        accs.append(_acc(out, labels[val]) if np.isfinite(err) else np.nan)
        errs.append(err if np.isfinite(err) else np.nan)
    ok = [k for k in range(len(lrs)) if np.isfinite(errs[k])]
    if not ok:
        raise FloatingPointError(f"{optimizer} diverged at every learning rate in {lrs}")
    best = min(ok, key=lambda k: (-accs[k], errs[k]))
    return LrSearch(optimizer, lrs, tuple(accs), tuple(errs), lrs[best], len(fit), len(val),
                    time.perf_counter() - t0)


def compare_training(data: ImageData, *, n_patterns=100, relu_patterns=10, beta=1.0,
                     adam_lrs=ADAM_LRS, sgd_lrs=SGD_LRS, steps=600, checkpoints=4,
                     device=None, seed=0, tol=1e-6, validation=0.25,
                     budgets=(25, 50, 100, 200, 400, 800, 1600, 3200)):
    """Convex gated ReLU and ReLU against Adam and SGD on the same images.

    Parameters
    ----------
    n_patterns : int
        Convolutional gates of the gated model, and the width of the non-convex nets.
    relu_patterns : int
        Patterns of the cone-constrained ReLU program (solved by ``solver="auto"``).
    beta : float
        Weight decay of every model, on the objective L of chapter 00 (one-hot targets).
    adam_lrs, sgd_lrs : tuple
        Learning-rate grids (Adam full batch, SGD batches of 128), increasing.  Each
        rate is scored on a validation split of the training rows
        (:func:`tune_learning_rate`); the chosen one retrains on all training rows.  The
        objective sums over rows, so SGD needs steps about n times smaller than Adam
        (which is scale-free); a rate that diverges scores NaN.
    validation : float in (0, 1)
        Share of the training rows held out to choose the learning rates.
    tol : float
        FISTA stops at this certified relative gap.
    budgets : tuple
        FISTA iteration budgets for the accuracy-versus-time curve (warm starts; the
        curve stops once the certified gap meets its tolerance).

    Returns
    -------
    list of Run
        Gated ReLU, ReLU, Adam, SGD; the last two carry their search in ``tuning``, and
        their ``seconds`` include it.  ``relu_objective`` compares the four on one
        footing: L of the ReLU network each delivers (see :class:`Run`).
    """
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    X, Xte = add_bias(data.X_train), add_bias(data.X_test)
    c = int(max(data.y_train.max(), data.y_test.max())) + 1
    Y = one_hot(data.y_train, c)
    patterns, G = sample_patterns(X, n_patterns, method="conv", image_shape=data.image_shape,
                                  seed=seed, return_directions=True)
    runs = []

    # convex gated ReLU (FISTA), curve from growing iteration budgets
    sol, elapsed, curve = None, 0.0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # budgets end early on purpose
        done = 0
        for budget in budgets:
            sol = solve_convex(X, Y, beta, patterns, gated=True, solver="fista",
                               max_iter=budget - done, warm_start=sol, device=device,
                               progress=False, tol=tol)
            done = budget
            elapsed += sol.solve_time
            curve.append((elapsed, _acc(sol.predict(), data.y_train),
                          _acc(gated_predict(Xte, G, sol), data.y_test)))
            if sol.status == "optimal":
                break
    # one neuron per nonzero (gate, class) block: each feeds a single class
    neurons = int(sum(len(s.active_blocks()) for s in sol.solutions))
    # the gated model as a ReLU network: each block's cone decomposition (same outputs on
    # the training rows, more neurons, a higher L); not timed, it is an evaluation
    mapped = sol.network()
    runs.append(Run(f"convex gated ReLU, FISTA, {len(patterns)} conv gates", device, elapsed,
                    sol.objective, curve[-1][1], curve[-1][2],
                    f"{sol.status}, gap <= tol: {sol.relative_gap <= tol}; {neurons} neurons "
                    f"(nonzero blocks of {len(patterns)} gates x {c} classes, one class each)",
                    curve, relu_objective=float(mapped.objective(X, Y, beta)),
                    relu_width=mapped.width))

    # convex ReLU with cone constraints, fewer patterns
    rp = patterns[:relu_patterns]
    t0 = time.perf_counter()
    relu = solve_convex(X, Y, beta, rp, progress=False)
    t = time.perf_counter() - t0
    net = relu.network()
    runs.append(Run(f"convex ReLU, {len(rp)} patterns ({relu.solver})", "cpu", t,
                    relu.objective, net.accuracy(X, data.y_train), net.accuracy(Xte, data.y_test),
                    f"{relu.status}, gap <= 1e-6: {relu.relative_gap <= 1e-6}",
                    [(t, net.accuracy(X, data.y_train), net.accuracy(Xte, data.y_test))],
                    relu_objective=float(net.objective(X, Y, beta)), relu_width=net.width))

    # the non-convex network, same width: Adam and SGD, each rate chosen on held-out rows
    for opt, batch, lrs in (("adam", None, adam_lrs), ("sgd", 128, sgd_lrs)):
        search = tune_learning_rate(X, Y, data.y_train, n_patterns, beta, optimizer=opt,
                                    lrs=lrs, steps=steps, checkpoints=checkpoints,
                                    batch_size=batch, validation=validation, seed=seed)
        # the clock starts with the search of the rate: it is part of the method's cost
        curve, clock = [], [search.seconds]

        def record(net, seconds, curve=curve, clock=clock):
            clock[0] += seconds
            curve.append((clock[0], net.accuracy(X, data.y_train),
                          net.accuracy(Xte, data.y_test)))

        net = _train_segments(X, Y, n_patterns, beta, opt, search.chosen, steps, checkpoints,
                              batch, seed, on_checkpoint=record)
        best = best_iterate_objective(X, Y, n_patterns, beta, opt, search.chosen, steps,
                                      checkpoints, batch, seed)
        runs.append(Run(f"non-convex, {opt} (lr={search.chosen:g} chosen on validation)",
                        "cpu", clock[0], net.objective(X, Y, beta), curve[-1][1], curve[-1][2],
                        f"{n_patterns} neurons, each feeding all {c} classes", curve, search,
                        relu_objective=best, relu_width=n_patterns))
    return runs


# the solver settings of the sensitivity table: method, stopping tolerance, start point
# (`start`: FISTA warm-started from 50 iterations on the program at start * beta, a
# point away from this program's optimum)
CONVEX_SETTINGS = (
    dict(solver="fista", tol=1e-4),
    dict(solver="fista", tol=1e-8),
    dict(solver="fista", tol=1e-6, start=0.1),
    dict(solver="fista", tol=1e-6, start=10.0),
    dict(solver="ipm", tol=1e-8),
    dict(solver="cvxpy"),
)
# Adam's settings, one changed at a time from lr=1e-2, seed 0, full batch
ADAM_SETTINGS = (
    dict(lr=1e-2, seed=0, batch_size=None),
    dict(lr=1e-3, seed=0, batch_size=None),
    dict(lr=1e-1, seed=0, batch_size=None),
    dict(lr=1e-2, seed=1, batch_size=None),
    dict(lr=1e-2, seed=2, batch_size=None),
    dict(lr=1e-2, seed=0, batch_size=50),
    dict(lr=1e-2, seed=0, batch_size=16),
)


@dataclass
class SensitivityRow:
    """One optimizer setting: the objective L it reached and its model's accuracies.

    ``prediction_change``: ``max |Yhat - Yhat_ref| / max |Yhat_ref|`` on the training
    rows, against the row of the same model with the lowest objective.
    """

    model: str
    setting: str
    objective: float
    train_accuracy: float
    test_accuracy: float
    prediction_change: float
    note: str = ""


@dataclass
class Sensitivity:
    """The rows of :func:`optimizer_sensitivity`, convex first."""

    rows: list

    def spread(self, model: str) -> float:
        """Relative spread of the objective over `model`'s rows: (max - min) / min."""
        objs = np.array([r.objective for r in self.rows if r.model == model])
        if objs.size == 0:
            raise ValueError(f"no rows for model {model!r}; models here: "
                             f"{sorted({r.model for r in self.rows})}")
        return float((objs.max() - objs.min()) / objs.min())

    @property
    def convex_spread(self) -> float:
        return self.spread("convex")

    @property
    def adam_spread(self) -> float:
        return self.spread("adam")

    @property
    def models(self) -> list:
        """The models of the rows, in order."""
        return list(dict.fromkeys(r.model for r in self.rows))


def _setting_label(setting: dict) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in setting.items())


def optimizer_sensitivity(data: ImageData, *, n_patterns=20, beta=5.0, steps=300, seed=0,
                          convex_settings=CONVEX_SETTINGS, adam_settings=ADAM_SETTINGS,
                          gate_seeds=(1, 2)) -> Sensitivity:
    """Does the result depend on the optimizer's settings?  Convex against Adam.

    The convex side is one program, gated ReLU on `n_patterns` convolutional gates
    (one-vs-all, as in :func:`compare_training`), solved under each of
    `convex_settings`: a method ("fista", "ipm", "cvxpy", "auto"), a stopping tolerance
    `tol`, a `dtype`, and a start point (`start`: FISTA warm-started from 50 FISTA
    iterations on the same program at ``start * beta``, a point away from this
    program's optimum).  Every solve is certified, so each
    objective is within its `tol` of the same optimal value.  The non-convex side is
    the ReLU network of the same width trained by Adam for `steps` updates under each
    of `adam_settings` (`lr`, initialization and minibatch `seed`, `batch_size`).
    Last, rows of model "other gates": the convex program on gates drawn with each of
    `gate_seeds` (FISTA, tol 1e-6), another program, not another optimizer setting.

    Parameters
    ----------
    data : ImageData
    n_patterns : int
        Gates of the convex program and width of the network.
    beta : float
        Weight decay, the same objective L for both.
    steps : int
        Adam's updates per run.
    seed : int
        Seeds the gates.
    convex_settings, adam_settings : tuple of dict
    gate_seeds : tuple of int
        Other draws of the gates (may be empty).

    Returns
    -------
    Sensitivity
        ``spread("convex")``, ``spread("adam")`` and ``spread("other gates")`` are the
        relative spreads of the objective (the last includes the first convex row).
    """
    X, Xte = add_bias(data.X_train), add_bias(data.X_test)
    c = int(max(data.y_train.max(), data.y_test.max())) + 1
    Y = one_hot(data.y_train, c)
    patterns, G = sample_patterns(X, n_patterns, method="conv", image_shape=data.image_shape,
                                  seed=seed, return_directions=True)
    convex, adam = [], []
    for setting in convex_settings:
        kw = dict(setting)
        start = kw.pop("start", None)
        warm = None
        if start is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # stopped early on purpose
                warm = solve_convex(X, Y, start * beta, patterns, gated=True, solver="fista",
                                    max_iter=50, progress=False)
        sol = solve_convex(X, Y, beta, patterns, gated=True, progress=False,
                           warm_start=warm, **kw)
        note = f"{sol.status}, certified gap {sol.relative_gap:.0e}"
        convex.append((setting, sol.objective, sol.predict(), gated_predict(Xte, G, sol), note))
    gates = convex[:1]
    for s in gate_seeds:
        P_s, G_s = sample_patterns(X, n_patterns, method="conv", image_shape=data.image_shape,
                                   seed=s, return_directions=True)
        sol = solve_convex(X, Y, beta, P_s, gated=True, solver="fista", tol=1e-6,
                           progress=False)
        gates.append((dict(gate_seed=s), sol.objective, sol.predict(),
                      gated_predict(Xte, G_s, sol), f"{sol.status}"))
    for setting in adam_settings:
        net = train_nonconvex(X, Y, n_patterns, beta, optimizer="adam", steps=steps,
                              record_every=steps, **setting)
        adam.append((setting, net.objective(X, Y, beta), net.predict(X), net.predict(Xte), ""))
    rows = []
    groups = [("convex", convex), ("adam", adam)]
    if gate_seeds:
        groups.append(("other gates", [(dict(gate_seed=seed),) + gates[0][1:]] + gates[1:]))
    for model, runs in groups:
        ref = min(runs, key=lambda r: r[1])[2]
        for setting, obj, fit, test, note in runs:
            change = float(np.max(np.abs(fit - ref)) / np.max(np.abs(ref)))
            rows.append(SensitivityRow(model, _setting_label(setting), float(obj),
                                       _acc(fit, data.y_train), _acc(test, data.y_test),
                                       change, note))
    return Sensitivity(rows)

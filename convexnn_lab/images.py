"""Convex training on images: the comparison of chapter 6 (and bench/images.py).

The convex model is the paper's CIFAR-10 setup at any scale: gated ReLU with
convolutional gates (random filters on random patches), squared loss on one-hot
targets, one group norm per (pattern, class) block, solved by FISTA; beside it the
cone-constrained ReLU program, and the non-convex network of the same width trained
with Adam and with SGD (best of a small learning-rate grid), all on the same data.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_choice, check_optional_count, check_seed
from .datasets import add_bias, load_cifar10, load_dataset
from .nonconvex import train_nonconvex
from .patterns import sample_patterns
from .solvers import solve_convex

__all__ = ["ImageData", "image_data", "one_hot", "gated_predict", "Run", "compare_training"]


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

    CIFAR-10 is read with :func:`convexnn_lab.datasets.load_cifar10` (a folder of the
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


@dataclass
class Run:
    """One method of the comparison; `curve` holds (seconds, train acc, test acc)."""

    method: str
    device: str
    seconds: float
    objective: float
    train_accuracy: float
    test_accuracy: float
    note: str = ""
    curve: list = field(default_factory=list)


def _acc(scores, labels):
    return float(np.mean(np.asarray(scores).argmax(axis=1) == labels))


def compare_training(data: ImageData, *, n_patterns=100, relu_patterns=10, beta=1.0,
                     adam_lrs=(1e-3, 1e-2), sgd_lrs=(1e-5, 1e-4), steps=600, checkpoints=4,
                     device=None, seed=0, tol=1e-6,
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
        Learning-rate grids (Adam full batch, SGD batches of 128).  The objective sums
        over rows, so SGD needs steps about n times smaller than Adam (which is
        scale-free); a rate that diverges is skipped.
    tol : float
        FISTA stops at this certified relative gap.
    budgets : tuple
        FISTA iteration budgets for the accuracy-versus-time curve (warm starts; the
        curve stops once the certified gap meets its tolerance).

    Returns
    -------
    list of Run
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
    runs.append(Run(f"convex gated ReLU, FISTA, {len(patterns)} conv gates", device, elapsed,
                    sol.objective, curve[-1][1], curve[-1][2],
                    f"{sol.status}, gap <= tol: {sol.relative_gap <= tol}", curve))

    # convex ReLU with cone constraints, fewer patterns
    rp = patterns[:relu_patterns]
    t0 = time.perf_counter()
    relu = solve_convex(X, Y, beta, rp, progress=False)
    t = time.perf_counter() - t0
    net = relu.network()
    runs.append(Run(f"convex ReLU, {len(rp)} patterns ({relu.solver})", "cpu", t,
                    relu.objective, net.accuracy(X, data.y_train), net.accuracy(Xte, data.y_test),
                    f"{relu.status}, gap <= 1e-6: {relu.relative_gap <= 1e-6}",
                    [(t, net.accuracy(X, data.y_train), net.accuracy(Xte, data.y_test))]))

    # the non-convex network, same width, Adam and SGD
    for opt, batch, lrs in (("adam", None, adam_lrs), ("sgd", 128, sgd_lrs)):
        best = None
        for lr in lrs:
            net, curve, elapsed = None, [], 0.0
            seg = max(steps // checkpoints, 1)
            try:
                for _ in range(checkpoints):
                    t0 = time.perf_counter()
                    net = train_nonconvex(X, Y, n_patterns, beta, optimizer=opt, lr=lr,
                                          steps=seg, batch_size=batch, seed=seed, init=net,
                                          record_every=seg)
                    elapsed += time.perf_counter() - t0
                    curve.append((elapsed, net.accuracy(X, data.y_train),
                                  net.accuracy(Xte, data.y_test)))
            except FloatingPointError:
                continue  # this learning rate diverged
            obj = net.objective(X, Y, beta)
            if best is None or obj < best.objective:
                best = Run(f"non-convex, {opt} (best lr={lr:g})", "cpu", elapsed, obj,
                           curve[-1][1], curve[-1][2], f"width {n_patterns}", curve)
        if best is None:
            raise FloatingPointError(f"{opt} diverged at every learning rate in {lrs}")
        runs.append(best)
    return runs

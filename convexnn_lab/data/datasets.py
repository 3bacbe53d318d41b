"""Data for the book: bundled real sets, the seeds' toy examples, generators, CIFAR-10.

Nothing here downloads: real data come from scikit-learn's bundled files, CIFAR-10
from a local folder of the official python batches.
"""

from __future__ import annotations

import math
import numbers
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._internal.validation import (
    check_bool,
    check_choice,
    check_optional_count,
    check_positive_int,
    check_seed,
    check_X,
)

__all__ = [
    "CIFAR10_ENV",
    "TOYS",
    "Dataset",
    "add_bias",
    "load_cifar10",
    "load_dataset",
    "planted_linear",
    "planted_relu",
    "spiral",
    "toy",
    "validation_split",
]

BUNDLED = ("breast_cancer", "digits", "wine", "diabetes", "iris")
CIFAR10_ENV = "CONVEXNN_CIFAR10_DIR"


@dataclass
class Dataset:
    """A train/test split. ``y`` holds class indices (classification) or values.

    Attributes
    ----------
    X_train : ndarray of shape (n_train, d)
    X_test : ndarray of shape (n_test, d)
    y_train, y_test : ndarray
    task : {"classification", "regression"}
    classes : ndarray or None
    name : str
    """

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    task: str
    name: str
    classes: np.ndarray | None = None
    feature_names: list | None = None

    def signed_labels(self, positive=None):
        """Binary labels as -1/+1 (train, test); `positive` is the +1 class."""
        if self.task != "classification":
            raise ValueError(f"{self.name} is a regression set; it has no labels")
        positive = self.classes[-1] if positive is None else positive
        return (np.where(self.y_train == positive, 1.0, -1.0),
                np.where(self.y_test == positive, 1.0, -1.0))


    def validation_split(self, val_size: float = 0.25, seed=0):
        """Carve a validation set out of the training rows (the test rows stay unseen).

        :func:`validation_split` on the training rows, stratified by class for
        classification; choose hyperparameters on ``X_train[val]``, then report the test
        error once.  Returns ``fit, val``, row indices into ``X_train``.
        """
        labels = self.y_train if self.task == "classification" else None
        return validation_split(len(self.X_train), val_size, seed=seed, labels=labels,
                                name="val_size")


def validation_split(n: int, fraction: float = 0.25, *, seed=0, labels=None,
                     name: str = "fraction"):
    """Rows to fit on and rows to validate on: a seeded random split of ``range(n)``.

    Parameters
    ----------
    n : int >= 2
        Number of training rows.
    fraction : float in (0, 1)
        Share of the rows held out, ``round(fraction * n)`` of them (at least one row on
        each side).
    seed : None, int >= 0 or numpy.random.Generator
    labels : array_like of shape (n,), optional
        Class labels: the split keeps their proportions on both sides (stratified).
    name : str
        The caller's name for `fraction`, for the error message.

    Returns
    -------
    fit, val : sorted int ndarrays, disjoint, together ``range(n)``

    Raises
    ------
    ValueError
        If `fraction` is not in (0, 1) or leaves a side empty.
    """
    n = check_positive_int(n, "n", minimum=2)
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) \
            or not 0 < fraction < 1:
        raise ValueError(f"{name} must be a fraction in (0, 1) of the training rows, such as "
                         f"0.25, got {fraction!r}")
    n_val = round(fraction * n)
    if not 1 <= n_val <= n - 1:
        raise ValueError(f"{name}={fraction} of {n} rows leaves {n_val} rows to validate and "
                         f"{n - n_val} to fit; pick a fraction that keeps both above 0")
    seed = check_seed(seed)
    if labels is None:
        perm = np.random.default_rng(seed).permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])
    from sklearn.model_selection import train_test_split

    if isinstance(seed, np.random.Generator) or seed is None:
        seed = int(np.random.default_rng(seed).integers(2**31))
    fit, val = train_test_split(np.arange(n), test_size=fraction, random_state=seed,
                                stratify=np.asarray(labels))
    return np.sort(fit), np.sort(val)


def check_test_size(test_size, rows: str = "rows", example: float = 0.25) -> float:
    """`test_size` as a fraction in (0, 1): the share of `rows` held out for testing."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction in (0, 1) such as {example}, got "
                        f"{type(test_size).__name__} {test_size!r}")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size}; it is the fraction "
                         f"of {rows} held out for testing (e.g. {example})")
    return float(test_size)


def add_bias(X) -> np.ndarray:
    """Append a column of ones to X (shape (n, d) -> (n, d+1)): the bias (notation, chapter 00)."""
    X = check_X(X)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def load_dataset(
    name: str = "breast_cancer",
    *,
    test_size: float = 0.25,
    seed: int = 0,
    standardize: bool = True,
    n_samples: int | None = None,
) -> Dataset:
    """A scikit-learn bundled data set, split by `seed` and standardized.

    Parameters
    ----------
    name : {"breast_cancer", "digits", "wine", "diabetes", "iris"}
    test_size : float
        Fraction of rows held out, in (0, 1).
    seed : None, int >= 0 or numpy.random.Generator
        Seed of the split (and of the subsample).
    standardize : bool
        Center and scale features with the training statistics; regression targets
        are centered and scaled too.
    n_samples : int, optional
        Keep a random subset of this many rows before splitting (CI-sized runs); at
        least 4, and for a classification set enough that the stratified split gives
        every class two rows and both parts at least one row per class.

    Raises
    ------
    ValueError
        If `name` is unknown, `test_size` is outside (0, 1), `seed` is negative, or
        `n_samples` is too small for the split (the message says how large it must be).
    TypeError
        If `test_size`, `n_samples` or `seed` has the wrong type.
    """
    import sklearn.datasets as skd
    from sklearn.model_selection import train_test_split

    check_choice(name, "name", BUNDLED)
    check_test_size(test_size, "rows", 0.25)
    seed = check_seed(seed)
    standardize = check_bool(standardize, "standardize")
    n_samples = check_optional_count(n_samples, "n_samples")
    if n_samples is not None and n_samples < 4:
        raise ValueError(f"n_samples must be >= 4 (or None for every row), got {n_samples}; "
                         "a train/test split needs a few rows on each side")
    bunch = getattr(skd, f"load_{name}")()
    X, y = bunch.data.astype(np.float64), bunch.target
    task = "regression" if name == "diabetes" else "classification"
    rng = np.random.default_rng(seed)
    # train_test_split takes an int (not a Generator) as its seed
    split_seed = int(rng.integers(2**31)) if isinstance(seed, np.random.Generator) else seed
    if n_samples is not None:
        keep = np.sort(rng.choice(len(X), size=min(n_samples, len(X)), replace=False))
        X, y = X[keep], y[keep]
        if task == "classification":
            _check_stratified_split(name, y, bunch.target, n_samples, test_size)
    strat = y if task == "classification" else None
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, random_state=split_seed,
                                          stratify=strat)
    if standardize:
        mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
        sd[sd == 0] = 1.0
        Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
        if task == "regression":
            ym, ys = ytr.mean(), ytr.std()
            ytr, yte = (ytr - ym) / ys, (yte - ym) / ys
    classes = np.unique(y) if task == "classification" else None
    names = [str(f) for f in getattr(bunch, "feature_names", [])]
    return Dataset(Xtr, Xte, ytr.astype(float) if task == "regression" else ytr,
                   yte.astype(float) if task == "regression" else yte,
                   task, name, classes, names)


def _check_stratified_split(name, y, y_all, n_samples, test_size) -> None:
    """Raise a clear error where train_test_split(stratify=y) would fail on the subsample."""
    classes, counts = np.unique(y, return_counts=True)
    n_classes = len(np.unique(y_all))
    n_test = math.ceil(test_size * len(y))
    n_train = len(y) - n_test
    problems = []
    if counts.min() < 2:
        small = classes[counts < 2]
        which = (f"class {small[0]} has" if len(small) == 1
                 else f"classes {', '.join(str(c) for c in small)} have")
        problems.append(f"{which} a single row (a stratified split needs two)")
    if min(n_test, n_train) < len(classes):
        problems.append(f"test_size={test_size} leaves {n_train} train and {n_test} test rows "
                        f"for {len(classes)} classes (each part needs one row per class)")
    if problems:
        need = max(10 * n_classes, 4)
        raise ValueError(
            f"n_samples={n_samples} is too small for a stratified split of {name}: "
            f"{'; '.join(problems)}; pass n_samples >= {need} (the subsample is random, so "
            f"about 10 rows per class keep every class) or n_samples=None for all "
            f"{len(y_all)} rows"
        )


TOYS = {
    # single ReLU, two points: two local minima of values y1^2 and y2^2 (blog, II)
    "two_points": (np.array([[-1.0], [1.0]]), np.array([1.0, 0.5])),
    # two neurons, two points: the landscape of the blog's first figure
    "two_neurons": (np.array([[-1.0], [1.0]]), np.array([1.0, 2.0])),
    # 1-D data with a bias column: x = -0.2 and 1 with labels 0.5 and 1
    "bias_two_points": (np.array([[-0.2, 1.0], [1.0, 1.0]]), np.array([0.5, 1.0])),
    # rows 1 and 2 parallel: exactly 4 patterns (000, 001, 110, 111)
    "parallel_rows": (np.array([[3.0, 3.0], [2.0, 2.0], [1.0, 0.0]]), np.array([1.0, 0.5, -1.0])),
}


def toy(name: str):
    """A named toy example from the seeds: returns copies of (X, y)."""
    check_choice(name, "name", tuple(TOYS))
    X, y = TOYS[name]
    return X.copy(), y.copy()


def planted_linear(n: int, d: int, *, noise: float = 0.0, seed: int = 0):
    """``y = X w* + noise``, X Gaussian (n, d), w* uniform on the sphere.

    Returns X, y, w_star.
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    rng = np.random.default_rng(check_seed(seed))
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    return X, X @ w + noise * rng.standard_normal(n), w


def planted_relu(n: int, d: int, m: int = 3, *, noise: float = 0.0, seed: int = 0, X=None):
    """``y = relu(X W*) a* + noise`` from a planted network of width m.

    W* has N(0, 1/d) entries and a* entries +-1.  X is Gaussian (n, d) unless given
    (then its shape must be (n, d)): planted targets on data of your choosing.

    Returns X, y and the planted TwoLayerNetwork.
    """
    from ..core.networks import TwoLayerNetwork

    n, d, m = (check_positive_int(v, k) for v, k in ((n, "n"), (d, "d"), (m, "m")))
    rng = np.random.default_rng(check_seed(seed))
    if X is None:
        X = rng.standard_normal((n, d))
    else:
        X = np.array(X, dtype=np.float64)
        if X.shape != (n, d):
            raise ValueError(f"X must have shape (n, d) = ({n}, {d}), got {X.shape}; pass "
                             "n and d of the data you give")
    net = TwoLayerNetwork(rng.standard_normal((d, m)) / np.sqrt(d),
                          rng.choice([-1.0, 1.0], size=m))
    return X, net.predict(X) + noise * rng.standard_normal(n), net


def spiral(n: int = 100, *, turns: float = 1.5, noise: float = 0.05, seed: int = 0):
    """Two interleaved spirals in 2-D with labels -1/+1 (n points in all)."""
    n = check_positive_int(n, "n", minimum=2)
    rng = np.random.default_rng(check_seed(seed))
    half = n // 2
    t = np.sqrt(rng.random(half)) * turns * 2 * np.pi
    arm = np.column_stack([t * np.cos(t), t * np.sin(t)]) / (turns * 2 * np.pi)
    X = np.vstack([arm, -arm[: n - half]]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.ones(half), -np.ones(n - half)])
    return X, y


def load_cifar10(path=None, *, n_train: int | None = None, n_test: int | None = None):
    """CIFAR-10 from the official python batches in a local folder.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``
        (the ``cifar-10-batches-py`` folder of the official archive).  Defaults to
        the environment variable ``CONVEXNN_CIFAR10_DIR``.
    n_train, n_test : int, optional
        Keep only the first rows (at least 1).

    Returns
    -------
    Dataset
        X of shape (n, 3072) as float64 in [0, 1] (channel-major, 3 x 32 x 32), y the
        class index.

    Raises
    ------
    FileNotFoundError
        Naming the folder and the files expected there; nothing is downloaded.
    ValueError
        Naming the file, if a batch is not a pickle, is truncated, or does not hold a
        (k, 3072) uint8 ``data`` array with k integer ``labels`` in 0..9; and if
        `n_train` or `n_test` is below 1.
    TypeError
        If `n_train` or `n_test` is not an integer or None.
    """
    n_train = check_optional_count(n_train, "n_train")
    n_test = check_optional_count(n_test, "n_test")
    folder = path if path is not None else os.environ.get(CIFAR10_ENV)
    if folder is None:
        raise FileNotFoundError(
            "CIFAR-10 is not bundled and is never downloaded: put the official python "
            "batches (folder cifar-10-batches-py: data_batch_1..5, test_batch) on disk and "
            f"pass load_cifar10(path=...) or set {CIFAR10_ENV}"
        )
    folder = Path(folder)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [nm for nm in names if not (folder / nm).is_file()]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 folder {folder} lacks {', '.join(missing)}; it must hold the "
            "official python batches data_batch_1..data_batch_5 and test_batch"
        )

    parts = [_read_cifar_batch(folder / nm) for nm in names[:5]]
    Xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    Xte, yte = _read_cifar_batch(folder / "test_batch")
    if n_train is not None:
        Xtr, ytr = Xtr[:n_train], ytr[:n_train]
    if n_test is not None:
        Xte, yte = Xte[:n_test], yte[:n_test]
    return Dataset(Xtr / 255.0, Xte / 255.0, ytr, yte, "classification", "cifar10",
                   np.arange(10))


_REFETCH = "extract the official archive cifar-10-python.tar.gz again"


def _read_cifar_batch(file: Path):
    """Images (k, 3072) uint8 and labels (k,) int64 of one official python batch."""
    try:
        with open(file, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError,
            ImportError, IndexError, KeyError, UnicodeDecodeError, MemoryError) as exc:
        if isinstance(exc, EOFError) or "truncated" in str(exc):
            raise ValueError(f"CIFAR-10 batch {file} is truncated (the pickle ends early); "
                             f"{_REFETCH}") from exc
        raise ValueError(f"CIFAR-10 batch {file} is not a valid pickle "
                         f"({type(exc).__name__}: {exc}); {_REFETCH}") from exc
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch)[:6] if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(f"CIFAR-10 batch {file} is not a CIFAR-10 python batch: expected a "
                         f"dict with keys b'data' and b'labels', got {keys}; {_REFETCH}")
    try:
        data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"CIFAR-10 batch {file} holds data or labels that are not arrays "
                         f"({exc}); {_REFETCH}") from exc
    if (not np.issubdtype(data.dtype, np.integer) or data.ndim != 2 or data.shape[1] != 3072
            or (data.size and (data.min() < 0 or data.max() > 255))):
        raise ValueError(f"CIFAR-10 batch {file} holds data of shape {data.shape} and dtype "
                         f"{data.dtype}; a batch holds uint8 images of shape (k, 3072) "
                         f"(3 x 32 x 32, channel-major); {_REFETCH}")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"CIFAR-10 batch {file} holds labels of shape {labels.shape} and "
                         f"dtype {labels.dtype}; expected {len(data)} integer class indices; "
                         f"{_REFETCH}")
    if len(labels) != len(data):
        raise ValueError(f"CIFAR-10 batch {file} holds {len(labels)} labels for {len(data)} "
                         f"images; they must match one to one; {_REFETCH}")
    bad = (labels < 0) | (labels > 9)
    if bad.any():
        raise ValueError(f"CIFAR-10 batch {file} holds {int(bad.sum())} label(s) outside "
                         f"0..9 (e.g. {labels[bad][0]} at row {int(np.flatnonzero(bad)[0])}); "
                         f"{_REFETCH}")
    return data.astype(np.uint8), labels.astype(np.int64)

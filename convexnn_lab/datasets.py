"""Data for the book: bundled real sets, the seeds' toy examples, generators, CIFAR-10.

Nothing here downloads: real data come from scikit-learn's bundled files, CIFAR-10
from a local folder of the official python batches.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._validation import check_choice, check_positive_int

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


def add_bias(X) -> np.ndarray:
    """Append a column of ones to X (shape (n, d) -> (n, d+1)): the bias (notation, chapter 00)."""
    X = np.asarray(X, dtype=np.float64)
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
        Fraction of rows held out.
    seed : int
        Seed of the split (and of the subsample).
    standardize : bool
        Center and scale features with the training statistics; regression targets
        are centered and scaled too.
    n_samples : int, optional
        Keep a random subset of this many rows before splitting (CI-sized runs).
    """
    import sklearn.datasets as skd
    from sklearn.model_selection import train_test_split

    check_choice(name, "name", BUNDLED)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
    bunch = getattr(skd, f"load_{name}")()
    X, y = bunch.data.astype(np.float64), bunch.target
    task = "regression" if name == "diabetes" else "classification"
    rng = np.random.default_rng(seed)
    if n_samples is not None:
        n_samples = check_positive_int(n_samples, "n_samples", minimum=4)
        keep = np.sort(rng.choice(len(X), size=min(n_samples, len(X)), replace=False))
        X, y = X[keep], y[keep]
    strat = y if task == "classification" else None
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, random_state=seed,
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
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    return X, X @ w + noise * rng.standard_normal(n), w


def planted_relu(n: int, d: int, m: int = 3, *, noise: float = 0.0, seed: int = 0):
    """``y = relu(X W*) a* + noise`` from a planted network of width m.

    Returns X, y and the planted TwoLayerNetwork.
    """
    from .networks import TwoLayerNetwork

    n, d, m = (check_positive_int(v, k) for v, k in ((n, "n"), (d, "d"), (m, "m")))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    net = TwoLayerNetwork(rng.standard_normal((d, m)) / np.sqrt(d),
                          rng.choice([-1.0, 1.0], size=m))
    return X, net.predict(X) + noise * rng.standard_normal(n), net


def spiral(n: int = 100, *, turns: float = 1.5, noise: float = 0.05, seed: int = 0):
    """Two interleaved spirals in 2-D with labels -1/+1 (n points in all)."""
    n = check_positive_int(n, "n", minimum=2)
    rng = np.random.default_rng(seed)
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
        Keep only the first rows.

    Returns
    -------
    Dataset
        X of shape (n, 3072) as float64 in [0, 1] (channel-major, 3 x 32 x 32), y the
        class index.

    Raises
    ------
    FileNotFoundError
        Naming the folder and the files expected there; nothing is downloaded.
    """
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

    def read(nm):
        with open(folder / nm, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
        if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise ValueError(f"{folder / nm} is not a CIFAR-10 python batch "
                             f"(data shape {data.shape})")
        return data, labels

    parts = [read(nm) for nm in names[:5]]
    Xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    Xte, yte = read("test_batch")
    if n_train is not None:
        Xtr, ytr = Xtr[:n_train], ytr[:n_train]
    if n_test is not None:
        Xte, yte = Xte[:n_test], yte[:n_test]
    return Dataset(Xtr / 255.0, Xte / 255.0, ytr, yte, "classification", "cifar10",
                   np.arange(10))

"""Chapter 10: two-layer heads on pretrained sentence embeddings.

A pretrained embedding model stays frozen; a two-layer ReLU network on its features (a
"head") is trained by its convex program, by Adam, or replaced by a linear probe.  With
c classes the heads here are one-vs-rest: one scalar network per class on the labels
``+1`` (the class) and ``-1`` (the rest), each with its own program and patterns, and
the class with the largest output wins.  :func:`merge_heads` (``networks.stack_outputs``)
joins the c networks into one network with c outputs (block-diagonal second layer), which
``TwoLayerNetwork.to_torch`` turns into a ``torch.nn.Module``.

A block of the program counts as a neuron here when its norm is above ``NEURON_RTOL``
times the largest: an interior point leaves the blocks it does not use near 1e-7 of the
largest, not at 0, and the library's default cutoff (1e-7) would count them.

The convex route's cost grows with the feature dimension d (chapter 02; the interior
point's Newton systems), so the chapter first projects the 384-dimensional embeddings
on their top k principal components (:class:`Projection`).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_positive_int, check_X
from ..core.networks import stack_outputs
from ..data.datasets import add_bias
from ..status import ConvergenceWarning
from ..training.nonconvex import train_nonconvex
from ..training.pricing import train_convex

__all__ = ["NEURON_RTOL", "HeadFit", "Projection", "features", "fit_adam_heads",
           "fit_convex_heads", "head_accuracy", "head_objective", "merge_heads", "one_vs_rest",
           "probe_accuracies"]

# a block is a neuron when its norm is above this times the largest block's
NEURON_RTOL = 1e-4

merge_heads = stack_outputs  # c one-vs-rest networks as one network with c outputs


@dataclass(frozen=True)
class Projection:
    """``z = (e - mean) @ components.T / scale``: the top k principal components of the
    training embeddings, scaled so that the first has unit variance.

    Attributes
    ----------
    mean : ndarray of shape (D,);  components : ndarray of shape (k, D);  scale : float
    """

    mean: np.ndarray
    components: np.ndarray
    scale: float

    @classmethod
    def fit(cls, E, k: int) -> "Projection":
        """The projection on the top `k` principal components of E (n, D)."""
        E = check_X(E, "E")
        k = check_positive_int(k, "k")
        if k > min(E.shape):
            raise ValueError(f"k={k} is more than min(n, D) = {min(E.shape)} components; "
                             "pass a smaller k")
        mean = E.mean(axis=0)
        _, s, vt = np.linalg.svd(E - mean, full_matrices=False)
        # the sign of each component fixed (largest entry positive): the same features
        # on every machine's LAPACK
        signs = np.sign(vt[:k][np.arange(k), np.abs(vt[:k]).argmax(axis=1)])
        return cls(mean, vt[:k] * signs[:, None], float(s[0] / np.sqrt(len(E))))

    def __call__(self, E) -> np.ndarray:
        """The features (n, k) of embeddings E (n, D)."""
        return (check_X(E, "E") - self.mean) @ self.components.T / self.scale

    def to_torch(self, dtype=None):
        """The projection as a ``torch.nn.Linear(D, k)``."""
        import torch

        dtype = dtype or torch.float32
        k, D = self.components.shape
        layer = torch.nn.Linear(D, k, dtype=dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(self.components / self.scale))
            layer.bias.copy_(torch.as_tensor(-self.components @ self.mean / self.scale))
        return layer


def one_vs_rest(labels, n_classes: int) -> np.ndarray:
    """Targets (n, c): +1 in the column of each point's class, -1 elsewhere."""
    labels = np.asarray(labels)
    return np.where(labels[:, None] == np.arange(n_classes)[None, :], 1.0, -1.0)


def probe_accuracies(E_train, y_train, E_test, y_test, ks, *, C=1.0) -> dict:
    """Accuracy on (E_test, y_test) of a linear probe (scikit-learn's LogisticRegression)
    fitted on (E_train, y_train), on the top k principal components of E_train, for each
    k in `ks` (None: the embeddings themselves)."""
    from sklearn.linear_model import LogisticRegression

    out = {}
    for k in ks:
        if k is None:
            A, B = E_train, E_test
        else:
            proj = Projection.fit(E_train, k)
            A, B = proj(E_train), proj(E_test)
        model = LogisticRegression(C=C, max_iter=2000).fit(A, y_train)
        out[k] = float(model.score(B, y_test))
    return out


@dataclass
class HeadFit:
    """c one-vs-rest networks and how they were trained.

    Attributes
    ----------
    networks : list of TwoLayerNetwork, one per class (inputs: features with a bias)
    seconds : float
        Wall time of the whole fit (for Adam: the lr grid included).
    reports : list
        ``train_convex``'s TrainingReport per class (convex), else empty.
    lr : float or None
        The learning rate chosen on the validation split (Adam).
    by_lr : dict
        Adam: for each learning rate, ``(networks, validation accuracy, summed L)``.
    """

    networks: list
    seconds: float
    reports: list
    lr: float | None = None
    by_lr: dict | None = None

    def lowest(self):
        """Adam: the learning rate whose heads reach the lowest summed L, and the heads."""
        lr = min(self.by_lr, key=lambda r: self.by_lr[r][2])
        return lr, self.by_lr[lr][0]


def fit_convex_heads(X, labels, beta, n_classes, *, warm_networks=None, **kwargs) -> HeadFit:
    """One ``train_convex`` per class on features X (n, d) with a bias column.

    `warm_networks` (one network per class, e.g. Adam's) start each class's rounds from
    that network's patterns, instead of the L-BFGS network ``train_convex`` trains by
    default; kwargs go to ``train_convex`` (``max_rounds``, ``seed``, ...).  The status
    per class is in ``reports``; the networks keep the blocks above ``NEURON_RTOL``.
    """
    Y = one_vs_rest(labels, n_classes)
    warm = [None] * n_classes if warm_networks is None else list(warm_networks)
    if len(warm) != n_classes:
        raise ValueError(f"warm_networks has {len(warm)} networks for {n_classes} classes; "
                         "pass one per class")
    start = time.perf_counter()
    reports = []
    with warnings.catch_warnings():  # the statuses are kept in the reports
        warnings.simplefilter("ignore", ConvergenceWarning)
        for c in range(n_classes):
            extra = {} if warm[c] is None else {"warm_network": warm[c]}
            reports.append(train_convex(X, Y[:, c], beta, **extra, **kwargs))
    return HeadFit([r.solution.network(NEURON_RTOL) for r in reports],
                   time.perf_counter() - start, reports)


def fit_adam_heads(X, labels, beta, n_classes, X_val, labels_val, *, width=100,
                   steps=2000, lrs=(1e-3, 1e-2, 5e-2), seed=0) -> HeadFit:
    """Adam's one-vs-rest heads (width `width`, full batch, best iterate of each run) at
    every lr of `lrs`; the lr whose heads classify the validation split best wins (ties:
    the lower summed objective).  ``seconds`` is the whole grid's."""
    Y = one_vs_rest(labels, n_classes)
    start = time.perf_counter()
    by_lr = {}
    for lr in lrs:
        nets = [train_nonconvex(X, Y[:, c], width, beta, lr=lr, steps=steps, seed=seed,
                                keep_best=True) for c in range(n_classes)]
        by_lr[lr] = (nets, head_accuracy(nets, X_val, labels_val),
                     head_objective(nets, X, labels, beta))
    chosen = max(by_lr, key=lambda lr: (by_lr[lr][1], -by_lr[lr][2]))
    return HeadFit(by_lr[chosen][0], time.perf_counter() - start, [], lr=chosen, by_lr=by_lr)


def head_accuracy(networks, X, labels) -> float:
    """Accuracy of the one-vs-rest heads: the class whose network outputs most."""
    scores = np.column_stack([net.predict(X) for net in networks])
    return float(np.mean(scores.argmax(axis=1) == np.asarray(labels)))


def head_objective(networks, X, labels, beta) -> float:
    """The summed objective L of the c networks, each on its own +-1 targets (the
    quantity the convex heads minimize, class by class)."""
    Y = one_vs_rest(labels, len(networks))
    return float(sum(net.objective(X, Y[:, c], beta) for c, net in enumerate(networks)))


def features(projection: Projection, E) -> np.ndarray:
    """The heads' inputs: the projected embeddings with a bias column, (n, k + 1)."""
    return add_bias(projection(E))

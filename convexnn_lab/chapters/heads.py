"""Chapter 10: two-layer heads on pretrained sentence embeddings.

A pretrained embedding model stays frozen; a two-layer ReLU network on its features (a
"head") is trained by its convex program, by Adam, or replaced by a linear probe.  With
c classes the heads here are one-vs-rest: one scalar network per class on the labels
``+1`` (the class) and ``-1`` (the rest), each with its own program and patterns, and
the class with the largest output wins.  :func:`merge_heads` joins the c networks into
one network with c outputs (block-diagonal second layer), which
``TwoLayerNetwork.to_torch`` turns into a ``torch.nn.Module``.

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
from ..core.networks import TwoLayerNetwork
from ..data.datasets import add_bias
from ..status import ConvergenceWarning
from ..training.nonconvex import train_nonconvex
from ..training.pricing import train_convex

__all__ = ["HeadFit", "Projection", "fit_adam_heads", "fit_convex_heads", "head_accuracy",
           "head_objective", "merge_heads", "one_vs_rest", "probe_accuracies"]


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
    """Test accuracy of a linear probe (scikit-learn's LogisticRegression) on the top k
    principal components, for each k in `ks` (None: the embeddings themselves)."""
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
    """

    networks: list
    seconds: float
    reports: list
    lr: float | None = None


def fit_convex_heads(X, labels, beta, n_classes, **kwargs) -> HeadFit:
    """One ``train_convex`` per class on features X (n, d) with a bias column (kwargs
    passed on: ``max_rounds``, ``seed``, ...); its status per class is in ``reports``."""
    Y = one_vs_rest(labels, n_classes)
    start = time.perf_counter()
    reports = []
    with warnings.catch_warnings():  # the statuses are kept in the reports
        warnings.simplefilter("ignore", ConvergenceWarning)
        for c in range(n_classes):
            reports.append(train_convex(X, Y[:, c], beta, **kwargs))
    return HeadFit([r.network() for r in reports], time.perf_counter() - start, reports)


def fit_adam_heads(X, labels, beta, n_classes, X_val, labels_val, *, width=100,
                   steps=2000, lrs=(1e-3, 1e-2, 5e-2), seed=0) -> HeadFit:
    """Adam's one-vs-rest heads (width `width`, full batch, best iterate of each run) at
    every lr of `lrs`; the lr whose heads classify the validation split best wins (ties:
    the lower summed objective).  ``seconds`` is the whole grid's."""
    Y = one_vs_rest(labels, n_classes)
    start = time.perf_counter()
    best = None
    for lr in lrs:
        nets = [train_nonconvex(X, Y[:, c], width, beta, lr=lr, steps=steps, seed=seed,
                                keep_best=True) for c in range(n_classes)]
        score = (head_accuracy(nets, X_val, labels_val),
                 -head_objective(nets, X, labels, beta))
        if best is None or score > best[0]:
            best = (score, nets, lr)
    return HeadFit(best[1], time.perf_counter() - start, [], lr=best[2])


def head_accuracy(networks, X, labels) -> float:
    """Accuracy of the one-vs-rest heads: the class whose network outputs most."""
    scores = np.column_stack([net.predict(X) for net in networks])
    return float(np.mean(scores.argmax(axis=1) == np.asarray(labels)))


def head_objective(networks, X, labels, beta) -> float:
    """The summed objective L of the c networks, each on its own +-1 targets (the
    quantity the convex heads minimize, class by class)."""
    Y = one_vs_rest(labels, len(networks))
    return float(sum(net.objective(X, Y[:, c], beta) for c, net in enumerate(networks)))


def merge_heads(networks) -> TwoLayerNetwork:
    """One network with c outputs from c scalar networks: the neurons side by side, each
    class's output weights in its own column (zero elsewhere).  ``predict`` returns the
    c outputs as columns, the same numbers as the c networks."""
    if not networks:
        raise ValueError("networks is empty; pass one network per class")
    acts = {(net.activation, net.alpha) for net in networks}
    if len(acts) > 1:
        raise ValueError(f"the networks have different activations {sorted(acts)}; "
                         "merge networks of one activation")
    W1 = np.hstack([net.W1 for net in networks])
    w2 = np.zeros((W1.shape[1], len(networks)))
    start = 0
    for c, net in enumerate(networks):
        if net.outputs != 1:
            raise ValueError(f"network {c} has {net.outputs} outputs; merge scalar networks")
        w2[start:start + net.width, c] = net.w2
        start += net.width
    activation, alpha = acts.pop()
    return TwoLayerNetwork(W1, w2, activation=activation, alpha=alpha)


def features(projection: Projection, E) -> np.ndarray:
    """The heads' inputs: the projected embeddings with a bias column, (n, k + 1)."""
    return add_bias(projection(E))

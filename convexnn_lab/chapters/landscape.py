"""The small non-convex examples of chapter 0 (the landscapes of Pilanci's blog post).

All data terms use the library's scaling ``0.5 * ||f(X) - y||^2``; the blog writes
the same functions without the 1/2, so its minimum values y1^2 and y2^2 read
y1^2/2 and y2^2/2 here.
"""

from __future__ import annotations

import numpy as np

from .._internal.validation import check_beta, check_positive_int, check_Xy

__all__ = [
    "descend_two_neurons",
    "one_neuron_loss",
    "one_neuron_minima",
    "product_convex_loss",
    "product_loss",
    "product_map",
    "product_minimizer",
    "two_neuron_grad",
    "two_neuron_loss",
    "two_neuron_valleys",
]


def one_neuron_loss(w, X, y) -> np.ndarray:
    """``0.5 * sum_j (max(0, x_j w) - y_j)^2`` for each scalar weight in `w`.

    Parameters
    ----------
    w : float or array_like of any shape
    X : array_like of shape (n, 1)
    y : array_like of shape (n,)

    Returns
    -------
    ndarray with the shape of `w`
    """
    X, y = check_Xy(X, y)
    if X.shape[1] != 1:
        raise ValueError(f"X must have one column for a single scalar neuron, got {X.shape}")
    w = np.asarray(w, dtype=np.float64)
    out = np.maximum(0.0, np.multiply.outer(w, X[:, 0]))
    return 0.5 * np.sum((out - y) ** 2, axis=-1)


def one_neuron_minima(X, y) -> list[tuple[float, float]]:
    """The local minima (w, value) of :func:`one_neuron_loss`, smallest value first.

    With w > 0 the neuron fits the least-squares line through the points x_j > 0 and
    pays 0.5*y_j^2 for every x_j < 0 (and symmetrically for w < 0); w = 0 is a
    minimum only when neither side can lower the loss.
    """
    X, y = check_Xy(X, y)
    x = X[:, 0]
    out = []
    for side in (x > 0, x < 0):
        if not side.any():
            continue
        w = float(x[side] @ y[side] / (x[side] @ x[side]))
        if w * x[side][0] > 0:  # the fit keeps the same side active
            out.append((w, float(one_neuron_loss(w, X, y))))
    if not out:
        out.append((0.0, float(one_neuron_loss(0.0, X, y))))
    return sorted(out, key=lambda t: t[1])


def two_neuron_loss(w1, w2, X, y, beta: float = 0.0) -> np.ndarray:
    """Two ReLU neurons with second layer fixed to 1 on 1-D data (the blog's figure).

    ``0.5 * sum_j (max(0, x_j w1) + max(0, x_j w2) - y_j)^2 + (beta/2)(w1^2 + w2^2)``,
    evaluated elementwise over broadcast `w1`, `w2`.
    """
    X, y = check_Xy(X, y)
    beta = check_beta(beta, allow_zero=True)
    w1, w2 = np.broadcast_arrays(np.asarray(w1, float), np.asarray(w2, float))
    x = X[:, 0]
    f = np.maximum(0.0, np.multiply.outer(w1, x)) + np.maximum(0.0, np.multiply.outer(w2, x))
    return 0.5 * np.sum((f - y) ** 2, axis=-1) + 0.5 * beta * (w1**2 + w2**2)


def two_neuron_grad(w, X, y, beta: float = 0.0) -> np.ndarray:
    """Gradient of :func:`two_neuron_loss` at points ``w`` of shape (..., 2).

    Uses the ReLU derivative 1[z > 0] (0 at the kink), as autograd does.
    """
    X, y = check_Xy(X, y)
    w = np.asarray(w, dtype=np.float64)
    x = X[:, 0]
    z = w[..., :, None] * x  # (..., 2, n)
    r = np.maximum(0.0, z).sum(axis=-2) - y  # (..., n)
    return np.sum((z > 0) * x * r[..., None, :], axis=-1) + beta * w


def two_neuron_valleys(X, y) -> list[tuple[float, float]]:
    """The segments of minimizers of :func:`two_neuron_loss` without weight decay where both
    neurons serve the same side of the origin.

    Two neurons of the same sign act on that side as one neuron of weight ``w1 + w2``, so
    every split ``w1 + w2 = w`` with ``w1, w2`` strictly of the sign of `w` has the loss of
    the one-neuron minimum `w` (:func:`one_neuron_minima`): an open segment from ``(w, 0)``
    to ``(0, w)`` of local minima. Its end points are left out: there the zero neuron may
    turn to the other side and lower the loss (it does on chapter 00's data).

    Returns
    -------
    list of (w, value)
        One segment ``{w1 + w2 = w, w1 w > 0, w2 w > 0}`` per one-neuron minimum w != 0,
        with the loss on it.
    """
    return [(w, value) for w, value in one_neuron_minima(X, y) if w != 0.0]


def descend_two_neurons(X, y, *, beta: float = 0.0, n_starts: int = 20,
                        lr: float = 0.05, steps: int = 400, scale: float = 2.0,
                        seed: int = 0, starts=None):
    """Gradient descent on :func:`two_neuron_loss` from random starts.

    Parameters
    ----------
    starts : array_like of shape (k, 2), optional
        Starting points; otherwise `n_starts` uniform in [-scale, scale]^2.

    Returns
    -------
    paths : ndarray of shape (k, steps + 1, 2)
    final_loss : ndarray of shape (k,)
    """
    X, y = check_Xy(X, y)
    if starts is None:
        n_starts = check_positive_int(n_starts, "n_starts")
        rng = np.random.default_rng(seed)
        starts = rng.uniform(-scale, scale, size=(n_starts, 2))
    w = np.array(starts, dtype=np.float64).reshape(-1, 2)
    paths = [w.copy()]
    for _ in range(check_positive_int(steps, "steps", minimum=0)):
        w = w - lr * two_neuron_grad(w, X, y, beta)
        paths.append(w.copy())
    paths = np.stack(paths, axis=1)
    final = two_neuron_loss(paths[:, -1, 0], paths[:, -1, 1], X, y, beta)
    return paths, final


def product_loss(a, b, lam: float = 0.0) -> np.ndarray:
    """``(a b - 1)^2 + (lam/2)(a^2 + b^2)``: the second layer's multiplicative non-convexity."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return (a * b - 1.0) ** 2 + 0.5 * lam * (a**2 + b**2)


def product_convex_loss(z, lam: float = 0.0) -> np.ndarray:
    """``(z - 1)^2 + lam |z|``: the convex counterpart of :func:`product_loss`."""
    z = np.asarray(z, float)
    return (z - 1.0) ** 2 + lam * np.abs(z)


def product_minimizer(lam: float = 0.0) -> float:
    """``z* = max(1 - lam/2, 0)``: the minimizer of (z - 1)^2 + lam |z| (soft-thresholding)."""
    lam = check_beta(lam, "lam", allow_zero=True)
    return max(1.0 - lam / 2.0, 0.0)


def product_map(z):
    """``z -> (sgn(z) sqrt|z|, sqrt|z|)``: maps a convex solution to (a, b).

    ``product_loss(*product_map(z), lam) == product_convex_loss(z, lam)`` because
    ``a b = z`` and ``(a^2 + b^2)/2 = |z|``.
    """
    z = np.asarray(z, float)
    r = np.sqrt(np.abs(z))
    return np.sign(z) * r, r

"""Piecewise-linear activations sigma(z) = a*z for z >= 0 and b*z for z < 0.

ReLU is (a, b) = (1, 0), leaky ReLU (1, alpha), absolute value (1, -1)
(notation, chapter 00). With a pattern D_i = diag(1[X u >= 0]) the activation acts on
X u as the diagonal matrix Dt_i = a*D_i + b*(I - D_i) (chapter 2).
"""

from __future__ import annotations

import numbers

import numpy as np

ACTIVATIONS = ("relu", "leaky_relu", "absolute")

__all__ = ["ACTIVATIONS", "activate", "pattern_slopes", "scale_by_slopes", "slopes"]


def slopes(activation: str = "relu", alpha: float = 0.01) -> tuple[float, float]:
    """Return the slopes (a, b) of a piecewise-linear activation.

    Parameters
    ----------
    activation : {"relu", "leaky_relu", "absolute"}
    alpha : float
        Negative slope of the leaky ReLU (ignored otherwise).
    """
    if activation == "relu":
        return 1.0, 0.0
    if activation == "leaky_relu":
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"alpha must be a real number, got {type(alpha).__name__}")
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha must lie in [0, 1) for a leaky ReLU, got {alpha}")
        return 1.0, float(alpha)
    if activation == "absolute":
        return 1.0, -1.0
    options = ", ".join(repr(a) for a in ACTIVATIONS)
    raise ValueError(f"activation must be one of {options}; got {activation!r}")


def activate(Z, activation: str = "relu", alpha: float = 0.01):
    """Apply sigma elementwise to a numpy array or a torch tensor `Z`."""
    a, b = slopes(activation, alpha)
    if isinstance(Z, np.ndarray):
        return np.where(Z >= 0, a * Z, b * Z)
    return scale_by_slopes(Z, a, b)


def scale_by_slopes(Z, a: float, b: float):
    """sigma(Z) for a torch tensor `Z` as ``Z * s``, with s = a where Z >= 0 and b elsewhere
    held constant under autograd: the values and the gradient (slope a at 0) of
    ``torch.where(Z >= 0, a * Z, b * Z)``, bit for bit, in one product instead of three."""
    import torch

    with torch.no_grad():
        s = ((Z >= 0).to(Z.dtype) if (a, b) == (1.0, 0.0)
             else torch.full_like(Z, b).masked_fill_(Z >= 0, a))
    return Z * s


def pattern_slopes(patterns: np.ndarray, activation: str = "relu", alpha: float = 0.01):
    """Diagonals of Dt_i = a*D_i + b*(I - D_i) for every pattern.

    Parameters
    ----------
    patterns : ndarray of bool, shape (P, n)
        Row i is the diagonal of D_i.

    Returns
    -------
    ndarray of float, shape (P, n)
    """
    a, b = slopes(activation, alpha)
    return np.where(patterns, a, b).astype(np.float64)

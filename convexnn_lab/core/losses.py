"""The data term of the objective and its derivatives, for numpy and torch (chapter 2).

With prediction p = f(X) (the network's output, or the convex model's), the two losses are

    squared:   l(p) = 0.5 * ||p - y||^2                      (any real targets y)
    logistic:  l(p) = sum_j log(1 + exp(-y_j p_j))          (labels y_j in {-1, +1})

Every route of the library (the network's objective, the convex program, the certificate,
the interior-point and first-order solvers, the Newton polish) evaluates the loss here.
The dual variable of the program is ``lambda0 = -grad l(p)`` (``dual_residual``): the
residual ``y - p`` for the squared loss.  See the notation section of chapter 00.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["LOSSES", "check_loss", "data_loss", "dual_residual", "loss_parts"]

LOSSES = ("squared", "logistic")


def check_loss(loss) -> str:
    """Return `loss` if it is one of ``LOSSES``, else raise a ValueError naming it."""
    if not isinstance(loss, str) or loss not in LOSSES:
        options = ", ".join(repr(name) for name in LOSSES)
        raise ValueError(f"loss must be one of {options}; got {loss!r}")
    return loss


def check_targets(y, loss: str) -> None:
    """The one rule for targets: the logistic loss takes labels -1 and +1 only (with 0/1
    labels class 0 would add only log 2, whatever the network predicts)."""
    if check_loss(loss) == "logistic" and not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("y must hold labels -1 and +1 for loss='logistic'; map your "
                         "classes with np.where(labels == positive, 1.0, -1.0)")


def loss_parts(pred, y, loss: str = "squared"):
    """Value, gradient g and Hessian diagonal h of the loss with respect to `pred`.

    Parameters
    ----------
    pred, y : ndarray or torch.Tensor of shape (n,) (or (n, c) for the squared loss)
    loss : {"squared", "logistic"}

    Returns
    -------
    (value, g, h)
        `value` a scalar of the same library as `pred` (a float for numpy), `g` and `h` of
        the shape of `pred`.  ``g = -lambda0``.
    """
    if isinstance(pred, np.ndarray):
        if loss == "squared":
            r = pred - y
            return 0.5 * float(np.sum(r * r)), r, np.ones_like(r)
        t = -y * pred
        sig = expit(t)
        return float(np.sum(np.logaddexp(0.0, t))), -y * sig, sig * (1.0 - sig)
    import torch

    if loss == "squared":
        r = pred - y
        return 0.5 * (r * r).sum(), r, torch.ones_like(r)
    t = -y * pred
    sig = torch.sigmoid(t)
    return torch.nn.functional.softplus(t).sum(), -y * sig, sig * (1 - sig)


def data_loss(pred, y, loss: str = "squared") -> float:
    """The data term ``0.5*||pred - y||^2`` or ``sum_j log(1 + exp(-y_j pred_j))``."""
    check_loss(loss)
    return float(loss_parts(np.asarray(pred, dtype=np.float64), np.asarray(y, dtype=np.float64),
                            loss)[0])


def dual_residual(pred, y, loss: str = "squared"):
    """``lambda0 = -grad l(pred)``, shape (n,): ``y - pred`` for the squared loss."""
    return -loss_parts(pred, y, loss)[1]

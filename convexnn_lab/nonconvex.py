"""Training the non-convex network directly, in torch (chapters 0, 2 and 4).

Minimizes exactly the objective L of the notation section of chapter 00,
``L = 0.5*||f(X) - y||^2 + (beta/2)*(||W1||_F^2 + ||w2||^2)``, so its values compare
with the convex program's.
"""

from __future__ import annotations

import numpy as np

from ._threads import torch_threads
from ._validation import check_beta, check_choice, check_device, check_positive_int, check_Xy
from .activations import ACTIVATIONS, slopes
from .losses import LOSSES
from .networks import TwoLayerNetwork

OPTIMIZERS = ("adam", "sgd", "gd")

__all__ = ["OPTIMIZERS", "train_nonconvex"]


def train_nonconvex(
    X,
    y,
    width: int,
    beta: float,
    *,
    activation: str = "relu",
    alpha: float = 0.01,
    loss: str = "squared",
    optimizer: str = "adam",
    lr: float = 1e-2,
    steps: int = 1000,
    batch_size: int | None = None,
    init_scale: float = 1.0,
    init: TwoLayerNetwork | None = None,
    seed: int = 0,
    progress: bool = False,
    record_every: int = 1,
    threads: int = 1,
    device: str = "cpu",
) -> TwoLayerNetwork:
    """Train ``f(x) = sigma(x^T W1) w2`` on the objective L with a torch optimizer.

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    width : int
        Number of neurons m.
    beta : float
        Weight decay (>= 0 here, so the unregularized problem can be studied).
    optimizer : {"adam", "sgd", "gd"}
        "gd" is full-batch gradient descent; "sgd" uses minibatches of
        `batch_size` (the gradient is scaled by n / batch_size so it estimates the
        full objective's); "adam" uses full batches unless `batch_size` is given.
    lr : float
        Step size.
    steps : int
        Number of updates.
    init_scale : float
        Weights start as ``init_scale * N(0, 1/d)`` (first layer) and
        ``init_scale * N(0, 1/m)`` (second layer).
    init : TwoLayerNetwork, optional
        Start from these weights instead.
    seed : int
        Seeds the initialization and the minibatches (float64 throughout).
    progress : bool
        Show a tqdm progress bar.
    record_every : int
        Record the full objective every this many steps in ``history``.
    threads : int
        Torch intra-op threads (default 1, as the convex solvers: spinning threads stall
        when another process holds a core; raise it on a quiet machine with many cores).
    device : {"cpu", "cuda", "cuda:k"}
        Where the steps run (default "cpu").  The initialization and the minibatches
        are drawn on the CPU from `seed`, so every device starts from the same weights.

    Returns
    -------
    TwoLayerNetwork
        With ``history``: the full objective at steps 0, record_every, ... and at the end.
    """
    import torch
    from tqdm.auto import tqdm

    X, y = check_Xy(X, y, allow_matrix=True)
    if y.ndim == 2 and loss != "squared":
        raise ValueError("vector outputs (y of shape (n, c)) use loss='squared'")
    width = check_positive_int(width, "width")
    beta = check_beta(beta, allow_zero=True)
    check_choice(activation, "activation", ACTIVATIONS)
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    check_choice(loss, "loss", LOSSES)
    steps = check_positive_int(steps, "steps", minimum=0)
    record_every = check_positive_int(record_every, "record_every")
    threads = check_positive_int(threads, "threads")
    device = check_device(device)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive step size, got {lr}")
    a, b = slopes(activation, alpha)
    n, d = X.shape
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
        if optimizer == "gd":
            raise ValueError("optimizer='gd' is full batch; use 'sgd' with batch_size")
    elif optimizer == "sgd":
        batch_size = min(32, n)
    gen = torch.Generator().manual_seed(int(seed))
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    if init is not None:
        if init.W1.shape != (d, init.width):
            raise ValueError(f"init has inputs of size {init.W1.shape[0]}, X has {d} columns")
        W1 = torch.tensor(init.W1, dtype=torch.float64)
        w2 = torch.tensor(init.w2, dtype=torch.float64)
    else:
        W1 = init_scale * torch.randn(d, width, generator=gen, dtype=torch.float64) / np.sqrt(d)
        shape = (width,) if y.ndim == 1 else (width, y.shape[1])
        w2 = init_scale * torch.randn(shape, generator=gen, dtype=torch.float64) / np.sqrt(width)
    Xt, yt, W1, w2 = (t.to(device) for t in (Xt, yt, W1, w2))
    W1.requires_grad_(True)
    w2.requires_grad_(True)
    params = [W1, w2]
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)

    def objective(rows=None):
        if rows is None:
            return _torch_objective(Xt, yt, W1, w2, a, b, beta, loss)
        rows = rows.to(device)
        return _torch_objective(Xt[rows], yt[rows], W1, w2, a, b, beta, loss,
                                fit_scale=n / len(rows))

    history = []
    bar = tqdm(range(steps), disable=not progress, desc=f"{optimizer} m={width}")
    with torch_threads(threads):
        _train(bar, history, objective, opt, gen, n, batch_size, record_every, progress)
    with torch.no_grad():
        history.append(float(objective()))
    if not np.isfinite(history[-1]):
        raise FloatingPointError(
            f"training diverged (objective {history[-1]}); lower lr (now {lr})"
        )
    net = TwoLayerNetwork(W1.detach().cpu().numpy().copy(), w2.detach().cpu().numpy().copy(),
                          activation, alpha)
    net.history = history
    return net


def _train(bar, history, objective, opt, gen, n, batch_size, record_every, progress):
    """The optimizer's steps, recording the full objective every `record_every`."""
    import torch

    for t in bar:
        if t % record_every == 0:
            with torch.no_grad():
                history.append(float(objective()))
        rows = None
        if batch_size is not None and batch_size < n:
            rows = torch.randperm(n, generator=gen)[:batch_size]
        opt.zero_grad()
        value = objective(rows)
        value.backward()
        opt.step()
        if progress and t % 50 == 0:
            bar.set_postfix(objective=f"{history[-1]:.4g}")


def _torch_objective(X, y, W1, w2, a, b, beta, loss, fit_scale=1.0):
    """L in torch: data term (times `fit_scale` for a minibatch) plus weight decay."""
    import torch

    Z = X @ W1
    pred = torch.where(Z >= 0, a * Z, b * Z) @ w2
    if loss == "squared":
        fit = 0.5 * torch.sum((pred - y) ** 2)
    else:
        fit = torch.sum(torch.nn.functional.softplus(-y * pred))
    return fit_scale * fit + 0.5 * beta * (torch.sum(W1**2) + torch.sum(w2**2))


def gradient_norm(net: TwoLayerNetwork, X, y, beta: float, *, loss: str = "squared") -> float:
    """Norm of the gradient of L at the network's weights (sigma'(0) = a, as in training).

    Small values mean the weights are (close to) a stationary point; at a ReLU kink
    the gradient is one element of the Clarke subdifferential, so a kink can keep it
    from vanishing.
    """
    import torch

    X, y = check_Xy(X, y, allow_matrix=True)
    beta = check_beta(beta, allow_zero=True)
    a, b = slopes(net.activation, net.alpha)
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    W1 = torch.tensor(net.W1, dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor(net.w2, dtype=torch.float64, requires_grad=True)
    _torch_objective(Xt, yt, W1, w2, a, b, beta, loss).backward()
    return float(torch.sqrt(torch.sum(W1.grad**2) + torch.sum(w2.grad**2)))

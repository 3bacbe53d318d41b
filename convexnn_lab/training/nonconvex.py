"""Training the non-convex network directly, in torch (chapters 0, 2 and 4).

Minimizes exactly the objective L of the notation section of chapter 00,
``L = 0.5*||f(X) - y||^2 + (beta/2)*(||W1||_F^2 + ||w2||^2)``, so its values compare
with the convex program's.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._internal.memory import check_room
from .._internal.threads import torch_threads
from .._internal.validation import (
    check_beta,
    check_choice,
    check_device,
    check_positive_int,
    check_Xy,
)
from ..core.activations import ACTIVATIONS, scale_by_slopes, slopes
from ..core.losses import LOSSES, check_targets
from ..core.networks import TwoLayerNetwork

OPTIMIZERS = ("adam", "sgd", "gd", "lbfgs")

# L-BFGS's memory (pairs of steps kept for its curvature estimate)
LBFGS_HISTORY = 20

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
    keep_best: bool = False,
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
    optimizer : {"adam", "sgd", "gd", "lbfgs"}
        "gd" is full-batch gradient descent; "sgd" uses minibatches of
        `batch_size` (the gradient is scaled by n / batch_size so it estimates the
        full objective's); "adam" uses full batches unless `batch_size` is given;
        "lbfgs" is full-batch L-BFGS (torch's, memory ``LBFGS_HISTORY``) with a
        strong-Wolfe line search, which chooses every step: it has no learning rate.
    lr : float
        Step size (not used by "lbfgs").
    steps : int
        Number of updates (for "lbfgs", at most this many iterations, each with its line
        search; torch's L-BFGS stops earlier where the largest gradient entry is below
        1e-7 or the objective or the step changes by less than 1e-9, and at
        ``5k/4 + 25`` objective evaluations per call of k iterations).
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
        Record the full objective every this many steps in ``history``.  For "lbfgs"
        each record is one call of `record_every` iterations, which starts with one
        evaluation more (the default 1 costs about twice the evaluations; pass
        ``record_every=steps`` for the start and the end only), and a call that stops
        early leaves fewer iterations between two records.
    keep_best : bool
        Return the weights at the lowest recorded objective (the first such record,
        ``np.argmin(history)``) instead of the last ones.  With ``record_every=1`` (the
        default) that is the best of every iterate, the start and the end included (L on
        all rows, also when the steps use minibatches); otherwise the best of the
        recorded ones.  It costs a copy of the weights at each new lowest value.
        Divergence is still an error.
    threads : int
        Torch intra-op threads (default 1, as the convex solvers: spinning threads stall
        when another process holds a core; raise it on a quiet machine with many cores).
    device : {"cpu", "cuda", "cuda:k"}
        Where the steps run (default "cpu").  The initialization and the minibatches
        are drawn on the CPU from `seed`, so every device starts from the same weights.

    Returns
    -------
    TwoLayerNetwork
        With ``history``: the full objective at steps 0, record_every, ... and at the end
        (with `keep_best`, the network's own objective is ``min(history)``, the history
        still runs to the end).
    """
    import torch
    from tqdm.auto import tqdm

    X, y = check_Xy(X, y, allow_matrix=True)
    width, beta, steps, record_every, batch_size = _check_training(
        X, y, width, beta, activation=activation, loss=loss, optimizer=optimizer, lr=lr,
        steps=steps, batch_size=batch_size, init_scale=init_scale, init=init,
        record_every=record_every)
    device = check_device(device)
    threads = check_positive_int(threads, "threads")
    if not isinstance(keep_best, (bool, np.bool_)):
        raise TypeError(f"keep_best must be True or False, got {keep_best!r}")
    a, b = slopes(activation, alpha)
    n = X.shape[0]
    # the weights, their gradients and Adam's moments, and the (n, m) activations
    check_room(8.0 * width * (3 * n + 5 * X.shape[1]), f"train_nonconvex with width={width:,}",
               "use a smaller width", device)
    gen = torch.Generator().manual_seed(check_positive_int(seed, "seed", minimum=0))
    Xt, yt, W1, w2 = (t.to(device) for t in (
        torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64),
        *_initial_weights(X, y, width, init, init_scale, gen)))
    W1.requires_grad_(True)
    w2.requires_grad_(True)
    opt = _optimizer([W1, w2], optimizer, lr, record_every)

    def objective(rows=None):
        if rows is None:
            return _torch_objective(Xt, yt, W1, w2, a, b, beta, loss)
        rows = rows.to(device)
        return _torch_objective(Xt[rows], yt[rows], W1, w2, a, b, beta, loss,
                                fit_scale=n / len(rows))

    history, best = [], {}

    def record(value=None):
        """Append the full objective to `history` (`value` when the caller has just
        computed it at these weights); with `keep_best`, copy the weights when it is the
        lowest so far."""
        with torch.no_grad():
            value = float(objective()) if value is None else float(value)
            history.append(value)
            if keep_best and np.isfinite(value) and (not best or value < best["value"]):
                best.update(value=value, W1=W1.detach().clone(), w2=w2.detach().clone())

    calls = steps if optimizer != "lbfgs" else -(-steps // record_every)
    bar = tqdm(range(calls), disable=not progress, desc=f"{optimizer} m={width}")
    with torch_threads(threads):
        if optimizer == "lbfgs":
            _train_lbfgs(bar, history, record, objective, opt, steps, record_every, progress)
        else:
            _train(bar, history, record, objective, opt, gen, n, batch_size, record_every,
                   progress)
    record()
    if not np.isfinite(history[-1]):
        fix = "rescale X and y" if optimizer == "lbfgs" else f"lower lr (now {lr})"
        raise FloatingPointError(f"training diverged (objective {history[-1]}); {fix}")
    if keep_best:
        W1, w2 = best["W1"], best["w2"]
    net = TwoLayerNetwork(W1.detach().cpu().numpy().copy(), w2.detach().cpu().numpy().copy(),
                          activation, alpha)
    net.history = history
    return net


def _check_training(X, y, width, beta, *, activation, loss, optimizer, lr, steps, batch_size,
                    init_scale, init, record_every):
    """The arguments of ``train_nonconvex`` checked once, each error naming its argument.
    Returns width, beta, steps, record_every and the batch size (None: full batch)."""
    if y.ndim == 2 and loss != "squared":
        raise ValueError("vector outputs (y of shape (n, c)) use loss='squared'")
    check_choice(activation, "activation", ACTIVATIONS)
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    check_choice(loss, "loss", LOSSES)
    check_targets(y, loss)
    for value, name in ((lr, "lr"), (init_scale, "init_scale")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
                np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if init is not None and not isinstance(init, TwoLayerNetwork):
        raise TypeError(f"init must be a TwoLayerNetwork to start from (or None), got "
                        f"{type(init).__name__}")
    if init is not None and init.W1.shape[0] != X.shape[1]:
        raise ValueError(f"init has inputs of size {init.W1.shape[0]}, X has {X.shape[1]} "
                         "columns")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
        if optimizer in ("gd", "lbfgs"):
            raise ValueError(f"optimizer={optimizer!r} is full batch; use 'sgd' or 'adam' "
                             "with batch_size, or batch_size=None")
    elif optimizer == "sgd":
        batch_size = min(32, X.shape[0])
    return (check_positive_int(width, "width"), check_beta(beta, allow_zero=True),
            check_positive_int(steps, "steps", minimum=0),
            check_positive_int(record_every, "record_every"), batch_size)


def _initial_weights(X, y, width, init, init_scale, gen):
    """W1 (d, m) and w2 (m,) or (m, c) in float64: `init`'s, else ``init_scale`` times
    N(0, 1/d) and N(0, 1/m) drawn from `gen` on the CPU."""
    import torch

    if init is not None:
        return (torch.tensor(init.W1, dtype=torch.float64),
                torch.tensor(init.w2, dtype=torch.float64))
    d = X.shape[1]
    W1 = init_scale * torch.randn(d, width, generator=gen, dtype=torch.float64) / np.sqrt(d)
    shape = (width,) if y.ndim == 1 else (width, y.shape[1])
    w2 = init_scale * torch.randn(shape, generator=gen, dtype=torch.float64) / np.sqrt(width)
    return W1, w2


def _optimizer(params, optimizer: str, lr: float, record_every: int):
    """The torch optimizer: L-BFGS (one call of step() per recorded value: record_every
    iterations, strong-Wolfe line search, no learning rate), Adam, or SGD (also "gd")."""
    import torch

    if optimizer == "lbfgs":
        return torch.optim.LBFGS(params, lr=1.0, max_iter=record_every,
                                 history_size=LBFGS_HISTORY, line_search_fn="strong_wolfe")
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr)
    return torch.optim.SGD(params, lr=lr)


def _train(bar, history, record, objective, opt, gen, n, batch_size, record_every, progress):
    """The optimizer's steps, recording the full objective every `record_every`."""
    import torch

    full_batch = batch_size is None or batch_size >= n
    for t in bar:
        opt.zero_grad()
        if full_batch:  # the step's own value is the full objective: record it
            value = objective()
            if t % record_every == 0:
                record(value.detach())
        else:
            if t % record_every == 0:
                record()
            value = objective(torch.randperm(n, generator=gen)[:batch_size])
        value.backward()
        opt.step()
        if progress and t % 50 == 0:
            bar.set_postfix(objective=f"{history[-1]:.4g}")


def _train_lbfgs(bar, history, record, objective, opt, steps, record_every, progress):
    """L-BFGS in calls of `record_every` iterations (the last call fewer, to `steps`),
    recording the full objective before each."""

    def closure():
        opt.zero_grad()
        value = objective()
        value.backward()
        return value

    for call in bar:
        record()
        k = min(record_every, steps - call * record_every)
        # torch's evaluation cap for k iterations, plus room for one line search (a
        # call of one iteration would otherwise leave its line search no evaluation)
        opt.param_groups[0].update(max_iter=k, max_eval=k * 5 // 4 + 25)
        opt.step(closure)
        if progress and call % 10 == 0:
            bar.set_postfix(objective=f"{history[-1]:.4g}")


def _torch_objective(X, y, W1, w2, a, b, beta, loss, fit_scale=1.0):
    """L in torch: data term (times `fit_scale` for a minibatch) plus weight decay."""
    import torch

    Z = X @ W1
    pred = scale_by_slopes(Z, a, b) @ w2
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
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    W1 = torch.tensor(net.W1, dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor(net.w2, dtype=torch.float64, requires_grad=True)
    _torch_objective(Xt, yt, W1, w2, a, b, beta, loss).backward()
    return float(torch.sqrt(torch.sum(W1.grad**2) + torch.sum(w2.grad**2)))

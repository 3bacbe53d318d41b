"""How far is a network from the best network of any width?  A proven lower bound (chapter 8).

For the squared loss the dual of the network problem over all widths is

    max_lambda  lambda^T y - ||lambda||^2 / 2   s.t.  |lambda^T sigma(X u)| <= beta  for all ||u|| <= 1,

(the logistic loss: its conjugate instead).  Any lambda and any M at least its price
``max_u |lambda^T sigma(X u)|`` make ``t lambda`` feasible for every t <= beta / M, so the best
such t gives a dual value below the optimum over networks of **any** width (weak
duality).  ``price_exact`` proves M; the network's own residual ``y - f(X)`` is the
natural lambda; the residual of the convex program restricted to the network's own
patterns, and of a few rounds of column generation from there (``improve``), are better
ones: at a global optimum they are the optimal dual point and the bound is tight.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .._internal.comm import LOCAL
from .._internal.validation import check_positive_int, check_tolerance
from ..core.certificates import dual_bound, price_precision
from ..core.copositive import dnn_bound
from ..core.losses import check_loss, dual_residual
from ..core.networks import TwoLayerNetwork
from ..core.program import ConvexProgram
from ..core.solution import ConvexSolution
from ..core.verification import price_exact
from ..status import BUDGET_STOPS, INACCURATE, NOT_OPTIMAL, OPTIMAL, ConvergenceWarning
from .pricing import TrainingReport, _prices, train_convex

__all__ = ["GlobalBound", "global_bound"]


@dataclass
class GlobalBound:
    """A certified distance from a model to the best network of any width.

    Attributes
    ----------
    lower_bound : float
        Proven: no network of any width has a smaller objective L on (X, y, beta).
    objective : float
        The model's objective L.
    gap : float
        ``(objective - lower_bound) / |objective|``: the model is within this fraction
        of the best network of any width.
    status : {"optimal", "not_optimal", "inaccurate", "time_limit", "node_limit"}
        "optimal": ``gap <= tol``.  "not_optimal": a network found on the way (the
        restricted program's) is better than the model by more than tol, a proof.
        "inaccurate": the bound was proven but is not tight enough to say either.  A
        budget status: the branch and bound stopped first; the gap still holds.
    price_bound : float
        M / beta for the dual vector of the bound: ``M >= max_u |lambda^T sigma(Xu)|``.
    best_objective : float
        The smallest objective of a network seen (the model's, or the restricted
        program's when `rounds` > 0): the optimum lies in [lower_bound, best_objective].
    rounds : int
        Rounds of column generation run from the model's patterns to improve lambda
        (0: the model's own residual; fewer than `improve` when the bound closed first).
    seconds : float
    message : str
    relaxation_bound : float or None
        The DNN relaxation's lower bound (:func:`~convexnn_lab.dnn_bound`) when it ran
        (``relaxation=True``); `lower_bound` is the larger of it and the branch and
        bound's.
    """

    lower_bound: float
    objective: float
    gap: float
    status: str
    price_bound: float
    best_objective: float
    rounds: int
    seconds: float
    message: str = ""
    relaxation_bound: float | None = None


def _model_output(X, y, beta, model, loss):
    """The model's objective, its output on X and its network."""
    if isinstance(model, TrainingReport):
        model = model.solution
    if isinstance(model, ConvexSolution):
        prog = model.program
        if prog.gated:
            raise ValueError("model is a gated-ReLU solution: its objective is not a ReLU "
                             "network's; pass model.network() (its cone decomposition)")
        if not (prog.X.shape == X.shape and np.array_equal(prog.X, X)
                and np.array_equal(prog.y, y) and prog.beta == beta and prog.loss == loss):
            raise ValueError("model was solved on other data, beta or loss than the "
                             "X, y, beta and loss passed: a bound for one says nothing "
                             "about the other")
        return model.objective, prog.output(model.U, model.V), model.network(tol=0.0)
    if isinstance(model, TwoLayerNetwork):
        if model.outputs > 1:
            raise ValueError("model has several outputs; bound each output's network")
        return model.objective(X, y, beta, loss), model.predict(X), model
    raise TypeError(f"model must be a TwoLayerNetwork, a ConvexSolution or a TrainingReport, "
                    f"got {type(model).__name__}")


def global_bound(X, y, beta, model, *, loss="squared", tol=1e-4, improve=50,
                 time_limit=60.0, node_limit=None, relaxation=False) -> GlobalBound:
    """A proven lower bound on the optimum over networks of any width, and the model's gap.

    Parameters
    ----------
    X : array_like of shape (n, d); y : array_like of shape (n,); beta : float > 0
        The data and weight decay of the objective L (the model's activation is used).
    model : TwoLayerNetwork, ConvexSolution or TrainingReport
        Any network (e.g. trained by Adam), or a convex solution on these data.
    loss : {"squared", "logistic"}
    tol : float
        The relative gap called "optimal".  With ``improve=0`` the price of the model's
        residual is proven only as precisely as the bound needs
        (:func:`~convexnn_lab.core.certificates.price_precision`: the looser proof costs
        at most 1% of the gap the exact price would leave).
    improve : int >= 0
        At most this many rounds (within `time_limit`) of column generation with exact
        pricing (``train_convex(...,
        warm_network=model, pricing="exact")``) run from the network's own patterns
        before bounding: round 1 solves the program restricted to them, each later one
        adds the violated patterns the branch and bound found.  A better dual point
        gives a better bound; the model's objective is still the one bounded.  0: bound
        the model's own residual.  Ignored for a convex solution (its residual is
        already the restricted program's).
    time_limit : float; node_limit : int, optional
        Budgets of the branch and bound (:func:`price_exact`; `time_limit` is the
        whole call's with ``improve`` rounds); the bound holds at any stop.
    relaxation : bool
        Also solve the DNN relaxation (:func:`~convexnn_lab.dnn_bound`, its own
        `time_limit`; at most 700 rows) and keep the larger lower bound: the branch and
        bound closes in low dimension (d up to about 4 with the bias), the relaxation
        does not need it to.

    Returns
    -------
    GlobalBound
    """
    start = time.perf_counter()
    prog = ConvexProgram(X, y, beta, np.ones((1, len(np.asarray(X))), dtype=bool),
                         loss=check_loss(loss))
    X, y, beta = prog.X, prog.y, prog.beta
    tol = check_tolerance(tol, "tol", low=0.0, high=1.0, meaning="a relative gap")
    improve = check_positive_int(improve, "improve", minimum=0)
    objective, output, net = _model_output(X, y, beta, model, loss)
    if improve and isinstance(model, TwoLayerNetwork) and net.width:
        lower, best, price_bound, status, rounds = _improved(X, y, beta, net, loss, tol,
                                                             improve, time_limit)
    else:
        lam = dual_residual(output, y, loss)
        starts = net.W1 if net.width else None
        # proven to a precision that costs the bound at most 1% of the gap
        floor = max(tol / 100, 1e-9)
        precision = price_precision(y, lam, _neuron_price(X, lam, net), beta, loss,
                                    objective, floor=floor)
        price = price_exact(X, lam, activation=net.activation, alpha=net.alpha,
                            threshold=beta, rtol=precision,
                            time_limit=time_limit, node_limit=node_limit, starts=starts)
        lower, _ = dual_bound(y, lam, np.array([price.upper_bound]), beta, loss)
        best, price_bound, status, rounds = objective, price.upper_bound / beta, price.status, 0
    relaxed = None
    if relaxation:
        relaxed = dnn_bound(X, y, beta, activation=net.activation, alpha=net.alpha,
                            loss=loss, time_limit=time_limit).lower_bound
        lower = max(lower, relaxed)
    gap = max(objective - lower, 0.0) / max(abs(objective), 1e-300)
    status = (OPTIMAL if gap <= tol else NOT_OPTIMAL if objective > best * (1 + tol)
              else status if status in BUDGET_STOPS else INACCURATE)
    message = (f"within {100 * gap:.3g}% of the best network of any width "
               f"(lower bound {lower:.6g}, objective {objective:.6g})")
    if relaxed is not None:
        message += f"; the DNN relaxation's bound {relaxed:.6g}"
    return GlobalBound(lower, objective, gap, status, price_bound, min(best, objective),
                       rounds, time.perf_counter() - start, message, relaxed)


def _improved(X, y, beta, net, loss, tol, rounds, time_limit):
    """Column generation from the network's patterns: (best lower bound, best objective,
    its price bound / beta, a budget status or None, rounds run)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        report = train_convex(X, y, beta, activation=net.activation, alpha=net.alpha,
                              loss=loss, warm_network=net, initial_patterns=0,
                              pricing="exact", max_rounds=rounds, time_limit=time_limit,
                              min_progress=0, tol=min(tol / 10, 1e-6))
    proven = [r for r in report.rounds if r.lower_bound is not None]
    if not proven:  # beta so large that the zero network is proven optimal at once
        return (report.objective, report.objective, report.rounds[-1].best_ratio, None,
                len(report.rounds))
    last = max(proven, key=lambda r: r.lower_bound)
    best = min(r.objective for r in report.rounds)
    status = report.status if report.status in BUDGET_STOPS else None
    return last.lower_bound, best, last.price_bound, status, len(report.rounds)


def _neuron_price(X, lam, net) -> float:
    """The largest price ``|lambda^T sigma(X w)|`` of the network's unit neurons w (0 for
    none): a price found, so at most the true one.  X (n, d), lam (n,)."""
    W = net.W1[:, np.linalg.norm(net.W1, axis=0) > 0]
    if not W.shape[1]:
        return 0.0
    U = W / np.linalg.norm(W, axis=0)
    return float(_prices(X, lam, U, net.activation, net.alpha, False, LOCAL).max())

"""How far is a network from the best network of any width?  A proven lower bound (chapter 8).

For the squared loss the dual of the network problem over all widths is

    max_lambda  lambda^T y - ||lambda||^2 / 2   s.t.  |lambda^T sigma(X u)| <= beta  for all ||u|| <= 1,

(the logistic loss: its conjugate instead).  Any lambda and any M at least its price
``max_u |lambda^T sigma(X u)|`` make ``t lambda`` feasible for every t <= beta / M, so the best
such t gives a dual value below the optimum over networks of **any** width (weak
duality).  ``price_exact`` proves M; the network's own residual ``y - f(X)`` is the
natural lambda, and the residual of the convex program restricted to the network's own
patterns (solved first, ``improve=True``) is a better one: at a global optimum both are
the optimal dual point and the bound is tight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_beta, check_bool, check_tolerance
from ..core.certificates import dual_bound, gap_within
from ..core.losses import check_loss, dual_residual
from ..core.networks import TwoLayerNetwork
from ..core.program import ConvexProgram
from ..core.solution import ConvexSolution
from ..core.verification import PriceBound, price_exact
from ..solvers import solve_convex
from ..status import BUDGET_STOPS, INACCURATE, NOT_OPTIMAL, OPTIMAL
from .pricing import TrainingReport

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
        "optimal": ``gap <= tol``.  "not_optimal": a direction u priced above beta
        proves that a network with one more neuron does better.  "inaccurate": the
        price bound was proven and none is violated, yet the gap is above tol (the dual
        point is not good enough to prove more).  A budget status: the branch and bound
        stopped first; the gap still holds.
    price : PriceBound
        The branch and bound's result for the dual vector used (its ``upper_bound`` is M).
    improved : bool
        Whether lambda came from the program restricted to the model's patterns.
    seconds : float
    message : str
    """

    lower_bound: float
    objective: float
    gap: float
    status: str
    price: PriceBound
    improved: bool
    seconds: float
    message: str = ""


def _model_output(X, y, beta, model, loss):
    """The model's objective, its output on X and its network (or None)."""
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
        net = model.network(tol=0.0)
        return model.objective, prog.output(model.U, model.V), net
    if isinstance(model, TwoLayerNetwork):
        if model.outputs > 1:
            raise ValueError("model has several outputs; bound each output's network")
        return model.objective(X, y, beta, loss), model.predict(X), model
    raise TypeError(f"model must be a TwoLayerNetwork, a ConvexSolution or a TrainingReport, "
                    f"got {type(model).__name__}")


def global_bound(X, y, beta, model, *, loss="squared", tol=1e-4, improve=True,
                 time_limit=60.0, node_limit=None) -> GlobalBound:
    """A proven lower bound on the optimum over networks of any width, and the model's gap.

    Parameters
    ----------
    X : array_like of shape (n, d); y : array_like of shape (n,); beta : float > 0
        The data and weight decay of the objective L (the model's activation is used).
    model : TwoLayerNetwork, ConvexSolution or TrainingReport
        Any network (e.g. trained by Adam), or a convex solution on these data.
    loss : {"squared", "logistic"}
    tol : float
        The relative gap called "optimal".
    improve : bool
        Solve the convex program restricted to the network's patterns first and bound
        its residual (a better dual point; the model's objective is still the one
        bounded).  Said in ``improved``.
    time_limit : float; node_limit : int, optional
        The branch and bound's budgets (:func:`price_exact`); the bound holds at any
        stop, loosely when stopped early.

    Returns
    -------
    GlobalBound
    """
    start = time.perf_counter()
    prog = ConvexProgram(X, y, beta, np.ones((1, len(np.asarray(X))), dtype=bool),
                         loss=check_loss(loss))
    X, y, beta = prog.X, prog.y, prog.beta
    tol = check_tolerance(tol, "tol", low=0.0, high=1.0, meaning="a relative gap")
    objective, output, net = _model_output(X, y, beta, model, loss)
    lam = dual_residual(output, y, loss)
    improved = False
    if check_bool(improve, "improve") and isinstance(model, TwoLayerNetwork) and net.width:
        restricted = ConvexProgram(X, y, beta, net.neuron_patterns(X),
                                   activation=net.activation, alpha=net.alpha, loss=loss)
        sol = solve_convex(restricted, tol=min(tol / 10, 1e-6), progress=False)
        lam = dual_residual(restricted.output(sol.U, sol.V), y, loss)
        improved = True
    price = price_exact(X, lam, activation=net.activation, alpha=net.alpha,
                        threshold=beta, rtol=max(tol / 100, 1e-9), time_limit=time_limit,
                        node_limit=node_limit, starts=net.W1 if net.width else None)
    lower, _ = dual_bound(y, lam, np.array([price.upper_bound]), beta, loss)
    gap = max(objective - lower, 0.0) / max(abs(objective), 1e-300)
    status = _status(gap, objective, tol, price, beta)
    message = (f"within {100 * gap:.3g}% of the best network of any width "
               f"(lower bound {lower:.6g}, objective {objective:.6g}; price bound "
               f"{price.upper_bound / beta:.4g} beta, {price.status})")
    return GlobalBound(lower, objective, gap, status, price, improved,
                       time.perf_counter() - start, message)


def _status(gap, objective, tol, price, beta) -> str:
    if gap_within(gap * abs(objective), objective, tol):
        return OPTIMAL
    if price.price > beta * (1 + max(tol / 100, 1e-9)):
        return NOT_OPTIMAL
    if price.status in BUDGET_STOPS:
        return price.status
    return INACCURATE

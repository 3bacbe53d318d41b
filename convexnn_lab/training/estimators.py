"""scikit-learn estimators that train a two-layer network by its convex program."""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._internal.validation import check_seed, refuse_masked
from ..core.activations import ACTIVATIONS
from ..core.patterns import sample_patterns
from ..data.datasets import add_bias
from ..solvers import SOLVERS, Solver, solve_convex
from .pricing import train_convex

__all__ = ["PATTERN_METHODS", "ConvexReLUClassifier", "ConvexReLURegressor"]

PATTERN_METHODS = ("priced", "gaussian", "cross_product")


class _ConvexBase(BaseEstimator):
    # each parameter's rule, declared once (scikit-learn checks them in fit)
    _parameter_constraints: ClassVar[dict] = {
        "beta": [Interval(Real, 0, None, closed="neither")],
        "n_patterns": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, 1, closed="left")],
        "gated": ["boolean"],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(SOLVERS)), Solver],
        "pattern_method": [StrOptions(set(PATTERN_METHODS))],
        "time_limit": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": [Interval(Integral, 0, None, closed="left"), np.random.Generator,
                         None],
    }

    def _design(self, X, *, reset: bool = False):
        """X checked as scikit-learn does (feature count and names against fit's), as
        float64, with the bias column appended when fit_intercept."""
        refuse_masked(X, "X")
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        return add_bias(X) if self.fit_intercept else X

    def _check_fit_input(self, X, y, *, regression):
        self._validate_params()
        for name in ("beta", "alpha", "n_patterns", "time_limit", "random_state"):
            if isinstance(getattr(self, name), (bool, np.bool_)):  # bool is a Real for Python
                raise InvalidParameterError(
                    f"{name} must be a number, got {getattr(self, name)!r}")
        if self.time_limit is not None and self.pattern_method != "priced":
            raise ValueError(f"time_limit bounds pattern pricing (pattern_method="
                             f"'priced'); pattern_method={self.pattern_method!r} solves "
                             "once: drop time_limit or use pattern_method='priced'")
        check_seed(self.random_state, "random_state")
        refuse_masked(X, "X")
        X, y = validate_data(self, X, y, reset=True, dtype=np.float64, y_numeric=regression)
        if not regression:
            check_classification_targets(y)
        return X, y

    def _share_of_time(self, programs: int):
        """Each output program's share of `time_limit` (None: no limit)."""
        return None if self.time_limit is None else self.time_limit / programs

    def _fit_scalar(self, Xd, target, loss, time_limit=None):
        if self.pattern_method == "priced":
            # column generation: start from n_patterns Gaussian patterns and those of an
            # L-BFGS warm network (train_convex's default), add priced ones
            report = train_convex(Xd, target, self.beta, activation=self.activation,
                                  alpha=self.alpha, loss=loss, gated=self.gated,
                                  solver=self.solver, initial_patterns=self.n_patterns,
                                  time_limit=time_limit, seed=self.random_state)
            self.pricing_reports_.append(report)
            return report.solution
        patterns = sample_patterns(Xd, self.n_patterns, method=self.pattern_method,
                                   seed=self.random_state)
        return solve_convex(Xd, target, self.beta, patterns, activation=self.activation,
                            alpha=self.alpha, loss=loss, gated=self.gated,
                            solver=self.solver)


class ConvexReLURegressor(RegressorMixin, _ConvexBase):
    """Two-layer network regression trained by its convex program (chapter 2).

    Parameters
    ----------
    beta : float
        Weight decay of the network, > 0.
    n_patterns : int
        "priced": the Gaussian patterns pricing starts from, beside those of the
        L-BFGS warm network that :func:`train_convex` trains first; otherwise the
        number of random directions whose patterns define the program.
    activation : {"relu", "leaky_relu", "absolute"}
    alpha : float
        Leaky ReLU slope.
    gated : bool
        Gated ReLU (no cone constraints); the fitted network comes from a cone
        decomposition.
    fit_intercept : bool
        Append a column of ones (the bias) to X.
    solver : {"auto", "cvxpy", "ipm", "fista", "al"}
        As in :func:`solve_convex`: "auto" takes CVXPY for small programs and the
        torch solvers for large ones.
    pattern_method : {"priced", "gaussian", "cross_product"}
        "priced" (default): :func:`train_convex`, patterns priced from the dual
        (column generation), so the program is not a restriction to a random sample;
        the others solve once on sampled patterns (faster, a restriction).
    time_limit : float, optional
        Seconds for :func:`train_convex` (``pattern_method="priced"``), its L-BFGS start
        included, shared equally by the output programs (one per class beyond two); a
        soft limit, checked after each round: each program always runs its start and one
        round, and its last round can overrun its share.  ``pricing_reports_`` says
        "time_limit" where it stopped pricing: the network is then the best found so far,
        not a proven optimum.
    random_state : None, int >= 0 or numpy.random.Generator
        Seed of the pattern sampling (and, with "priced", of train_convex's L-BFGS start
        and pricing search).

    Attributes
    ----------
    solution_ : ConvexSolution
    network_ : TwoLayerNetwork
    n_neurons_ : int
    pricing_reports_ : list of TrainingReport
        With ``pattern_method="priced"``: how pricing ended (status, rounds).
    """

    def __init__(self, beta=1e-2, n_patterns=50, activation="relu", alpha=0.01,
                 gated=False, fit_intercept=True, solver="auto",
                 pattern_method="priced", time_limit=None, random_state=0):
        self.beta = beta
        self.n_patterns = n_patterns
        self.activation = activation
        self.alpha = alpha
        self.gated = gated
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.pattern_method = pattern_method
        self.time_limit = time_limit
        self.random_state = random_state

    def fit(self, X, y):
        """Fit on X of shape (n, d) and real targets y of shape (n,).

        Raises
        ------
        ValueError
            If y is not 1-D with one value per row of X, or holds NaN or infinite values
            (scikit-learn's ``check_X_y``).
        """
        X, y = self._check_fit_input(X, y, regression=True)
        self.pricing_reports_ = []
        Xd = add_bias(X) if self.fit_intercept else X
        self.solution_ = self._fit_scalar(Xd, y, "squared", self._share_of_time(1))
        self.network_ = self.solution_.network()
        self.n_neurons_ = self.network_.width
        return self

    def predict(self, X):
        check_is_fitted(self, "network_")
        return self.network_.predict(self._design(X))


class ConvexReLUClassifier(ClassifierMixin, _ConvexBase):
    _parameter_constraints: ClassVar[dict] = {**_ConvexBase._parameter_constraints,
                              "loss": [StrOptions({"squared", "logistic"})]}

    """Two-layer network classifier trained by its convex program (chapter 2).

    Binary problems fit one network on labels -1/+1; with more classes, one network
    per class, one-vs-rest (the vector-output program of chapter 6 is not used here).

    Parameters
    ----------
    loss : {"squared", "logistic"}
        Squared loss on -1/+1 targets, or the logistic loss.
    (the others as in :class:`ConvexReLURegressor`)

    Attributes
    ----------
    classes_ : ndarray
    solutions_ : list of ConvexSolution, one per binary problem
    networks_ : list of TwoLayerNetwork
    """

    def __init__(self, beta=1e-2, n_patterns=50, activation="relu", alpha=0.01,
                 gated=False, fit_intercept=True, loss="squared", solver="auto",
                 pattern_method="priced", time_limit=None, random_state=0):
        self.beta = beta
        self.n_patterns = n_patterns
        self.activation = activation
        self.alpha = alpha
        self.gated = gated
        self.fit_intercept = fit_intercept
        self.loss = loss
        self.solver = solver
        self.pattern_method = pattern_method
        self.time_limit = time_limit
        self.random_state = random_state

    def fit(self, X, y):
        """Fit on X of shape (n, d) and class labels y of shape (n,).

        Raises
        ------
        ValueError
            If y is continuous ("Unknown label type"), holds NaN, is not 1-D with one
            label per row of X (scikit-learn's ``check_X_y`` and
            ``check_classification_targets``), or has a single class.
        """
        X, y = self._check_fit_input(X, y, regression=False)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y has one class ({self.classes_[0]!r}); a classifier needs "
                             "at least two")
        self.pricing_reports_ = []
        Xd = add_bias(X) if self.fit_intercept else X
        targets = ([self.classes_[1]] if len(self.classes_) == 2 else self.classes_)
        share = self._share_of_time(len(targets))
        self.solutions_ = [self._fit_scalar(Xd, np.where(y == c, 1.0, -1.0), self.loss, share)
                           for c in targets]
        self.networks_ = [s.network() for s in self.solutions_]
        self.n_neurons_ = sum(net.width for net in self.networks_)
        return self

    def decision_function(self, X):
        check_is_fitted(self, "networks_")
        Xd = self._design(X)
        scores = np.column_stack([net.predict(Xd) for net in self.networks_])
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The class whose network scores highest; with two classes, the second class
        where the score is > 0 (scikit-learn's convention for ``decision_function``)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

"""The convex program of a two-layer network on fixed patterns, as one object (chapter 2).

With patterns D_i = diag(1[X u >= 0]) (i = 1..P), slopes Dt_i = a*D_i + b*(I - D_i) of the
activation and cones K_i = {u : (2 D_i - I) X u >= 0}:

    min_{u_i, v_i in K_i}  l( sum_i Dt_i X (u_i - v_i), y ) + beta * sum_i (||u_i|| + ||v_i||)

with l the squared or logistic loss (``losses``).  The gated-ReLU program drops the cones
and the v_i.  The conventions (objective scaling, open cells, the map back to a network)
are those of the notation section of chapter 00.

A :class:`ConvexProgram` is validated once, when it is made; every solver, certificate
and solution reads the program's data from it.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._internal.memory import check_room
from .._internal.validation import check_beta, check_bool, check_choice, check_patterns, check_Xy
from .activations import ACTIVATIONS, activate, pattern_slopes, slopes
from .losses import check_loss, check_targets, loss_parts

__all__ = ["ConvexProgram", "FEASIBILITY_RTOL"]

# blocks meet their cones when S * (X u) >= -FEASIBILITY_RTOL * max |X u| (round-off)
FEASIBILITY_RTOL = 1e-9


class ConvexProgram:
    """The group Lasso of a two-layer network with activation sigma on patterns D_i.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data, a column of ones included if the network has a bias.
    y : array_like of shape (n,)
        Targets; labels in {-1, +1} for ``loss="logistic"``.
    beta : float
        Weight decay, > 0.
    patterns : array_like of bool, shape (P, n)
        Row i is the diagonal of D_i (``enumerate_patterns`` or ``sample_patterns``).
    activation : {"relu", "leaky_relu", "absolute"}
    alpha : float
        Negative slope of the leaky ReLU.
    loss : {"squared", "logistic"}
    gated : bool
        The gated-ReLU program: no cone constraints and no v_i.

    Attributes
    ----------
    X : ndarray of shape (n, d); y : ndarray of shape (n,); patterns : bool ndarray (P, n)
    Dt : ndarray of shape (n, P)
        Column i is the diagonal of Dt_i.
    signs : ndarray of shape (n, P)
        Column i is the diagonal of 2 D_i - I: u_i lies in K_i iff ``signs[:, i] * (X u_i) >= 0``.

    Raises
    ------
    TypeError, ValueError
        For bad inputs, naming the argument.

    See Also
    --------
    solve_convex : solve it.  certify : the duality-gap certificate of a point.
    """

    def __init__(self, X, y, beta, patterns, *, activation="relu", alpha=0.01,
                 loss="squared", gated=False):
        X, y = check_Xy(X, y)
        self.beta = check_beta(beta)
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.a, self.b = slopes(activation, alpha)
        self.alpha = float(alpha) if isinstance(alpha, numbers.Real) else alpha
        self.loss = check_loss(loss)
        self.gated = check_bool(gated, "gated")
        check_targets(y, loss)
        self.X, self.y = X.copy(), y.copy()  # our own copies: the caller's stay writable
        self.X.setflags(write=False)
        self.y.setflags(write=False)
        patterns = check_patterns(patterns, X.shape[0])
        self._check_room(len(patterns))
        self._set_patterns(patterns.copy())

    def with_patterns(self, patterns) -> "ConvexProgram":
        """The same data, beta, loss and activation on other patterns (P', n).

        Only `patterns` is checked: X and y were validated when this program was made,
        and the new program shares them (read-only).  Column generation (``train_convex``)
        makes one program a round this way.
        """
        new = object.__new__(ConvexProgram)
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k in ("X", "y", "beta", "activation", "a", "b", "alpha",
                                      "loss", "gated")})
        patterns = check_patterns(patterns, self.n)
        new._check_room(len(patterns))
        new._set_patterns(patterns.copy())
        return new

    def _check_room(self, P: int) -> None:
        """The program holds about 6 (n, P) float64 arrays (Dt, signs, the stacked blocks'
        slopes and signs): refuse before allocating them when they do not fit."""
        check_room(8.0 * self.X.shape[0] * P * (2 if self.gated else 6),
                   f"a program with n={self.X.shape[0]} rows and P={P:,} patterns",
                   "use fewer patterns (duplicates add nothing: unique_patterns) or fewer rows")

    def _set_patterns(self, patterns) -> None:
        """The patterns (P, n) and the arrays built from them once: Dt, signs, M, S."""
        self.patterns = patterns
        self.Dt = pattern_slopes(patterns, self.activation, self.alpha).T.copy()
        self.signs = np.where(patterns.T, 1.0, -1.0)
        self._M = self.Dt if self.gated else np.hstack([self.Dt, -self.Dt])
        self._S = None if self.gated else np.hstack([self.signs, self.signs])
        for arr in (self.patterns, self.Dt, self.signs, self._M, self._S):
            if arr is not None:
                arr.setflags(write=False)

    def __repr__(self):
        kind = "gated ReLU" if self.gated else self.activation
        return (f"ConvexProgram(n={self.n}, d={self.d}, P={self.P}, beta={self.beta:g}, "
                f"{kind}, loss={self.loss!r})")

    # --- sizes ------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def P(self) -> int:
        return int(self.patterns.shape[0])

    @property
    def n_blocks(self) -> int:
        """B = P blocks u_i (gated) or 2P blocks [u_1..u_P, v_1..v_P]."""
        return self.P if self.gated else 2 * self.P

    # --- the blocks W = [U, V] ------------------------------------------------------------
    def block_slopes(self):
        """M of shape (n, B): ``[Dt, -Dt]`` (gated: ``Dt``), so prediction = sum_j M_j * X w_j."""
        return self._M

    def block_signs(self):
        """S of shape (n, B): ``[2D - 1, 2D - 1]``, or None for the gated program."""
        return self._S

    def stack(self, U, V=None):
        """W of shape (d, B) from U, V of shape (d, P) (gated: W = U)."""
        U = np.asarray(U, dtype=np.float64)
        if self.gated:
            return U
        return np.hstack([U, np.zeros_like(U) if V is None else np.asarray(V, np.float64)])

    def split(self, W):
        """(U, V) of shape (d, P) from W of shape (d, B); V is zero for the gated program."""
        W = np.asarray(W, dtype=np.float64)
        if self.gated:
            return W, np.zeros_like(W)
        return W[:, :self.P], W[:, self.P:]

    # --- what a point of the program predicts and costs ---------------------------------
    def predict(self, U, V=None) -> np.ndarray:
        """The convex model ``sum_i Dt_i X (u_i - v_i)``, shape (n,)."""
        W = U if V is None else U - V
        return np.sum(self.Dt * (self.X @ W), axis=1)

    def network_predict(self, U, V=None) -> np.ndarray:
        """The mapped network's output ``sum_i sigma(X u_i) - sigma(X v_i)``, shape (n,).

        Equal to :meth:`predict` while every block lies in its cone.
        """
        out = activate(self.X @ U, self.activation, self.alpha).sum(axis=1)
        if V is None:
            return out
        return out - activate(self.X @ V, self.activation, self.alpha).sum(axis=1)

    def output(self, U, V=None) -> np.ndarray:
        """What a solution predicts on X: the network's output for the program with cones
        (a real network, even while blocks leave their cones by round-off), the convex
        model's for the gated program."""
        return self.predict(U, V) if self.gated else self.network_predict(U, V)

    def regularization(self, U, V=None) -> float:
        """``sum_i ||u_i|| + ||v_i||``."""
        reg = float(np.linalg.norm(U, axis=0).sum())
        return reg if V is None else reg + float(np.linalg.norm(V, axis=0).sum())

    def objective(self, U, V=None) -> float:
        """The program's objective as written, at blocks U, V of shape (d, P):
        ``l(sum_i Dt_i X (u_i - v_i), y) + beta * sum_i (||u_i|| + ||v_i||)``.

        While every block lies in its cone it equals the objective of the network the
        blocks map to (the one a certificate reports, ``certify``).
        """
        return float(loss_parts(self.predict(U, V), self.y, self.loss)[0]) \
            + self.beta * self.regularization(U, V)

    def cone_violation(self, U, V=None, *, comm=None) -> float:
        """Largest ``-(2 D_i - I) X u_i`` over blocks and rows, relative to the scale of
        the outputs, ``max(max |X u|, max |y|)`` (blocks of round-off size around a zero
        network do not count as violations).

        0 when every block lies in its cone (and always for the gated program).  With
        `comm` (row-sharded data) the maxima are taken over every rank's rows.
        """
        if self.gated:
            return 0.0
        Z = self.X @ self.stack(U, V)
        worst = float((-self.block_signs() * Z).max())
        top, y_top = float(np.abs(Z).max(initial=0.0)), float(np.abs(self.y).max())
        if comm is not None:
            worst, top, y_top = comm.max(worst, top, y_top)
        scale = max(top, y_top)
        if scale == 0:
            return 0.0
        return max(worst, 0.0) / scale

    def feasible(self, U, V=None) -> bool:
        """Do the blocks meet their cones to round-off (``FEASIBILITY_RTOL``)?"""
        return self.cone_violation(U, V) <= FEASIBILITY_RTOL

    # --- torch --------------------------------------------------------------------------
    def tensors(self, device="cpu", dtype=None, *, home=None):
        """The data as torch tensors: X (n, d) and M (n, B) on `home` (default `device`),
        y (n,) and S (n, B) (None for gated) on `device`."""
        import torch

        dtype = dtype or torch.float64
        home = home or device
        X = torch.tensor(self.X, dtype=dtype, device=home)  # copies: X is read-only here
        M = torch.tensor(self.block_slopes(), dtype=dtype, device=home)
        y = torch.tensor(self.y, dtype=dtype, device=device)
        S = None if self.gated else torch.tensor(self.block_signs(), dtype=dtype,
                                                 device=device)
        return X, y, M, S

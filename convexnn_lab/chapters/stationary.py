"""Stationary points of the non-convex loss as optima of convex programs (chapter 4).

Theorem (chapter 4, proved there; after Wang, Lacotte & Pilanci, ICLR 2022).  Squared
loss, ReLU, beta > 0, any width.  Let (W1, w2) be a point where the gradient of L is zero
and every neuron is either zero in both layers or has no data point on its hyperplane
(x_j^T w_k != 0 for all j).  Then L equals the optimum of the convex program restricted
to the patterns 1[X w_k >= 0] of the nonzero neurons, and the mapped blocks solve it.

Both hypotheses are needed: a neuron on a kink can be Clarke stationary and above its
program (chapter 4's second example), and the zero network, stationary, is above the
program on the all-ones pattern its zero neurons would contribute.  For **any** network
the program on its active neurons' patterns is never above L (the network's weights are
feasible for it), which makes it a certificate of how much a run left on the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._internal.validation import check_beta, check_positive_int, check_Xy
from ..core.networks import TwoLayerNetwork
from ..core.solution import ConvexSolution
from ..solvers import solve_convex
from ..training.nonconvex import gradient_norm, train_nonconvex

__all__ = [
    "active_patterns",
    "alignment",
    "network_program",
    "StationarityReport",
    "stationarity_report",
    "pattern_history",
    "split_neuron",
    "kink_distance",
    "classify_end_point",
    "pattern_changes",
]


def active_patterns(net: TwoLayerNetwork, X) -> np.ndarray:
    """The distinct patterns ``1[X w_k >= 0]`` of the neurons with ``w_k != 0`` and
    ``a_k != 0``, shape (k, n); one all-False row where there is none (the program on no
    pattern: its only point is zero)."""
    X = np.asarray(X, dtype=np.float64)
    live = _live(net)
    if not live.any():
        return np.zeros((1, X.shape[0]), dtype=bool)
    return TwoLayerNetwork(net.W1[:, live], net.w2[live], net.activation,
                           net.alpha).patterns(X)


def _live(net: TwoLayerNetwork) -> np.ndarray:
    """Neurons nonzero in both layers, shape (m,) bool."""
    return (np.abs(net.W1).max(axis=0) > 0) & (np.abs(net.w2) > 0)


def network_program(X, y, beta, net: TwoLayerNetwork, **kwargs) -> ConvexSolution:
    """Solve the convex program restricted to the patterns of `net`'s nonzero neurons
    (:func:`active_patterns`).

    Its optimum is never above ``net.objective(X, y, beta)``, and equals it at a point
    with zero gradient and no data point on a nonzero neuron's hyperplane (the theorem of
    the module docstring).  kwargs go to :func:`solve_convex`.
    """
    X, y = check_Xy(X, y)
    beta = check_beta(beta)
    return solve_convex(X, y, beta, active_patterns(net, X), activation=net.activation,
                        alpha=net.alpha, **kwargs)


def kink_distance(net: TwoLayerNetwork, X) -> float:
    """Smallest ``|x_j^T w_k| / max_j |x_j^T w_k|`` over nonzero neurons k: 0 means a
    data point lies on a neuron's hyperplane (a ReLU kink).  A neuron with ``w_k = 0``
    and ``a_k != 0`` has every point on its "hyperplane": 0 too."""
    Z = np.abs(np.asarray(X) @ net.W1)
    top = Z.max(axis=0)
    live = top > 0
    if np.any(~live & (np.abs(net.w2) > 0)):
        return 0.0
    return float((Z[:, live] / top[live]).min()) if live.any() else 1.0


def alignment(net: TwoLayerNetwork) -> float:
    """Mean over the nonzero neurons of the largest cosine between a neuron's direction
    w_k and another's: near 1 once the neurons have aligned into a few directions."""
    W = net.W1[:, np.linalg.norm(net.W1, axis=0) > 0]
    if W.shape[1] < 2:
        return 1.0
    U = W / np.linalg.norm(W, axis=0)
    C = U.T @ U
    np.fill_diagonal(C, -np.inf)
    return float(C.max(axis=1).mean())


@dataclass
class StationarityReport:
    """How a trained network compares with the program on its own patterns.

    Attributes
    ----------
    objective : float
        L(network).
    program : float
        Optimum of the program on the network's patterns (never above `objective`).
    relative_difference : float
        ``(objective - program) / objective``: 0 at a stationary point.
    gradient_norm : float
        ||grad L|| at the network.
    kink_distance : float
        See :func:`kink_distance`; near 0 the gradient need not vanish at a
        Clarke stationary point.
    n_patterns : int
    """

    objective: float
    program: float
    relative_difference: float
    gradient_norm: float
    kink_distance: float
    n_patterns: int


def stationarity_report(X, y, beta, net: TwoLayerNetwork, **kwargs) -> StationarityReport:
    """Compare `net` with the convex program on its patterns (chapter 4)."""
    X, y = check_Xy(X, y)
    sol = network_program(X, y, beta, net, **kwargs)
    obj = net.objective(X, y, beta)
    return StationarityReport(obj, sol.objective, (obj - sol.objective) / abs(obj),
                              gradient_norm(net, X, y, beta), kink_distance(net, X),
                              len(sol.patterns) if _live(net).any() else 0)


def classify_end_point(report: StationarityReport, *, rtol: float = 1e-3,
                       kink_tol: float = 1e-2) -> str:
    """Name what a training run's end point is, judged by the program on its own patterns.

    Parameters
    ----------
    report : StationarityReport
        From :func:`stationarity_report`.
    rtol : float
        Largest ``(L - program) / L`` still read as "matches its program".
    kink_tol : float
        A :attr:`StationarityReport.kink_distance` below it counts as a data point on a
        neuron's hyperplane (a ReLU kink).

    Returns
    -------
    str
        ``"matches its program"`` when L is within `rtol` of the program on the run's
        own patterns (what the theorem predicts at a stationary point off the kinks; it
        is no stationarity test: a point can match its program with a large gradient);
        ``"on a kink, above its program"`` (the theorem says nothing there);
        ``"above its program off the kinks: not stationary"`` (the theorem's
        contrapositive, off the kinks to `kink_tol`).

    See Also
    --------
    Chapter 04, "The theorem on trained networks".
    """
    if not rtol > 0:
        raise ValueError(f"rtol must be positive, got {rtol}")
    if report.relative_difference <= rtol:
        return "matches its program"
    if report.kink_distance < kink_tol:
        return "on a kink, above its program"
    return "above its program off the kinks: not stationary"


def pattern_changes(start: TwoLayerNetwork, end: TwoLayerNetwork, X) -> tuple[int, int]:
    """How many neurons changed their pattern between two networks of the same width.

    Returns
    -------
    (neurons, flips) : tuple of int
        The number of neurons k whose pattern ``1[X w_k >= 0]`` differs, and the number
        of (data point, neuron) entries that flipped.
    """
    X = np.asarray(X, dtype=np.float64)
    if start.width != end.width:
        raise ValueError(f"start and end must have the same width, got {start.width} "
                         f"and {end.width}")
    diff = (X @ start.W1 >= 0) != (X @ end.W1 >= 0)
    return int(diff.any(axis=0).sum()), int(diff.sum())


def pattern_history(X, y, width, beta, *, steps=300, checkpoints=10, lr=0.01,
                    init_scale=1.0, seed=0, solve=True, optimizer="gd", **kwargs):
    """Train with gradient descent and record, at checkpoints, what the patterns do.

    At each checkpoint: the step, L, the number of distinct neuron patterns, the
    neurons' :func:`alignment`, and (if `solve`) the optimum of the program on the current
    patterns.

    Returns
    -------
    dict of lists: "step", "objective", "unique_patterns", "alignment", "program"; and
    "network" (the final TwoLayerNetwork) and "start" (the initial one).
    """
    X, y = check_Xy(X, y)
    checkpoints = check_positive_int(checkpoints, "checkpoints")
    steps = check_positive_int(steps, "steps")
    seg = max(steps // checkpoints, 1)
    net = train_nonconvex(X, y, width, beta, steps=0, seed=seed, init_scale=init_scale)
    start = net
    hist = {"step": [], "objective": [], "unique_patterns": [], "alignment": [],
            "program": []}
    done = 0
    while True:
        hist["step"].append(done)
        hist["objective"].append(net.objective(X, y, beta))
        hist["unique_patterns"].append(len(net.patterns(X)))
        hist["alignment"].append(alignment(net))
        if solve:
            hist["program"].append(network_program(X, y, beta, net, **kwargs).objective)
        if done >= steps:
            break
        net = train_nonconvex(X, y, width, beta, optimizer=optimizer, lr=lr,
                              steps=min(seg, steps - done), init=net)
        done += min(seg, steps - done)
    hist["network"], hist["start"] = net, start
    return hist


def split_neuron(net: TwoLayerNetwork, j: int, fraction: float = 0.5) -> TwoLayerNetwork:
    """Split neuron j into two with the same direction.

    ``(w, a) -> (sqrt(f) w, sqrt(f) a), (sqrt(1-f) w, sqrt(1-f) a)``: the output and
    the weight decay are unchanged, so the objective is too (global optima are only
    unique up to such splits and permutations).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")
    if not 0 <= j < net.width:
        raise ValueError(f"j must index a neuron (0..{net.width - 1}), got {j}")
    f = np.sqrt([fraction, 1 - fraction])
    W1 = np.hstack([np.delete(net.W1, j, axis=1), np.outer(net.W1[:, j], f)])
    w2 = np.concatenate([np.delete(net.w2, j), net.w2[j] * f])
    return TwoLayerNetwork(W1, w2, net.activation, net.alpha)

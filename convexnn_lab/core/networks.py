"""Two-layer networks f(X) = sigma(X W1) w2 and their objective (notation, chapter 00).

    L(W1, w2) = 0.5 * ||f(X) - y||^2 + (beta/2) * (||W1||_F^2 + ||w2||^2)

(the squared loss; the logistic loss replaces the first term by
sum_j log(1 + exp(-y_j f(x_j))) for labels y_j in {-1, +1}).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._internal.validation import check_beta, check_choice, check_tolerance, check_X, check_y
from .activations import ACTIVATIONS, activate, slopes
from .losses import check_targets, data_loss
from .patterns import unique_patterns

__all__ = ["TIE_RTOL", "TwoLayerNetwork", "stack_outputs"]

# a scalar output |f(x)| below this times ||x|| sum_j |a_j| ||w_j|| (the size of its
# round-off) lies on the decision boundary
TIE_RTOL = 1e-12


@dataclass
class TwoLayerNetwork:
    """A two-layer network ``f(x) = sum_j sigma(x^T w_j) a_j``.

    Parameters
    ----------
    W1 : ndarray of shape (d, m)
        First-layer weights, one column w_j per neuron.
    w2 : ndarray of shape (m,), or (m, c) for c outputs
        Second-layer weights a_j.
    activation : {"relu", "leaky_relu", "absolute"}
    alpha : float
        Negative slope of the leaky ReLU.
    history : list of float
        Objective values recorded while training (``train_nonconvex``), if any.

    See Also
    --------
    ConvexSolution.network : the network a convex solution maps back to (chapter 2).
    """

    W1: np.ndarray
    w2: np.ndarray
    activation: str = "relu"
    alpha: float = 0.01
    history: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.W1 = check_X(self.W1, "W1")
        w2 = np.asarray(self.w2, dtype=np.float64)
        w2 = w2.reshape(-1) if w2.ndim < 2 else w2
        if w2.shape[0] != self.W1.shape[1]:
            raise ValueError(
                f"w2 has {w2.shape[0]} rows but W1 has {self.W1.shape[1]} columns "
                "(neurons); they must match"
            )
        self.w2 = check_y(w2, self.W1.shape[1], "w2", allow_matrix=True)
        check_choice(self.activation, "activation", ACTIVATIONS)
        slopes(self.activation, self.alpha)

    @property
    def width(self) -> int:
        """Number of neurons m."""
        return int(self.W1.shape[1])

    def _check_input(self, X) -> np.ndarray:
        X = check_X(X)
        if X.shape[1] != self.W1.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} columns but the network expects d = "
                f"{self.W1.shape[0]} inputs (did you forget the bias column?)"
            )
        return X

    def hidden(self, X) -> np.ndarray:
        """Hidden activations sigma(X W1), shape (n, m)."""
        X = self._check_input(X)
        return activate(X @ self.W1, self.activation, self.alpha)

    @property
    def outputs(self) -> int:
        """Number of outputs c (1 for a scalar network)."""
        return 1 if self.w2.ndim == 1 else int(self.w2.shape[1])

    def predict(self, X) -> np.ndarray:
        """Network output f(X) = sigma(X W1) w2, shape (n,) or (n, c)."""
        return self.hidden(X) @ self.w2

    def classify(self, X) -> np.ndarray:
        """Classes -1/+1 of a scalar-output network: ``sign(f(x))``, shape (n,).

        0 counts as +1, and so does any |f(x)| within its round-off, ``TIE_RTOL`` times
        ``||x|| sum_j |a_j| ||w_j||``: a point on a neuron's hyperplane (where a ReLU
        solution puts points exactly) gets an output such as +-1e-17, whose sign would
        otherwise decide its class.
        """
        X = self._check_input(X)
        if self.outputs != 1:
            raise ValueError(f"classify needs a scalar output; this network has "
                             f"{self.outputs}: use predict(X).argmax(axis=1)")
        scale = np.abs(self.w2) @ np.linalg.norm(self.W1, axis=0)
        tie = TIE_RTOL * np.linalg.norm(X, axis=1) * scale
        return np.where(self.predict(X) >= -tie, 1.0, -1.0)

    def accuracy(self, X, labels) -> float:
        """Classification accuracy.

        Scalar output: ``classify(X)`` against -1/+1 labels (other values raise: with 0/1
        labels it would silently count only the +1 predictions on label-1 points).
        Vector output: ``argmax_c f(x)_c`` against class indices (or one-hot rows).
        """
        X = self._check_input(X)
        labels = np.asarray(labels)
        if self.outputs == 1:
            labels = check_y(labels, X.shape[0], "labels")
            other = np.setdiff1d(np.unique(labels), [-1.0, 1.0])
            if len(other):
                raise ValueError(
                    f"labels must be -1 or +1 for a scalar-output network, got the values "
                    f"{other[:5].tolist()}{' ...' if len(other) > 5 else ''}; for 0/1 labels "
                    "pass np.where(labels > 0, 1, -1) (a bundled Dataset: "
                    "dataset.signed_labels())")
            return float(np.mean(self.classify(X) == labels))
        if labels.ndim == 2:
            labels = labels.argmax(axis=1)
        if labels.shape != (X.shape[0],):
            raise ValueError(f"labels must hold {X.shape[0]} class indices, got {labels.shape}")
        return float(np.mean(self.predict(X).argmax(axis=1) == labels))

    def regularization(self) -> float:
        """``0.5 * (||W1||_F^2 + ||w2||^2)`` (multiply by beta)."""
        return 0.5 * float(np.sum(self.W1**2) + np.sum(self.w2**2))

    def objective(self, X, y, beta: float, loss: str = "squared") -> float:
        """L(W1, w2) on data (X, y) with weight decay beta (notation, chapter 00)."""
        X = self._check_input(X)
        y = check_y(y, X.shape[0], allow_matrix=self.outputs > 1)
        beta = check_beta(beta, allow_zero=True)
        check_targets(y, loss)
        return data_loss(self.predict(X), y, loss) + beta * self.regularization()

    def to_torch(self, *, bias_column: bool = False, dtype=None):
        """The network as a ``torch.nn.Module``, to sit on top of a feature extractor.

        Parameters
        ----------
        bias_column : bool
            The network was trained on ``add_bias(X)`` (its last input is the constant
            1): the module then takes X without that column, and the last row of W1
            becomes the first layer's bias.
        dtype : torch.dtype, optional
            Default ``torch.float32``.

        Returns
        -------
        torch.nn.Sequential
            ``Linear(d, m) -> activation -> Linear(m, c, bias=False)``; its output has
            shape (n,) for a scalar network (``predict``), (n, c) otherwise, and equals
            ``predict`` to the dtype's round-off.
        """
        import torch

        if not isinstance(bias_column, (bool, np.bool_)):
            raise TypeError(f"bias_column must be True or False, got {bias_column!r}")
        if bias_column and self.W1.shape[0] < 2:
            raise ValueError("bias_column=True needs at least one input besides the bias "
                             f"(W1 has {self.W1.shape[0]} row)")
        dtype = dtype or torch.float32
        W = self.W1[:-1] if bias_column else self.W1
        first = torch.nn.Linear(W.shape[0], self.width, bias=bool(bias_column), dtype=dtype)
        second = torch.nn.Linear(self.width, self.outputs, bias=False, dtype=dtype)
        with torch.no_grad():
            first.weight.copy_(torch.as_tensor(W.T))
            if bias_column:
                first.bias.copy_(torch.as_tensor(self.W1[-1]))
            second.weight.copy_(torch.as_tensor(self.w2.reshape(self.width, -1).T))
        act = {"relu": torch.nn.ReLU(), "leaky_relu": torch.nn.LeakyReLU(self.alpha),
               "absolute": _Elementwise(torch.abs)}[self.activation]
        layers = [first, act, second]
        if self.outputs == 1:
            layers.append(_Elementwise(lambda z: z.squeeze(-1)))
        return torch.nn.Sequential(*layers)

    def patterns(self, X) -> np.ndarray:
        """Distinct activation patterns ``1[X w_j >= 0]`` of the neurons, (k, n) bool."""
        X = self._check_input(X)
        return unique_patterns((X @ self.W1 >= 0).T)

    def neuron_patterns(self, X) -> np.ndarray:
        """The pattern of every neuron, shape (m, n) bool (duplicates kept)."""
        X = self._check_input(X)
        return (X @ self.W1 >= 0).T

    def _scalar_only(self, name):
        if self.outputs > 1:
            raise ValueError(f"{name} handles scalar-output networks; split a vector-output "
                             "network by class first (ConvexSolution.network per class)")

    def balanced(self) -> TwoLayerNetwork:
        """Rescale each neuron so ``||w_j|| = |a_j|``.

        The output is unchanged (sigma is positively homogeneous) and the
        regularization can only drop: it becomes ``sum_j ||w_j|| |a_j|``.
        """
        self._scalar_only("balanced")
        norms = np.linalg.norm(self.W1, axis=0)
        prod = norms * np.abs(self.w2)
        keep = prod > 0
        W1 = np.zeros_like(self.W1)
        w2 = np.zeros_like(self.w2)
        scale = np.sqrt(prod[keep])
        W1[:, keep] = self.W1[:, keep] / norms[keep] * scale
        w2[keep] = np.sign(self.w2[keep]) * scale
        return TwoLayerNetwork(W1, w2, self.activation, self.alpha)

    def merge_neurons(self, X, *, tol: float = 1e-6) -> TwoLayerNetwork:
        """Prune dead neurons and merge duplicates: same output sign, and same pattern or
        same direction.

        With ``u_j = w_j |a_j|``, neuron j adds ``sign(a_j) relu(X u_j)`` to the output.
        Neurons of the same output sign are merged into one balanced neuron with
        ``u = sum u_j`` when

        * they share a pattern on X: then ``relu(X u) = Dt X u = sum_j relu(X u_j)``
          exactly on X, or
        * their unit directions ``w_j / ||w_j||`` agree to within `tol` (Euclidean
          distance): ``relu`` is positively homogeneous, so the outputs change by at most
          about ``tol * ||x|| * ||u||`` at a point x (only where x lies within that
          distance of the neurons' hyperplane, where their patterns may differ; copies of
          one neuron at a knot that sits on a data point are merged this way).

        Either way the regularization becomes ``||sum u_j|| <= sum ||u_j||``.  Neurons
        with ``||w_j|| |a_j| <= tol`` times the largest are dropped.  So the objective on
        X never increases by more than about `tol` relative (predictions away from X may
        change).  Neurons of opposite output signs, or with different patterns and
        directions, are kept apart.

        Parameters
        ----------
        X : array_like of shape (n, d)
            The data whose patterns decide the merge.
        tol : float, in [0, 1e-6]
            Relative size below which a neuron is dropped, and distance between unit
            directions below which neurons are merged.  The default 1e-6 matches the
            accuracy of the solvers: copies of one neuron that a solver returns (e.g. two
            blocks whose cones share the knot at a data point) differ by 1e-9 to 1e-8.

        Returns
        -------
        TwoLayerNetwork
            Balanced, in order of each group's first neuron; no two of its neurons share
            an output sign together with a pattern on X or a direction (within `tol`).

        Raises
        ------
        TypeError, ValueError
            If `tol` is not a real number in [0, 1e-6], or X does not fit the network.
        """
        self._scalar_only("merge_neurons")
        X = self._check_input(X)
        tol = check_tolerance(
            tol, "tol", low=0.0, high=1e-6,
            meaning="it is the relative size below which a neuron is dropped and the distance "
            "between unit directions below which neurons are merged, so the objective on X "
            "may change by about tol; keep the default 1e-06 (solvers stop at a relative "
            "gap of 1e-6, so copies of one neuron differ by 1e-9 to 1e-8 in direction)",
        )
        d = self.W1.shape[0]
        if self.width == 0:
            return _make(np.zeros((d, 0)), np.zeros(0), self.activation, self.alpha)
        U = self.W1 * np.abs(self.w2)
        size = np.linalg.norm(U, axis=0)
        alive = np.flatnonzero(size > tol * max(size.max(), 1e-300))
        positive = self.w2 > 0
        parent = {int(j): int(j) for j in alive}

        def find(j):
            while parent[j] != j:
                parent[j] = parent[parent[j]]
                j = parent[j]
            return j

        def union(j, k):
            rj, rk = find(j), find(k)
            if rj != rk:
                parent[max(rj, rk)] = min(rj, rk)

        # same pattern on X and same output sign: exact on X
        pats = (X @ self.W1 >= 0).T
        first: dict = {}
        for j in alive:
            key = (np.packbits(pats[j]).tobytes(), bool(positive[j]))
            union(first.setdefault(key, int(j)), int(j))
        # same direction (within `tol`) and same output sign: sort by a projection of the
        # unit directions, so only neighbours within `tol` of it need a full comparison
        E = U[:, alive] / size[alive]
        proj = np.linspace(1.0, 2.0, d) @ E / np.linalg.norm(np.linspace(1.0, 2.0, d))
        order = np.argsort(proj, kind="stable")
        for a, ia in enumerate(order):
            for ib in order[a + 1:]:
                if proj[ib] - proj[ia] > tol:
                    break
                j, k = int(alive[ia]), int(alive[ib])
                if positive[j] == positive[k] and np.linalg.norm(E[:, ia] - E[:, ib]) <= tol:
                    union(j, k)
        groups: dict = {}
        for j in alive:
            groups.setdefault(find(int(j)), []).append(int(j))
        cols, outs = [], []
        for root in sorted(groups):
            members = groups[root]
            u = U[:, members].sum(axis=1)
            norm = np.linalg.norm(u)
            if norm == 0:
                continue
            cols.append(u / np.sqrt(norm))
            outs.append(np.sqrt(norm) if positive[root] else -np.sqrt(norm))
        W1 = np.column_stack(cols) if cols else np.zeros((d, 0))
        return _make(W1, np.array(outs), self.activation, self.alpha)


def stack_outputs(networks) -> TwoLayerNetwork:
    """One network with c outputs from c scalar networks (one per class, one-vs-rest).

    The neurons sit side by side, W1 = [W1_1, ..., W1_c], and each network's output
    weights fill its own column of a block-diagonal w2 of shape (m_1 + ... + m_c, c), so
    ``predict(X)[:, k]`` is network k's output.  Its weight decay is the sum of theirs.
    With no neuron at all it has one zero neuron (an all-zero network with c outputs).
    """
    networks = list(networks)
    if not networks:
        raise ValueError("networks is empty; pass one scalar network per class")
    kinds = {(net.activation, net.alpha) for net in networks}
    if len(kinds) > 1:
        raise ValueError(f"the networks have different activations {sorted(kinds)}; stack "
                         "networks of one activation")
    for k, net in enumerate(networks):
        if net.outputs != 1:
            raise ValueError(f"network {k} has {net.outputs} outputs; stack scalar networks")
    W1 = np.hstack([net.W1 for net in networks])
    w2 = np.zeros((W1.shape[1], len(networks)))
    start = 0
    for k, net in enumerate(networks):
        w2[start:start + net.width, k] = net.w2
        start += net.width
    if W1.shape[1] == 0:
        W1, w2 = np.zeros((W1.shape[0], 1)), np.zeros((1, len(networks)))
    activation, alpha = kinds.pop()
    return TwoLayerNetwork(W1, w2, activation=activation, alpha=alpha)


def _Elementwise(fn):
    """`fn` as a torch module without parameters (``to_torch``: |z|, the last squeeze)."""
    import torch

    class Elementwise(torch.nn.Module):
        def forward(self, z):
            return fn(z)

    return Elementwise()


def _make(W1, w2, activation, alpha) -> TwoLayerNetwork:
    """A network that may have zero neurons (the zero function)."""
    if W1.shape[1] == 0:
        net = object.__new__(TwoLayerNetwork)
        net.W1, net.w2 = W1.astype(np.float64), np.zeros(0)
        net.activation, net.alpha, net.history = activation, alpha, []
        return net
    return TwoLayerNetwork(W1, w2, activation, alpha)

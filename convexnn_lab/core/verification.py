"""Exact pricing by branch and bound: the verification view of the dual constraint (chapter 8).

The price of a dual vector lambda is ``max_{||u|| <= 1} |lambda^T sigma(X u)|``: the largest
output, over the unit ball, of a one-hidden-layer network whose first-layer weights are
the rows x_i of X (n neurons on d inputs) and whose output weights are lambda.  Bounding
that maximum is what neural-network verifiers do.  The price is at most beta iff no
pattern of X violates the dual constraint, so an upper bound M on it proves optimality
over networks of any width (and ``global_bound`` turns any M into a lower bound).

Write sigma(a) = b a + (a_slope - b) a_+ (``activations.slopes``: ReLU b = 0, leaky ReLU
b = alpha, absolute value b = -1), so with w_i = (a_slope - b) lambda_i

    F(u) = lambda^T sigma(X u) = (b X^T lambda)^T u + sum_i w_i (x_i^T u)_+ .

Rows on one line through the origin share a hyperplane, so they are merged first
(``_canonical``): F = g^T u + sum_k w_k (z_k^T u)_+ with distinct unit rows z_k, and the
search below runs on that form (prices are still evaluated on X and lambda).

F is positively homogeneous, so its maximum over the ball is ``max(0, max over the
sphere)``.  The search splits the sphere: every direction is the ray of a point v of one
face of the cube [-1, 1]^d (``v_k = +-1``), and a node is a box of one face.  On a node:

* the sign of x_i^T u is known exactly where the box's interval of x_i^T v excludes 0
  (neuron i "stable"); elsewhere it is "unstable";
* an upper bound in closed form: the node lies in a spherical cap (centre c, angle
  theta), over which ``x_i^T u`` ranges in ``[l_i, h_i]``; a stable term is linear, an
  unstable term with w_i > 0 lies below its chord ``w_i h_i (a - l_i) / (h_i - l_i)`` and
  one with w_i < 0 below ``w_i t a`` (t in {0, 1}); the linear function ``g^T u + k`` so
  built is at most ``||g|| cos(max(angle(g, c) - theta, 0)) + k`` on the cap.  An interval
  bound (each term at its best end) is taken too, and the smaller kept;
* an exact value when at most ``exact_unstable`` neurons are unstable: for w_i > 0,
  ``w_i a_+ = max_{z in {0, 1}} z w_i a`` (enumerate z, no constraint), for w_i < 0 the
  sign of a is enumerated with its constraint; each case maximizes a linear function
  ``g^T u`` over a polyhedral cone K and the ball, ``||Pi_K(g)||`` (one NNLS, Moreau).

Nodes whose bound is below the best price found (or below a threshold such as beta)
are pruned; the largest bound left is an upper bound on the price at any time.
"""

from __future__ import annotations

import heapq
import numbers
import time
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from scipy.optimize import nnls

from .._internal.validation import check_positive_int
from ..status import INACCURATE, NODE_LIMIT, NOT_OPTIMAL, OPTIMAL, TIME_LIMIT
from .activations import slopes

__all__ = ["PriceBound", "price_exact"]

# nodes bounded per numpy batch
BATCH = 512

# upper bounds are inflated by this relative margin against round-off, plus an absolute
# one of ABS_ROUND_OFF * sum_i |lambda_i| ||x_i|| (the scale of F's own rounding error when
# its terms cancel)
ROUND_OFF = 1e-10
ABS_ROUND_OFF = 1e-12

# "inaccurate" when the bound exceeds what the search proved by more than this (relative)
INACCURATE_RTOL = 1e-8


@dataclass
class PriceBound:
    """What ``price_exact`` proved about ``max_{||u|| <= 1} |lambda^T sigma(X u)|``.

    Attributes
    ----------
    upper_bound : float
        M >= the price, proven (at any status).
    price : float
        The best price found, ``|lambda^T sigma(X u)|`` at `direction`: the price is in
        ``[price, upper_bound]``.
    direction : ndarray of shape (d,)
        A unit u attaining `price`.
    status : {"optimal", "inaccurate", "not_optimal", "time_limit", "node_limit"}
        "optimal": the search finished, so ``upper_bound <= price (1 + rtol)`` or
        ``upper_bound <= threshold`` (up to a relative ``INACCURATE_RTOL`` and 10 times
        ``ABS_ROUND_OFF * sum_i |lambda_i| ||x_i||``);
        "inaccurate": it finished, but round-off on nearly degenerate data (very thin
        cones) left ``upper_bound`` above that; "not_optimal": it stopped at a direction
        priced above ``stop_above`` (a violation); the others: a budget stopped it first.
    nodes : int
        Nodes bounded.
    seconds : float
    directions : ndarray of shape (d, k)
        Up to 32 distinct unit directions found, best first (their patterns are the
        ones to add in column generation); `prices` their prices.
    """

    upper_bound: float
    price: float
    direction: np.ndarray
    status: str
    nodes: int
    seconds: float
    directions: np.ndarray = field(repr=False)
    prices: np.ndarray = field(repr=False)

    @property
    def exact(self) -> bool:
        return self.status == OPTIMAL


def _check(X, lam):
    X = np.asarray(X, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must be a nonempty (n, d) matrix, got shape {X.shape}")
    if lam.shape != (X.shape[0],):
        raise ValueError(f"lam must have shape ({X.shape[0]},) (one weight per row of X), "
                         f"got {lam.shape}")
    if not (np.isfinite(X).all() and np.isfinite(lam).all()):
        raise ValueError("X and lam must be finite (no NaN or inf)")
    return X, lam


def _check_budget(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number or None, got {value!r}")
    return float(value)


def _canonical(X, lam, b, s):
    """F(u) = lambda^T sigma(X u) as ``g^T u + sum_k w_k (z_k^T u)_+`` with distinct unit
    rows z_k, each up to sign once (first nonzero entry positive).

    sigma(c a) = c sigma(a) for c > 0, and sigma(-a) = -(b + s) a + s a_+ with
    sigma(a) = b a + s a_+: rows on one line through the origin share one hyperplane and
    merge into one term; terms whose weights cancel are dropped.  Returns (Z (K, d), w (K,),
    g (d,)).
    """
    norms = np.linalg.norm(X, axis=1)
    keep = norms > 0  # zero rows add sigma(0) = 0
    Z, lam, norms = X[keep] / norms[keep, None], lam[keep], norms[keep]
    first = Z[np.arange(len(Z)), np.argmax(np.abs(Z) > 1e-12, axis=1)]
    flip = np.where(first < 0, -1.0, 1.0)
    Z = Z * flip[:, None]
    scale = lam * norms
    g = (np.where(flip > 0, b, -(b + s)) * scale) @ Z
    _, first_index, group = np.unique(np.round(Z, 13), axis=0, return_index=True,
                                      return_inverse=True)
    w = np.zeros(len(first_index))
    np.add.at(w, group.reshape(-1), s * scale)
    live = np.abs(w) > 1e-15 * max(float(np.abs(s * scale).sum()), 1e-300)
    return Z[first_index][live], w[live], g


class _Tree:
    """The branch and bound over boxes of the cube's faces, for +F and -F, on F's canonical
    form (``_canonical``); prices are evaluated on the original X and lambda."""

    def __init__(self, X, lam, activation, alpha, exact_unstable):
        a, b = slopes(activation, alpha)
        self.X0, self.lam0, self.b, self.s = X, lam, b, a - b
        self.Z, self.w, self.g = _canonical(X, lam, b, a - b)
        self.absZ = np.abs(self.Z)
        self.slack = ABS_ROUND_OFF * float(np.abs(lam) @ np.linalg.norm(X, axis=1))
        self.exact_unstable = exact_unstable
        self.found_u, self.found_p = [], []
        self.best = 0.0

    def price(self, U):
        """|lambda^T sigma(X u)| for the unit columns of U."""
        A = self.X0 @ U
        return np.abs(self.lam0 @ (self.b * A + self.s * np.maximum(A, 0.0)))

    def offer(self, U):
        """Record directions (columns of U, any norm) found by the search."""
        norms = np.linalg.norm(U, axis=0)
        U = U[:, norms > 0] / norms[norms > 0]
        if U.shape[1] == 0:
            return
        p = self.price(U)
        top = np.argsort(-p)[:32]
        self.found_u.append(U[:, top])
        self.found_p.append(p[top])
        self.best = max(self.best, float(p[top[0]]))

    def roots(self):
        """The 4 d root nodes: each sign of F on each face of the cube, as arrays
        (sign (R,), k (R,), lo (R, d), hi (R, d))."""
        d = self.X0.shape[1]
        sign, k, face = (np.array(c) for c in zip(*product((1.0, -1.0), range(d),
                                                         (1.0, -1.0))))
        lo, hi = -np.ones((len(k), d)), np.ones((len(k), d))
        lo[np.arange(len(k)), k] = hi[np.arange(len(k)), k] = face
        return sign, k, lo, hi

    def bound(self, sign, lo, hi):
        """Upper bounds of sign * F on a batch of nodes, and the unstable terms.

        sign : (B,); lo, hi : (B, d) boxes of the cube's faces.  Returns (ub (B,),
        unstable (B, K) bool); also offers the caps' centres and the bounds' linear
        maximizers as directions.
        """
        Z = self.Z
        V, R = (lo + hi) / 2, (hi - lo) / 2
        Ac, Ar = V @ Z.T, R @ self.absZ.T
        active, inactive = Ac - Ar >= 0, Ac + Ar <= 0
        unstable = ~active & ~inactive
        nv, nr = np.linalg.norm(V, axis=1), np.linalg.norm(R, axis=1)
        theta = np.where(nr < nv, np.arcsin(np.minimum(nr / nv, 1.0)), np.pi)
        C = V / nv[:, None]
        phi = np.arccos(np.clip(Ac / nv[:, None], -1.0, 1.0))  # rows of Z are unit
        low = np.cos(np.minimum(phi + theta[:, None], np.pi))
        high = np.cos(np.maximum(phi - theta[:, None], 0.0))
        low = np.where(active, np.maximum(low, 0.0), low)
        high = np.where(inactive, np.minimum(high, 0.0), high)
        w = sign[:, None] * self.w
        span = np.where(unstable, np.maximum(high - low, 1e-300), 1.0)
        chord = np.where(unstable & (w > 0), w * high / span, 0.0)
        coef = (np.where(active, w, 0.0) + chord
                + np.where(unstable & (w < 0) & (Ac > 0), w, 0.0))
        const = np.sum(np.where(unstable & (w > 0), -w * high * low / span, 0.0), axis=1)
        G = coef @ Z + sign[:, None] * self.g
        linear = _cap_max(G, C, theta) + const
        ends = np.maximum(w * np.maximum(low, 0.0), w * np.maximum(high, 0.0))
        interval = _cap_max(sign[:, None] * self.g, C, theta) + ends.sum(axis=1)
        self.offer(np.hstack([C.T, G.T]))
        ub = np.minimum(linear, interval)
        return ub + ROUND_OFF * np.abs(ub) + self.slack, unstable

    def process(self, parent, sign, k, lo, hi, level):
        """Bound a batch of nodes (their parents' bounds (B,), sign (B,), face axis k (B,),
        boxes lo, hi (B, d)): close those bounded below `level` and solve those with
        few unstable terms exactly.  Returns (the largest bound of the nodes closed, the
        children of the others to split further: (bound, sign, k, lo, hi), two rows per
        node).  A node's bound is the smaller of its own and its parent's (both hold on
        it; its own relaxation, on a smaller cap, is not always tighter)."""
        ub, unstable = self.bound(sign, lo, hi)
        ub = np.minimum(ub, parent)
        shut = ub <= level
        closed = float(ub[shut].max(initial=0.0))
        exact = ~shut & (unstable.sum(axis=1) <= self.exact_unstable)
        maximizers = []
        for i in np.flatnonzero(exact):
            value, best_u = self.solve_node(sign[i], k[i], lo[i], hi[i], unstable[i], level)
            closed = max(closed, value * (1 + ROUND_OFF) + self.slack)
            if best_u is not None:
                maximizers.append(best_u)
        if maximizers:
            self.offer(np.array(maximizers).T)
        split = ~shut & ~exact
        halves = _split(k[split], lo[split], hi[split])
        return closed, (np.repeat(ub[split], 2), np.repeat(sign[split], 2)) + halves

    def solve_node(self, sign, k, lo, hi, unstable, level):
        """The exact maximum of sign * F on one node (few unstable terms), by
        enumerating their cases, largest ``||g||`` first; each case is one NNLS (module
        docstring) and none is solved once ``||g||`` (its bound) falls below the best
        value or `level`.  Returns (value, maximizer or None)."""
        Z = self.Z
        w = sign * self.w
        cone = self._node_cone(k, lo[k], lo, hi)
        on_side = ~unstable & (Z @ ((lo + hi) / 2) > 0)
        g0 = sign * self.g + w[on_side] @ Z[on_side]
        idx = np.flatnonzero(unstable)
        cases = np.array(list(product((False, True), repeat=len(idx))), dtype=bool)
        G = g0 + cases @ (w[idx, None] * Z[idx])
        bounds = np.linalg.norm(G, axis=1)
        signed = w[idx] <= 0  # concave terms: their sign is a constraint of the case
        best, best_u = 0.0, None
        for c in np.argsort(-bounds):
            if bounds[c] <= max(best, level):
                break
            on, off = idx[signed & cases[c]], idx[signed & ~cases[c]]
            rows = np.vstack([cone, Z[on], -Z[off]])
            mu, r = nnls(rows.T, -G[c])
            if r > best:
                best, best_u = r, G[c] + rows.T @ mu
        return max(best, min(level, bounds.max(initial=0.0))), best_u

    @staticmethod
    def _node_cone(k, face, lo, hi):
        """Rows A with ``A u >= 0`` iff u is a ray of the box {v_k = face, lo <= v <= hi}."""
        d = len(lo)
        others = [j for j in range(d) if j != k]
        rows = []
        for j in others:
            r = np.zeros(d)
            r[j], r[k] = 1.0, -lo[j] * face
            rows.append(r)
            r = np.zeros(d)
            r[j], r[k] = -1.0, hi[j] * face
            rows.append(r)
        r = np.zeros(d)
        r[k] = face
        rows.append(r)
        return np.array(rows)


def price_exact(X, lam, *, activation="relu", alpha=0.01, threshold=None, stop_above=None,
                rtol=1e-6, time_limit=None, node_limit=None, starts=None,
                exact_unstable=6) -> PriceBound:
    """Bound ``max_{||u|| <= 1} |lambda^T sigma(X u)|`` by branch and bound (module docstring).

    Parameters
    ----------
    X : array_like of shape (n, d)
    lam : array_like of shape (n,)
        The dual vector (e.g. a solution's residual ``y - X-model output``).
    activation, alpha
        sigma, as in :func:`solve_convex`.
    threshold : float, optional
        Nodes bounded at most `threshold` are pruned too: the search then proves
        ``price <= max(threshold, found price (1 + rtol))`` and no more (pass beta to
        certify the dual constraint; much faster than the price itself).
    stop_above : float, optional
        Stop as soon as a direction priced above it is found (status "not_optimal").
    rtol : float
        Nodes bounded at most ``(1 + rtol)`` times the best price found are pruned.
    time_limit : float, optional; node_limit : int, optional
        Budgets (seconds, nodes bounded); hitting one is said in the status, and
        ``upper_bound`` still holds.
    starts : array_like of shape (d, k), optional
        Directions to price first (a network's neurons price near beta: they make the
        pruning bite from the start).
    exact_unstable : int
        A node with at most this many unstable neurons is solved exactly
        (``2 ** exact_unstable`` NNLS at most) instead of split.

    Returns
    -------
    PriceBound
    """
    start = time.perf_counter()
    X, lam = _check(X, lam)
    rtol = _check_budget(rtol, "rtol")
    threshold = -np.inf if threshold is None else float(_check_budget(threshold, "threshold"))
    stop_above = np.inf if stop_above is None else float(_check_budget(stop_above, "stop_above"))
    time_limit = _check_budget(time_limit, "time_limit")
    node_limit = None if node_limit is None else check_positive_int(node_limit, "node_limit")
    exact_unstable = check_positive_int(exact_unstable, "exact_unstable", minimum=0)
    tree = _Tree(X, lam, activation, alpha, exact_unstable)
    if starts is not None:
        tree.offer(np.asarray(starts, dtype=np.float64).reshape(X.shape[1], -1))
    tree.offer(np.eye(X.shape[1]))
    if not len(tree.Z):  # F is linear: its price is ||g||, at u = +-g / ||g||
        tree.offer(tree.g[:, None])
    status, nodes, pruned = OPTIMAL, 0, 0.0
    frontier = _Frontier()
    roots = tree.roots()
    frontier.push(np.full(len(roots[0]), np.inf), *roots)
    while len(frontier):
        if tree.best > stop_above:
            status = NOT_OPTIMAL
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            status = TIME_LIMIT
            break
        if node_limit is not None and nodes >= node_limit:
            status = NODE_LIMIT
            break
        batch = frontier.pop(BATCH)
        nodes += len(batch[0])
        # a node within round-off of the best price (or below the threshold) is closed
        level = max(tree.best * (1 + rtol) + 2 * tree.slack, threshold)
        closed, children = tree.process(*batch, level)
        pruned = max(pruned, closed)
        frontier.push(*children)
    upper = max(tree.best, pruned, frontier.top())
    result = _result(tree, upper, status, nodes, time.perf_counter() - start)
    if result.status == OPTIMAL and result.upper_bound > (1 + INACCURATE_RTOL) * max(
            result.price * (1 + rtol), threshold) + 10 * tree.slack:
        # the search is exhausted, but an exact node's value was not attained by a
        # direction (NNLS on a very thin cone): the bound holds, the price is not pinned.
        # The margin is well above what closing nodes adds (ROUND_OFF, 3 slacks), so the
        # status does not flip with the last digits of a BLAS
        result.status = INACCURATE
    return result


def _cap_max(G, C, theta):
    """``max g_b^T u`` over the spherical cap of centre C_b (unit) and angle theta_b, for
    each row g_b of G: ``||g|| cos(max(angle(g, c) - theta, 0))``."""
    gn = np.linalg.norm(G, axis=1)
    cos_psi = np.clip(np.sum(G * C, axis=1) / np.where(gn > 0, gn, 1.0), -1.0, 1.0)
    return gn * np.cos(np.maximum(np.arccos(cos_psi) - theta, 0.0))


def _split(k, lo, hi):
    """Two halves of each box (rows of lo, hi) along its longest side other than its
    face's axis k: (k, lo, hi) of the halves, each box's two in consecutive rows."""
    rows = np.arange(len(k))
    width = hi - lo
    width[rows, k] = -1.0
    j = np.argmax(width, axis=1)
    mid = (lo[rows, j] + hi[rows, j]) / 2
    lo2, hi2 = np.repeat(lo, 2, axis=0), np.repeat(hi, 2, axis=0)
    hi2[2 * rows, j] = mid
    lo2[2 * rows + 1, j] = mid
    return np.repeat(k, 2), lo2, hi2


class _Frontier:
    """The open nodes, largest bound first (ties: first pushed first).

    Each batch's children are one chunk of arrays sorted by bound, and a heap orders the
    chunks by their largest bound not yet taken: no Python object per node, so a long
    search holds about 16 d bytes a node and frees them at once (a heap of one tuple
    and two small arrays per node held a gigabyte on wine after 30 s, and releasing it
    took seconds past the budget)."""

    def __init__(self):
        self.heap, self.order, self.open = [], 0, 0

    def __len__(self):
        return self.open

    def top(self) -> float:
        """The largest open bound (0 when none is open)."""
        return -self.heap[0][0] if self.heap else 0.0

    def push(self, bound, *fields) -> None:
        """Open nodes: their bounds (m,) and fields (arrays of m rows)."""
        if not len(bound):
            return
        idx = np.argsort(-bound, kind="stable")
        chunk = _Chunk(bound[idx], [f[idx] for f in fields])
        heapq.heappush(self.heap, (-chunk.bound[0], self.order, chunk))
        self.order += 1
        self.open += len(bound)

    def pop(self, m):
        """The m (or fewer) open nodes of largest bound: (bounds, *fields)."""
        parts = []
        while m > 0 and self.heap:
            _, order, chunk = heapq.heappop(self.heap)
            start = chunk.taken
            end = min(start + m, len(chunk.bound))
            if self.heap:  # its nodes down to the next chunk's head (ties: first pushed)
                side = "right" if order < self.heap[0][1] else "left"
                runs = np.searchsorted(-chunk.bound[start:end], self.heap[0][0], side=side)
                end = start + max(int(runs), 1)
            parts.append([chunk.bound[start:end]] + [f[start:end] for f in chunk.fields])
            chunk.taken, m = end, m - (end - start)
            if 2 * end > len(chunk.bound):  # keep what is open, free the rest
                chunk.bound = chunk.bound[end:].copy()
                chunk.fields = [f[end:].copy() for f in chunk.fields]
                chunk.taken = end = 0
            if end < len(chunk.bound):
                heapq.heappush(self.heap, (-chunk.bound[end], order, chunk))
        self.open -= sum(len(p[0]) for p in parts)
        return [np.concatenate(f) for f in zip(*parts)]


@dataclass
class _Chunk:
    """Open nodes sorted by bound (descending); those before `taken` are gone."""

    bound: np.ndarray
    fields: list
    taken: int = 0


def _result(tree, upper, status, nodes, seconds):
    U = np.hstack(tree.found_u)
    p = np.concatenate(tree.found_p)
    order = np.argsort(-p)
    U, p = U[:, order], p[order]
    keep = [0]
    for j in range(1, len(p)):
        if len(keep) == 32:
            break
        if np.min(np.linalg.norm(U[:, keep] - U[:, [j]], axis=0)) > 1e-9:
            keep.append(j)
    return PriceBound(float(max(upper, p[0])), float(p[0]), U[:, 0], status, nodes,
                      seconds, U[:, keep], p[keep])

"""Checks of chapter 04's exercises (``solutions/ex04_stationary_points.md``).

Chapter: Read every stationary point as a convex optimum.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


def _ch4_net():
    rng = np.random.default_rng(41)
    X = np.column_stack([rng.standard_normal((9, 2)), np.ones(9)])
    y = rng.standard_normal(9)
    W = rng.standard_normal((3, 3))
    W1 = np.hstack([W, 2.0 * W[:, :1]])  # neuron 3 repeats neuron 0's direction
    w2 = np.array([1.0, -0.5, 0.8, 0.6])
    return X, y, W1, w2


@_register("ex04.q1")
def _ex04_q1(fn):
    X, _, W1, _ = _ch4_net()
    ref = len({tuple(p) for p in (X @ W1 >= 0).T})
    got = int(fn(W1, X))
    if got == W1.shape[1] and ref < got:
        raise Feedback(f"you return {got}, the number of neurons; neurons 0 and 3 share a "
                       "pattern: count distinct patterns")
    if got != ref:
        raise Feedback(f"you return {got}; these neurons have {ref} distinct patterns")


@_register("ex04.q2")
def _ex04_q2(fn):
    from ..networks import TwoLayerNetwork

    X, y, W1, w2 = _ch4_net()
    net = TwoLayerNetwork(W1, w2)
    W1s, w2s = fn(W1, w2, 1)
    W1s, w2s = np.asarray(W1s, float), np.asarray(w2s, float)
    if W1s.shape != (W1.shape[0], W1.shape[1] + 1):
        raise Feedback(f"the split network must have {W1.shape[1] + 1} neurons "
                       f"(W1 of shape {(W1.shape[0], W1.shape[1] + 1)}), got {W1s.shape}")
    split = TwoLayerNetwork(W1s, w2s)
    if not np.allclose(split.predict(X), net.predict(X)):
        raise Feedback("the split network's outputs differ: both halves keep the direction "
                       "of w, and their output weights must add up the same contribution")
    if not np.isclose(split.objective(X, y, 0.3), net.objective(X, y, 0.3)):
        raise Feedback(f"outputs match but the objective moved from "
                       f"{net.objective(X, y, 0.3):.5f} to {split.objective(X, y, 0.3):.5f}: "
                       "scale both w and a by sqrt(1/2), not w by 1/2")


@_register("ex04.q3")
def _ex04_q3(fn):
    from ..networks import TwoLayerNetwork

    X, y, W1, w2 = _ch4_net()
    net = TwoLayerNetwork(W1, w2)
    Wm, wm = fn(W1, w2, X)
    merged = TwoLayerNetwork(np.asarray(Wm, float), np.asarray(wm, float))
    if merged.width >= net.width:
        raise Feedback(f"your network still has {merged.width} neurons; neurons 0 and 3 "
                       "share a pattern and an output sign: merge them")
    if not np.allclose(merged.predict(X), net.predict(X)):
        raise Feedback("the merged network's outputs differ on X: add u = w a of the "
                       "merged neurons, then split u back as w = u/sqrt(||u||), a = sqrt(||u||)")
    if merged.objective(X, y, 0.3) > net.objective(X, y, 0.3) + 1e-12:
        raise Feedback("merging raised the objective; balance the merged neuron "
                       "(||w|| = |a|)")


@_register("ex04.q4")
def _ex04_q4(fn):
    from ..networks import TwoLayerNetwork
    from ..stationary import network_program

    X, y, W1, w2 = _ch4_net()
    net = TwoLayerNetwork(W1, w2)
    ref = network_program(X, y, 0.3, net).objective
    got = float(fn(X, y, 0.3, W1, w2))
    if got > net.objective(X, y, 0.3) + 1e-9:
        raise Feedback(f"{got:.5f} is above the network's own objective "
                       f"{net.objective(X, y, 0.3):.5f}; the program on its patterns can "
                       "always do at least as well")
    _close(got, ref, "the program's optimum", rtol=1e-5)

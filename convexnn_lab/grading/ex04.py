"""Checks of chapter 04's exercises (``solutions/ex04_stationary_points.md``).

Chapter: Read every stationary point as a convex optimum.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Integer, Number, Tuple, close, register

_NET = "convexnn_lab.networks:TwoLayerNetwork."
_NETWORK = Tuple((Array(ndim=2), Array(ndim=1)), ("W1", "w2"))


def _ch4_net(seed=41, n=9):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.standard_normal((n, 2)), np.ones(n)])
    y = rng.standard_normal(n)
    W = rng.standard_normal((3, 3))
    W1 = np.hstack([W, 2.0 * W[:, :1]])  # neuron 3 repeats neuron 0's direction
    w2 = np.array([1.0, -0.5, 0.8, 0.6])
    return X, y, W1, w2


def _ch4_nets():
    yield _ch4_net()
    X, y, W1, w2 = _ch4_net(42, 12)
    # seven neurons: 0 and 3 share a pattern and a sign, 1 and 4 a pattern but not a sign
    W1 = np.hstack([W1, 0.5 * W1[:, 1:2], 3.0 * W1[:, 2:3], np.array([[1.0], [-1.0], [0.2]])])
    w2 = np.array([1.0, -0.5, 0.8, 0.6, 0.9, 0.4, -0.7])
    yield X, y, W1, w2


@register("ex04.q1", returns=Integer(),
          forbid=(_NET + "patterns", _NET + "neuron_patterns",
                  "convexnn_lab.patterns:unique_patterns"))
def _ex04_q1(answer):
    from ..networks import TwoLayerNetwork

    for X, _, W1, w2 in _ch4_nets():
        ref = len(TwoLayerNetwork(W1, w2).patterns(X))
        got = answer(W1.copy(), X.copy())
        if got == ref:
            continue
        if got == W1.shape[1]:
            raise Feedback(f"you return {got}, the number of neurons; some neurons share a "
                           "pattern: count distinct patterns")
        if got == len({tuple(r) for r in (X @ W1 >= 0)}):
            raise Feedback("you counted distinct rows of 1[X W1 >= 0] (one per data point); "
                           "a neuron's pattern is a column: transpose first")
        raise Feedback(f"you return {got}, which is not the number of distinct patterns of "
                       f"these {W1.shape[1]} neurons")


@register("ex04.q2", returns=_NETWORK, forbid=("convexnn_lab.stationary:split_neuron",))
def _ex04_q2(answer):
    from ..networks import TwoLayerNetwork

    X, y, W1, w2 = _ch4_net()
    net = TwoLayerNetwork(W1, w2)
    for j in (1, 3):
        W1s, w2s = answer(W1.copy(), w2.copy(), j)
        m = W1.shape[1]
        if W1s.shape != (W1.shape[0], m + 1) or w2s.shape != (m + 1,):
            raise Feedback(f"the split network must have {m + 1} neurons "
                           f"(W1 of shape {(W1.shape[0], m + 1)}, w2 of shape ({m + 1},)), got "
                           f"{W1s.shape} and {w2s.shape}: remove neuron j, append two")
        if np.allclose(W1s[:, :m], W1):
            raise Feedback(f"for j={j} you kept neuron j and appended a copy: remove column "
                           "j, then append the two halves")
        if not np.allclose(W1s[:, : m - 1], np.delete(W1, j, axis=1)):
            raise Feedback(f"for j={j} the other neurons must keep their order: delete "
                           "column j, then append the two halves at the end")
        split = TwoLayerNetwork(W1s, w2s)
        if not np.allclose(split.predict(X), net.predict(X)):
            raise Feedback("the split network's outputs differ: both halves keep the "
                           "direction of w, and their output weights must add up the same "
                           "contribution")
        if not np.isclose(split.objective(X, y, 0.3), net.objective(X, y, 0.3)):
            raise Feedback("outputs match but the objective moved: scale both w and a by "
                           "sqrt(1/2) (not w by 1/2, nor a alone)")


@register("ex04.q3", returns=_NETWORK, forbid=(_NET + "merge_neurons",))
def _ex04_q3(answer):
    from ..networks import TwoLayerNetwork

    for X, y, W1, w2 in _ch4_nets():
        net = TwoLayerNetwork(W1, w2)
        want = net.merge_neurons(X).width
        Wm, wm = answer(W1.copy(), w2.copy(), X.copy())
        merged = TwoLayerNetwork(Wm, wm)
        if merged.width > want:
            raise Feedback(f"your network has {merged.width} neurons; merge every group "
                           "with the same pattern and the same sign of a_j")
        if merged.width < want:
            raise Feedback(f"your network has {merged.width} neurons: neurons with the same "
                           "pattern but opposite signs of a_j must stay apart")
        if not np.allclose(merged.predict(X), net.predict(X)):
            raise Feedback("the merged network's outputs differ on X: add u = w |a| over the "
                           "group, then split u back as w = u/sqrt(||u||), a = +-sqrt(||u||)")
        if merged.objective(X, y, 0.3) > net.merge_neurons(X).objective(X, y, 0.3) + 1e-9:
            raise Feedback("outputs match but your merged network pays more penalty than "
                           "needed; balance each merged neuron (||w|| = |a|)")


@register("ex04.q4", returns=Number())
def _ex04_q4(answer):
    from ..networks import TwoLayerNetwork
    from ..patterns import enumerate_patterns
    from ..solvers import solve_convex
    from ..stationary import network_program

    for X, y, W1, w2 in _ch4_nets():
        net = TwoLayerNetwork(W1, w2)
        ref = network_program(X, y, 0.3, net).objective
        got = answer(X.copy(), y.copy(), 0.3, W1.copy(), w2.copy())
        if np.isclose(got, net.objective(X, y, 0.3)) and not np.isclose(got, ref, rtol=1e-5):
            raise Feedback("you return the network's own objective; solve the convex program "
                           "on the network's patterns instead")
        if got > net.objective(X, y, 0.3) + 1e-9:
            raise Feedback("your value is above the network's own objective; the program on "
                           "its patterns can always do at least as well")
        if got < ref * (1 - 1e-5) and np.isclose(
                got, solve_convex(X, y, 0.3, enumerate_patterns(X)).objective, rtol=1e-5):
            raise Feedback("you used every pattern of X (the global optimum); restrict the "
                           "program to the patterns of this network's neurons")
        close(got, ref, "the program's optimum", rtol=1e-5)


@register("ex04.q6", kind="value", returns=Integer())
def _ex04_q6(prediction):
    from ..networks import TwoLayerNetwork

    X, W1, w2 = prediction_data()
    if prediction == W1.shape[1]:
        raise Feedback("some of these neurons can be merged: look for equal patterns with "
                       "equal output signs")
    if prediction != TwoLayerNetwork(W1, w2).merge_neurons(X).width:
        raise Feedback("your prediction does not match the experiment; run the cell below "
                       "and compare the neurons' patterns and signs")


def prediction_data():
    """Q6's network: X (7, 2) with a bias column, W1 (2, 5), w2 (5,)."""
    from ..datasets import add_bias

    X = add_bias(np.linspace(-1.0, 1.0, 7)[:, None])
    W1 = np.array([[1.0, 2.0, 1.0, -1.0, 0.5],
                   [0.1, 0.2, 0.1, 0.0, -0.2]])
    w2 = np.array([1.0, 0.5, -1.0, 2.0, 1.0])
    return X, W1, w2

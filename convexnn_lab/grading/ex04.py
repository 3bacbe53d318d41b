"""Checks of chapter 04's exercises (``solutions/ex04_stationary_points.md``).

Chapter: Read every stationary point as a convex optimum.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Integer, Number, Tuple, close, register

_NET = "convexnn_lab.core.networks:TwoLayerNetwork."
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
                  "convexnn_lab.core.patterns:unique_patterns"))
def _ex04_q1(answer):
    from ..core.networks import TwoLayerNetwork

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


@register("ex04.q2", returns=_NETWORK, forbid=("convexnn_lab.chapters.stationary:split_neuron",))
def _ex04_q2(answer):
    from ..core.networks import TwoLayerNetwork

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
    from ..core.networks import TwoLayerNetwork

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


@register("ex04.q4", returns=Number(),
          forbid=(_NET + "patterns", _NET + "neuron_patterns", _NET + "objective",
                  _NET + "predict", _NET + "hidden", _NET + "regularization",
                  "convexnn_lab.chapters.stationary:network_program",
                  "convexnn_lab.chapters.stationary:stationarity_report"))
def _ex04_q4(answer):
    from ..chapters.stationary import network_program
    from ..core.networks import TwoLayerNetwork
    from ..core.patterns import enumerate_patterns
    from ..solvers import solve_convex

    for beta in (0.3, 0.05):
        for X, y, W1, w2 in _ch4_nets():
            net = TwoLayerNetwork(W1, w2)
            loss = net.objective(X, y, beta)
            program = network_program(X, y, beta, net).objective
            ref = loss - program
            got = answer(X.copy(), y.copy(), beta, W1.copy(), w2.copy())
            where = f"(n={len(y)}, {W1.shape[1]} neurons, beta={beta})"
            ok = abs(got - ref) <= 1e-5 * max(loss, 1e-3)
            if ok:
                continue
            if got < -1e-9 and np.isclose(-got, ref, rtol=1e-4):
                raise Feedback(f"{where} your value is negative: the program is never above "
                               "the network, return L(network) minus the program's optimum")
            if np.isclose(got, loss, rtol=1e-5) or np.isclose(got, program, rtol=1e-5):
                raise Feedback(f"{where} return the difference L(network) - (the program's "
                               "optimum), not one of the two")
            pen = 0.5 * beta * (np.sum(W1 ** 2) + np.sum(w2 ** 2))
            if np.isclose(got - pen, ref, rtol=1e-4) or np.isclose(got + pen, ref, rtol=1e-4):
                raise Feedback(f"{where} the network's penalty is (beta/2)(||W1||_F^2 + "
                               "||w2||^2): check its factor 1/2 (and that you add it)")
            full = solve_convex(X, y, beta, enumerate_patterns(X)).objective
            if np.isclose(got, loss - full, rtol=1e-4):
                raise Feedback(f"{where} you used every pattern of X (the global optimum); "
                               "restrict the program to the patterns of this network's "
                               "neurons")
            if got > ref:
                raise Feedback(f"{where} your gap is too large: is the program restricted to "
                               "the patterns 1[X w_j >= 0] of the neurons (rows of shape "
                               "(n,), one per neuron), and is the network's loss "
                               "(1/2)||max(0, X W1) w2 - y||^2?")
            close(got, ref, f"{where} the gap", rtol=1e-4, atol=1e-6)


@register("ex04.q6", kind="value", returns=Integer())
def _ex04_q6(prediction):
    from ..core.networks import TwoLayerNetwork

    X, W1, w2 = prediction_data()
    if prediction == W1.shape[1]:
        raise Feedback("some of these neurons can be merged: look for equal patterns with "
                       "equal output signs")
    if prediction != TwoLayerNetwork(W1, w2).merge_neurons(X).width:
        raise Feedback("your prediction does not match the experiment; run the cell below "
                       "and compare the neurons' patterns and signs")


def prediction_data():
    """Q6's network: X (7, 2) with a bias column, W1 (2, 5), w2 (5,)."""
    from ..data.datasets import add_bias

    X = add_bias(np.linspace(-1.0, 1.0, 7)[:, None])
    W1 = np.array([[1.0, 2.0, 1.0, -1.0, 0.5],
                   [0.1, 0.2, 0.1, 0.0, -0.2]])
    w2 = np.array([1.0, 0.5, -1.0, 2.0, 1.0])
    return X, W1, w2

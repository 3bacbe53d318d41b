"""Checks of chapter 10's exercises (``solutions/ex10_convex_heads.md``).

Chapter: Convex heads on pretrained features.
Q4 (a short proof) is graded by hand (nbgrader manual points); it has no check here.
"""

from __future__ import annotations

import copy
import functools

import numpy as np

from ._registry import Array, Feedback, Integer, Tuple, close, describe, register

_H = "convexnn_lab.chapters.heads:"


@functools.lru_cache(maxsize=1)
def _tweet_labels() -> np.ndarray:
    from ..data.tweets import load_tweets

    return load_tweets(source="shipped").y_train


def _label_cases():
    rng = np.random.default_rng(101)
    yield _tweet_labels()[::97].copy(), 3        # tweets: every 97th training label
    yield np.array([2, 0, 0, 2, 1, 2, 0]), 3
    yield [1, 3, 0, 1, 1, 3], 5                   # a list; classes 2 and 4 have no point
    yield rng.integers(0, 2, 9), 2


@register("ex10.q1", returns=Array(ndim=2, what="a matrix"), forbid=(_H + "one_vs_rest",))
def _ex10_q1(answer):
    from ..chapters.heads import one_vs_rest

    for labels, c in _label_cases():
        ref = one_vs_rest(labels, c)
        n = len(labels)
        got = answer(copy.copy(labels), c)
        where = f"for {n} labels and n_classes = {c}"
        if got.shape == (c, n):
            raise Feedback(f"{where} your matrix has shape {got.shape}, one row per class: "
                           "the targets have one row per point and one column per class, "
                           "shape (n, n_classes)")
        if got.shape[0] == n and got.shape[1] != c:
            raise Feedback(f"{where} your matrix has {got.shape[1]} columns: one column per "
                           "class, n_classes of them, even for a class with no point here")
        if got.shape == ref.shape and np.allclose(got, (ref + 1) / 2):
            raise Feedback(f"{where} your targets are 0/1 (one-hot); each network is trained "
                           "on +1 for its class and -1 for the rest, so write -1 where you "
                           "wrote 0")
        if got.shape == ref.shape and np.allclose(got, -ref):
            raise Feedback(f"{where} your signs are swapped: +1 goes in the column of the "
                           "point's own class, -1 in the other columns")
        close(got, ref, f"the targets {where}")


def _random_networks(widths, d, seed):
    from ..core.networks import TwoLayerNetwork

    rng = np.random.default_rng(seed)
    return [TwoLayerNetwork(rng.standard_normal((d, m)), rng.standard_normal(m))
            for m in widths]


def _network_cases():
    yield _random_networks((2, 3, 4), 5, 102), 5
    yield _random_networks((4, 1), 3, 103), 3
    yield _random_networks((3, 2, 1, 2), 4, 104), 4


@register("ex10.q2", forbid=(_H + "merge_heads",))
def _ex10_q2(answer):
    from ..core.networks import TwoLayerNetwork

    for nets, d in _network_cases():
        c = len(nets)
        X = np.random.default_rng(105).standard_normal((12, d))
        scores = np.column_stack([net.predict(X) for net in nets])
        width = sum(net.width for net in nets)
        reg = sum(net.regularization() for net in nets)
        got = answer(copy.deepcopy(nets))
        where = f"for {c} networks of widths {[net.width for net in nets]}"
        if not isinstance(got, TwoLayerNetwork):
            raise Feedback(f"{where} your function returned {describe(got)}; it should "
                           "return a cl.TwoLayerNetwork(W1, w2)")
        if got.W1.shape[0] != d:
            raise Feedback(f"{where} your W1 has {got.W1.shape[0]} rows; every network reads "
                           f"the same {d} features, so the neurons go side by side as "
                           "columns of W1")
        if got.width != width:
            raise Feedback(f"{where} your network has width {got.width}: it should hold "
                           f"the neurons of all {c} networks side by side, no more and no "
                           "fewer")
        if got.outputs == 1:
            raise Feedback(f"{where} your network has one output (w2 of shape "
                           f"{got.w2.shape}): the outputs of the classes are summed. Give w2 "
                           f"one column per class, shape (total width, {c})")
        if got.outputs != c:
            raise Feedback(f"{where} your network has {got.outputs} outputs; it should have "
                           f"one per network, {c}")
        pred = got.predict(X)
        if np.allclose(pred, np.tile(scores.sum(axis=1)[:, None], (1, c))):
            raise Feedback(f"{where} every output of your network is the sum of all the "
                           "networks: each class's output weights belong in its own column "
                           "only, with zeros in the other columns (w2 is block-diagonal)")
        for k in range(c):
            if np.allclose(pred[:, k], scores[:, k]):
                continue
            for j in range(c):
                if j != k and np.allclose(pred[:, k], scores[:, j]):
                    raise Feedback(f"{where} column {k} of your outputs is network {j}'s: "
                                   f"column k must be network k's output, in the order of "
                                   "the list")
            close(pred[:, k], scores[:, k], f"{where} output column {k} (merged.predict(X)"
                  f"[:, {k}] against networks[{k}].predict(X))")
        if not np.isclose(got.regularization(), reg, rtol=1e-9):
            raise Feedback(f"{where} your network predicts the right outputs, but its "
                           "weights are not the networks' own: W1 should be their W1 side by "
                           "side and w2 their w2 on the block diagonal, zero elsewhere")


def _projection_cases():
    from ..chapters.heads import Projection
    from ..data.tweets import load_tweets

    rng = np.random.default_rng(106)
    Q, _ = np.linalg.qr(rng.standard_normal((7, 3)))
    yield Projection(rng.standard_normal(7), Q.T.copy(), 2.5)
    E = load_tweets(source="shipped").X_train[:200]
    yield Projection.fit(E, 4)


@register("ex10.q3",
          returns=Tuple((Array(ndim=2, what="a matrix"), Array(ndim=1, what="a vector")),
                        names=("weight", "bias")),
          forbid=(_H + "Projection.to_torch",))
def _ex10_q3(answer):
    for proj in _projection_cases():
        k, D = proj.components.shape
        s = proj.scale
        b0 = proj(np.zeros((1, D)))[0]          # the map at e = 0: the bias
        W0 = (proj(np.eye(D)) - b0).T           # the change along each input: the weight
        weight, bias = answer(proj.mean.copy(), proj.components.copy(), s)
        where = f"for D = {D}, k = {k}, scale = {s:.3g}"
        if weight.shape == (D, k):
            raise Feedback(f"{where} your weight has shape {weight.shape}: torch.nn.Linear"
                           "(D, k) stores its weight as (k, D), out_features by in_features "
                           "(it computes e @ weight.T + bias)")
        if weight.shape == W0.shape and np.allclose(weight, W0 * s):
            raise Feedback(f"{where} your weight is not divided by scale: the features are "
                           "divided by scale, so every weight is too")
        close(weight, W0, f"{where} the weight")
        if bias.shape != b0.shape:
            raise Feedback(f"{where} your bias has shape {bias.shape}: one entry per "
                           f"output, shape ({k},)")
        if np.allclose(bias, -b0):
            raise Feedback(f"{where} your bias has the wrong sign: the layer subtracts the "
                           "mean, (e - mean) @ components.T, so the bias carries a minus")
        if np.allclose(bias, b0 * s):
            raise Feedback(f"{where} your bias is not divided by scale: the whole "
                           "(e - mean) @ components.T is divided by scale, the mean's part too")
        if np.allclose(bias, -b0 * s):
            raise Feedback(f"{where} your bias has the wrong sign and is not divided by "
                           "scale: the layer subtracts the mean, then divides everything "
                           "by scale")
        close(bias, b0, f"{where} the bias")


PREDICTION_WIDTHS = (5, 7, 4)


def prediction_networks():
    """Q5's three scalar networks (widths ``PREDICTION_WIDTHS``, 8 inputs, dense weights)."""
    return _random_networks(PREDICTION_WIDTHS, 8, 107)


@register("ex10.q5", kind="value", returns=Integer())
def _ex10_q5(prediction):
    from ..chapters.heads import merge_heads

    total = sum(PREDICTION_WIDTHS) * len(PREDICTION_WIDTHS)
    if prediction < 0 or prediction > total:
        raise Feedback(f"your prediction is a count of the {total} entries of the merged "
                       f"w2: a whole number from 0 to {total}")
    if prediction != int(np.count_nonzero(merge_heads(prediction_networks()).w2)):
        raise Feedback("your prediction does not match the experiment; run the cell below. "
                       "Hint: a neuron of class c's network feeds which outputs of the "
                       "merged network?")

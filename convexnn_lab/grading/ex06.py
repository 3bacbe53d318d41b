"""Checks of chapter 06's exercises (``solutions/ex06_gpu_cifar.md``).

Chapter: Train on images at scale: convex gated ReLU against Adam and SGD.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Integer, Number, Tuple, close, register


@register("ex06.q1", returns=Array(ndim=2, what="a matrix (n, n_classes)"))
def _ex06_q1(answer):
    for labels, k in ((np.array([2, 0, 1, 2]), 4), (np.array([1, 1, 0, 4, 3, 2]), 5)):
        got = answer(labels.copy(), k)
        n = len(labels)
        if got.shape == (n, labels.max() + 1) and labels.max() + 1 != k:
            raise Feedback(f"pass the number of classes on: {k} classes means {k} columns "
                           "even if the last class does not occur")
        if got.shape == (k, n) and k != n:
            raise Feedback(f"one row per label: shape (n, n_classes) = ({n}, {k}), you "
                           f"return {got.shape}")
        if got.shape != (n, k):
            raise Feedback(f"return shape (n, n_classes) = ({n}, {k}), got {got.shape}")
        ones = np.isclose(got, 1.0)
        if not (np.isclose(got, 0.0) | ones).all() or not (ones.sum(axis=1) == 1).all():
            raise Feedback("every row must hold one 1 and zeros elsewhere")
        wrong = np.flatnonzero(np.argmax(got, axis=1) != labels)
        if len(wrong):
            raise Feedback(f"row {int(wrong[0])} has its 1 in column "
                           f"{int(np.argmax(got[wrong[0]]))}; the label there is "
                           f"{int(labels[wrong[0]])}")


@register("ex06.q2", returns=Array(ndim=2, what="a matrix (C*H*W, n)"),
          forbid=("convexnn_lab.core.patterns:conv_gates",))
def _ex06_q2(answer):
    for shape, n in (((2, 6, 6), 3), ((3, 5, 7), 4)):
        C, H, W = shape
        G = answer(shape, n, np.random.default_rng(62))
        if G.shape == (n, C * H * W):
            raise Feedback(f"return gates as columns: shape (C*H*W, n) = ({C * H * W}, {n}), "
                           f"got {G.shape}; transpose")
        if G.shape != (C * H * W, n):
            raise Feedback(f"return gates as columns: shape (C*H*W, n) = ({C * H * W}, {n}), "
                           f"got {G.shape}")
        for k in range(n):
            block = G[:, k].reshape(C, H, W) != 0
            if not (block == block[0]).all():
                hwc = G[:, k].reshape(H, W, C) != 0
                rows_, cols_ = np.nonzero(hwc.any(axis=2))
                if (hwc == hwc[..., :1]).all() and len(rows_) and np.ptp(rows_) == 2 \
                        and np.ptp(cols_) == 2:
                    raise Feedback("you flattened the image channel-last (H, W, C); images "
                                   "are flattened channel-major: reshape(C, H, W)")
                raise Feedback(f"gate {k}: every channel must cover the same 3x3 patch")
            rows_, cols_ = np.nonzero(block.any(axis=0))
            if block.sum() != 9 * C or np.ptp(rows_) != 2 or np.ptp(cols_) != 2:
                raise Feedback(f"gate {k} is not one 3x3 patch on every channel (it has "
                               f"{int(block.sum())} nonzeros; expected {C} x 3 x 3 = {9 * C})")
        if n > 1 and np.allclose(G, G[:, :1]):
            raise Feedback("all your gates are the same: draw a new patch and new weights "
                           "for each gate")


_SOL = "convexnn_lab.core.solution:"


@register("ex06.q3", returns=Tuple((Number(), Array(ndim=1)), ("objective", "labels")),
          forbid=(_SOL + "VectorSolution.objective.fget", _SOL + "VectorSolution.predict",
                  _SOL + "VectorSolution.network", _SOL + "ConvexSolution.predict",
                  _SOL + "ConvexSolution.network",
                  "convexnn_lab.core.networks:TwoLayerNetwork.predict",
                  "convexnn_lab.chapters.vector_output:compare_one_vs_all"))
def _ex06_q3(answer):
    from ..solvers import solve_convex

    rng = np.random.default_rng(63)
    for n, c in ((15, 3), (12, 2), (14, 4)):
        X = np.column_stack([rng.standard_normal((n, 2)), np.ones(n)])
        labels = rng.integers(0, c, n)
        labels[:c] = np.arange(c)  # every class present
        Y = np.eye(c)[labels]
        P = np.unique((X @ rng.standard_normal((3, 6)) >= 0).T, axis=0)
        beta = 0.05
        vec = solve_convex(X, Y, beta, P, gated=True)
        ref = vec.objective
        scores = vec.predict()
        where = f"(n={n}, {c} classes)"
        obj, got = answer(X.copy(), labels.copy(), c, beta, P.copy())
        if not np.isclose(obj, ref, rtol=1e-5):
            if np.isclose(obj, solve_convex(X, Y, beta, P).objective, rtol=1e-5):
                raise Feedback(f"{where} you solved the ReLU program (cone constraints); the "
                               "question asks for gated ReLU (gated=True)")
            if np.isclose(obj * c, ref, rtol=1e-5):
                raise Feedback(f"{where} you averaged the classes' objectives; the vector "
                               "objective is their sum (Q4)")
            close(obj, ref, f"{where} the vector-output objective", rtol=1e-5)
        if got.shape != labels.shape:
            raise Feedback(f"{where} return one label per training point (shape ({n},)), "
                           f"got shape {got.shape}")
        top = np.sort(scores, axis=1)
        clear = top[:, -1] - top[:, -2] > 1e-6
        want = np.argmax(scores, axis=1)
        if np.array_equal(got[clear], want[clear]):
            continue
        if np.array_equal(got[clear], np.argmin(scores, axis=1)[clear]):
            raise Feedback(f"{where} a point's label is the class with the largest output, "
                           "not the smallest")
        U = [s.U - s.V for s in vec.solutions]
        nomask = np.column_stack([(X @ u).sum(axis=1) for u in U])
        if np.array_equal(got[clear], np.argmax(nomask, axis=1)[clear]):
            raise Feedback(f"{where} your outputs leave out the gates: class c's output is "
                           "sum_i D_i X u_ic (mask column i of X U_c by pattern i)")
        bad = int(np.flatnonzero(clear & (got != want))[0])
        raise Feedback(f"{where} your label of training point {bad} is not the class with "
                       "the largest output sum_i D_i X u_ic")


@register("ex06.q5", kind="value", returns=Integer())
def _ex06_q5(prediction):
    from ..core.patterns import conv_gates

    G = conv_gates((3, 32, 32), 5, rng=0)
    counts = set((G != 0).sum(axis=0).tolist())
    if prediction == 9:
        raise Feedback("a gate covers the 3x3 patch on every channel of the image")
    if prediction == 3 * 32 * 32:
        raise Feedback("that is the length of a gate; most of its entries are zero")
    if counts != {prediction}:
        raise Feedback("your prediction does not match the experiment; run the cell below")

"""Checks of chapter 00's exercises (``solutions/ex00_nonconvex_landscape.md``).

Chapter: Explore the non-convex landscape of a ReLU network.
"""

from __future__ import annotations

import numpy as np

from ._registry import Array, Feedback, Number, Tuple, close, register

_L = "convexnn_lab.chapters.landscape:"


def _data():
    rng = np.random.default_rng(1)
    yield rng.standard_normal((6, 1)), rng.standard_normal(6)
    yield np.array([[-2.0], [-0.5], [1.0], [3.0]]), np.array([1.0, -1.0, 0.5, 2.0])


@register("ex00.q1", returns=Number(), forbid=(_L + "one_neuron_loss",))
def _ex00_q1(answer):
    from ..chapters.landscape import one_neuron_loss

    for X, y in _data():
        for w in (-1.3, 0.0, 0.7, 2.0):
            got = answer(w, X, y)
            ref = float(one_neuron_loss(w, X, y))
            relu = np.maximum(0.0, X[:, 0] * w)
            if np.isclose(got, 2 * ref):
                raise Feedback(f"at w={w} your loss is twice the book's: the loss is "
                               "0.5 * sum of squares")
            if np.isclose(got, ref / len(y)) or np.isclose(got, 2 * ref / len(y)):
                raise Feedback(f"at w={w} you average over the points; the book's loss is "
                               "a sum (0.5 * sum_j ...), not a mean")
            if not np.isclose(got, ref) and np.isclose(got, 0.5 * np.sum((X[:, 0] * w - y) ** 2)):
                raise Feedback(f"at w={w} you return the loss of a linear neuron; apply "
                               "max(0, x w) before comparing with y")
            if not np.isclose(got, ref) and np.isclose(
                    got, 0.5 * np.sum(np.maximum(0.0, X[:, 0] * w - y) ** 2)):
                raise Feedback(f"at w={w} you apply max(0, .) to the residual; the ReLU "
                               "acts on x w only, then subtract y")
            if not np.isclose(got, ref) and np.isclose(got, 0.5 * np.sum(relu - y)):
                raise Feedback(f"at w={w}: square each residual before summing")
            close(got, ref, f"the loss at w={w}")


@register("ex00.q2", returns=Number(), forbid=(_L + "product_minimizer",))
def _ex00_q2(answer):
    from ..chapters.landscape import product_minimizer

    for lam in (0.0, 0.5, 1.0, 2.0, 3.0, 5.5):
        got = answer(lam)
        ref = product_minimizer(lam)
        if lam > 0 and np.isclose(got, 1 - lam) and not np.isclose(got, ref):
            raise Feedback(f"for lam={lam} you return 1 - lam; set the derivative "
                           "2(z-1) + lam to zero for z > 0")
        if lam > 2 and got < 0:
            raise Feedback(f"for lam={lam} you return a negative z; when lam >= 2 the "
                           "penalty wins and the minimizer is clipped: compare with z = 0")
        close(got, ref, f"the minimizer for lam={lam}")


@register("ex00.q3", returns=Tuple((Number(), Number()), ("a", "b")),
          forbid=(_L + "product_map",))
def _ex00_q3(answer):
    for z in (-2.0, -0.25, 0.0, 0.5, 3.0):
        a, b = answer(z)
        if z < 0 and np.isclose(a * b, -z, atol=1e-12):
            raise Feedback(f"for z={z} your a*b is |z|: for negative z one factor must be "
                           "negative (put the sign of z on a)")
        if not np.isclose(a * b, z, atol=1e-12):
            raise Feedback(f"for z={z} your (a, b) has a*b = {a * b:.4g}; the product "
                           "must equal z")
        if not np.isclose(0.5 * (a * a + b * b), abs(z), atol=1e-12):
            raise Feedback(f"for z={z} your (a, b) has (a^2 + b^2)/2 = "
                           f"{0.5 * (a * a + b * b):.4g}, not |z|: balance the two factors "
                           "(|a| = |b|)")


@register("ex00.q4", returns=Array(shape=(2,), what="the gradient"),
          forbid=(_L + "two_neuron_grad", _L + "two_neuron_loss"))
def _ex00_q4(answer):
    from ..chapters.landscape import two_neuron_grad
    from ..data.datasets import toy

    X, y = toy("two_neurons")
    for w in ((0.5, -0.7), (1.5, 1.2), (-2.0, 0.3), (0.8, 0.0)):
        w = np.array(w)
        got = answer(w.copy(), X, y)
        ref = two_neuron_grad(w, X, y)
        if np.allclose(got, -ref) and not np.allclose(ref, 0):
            raise Feedback(f"at w={tuple(w)} your gradient has the wrong sign: the residual "
                           "is prediction - y (the derivative of 0.5 (pred - y)^2 is "
                           "(pred - y) times the derivative of pred), and a descent step "
                           "subtracts the gradient")
        if np.allclose(got, 2 * ref) and not np.allclose(ref, 0):
            raise Feedback(f"at w={tuple(w)} your gradient is twice the expected one; the "
                           "loss has a factor 0.5")
        z = np.outer(w, X[:, 0])
        res = np.maximum(0.0, z).sum(axis=0) - y
        if not np.allclose(got, ref) and np.allclose(got, ((z > 0) * res).sum(axis=1)):
            raise Feedback(f"at w={tuple(w)} you left out the chain rule's factor x_j: "
                           "d max(0, x w)/dw = 1[x w > 0] x")
        if not np.allclose(got, ref) and np.allclose(got, ((z >= 0) * X[:, 0] * res).sum(1)):
            raise Feedback(f"at w={tuple(w)} (a neuron on its kink) use the ReLU derivative "
                           "1[z > 0], which is 0 at z = 0")
        close(got, ref, f"the gradient at w={tuple(w)}")


@register("ex00.q6", kind="value", returns=Number())
def _ex00_q6(prediction):
    from ..chapters.landscape import product_loss

    # the experiment: the smallest product loss on a fine grid of (a, b), lam = 1
    grid = np.linspace(-2.0, 2.0, 801)
    best = float(product_loss(grid[:, None], grid[None, :], 1.0).min())
    if abs(prediction - best) > 2e-3:
        raise Feedback("your prediction does not match the experiment; run the cell "
                       "below, then find the step of your reasoning that went wrong "
                       "(is z = 0 or z > 0 optimal at lam = 1? what is the loss there?)")

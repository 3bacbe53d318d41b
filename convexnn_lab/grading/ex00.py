"""Checks of chapter 00's exercises (``solutions/ex00_nonconvex_landscape.md``).

Chapter: Explore the non-convex landscape of a ReLU network.
"""

from __future__ import annotations

import numpy as np

from ._registry import Feedback, _close, _register


@_register("ex00.q1")
def _ex00_q1(fn):
    from ..landscape import one_neuron_loss

    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 1))
    y = rng.standard_normal(6)
    for w in (-1.3, 0.0, 0.7, 2.0):
        got = float(fn(w, X, y))
        ref = float(one_neuron_loss(w, X, y))
        if np.isclose(got, 2 * ref):
            raise Feedback(f"at w={w} you return {got:.4g}, twice the expected "
                           f"{ref:.4g}: the book's loss is 0.5 * sum of squares")
        if w != 0 and np.isclose(got, 0.5 * np.sum((X[:, 0] * w - y) ** 2)) and not np.isclose(got, ref):
            raise Feedback(f"at w={w} you return the loss of a linear neuron; apply "
                           "max(0, x w) before comparing with y")
        _close(got, ref, f"the loss at w={w}")


@_register("ex00.q2")
def _ex00_q2(fn):
    from ..landscape import product_minimizer

    for lam in (0.0, 0.5, 1.0, 2.0, 3.0):
        got = float(fn(lam))
        ref = product_minimizer(lam)
        if lam >= 2 and got != 0 and abs(got) > 1e-8:
            raise Feedback(f"for lam={lam} you return z={got:.4g}, but when lam >= 2 the "
                           "penalty wins: the minimizer of (z-1)^2 + lam|z| is 0")
        if lam > 0 and np.isclose(got, 1 - lam):
            raise Feedback(f"for lam={lam} you return {got:.4g} = 1 - lam; set the "
                           "derivative 2(z-1) + lam to zero: z = 1 - lam/2")
        _close(got, ref, f"the minimizer for lam={lam}")


@_register("ex00.q3")
def _ex00_q3(fn):
    for z in (-2.0, -0.25, 0.0, 0.5, 3.0):
        a, b = (float(v) for v in fn(z))
        if not np.isclose(a * b, z, atol=1e-12):
            raise Feedback(f"for z={z} your (a, b) = ({a:.4g}, {b:.4g}) has a*b = "
                           f"{a * b:.4g}; the product must equal z")
        if not np.isclose(0.5 * (a * a + b * b), abs(z), atol=1e-12):
            raise Feedback(f"for z={z} your (a, b) has (a^2 + b^2)/2 = "
                           f"{0.5 * (a * a + b * b):.4g}, not |z| = {abs(z):.4g}: "
                           "balance the two factors (|a| = |b| = sqrt|z|)")


@_register("ex00.q4")
def _ex00_q4(fn):
    from ..datasets import toy
    from ..landscape import two_neuron_grad

    X, y = toy("two_neurons")
    for w in ((0.5, -0.7), (1.5, 1.2), (-2.0, 0.3), (0.8, 0.0)):
        got = np.asarray(fn(np.array(w), X, y), dtype=float)
        ref = two_neuron_grad(np.array(w), X, y)
        if got.shape != (2,):
            raise Feedback(f"return one partial derivative per weight: shape (2,), got {got.shape}")
        if np.allclose(got, 2 * ref):
            raise Feedback(f"at w={w} your gradient is twice the expected one; the loss "
                           "has a factor 0.5")
        _close(got, ref, f"the gradient at w={w}")

"""The registry of checks and what every chapter's checks share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

STUB = 'raise NotImplementedError("write your answer here, then run the check cell below")'
NOT_ANSWERED = "not answered yet"

CHECKS: dict[str, Callable] = {}


def _register(name: str):
    def wrap(fn):
        CHECKS[name] = fn
        return fn

    return wrap


class Feedback(AssertionError):
    """A graded check failed; the message says what is wrong."""


def _close(mine, ref, what, rtol=1e-6, atol=1e-9):
    mine = np.asarray(mine, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if mine.shape != ref.shape:
        raise Feedback(f"{what} has shape {mine.shape}, expected {ref.shape}")
    if not np.allclose(mine, ref, rtol=rtol, atol=atol):
        i = np.unravel_index(np.argmax(np.abs(mine - ref)), ref.shape) if ref.shape else ()
        raise Feedback(f"{what}: got {mine[i]:.6g} where {ref[i]:.6g} was expected"
                       + (f" (at index {tuple(int(k) for k in i)})" if ref.shape else ""))


def _rows(P):
    return {tuple(np.asarray(p, dtype=bool)) for p in P}

"""Torch's intra-op thread count for the duration of one computation.

Every torch CPU thread spins on its core, so one busy neighbour process stalls them
all: with the other core of a 2-core machine busy, the interior point on breast_cancer
(P = 60) took 73 s on 2 threads and 2.8 s on 1.  The library's torch work therefore
runs on one thread unless the caller asks for more.
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["torch_threads"]


@contextmanager
def torch_threads(threads):
    """Run torch's CPU work on `threads` intra-op threads (None: leave it), then restore."""
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)

"""One setup call per chapter: seeds, print options, figure format, device."""

from __future__ import annotations

import random

import numpy as np

__all__ = ["device", "setup"]


def setup(seed: int = 0) -> np.random.Generator:
    """Seed every generator, fix print options and figure defaults, one CPU thread.

    Threads spin: with another process on a core they stall each other (torch: 73 s
    against 2.8 s for one interior-point solve; chapter 2's cells with one core busy took
    33 s on two BLAS threads, 25 s on one), so a chapter's torch and numpy/scipy work runs
    on one thread, as the library's solvers do by default.

    Returns a numpy Generator seeded with `seed` for the chapter's own draws.
    """
    import matplotlib

    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True, linewidth=88)
    try:
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        pass
    matplotlib.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 150,
                                "savefig.format": "png"})
    try:  # png only: nbval ignores images, svg would be compared as text
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except Exception:  # pragma: no cover - outside IPython
        pass
    return np.random.default_rng(seed)


def device() -> str:
    """"cuda" when a GPU is visible to torch, else "cpu"."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"

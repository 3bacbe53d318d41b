"""One setup call per chapter: seeds, print options, figure format, device."""

from __future__ import annotations

import random

import numpy as np

__all__ = ["device", "setup"]


def setup(seed: int = 0) -> np.random.Generator:
    """Seed every generator, fix print options and figure defaults.

    Returns a numpy Generator seeded with `seed` for the chapter's own draws.
    """
    import matplotlib

    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True, linewidth=88)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover
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

"""Host memory available to the process, for pre-checks before large allocations."""

from __future__ import annotations

__all__ = ["available_memory", "format_gib"]


def available_memory() -> int | None:
    """Bytes of host memory available now, or None where that is unknown.

    Linux: ``MemAvailable`` of /proc/meminfo (free memory plus what the kernel can
    reclaim, without swapping).  Elsewhere None, and callers skip their check.
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        pass
    return None  # pragma: no cover - not Linux


def format_gib(n_bytes: float) -> str:
    """Bytes as GiB for a message, e.g. ``"3.2 GiB"``."""
    return f"{n_bytes / 2**30:.3g} GiB"

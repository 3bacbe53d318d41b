"""Free memory on a device, for the checks made before large allocations."""

from __future__ import annotations

__all__ = ["available_memory", "format_gib"]

# what available_memory reports where the free memory cannot be read: checks then pass
UNKNOWN = 1 << 62


def available_memory(device: str = "cpu") -> int:
    """Free bytes on `device`: "cpu" reads ``MemAvailable`` of /proc/meminfo (free memory
    plus what the kernel can reclaim without swapping), "cuda[:k]" asks the GPU.

    Where it cannot be read (not Linux) it returns ``UNKNOWN`` (2^62), so checks pass.
    """
    if str(device).startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        pass
    return UNKNOWN  # pragma: no cover - not Linux


def format_gib(n_bytes: float) -> str:
    """Bytes as GiB for a message, e.g. ``"3.2 GiB"``."""
    return f"{n_bytes / 2**30:.3g} GiB"

"""Free memory on a device, for the checks made before large allocations."""

from __future__ import annotations

__all__ = ["available_memory"]


def available_memory(device: str = "cpu") -> int:
    """Free bytes on `device` ("cpu": MemAvailable of /proc/meminfo; "cuda[:k]": the GPU's)."""
    if str(device).startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 1 << 62

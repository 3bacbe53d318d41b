"""Free memory on a device, for the checks made before large allocations."""

from __future__ import annotations

__all__ = ["available_memory", "check_room", "format_gib"]

# what available_memory reports where the free memory cannot be read: checks then pass
UNKNOWN = 1 << 62


def available_memory(device: str = "cpu") -> int:
    """Free bytes on `device`.

    "cpu": the least of ``MemAvailable`` in /proc/meminfo (free memory plus what the
    kernel can reclaim without swapping), the room left under this process's cgroup limit
    (a container's memory.max), and its address-space limit (``ulimit -v``).
    "cuda[:k]" asks the GPU.  Where none can be read (not Linux) it returns ``UNKNOWN``
    (2^62), so checks pass.
    """
    if str(device).startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    return min(_meminfo(), _cgroup_room(), _address_space_room())


def _meminfo() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        pass
    return UNKNOWN  # pragma: no cover - not Linux


def _cgroup_room() -> int:
    """Bytes left under the cgroup v2 (memory.max) or v1 (limit_in_bytes) limit."""
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit) as fh:
                text = fh.read().strip()
            if text == "max" or int(text) >= UNKNOWN:
                return UNKNOWN
            with open(usage) as fh:
                return max(int(text) - int(fh.read().strip()), 0)
        except (OSError, ValueError):
            continue
    return UNKNOWN


def _address_space_room() -> int:
    """The address-space limit (``ulimit -v``) less what this process maps already."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return UNKNOWN
        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * resource.getpagesize()
        return max(soft - size, 0)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not Linux
        return UNKNOWN


def format_gib(n_bytes: float) -> str:
    """Bytes as GiB for a message, e.g. ``"3.2 GiB"``."""
    return f"{n_bytes / 2**30:.3g} GiB"


def check_room(need: float, what: str, fix: str, device: str = "cpu") -> None:
    """Raise MemoryError before allocating when `need` bytes exceed the free memory, saying
    `what` needs it and how to `fix` it."""
    have = available_memory(device)
    if need > have:
        raise MemoryError(f"{what} needs about {format_gib(need)} on {device}, but only "
                          f"{format_gib(have)} is free; {fix}")

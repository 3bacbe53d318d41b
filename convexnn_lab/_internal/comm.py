"""Reductions across the ranks of a row-sharded solve (chapter 6, "Solve across devices").

With the rows of X (and y, the masks D_i, the multipliers) split across K processes,
every quantity of the first-order solvers is either

* a sum over rows: the loss, the adjoint ``X^T (M * r)`` (d, B), the dual's inner
  products; each rank computes its rows' part and one all-reduce adds them; or
* a maximum over rows: the cone violation and its scale; or
* replicated: the blocks W (d, B), the step size, every decision taken from reduced
  numbers, so every rank takes the same branch and issues the same collectives.

``LOCAL`` is the one-process communicator: its reductions return their arguments, so
the solvers run the same code, with the same arithmetic, with or without ranks.
:class:`Ranks` does the reductions with ``torch.distributed`` (gloo on CPUs, NCCL on
GPUs) and counts the bytes it sends (``bench/distributed.py``).  A collective that
fails (another rank died, or did not answer within the process group's timeout)
raises a RuntimeError that says so, instead of hanging.
"""

from __future__ import annotations

import hashlib
import numbers

import numpy as np

__all__ = ["LOCAL", "Local", "Ranks", "communicator"]

LAUNCH_HINT = (
    "launch one process per device, e.g. `torchrun --nproc_per_node K your_script.py` "
    "(or `torchrun --nproc_per_node K -m convexnn_lab.parallel.distributed` for the example), and "
    "call torch.distributed.init_process_group('nccl') on GPUs ('gloo' on CPUs) before "
    "solving; cl.distributed.run_local(fn, K) tries it with K processes on this machine"
)


class Local:
    """One process: every reduction is the identity (no copies, same arithmetic)."""

    rank = 0
    world_size = 1
    device = None

    def __repr__(self):
        return "Local()"

    def sum(self, *values):
        """The sums over ranks of `values` (arrays, tensors or numbers), in one message."""
        return values[0] if len(values) == 1 else values

    def max(self, *values):
        """The maxima over ranks of `values`, in one message."""
        return values[0] if len(values) == 1 else values

    def broadcast(self, value):
        """Rank 0's `value` (an array or tensor) on every rank."""
        return value

    def concat_rows(self, A):
        """The rows of every rank's `A` (k_r, m), stacked in rank order: (sum k_r, m)."""
        return np.asarray(A)

    def take_rows(self, A, index):
        """Rows `index` (sorted, global numbering in rank order) of the rows of A."""
        return np.asarray(A)[index]

    def unique_index(self, patterns) -> np.ndarray:
        """Indices of the first appearance of each distinct pattern (row of `patterns`,
        this rank's columns of a global (k, n) pattern matrix), in increasing order."""
        packed = np.packbits(np.asarray(patterns, dtype=bool), axis=1)
        return np.sort(np.unique(packed, axis=0, return_index=True)[1])

    def pattern_keys(self, patterns) -> list:
        """One hashable key per pattern, equal for equal global patterns."""
        return [p.tobytes() for p in np.packbits(np.asarray(patterns, dtype=bool), axis=1)]

    def spectral_norm2(self, X) -> float:
        """``||X||_2^2`` of the global X (torch tensor of this rank's rows)."""
        import torch

        return float(torch.linalg.matrix_norm(X, ord=2) ** 2)

    def check_same(self, settings: dict) -> None:
        """Raise a ValueError naming any setting that differs between ranks."""


LOCAL = Local()

# above this many columns, ||X||_2^2 comes from power iterations instead of the
# all-reduced Gram matrix X^T X (d x d)
_GRAM_MAX_D = 4096


class Ranks(Local):
    """The ranks of the default ``torch.distributed`` process group.

    Attributes
    ----------
    rank, world_size : int
    backend : str
        "gloo" or "nccl".
    device : torch.device
        Where the collectives run: the current GPU for NCCL, the CPU for gloo.
    calls, bytes : int
        Collectives issued and bytes of payload this rank sent into them.
    """

    def __init__(self):
        import torch
        import torch.distributed as dist

        self._dist = dist
        self._torch = torch
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        self.backend = str(dist.get_backend())
        gpu = "nccl" in self.backend
        self.device = (torch.device("cuda", torch.cuda.current_device()) if gpu
                       else torch.device("cpu"))
        self.calls = 0
        self.bytes = 0

    def __repr__(self):
        return f"Ranks(rank={self.rank}, world_size={self.world_size}, backend={self.backend!r})"

    # --- collectives, with a clear error when a peer is gone -------------------------------
    def _run(self, what: str, fn, payload: int):
        self.calls += 1
        self.bytes += int(payload)
        try:
            return fn()
        except Exception as err:  # gloo and NCCL raise RuntimeError subclasses
            raise RuntimeError(
                f"rank {self.rank} of {self.world_size}: the {what} across ranks failed: "
                "another rank stopped (its own error says why) or did not answer within the "
                "process group's timeout (init_process_group(timeout=...)); every rank must "
                f"make the same calls, each on its own rows. Cause: {err}"
            ) from err

    def _reduce(self, values, op, what):
        torch = self._torch
        tensors = [torch.is_tensor(v) for v in values]
        dtype = None
        for v in values:
            if torch.is_tensor(v):
                dtype = v.dtype if dtype is None else torch.promote_types(dtype, v.dtype)
        dtype = dtype or torch.float64
        flat = [(v.detach().reshape(-1) if torch.is_tensor(v)
                 else torch.as_tensor(np.asarray(v, dtype=np.float64)).reshape(-1))
                for v in values]
        buf = torch.cat([f.to(device=self.device, dtype=dtype) for f in flat])
        self._run(what, lambda: self._dist.all_reduce(buf, op=op),
                  buf.numel() * buf.element_size())
        out, start = [], 0
        for v, is_t in zip(values, tensors):
            size = int(v.numel()) if is_t else int(np.size(v))
            part = buf[start:start + size]
            start += size
            if is_t:
                out.append(part.reshape(v.shape).to(device=v.device, dtype=v.dtype))
            elif isinstance(v, np.ndarray):
                out.append(part.cpu().numpy().astype(v.dtype, copy=False).reshape(v.shape))
            elif isinstance(v, (bool, np.bool_)):
                out.append(bool(part.item()))
            elif isinstance(v, numbers.Integral):
                out.append(round(part.item()))
            else:
                out.append(float(part.item()))
        return out[0] if len(out) == 1 else tuple(out)

    def sum(self, *values):
        return self._reduce(values, self._dist.ReduceOp.SUM, "all-reduce (sum)")

    def max(self, *values):
        return self._reduce(values, self._dist.ReduceOp.MAX, "all-reduce (max)")

    def broadcast(self, value):
        torch = self._torch
        is_t = torch.is_tensor(value)
        buf = (value.detach() if is_t else torch.as_tensor(np.asarray(value))).to(
            self.device).contiguous().clone()
        self._run("broadcast", lambda: self._dist.broadcast(buf, src=0),
                  buf.numel() * buf.element_size())
        if is_t:
            return buf.to(value.device)
        return buf.cpu().numpy().reshape(np.shape(value))

    def _all_gather(self, t, what):
        parts = [self._torch.empty_like(t) for _ in range(self.world_size)]
        self._run(what, lambda: self._dist.all_gather(parts, t), t.numel() * t.element_size())
        return parts

    def concat_rows(self, A):
        torch = self._torch
        A = np.asarray(A, dtype=np.float64)
        A2 = A.reshape(A.shape[0], int(np.prod(A.shape[1:])))
        counts = self._all_gather(torch.tensor([A2.shape[0]], device=self.device),
                                  "all-gather of row counts")
        counts = [int(c.item()) for c in counts]
        top = max(counts)
        if top == 0:
            return np.zeros((0,) + A.shape[1:])
        buf = torch.zeros((top, A2.shape[1]), dtype=torch.float64, device=self.device)
        buf[:A2.shape[0]] = torch.as_tensor(A2)
        parts = self._all_gather(buf, "all-gather of rows")
        rows = np.vstack([p[:c].cpu().numpy() for p, c in zip(parts, counts)])
        return rows.reshape((-1,) + A.shape[1:])

    def _offsets(self, n_local: int):
        counts = self._all_gather(self._torch.tensor([int(n_local)], device=self.device),
                                  "all-gather of row counts")
        counts = np.array([int(c.item()) for c in counts])
        return np.concatenate([[0], np.cumsum(counts)])

    def take_rows(self, A, index):
        A = np.asarray(A, dtype=np.float64)
        starts = self._offsets(A.shape[0])
        lo, hi = starts[self.rank], starts[self.rank + 1]
        index = np.asarray(index, dtype=np.int64)
        out = np.zeros((len(index),) + A.shape[1:])
        mine = (index >= lo) & (index < hi)
        out[mine] = A[index[mine] - lo]
        return self.sum(out)  # the other ranks add zeros: exact

    def _digests(self, patterns) -> np.ndarray:
        """(k, 16 * world_size) uint8: each rank's 128-bit digest of its part of each pattern."""
        torch = self._torch
        packed = np.packbits(np.asarray(patterns, dtype=bool), axis=1)
        mine = np.array([np.frombuffer(hashlib.blake2b(row.tobytes(), digest_size=16).digest(),
                                       dtype=np.uint8) for row in packed],
                        dtype=np.uint8).reshape(len(packed), 16)
        k = self.max(len(packed))
        if k != len(packed):
            raise ValueError(f"rank {self.rank} holds {len(packed)} patterns where another holds "
                             f"{k}: every rank must hold its rows of the same patterns")
        parts = self._all_gather(torch.as_tensor(mine, device=self.device),
                                 "all-gather of pattern digests")
        return np.hstack([p.cpu().numpy() for p in parts])

    def unique_index(self, patterns) -> np.ndarray:
        # equal global patterns have equal digests on every rank (distinct ones collide
        # with probability about k^2 / 2^128)
        keys = self._digests(patterns)
        return np.sort(np.unique(keys, axis=0, return_index=True)[1])

    def pattern_keys(self, patterns) -> list:
        return [row.tobytes() for row in self._digests(patterns)]

    def spectral_norm2(self, X) -> float:
        torch = self._torch
        d = X.shape[1]
        if d <= _GRAM_MAX_D:
            gram = self.sum(X.T @ X)
            return float(torch.linalg.eigvalsh(gram)[-1])
        # power iterations: a lower estimate, which the line search raises where needed
        v = torch.ones(d, dtype=X.dtype, device=X.device) / d ** 0.5
        value = 0.0
        for _ in range(30):
            w = self.sum(X.T @ (X @ v))
            value = float(torch.linalg.vector_norm(w))
            if value == 0:
                return 0.0
            v = w / value
        return value

    def check_same(self, settings: dict) -> None:
        gathered = [None] * self.world_size
        self._run("all-gather of the solve's settings",
                  lambda: self._dist.all_gather_object(gathered, settings), 0)
        for key in settings:
            values = [g.get(key) for g in gathered]
            if any(v != values[0] for v in values[1:]):
                raise ValueError(
                    f"the ranks disagree on {key}: {values} (rank order). Every rank passes "
                    "its own rows of X, y and patterns, and the same columns, patterns and "
                    "settings")


def communicator(distributed: bool) -> Local:
    """``LOCAL`` (`distributed` False, or a process group of one), else the process's
    :class:`Ranks` (the same object on every call, so its counters add up).

    Raises
    ------
    RuntimeError
        `distributed` is True but no ``torch.distributed`` process group is initialized;
        the message says how to launch one.
    """
    if not distributed:
        return LOCAL
    import torch.distributed as dist

    if not dist.is_available():
        raise RuntimeError("distributed=True needs torch.distributed, which this torch build "
                           "lacks; install a torch with distributed support")
    if not dist.is_initialized():
        raise RuntimeError("distributed=True needs an initialized torch.distributed process "
                           f"group, and there is none: {LAUNCH_HINT}")
    if dist.get_world_size() == 1:
        return LOCAL
    key = (dist.get_rank(), dist.get_world_size(), str(dist.get_backend()))
    if key not in _RANKS:  # one per process group: its counters add up over solves
        _RANKS[key] = Ranks()
    return _RANKS[key]


_RANKS: dict = {}

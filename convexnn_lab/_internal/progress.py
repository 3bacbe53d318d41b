"""A progress bar for solves that take over a second, silent before that."""

from __future__ import annotations

import os
import time


class LazyBar:
    """A ``tqdm.auto`` bar created only once the work has run for `delay` seconds.

    tqdm's own ``delay`` still draws a notebook widget at once (an empty bar in every
    cell that solves a small program); this one draws nothing until it is needed.
    ``TQDM_DISABLE=1`` silences it everywhere: inside a kernel ``tqdm.auto`` is
    ``tqdm.notebook``, which ignores that variable, so a slow machine would otherwise
    grow a widget output that a fast one does not.
    """

    def __init__(self, total: int, desc: str, *, disable: bool = False, delay: float = 1.0):
        self.total, self.desc, self.disable, self.delay = total, desc, disable, delay
        self.start = time.perf_counter()
        self.count = 0
        self.postfix: dict = {}
        self.bar = None

    def _show(self) -> None:
        if self.bar is not None or self.disable or _disabled_by_env():
            return
        if time.perf_counter() - self.start > self.delay:
            from tqdm.auto import tqdm

            # `disable=False`: this class has read TQDM_DISABLE now; tqdm reads it once,
            # at import, and a disabled tqdm counts nothing
            self.bar = tqdm(total=self.total, desc=self.desc, initial=self.count,
                            disable=False)

    def update(self, n: int = 1) -> None:
        self.count += n
        if self.bar is None:
            self._show()  # a new bar starts at `count`: these `n` are in it already
        else:
            self.bar.update(n)
        if self.bar is not None:
            if self.postfix:
                self.bar.set_postfix(self.postfix, refresh=False)

    def set_postfix(self, **postfix) -> None:
        self.postfix = postfix
        if self.bar is not None:
            self.bar.set_postfix(postfix)

    def close(self) -> None:
        """End the bar at the iterations done.

        A solver stops when its certificate is reached, usually long before
        `total` (the iteration cap): a bar left at "30/200 [15%]" reads as aborted,
        so the bar's total becomes the count and it ends full.
        """
        if self.bar is not None:
            self.bar.total = self.count
            self.bar.close()


def _disabled_by_env() -> bool:
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")

"""The lazy progress bar: silent for short work, and under TQDM_DISABLE in any front end."""

from convexnn_lab._internal.progress import LazyBar


def test_bar_appears_only_after_the_delay(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    slow = LazyBar(10, "slow", delay=0.0)
    slow.update(1)
    assert slow.bar is not None
    slow.close()
    quick = LazyBar(10, "quick", delay=3600.0)
    quick.update(1)
    assert quick.bar is None


def test_tqdm_disable_silences_the_bar_even_in_a_kernel(monkeypatch):
    # tqdm.notebook ignores TQDM_DISABLE, so the bar must check it itself
    monkeypatch.setenv("TQDM_DISABLE", "1")
    bar = LazyBar(10, "busy machine", delay=0.0)
    bar.update(5)
    assert bar.bar is None
    monkeypatch.setenv("TQDM_DISABLE", "0")
    bar.update(1)
    assert bar.bar is not None
    bar.close()


def test_a_bar_closed_early_ends_full_at_the_iterations_done(monkeypatch):
    # the interior-point method converges in ~30 of at most 200 iterations; a bar
    # left at "30/200 [15%]" looked aborted
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    bar = LazyBar(200, "ipm", delay=0.0)
    for _ in range(30):
        bar.update(1)
    bar.close()
    assert (bar.bar.n, bar.bar.total) == (30, 30)
    shown = str(bar.bar)  # the line tqdm draws last
    assert "30/30" in shown and "100%" in shown, shown

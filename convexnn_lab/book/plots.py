"""Figures of the book.  Every function takes data (and ``ax=None``) and returns
``(fig, ax)``; none calls ``plt.show()`` or prints.
"""

from __future__ import annotations

import numpy as np

from ..chapters.landscape import (
    one_neuron_loss,
    one_neuron_minima,
    product_loss,
    product_minimizer,
    two_neuron_loss,
    two_neuron_valleys,
)
from ..core.patterns import cover_bound, enumerate_patterns, general_position_count

__all__ = [
    "threshold_maps",
    "arrangement",
    "bounds_history",
    "network_1d",
    "objective_against_time",
    "objective_comparison",
    "one_neuron",
    "pattern_counts",
    "pattern_growth",
    "pattern_string",
    "product_landscape",
    "relaxation_gaps",
    "training_curves",
    "two_neuron_landscape",
]


def _axes(ax, figsize=(6, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    return fig, ax


def pattern_string(pattern) -> str:
    """``[True, False, True] -> "101"``."""
    return "".join("1" if p else "0" for p in np.asarray(pattern, dtype=bool))


def one_neuron(X, y, *, lim: float = 2.5, ax=None):
    """Loss of a single ReLU neuron against its weight, with its local minima."""
    fig, ax = _axes(ax)
    w = np.linspace(-lim, lim, 501)
    ax.plot(w, one_neuron_loss(w, X, y), color="C3", label="L(w)")
    for wm, val in one_neuron_minima(X, y):
        ax.plot([wm], [val], "ko")
        ax.annotate(f"local min {val:.3g}", (wm, val), textcoords="offset points",
                    xytext=(5, 8))
    ax.set_xlabel("w")
    ax.set_ylabel("loss")
    ax.legend()
    return fig, ax


def two_neuron_landscape(X, y, *, beta: float = 0.0, lim: float = 3.0, paths=None,
                         ax=None, levels: int = 30):
    """Contours of the two-neuron loss (colours: log10(loss + 0.01)); optional
    gradient-descent paths (k, T, 2). Without weight decay (``beta == 0``) the segments of
    minimizers where both neurons serve one side (:func:`two_neuron_valleys`) are drawn
    dashed; the legend sits below the axes."""
    fig, ax = _axes(ax, (5.5, 5))
    g = np.linspace(-lim, lim, 241)
    W1, W2 = np.meshgrid(g, g)
    L = two_neuron_loss(W1, W2, X, y, beta)
    # log colours: on a linear scale the valleys (loss 0, 0.5, 2) share one colour
    cs = ax.contourf(W1, W2, np.log10(L + 0.01), levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="log10(loss + 0.01)")
    if beta == 0:
        # both neurons on one side: every split w1 + w2 = w (same sign) is a minimizer
        for k, (w, value) in enumerate(two_neuron_valleys(X, y)):
            ax.plot([w, 0.0], [0.0, w], ls="--", color="C1", lw=2.5,
                    label=f"minimizers $w_1 + w_2 = {w:g}$ (loss {value:.3g})")
    if paths is not None:
        for k, p in enumerate(np.asarray(paths)):
            ax.plot(p[:, 0], p[:, 1], color="w", lw=0.8,
                    label=None if k else "gradient-descent path")
            ax.plot(p[0, 0], p[0, 1], "x", color="w", ms=4, label=None if k else "start")
            ax.plot(p[-1, 0], p[-1, 1], "o", color="C3", ms=4,
                    label=None if k else "where descent stops")
    if ax.lines:
        # below the axes (the contours fill the whole square), grey so white paths show
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8,
                  facecolor="0.75", framealpha=1.0)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    return fig, ax


def product_landscape(lam: float = 0.0, *, lim: float = 2.0, ax=None):
    """``(ab - 1)^2 + (lam/2)(a^2 + b^2)`` on a log colour scale, with its minimizers.

    The colours are ``log10`` of the loss above its minimum (plus 1e-3), with contour
    lines, so the valleys stay visible.  For ``lam = 0`` the minimizers fill the
    hyperbola ``ab = 1`` (dashed); for ``lam > 0`` there are two, ``a = b = +-sqrt(z*)``.
    """
    fig, ax = _axes(ax, (5.5, 5))
    g = np.linspace(-lim, lim, 241)
    A, B = np.meshgrid(g, g)
    L = product_loss(A, B, lam)
    z = product_minimizer(lam)
    low = float(product_loss(np.sqrt(z), np.sqrt(z), lam))
    V = np.log10(L - low + 1e-3)
    cs = ax.contourf(A, B, V, levels=30, cmap="magma")
    ax.contour(A, B, V, levels=np.arange(-2, 2), colors="w", linewidths=0.5, alpha=0.6)
    fig.colorbar(cs, ax=ax, label="log10(loss - min + 0.001)")
    t = np.linspace(1 / lim, lim, 200)
    for sgn in (1, -1):
        ax.plot(sgn * t, sgn / t, "--", color="c", lw=1,
                label="ab = 1" if sgn > 0 else None)
    if lam > 0:
        r = np.sqrt(z)
        ax.plot([r, -r], [r, -r], "c*", ms=12, label=f"minimizers (z* = {z:.3g})")
    ax.set_title(f"lambda = {lam:g}")
    ax.set_xlabel("a")
    ax.set_ylabel("b")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    # below the axes: the colours fill the whole square
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)
    return fig, ax


def arrangement(X, *, ax=None, show_patterns: bool = True, direction=None):
    """The arrangement {u : x_j^T u = 0} of 2-D data, each cell labelled by its pattern.

    Parameters
    ----------
    X : ndarray of shape (n, 2)
    direction : array_like of shape (2,), optional
        A direction u to draw, with its pattern.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"arrangement draws 2-D data: X must be (n, 2), got {X.shape}")
    fig, ax = _axes(ax, (5, 5))
    seen = []  # directions of the hyperplanes drawn so far: coinciding ones share a label
    for j, x in enumerate(X):
        if not x.any():
            continue
        t = np.array([-x[1], x[0]]) / np.linalg.norm(x) * 1.4
        ax.plot([-t[0], t[0]], [-t[1], t[1]], color="0.5", lw=1)
        # rows with the same hyperplane (parallel rows): stack their labels, no overprint
        k = sum(abs(t[0] * s_[1] - t[1] * s_[0]) < 1e-9 for s_ in seen)
        seen.append(t)
        ax.annotate(f"$x_{j + 1}$", t, color="0.3", textcoords="offset points",
                    xytext=(4, -12 - 12 * k) if t[1] > 1.2 else (4, 2 + 12 * k))
    if show_patterns:
        # one label per open cell, at the middle angle of the cell's arc, far from the
        # origin (the direction's arrow stays shorter)
        angles = []
        for x in X:
            if x.any():
                a = np.arctan2(x[0], -x[1])  # the hyperplane's direction (-x2, x1)
                angles += [a % (2 * np.pi), (a + np.pi) % (2 * np.pi)]
        angles = np.unique(np.round(angles, 12))
        if len(angles) == 0:
            mids = np.array([np.pi / 4])
        else:
            nxt = np.r_[angles[1:], angles[0] + 2 * np.pi]
            mids = (angles + nxt) / 2
        for a in mids:
            u = np.array([np.cos(a), np.sin(a)])
            ax.annotate(pattern_string(X @ u >= 0), 1.15 * u, ha="center", va="center",
                        fontsize=9, color="C0")
    if direction is not None:
        u = np.asarray(direction, dtype=float)
        u = u / np.linalg.norm(u)
        ax.annotate("", xy=0.7 * u, xytext=(0, 0),
                    arrowprops=dict(arrowstyle="->", color="C3"))
        ax.set_title(f"u -> pattern {pattern_string(X @ u >= 0)}")
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.set_xlabel("$u_1$")
    ax.set_ylabel("$u_2$")
    return fig, ax


def pattern_counts(ns, counts, r: int, *, ax=None):
    """Pattern counts on log-log axes, where a count of order ``n^(r-1)`` is a line of
    slope ``r - 1``: enumerated counts, the general-position count, Cover's bound and a
    reference line of slope ``r - 1``."""
    fig, ax = _axes(ax)
    ns = np.asarray(ns)
    ax.loglog(ns, counts, "o", label="enumerated")
    ax.loglog(ns, [general_position_count(int(n), r) for n in ns], "-",
              label=r"$2\sum_{k<r}\binom{n-1}{k}$")
    ax.loglog(ns, [cover_bound(int(n), r) for n in ns], "--", label="Cover's bound")
    ref = counts[-1] * (ns / ns[-1]) ** (r - 1)
    ax.loglog(ns, ref, ":", color="0.4", label=f"slope r - 1 = {r - 1}")
    # the n used as tick labels: log axes' minor labels (3x10^1, 4x10^1) collide
    ax.set_xticks(ns, [str(int(n)) for n in ns])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("n (rows of X)")
    ax.set_ylabel("number of patterns")
    ax.set_title(f"rank r = {r}")
    ax.legend(fontsize=8)
    return fig, ax


def network_1d(net, t, y, *, ax=None, grid=None, label="network", legend_below=None):
    """A network on 1-D inputs with a bias column: data, fitted function, breakpoints.

    `net` takes inputs ``[t, 1]``; its breakpoints are ``-b_j / w_j``. The legend goes
    below the axes (off the curve) when `legend_below`, by default when the function makes
    its own figure; inside the axes, at matplotlib's "best" place, otherwise.
    """
    if legend_below is None:
        legend_below = ax is None
    fig, ax = _axes(ax)
    t = np.asarray(t, float).ravel()
    lo, hi = t.min(), t.max()
    pad = 0.2 * (hi - lo + 1e-12)
    grid = np.linspace(lo - pad, hi + pad, 400) if grid is None else grid
    G = np.column_stack([grid, np.ones_like(grid)])
    ax.plot(t, y, "x", color="C3", ms=8, label="data")
    ax.plot(grid, net.predict(G), color="C0", label=label)
    if net.width:
        w, b = net.W1[0], net.W1[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            kinks = np.where(w != 0, -b / w, np.nan)
        kinks = kinks[np.isfinite(kinks) & (kinks > grid[0]) & (kinks < grid[-1])]
        K = np.column_stack([kinks, np.ones_like(kinks)])
        ax.plot(kinks, net.predict(K), "^", color="C2", label="breakpoints")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    if legend_below:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3)
    else:
        ax.legend(loc="best")
    return fig, ax


def objective_comparison(convex_value: float, others, *, ax=None, label="Adam runs"):
    """Final objectives of several non-convex runs against the convex optimum."""
    fig, ax = _axes(ax)
    others = np.sort(np.asarray(others, float))
    ax.plot(np.arange(1, len(others) + 1), others, "o", label=label)
    ax.axhline(convex_value, color="C3", label="convex optimum")
    ax.set_xlabel("run (sorted)")
    ax.set_ylabel("objective L")
    ax.legend()
    return fig, ax


def training_curves(histories, *, reference: float | None = None, ax=None,
                    label="run", logy: bool = True):
    """Objective against step for several runs, with an optional reference line."""
    fig, ax = _axes(ax)
    for i, h in enumerate(histories):
        ax.plot(h, lw=1, label=f"{label} {i}" if i < 5 else None)
    if reference is not None:
        ax.axhline(reference, color="k", ls="--", label="convex optimum")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("objective L")
    ax.legend(fontsize=8)
    return fig, ax


def pricing_rounds(report, *, optimum: float | None = None, n_all: int | None = None,
                   ax=None):
    """Objective of each round of ``train_convex`` against the patterns in its program.

    Parameters
    ----------
    report : TrainingReport
    optimum : float, optional
        The optimum over every pattern, drawn as a dashed line (with `n_all` patterns).
    """
    fig, ax = _axes(ax)
    sizes = [r.n_patterns for r in report.rounds]
    values = [r.objective for r in report.rounds]
    ax.plot(sizes, values, "o-", ms=4, label="restricted program, round by round")
    if optimum is not None:
        label = "optimum over every pattern" + (f" ({n_all})" if n_all else "")
        ax.axhline(optimum, color="k", ls="--", label=label)
    ax.set_xlabel("patterns in the program")
    ax.set_ylabel("objective L")
    ax.set_title(f"pattern pricing: {report.status}")
    ax.legend(fontsize=8)
    return fig, ax


def bounds_history(report, *, axes=None):
    """Upper and lower bounds on the optimum over networks of any width, round by round
    (``train_convex(..., pricing="exact")``, chapter 08): left, each round's objective
    and the best proven lower bound; right, their relative gap on a log scale."""
    import matplotlib.pyplot as plt

    rounds = [r for r in report.rounds if r.lower_bound is not None]
    if not rounds:
        raise ValueError("report has no proven lower bound: run train_convex with "
                         "pricing='exact' or 'auto', or on data whose patterns it lists")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    else:
        fig = axes[0].figure
    k = [r.round for r in rounds]
    upper = np.array([r.objective for r in rounds])
    lower = np.maximum.accumulate([r.lower_bound for r in rounds])
    axes[0].plot(k, upper, "o-", ms=4, label="objective of the round's network (upper)")
    axes[0].plot(k, lower, "s-", ms=4, label="proven lower bound, any width")
    axes[0].set_xlabel("round")
    axes[0].set_ylabel("objective L")
    axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, fontsize=8)
    axes[1].semilogy(k, np.maximum((upper - lower) / np.abs(upper), 1e-16), "o-", ms=4)
    axes[1].set_xlabel("round")
    axes[1].set_ylabel("relative gap (upper - lower) / upper")
    from matplotlib.ticker import MaxNLocator

    for ax in axes:  # rounds are whole numbers
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig, axes


def objective_against_time(report, adam_runs=(), *, ax=None, grid_in_sequence=False,
                           adam_best=None):
    """train_convex's rounds and Adam's training curves on one time axis (chapter 2).

    Parameters
    ----------
    report : TrainingReport
        Its rounds' (seconds, objective): each round's network; a triangle marks its
        warm network (the L-BFGS start) where it had one.
    adam_runs : sequence of (label, seconds, history)
        An Adam run's wall time and its objective at every step (``net.history``),
        drawn against ``seconds * step / steps`` (the steps took equal time).
    grid_in_sequence : bool
        Draw the Adam runs one after the other (run k starts when run k - 1 ended), so the
        time axis counts the whole tuning grid; otherwise each starts at 0.
    adam_best : float, optional
        Adam's best iterate, drawn as a dotted horizontal line.

    Returns (fig, ax), objective on a log scale, the legend below the axes.
    """
    fig, ax = _axes(ax)
    start = 0.0
    for label, seconds, history in adam_runs:
        history = np.asarray(history, dtype=float)
        t = start + np.linspace(0.0, seconds, len(history))
        ax.plot(t, history, lw=1, alpha=0.8, label=label)
        if grid_in_sequence:
            start += seconds
    if adam_best is not None:
        ax.axhline(adam_best, color="gray", ls=":", lw=1, label="Adam's best iterate")
    if report.warm_objective is not None:
        # the rounds start from this network: the drop to it is L-BFGS's, not theirs
        ax.plot([report.warm_seconds], [report.warm_objective], "k^", ms=7,
                label="train_convex's L-BFGS start")
    ax.plot([r.seconds for r in report.rounds], [r.objective for r in report.rounds], "ko-",
            ms=4, label="train_convex, round by round")
    ax.set_yscale("log")
    ax.set_xlabel("wall time (s)" + (", Adam's grid run after run" if grid_in_sequence else ""))
    ax.set_ylabel("objective L")
    ax.set_title(f"convex training with priced patterns ({report.status}) against Adam")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return fig, ax


def alignment_history(history: dict, *, ax=None):
    """Alignment of the neurons and the objective along training (chapter 4, "align, then
    fit").

    Parameters
    ----------
    history : dict from ``stationary.pattern_history``
    ax : matplotlib axes, optional

    Returns (fig, ax): the mean cosine of each neuron with its nearest other neuron (left
    axis) and L on a log scale (right axis) per step.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.5))
    else:
        fig = ax.figure
    ax.plot(history["step"], history["alignment"], "o-", color="C0", ms=3)
    ax.set_xlabel("step")
    ax.set_ylabel("mean cosine to nearest neuron", color="C0")
    ax.set_ylim(0, 1.05)
    right = ax.twinx()
    right.semilogy(history["step"], history["objective"], "s-", color="C3", ms=3)
    right.set_ylabel("objective L (log scale)", color="C3")
    fig.tight_layout()
    return fig, ax


def pattern_history(histories: dict, *, axes=None):
    """Distinct neuron patterns and objectives along training (chapter 4).

    Parameters
    ----------
    histories : dict label -> dict from ``stationary.pattern_history``
    axes : pair of matplotlib axes, optional

    Returns (fig, axes): left, distinct patterns per step; right, L (solid) and the
    optimum of the program on the current patterns (dashed) per step, and the optimum of
    the program on the initial patterns (dotted; one line for runs that share it).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    else:
        fig = axes[0].figure
    initial = []  # runs sharing initial patterns share one dotted line
    for k, (label, h) in enumerate(histories.items()):
        color = f"C{k}"
        axes[0].plot(h["step"], h["unique_patterns"], "o-", color=color, label=label)
        axes[1].semilogy(h["step"], h["objective"], "-", color=color, label=f"{label}: L")
        if h.get("program"):
            axes[1].semilogy(h["step"], h["program"], "--", color=color,
                             label=f"{label}: program on current patterns")
            p0 = h["program"][0]
            if not any(np.isclose(p0, v) for v in initial):
                shared = sum(np.isclose(p0, g["program"][0]) for g in histories.values()
                             if g.get("program"))
                axes[1].axhline(p0, ls=":", color=color if shared == 1 else "0.3", lw=1,
                                label=("all runs" if shared > 1 else label)
                                + ": program on initial patterns")
            initial.append(p0)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("distinct patterns")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("objective")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    return fig, axes


def zonotope(vertices, patterns, *, ax=None, label_every: int = 1):
    """A 2-D zonotope, every `label_every`-th vertex labelled by its pattern (chapter 3).

    Labels sit outside the polygon, along the ray from its centre. Patterns of more than
    8 points would not fit: those vertices are labelled ``v{i}`` instead, and
    ``pattern_string(patterns[i])`` gives the pattern.
    """
    fig, ax = _axes(ax, (6, 6))
    vertices = np.asarray(vertices, dtype=float)
    V = np.vstack([vertices, vertices[:1]])
    ax.fill(V[:, 0], V[:, 1], alpha=0.15, color="C0", label=r"zonotope $\sum_i [-z_i, z_i]$")
    ax.plot(V[:, 0], V[:, 1], "-", color="C0", lw=1)
    ax.plot(vertices[:, 0], vertices[:, 1], "o", color="C0", ms=3,
            label="vertex = one pattern of $X_2$")
    center = vertices.mean(axis=0)
    short = len(patterns) == 0 or len(patterns[0]) <= 8
    for i, (v, p) in enumerate(zip(vertices, patterns)):
        if i % label_every:
            continue
        ray = v - center
        ray = ray / (np.linalg.norm(ray) or 1.0)
        ax.plot([v[0]], [v[1]], "o", color="C3", ms=4,
                label=None if i else "labelled vertex")
        ax.annotate(pattern_string(p) if short else f"v{i}", v, fontsize=9,
                    family="monospace",
                    textcoords="offset points", xytext=tuple(10 * ray),
                    ha="left" if ray[0] > 0.3 else "right" if ray[0] < -0.3 else "center",
                    va="bottom" if ray[1] > 0.3 else "top" if ray[1] < -0.3 else "center")
    ax.set_aspect("equal")
    ax.margins(0.15)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=8, ncol=3,
              frameon=False)
    ax.set_title(f"{len(vertices)} vertices = {len(vertices)} patterns of $X_2$")
    return fig, ax


def ratio_vs_k(ks, ratios: dict, bounds=None, *, baseline=None, ax=None):
    """Achieved ratios (one series per label) and the bound against the rank k (chapter 3).

    Linear axis scaled to the measured ratios, so their differences show; a bound above
    the axis is drawn as a triangle at the top, labelled with its value.  `baseline`
    (e.g. the zero network's ratio) is a dotted horizontal line.
    """
    fig, ax = _axes(ax)
    ks = list(ks)
    top = max(max(r) for r in ratios.values())
    if baseline is not None:
        top = max(top, baseline)
    top = 1.0 + 1.25 * (top - 1.0) + 0.02
    for label, r in ratios.items():
        ax.plot(ks, r, "o-", label=label)
    if baseline is not None:
        ax.axhline(baseline, color="C3", ls=":", lw=1.2, label="zero network")
    if bounds is not None:
        b = np.asarray(bounds, dtype=float)
        ax.plot(ks, np.minimum(b, top), "k--", marker="^", ms=6,
                label="proved bound (scheme B), clipped at the top")
        for k, v in zip(ks, b):
            if v > top:
                ax.annotate(f"bound {v:.3g}", (k, top), textcoords="offset points",
                            xytext=(0, -14), ha="center", fontsize=8)
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set_ylim(0.98, top * 1.02)
    ax.set_xlabel("rank k")
    ax.set_ylabel("objective / optimum")
    ax.set_xticks(ks)
    ax.legend(fontsize=8)
    return fig, ax


def coverage(result: dict, *, axes=None):
    """Fraction of the arrangement found and objective ratio against the sampling budget.

    `result` comes from ``geometric.coverage`` (chapter 5).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    else:
        fig = axes[0].figure
    b = result["budgets"]
    for k, method in enumerate(m for m in ("gaussian", "cross_product") if m in result):
        rec = result[method]
        axes[0].semilogx(b, rec["fraction"], "o-", color=f"C{k}", label=method)
        if rec.get("ratio"):
            axes[1].semilogx(b, rec["ratio"], "o-", color=f"C{k}", label=method)
    axes[0].set_xlabel("directions drawn")
    axes[0].set_ylabel(f"fraction of the {result['total']} patterns found")
    axes[1].axhline(1.0, color="0.6", lw=0.8)
    axes[1].set_xlabel("directions drawn")
    axes[1].set_ylabel("objective / optimum (all patterns)")
    axes[0].legend()
    axes[1].legend()
    return fig, axes


# one marker and line style per curve, so equal rates stay visible (chapter 7)
_CURVE_STYLES = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", (0, (5, 1)))]


def _styled(ax, x, y, k, label):
    marker, ls = _CURVE_STYLES[k % len(_CURVE_STYLES)]
    ax.plot(x, y, marker=marker, ls=ls, ms=7 - k, mfc="none" if k % 2 else None,
            label=label)


def recovery(ratios, rates: dict, *, ax=None):
    """Recovery rate against n/d, one line per label (chapter 7).

    Each line has its own marker and line style (hollow and smaller markers for every
    second one), so lines with equal rates are all visible.
    """
    fig, ax = _axes(ax)
    for k, (label, r) in enumerate(rates.items()):
        _styled(ax, ratios, r, k, label)
    ax.axvline(2.0, color="0.5", ls="--", lw=0.8, label="n = 2d")
    ax.set_xlabel("n / d")
    ax.set_ylabel("fraction of trials recovering w*")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8)
    return fig, ax


def phase_transition(panels: dict, *, axes=None):
    """Recovery rate against n, one panel per d (chapter 7, "The phase transition").

    Parameters
    ----------
    panels : dict
        ``{d: {label: (ns, rates)}}``; each label is drawn with its own marker and line
        style, in the same style in every panel; a dashed vertical line marks n = 2d
        and a grey horizontal one the rate 1/2, each with its legend entry.
    axes : sequence of matplotlib Axes, optional
        One per panel.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8),
                                 squeeze=False)
        axes = axes[0]
    else:
        fig = axes[0].figure
    labels = list(dict.fromkeys(lab for curves in panels.values() for lab in curves))
    for ax, (d, curves) in zip(axes, panels.items()):
        for label, (ns, rates) in curves.items():
            _styled(ax, ns, rates, labels.index(label), label)
        ax.axvline(2 * d, color="0.5", ls="--", lw=0.8, label="n = 2d")
        ax.axhline(0.5, color="0.8", lw=0.6, label="rate 1/2")
        ax.set_title(f"d = {d}")
        ax.set_xlabel("n (samples)")
        ax.set_ylim(-0.05, 1.05)
    axes[0].set_ylabel("fraction of trials recovering w*")
    axes[-1].legend(fontsize=8, loc="lower right")
    return fig, axes


def regularization_path(betas, neurons, train_error, test_error, objective, *, axes=None,
                        held_out="test", fitted="train"):
    """Active neurons, errors and objective along a path of beta (chapter 7).

    `fitted` names the first error curve, on the rows the programs were solved on
    ("fit (84 rows)" where a validation split was carved from the training rows);
    `held_out` names the second ("validation" where beta is chosen on it).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    else:
        fig = axes[0].figure
    axes[0].semilogx(betas, neurons, "o-")
    axes[0].set_ylabel("active neurons")
    axes[1].semilogx(betas, train_error, "o-", label=fitted)
    axes[1].semilogx(betas, test_error, "s--", mfc="none", label=held_out)
    axes[1].set_ylabel("classification error")
    axes[1].legend()
    axes[2].loglog(betas, objective, "o-")
    axes[2].set_ylabel("objective")
    _readable_log_ticks(axes[2].yaxis, objective)
    for ax in axes:
        ax.set_xlabel("beta")
        _readable_log_ticks(ax.xaxis, betas)
    fig.tight_layout()
    return fig, axes


def _readable_log_ticks(axis, values):
    """A log axis over less than two decades gets its values as ticks ("%g"), no minor
    labels (matplotlib's would overprint each other); wider ranges keep the decades."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    values = np.asarray(values, dtype=float)
    axis.set_minor_formatter(NullFormatter())
    if values.min() > 0 and values.max() / values.min() < 100:
        ticks = np.unique(values) if len(np.unique(values)) <= 6 else np.geomspace(
            values.min(), values.max(), 4)
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(lambda v, _: f"{v:.4g}")
        axis.set_minor_locator(NullLocator())


def accuracy_vs_time(runs, *, axes=None):
    """Train and test accuracy against wall time for each run (chapter 6)."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    else:
        fig = axes[0].figure
    for k, run in enumerate(runs):
        t = [c[0] for c in run.curve]
        axes[0].plot(t, [c[1] for c in run.curve], "o-", color=f"C{k}", label=run.method)
        axes[1].plot(t, [c[2] for c in run.curve], "o-", color=f"C{k}", label=run.method)
    for ax, what in zip(axes, ("train", "test")):
        ax.set_xscale("log")
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel(f"{what} accuracy")
    # one legend below both panels, where it hides no curve
    handles, labels = axes[0].get_legend_handles_labels()
    fig.subplots_adjust(bottom=0.3, wspace=0.3)
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False,
               title="dots: checkpoints of each run (Adam and SGD start after their search "
                     "of the learning rate)", title_fontsize=8)
    return fig, axes


def pattern_growth(growth, *, axes=None):
    """Pattern counts and enumeration times, log scale (chapter 8): against n, one line per
    rank (dashed: the general-position count ``2 sum_{k<r} C(n-1, k)`` ~ n^(r-1)), and
    against the rank, one line per n.  `growth` comes from ``hardness.pattern_growth``."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    else:
        fig = axes[0].figure
    ns = np.asarray(growth.ns)
    for k, r in enumerate(growth.ranks):
        axes[0].loglog(ns, growth.counts[k], "o", color=f"C{k}", label=f"r = {r}")
        axes[0].loglog(ns, [general_position_count(int(n), int(r)) for n in ns], "--",
                       color=f"C{k}", lw=0.8)
        axes[1].loglog(ns, np.maximum(growth.seconds[k], 1e-5), "o-", color=f"C{k}",
                       label=f"r = {r}")
    for k, n in enumerate(ns):
        axes[2].semilogy(growth.ranks, growth.counts[:, k], "s-", color=f"C{k + 5}",
                         label=f"n = {n}")
    axes[0].set_ylabel("number of patterns P")
    axes[0].set_title("counts (dashed: general-position formula)")
    axes[1].set_ylabel("enumeration time (s)")
    axes[1].set_title("time on this machine")
    axes[2].set_ylabel("number of patterns P")
    axes[2].set_xlabel("rank r")
    axes[2].set_xticks([int(r) for r in growth.ranks])
    axes[2].set_title("counts against the rank")
    axes[2].legend(fontsize=8)
    for ax in axes[:2]:
        ax.set_xscale("log", base=2)
        ax.set_xticks([int(n) for n in ns], [str(n) for n in ns])
        ax.minorticks_off()
        ax.set_xlabel("n (rows of X)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, axes


def relaxation_gaps(tables, *, ax=None):
    """``p* / p_gated`` against n (mean over seeds, bars from min to max) for each
    ``relaxation.GapTable``, with the rate sqrt(log n) scaled to meet each mean at the
    smallest n (chapter 8)."""
    fig, ax = _axes(ax)
    for k, t in enumerate(tables):
        mean, lo, hi = t.mean(), t.ratios.min(axis=0), t.ratios.max(axis=0)
        ax.errorbar(t.ns, mean, yerr=[mean - lo, hi - mean], fmt="o-", color=f"C{k}",
                    capsize=3, label=f"d = {t.d}, beta = {t.beta:g}")
        ref = t.rate() * mean[0] / t.rate()[0]
        ax.plot(t.ns, ref, ":", color=f"C{k}", label="c sqrt(log n)" if k == 0 else None)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (samples)")
    ax.set_ylabel("p* / p_gated")
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.legend(fontsize=8)
    return fig, ax


def threshold_maps(y, maps: dict, *, beta: float, ax=None):
    """Optimal singular value s*(y) of the product against the singular value y of the
    target, one line per label (chapter 9): soft threshold (nuclear norm) against the hard
    thresholds of weight decay on deeper chains."""
    fig, ax = _axes(ax)
    for label, s in maps.items():
        ax.plot(y, s, label=label)
    ax.plot(y, y, color="0.6", ls=":", lw=0.8, label="s = y (no penalty)")
    ax.axvline(beta, color="0.5", ls="--", lw=0.8, label="y = beta")
    ax.set_xlabel("singular value y of the target")
    ax.set_ylabel("singular value s* of the optimal product")
    # below the axes: inside, every corner holds a map or the s = y line
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    return fig, ax

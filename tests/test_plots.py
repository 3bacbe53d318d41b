"""Figures of the book: the data drawn are what the library computes, and a reader can
tell what each artist is (labels, titles, legends)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.book import plots
from convexnn_lab.chapters import landscape, lowrank


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test's figures are closed after it (pyplot keeps them otherwise)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _legend(ax):
    legend = ax.get_legend()
    assert legend is not None, "the figure has no legend"
    return [t.get_text() for t in legend.get_texts()]


def _line(ax, label):
    lines = [line for line in ax.lines if line.get_label() == label]
    assert len(lines) == 1, f"expected one line labelled {label!r}"
    return lines[0]


def test_one_neuron_draws_the_loss_and_marks_both_minima():
    X, y = cl.toy("two_points")
    _, ax = plots.one_neuron(X, y)
    curve = _line(ax, "L(w)")
    w = curve.get_xdata()
    # a curve of another loss (a linear neuron, a missing factor 0.5)
    assert np.allclose(curve.get_ydata(), landscape.one_neuron_loss(w, X, y))
    # a range that hides one of the minima
    assert w.min() < -1 and w.max() > 1
    marks = [line for line in ax.lines if line.get_marker() == "o"]
    drawn = sorted((float(m.get_xdata()[0]), float(m.get_ydata()[0])) for m in marks)
    # marks at the wrong place, or only the global minimum marked
    assert np.allclose(drawn, sorted(landscape.one_neuron_minima(X, y)))
    assert sorted(v for _, v in drawn) == [0.125, 0.5]  # the values chapter 0 quotes
    # the annotation states the value of each minimum
    assert {t.get_text() for t in ax.texts} == {"local min 0.125", "local min 0.5"}
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("w", "loss")
    assert _legend(ax) == ["L(w)"]


def test_two_neuron_landscape_draws_each_descent_path():
    X, y = cl.toy("two_neurons")
    paths, _ = landscape.descend_two_neurons(X, y, n_starts=3, steps=20)
    fig, ax = plots.two_neuron_landscape(X, y, paths=paths)
    drawn = [np.column_stack([line.get_xdata(), line.get_ydata()]) for line in ax.lines
             if line.get_marker() in ("None", "", None) and line.get_linestyle() == "-"]
    ends = [line for line in ax.lines if line.get_marker() == "o"]
    # a path drawn with its coordinates swapped, truncated, or one path left out
    assert len(drawn) == len(paths)
    for mine, path in zip(drawn, paths):
        assert np.allclose(mine, path)
    # the end marker of a path at its start instead of where descent stopped
    assert np.allclose([(e.get_xdata()[0], e.get_ydata()[0]) for e in ends], paths[:, -1])
    (contours,) = ax.collections
    # contours of another function (a linear scale, the product loss): the corners of
    # the drawn square and the global minimum (loss 0) are grid points, so their
    # log10(loss + 0.01) lie inside the contoured range
    lim = ax.get_xlim()[1]
    corners = landscape.two_neuron_loss(np.array([lim, lim, -lim, -lim]),
                                        np.array([lim, -lim, lim, -lim]), X, y)
    assert contours.zmin <= -2 + 1e-9 and contours.zmax >= np.log10(corners.max() + 0.01)
    assert contours.zmax < 2  # a linear scale would reach the corner losses (about 14)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$w_1$", "$w_2$")
    # the colorbar says what the colours are
    assert fig.axes[-1].get_ylabel() == "log10(loss + 0.01)"


def test_product_landscape_marks_the_hyperbola_and_the_balanced_minima():
    for lam in (0.0, 0.5):
        fig, ax = plots.product_landscape(lam)
        # without weight decay every point of ab = 1 is a minimizer: the dashed hyperbola
        branches = [line for line in ax.lines if line.get_linestyle() == "--"]
        assert len(branches) == 2
        for line in branches:
            assert np.allclose(line.get_xdata() * line.get_ydata(), 1.0)
        stars = [line for line in ax.lines if line.get_marker() == "*"]
        if lam == 0:
            assert stars == [] and _legend(ax) == ["ab = 1"]
            continue
        (stars,) = stars
        r = np.sqrt(landscape.product_minimizer(lam))
        # unbalanced (a != b) minima, or minima at the wrong radius
        assert np.allclose(sorted(stars.get_xdata()), [-r, r])
        assert np.allclose(stars.get_ydata(), stars.get_xdata())
        assert _legend(ax) == ["ab = 1",
                               f"minimizers (z* = {landscape.product_minimizer(lam):.3g})"]
        # the colour scale is logarithmic (the valleys were invisible on a linear one)
        assert fig.axes[-1].get_ylabel().startswith("log10")


def test_arrangement_labels_every_pattern_inside_its_own_cell():
    rng = np.random.default_rng(0)
    for X in (cl.toy("parallel_rows")[0], rng.standard_normal((5, 2))):
        _, ax = plots.arrangement(X, direction=[1.0, -1.5])
        labels = {t.get_text(): np.asarray(t.xy) for t in ax.texts
                  if t.get_text()[:1] in ("0", "1")}
        # a pattern missing, or a label that is not a pattern of X
        assert set(labels) == {plots.pattern_string(p) for p in cl.enumerate_patterns(X)}
        # a label placed in a neighbouring cell (for example at a cell boundary)
        for text, at in labels.items():
            assert plots.pattern_string(X @ at >= 0) == text
        # the hyperplane of x_j drawn along x_j instead of orthogonal to it
        hyperplanes = [line for line in ax.lines if line.get_color() == "0.5"]
        assert len(hyperplanes) == len(X)
        for x, line in zip(X, hyperplanes):
            ends = np.column_stack([line.get_xdata(), line.get_ydata()])
            assert np.allclose(ends @ x, 0)
        assert {f"$x_{j + 1}$" for j in range(len(X))} <= {t.get_text() for t in ax.texts}
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("$u_1$", "$u_2$")
    # the title names the pattern of the drawn direction (the one chapter 1 discusses)
    X, _ = cl.toy("parallel_rows")
    _, ax = plots.arrangement(X, direction=[1.0, -1.5])
    assert ax.get_title() == "u -> pattern 001"


def test_pattern_counts_draws_the_counts_and_both_formulas():
    rng = np.random.default_rng(0)
    ns, r = [4, 8, 16], 2
    counts = [len(cl.enumerate_patterns(rng.standard_normal((n, r)))) for n in ns]
    _, ax = plots.pattern_counts(ns, counts, r)
    enumerated = _line(ax, "enumerated")
    # the enumerated counts drawn against the wrong n
    assert list(enumerated.get_xdata()) == ns and list(enumerated.get_ydata()) == counts
    formula = _line(ax, r"$2\sum_{k<r}\binom{n-1}{k}$")
    # the formula evaluated with n instead of n - 1, or at a different rank
    assert list(formula.get_ydata()) == [cl.general_position_count(n, r) for n in ns]
    # random data are in general position: the enumerated counts lie on the formula
    assert list(formula.get_ydata()) == counts
    bound = _line(ax, "Cover's bound")
    assert list(bound.get_ydata()) == [cl.cover_bound(n, r) for n in ns]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    assert ax.get_title() == "rank r = 2"
    assert ax.get_xlabel() == "n (rows of X)" and ax.get_ylabel() == "number of patterns"
    assert _legend(ax) == ["enumerated", r"$2\sum_{k<r}\binom{n-1}{k}$", "Cover's bound",
                           "slope r - 1 = 1"]
    ref = _line(ax, "slope r - 1 = 1")
    slope = np.diff(np.log(ref.get_ydata())) / np.diff(np.log(ref.get_xdata()))
    assert np.allclose(slope, r - 1)


def test_network_1d_draws_the_data_the_prediction_and_the_breakpoints():
    net = cl.TwoLayerNetwork(np.array([[1.0, -1.0], [0.5, 0.2]]), np.array([1.0, 2.0]))
    t, y = np.linspace(-1, 1, 5), np.arange(5.0)
    _, ax = plots.network_1d(net, t, y)
    data = _line(ax, "data")
    # the targets drawn at other inputs (or the predictions drawn as data)
    assert np.allclose(data.get_xdata(), t) and np.allclose(data.get_ydata(), y)
    curve = _line(ax, "network")
    grid = curve.get_xdata()
    # the curve of a network without the bias column, or not the network at all
    assert np.allclose(curve.get_ydata(), net.predict(np.column_stack([grid, np.ones_like(grid)])))
    assert grid.min() < t.min() and grid.max() > t.max()
    kinks = _line(ax, "breakpoints")
    # breakpoints at b/w instead of -b/w, or off the curve
    assert np.allclose(sorted(kinks.get_xdata()), [-0.5, 0.2])
    K = np.column_stack([kinks.get_xdata(), np.ones(2)])
    assert np.allclose(kinks.get_ydata(), net.predict(K))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "f(x)")
    assert _legend(ax) == ["data", "network", "breakpoints"]


def test_objective_comparison_draws_sorted_runs_against_the_optimum():
    _, ax = plots.objective_comparison(1.0, [2.0, 1.5, 3.0], label="Adam, 3 seeds")
    runs = _line(ax, "Adam, 3 seeds")
    # runs drawn unsorted (the x label says sorted) or numbered from 0
    assert list(runs.get_xdata()) == [1, 2, 3] and list(runs.get_ydata()) == [1.5, 2.0, 3.0]
    optimum = _line(ax, "convex optimum")
    # the reference drawn at another value, or as a slanted line
    assert list(optimum.get_ydata()) == [1.0, 1.0]
    assert ax.get_ylabel() == "objective L" and ax.get_xlabel() == "run (sorted)"
    assert _legend(ax) == ["Adam, 3 seeds", "convex optimum"]


@pytest.mark.parametrize("logy", [True, False])
def test_training_curves_draw_each_history_and_the_reference(logy):
    histories = [[3.0, 2.0, 1.0 + k] for k in range(6)]
    _, ax = plots.training_curves(histories, reference=0.5, label="seed", logy=logy)
    curves = [line for line in ax.lines if line.get_linestyle() == "-"]
    # a history dropped, reordered, or drawn against the wrong step
    assert [list(c.get_ydata()) for c in curves] == histories
    assert all(list(c.get_xdata()) == [0, 1, 2] for c in curves)
    reference = _line(ax, "convex optimum")
    assert list(reference.get_ydata()) == [0.5, 0.5]
    # the legend names at most five runs (and not the sixth) so it stays readable
    assert _legend(ax) == [f"seed {k}" for k in range(5)] + ["convex optimum"]
    # logy ignored
    assert ax.get_yscale() == ("log" if logy else "linear")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "objective L")


def test_book_figures_are_sharp_at_a_fixed_size():
    import matplotlib.pyplot as plt

    with matplotlib.rc_context():
        cl.book.setup(seed=0)
        assert matplotlib.rcParams["figure.dpi"] >= 150  # 80 dpi looked soft
        fig = plt.figure()
        assert tuple(fig.get_size_inches()) == (6, 4)
        plt.close(fig)


def test_two_neuron_landscape_legend_says_what_paths_and_dots_are():
    X, y = cl.toy("two_neurons")
    paths, _ = landscape.descend_two_neurons(X, y, n_starts=3, steps=20)
    _, ax = plots.two_neuron_landscape(X, y, paths=paths)
    assert _legend(ax) == ["minimizers $w_1 + w_2 = 2$ (loss 0.5)",
                           "minimizers $w_1 + w_2 = -1$ (loss 2)",
                           "gradient-descent path", "start", "where descent stops"]
    # the segments where both neurons serve one point: w1 + w2 constant, loss constant
    for line, value in zip(ax.lines[:2], (0.5, 2.0)):
        w1, w2 = line.get_xdata(), line.get_ydata()
        assert line.get_linestyle() == "--" and np.ptp(w1 + w2) == 0
        inside = np.linspace(0.05, 0.95, 7)  # strict splits along the segment
        loss = landscape.two_neuron_loss(inside * w1[0], (1 - inside) * w2[1], X, y)
        assert np.allclose(loss, value)
    # the legend sits below the axes, off the contours
    bbox = ax.get_legend().get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert bbox.y1 < 0
    # with weight decay the segments are gone (only the balanced split remains)
    _, ax_b = plots.two_neuron_landscape(X, y, beta=0.1, paths=paths)
    assert not any(line.get_linestyle() == "--" for line in ax_b.lines)
    starts = [line for line in ax.lines if line.get_marker() == "x"]
    assert np.allclose([(s.get_xdata()[0], s.get_ydata()[0]) for s in starts], paths[:, 0])


def test_zonotope_labels_do_not_overlap_and_the_legend_says_what_dots_are():
    X = np.random.default_rng(0).standard_normal((30, 3))
    V, P = lowrank.zonotope(X, k=2)
    fig, ax = plots.zonotope(V, P, label_every=6)
    texts = [t.get_text() for t in ax.texts]
    # 30-point patterns do not fit: vertices are named, the chapter prints their patterns
    assert texts == [f"v{i}" for i in range(0, len(V), 6)]
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert _legend(ax)[1:] == ["vertex = one pattern of $X_2$", "labelled vertex"]


def test_pricing_rounds_draws_each_round_and_the_optimum():
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((12, 2)))
    y = rng.standard_normal(12)
    report = cl.train_convex(X, y, 0.1, initial_patterns=3, per_round=3, seed=0)
    fig, ax = plots.pricing_rounds(report, optimum=1.0, n_all=134)
    line = ax.lines[0]
    assert list(line.get_xdata()) == [r.n_patterns for r in report.rounds]
    assert list(line.get_ydata()) == [r.objective for r in report.rounds]
    assert ax.lines[1].get_ydata()[0] == 1.0
    assert "(134)" in ax.get_legend().get_texts()[1].get_text()
    assert report.status in ax.get_title()


def test_objective_against_time_puts_rounds_and_adam_on_one_clock():
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((12, 2)))
    y = rng.standard_normal(12)
    report = cl.train_convex(X, y, 0.1, initial_patterns=3, per_round=3, seed=0)
    adam = [("adam lr=0.01", 2.0, [3.0, 2.0, 1.5, 1.2, 1.1])]
    fig, ax = plots.objective_against_time(report, adam)
    curve, start, rounds = ax.lines
    assert list(curve.get_xdata()) == [0.0, 0.5, 1.0, 1.5, 2.0]
    # the L-BFGS start, marked apart: the rounds' share of the drop is what follows it
    assert list(start.get_xdata()) == [report.warm_seconds]
    assert list(start.get_ydata()) == [report.warm_objective]
    assert list(rounds.get_xdata()) == [r.seconds for r in report.rounds]
    assert list(rounds.get_ydata()) == [r.objective for r in report.rounds]
    assert ax.get_yscale() == "log" and report.status in ax.get_title()
    # the tuning grid laid end to end, with Adam's best iterate as a line
    grid = [("lr=0.1", 1.0, [3.0, 2.0, 1.0]), ("lr=0.01", 2.0, [3.0, 2.5, 1.5])]
    _, ax = plots.objective_against_time(report, grid, grid_in_sequence=True, adam_best=1.0)
    first, second, best = ax.lines[:3]
    assert list(first.get_xdata()) == [0.0, 0.5, 1.0]
    assert list(second.get_xdata()) == [1.0, 2.0, 3.0]
    assert list(best.get_ydata()) == [1.0, 1.0] and best.get_label() == "Adam's best iterate"


def test_pattern_growth_draws_the_counts_and_the_formula():
    from convexnn_lab.chapters import hardness

    growth = hardness.pattern_growth([4, 8], [2, 3], seed=0)
    _, axes = plots.pattern_growth(growth)
    drawn = [line for line in axes[0].lines if line.get_marker() == "o"]
    assert [list(line.get_ydata()) for line in drawn] == growth.counts.tolist()
    assert _legend(axes[0]) == ["r = 2", "r = 3"]


def test_relaxation_gaps_draws_the_means_and_the_rate():
    from convexnn_lab.chapters import relaxation

    table = relaxation.GapTable(np.array([8, 16, 32]), 2, 0.1,
                                np.array([[1.2, 1.4, 1.5], [1.4, 1.6, 1.7]]), True)
    _, ax = plots.relaxation_gaps([table])
    bars = [c for c in ax.containers if c.get_label().startswith("d = 2")]
    assert len(bars) == 1
    assert np.allclose(bars[0].lines[0].get_ydata(), table.mean())
    rate = _line(ax, "c sqrt(log n)")
    assert np.isclose(rate.get_ydata()[0], table.mean()[0])
    assert np.allclose(rate.get_ydata() / np.sqrt(np.log([8, 16, 32])),
                       table.mean()[0] / np.sqrt(np.log(8)))
def test_threshold_maps_draws_one_line_per_depth_and_the_references():
    from convexnn_lab.book import plots

    y = np.linspace(0, 2, 5)
    fig, ax = plots.threshold_maps(y, {"a": y, "b": 0 * y}, beta=0.5)
    assert len(ax.lines) == 4  # two maps, s = y and the beta line
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["a", "b"]


def test_bounds_history_draws_both_bounds_and_refuses_a_search_only_report():
    from convexnn_lab.training.pricing import PricingRound, TrainingReport

    rounds = [PricingRound(1, 5, 2.0, 0.0, 1.5, 3, 1.0, lower_bound=1.0),
              PricingRound(2, 8, 1.8, 0.0, 1.1, 1, 2.0, lower_bound=0.9),
              PricingRound(3, 9, 1.75, 0.0, 1.0, 0, 3.0, lower_bound=1.75)]
    fig, axes = plots.bounds_history(TrainingReport("optimal", True, rounds=rounds))
    upper, lower = axes[0].lines[:2]
    assert np.allclose(upper.get_ydata(), [2.0, 1.8, 1.75])
    assert np.allclose(lower.get_ydata(), [1.0, 1.0, 1.75])  # the best bound so far
    gap = axes[1].lines[0].get_ydata()
    assert np.isclose(gap[0], 0.5) and gap[-1] <= 1e-15
    search = TrainingReport("no_violation_found", False, rounds=[PricingRound(1, 5, 2.0, 0.0,
                                                                               0.9, 0, 1.0)])
    with pytest.raises(ValueError, match="no proven lower bound"):
        plots.bounds_history(search)


def test_regularization_path_labels_a_narrow_range_of_beta_by_its_values():
    betas = [20.0, 10.0, 5.0, 2.0]  # one decade: matplotlib's minor labels overprinted
    fig, axes = plots.regularization_path(betas, [73, 167, 231, 247], [.26, .21, .15, .12],
                                          [.30, .30, .30, .31], [1639, 1452, 1227, 981])
    for ax in axes:
        assert sorted(ax.get_xticks()) == sorted(betas)
        assert all(t.get_text() == "" for t in ax.xaxis.get_minorticklabels())
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["2", "5", "10", "20"]
    wide = plots.regularization_path(np.geomspace(0.1, 30, 6), [5, 4, 3, 2, 1, 0],
                                     [.1] * 6, [.2] * 6, [1, 2, 3, 4, 5, 6])[1]
    assert len(wide[0].get_xticks()) != 6  # decades, not the six values

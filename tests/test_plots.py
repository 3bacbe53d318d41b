"""Figures of the book: the right artists on the axes, built from the right data."""

import matplotlib

matplotlib.use("Agg")

import numpy as np

import convexnn_lab as cl
from convexnn_lab import landscape, plots


def test_one_neuron_marks_both_minima():
    X, y = cl.toy("two_points")
    fig, ax = plots.one_neuron(X, y)
    marks = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(marks) == 2
    assert sorted(float(m.get_ydata()[0]) for m in marks) == [0.125, 0.5]


def test_arrangement_labels_every_pattern():
    X, _ = cl.toy("parallel_rows")
    fig, ax = plots.arrangement(X, direction=[1.0, -1.5])
    labels = {t.get_text() for t in ax.texts}
    assert {"000", "001", "110", "111"} <= labels
    assert "pattern 001" in ax.get_title()


def test_landscape_paths_end_where_descent_ends():
    X, y = cl.toy("two_neurons")
    paths, _ = landscape.descend_two_neurons(X, y, n_starts=3, steps=20)
    fig, ax = plots.two_neuron_landscape(X, y, paths=paths)
    ends = [line for line in ax.lines if line.get_marker() == "o"]
    assert np.allclose([e.get_xdata()[0] for e in ends], paths[:, -1, 0])


def test_counts_and_network_plots():
    fig, ax = plots.pattern_counts([4, 8, 16], [8, 16, 32], 2)
    assert len(ax.lines) == 3
    net = cl.TwoLayerNetwork(np.array([[1.0, -1.0], [0.5, 0.2]]), np.array([1.0, 2.0]))
    fig, ax = plots.network_1d(net, np.linspace(-1, 1, 5), np.zeros(5))
    kinks = [line for line in ax.lines if line.get_marker() == "^"][0]
    assert np.allclose(sorted(kinks.get_xdata()), [-0.5, 0.2])
    fig, ax = plots.objective_comparison(1.0, [2.0, 1.5])
    assert ax.lines[-1].get_ydata()[0] == 1.0
    fig, ax = plots.training_curves([[3, 2, 1]], reference=0.5)
    assert ax.get_yscale() == "log"

"""The explorers driven from Python, without a browser: move a control, check the state."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab.book.widgets import (  # noqa: E402
    ArrangementExplorer,
    LandscapeExplorer,
    RegularizationExplorer,
)


def test_arrangement_slider_changes_the_pattern_and_counts_what_it_finds():
    X, _ = cl.toy("parallel_rows")
    box = ArrangementExplorer(X).widget(angle=10)
    ex = box.explorer
    first = dict(ex.state)
    assert first["total"] == 4 and first["found"] == 1
    box.slider.value = 200  # the opposite side: the complementary pattern
    assert ex.state["pattern"] != first["pattern"]
    assert ex.state["found"] == 2
    for angle in range(0, 360, 5):
        box.slider.value = angle
    assert ex.state["found"] == 4
    assert "4 of 4 patterns found" in ex.pattern_list_html()


def test_arrangement_pattern_matches_the_direction():
    t = np.array([-1.0, 0.5, 2.0])
    ex = ArrangementExplorer(t[:, None], bias=True)
    s = ex.update(0.0)  # u = (1, 0): active where t >= 0
    assert s["pattern"] == "011" and list(s["active"]) == [1, 2]
    assert s["total"] == 6


def test_regularization_slider_changes_the_network():
    t = np.linspace(-1, 1, 10)
    ex = RegularizationExplorer(t, np.sin(3 * t), [1e-3, 1e-2, 1e-1, 1.0])
    box = ex.widget(beta=1e-3)
    small = dict(ex.state)
    box.slider.value = 1.0
    big = ex.state
    assert big["beta"] == 1.0 and big["neurons"] < small["neurons"]
    assert big["objective"] > small["objective"]
    assert len(small["breakpoints"]) >= len(big["breakpoints"])


def test_landscape_start_point_decides_the_minimum():
    X, y = cl.toy("two_neurons")
    box = LandscapeExplorer(X, y).widget(beta=0.0, w1=1.5, w2=0.5)
    ex = box.explorer
    assert np.isclose(ex.state["loss"], 0.5)  # both neurons on the right point
    _, s1, s2 = box.sliders
    s2.value = -0.5  # one neuron per point
    assert np.isclose(ex.state["loss"], 0.0, atol=1e-6)
    assert ex.state["start"] == (1.5, -0.5)
    box.sliders[0].value = 0.5  # weight decay moves the end point inwards
    assert ex.state["beta"] == 0.5 and abs(ex.state["end"]).max() < 2.0

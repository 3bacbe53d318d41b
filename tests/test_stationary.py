import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab.book import plots  # noqa: E402
from convexnn_lab.chapters import stationary


def sine_data(n=8):
    t = np.linspace(-1, 1, n)
    return cl.add_bias(t[:, None]), np.sin(3 * t)


def test_stationary_point_equals_the_program_on_its_patterns():
    # gradient descent from this seed converges (no kink) to a local minimum
    X, y = sine_data()
    net = cl.train_nonconvex(X, y, 4, 1e-2, optimizer="gd", lr=0.02, steps=30000, seed=6,
                             record_every=5000)
    r = stationary.stationarity_report(X, y, 1e-2, net)
    assert r.gradient_norm < 1e-4
    assert abs(r.relative_difference) < 1e-5


def test_the_theorem_holds_at_stationary_points_off_the_kinks_of_other_data():
    # gradient descent to points with a tiny gradient on data the chapter does not use; the
    # theorem's hypotheses are checked on each, then its conclusion
    rng = np.random.default_rng(7)
    checked = 0
    for seed in range(3):
        X = cl.add_bias(rng.uniform(-1, 1, (10, 1)))
        y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(10)
        net = cl.train_nonconvex(X, y, 3, 0.02, optimizer="gd", lr=0.02, steps=20000,
                                 seed=seed, record_every=20000)
        r = stationary.stationarity_report(X, y, 0.02, net)
        if r.gradient_norm > 1e-4 or r.kink_distance < 1e-3:
            continue  # not a point the theorem speaks of
        checked += 1
        assert abs(r.relative_difference) < 1e-6, (seed, r)
    assert checked >= 2, "no run reached a point the theorem speaks of"


def test_the_hypotheses_are_needed():
    # (a) the zero network: stationary, L = the program on no pattern, above the program on
    # the all-ones pattern its zero neurons would give
    X, y = sine_data()
    zero = cl.TwoLayerNetwork(np.zeros((2, 4)), np.zeros(4))
    r = stationary.stationarity_report(X, y, 1e-2, zero)
    assert r.gradient_norm == 0 and r.relative_difference == 0 and r.n_patterns == 0
    assert np.isclose(r.objective, 1.8204, atol=1e-4)
    ones = cl.solve_convex(X, y, 1e-2, np.ones((1, 8), dtype=bool)).objective
    assert np.isclose(ones, 0.9731, atol=1e-4)
    # (b) a neuron with a data point on its hyperplane, Clarke stationary: 0 lies between
    # the one-sided first-layer gradients, the output weight's is 0
    Xb = cl.add_bias(np.array([-1.0, 0.0, 1.0, 2.0])[:, None])
    net = cl.TwoLayerNetwork(np.array([[1.0], [0.0]]), np.array([1.0]))
    r_vec = np.array([0.3, 1.0, -1.1, 0.6])
    yb = net.predict(Xb) + r_vec
    for slope, expected in ((0.0, (0.0, 0.5)), (1.0, (0.0, -0.5))):
        D = np.array([0.0, slope, 1.0, 1.0])
        grad_w = -(Xb.T @ (D * r_vec)) + 0.1 * net.W1[:, 0]
        assert np.allclose(grad_w, expected)
    assert np.isclose(-(np.maximum(Xb @ net.W1[:, 0], 0) @ r_vec) + 0.1 * 1.0, 0.0)
    r = stationary.stationarity_report(Xb, yb, 0.1, net)
    assert r.kink_distance == 0 and np.isclose(r.objective, 1.43)
    assert np.isclose(r.program, 1.3355, atol=1e-4)
    assert stationary.classify_end_point(r) == "on a kink, above its program"


def test_alignment_reads_directions():
    parallel = cl.TwoLayerNetwork(np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]]),
                                  np.ones(3))
    assert np.isclose(stationary.alignment(parallel), (1 + 1 + 0) / 3)


def test_the_program_on_a_network_patterns_is_never_above_it():
    X, y = sine_data(10)
    rng = np.random.default_rng(0)
    for _ in range(4):
        net = cl.TwoLayerNetwork(rng.standard_normal((2, 3)), rng.standard_normal(3))
        sol = stationary.network_program(X, y, 0.05, net)
        assert sol.objective <= net.objective(X, y, 0.05) + 1e-9


def test_different_minima_solve_different_programs():
    X, y = sine_data()
    finals = {}
    for seed in (0, 6):
        net = cl.train_nonconvex(X, y, 4, 1e-2, optimizer="gd", lr=0.02, steps=8000,
                                 seed=seed, record_every=4000)
        finals[seed] = (net.objective(X, y, 1e-2), {tuple(p) for p in net.patterns(X)})
    assert abs(finals[0][0] - finals[6][0]) > 0.1
    assert finals[0][1] != finals[6][1]


def test_split_keeps_and_merge_never_raises_the_objective():
    X, y = sine_data()
    net = cl.solve_convex(X, y, 1e-2, cl.enumerate_patterns(X)).network()
    split = stationary.split_neuron(net, 1, fraction=0.25)
    assert split.width == net.width + 1
    assert np.allclose(split.predict(X), net.predict(X))
    assert np.isclose(split.objective(X, y, 1e-2), net.objective(X, y, 1e-2))
    merged = split.merge_neurons(X)
    assert merged.objective(X, y, 1e-2) <= split.objective(X, y, 1e-2) + 1e-12
    with pytest.raises(ValueError, match="fraction"):
        stationary.split_neuron(net, 0, fraction=1.0)
    with pytest.raises(ValueError, match="j must"):
        stationary.split_neuron(net, 99)


def test_small_initialization_aligns_neurons():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 10))
    y = X @ np.ones(10) / np.sqrt(10)
    small = stationary.pattern_history(X, y, 20, 1e-3, steps=300, checkpoints=3, lr=0.002,
                                       init_scale=0.001, solve=False)
    large = stationary.pattern_history(X, y, 20, 1e-3, steps=300, checkpoints=3, lr=0.002,
                                       init_scale=1.0, solve=False)
    assert small["unique_patterns"][0] == 20 and small["unique_patterns"][-1] <= 10
    assert large["unique_patterns"][-1] == 20
    fig, axes = plots.pattern_history({"small": small, "large": large})
    assert len(axes[0].lines) == 2
    # with programs: L and the current program per run, one dotted line for the shared
    # initial patterns (same seed, only the scale differs)
    small = stationary.pattern_history(X, y, 20, 1e-3, steps=20, checkpoints=2, lr=0.002,
                                       init_scale=0.001)
    large = stationary.pattern_history(X, y, 20, 1e-3, steps=20, checkpoints=2, lr=0.002,
                                       init_scale=1.0)
    _, axes = plots.pattern_history({"small": small, "large": large})
    dotted = [line for line in axes[1].lines if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and np.allclose(dotted[0].get_ydata(), small["program"][0])
    assert dotted[0].get_label() == "all runs: program on initial patterns"


def test_kink_distance_and_gradient_norm():
    X = cl.add_bias(np.array([[-1.0], [0.5], [2.0]]))
    on_point = cl.TwoLayerNetwork(np.array([[1.0], [-0.5]]), np.array([1.0]))
    assert stationary.kink_distance(on_point, X) == 0.0
    y = on_point.predict(X)
    assert cl.gradient_norm(on_point, X, y, 0.0) == 0.0


def test_classify_end_point_reads_the_report():
    def report(rel, kink):
        return stationary.StationarityReport(1.0, 1.0 - rel, rel, 0.1, kink, 3)

    assert stationary.classify_end_point(report(1e-5, 0.0)) == "matches its program"
    assert stationary.classify_end_point(report(0.05, 1e-4)) == "on a kink, above its program"
    assert stationary.classify_end_point(report(0.05, 0.3)).endswith("not stationary")
    # a real stationary point (seed 6 of the sine data, as above) is read as one
    X, y = sine_data()
    net = cl.train_nonconvex(X, y, 4, 1e-2, optimizer="gd", lr=0.02, steps=10000, seed=6,
                             record_every=5000)
    r = stationary.stationarity_report(X, y, 1e-2, net)
    assert stationary.classify_end_point(r) == "matches its program"
    with pytest.raises(ValueError, match="rtol"):
        stationary.classify_end_point(r, rtol=0)


def test_pattern_changes_counts_neurons_and_flips():
    X = cl.add_bias(np.array([[-1.0], [0.5], [2.0]]))
    a = cl.TwoLayerNetwork(np.array([[1.0, -1.0], [0.0, 0.0]]), np.ones(2))
    b = cl.TwoLayerNetwork(np.array([[1.0, 1.0], [0.0, 0.0]]), np.ones(2))
    assert stationary.pattern_changes(a, a, X) == (0, 0)
    # neuron 2: pattern 1[-t >= 0] = 100 becomes 1[t >= 0] = 011
    assert stationary.pattern_changes(a, b, X) == (1, 3)
    with pytest.raises(ValueError, match="same width"):
        stationary.pattern_changes(a, cl.TwoLayerNetwork(np.ones((2, 1)), np.ones(1)), X)

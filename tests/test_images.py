import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab.book import plots
from convexnn_lab.chapters import images  # noqa: E402
from convexnn_lab.core.patterns import conv_gates  # noqa: E402


def test_vector_output_equals_independent_scalar_solves():
    rng = np.random.default_rng(0)
    X = cl.add_bias(rng.standard_normal((30, 3)))
    labels = rng.integers(0, 3, 30)
    Y = images.one_hot(labels, 3)
    P = cl.sample_patterns(X, 10, seed=0)
    for solver, gated in (("cvxpy", False), ("fista", True)):
        vec = cl.solve_convex(X, Y, 0.2, P, gated=gated, solver=solver, progress=False)
        sep = [cl.solve_convex(X, Y[:, c], 0.2, P, gated=gated, solver=solver,
                               progress=False).objective for c in range(3)]
        assert np.isclose(vec.objective, sum(sep), rtol=1e-7)
        net = vec.network()
        assert net.w2.shape[1] == 3
        if not gated:
            assert np.isclose(net.objective(X, Y, 0.2), vec.objective, rtol=1e-6)
        assert 0 <= net.accuracy(X, labels) <= 1
    with pytest.raises(ValueError, match="softmax"):
        cl.solve_convex(X, np.sign(Y - 0.5), 0.2, P, loss="logistic")


def test_conv_gates_have_the_stated_support():
    G = conv_gates((3, 8, 8), 6, rng=0, patch=3)
    for k in range(6):
        block = G[:, k].reshape(3, 8, 8) != 0
        rows, cols = np.nonzero(block.any(axis=0))
        assert block.sum() == 27 and np.ptp(rows) == 2 and np.ptp(cols) == 2
    X = cl.add_bias(np.random.default_rng(1).standard_normal((10, 192)))
    P = cl.sample_patterns(X, 6, method="conv", image_shape=(3, 8, 8), seed=0)
    assert P.shape[1] == 10
    with pytest.raises(ValueError, match="image_shape"):
        cl.sample_patterns(X, 6, method="conv")
    with pytest.raises(ValueError, match="pixels"):
        cl.sample_patterns(X, 6, method="conv", image_shape=(1, 8, 8))


def test_chunked_products_give_the_same_iterates():
    rng = np.random.default_rng(2)
    X = cl.add_bias(rng.standard_normal((150, 4)))
    y = rng.standard_normal(150)
    P = cl.sample_patterns(X, 25, seed=2)
    full = cl.solve_convex(X, y, 0.5, P, gated=True, solver="fista", progress=False)
    chunk = cl.solve_convex(X, y, 0.5, P, gated=True, progress=False,
                            solver=cl.solvers.FISTA(chunk_rows=33))
    assert "chunks of 33 rows" in chunk.solver and "chunks" not in full.solver
    assert full.iterations == chunk.iterations
    assert np.allclose(full.U, chunk.U, atol=1e-12)


ADAM_LRS, SGD_LRS = (1e-3, 1e-2, 1e-1), (1e-5, 1e-4, 1e-3)


def _retrain(X, Y, width, beta, optimizer, lr, steps, checkpoints, batch):
    # the non-convex network of a run, retrained the way compare_training trains it:
    # `checkpoints` warm-started segments of steps // checkpoints updates, same seed
    net, seg = None, max(steps // checkpoints, 1)
    for _ in range(checkpoints):
        net = cl.train_nonconvex(X, Y, width, beta, optimizer=optimizer, lr=lr, steps=seg,
                                 batch_size=batch, seed=0, init=net, record_every=seg)
    return net


def _scores(X, Y, labels, fit, val, width, beta, optimizer, lr, steps, checkpoints, batch):
    # validation accuracy and half squared error of one rate, trained on the fit rows
    # with the weight decay scaled to them
    try:
        net = _retrain(X[fit], Y[fit], width, beta * len(fit) / len(X), optimizer, lr, steps,
                       checkpoints, batch)
    except FloatingPointError:
        return np.nan, np.nan
    out = net.predict(X[val])
    return (np.mean(out.argmax(axis=1) == labels[val]), 0.5 * np.sum((out - Y[val]) ** 2))


def test_validation_split_is_a_seeded_partition():
    fit, val = cl.datasets.validation_split(40, 0.25, seed=3)
    assert len(val) == 10 and len(fit) == 30
    assert sorted(np.concatenate([fit, val])) == list(range(40))
    again = cl.datasets.validation_split(40, 0.25, seed=3)
    assert np.array_equal(again[1], val)
    assert not np.array_equal(cl.datasets.validation_split(40, 0.25, seed=4)[1], val)
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="validation"):
            cl.datasets.validation_split(40, bad, name="validation")
    with pytest.raises(ValueError, match="keeps both"):
        cl.datasets.validation_split(2, 0.1)


def test_learning_rate_is_chosen_on_validation_rows_only():
    data = images.image_data("digits", n_train=60, n_test=40)
    X = cl.add_bias(data.X_train)
    Y = images.one_hot(data.y_train, 10)
    beta, width, steps = 5.0, 6, 40
    # 1e3 diverges: it must score NaN, not stop the search or win it
    grid = (1e-6, 1e-4, 1e-3, 1e3)
    search = images.tune_learning_rate(X, Y, data.y_train, width, beta, optimizer="sgd",
                                       lrs=grid, steps=steps, batch_size=32, validation=0.25,
                                       seed=0)
    fit, val = cl.datasets.validation_split(60, 0.25, seed=0)
    assert (search.n_fit, search.n_validation) == (len(fit), len(val))
    expected = [_scores(X, Y, data.y_train, fit, val, width, beta, "sgd", lr, steps, 1, 32)
                for lr in grid]
    assert np.isnan(search.validation_accuracy[-1]) and np.isnan(search.validation_error[-1])
    assert np.allclose(search.validation_accuracy[:3], [e[0] for e in expected[:3]])
    assert np.allclose(search.validation_error[:3], [e[1] for e in expected[:3]])
    # the chosen rate: best validation accuracy, ties to the lower error
    best = min(range(3), key=lambda k: (-expected[k][0], expected[k][1]))
    assert search.chosen == grid[best]
    assert search.interior == (0 < best < len(grid) - 1)
    with pytest.raises(ValueError, match="increasing"):
        images.tune_learning_rate(X, Y, data.y_train, width, beta, lrs=(1e-2, 1e-3))
    with pytest.raises(FloatingPointError, match="every learning rate"):
        images.tune_learning_rate(X, Y, data.y_train, width, beta, optimizer="sgd",
                                  lrs=(1e3, 1e4), steps=steps, batch_size=32)
    edge = images.LrSearch("adam", (1.0, 2.0, 3.0), (0.5,) * 3, (1.0,) * 3, 3.0, 5, 5)
    assert not edge.interior and images.LrSearch(
        "adam", (1.0, 2.0, 3.0), (0.5,) * 3, (1.0,) * 3, 2.0, 5, 5).interior


def test_comparison_reports_what_its_models_achieve_on_tiny_digits():
    data = images.image_data("digits", n_train=60, n_test=40)
    beta, tol, width, steps, checkpoints = 5.0, 1e-3, 6, 40, 2
    runs = images.compare_training(data, n_patterns=width, relu_patterns=2, beta=beta,
                                   steps=steps, checkpoints=checkpoints, tol=tol,
                                   budgets=(25, 50), adam_lrs=ADAM_LRS, sgd_lrs=SGD_LRS,
                                   device="cpu", validation=0.25)
    gated, relu, adam, sgd = runs
    # a method left out, run twice, or reported in another order
    assert gated.method == f"convex gated ReLU, FISTA, {width} conv gates"
    assert relu.method.startswith("convex ReLU, 2 patterns (")
    assert adam.method.startswith("non-convex, adam (")
    assert sgd.method.startswith("non-convex, sgd (")
    assert all(r.device == "cpu" for r in runs)

    X, Xte = cl.add_bias(data.X_train), cl.add_bias(data.X_test)
    Y = images.one_hot(data.y_train, 10)
    P, G = cl.sample_patterns(X, width, method="conv", image_shape=data.image_shape, seed=0,
                              return_directions=True)

    # the gated program: FISTA's objective within its certified gap of the exact optimum
    # (a gap certified against another program, a missing penalty term, another beta)
    exact = cl.solve_convex(X, Y, beta, P, gated=True, solver="cvxpy", progress=False)
    assert exact.objective * (1 - 1e-7) <= gated.objective <= exact.objective * (1 + tol)
    status, count = gated.note.split("; ")
    assert status == "optimal, gap <= tol: True"
    # one neuron per nonzero (gate, class) block, at most width x classes of them
    k = int(count.split()[0])
    assert 0 < k <= 10 * width
    assert count == f"{k} neurons (nonzero blocks of {width} gates x 10 classes, one class each)"
    # train and test accuracy swapped, or scored against the wrong labels; one point may
    # flip between two solutions this close, hence the tolerance of one sample
    train = np.mean(exact.predict().argmax(axis=1) == data.y_train)
    test = np.mean(images.gated_predict(Xte, G, exact).argmax(axis=1) == data.y_test)
    assert abs(gated.train_accuracy - train) <= 1 / len(data.y_train)
    assert abs(gated.test_accuracy - test) <= 1 / len(data.y_test)
    assert gated.tuning is None and relu.tuning is None
    # the gated model as a ReLU network: the same outputs on the training rows at a
    # penalty no lower (cone decompositions), so its L is at least the gated objective
    # (the run warm-starts through budgets 25 and 50: the same point up to its tolerance)
    fista = cl.solve_convex(X, Y, beta, P, gated=True, solver="fista", tol=tol,
                            max_iter=50, progress=False)
    mapped = fista.network()
    assert np.allclose(mapped.predict(X), fista.predict(), atol=1e-6)
    assert gated.relu_objective >= gated.objective * (1 - 1e-9)
    assert np.isclose(gated.relu_objective, mapped.objective(X, Y, beta), rtol=tol)
    assert gated.relu_width >= k

    # the ReLU program on the first patterns: same objective and accuracies as its network
    sol = cl.solve_convex(X, Y, beta, P[:2], progress=False)
    net = sol.network()
    assert np.isclose(relu.objective, sol.objective, rtol=1e-9)
    assert np.isclose(relu.objective, net.objective(X, Y, beta), rtol=1e-6)
    assert (relu.train_accuracy, relu.test_accuracy) == \
        (net.accuracy(X, data.y_train), net.accuracy(Xte, data.y_test))
    assert relu.note == "optimal, gap <= 1e-6: True"
    assert np.isclose(relu.relu_objective, relu.objective, rtol=1e-6)
    assert relu.relu_width == net.width
    # the cone constraints only restrict: gated ReLU on more gates cannot do worse (a
    # program solved on other data, or the gated run reporting a worse iterate)
    assert gated.objective <= relu.objective * (1 + tol)

    # the non-convex runs: the rate chosen on the validation rows (never on the test
    # set), then the network retrained at that rate on all training rows
    for run, opt, lrs, batch in ((adam, "adam", ADAM_LRS, None), (sgd, "sgd", SGD_LRS, 128)):
        search = run.tuning
        assert search.optimizer == opt and search.grid == lrs
        assert search == images.tune_learning_rate(
            X, Y, data.y_train, width, beta, optimizer=opt, lrs=lrs, steps=steps,
            checkpoints=checkpoints, batch_size=batch, validation=0.25, seed=0)
        assert f"lr={search.chosen:g} chosen on validation" in run.method
        final = _retrain(X, Y, width, beta, opt, search.chosen, steps, checkpoints, batch)
        assert np.isclose(run.objective, final.objective(X, Y, beta), rtol=1e-9)
        assert (run.train_accuracy, run.test_accuracy) == \
            (final.accuracy(X, data.y_train), final.accuracy(Xte, data.y_test))
        assert run.note == f"{width} neurons, each feeding all 10 classes"
        assert len(run.curve) == checkpoints
        # the best iterate: L at every step of the same run (its last step included)
        hist, seg, net = [], steps // checkpoints, None
        for _ in range(checkpoints):
            net = cl.train_nonconvex(X, Y, width, beta, optimizer=opt, lr=search.chosen,
                                     steps=seg, batch_size=batch, seed=0, init=net,
                                     record_every=1)
            hist += net.history
        assert np.isclose(run.relu_objective, min(hist), rtol=1e-12)
        assert run.relu_objective <= run.objective and run.relu_width == width
        assert np.isclose(hist[-1], run.objective, rtol=1e-12)
        # the search of the rate is part of the time
        assert 0 < search.seconds < run.curve[0][0] <= run.seconds

    for run in runs:
        assert 0 <= run.train_accuracy <= 1 and 0 <= run.test_accuracy <= 1
        # the curve ends where the run ends (its last point is the reported result) and
        # its clock only moves forward
        assert run.curve[-1] == (run.seconds, run.train_accuracy, run.test_accuracy)
        times = [c[0] for c in run.curve]
        assert times == sorted(times) and times[0] > 0

    _, axes = plots.accuracy_vs_time(runs)
    # a curve drawn against another run's times, or train and test panels swapped
    for ax, k in zip(axes, (1, 2)):
        assert [line.get_label() for line in ax.lines] == [r.method for r in runs]
        for line, run in zip(ax.lines, runs):
            assert list(line.get_xdata()) == [c[0] for c in run.curve]
            assert list(line.get_ydata()) == [c[k] for c in run.curve]
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "wall time (s)"
    assert [ax.get_ylabel() for ax in axes] == ["train accuracy", "test accuracy"]


def test_optimizer_sensitivity_reports_each_setting_and_the_spreads():
    data = images.image_data("digits", n_train=60, n_test=40)
    width, beta, steps = 6, 5.0, 30
    convex_settings = (dict(solver="fista", tol=1e-4), dict(solver="fista", tol=1e-6,
                                                           start=10.0),
                       dict(solver="ipm", tol=1e-8))
    adam_settings = (dict(lr=1e-2, seed=0, batch_size=None), dict(lr=1e-3, seed=1,
                                                                   batch_size=20))
    sens = images.optimizer_sensitivity(data, n_patterns=width, beta=beta, steps=steps,
                                        convex_settings=convex_settings,
                                        adam_settings=adam_settings, gate_seeds=(1,))
    assert sens.models == ["convex", "adam", "other gates"]
    convex = [r for r in sens.rows if r.model == "convex"]
    adam = [r for r in sens.rows if r.model == "adam"]
    gates = [r for r in sens.rows if r.model == "other gates"]
    assert [r.setting for r in convex] == ["solver=fista, tol=0.0001",
                                           "solver=fista, tol=1e-06, start=10",
                                           "solver=ipm, tol=1e-08"]
    assert [r.setting for r in gates] == ["gate_seed=0", "gate_seed=1"]

    X = cl.add_bias(data.X_train)
    Y = images.one_hot(data.y_train, 10)
    P = cl.sample_patterns(X, width, method="conv", image_shape=data.image_shape, seed=0)
    exact = cl.solve_convex(X, Y, beta, P, gated=True, solver="cvxpy", progress=False)
    # every convex setting is certified: within its tolerance of the one optimum
    for r, tol in zip(convex, (1e-4, 1e-6, 1e-8)):
        assert exact.objective * (1 - 1e-6) <= r.objective <= exact.objective * (1 + tol)
        assert r.note.startswith("optimal")
        assert r.train_accuracy == np.mean(exact.predict().argmax(axis=1) == data.y_train)
    assert sens.convex_spread <= 1e-4
    # Adam's rows are the networks those settings train
    for r, setting in zip(adam, adam_settings):
        net = cl.train_nonconvex(X, Y, width, beta, optimizer="adam", steps=steps,
                                 record_every=steps, **setting)
        assert np.isclose(r.objective, net.objective(X, Y, beta), rtol=1e-9)
        assert r.train_accuracy == net.accuracy(X, data.y_train)
    objs = [r.objective for r in adam]
    assert np.isclose(sens.adam_spread, (max(objs) - min(objs)) / min(objs))
    assert sens.adam_spread > 10 * sens.convex_spread
    # the reference row of each model is its lowest objective, so its change is 0
    for rows in (convex, adam, gates):
        assert min(rows, key=lambda r: r.objective).prediction_change == 0
        assert all(r.prediction_change >= 0 for r in rows)
    # another draw of the gates is another program: its own optimum
    P1 = cl.sample_patterns(X, width, method="conv", image_shape=data.image_shape, seed=1)
    other = cl.solve_convex(X, Y, beta, P1, gated=True, solver="cvxpy", progress=False)
    assert np.isclose(gates[1].objective, other.objective, rtol=1e-6)
    assert gates[0].objective == convex[0].objective
    with pytest.raises(ValueError, match="no rows for model"):
        sens.spread("sgd")


def test_vector_network_accuracy_and_scalar_only_methods():
    net = cl.TwoLayerNetwork(np.eye(2), np.array([[1.0, 0.0], [0.0, 1.0]]))
    X = np.array([[2.0, 0.1], [0.1, 3.0]])
    assert net.accuracy(X, [0, 1]) == 1.0
    with pytest.raises(ValueError, match="scalar-output"):
        net.merge_neurons(X)


def test_streaming_from_host_memory_gives_the_same_iterates():
    from convexnn_lab.solvers import SolveOptions, first_order

    rng = np.random.default_rng(3)
    X = cl.add_bias(rng.standard_normal((120, 3)))
    y = rng.standard_normal(120)
    P = cl.sample_patterns(X, 20, seed=3)
    program = cl.ConvexProgram(X, y, 0.5, P, gated=True)
    options = SolveOptions(progress=False)
    ref = first_order.solve(program, options)
    streamed = first_order.solve(program, options, chunk_rows=25, stream=True)
    assert streamed.streamed and streamed.chunk_rows == 25
    assert streamed.iterations == ref.iterations
    assert np.allclose(streamed.U, ref.U, atol=1e-12)
    with pytest.raises(ValueError, match="gated"):
        first_order.solve(cl.ConvexProgram(X, y, 0.5, P), options, stream=True)


def test_patch_matrix_holds_every_filter_response():
    rng = np.random.default_rng(5)
    X = cl.add_bias(rng.standard_normal((4, 2 * 6 * 5)))
    Z = images.patch_matrix(X, (2, 6, 5), patch=3)
    assert Z.shape == (4 * 4 * 3, 18)
    # a conv gate (one filter on one patch) gives the responses of one row per image
    G = cl.patterns.conv_gates((2, 6, 5), 7, d=X.shape[1], rng=1)
    for g in G.T:
        block = g[:-1].reshape(2, 6, 5)
        rows, cols = np.nonzero(np.abs(block).sum(axis=0))
        i, j = rows.min(), cols.min()
        f = block[:, i:i + 3, j:j + 3].ravel()
        at = Z.reshape(4, 4, 3, 18)[:, i, j]  # image, position row, column
        assert np.allclose(at @ f, X @ g)
    # its rank, hence the count of a filter's patterns, is bounded by the filter size
    assert np.linalg.matrix_rank(images.patch_matrix(rng.standard_normal((50, 64)),
                                                     (1, 8, 8))) == 9
    with pytest.raises(ValueError, match="shape"):
        images.patch_matrix(X[:, :10], (2, 6, 5))
    with pytest.raises(ValueError, match="does not fit"):
        images.patch_matrix(X, (2, 6, 5), patch=6)

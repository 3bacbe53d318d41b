import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab import images, plots  # noqa: E402
from convexnn_lab.patterns import conv_gates  # noqa: E402


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
    chunk = cl.solve_convex(X, y, 0.5, P, gated=True, solver="fista", progress=False,
                            chunk_rows=33)
    assert "chunks of 33 rows" in chunk.solver and "chunks" not in full.solver
    assert full.iterations == chunk.iterations
    assert np.allclose(full.U, chunk.U, atol=1e-12)


# the best rate of each grid comes first, so a run that kept the last rate tried is seen
ADAM_LRS, SGD_LRS = (1e-2, 1e-3), (1e-4, 1e-5)


def _retrain(X, Y, width, beta, optimizer, lr, steps, checkpoints, batch):
    # the non-convex network of a run, retrained the way compare_training trains it:
    # `checkpoints` warm-started segments of steps // checkpoints updates, same seed
    net, seg = None, max(steps // checkpoints, 1)
    for _ in range(checkpoints):
        net = cl.train_nonconvex(X, Y, width, beta, optimizer=optimizer, lr=lr, steps=seg,
                                 batch_size=batch, seed=0, init=net, record_every=seg)
    return net


def test_comparison_reports_what_its_models_achieve_on_tiny_digits():
    data = images.image_data("digits", n_train=60, n_test=40)
    beta, tol, width, steps, checkpoints = 5.0, 1e-3, 6, 40, 2
    runs = images.compare_training(data, n_patterns=width, relu_patterns=2, beta=beta,
                                   steps=steps, checkpoints=checkpoints, tol=tol,
                                   budgets=(25, 50), adam_lrs=ADAM_LRS, sgd_lrs=SGD_LRS,
                                   device="cpu")
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
    assert gated.note == "optimal, gap <= tol: True"
    # train and test accuracy swapped, or scored against the wrong labels; one point may
    # flip between two solutions this close, hence the tolerance of one sample
    train = np.mean(exact.predict().argmax(axis=1) == data.y_train)
    test = np.mean(images.gated_predict(Xte, G, exact).argmax(axis=1) == data.y_test)
    assert abs(gated.train_accuracy - train) <= 1 / len(data.y_train)
    assert abs(gated.test_accuracy - test) <= 1 / len(data.y_test)

    # the ReLU program on the first patterns: same objective and accuracies as its network
    sol = cl.solve_convex(X, Y, beta, P[:2], progress=False)
    net = sol.network()
    assert np.isclose(relu.objective, sol.objective, rtol=1e-9)
    assert np.isclose(relu.objective, net.objective(X, Y, beta), rtol=1e-6)
    assert (relu.train_accuracy, relu.test_accuracy) == \
        (net.accuracy(X, data.y_train), net.accuracy(Xte, data.y_test))
    assert relu.note == "optimal, gap <= 1e-6: True"
    # the cone constraints only restrict: gated ReLU on more gates cannot do worse (a
    # program solved on other data, or the gated run reporting a worse iterate)
    assert gated.objective <= relu.objective * (1 + tol)

    # the non-convex runs: the objective and accuracies of the network with the lr
    # reported as best (not the last lr tried, not the objective of the other one)
    for run, opt, lrs, batch in ((adam, "adam", ADAM_LRS, None), (sgd, "sgd", SGD_LRS, 128)):
        nets = {lr: _retrain(X, Y, width, beta, opt, lr, steps, checkpoints, batch)
                for lr in lrs}
        best = min(lrs, key=lambda lr: nets[lr].objective(X, Y, beta))
        assert f"best lr={best:g}" in run.method
        assert np.isclose(run.objective, nets[best].objective(X, Y, beta), rtol=1e-9)
        assert (run.train_accuracy, run.test_accuracy) == \
            (nets[best].accuracy(X, data.y_train), nets[best].accuracy(Xte, data.y_test))
        assert run.note == f"width {width}"
        assert len(run.curve) == checkpoints

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
    streamed = first_order.solve(program, SolveOptions(progress=False, chunk_rows=25),
                                 stream=True)
    assert streamed.streamed and streamed.chunk_rows == 25
    assert streamed.iterations == ref.iterations
    assert np.allclose(streamed.U, ref.U, atol=1e-12)
    with pytest.raises(ValueError, match="gated"):
        first_order.solve(cl.ConvexProgram(X, y, 0.5, P), options, stream=True)

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


def test_comparison_runs_on_tiny_digits():
    data = images.image_data("digits", n_train=60, n_test=40)
    runs = images.compare_training(data, n_patterns=6, relu_patterns=2, beta=5.0, steps=40,
                                   checkpoints=2, tol=1e-3, budgets=(25, 50))
    assert [r.method.split(",")[0] for r in runs] == [
        "convex gated ReLU", "convex ReLU", "non-convex", "non-convex"]
    assert all(0 <= r.test_accuracy <= 1 and r.curve for r in runs)
    fig, axes = plots.accuracy_vs_time(runs)
    assert len(axes[1].lines) == 4


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

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.chapters import landscape


def test_network_objective_matches_formula():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((7, 3)), rng.standard_normal(7)
    net = cl.TwoLayerNetwork(rng.standard_normal((3, 4)), rng.standard_normal(4))
    f = np.maximum(X @ net.W1, 0) @ net.w2
    want = 0.5 * np.sum((f - y) ** 2) + 0.05 * (np.sum(net.W1**2) + np.sum(net.w2**2))
    assert np.isclose(net.objective(X, y, 0.1), want)
    labels = np.where(y > 0, 1.0, -1.0)
    assert net.accuracy(X, labels) == np.mean(np.where(f >= 0, 1.0, -1.0) == labels)
    bal = net.balanced()
    assert np.allclose(bal.predict(X), net.predict(X))
    assert bal.objective(X, y, 0.1) <= net.objective(X, y, 0.1) + 1e-12


def test_train_nonconvex_decreases_and_is_seeded():
    X = cl.add_bias(np.linspace(-1, 1, 10)[:, None])
    y = np.abs(np.linspace(-1, 1, 10))
    for opt in ("adam", "gd", "sgd"):
        net = cl.train_nonconvex(X, y, 5, 1e-3, optimizer=opt, lr=0.02, steps=300,
                                 seed=1, batch_size=4 if opt == "sgd" else None)
        assert net.history[-1] < net.history[0]
        assert np.isclose(net.history[-1], net.objective(X, y, 1e-3))
    a = cl.train_nonconvex(X, y, 5, 1e-3, steps=50, seed=3)
    b = cl.train_nonconvex(X, y, 5, 1e-3, steps=50, seed=3)
    assert np.array_equal(a.W1, b.W1)


def test_keep_best_returns_the_lowest_iterate_and_leaves_the_default_alone():
    X = cl.add_bias(np.linspace(-1, 1, 10)[:, None])
    y = np.abs(np.linspace(-1, 1, 10))
    # Adam overshoots here: its lowest objective is at step 59 of 60, not at the end
    last = cl.train_nonconvex(X, y, 5, 1e-3, lr=0.05, steps=60, seed=1)
    best = cl.train_nonconvex(X, y, 5, 1e-3, lr=0.05, steps=60, seed=1, keep_best=True)
    assert best.history == last.history  # the same run, recorded at every step
    k = int(np.argmin(best.history))
    assert k == 59 and best.history[k] < last.history[-1]
    assert np.isclose(best.objective(X, y, 1e-3), min(best.history), rtol=1e-12)
    assert np.isclose(last.objective(X, y, 1e-3), last.history[-1], rtol=1e-12)
    # the returned weights are those after k steps of the same run
    again = cl.train_nonconvex(X, y, 5, 1e-3, lr=0.05, steps=k, seed=1)
    assert np.array_equal(again.W1, best.W1) and np.array_equal(again.w2, best.w2)
    # recording every 7 steps: the best of the recorded iterates (0, 7, ..., 56 and 60)
    sparse = cl.train_nonconvex(X, y, 5, 1e-3, lr=0.05, steps=60, seed=1, record_every=7,
                                keep_best=True)
    assert len(sparse.history) == 10
    assert np.isclose(sparse.objective(X, y, 1e-3), min(sparse.history), rtol=1e-12)
    with pytest.raises(TypeError, match="keep_best"):
        cl.train_nonconvex(X, y, 5, 1e-3, steps=5, keep_best="yes")


def test_minibatch_history_records_the_full_objective():
    # minibatch steps see 4 of 10 rows; the history is L on all rows at each recorded step
    X = cl.add_bias(np.linspace(-1, 1, 10)[:, None])
    y = np.abs(np.linspace(-1, 1, 10))
    net = cl.train_nonconvex(X, y, 5, 1e-3, lr=0.05, steps=12, batch_size=4, seed=2,
                             keep_best=True)
    k = int(np.argmin(net.history))
    assert np.isclose(net.objective(X, y, 1e-3), net.history[k], rtol=1e-12)
    at_k = cl.train_nonconvex(X, y, 5, 1e-3, lr=0.05, steps=k, batch_size=4, seed=2)
    assert np.isclose(at_k.objective(X, y, 1e-3), net.history[k], rtol=1e-12)


def test_lbfgs_needs_no_learning_rate_and_records_in_chunks():
    X = cl.add_bias(np.linspace(-1, 1, 10)[:, None])
    y = np.abs(np.linspace(-1, 1, 10))
    # the line search picks every step: a learning rate that would ruin gd is not used
    nets = [cl.train_nonconvex(X, y, 5, 1e-3, optimizer="lbfgs", lr=lr, steps=60, seed=0,
                               record_every=every) for lr, every in ((1e6, 60), (1e-9, 7))]
    for net in nets:
        assert net.history[-1] < 0.001 * net.history[0]
        assert np.isclose(net.history[-1], net.objective(X, y, 1e-3))
        assert cl.gradient_norm(net, X, y, 1e-3) < 1e-3
    # recording every 7 iterations (9 calls, the last of 4) follows the same iterates, up
    # to round-off (each call evaluates its start afresh)
    assert len(nets[0].history) == 2 and len(nets[1].history) == 10
    assert np.isclose(nets[0].history[-1], nets[1].history[-1], rtol=1e-8, atol=0)
    with pytest.raises(ValueError, match="optimizer='lbfgs' is full batch"):
        cl.train_nonconvex(X, y, 5, 1e-3, optimizer="lbfgs", batch_size=4)


def test_two_neuron_valleys_are_segments_of_minimizers_but_not_their_ends():
    X, y = cl.toy("two_neurons")
    valleys = landscape.two_neuron_valleys(X, y)
    assert [(w, v) for w, v in valleys] == [(2.0, 0.5), (-1.0, 2.0)]
    rng = np.random.default_rng(0)
    for w, value in valleys:
        t = rng.uniform(0.05, 0.95, 20)  # strict splits w1 + w2 = w
        w1, w2 = t * w, (1 - t) * w
        assert np.allclose(landscape.two_neuron_loss(w1, w2, X, y), value)
        # no small step from a split lowers the loss: a local minimum
        for d in rng.standard_normal((50, 2)) * 1e-3:
            assert np.all(landscape.two_neuron_loss(w1 + d[0], w2 + d[1], X, y) >= value - 1e-12)
        # at the end (w, 0) the zero neuron turns to the other side and the loss drops
        assert landscape.two_neuron_loss(w, -0.1 * np.sign(w), X, y) < value


def test_chapter0_landscape_facts():
    X, y = cl.toy("two_points")
    values = sorted(v for _, v in landscape.one_neuron_minima(X, y))
    assert np.allclose(values, [0.5 * y[1] ** 2, 0.5 * y[0] ** 2])
    X2, y2 = cl.toy("two_neurons")
    _, final = landscape.descend_two_neurons(X2, y2, n_starts=30, seed=0)
    assert set(np.round(final, 3)) == {0.0, 0.5, 2.0}
    grid = np.linspace(-3, 3, 60001)
    for lam in (0.0, 0.8, 2.5):
        best = grid[np.argmin(landscape.product_convex_loss(grid, lam))]
        assert abs(landscape.product_minimizer(lam) - best) < 1e-3
    z = np.linspace(-3, 3, 13)
    assert np.allclose(landscape.product_loss(*landscape.product_map(z), 0.7),
                       landscape.product_convex_loss(z, 0.7))
    w = np.array([0.4, -0.9])
    eps = 1e-6
    num = [(landscape.two_neuron_loss(*(w + eps * e), X2, y2)
            - landscape.two_neuron_loss(*(w - eps * e), X2, y2)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose(landscape.two_neuron_grad(w, X2, y2), num, atol=1e-6)


def knot_data():
    t = np.linspace(-1, 1, 8)
    X = cl.add_bias(t[:, None])
    y = np.sin(3 * t)
    sol = cl.solve_convex(X, y, 1e-2, cl.enumerate_patterns(X))
    return X, y, sol.network().merge_neurons(X)


def test_merge_neurons_merges_copies_that_differ_at_a_point_on_their_knot():
    X, y, net = knot_data()
    # a data point exactly on the knot of neuron 0
    knot = -net.W1[1, 0] / net.W1[0, 0]
    Xk = np.vstack([X, [knot, 1.0]])
    yk = np.append(y, np.sin(3 * knot))
    e = Xk[-1] / np.linalg.norm(Xk[-1])
    cols, outs = [], []
    for j in range(net.width):
        w, a = net.W1[:, j], net.w2[j]
        if j in (0, 2):
            # two balanced halves, tilted by 1e-10 to either side of the point
            tilt = 1e-10 * np.linalg.norm(w) * e
            cols += [(w + tilt) / np.sqrt(2), (w - tilt) / np.sqrt(2)]
            outs += [a / np.sqrt(2), a / np.sqrt(2)]
        else:
            cols.append(w)
            outs.append(a)
    dup = cl.TwoLayerNetwork(np.column_stack(cols), np.array(outs))
    assert dup.width == net.width + 2
    assert not np.array_equal(*dup.neuron_patterns(Xk)[:2])  # the copies' patterns differ
    merged = dup.merge_neurons(Xk)
    assert merged.width == net.width
    before = net.objective(Xk, yk, 1e-2)
    assert merged.objective(Xk, yk, 1e-2) <= before * (1 + 1e-9)
    assert np.isclose(merged.objective(Xk, yk, 1e-2), before, rtol=1e-9)
    # no two neurons left with one direction and one output sign
    E = merged.W1 / np.linalg.norm(merged.W1, axis=0)
    for j in range(merged.width):
        for k in range(j + 1, merged.width):
            same_sign = np.sign(merged.w2[j]) == np.sign(merged.w2[k])
            assert not (same_sign and np.linalg.norm(E[:, j] - E[:, k]) <= 1e-6)
    for tol in (-1e-9, 1e-3, float("nan")):
        with pytest.raises(ValueError, match=r"tol must lie in \[0, 1e-06\]"):
            dup.merge_neurons(Xk, tol=tol)


def test_merge_neurons_keeps_truly_different_neurons():
    X, y, _ = knot_data()
    t0 = X[3, 0]
    W1 = np.array([
        [1.0, -t0],  # ramp up from the data point t0
        [-1.0, t0],  # ramp down to t0: same knot, opposite direction, same output sign
        [1.0, -t0 + 1e-3],  # knots 1e-3 either side of t0: different patterns
        [1.0, -t0 - 1e-3],
        [1.0, -0.5],  # one direction, opposite output signs
        [1.0, -0.5],
    ]).T
    w2 = np.array([1.0, 1.0, -0.5, -0.5, 0.7, -0.2])
    net = cl.TwoLayerNetwork(W1, w2).balanced()
    merged = net.merge_neurons(X)
    assert merged.width == net.width
    assert np.allclose(merged.predict(X), net.predict(X), rtol=0, atol=1e-12)
    assert np.isclose(merged.objective(X, y, 1e-2), net.objective(X, y, 1e-2), rtol=1e-12)


def test_merge_neurons_merges_what_a_solver_returns_at_a_knot_on_a_data_point():
    # chapter 2's path: at beta = 0.1 the optimum of sin(3t) on 8 points has its knots at
    # the data points t = +-3/7, and the solvers return each neuron as two blocks whose
    # directions differ by 2e-9 to 5e-9 (once reported as 8 neurons; there are 4)
    t = np.linspace(-1, 1, 8)
    X, y = cl.add_bias(t[:, None]), np.sin(3 * t)
    P = cl.enumerate_patterns(X)
    for solver in ("cvxpy", "ipm"):
        sol = cl.solve_convex(X, y, 0.1, P, solver=solver, progress=False)
        net = sol.network()
        merged = net.merge_neurons(X)
        assert net.width == 8 and merged.width == 4
        assert np.isclose(merged.objective(X, y, 0.1), sol.objective, rtol=1e-7)
        knots = np.sort(-merged.W1[1] / merged.W1[0])
        assert np.allclose(knots, [-3 / 7, -3 / 7, 3 / 7, 3 / 7], atol=1e-6)



def test_an_output_of_round_off_size_counts_as_zero_when_classifying():
    # a point on the neuron's hyperplane gets -1e-17 instead of 0: both count as +1, as
    # in the accuracy; a small output far above round-off keeps its sign
    net = cl.TwoLayerNetwork(np.array([[1.0], [0.0]]), np.array([-1.0]))
    X = np.array([[2.0, 1.0], [1e-17, 1.0], [0.0, 1.0], [1e-6, 1.0]])
    assert net.classify(X).tolist() == [-1.0, 1.0, 1.0, -1.0]
    assert net.accuracy(X, [-1.0, 1.0, 1.0, -1.0]) == 1.0
    with pytest.raises(ValueError, match="scalar output"):
        cl.TwoLayerNetwork(np.eye(2), np.eye(2)).classify(X[:, :2])


def test_accuracy_refuses_labels_other_than_plus_minus_one():
    # 0/1 labels would silently score only the +1 predictions
    net = cl.TwoLayerNetwork(np.array([[1.0, -1.0], [0.0, 0.0]]), np.array([1.0, -1.0]))
    X = np.array([[1.0, 1.0], [-1.0, 1.0]])  # f(x) = x_1
    assert net.accuracy(X, [1, -1]) == 1.0
    with pytest.raises(ValueError, match=r"labels must be -1 or \+1.*\[0\.0\].*np\.where"):
        net.accuracy(X, [1, 0])


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "absolute"])
@pytest.mark.parametrize("outputs", [None, 3])
def test_to_torch_predicts_what_the_network_predicts(activation, outputs):
    import torch

    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 4))
    w2 = rng.standard_normal(6 if outputs is None else (6, outputs))
    net = cl.TwoLayerNetwork(rng.standard_normal((5, 6)), w2, activation=activation, alpha=0.1)
    head = net.to_torch(bias_column=True, dtype=torch.float64)  # takes X without the ones
    out = head(torch.as_tensor(X)).detach().numpy()
    assert out.shape == net.predict(cl.add_bias(X)).shape
    assert np.allclose(out, net.predict(cl.add_bias(X)), atol=1e-12)
    plain = net.to_torch()  # float32, X with its bias column
    assert plain(torch.as_tensor(cl.add_bias(X), dtype=torch.float32)).dtype == torch.float32
    assert np.allclose(plain(torch.as_tensor(cl.add_bias(X), dtype=torch.float32)).detach(),
                       net.predict(cl.add_bias(X)), atol=1e-4)
    with pytest.raises(TypeError, match="bias_column"):
        net.to_torch(bias_column="yes")

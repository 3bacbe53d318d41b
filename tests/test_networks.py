import numpy as np

import convexnn_lab as cl
from convexnn_lab import landscape


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

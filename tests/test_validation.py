"""Every public entry point rejects bad input with an error naming the argument."""

import numpy as np
import pytest

import convexnn_lab as cl

X = cl.add_bias(np.random.default_rng(0).standard_normal((6, 1)))
y = np.random.default_rng(1).standard_normal(6)
P = cl.enumerate_patterns(X)
nan_X = X.copy()
nan_X[0, 0] = np.nan
inf_y = y.copy()
inf_y[2] = np.inf

CASES = [
    # (call, exception, words that must appear in the message)
    (lambda: cl.solve_convex(X, y[:5], 0.1, P), ValueError, ["y", "5", "6 rows"]),
    (lambda: cl.solve_convex(X[:, 0], y, 0.1, P), ValueError, ["X", "2-D", "reshape"]),
    (lambda: cl.solve_convex(nan_X, y, 0.1, P), ValueError, ["X", "NaN"]),
    (lambda: cl.solve_convex(X, inf_y, 0.1, P), ValueError, ["y", "infinite"]),
    (lambda: cl.solve_convex(X.astype(str), y, 0.1, P), TypeError, ["X", "dtype"]),
    (lambda: cl.solve_convex(X, y, 0.0, P), ValueError, ["beta", "> 0"]),
    (lambda: cl.solve_convex(X, y, -1, P), ValueError, ["beta"]),
    (lambda: cl.solve_convex(X, y, "big", P), TypeError, ["beta", "real"]),
    (lambda: cl.solve_convex(np.zeros((0, 2)), [], 0.1, P), ValueError, ["X", "empty"]),
    (lambda: cl.solve_convex(X, y, 0.1, P.T), ValueError, ["patterns", "transpose"]),
    (lambda: cl.solve_convex(X, y, 0.1, P[:, :4]), ValueError, ["patterns", "(P, 6)"]),
    (lambda: cl.solve_convex(X, y, 0.1, P * 2.5), TypeError, ["patterns", "boolean"]),
    (lambda: cl.solve_convex(X, y, 0.1, P[:0]), ValueError, ["patterns", "empty"]),
    (lambda: cl.solve_convex(X, y, 0.1, []), ValueError, ["patterns", "empty"]),
    (lambda: cl.solve_convex(X, y, 0.1, P, activation="tanh"), ValueError, ["activation"]),
    (lambda: cl.solve_convex(X, y, 0.1, P, loss="hinge"), ValueError, ["loss"]),
    (lambda: cl.solve_convex(X, y, 0.1, P, solver="magic"), ValueError, ["solver"]),
    (lambda: cl.solve_convex(X, y, 0.1, P, activation="leaky_relu", alpha=2.0),
     ValueError, ["alpha"]),
    (lambda: cl.enumerate_patterns(nan_X), ValueError, ["X", "NaN"]),
    (lambda: cl.sample_patterns(X, 0), ValueError, ["n_patterns"]),
    (lambda: cl.sample_patterns(X, 5, method="grid"), ValueError, ["method"]),
    (lambda: cl.train_nonconvex(X, y, 0, 0.1), ValueError, ["width"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, optimizer="rmsprop"), ValueError, ["optimizer"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, lr=-1), ValueError, ["lr"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, device="gpu"), ValueError, ["device"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, optimizer="gd", lr=1e3, steps=50), FloatingPointError,
     ["diverged", "lr"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, lr="0.1"), ValueError, ["lr", "'0.1'"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, init_scale=float("nan")), ValueError,
     ["init_scale"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, init="x"), TypeError, ["init", "TwoLayerNetwork"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, seed=-1), ValueError, ["seed"]),
    (lambda: cl.train_nonconvex(X, y, 3, 0.1, seed=1.5), TypeError, ["seed"]),
    (lambda: cl.train_nonconvex(X, np.where(y > 0, 1.0, 0.0), 3, 0.1, loss="logistic"),
     ValueError, ["labels -1 and +1"]),
    (lambda: cl.train_convex(X, y, 0.1, activation="tanh"), ValueError, ["activation"]),
    (lambda: cl.solve_convex(cl.ConvexProgram(X, y, 0.1, P), y), TypeError,
     ["ConvexProgram", "remove y"]),
    (lambda: cl.solve_convex(X, y, 0.1, P, solver=cl.solvers.CVXPY(backend="FOO")),
     ValueError, ["backend='FOO'", "CVXPY"]),
    (lambda: cl.TwoLayerNetwork(np.ones((2, 3)), np.ones(2)), ValueError, ["w2", "W1"]),
    (lambda: cl.TwoLayerNetwork(np.ones((2, 3)), np.ones(3)).predict(np.ones((4, 3))),
     ValueError, ["X", "bias"]),
    (lambda: cl.load_dataset("mnist"), ValueError, ["name"]),
    (lambda: cl.certify_global("solution"), TypeError, ["solution", "ConvexSolution"]),
    (lambda: cl.certify_global(X, y, 0.1, "solution"), TypeError, ["solution only",
                                                                  "own program"]),
]


@pytest.mark.parametrize("call,exc,words", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input_is_named(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {info.value}"


def test_solver_failure_is_reported(monkeypatch):
    import cvxpy as cp

    def fail(self, *a, **k):
        raise cp.error.SolverError("boom")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    with pytest.raises(RuntimeError, match="solver .* failed"):
        cl.solve_convex(X, y, 0.1, P, solver="cvxpy")
    # "auto" (which takes CVXPY for so small a program) goes on to the interior point
    sol = cl.solve_convex(X, y, 0.1, P, progress=False)
    assert sol.solver.startswith("ipm") and sol.status == "optimal"


def test_inaccurate_solve_says_so(monkeypatch):
    import cvxpy as cp

    real = cp.Problem.solve

    def sloppy(self, *a, **k):
        kw = dict(k)
        kw["solver"] = "SCS"
        kw["max_iters"] = 5
        out = real(self, *a, **kw)
        return out

    monkeypatch.setattr(cp.Problem, "solve", sloppy)
    with pytest.warns(UserWarning, match="inaccurate"):
        sol = cl.solve_convex(X, y, 0.1, P, solver="cvxpy")
    assert sol.status != "optimal"
    assert sol.gap > 0  # the certificate still says how far off it is
    # "auto" does not stop there: the interior point takes over and proves the tolerance
    with pytest.warns(UserWarning, match="inaccurate"):
        rescued = cl.solve_convex(X, y, 0.1, P)
    assert rescued.status == "optimal" and rescued.result.method == "ipm"


def test_bad_seeds_are_named_everywhere():
    from convexnn_lab.chapters import geometric, recovery
    from convexnn_lab.data.datasets import planted_linear, planted_relu, spiral

    calls = {
        "sample_patterns": lambda s: cl.sample_patterns(X, 5, seed=s),
        "load_dataset": lambda s: cl.load_dataset("iris", seed=s),
        "planted_linear": lambda s: planted_linear(5, 2, seed=s),
        "planted_relu": lambda s: planted_relu(5, 2, seed=s),
        "spiral": lambda s: spiral(10, seed=s),
        "coverage": lambda s: geometric.coverage(X, y, 0.1, [5], seed=s, solve=False),
        "recovery_rate": lambda s: recovery.recovery_rate(4, 2, trials=1, seed=s),
    }
    for call in calls.values():
        for bad in ("abc", 1.5, True):
            with pytest.raises(TypeError, match="seed must be None, an integer >= 0 or a numpy"):
                call(bad)
        with pytest.raises(ValueError, match="seed must be an integer >= 0, got -1"):
            call(-1)
    # good seeds still work, a Generator included
    gen = np.random.default_rng(3)
    assert cl.sample_patterns(X, 5, seed=gen).shape[1] == 6
    assert cl.sample_patterns(X, 5, seed=np.int64(2)).shape[1] == 6


def test_ragged_lists_and_sparse_matrices_get_their_own_advice():
    with pytest.raises(ValueError, match=r"X is ragged: its rows have different lengths \(2 in "
                                         r"row 0; 1 in row 1\)"):
        cl.enumerate_patterns([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="X is ragged"):
        cl.solve_convex([[1, 2], [3]], [1.0, 2.0], 0.1, [[True, False]])
    import scipy.sparse

    with pytest.raises(TypeError, match=r"W1 is a scipy sparse matrix .*W1\.toarray\(\)"):
        cl.TwoLayerNetwork(scipy.sparse.csr_matrix(np.ones((2, 3))), np.ones(3))
    with pytest.raises(TypeError, match=r"X is a scipy sparse matrix .*X\.toarray\(\)"):
        cl.enumerate_patterns(scipy.sparse.csr_matrix(X))

"""The program object: validated once, its data read-only, its quantities consistent."""

import numpy as np
import pytest

import convexnn_lab as cl


def program(seed=0, n=10, **kw):
    rng = np.random.default_rng(seed)
    X = cl.add_bias(rng.standard_normal((n, 2)))
    y = rng.standard_normal(n)
    return cl.ConvexProgram(X, y, 0.1, cl.enumerate_patterns(X), **kw)


def test_shapes_and_masks_follow_the_patterns():
    prog = program()
    assert (prog.n, prog.d) == (10, 3) and prog.P == len(prog.patterns)
    assert prog.n_blocks == 2 * prog.P
    assert prog.Dt.shape == (10, prog.P) and prog.signs.shape == (10, prog.P)
    assert np.array_equal(prog.Dt, prog.patterns.T.astype(float))  # ReLU: Dt_i = D_i
    assert np.array_equal(prog.signs == 1, prog.patterns.T)
    leaky = program(activation="leaky_relu", alpha=0.2)
    assert set(np.unique(leaky.Dt)) == {0.2, 1.0}
    assert program(gated=True).n_blocks == program().P
    assert "n=10" in repr(prog) and "P=" in repr(prog)


def test_data_cannot_be_changed_behind_the_program():
    X, y = cl.toy("bias_two_points")
    P = cl.enumerate_patterns(X)
    prog = cl.ConvexProgram(X, y, 0.1, P)
    X[0, 0] += 1.0  # the caller's arrays stay theirs
    P[0, 0] = not P[0, 0]
    assert np.isclose(prog.X[0, 0], X[0, 0] - 1.0) and prog.patterns[0, 0] != P[0, 0]
    prog = program()
    with pytest.raises(ValueError, match="read-only"):
        prog.X[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        prog.patterns[0, 0] = not prog.patterns[0, 0]


def test_prediction_objective_and_cones_agree_inside_the_cones():
    prog = program(1)
    _, dirs = cl.enumerate_patterns(prog.X, return_directions=True)
    U = dirs * np.linspace(0.5, 2.0, prog.P)  # u_i in its own cell: inside K_i
    V = np.zeros_like(U)
    V[:, 3] = 0.4 * dirs[:, 3]
    assert prog.cone_violation(U, V) == 0.0 and prog.feasible(U, V)
    assert np.allclose(prog.predict(U, V), prog.network_predict(U, V))
    reg = np.linalg.norm(U, axis=0).sum() + np.linalg.norm(V, axis=0).sum()
    expected = 0.5 * np.sum((prog.predict(U, V) - prog.y) ** 2) + 0.1 * reg
    assert np.isclose(prog.objective(U, V), expected)
    # a block moved to another cell leaves its cone: the violation says by how much
    W = U.copy()
    W[:, 0] = dirs[:, 1]
    assert prog.cone_violation(W, V) > 1e-3 and not prog.feasible(W, V)
    assert program(1, gated=True).cone_violation(W, V) == 0.0  # no cones to leave


def test_stack_and_split_are_inverse():
    prog = program(2)
    rng = np.random.default_rng(0)
    U, V = rng.standard_normal((2, 3, prog.P))
    W = prog.stack(U, V)
    assert W.shape == (3, 2 * prog.P)
    U2, V2 = prog.split(W)
    assert np.array_equal(U, U2) and np.array_equal(V, V2)
    gated = program(2, gated=True)
    assert gated.stack(U, V) is not None and np.array_equal(gated.split(U)[1], 0 * U)


def test_bad_arguments_are_named():
    X, y = cl.toy("bias_two_points")
    P = cl.enumerate_patterns(X)
    cases = [
        (dict(gated="False"), TypeError, "gated must be True or False"),
        (dict(activation="tanh"), ValueError, "activation"),
        (dict(loss="hinge"), ValueError, "loss"),
        (dict(activation="leaky_relu", alpha=1.5), ValueError, "alpha"),
        (dict(loss="logistic"), ValueError, "-1 and \\+1"),
    ]
    for kwargs, exc, words in cases:
        with pytest.raises(exc, match=words):
            cl.ConvexProgram(X, y, 0.1, P, **kwargs)
    with pytest.raises(ValueError, match="beta"):
        cl.ConvexProgram(X, y, 0.0, P)
    with pytest.raises(ValueError, match="patterns"):
        cl.ConvexProgram(X, y, 0.1, P[:, :1])


def test_torch_view_matches_numpy():
    import torch

    prog = program(3)
    X, y, M, S = prog.tensors("cpu", torch.float64)
    assert np.array_equal(X.numpy(), prog.X) and np.array_equal(M.numpy(), prog.block_slopes())
    assert np.array_equal(S.numpy(), prog.block_signs()) and np.array_equal(y.numpy(), prog.y)
    assert program(3, gated=True).tensors("cpu")[3] is None


def test_with_patterns_shares_the_validated_data_and_checks_only_the_patterns():
    rng = np.random.default_rng(5)
    X = cl.add_bias(rng.standard_normal((15, 2)))
    y = rng.standard_normal(15)
    program = cl.ConvexProgram(X, y, 0.2, cl.sample_patterns(X, 4, seed=0),
                               activation="leaky_relu", alpha=0.1)
    other = cl.sample_patterns(X, 7, seed=1)
    moved = program.with_patterns(other)
    fresh = cl.ConvexProgram(X, y, 0.2, other, activation="leaky_relu", alpha=0.1)
    assert moved.X is program.X and moved.P == 7 and program.P == 4
    for name in ("Dt", "signs", "patterns"):
        assert np.array_equal(getattr(moved, name), getattr(fresh, name))
    assert not moved.patterns.flags.writeable
    U = rng.standard_normal((3, 7))
    assert moved.objective(U, U) == fresh.objective(U, U)
    with pytest.raises(ValueError, match="patterns"):
        program.with_patterns(np.ones((2, 14), dtype=bool))

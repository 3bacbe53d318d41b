"""Piecewise-linear activations: slopes, numpy and torch agree, pattern slopes are Dt_i."""

import numpy as np
import pytest

from convexnn_lab.core.activations import activate, pattern_slopes, scale_by_slopes, slopes


@pytest.mark.parametrize("activation,a,b", [("relu", 1, 0), ("leaky_relu", 1, 0.1),
                                            ("absolute", 1, -1)])
def test_slopes_numpy_and_torch(activation, a, b):
    import torch

    assert slopes(activation, 0.1) == (a, b)
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    expected = np.where(z >= 0, a * z, b * z)
    assert np.array_equal(activate(z, activation, 0.1), expected)
    assert np.allclose(activate(torch.tensor(z), activation, 0.1).numpy(), expected)


@pytest.mark.parametrize("a,b", [(1.0, 0.0), (1.0, 0.01), (1.0, -1.0)])
def test_scale_by_slopes_matches_where_bit_for_bit_with_slope_a_at_zero(a, b):
    import torch

    z = torch.tensor([-2.0, -0.5, -0.0, 0.0, 0.5, 3.0, float("inf"), -float("inf")],
                     dtype=torch.float64)
    z1, z2 = z.clone().requires_grad_(), z.clone().requires_grad_()
    f1, f2 = torch.where(z1 >= 0, a * z1, b * z1), scale_by_slopes(z2, a, b)
    assert f1.detach().numpy().tobytes() == f2.detach().numpy().tobytes()
    weights = torch.arange(1.0, 7.0, dtype=torch.float64)
    (f1[:6] @ weights).backward()
    (f2[:6] @ weights).backward()
    assert torch.equal(z1.grad, z2.grad)
    assert z2.grad[3] == a * weights[3]  # the kink takes the slope of z >= 0


def test_pattern_slopes_are_the_diagonals_of_dt():
    patterns = np.array([[True, False, True], [False, False, True]])
    assert np.array_equal(pattern_slopes(patterns, "leaky_relu", 0.2),
                          [[1.0, 0.2, 1.0], [0.2, 0.2, 1.0]])
    assert np.array_equal(pattern_slopes(patterns, "absolute"), [[1, -1, 1], [-1, -1, 1]])


def test_bad_activation_and_alpha_are_named():
    with pytest.raises(ValueError, match="activation"):
        slopes("tanh")
    with pytest.raises(ValueError, match="alpha"):
        slopes("leaky_relu", 1.0)
    with pytest.raises(TypeError, match="alpha"):
        slopes("leaky_relu", "0.1")

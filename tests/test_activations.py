"""Piecewise-linear activations: slopes, numpy and torch agree, pattern slopes are Dt_i."""

import numpy as np
import pytest

from convexnn_lab.core.activations import activate, pattern_slopes, slopes


@pytest.mark.parametrize("activation,a,b", [("relu", 1, 0), ("leaky_relu", 1, 0.1),
                                            ("absolute", 1, -1)])
def test_slopes_numpy_and_torch(activation, a, b):
    import torch

    assert slopes(activation, 0.1) == (a, b)
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    expected = np.where(z >= 0, a * z, b * z)
    assert np.array_equal(activate(z, activation, 0.1), expected)
    assert np.allclose(activate(torch.tensor(z), activation, 0.1).numpy(), expected)


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

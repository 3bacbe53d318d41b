"""One loss for every route: numpy and torch agree; gradient and Hessian are the derivatives."""

import numpy as np
import pytest

from convexnn_lab.core.losses import data_loss, dual_residual, loss_parts


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_numpy_and_torch_agree_and_derivatives_are_right(loss):
    import torch

    rng = np.random.default_rng(0)
    pred = rng.standard_normal(7) * 3
    y = np.where(rng.standard_normal(7) > 0, 1.0, -1.0)
    value, g, h = loss_parts(pred, y, loss)
    tv, tg, th = loss_parts(torch.tensor(pred), torch.tensor(y), loss)
    assert np.isclose(float(tv), value)
    assert np.allclose(tg.numpy(), g) and np.allclose(th.numpy(), h)
    eps = 1e-6
    for j in range(7):
        step = np.zeros(7)
        step[j] = eps
        up, down = loss_parts(pred + step, y, loss)[0], loss_parts(pred - step, y, loss)[0]
        assert (up - down) / (2 * eps) == pytest.approx(g[j], abs=1e-6)
        gu, gd = loss_parts(pred + step, y, loss)[1][j], loss_parts(pred - step, y, loss)[1][j]
        assert (gu - gd) / (2 * eps) == pytest.approx(h[j], abs=1e-5)
    assert np.allclose(dual_residual(pred, y, loss), -g)


def test_values_and_stability():
    assert data_loss(np.array([1.0, 2.0]), np.array([0.0, 0.0])) == 2.5
    big = np.array([800.0, -800.0])
    labels = np.array([-1.0, 1.0])  # badly wrong by 800: loss 1600, no overflow
    assert data_loss(big, labels, "logistic") == pytest.approx(1600.0)
    with pytest.raises(ValueError, match="loss"):
        data_loss(big, labels, "hinge")

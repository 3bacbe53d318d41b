"""Chapter 8's relaxation gap: p_gated <= p* <= p_sampled, and the ratio p* / p_gated."""

import numpy as np
import pytest

from convexnn_lab.chapters import relaxation


def _data(n, d, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def test_relaxation_gap_is_a_certified_sandwich():
    X, y = _data(12, 2, 0)
    res = relaxation.relaxation_gap(X, y, 0.1, n_sampled=3, seed=1)
    assert res.relu_status == "optimal" and res.gated_status == "optimal"
    assert res.gated <= res.relu + 1e-7 <= res.sampled + 2e-7
    assert res.ordered and res.ratio >= 1
    assert res.n_patterns == 24  # 2n patterns for n points in general position in R^2
    # at this small beta the gated model fits noise far more cheaply
    assert res.ratio > 1.5


def test_ratio_is_one_when_beta_switches_every_neuron_off():
    X, y = _data(10, 2, 2)
    res = relaxation.relaxation_gap(X, y, 1e3)
    # both optima are the zero network: 0.5 ||y||^2
    assert np.isclose(res.relu, 0.5 * y @ y) and np.isclose(res.gated, 0.5 * y @ y)
    assert np.isclose(res.ratio, 1.0)


def test_relaxation_gap_refuses_data_it_cannot_enumerate():
    X, y = _data(30, 8, 3)
    with pytest.raises(ValueError):
        relaxation.relaxation_gap(X, y, 0.1, max_patterns=100)
    with pytest.raises(ValueError, match="beta"):
        relaxation.relaxation_gap(X, y, -1.0)


def test_gap_table_shapes_and_rate():
    t = relaxation.gap_table([8, 16], 2, 0.5, seeds=range(2))
    assert t.ratios.shape == (2, 2) and t.certified
    assert (t.ratios >= 1 - 1e-7).all()
    assert np.allclose(t.mean(), t.ratios.mean(axis=0))
    assert np.allclose(t.scaled(), t.ratios.max(axis=0) / np.sqrt(np.log([8, 16])))
    # the same seed gives the same data set, so the same ratio
    again = relaxation.gap_table([8], 2, 0.5, seeds=[1])
    assert np.isclose(again.ratios[0, 0], t.ratios[1, 0])
    with pytest.raises(ValueError, match="seeds"):
        relaxation.gap_table([8], 2, 0.5, seeds=[])

"""Chapter 10's heads: projection, one-vs-rest fits, the merged network and its torch module."""

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.chapters import heads


def test_projection_is_pca_with_fixed_signs_and_a_torch_twin():
    import torch

    rng = np.random.default_rng(0)
    E = rng.standard_normal((50, 6)) @ rng.standard_normal((6, 6))
    proj = heads.Projection.fit(E, 3)
    Z = proj(E)
    assert Z.shape == (50, 3)
    assert np.allclose(Z.mean(axis=0), 0, atol=1e-12)
    assert np.isclose(Z[:, 0].var(), 1.0)  # the first component has unit variance
    assert np.allclose(np.cov(Z.T)[np.triu_indices(3, 1)], 0, atol=1e-10)
    # -E, rows reversed, has the same principal axes: the signs are fixed, so the same
    again = heads.Projection.fit(-E[::-1], 3)
    assert np.allclose(again.components, proj.components, atol=1e-10)
    layer = proj.to_torch(dtype=torch.float64)
    assert np.allclose(layer(torch.as_tensor(E)).detach().numpy(), Z, atol=1e-12)
    with pytest.raises(ValueError, match="k=7"):
        heads.Projection.fit(E, 7)


def test_merged_heads_predict_the_class_outputs_and_export_to_torch():
    import torch

    rng = np.random.default_rng(1)
    nets = [cl.TwoLayerNetwork(rng.standard_normal((4, m)), rng.standard_normal(m))
            for m in (2, 5, 3)]
    X = cl.add_bias(rng.standard_normal((9, 3)))
    merged = heads.merge_heads(nets)
    assert merged.width == 10 and merged.outputs == 3
    scores = np.column_stack([net.predict(X) for net in nets])
    assert np.allclose(merged.predict(X), scores)
    labels = rng.integers(0, 3, 9)
    assert heads.head_accuracy(nets, X, labels) == merged.accuracy(X, labels)
    out = merged.to_torch(bias_column=True, dtype=torch.float64)(torch.as_tensor(X[:, :-1]))
    assert np.allclose(out.detach().numpy(), scores, atol=1e-12)
    assert merged.regularization() == pytest.approx(sum(n.regularization() for n in nets))
    with pytest.raises(ValueError, match="different activations"):
        heads.merge_heads([nets[0], cl.TwoLayerNetwork(nets[1].W1, nets[1].w2,
                                                       activation="absolute")])


def test_one_vs_rest_heads_fit_each_class_and_sum_their_objectives():
    rng = np.random.default_rng(2)
    centers = rng.standard_normal((3, 4)) * 3
    labels = np.repeat(np.arange(3), 20)
    X = cl.add_bias(centers[labels] + rng.standard_normal((60, 4)))
    Y = heads.one_vs_rest(labels, 3)
    assert Y.shape == (60, 3) and np.all((Y == 1).sum(axis=1) == 1)
    fit = heads.fit_convex_heads(X, labels, 1.0, 3, max_rounds=2)
    assert len(fit.networks) == 3 and len(fit.reports) == 3
    assert heads.head_accuracy(fit.networks, X, labels) > 0.9  # three separated clouds
    total = sum(r.network().objective(X, Y[:, c], 1.0) for c, r in enumerate(fit.reports))
    assert np.isclose(heads.head_objective(fit.networks, X, labels, 1.0), total)
    adam = heads.fit_adam_heads(X, labels, 1.0, 3, X, labels, width=10, steps=50,
                                lrs=(1e-2, 5e-2))
    assert adam.lr in (1e-2, 5e-2) and len(adam.networks) == 3
    assert adam.by_lr[adam.lr][0] is adam.networks
    lr, nets = adam.lowest()
    assert adam.by_lr[lr][2] == min(v[2] for v in adam.by_lr.values())
    # the program on Adam's own patterns ends at most at Adam's objective (chapter 04)
    from_adam = heads.fit_convex_heads(X, labels, 1.0, 3, warm_networks=nets, max_rounds=1)
    assert heads.head_objective(from_adam.networks, X, labels, 1.0) <= \
        heads.head_objective(nets, X, labels, 1.0) * (1 + 1e-6)
    with pytest.raises(ValueError, match="one per class"):
        heads.fit_convex_heads(X, labels, 1.0, 3, warm_networks=nets[:2])

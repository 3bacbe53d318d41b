import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convexnn_lab as cl  # noqa: E402
from convexnn_lab.book import plots  # noqa: E402
from convexnn_lab.chapters import recovery


def test_recovery_above_and_failure_at_n_equals_d():
    high, _ = recovery.recovery_rate(15, 5, trials=4, seed=2)
    low, _ = recovery.recovery_rate(5, 5, trials=4, seed=2)
    assert high == 1.0 and low <= 0.5  # n = d: recovery is the exception


def test_planted_solution_fits_and_respects_cones():
    X, y, w = cl.datasets.planted_linear(8, 4, seed=3)
    P = cl.sample_patterns(X, 16, seed=3)
    sol = recovery.planted_program(X, y, P)
    fit = X @ sol.w0 + np.sum(sol.patterns.T * (X @ (sol.U - sol.V)), axis=1)
    assert np.allclose(fit, y, atol=1e-6)
    S = np.where(sol.patterns.T, 1.0, -1.0)
    assert (S * (X @ sol.U)).min() >= -1e-6
    assert sol.value <= np.linalg.norm(w) + 1e-6  # the planted model is feasible
    assert not sol.patterns.all(axis=1).any()  # the all-ones pattern is left out


def test_relaxed_program_is_a_lower_bound():
    X, y, _ = cl.datasets.planted_linear(8, 4, seed=4)
    P = cl.sample_patterns(X, 16, seed=4)
    assert (recovery.planted_program(X, y, P, relaxed=True).value
            <= recovery.planted_program(X, y, P).value + 1e-7)


def test_path_plots():
    fig, ax = plots.recovery([1, 2], {"a": [0.0, 1.0]})
    assert ax.get_ylim()[1] > 1
    fig, axes = plots.regularization_path([0.1, 1], [5, 2], [0, 0.1], [0.1, 0.2], [1, 2])
    assert len(axes) == 3
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == ["train", "test"]
    fig, axes = plots.regularization_path([0.1, 1], [5, 2], [0, 0.1], [0.1, 0.2], [1, 2],
                                          held_out="validation", fitted="fit (84 rows)")
    assert ([t.get_text() for t in axes[1].get_legend().get_texts()]
            == ["fit (84 rows)", "validation"])


def test_phase_transition_exact_and_sampled_agree_with_the_ordering():
    # d = 2, n = 2..5: every pattern listed; the sampled program is a restriction of the
    # exact one on the same X, so it recovers whenever the exact one does
    exact = recovery.phase_transition(2, [2, 3, 5], trials=6, seed=3)
    sampled = recovery.phase_transition(2, [2, 3, 5], trials=6, seed=3, patterns="sampled")
    gated = recovery.phase_transition(2, [2, 3, 5], trials=6, seed=3, relaxed=True)
    assert exact.deviations.shape == (6, 3) and exact.ns.tolist() == [2, 3, 5]
    assert not (exact.outcomes & ~sampled.outcomes).any()
    assert not (gated.outcomes & ~exact.outcomes).any()  # the relaxation recovers less
    assert exact.rates[-1] == 1.0 and exact.crossing is not None
    assert exact.clear(10)
    assert exact.all_ones[:, 0].all()  # n <= d: the points always lie in a half-space
    rate, outcomes = recovery.recovery_rate(5, 2, trials=6, seed=3, patterns="all")
    assert outcomes == exact.outcomes[:, 2].tolist() and rate == exact.rates[2]


def test_phase_transition_refuses_bad_arguments():
    with pytest.raises(ValueError, match="patterns"):
        recovery.phase_transition(2, [3], trials=1, patterns="every")
    with pytest.raises(ValueError, match="ns is empty"):
        recovery.phase_transition(2, [], trials=1)
    with pytest.raises(ValueError, match="ns"):
        recovery.phase_transition(2, [0], trials=1)


def test_without_the_skip_norm_the_program_recovers_trivially():
    # the slide's objective: (w*, 0, 0) costs 0, so n = d already recovers
    X, y, w = cl.datasets.planted_linear(4, 4, seed=1)
    P = cl.enumerate_patterns(X)
    assert recovery.planted_program(X, y, P, penalize_skip=False).recovered(w)
    rate, _ = recovery.recovery_rate(3, 3, trials=8, seed=1, patterns="all",
                                     penalize_skip=False)
    low, _ = recovery.recovery_rate(3, 3, trials=8, seed=1, patterns="all")
    assert rate == 1.0 and low < 1.0


def test_wendel_probability_is_one_half_at_twice_the_dimension():
    for d in range(1, 8):
        assert recovery.half_space_probability(2 * d, d) == 0.5
        assert recovery.half_space_probability(d, d) == 1.0
    # Monte Carlo: Gaussian points in a half-space iff the all-ones pattern exists
    rng = np.random.default_rng(0)
    hits = [cl.enumerate_patterns(rng.standard_normal((5, 3))).all(axis=1).any()
            for _ in range(400)]
    assert abs(np.mean(hits) - recovery.half_space_probability(5, 3)) < 0.07


def test_half_space_lp_agrees_with_the_all_ones_pattern_and_wendel():
    rng = np.random.default_rng(5)
    for _ in range(30):
        X = rng.standard_normal((6, 3))
        assert recovery.in_open_half_space(X) == cl.enumerate_patterns(X).all(axis=1).any()
    assert recovery.in_open_half_space(np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert not recovery.in_open_half_space(np.array([[1.0, 0.0], [-1.0, 0.0]]))
    p = recovery.half_space_probability(6, 3)
    freq = recovery.half_space_frequency(6, 3, trials=400, seed=1)
    assert abs(freq - p) < 4 * np.sqrt(p * (1 - p) / 400)
    with pytest.raises(ValueError, match="seed"):
        recovery.half_space_frequency(6, 3, trials=2, seed=-1)


def test_orthant_width_and_statistical_dimension():
    for n in (1, 2, 8, 100):
        delta, w = recovery.orthant_statistical_dimension(n), recovery.orthant_gaussian_width(n)
        assert delta == n / 2 and w * w <= delta <= w * w + 1
    assert np.isclose(recovery.orthant_gaussian_width(1), 1 / np.sqrt(2 * np.pi))
    g = np.random.default_rng(1).standard_normal((40_000, 8))
    assert abs(np.linalg.norm(np.maximum(g, 0), axis=1).mean()
               - recovery.orthant_gaussian_width(8)) < 0.02


def test_validation_split_is_stratified_and_disjoint():
    ds = cl.load_dataset("breast_cancer", n_samples=150, seed=0)
    fit, val = ds.validation_split(0.25, seed=0)
    assert len(fit) + len(val) == len(ds.X_train) and not set(fit) & set(val)
    assert set(ds.y_train[val]) == set(ds.y_train)
    with pytest.raises(ValueError, match="val_size"):
        ds.validation_split(1.5)


def test_phase_transition_plot_has_a_panel_per_d_and_distinct_styles():
    fig, axes = plots.phase_transition({3: {"a": ([3, 4], [0.0, 1.0]), "b": ([3, 4], [0.0, 1.0])},
                                        4: {"a": ([4, 5], [0.5, 1.0])}})
    assert len(axes) == 2
    lines = [ln for ln in axes[0].get_lines() if ln.get_label() in ("a", "b")]
    assert len({(ln.get_marker(), str(ln.get_linestyle())) for ln in lines}) == 2
    legend = [t.get_text() for t in axes[-1].get_legend().get_texts()]
    assert "a" in legend and "n = 2d" in legend and "rate 1/2" in legend
    import matplotlib.pyplot as plt
    plt.close("all")


def test_nic_l_is_the_least_norm_certificate_and_decides_no_more_than_the_best_one():
    X, _, w = cl.datasets.planted_linear(9, 3, seed=4)
    P = cl.enumerate_patterns(X)
    Q = P[~P.all(axis=1)]
    # NIC-L by its formula, pattern by pattern (the all-ones pattern left out)
    M = np.linalg.inv(X.T @ X) @ (w / np.linalg.norm(w))
    by_hand = max(np.linalg.norm(X.T @ np.diag(q.astype(float)) @ X @ M) for q in Q)
    assert np.isclose(recovery.nic_l(X, w), by_hand, rtol=1e-12)
    assert np.isclose(recovery.nic_l(X, 3 * w, P), by_hand, rtol=1e-12)  # scale-free
    # the best certificate minimizes over every lambda with X^T lambda = w/||w||, and
    # the least-norm lambda is one of them
    assert recovery.certificate_value(X, w) <= recovery.nic_l(X, w) + 1e-7
    with pytest.raises(ValueError, match="full column rank"):
        recovery.nic_l(np.ones((5, 2)), np.ones(2))


def test_gated_recovery_is_decided_by_the_best_cone_free_certificate():
    # both directions of chapter 7's lemma, trial by trial, on the trials of
    # phase_transition (same seeds, same X and w*)
    ns = [3, 5, 7]
    cert = recovery.certificates(3, ns, trials=8, seed=5)
    gated = recovery.phase_transition(3, ns, trials=8, seed=5, relaxed=True)
    relu = recovery.phase_transition(3, ns, trials=8, seed=5)
    assert cert.nic.shape == cert.best.shape == (8, 3) and cert.ns.tolist() == ns
    clear = np.abs(cert.best - 1) > 1e-5
    assert np.array_equal((cert.best < 1)[clear], gated.outcomes[clear])
    # NIC-L implies recovery by both programs (a sufficient condition)
    assert not ((cert.nic < 1) & ~gated.outcomes).any()
    assert not ((cert.nic < 1) & ~relu.outcomes).any()
    assert np.all(cert.best <= cert.nic + 1e-7)
    assert np.array_equal(cert.nic_rates, (cert.nic < 1).mean(axis=0))

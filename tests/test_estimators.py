import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import convexnn_lab as cl
from convexnn_lab.cli import demo


def test_regressor_fits_and_matches_its_network():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (40, 1))
    y = np.abs(X[:, 0])
    reg = cl.ConvexReLURegressor(beta=1e-3, n_patterns=20).fit(X, y)
    assert reg.score(X, y) > 0.95
    assert np.isclose(reg.network_.objective(cl.add_bias(X), y, 1e-3),
                      reg.solution_.objective, rtol=1e-5)


def test_classifier_in_pipeline_and_grid_search():
    ds = cl.load_dataset("iris", n_samples=60)
    # sampled patterns: this test is about scikit-learn's machinery, and fast
    pipe = make_pipeline(StandardScaler(),
                         cl.ConvexReLUClassifier(n_patterns=8, pattern_method="gaussian"))
    grid = GridSearchCV(pipe, {"convexreluclassifier__beta": [0.1, 1.0]}, cv=2)
    grid.fit(ds.X_train, ds.y_train)
    assert grid.score(ds.X_test, ds.y_test) > 0.7
    clf = grid.best_estimator_[-1]
    assert len(clf.networks_) == 3  # one-vs-rest
    assert clf.get_params()["n_patterns"] == 8


def test_binary_logistic_classifier():
    ds = cl.load_dataset("breast_cancer", n_samples=80)
    clf = cl.ConvexReLUClassifier(beta=1.0, n_patterns=6, loss="logistic")
    clf.fit(ds.X_train, ds.y_train)
    assert set(clf.predict(ds.X_test)) <= set(ds.classes)
    assert clf.score(ds.X_train, ds.y_train) > 0.8
    with pytest.raises(ValueError, match="one class"):
        clf.fit(ds.X_train, np.zeros(len(ds.X_train)))


def test_demo_table():
    lines = []
    rows = demo("iris", n_patterns=5, seeds=2, steps=300, time_limit=20, out=lines.append)
    header = next(line for line in lines if line.startswith("model"))
    assert len(rows) == 5 and "objective" in header
    sampled, warm, priced = rows[:3]
    assert sampled[0].startswith("convex, 5 sampled") and priced[0].startswith("convex, priced")
    assert warm[0].startswith("L-BFGS start")
    # pricing starts from the same 5 patterns and the L-BFGS network's, and only adds
    # violated ones: it ends at most at either
    assert priced[1] <= sampled[1] + 1e-6 and priced[1] <= warm[1] * (1 + 1e-5)
    pricing = next(line for line in lines if line.startswith("pricing: status"))
    assert "largest price" in pricing or "global optimality" in pricing


def test_estimators_price_their_patterns_by_default():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (30, 1))
    y = np.abs(X[:, 0]) - 0.3
    priced = cl.ConvexReLURegressor(beta=1e-2, n_patterns=3).fit(X, y)
    sampled = cl.ConvexReLURegressor(beta=1e-2, n_patterns=3, pattern_method="gaussian").fit(X, y)
    (report,) = priced.pricing_reports_
    # one feature plus a bias: every pattern can be enumerated, so pricing is exact
    assert report.status == "optimal" and report.exact
    assert priced.solution_.objective <= sampled.solution_.objective + 1e-9
    assert np.isclose(priced.network_.objective(cl.add_bias(X), y, 1e-2),
                      priced.solution_.objective, rtol=1e-5)
    with pytest.raises(ValueError, match="pattern_method"):
        cl.ConvexReLURegressor(pattern_method="random").fit(X, y)


def test_targets_are_checked_by_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 2))
    y = rng.standard_normal(12)
    clf = cl.ConvexReLUClassifier(n_patterns=4)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        clf.fit(X, y)  # used to fit 12 one-vs-rest "classes"
    with pytest.raises(ValueError, match="y contains NaN"):
        clf.fit(X, np.where(y > 0, 1.0, np.nan))  # NaN used to become a class
    with pytest.raises(ValueError, match="y contains NaN"):
        cl.ConvexReLURegressor(n_patterns=4).fit(X, np.where(y > 0, 1.0, np.nan))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cl.ConvexReLURegressor(n_patterns=4).fit(X, y[:5])


def test_time_limit_stops_pricing_and_says_so():
    ds = cl.load_dataset("iris", n_samples=60)
    clf = cl.ConvexReLUClassifier(beta=0.01, n_patterns=2, time_limit=1e-6).fit(ds.X_train,
                                                                               ds.y_train)
    # one program per class, each stopped after its first round: by the time limit where
    # violations were left (measured: the search found some in all three, up to 1.33 beta)
    assert len(clf.pricing_reports_) == 3
    for report in clf.pricing_reports_:
        assert len(report.rounds) == 1
        left = report.rounds[0].added > 0
        assert report.status == ("time_limit" if left else "no_violation_found")
        assert (report.rounds[0].best_ratio > 1) == left
    assert sum(r.status == "time_limit" for r in clf.pricing_reports_) >= 2
    for bad in (0, -1.0, True, "10"):
        with pytest.raises(ValueError, match="time_limit"):
            cl.ConvexReLUClassifier(time_limit=bad).fit(ds.X_train, ds.y_train)
    with pytest.raises(ValueError, match="time_limit bounds pattern pricing"):
        cl.ConvexReLURegressor(time_limit=5.0, pattern_method="gaussian").fit(
            ds.X_train, ds.X_train[:, 0])


@pytest.mark.parametrize("estimator", [
    cl.ConvexReLURegressor(n_patterns=5, pattern_method="gaussian"),
    cl.ConvexReLUClassifier(n_patterns=5, pattern_method="gaussian")],
    ids=lambda e: type(e).__name__)
def test_scikit_learn_estimator_checks_pass(estimator):
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert len(results) > 40 and not failed, failed


def test_feature_names_are_kept_and_checked():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((40, 3)), columns=["a", "b", "c"])
    y = frame["a"].to_numpy() - frame["c"].to_numpy()
    est = cl.ConvexReLURegressor(n_patterns=5, pattern_method="gaussian").fit(frame, y)
    assert list(est.feature_names_in_) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="feature names"):
        est.predict(frame[["c", "b", "a"]])  # reordered columns: refused, not misread
    with pytest.raises(ValueError, match="3 features"):
        est.predict(np.ones((2, 4)))  # the count the user passed, not with the bias


@pytest.mark.parametrize("params,words", [
    ({"fit_intercept": "no"}, "fit_intercept"),
    ({"beta": -1.0}, "beta"),
    ({"pattern_method": "grid"}, "pattern_method"),
    ({"random_state": -3}, "random_state"),
])
def test_bad_parameters_are_named(params, words):
    X, y = np.ones((10, 2)), np.arange(10.0)
    with pytest.raises(ValueError, match=words):
        cl.ConvexReLURegressor(**params).fit(X, y)


def test_masked_data_are_refused():
    X = np.ma.masked_array(np.ones((10, 2)), mask=np.eye(10, 2, dtype=bool))
    with pytest.raises(ValueError, match="masked"):
        cl.ConvexReLURegressor(pattern_method="gaussian").fit(X, np.arange(10.0))

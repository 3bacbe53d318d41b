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
    pipe = make_pipeline(StandardScaler(), cl.ConvexReLUClassifier(n_patterns=8))
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
    with pytest.raises(ValueError, match="single class"):
        clf.fit(ds.X_train, np.zeros(len(ds.X_train)))


def test_demo_table():
    lines = []
    rows = demo("iris", n_patterns=5, seeds=2, steps=300, out=lines.append)
    header = next(line for line in lines if line.startswith("model"))
    assert len(rows) == 4 and "objective" in header
    convex_adam = rows[-1][1]
    best_adam = min(r[1] for r in rows[1:3])
    assert convex_adam <= best_adam + 1e-6  # the program on Adam's patterns is never above it


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

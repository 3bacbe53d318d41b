import pickle

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.data.datasets import load_cifar10, planted_linear, planted_relu, spiral


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine", "diabetes", "iris"])
def test_bundled_sets_split_and_standardize(name):
    ds = cl.load_dataset(name, seed=0)
    assert len(ds.X_train) > len(ds.X_test) > 0
    assert np.allclose(ds.X_train.mean(axis=0), 0, atol=1e-8)
    again = cl.load_dataset(name, seed=0)
    assert np.array_equal(ds.X_train, again.X_train)
    other = cl.load_dataset(name, seed=1)
    assert not np.array_equal(ds.X_train, other.X_train)


def test_signed_labels():
    ds = cl.load_dataset("breast_cancer")
    ytr, yte = ds.signed_labels()
    assert set(np.unique(ytr)) == {-1.0, 1.0} and len(yte) == len(ds.y_test)
    with pytest.raises(ValueError, match="regression"):
        cl.load_dataset("diabetes").signed_labels()


def test_toys_and_generators():
    X, y = cl.toy("bias_two_points")
    assert X.tolist() == [[-0.2, 1.0], [1.0, 1.0]] and y.tolist() == [0.5, 1.0]
    X, y, w = planted_linear(20, 4, seed=3)
    assert np.allclose(X @ w, y) and np.isclose(np.linalg.norm(w), 1)
    X, y, net = planted_relu(15, 3, m=2, seed=1)
    assert np.allclose(net.predict(X), y)
    X, y = spiral(40, seed=0)
    assert X.shape == (40, 2) and set(y) == {-1.0, 1.0}


def write_cifar(folder, n=4):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 b"labels": list(rng.integers(0, 10, n))}
        with open(folder / name, "wb") as fh:
            pickle.dump(batch, fh)


def test_cifar10_loader_reads_official_format(tmp_path):
    write_cifar(tmp_path)
    ds = load_cifar10(tmp_path)
    assert ds.X_train.shape == (20, 3072) and ds.X_test.shape == (4, 3072)
    assert 0 <= ds.X_train.min() and ds.X_train.max() <= 1
    assert load_cifar10(tmp_path, n_train=7).X_train.shape[0] == 7


def test_cifar10_environment_variable(tmp_path, monkeypatch):
    write_cifar(tmp_path)
    monkeypatch.setenv("CONVEXNN_CIFAR10_DIR", str(tmp_path))
    assert load_cifar10().X_test.shape == (4, 3072)


def test_cifar10_missing_files_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.delenv("CONVEXNN_CIFAR10_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="CONVEXNN_CIFAR10_DIR"):
        load_cifar10()
    with pytest.raises(FileNotFoundError, match="data_batch_1"):
        load_cifar10(tmp_path)


def corrupt(kind):
    """Bytes of a bad data_batch_3 for `kind`."""
    good = {b"data": np.zeros((4, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 3]}
    if kind == "not a pickle":
        return b"<html><body>404 Not Found</body></html>"
    if kind == "truncated":
        return pickle.dumps(good)[:1000]
    if kind == "labels outside 0..9":
        return pickle.dumps({**good, b"labels": [0, 1, 10, 3]})
    if kind == "labels of wrong length":
        return pickle.dumps({**good, b"labels": [0, 1, 2]})
    return pickle.dumps({**good, b"data": np.zeros((4, 1024), dtype=np.uint8)})


@pytest.mark.parametrize("kind,match", [
    ("not a pickle", "is not a valid pickle"),
    ("truncated", "is truncated"),
    ("labels outside 0..9", r"1 label\(s\) outside 0\.\.9 \(e\.g\. 10 at row 2\)"),
    ("labels of wrong length", "3 labels for 4 images"),
    ("wrong data shape", r"data of shape \(4, 1024\).*\(k, 3072\)"),
    ("n_train=-1", r"n_train must be >= 1 or None \(every row\), got -1"),
    ("image_data n_train=-1", r"n_train must be >= 1 or None \(every row\), got -1"),
    ("load_dataset n_samples=5",
     r"n_samples=5 is too small for a stratified split of iris.*n_samples >= 30"),
])
def test_bad_files_and_sizes_are_named(tmp_path, kind, match):
    from convexnn_lab.chapters.images import image_data

    write_cifar(tmp_path)
    if kind not in ("n_train=-1", "image_data n_train=-1", "load_dataset n_samples=5"):
        (tmp_path / "data_batch_3").write_bytes(corrupt(kind))
        match = "data_batch_3.*" + match
    with pytest.raises(ValueError, match=match):
        if kind == "n_train=-1":
            load_cifar10(tmp_path, n_train=-1)
        elif kind == "image_data n_train=-1":
            image_data("digits", n_train=-1)
        elif kind == "load_dataset n_samples=5":
            cl.load_dataset("iris", n_samples=5)
        else:
            load_cifar10(tmp_path)


def test_planted_relu_on_given_data():
    X0 = np.random.default_rng(5).standard_normal((9, 3)) * [4.0, 1.0, 0.1]
    X, y, net = planted_relu(9, 3, m=2, seed=1, X=X0)
    assert np.array_equal(X, X0) and X is not X0
    assert np.allclose(y, net.predict(X0))
    with pytest.raises(ValueError, match=r"shape \(n, d\) = \(8, 3\)"):
        planted_relu(8, 3, X=X0)

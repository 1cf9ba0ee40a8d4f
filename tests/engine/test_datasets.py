import numpy as np
import pytest

from engine.network import datasets
from engine.network.datasets import DATASETS, blobs, circles, make_dataset, moons, spirals, split, xor


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_shapes_dtypes_and_labels(name):
    spec = DATASETS[name]
    X, y = make_dataset(name, n=101)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int32
    assert set(np.unique(y)) == set(range(spec.num_classes()))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_seed_reproducibility(name):
    X1, y1 = make_dataset(name, n=64, seed=3)
    X2, y2 = make_dataset(name, n=64, seed=3)
    X3, _ = make_dataset(name, n=64, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_registry_defaults_within_bounds():
    for spec in DATASETS.values():
        assert spec.function is getattr(datasets, spec.name)
        for p in spec.params.values():
            assert p.min <= p.default <= p.max


def test_circles_geometry():
    X, y = circles(n=200, noise=0.0, factor=0.3, seed=0)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-5)
    assert (y == 0).sum() == 100 and (y == 1).sum() == 100
    Xn, _ = circles(n=200, noise=0.1, factor=0.3, seed=0)
    assert np.std(np.linalg.norm(Xn, axis=1)[y == 0]) > 0.03


def test_circles_odd_n_like_sklearn():
    _, y = circles(n=11, noise=0.0)
    assert (y == 0).sum() == 5 and (y == 1).sum() == 6


def test_moons_geometry():
    X, y = moons(n=100, noise=0.0, seed=1)
    upper = X[y == 0]
    lower = X[y == 1]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(lower - np.array([1.0, 0.5]), axis=1), 1.0, atol=1e-5)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6


def test_xor_labels_follow_quadrants():
    X, y = xor(n=500, noise=0.0, seed=2)
    assert np.abs(X).max() <= 1.0
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int32))


def test_blobs_classes_and_balance():
    X, y = blobs(n=100, classes=4, noise=0.05, seed=0)
    assert np.bincount(y).tolist() == [25, 25, 25, 25]
    for k in range(4):
        centre = np.array([np.cos(2 * np.pi * k / 4), np.sin(2 * np.pi * k / 4)])
        assert np.linalg.norm(X[y == k].mean(axis=0) - centre) < 0.05
    assert DATASETS["blobs"].num_classes({"classes": 5}) == 5
    with pytest.raises(ValueError):
        blobs(n=10, classes=7)


def test_spirals_radius_and_balance():
    X, y = spirals(n=300, noise=0.0, seed=0)
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-6
    assert (y == 0).sum() == 150
    # the two spirals are point reflections of each other
    a = X[y == 0][np.argsort(np.linalg.norm(X[y == 0], axis=1))]
    b = X[y == 1][np.argsort(np.linalg.norm(X[y == 1], axis=1))]
    np.testing.assert_allclose(a, -b, atol=1e-5)


def test_split_partitions_and_is_seeded():
    X, y = make_dataset("moons", n=200)
    Xt, yt, Xv, yv = split(X, y, 0.25, seed=7)
    assert len(yv) == 50 and len(yt) == 150
    assert Xt.shape == (150, 2) and Xv.shape == (50, 2)
    both = np.concatenate([Xt, Xv])
    assert sorted(map(tuple, both.tolist())) == sorted(map(tuple, X.tolist()))
    Xt2, _, _, _ = split(X, y, 0.25, seed=7)
    np.testing.assert_array_equal(Xt, Xt2)
    _, _, Xv0, _ = split(X, y, 0.0)
    assert len(Xv0) == 0
    with pytest.raises(ValueError):
        split(X, y, 1.0)


def test_make_dataset_validation():
    with pytest.raises(KeyError):
        make_dataset("nope")
    with pytest.raises(KeyError):
        make_dataset("moons", factor=0.5)
    with pytest.raises(ValueError):
        make_dataset("circles", noise=5.0)

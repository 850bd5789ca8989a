"""chainrule.data: offline datasets, seeded generators, splits, standardisation, batches."""

from __future__ import annotations

import random
import socket

import numpy as np
import pytest

from chainrule import data
from chainrule.errors import InvalidValueError


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_digits_load_offline_split_and_standardised(no_network):
    ds = data.load("digits", seed=0)
    assert ds.X_train.shape == (1438, 64) and ds.X_test.shape == (359, 64)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert set(np.unique(ds.y_train)) == set(range(10)) and ds.n_classes == 10
    nonconstant = ds.X_train.std(axis=0) > 0
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.X_train.std(axis=0)[nonconstant], 1, rtol=1e-4)


def test_mnist1d_is_generated_offline_with_its_canonical_split_and_leaves_global_rngs_alone(no_network, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    ds = data.load("mnist1d")
    assert np.random.random() == expected_np and random.random() == expected_py
    assert ds.X_train.shape == (4000, 40) and ds.X_test.shape == (1000, 40) and ds.n_classes == 10
    assert list(tmp_path.iterdir()) == []  # nothing cached in the working folder
    again = data.load("mnist1d")
    np.testing.assert_array_equal(ds.X_train, again.X_train)


@pytest.mark.parametrize("name", data.TWO_D)
def test_2d_sets_are_seeded_balanced_and_noisy(name):
    X, y = data.make_2d(name, 400, 0.1, seed=3)
    X2, y2 = data.make_2d(name, 400, 0.1, seed=3)
    X3, _ = data.make_2d(name, 400, 0.1, seed=4)
    assert X.shape == (400, 2) and y.shape == (400,) and set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
    if name != "xor":
        assert (y == 1).sum() == 200
    clean, _ = data.make_2d(name, 400, 0.0, seed=3)
    assert 0.05 < np.std(X - clean) < 0.15


def test_2d_generators_have_the_documented_geometry():
    X, y = data.make_circles(200, 0.0, seed=0)
    np.testing.assert_allclose(np.hypot(*X.T), np.where(y == 0, 1.0, 0.5))
    X, y = data.make_xor(200, 0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    for f in (data.make_moons, data.make_spiral):
        X, y = f(100, 0.0, seed=0)
        assert X.shape == (100, 2)


def test_list_datasets_gives_every_dataset_with_its_defaults():
    infos = {i.name: i for i in data.list_datasets()}
    assert set(infos) == {"digits", "mnist1d", "moons", "circles", "xor", "spiral"}
    for info in infos.values():
        js = info.to_json()
        for key in ("layers", "activation", "optimizer", "lr", "batch_size", "epochs"):
            assert key in js["defaults"]
        assert 0 < js["target_accuracy"] <= 1
    assert infos["moons"].defaults["noise"] == 0.1 and infos["moons"].kind == "2d"


def test_split_is_seeded_and_disjoint():
    X = np.arange(100.0)[:, None]
    y = np.arange(100)
    a = data.train_test_split(X, y, 0.25, seed=1)
    b = data.train_test_split(X, y, 0.25, seed=1)
    c = data.train_test_split(X, y, 0.25, seed=2)
    assert len(a[0]) == 75 and len(a[2]) == 25
    np.testing.assert_array_equal(a[2], b[2])
    assert not np.array_equal(a[2], c[2])
    assert set(a[1]) | set(a[3]) == set(range(100)) and not set(a[1]) & set(a[3])


def test_standardize_uses_training_statistics_only():
    Xtr = np.array([[0.0, 5.0], [2.0, 5.0]])
    Xte = np.array([[4.0, 5.0]])
    a, b, mean, std = data.standardize(Xtr, Xte)
    np.testing.assert_allclose(a, [[-1, 0], [1, 0]])
    np.testing.assert_allclose(b, [[3, 0]])  # constant feature: σ taken as 1
    ds = data.load("moons", seed=0)
    raw = ds.X_test * ds.std + ds.mean
    np.testing.assert_allclose(ds.transform(raw), ds.X_test, atol=1e-5)


def test_batches_cover_every_row_once_in_a_seeded_order():
    X, y = np.arange(10.0)[:, None], np.arange(10)
    got = list(data.batches(X, y, 4, rng=0))
    assert [len(b[1]) for b in got] == [4, 4, 2]
    assert sorted(np.concatenate([b[1] for b in got])) == list(range(10))
    again = list(data.batches(X, y, 4, rng=0))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(got, again))
    plain = list(data.batches(X, y, 4, shuffle=False))
    np.testing.assert_array_equal(plain[0][1], [0, 1, 2, 3])


@pytest.mark.parametrize("make,pattern", [
    (lambda: data.load("cifar"), "dataset 'cifar' is not one of digits, mnist1d"),
    (lambda: data.load("digits", noise=0.1), "apply to the 2-D datasets"),
    (lambda: data.load("mnist1d", test_fraction=0.3), "fixed train/test split"),
    (lambda: data.make_2d("moons", 1, 0.1), "n_samples must be"),
    (lambda: data.make_2d("moons", 100, -1.0), "noise must be"),
    (lambda: data.make_2d("blobs", 100, 0.1), "not one of moons"),
    (lambda: data.train_test_split(np.ones((5, 1)), np.ones(5), 1.5), "test_fraction must be between 0 and 1"),
    (lambda: list(data.batches(np.ones((5, 1)), np.ones(5), 0)), "batch_size must be"),
    (lambda: list(data.batches(np.ones((5, 1)), np.ones(4), 2)), "X has 5 rows but y has 4"),
    (lambda: data.load("digits", seed=-1), "seed must be"),
])
def test_bad_data_arguments_get_clear_errors(make, pattern):
    with pytest.raises(InvalidValueError, match=pattern):
        make()

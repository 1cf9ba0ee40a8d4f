"""Seed 001: activation statistics of a 10 x 500 forward-only network at initialisation."""

import numpy as np
import pytest

from engine.network.init_experiment import _experiment, run_init_experiment, to_rows

SAMPLES, WIDTH, LAYERS = 1000, 500, 10


def _run(init, params, activation, bins=20, seed=0):
    r = run_init_experiment(init, params, activation, layers=LAYERS, width=WIDTH, samples=SAMPLES, bins=bins, seed=seed)
    return np.asarray(r["std"]), np.asarray(r["counts"]), r


def test_small_normal_weights_make_tanh_activations_vanish():
    std, counts, r = _run("normal", {"std": 0.01}, "tanh")
    assert 0.18 < std[0] < 0.25
    assert 0.03 < std[1] < 0.07
    assert np.all(np.diff(std) < 0)
    assert std[9] < 1e-4
    assert np.all(counts.sum(axis=1) == SAMPLES * WIDTH)
    assert np.asarray(r["layer"]).tolist() == list(range(1, 11))


def test_unit_normal_weights_saturate_tanh():
    std, counts, r = _run("normal", {"std": 1.0}, "tanh", bins=20)
    edges = np.asarray(r["edges"])
    assert np.allclose(edges[:, 0], -1.0) and np.allclose(edges[:, -1], 1.0)
    # with 20 bins on [-1, 1] the edge bins are exactly |a| > 0.9
    saturated = (counts[:, 0] + counts[:, -1]) / counts.sum(axis=1)
    assert np.all(saturated > 0.9)
    assert np.all(std > 0.95)


def test_xavier_keeps_tanh_alive():
    std, counts, _ = _run("xavier_normal", None, "tanh")
    assert 0.55 < std[0] < 0.7
    assert np.all(np.diff(std) < 0)  # slow decay ...
    assert 0.18 < std[9] < 0.3  # ... but still far from zero after 10 layers
    saturated = (counts[:, 0] + counts[:, -1]) / counts.sum(axis=1)
    assert saturated[-1] < 0.01


def test_relu_needs_he_initialisation():
    xavier, _, _ = _run("xavier_normal", None, "relu")
    he, counts, r = _run("he_normal", None, "relu")
    assert xavier[9] < 0.1 * xavier[0]
    assert 0.5 * he[0] < he[9] < 2.0 * he[0]
    assert np.all(counts.sum(axis=1) == SAMPLES * WIDTH)
    edges = np.asarray(r["edges"])
    assert np.all(edges[:, 0] == 0.0) and np.all(edges[:, -1] > 0.0)  # data-driven positive range


@pytest.mark.parametrize("activation", ["linear", "leaky_relu", "sigmoid"])
def test_other_activations_ranges_and_counts(activation):
    _, counts, r = _run("lecun_normal", None, activation, bins=10)
    edges = np.asarray(r["edges"])
    assert edges.shape == (LAYERS, 11)
    assert np.all(counts.sum(axis=1) == SAMPLES * WIDTH)
    if activation == "sigmoid":
        assert np.allclose(edges[:, 0], 0.0) and np.allclose(edges[:, -1], 1.0)
    else:
        np.testing.assert_allclose(edges[:, 0], -edges[:, -1])


def test_traced_parameters_and_seed_do_not_recompile():
    before = _experiment._cache_size()
    a, _, _ = _run("normal", {"std": 0.01}, "tanh", seed=1)
    b, _, _ = _run("normal", {"std": 0.02}, "tanh", seed=2)
    assert _experiment._cache_size() - before <= 1
    assert b[0] > a[0]


def test_to_rows():
    _, _, r = _run("zeros", None, "relu", bins=5)
    rows = to_rows(r)
    assert len(rows) == LAYERS and rows[0]["layer"] == 1
    assert rows[0]["std"] == 0.0 and sum(rows[0]["counts"]) == SAMPLES * WIDTH
    assert len(rows[0]["edges"]) == 6

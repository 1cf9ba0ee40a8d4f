"""POST /api/v1/init-experiment reproduces seed 001 (10 layers × 500, tanh, N(0, 1) input)."""

import pytest

BASE = {"layers": 10, "width": 500, "activation": "tanh", "samples": 1000, "bins": 30, "seed": 0}


def stds(client, **spec):
    body = client.post("/api/v1/init-experiment", json={**BASE, **spec}).json()
    assert [layer["index"] for layer in body["layers"]] == list(range(1, spec.get("layers", 10) + 1))
    return [layer["std"] for layer in body["layers"]], body


def test_small_init_collapses_layer_by_layer(client):
    std, body = stds(client, init={"name": "normal", "std": 0.01})
    assert 0.18 < std[0] < 0.25 and 0.03 < std[1] < 0.07
    assert all(b < a for a, b in zip(std, std[1:], strict=False)) and std[-1] < 1e-4
    for layer in body["layers"]:
        hist = layer["histogram"]
        assert len(hist["edges"]) == 31 and len(hist["counts"]) == 30
        assert sum(hist["counts"]) == 1000 * 500
        assert abs(layer["mean"]) < 1e-2


def test_unit_weights_saturate_tanh_at_plus_minus_one(client):
    std, body = stds(client, init={"name": "normal", "std": 1.0})
    for layer in body["layers"]:
        counts = layer["histogram"]["counts"]
        assert (counts[0] + counts[-1]) / sum(counts) > 0.8  # mass piled at -1 and +1
    assert min(std) > 0.95


def test_xavier_decays_slowly_with_tanh(client):
    std, _ = stds(client, init={"name": "xavier_normal"})
    assert 0.55 < std[0] < 0.7 and 0.18 < std[-1] < 0.3


@pytest.mark.parametrize(("init", "holds"), [("xavier_normal", False), ("he_normal", True)])
def test_relu_needs_he(client, init, holds):
    std, _ = stds(client, activation="relu", init={"name": init})
    assert (0.5 < std[-1] / std[0] < 2.0) is holds


def test_limits_and_unknown_fields_are_refused(client):
    r = client.post("/api/v1/init-experiment", json={**BASE, "layers": 21, "init": {"name": "normal", "sd": 1}})
    assert r.status_code == 422
    assert "layers" in r.json()["message"] and "sd" in r.json()["message"]
    r = client.post("/api/v1/init-experiment", json={**BASE, "activation": "tanh", "activation_params": {"alpha": 0.2}})
    assert "takes no alpha" in r.json()["message"]

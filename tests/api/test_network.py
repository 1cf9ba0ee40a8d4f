"""Network lab over the API: bounded training (REST) and the live session (WebSocket)."""

import json
import re

import numpy as np

from app.api.schemas.network import TrainCreate
from app.services.frames import decode_frame

MODEL = {"hidden": [5, 5, 5], "activation": "tanh", "init": {"name": "uniform", "low": 0.0, "high": 1.0}}
OPTIMIZER = {"name": "momentum", "hyperparameters": {"learning_rate": 0.01, "momentum": 0.9}}
DATASET = {"name": "circles", "n": 400, "noise": 0.1, "validation_split": 0.5, "seed": 1}
SESSION = {
    "dataset": DATASET,
    "networks": [{"model": MODEL, "optimizer": OPTIMIZER, "batch_size": 20}],
    "steps_per_chunk": 10,
}


def arrays(header, payload):
    out, offset = {}, 0
    for name, shape in header["layout"]:
        size = int(np.prod(shape)) if shape else 1
        out[name] = payload[offset : offset + size].reshape(shape)
        offset += size
    assert offset == payload.size
    return out


def frame(ws):
    message = ws.receive()
    assert "bytes" in message, message
    header, payload = decode_frame(message["bytes"])
    ws.send_text(json.dumps({"type": "ack", "seq": header["seq"]}))
    return header, arrays(header, payload)


def test_train_returns_history_and_final_metrics(client):
    spec = {"dataset": DATASET, "model": MODEL, "optimizer": OPTIMIZER, "batch_size": 20, "epochs": 20, "seed": 0}
    body = client.post("/api/v1/train", json=spec).json()
    assert body["status"] == "ok" and body["steps"] == body["requested_steps"] == 200
    assert body["time_budget_reached"] is False
    history = body["history"]
    assert len(history["train_loss"]) == len(history["epoch"]) == len(history["grad_mean_abs"])
    assert all(len(row) == 4 for row in history["grad_mean_abs"])  # 3 hidden + output layer
    assert 0 <= body["final"]["val_accuracy"] <= 1


def test_train_refuses_more_than_the_step_budget(client):
    spec = {"dataset": DATASET, "model": MODEL, "optimizer": OPTIMIZER, "batch_size": 1, "epochs": 200}
    r = client.post("/api/v1/train", json=spec)
    assert r.status_code == 422 and "the limit is 20000" in r.json()["message"]
    r = client.post("/api/v1/train", json={**spec, "optimizer": {"name": "newton"}})
    assert r.status_code == 422 and "newton" in r.json()["message"]


def test_train_refuses_work_beyond_its_cost_limit_and_says_what_fits(client):
    # 20 x 256 on full batches: 300 steps are ~1.1e12 multiply-adds (~45 s here), within the step count
    wide = {"hidden": [256] * 20, "activation": "relu", "batch_norm": True}
    dataset = {"name": "circles", "n": 2000, "validation_split": 0.5}
    spec = {"dataset": dataset, "model": wide, "optimizer": OPTIMIZER, "batch_size": 1000, "epochs": 300}
    r = client.post("/api/v1/train", json=spec)
    message = r.json()["message"]
    assert r.status_code == 422 and "multiply-adds" in message and "1245952 weights" in message, message
    fit = int(re.search(r"at most (\d+) epochs", message).group(1))
    assert 0 < fit < 300
    TrainCreate.model_validate({**spec, "epochs": fit})  # what the message offers is accepted
    # one sample a step: the statistics every 50 steps (3600 points forward) cost most
    r = client.post("/api/v1/train", json={**spec, "batch_size": 1, "epochs": 20})
    assert r.status_code == 422 and "at most 5 epochs" in r.json()["message"]


def test_live_session_streams_setup_and_chunks_and_applies_a_new_learning_rate(client):
    with client.websocket_connect("/ws/v1/network") as ws:
        ws.send_text(json.dumps({"type": "start", "spec": SESSION}))
        setup, data = frame(ws)
        assert setup["type"] == "setup" and setup["n_train"] == 200 and setup["n_val"] == 200
        assert data["X_train"].shape == (200, 2) and set(np.unique(data["y_train"])) == {0.0, 1.0}
        assert len(setup["networks"][0]["edges"]["act"]) == 31
        header, first = frame(ws)
        assert header["type"] == "chunk" and header["step"] == 0 and header["net"] == 0
        assert first["act_hist"].shape == (3, 30) and first["grad_hist"].shape == (4, 30)
        assert np.allclose(first["act_hist"].sum(axis=1), 200 * 5)
        ws.send_text(json.dumps({"type": "step", "count": 2}))
        steps = [frame(ws)[0]["step"] for _ in range(2)]
        assert steps == [10, 20]
        ws.send_text(json.dumps({"type": "update", "net": 0, "hyperparameters": {"learning_rate": 0.2}}))
        ws.send_text(json.dumps({"type": "step", "count": 1}))
        header, chunk = frame(ws)
        assert header["step"] == 30 and np.allclose(chunk["learning_rate"], 0.2)
        assert all(np.isfinite(a).all() for a in chunk.values())


def test_live_session_errors_keep_it_open_and_pause_stops_the_stream(client):
    with client.websocket_connect("/ws/v1/network") as ws:
        ws.send_text(json.dumps({"type": "update", "hyperparameters": {"learning_rate": 0.1}}))
        assert "start" in json.loads(ws.receive()["text"])["message"]
        bad = {**SESSION, "networks": [{"model": {**MODEL, "hidden": [300]}, "optimizer": OPTIMIZER}]}
        ws.send_text(json.dumps({"type": "start", "spec": bad}))
        assert "hidden" in json.loads(ws.receive()["text"])["message"]
        ws.send_text(json.dumps({"type": "start", "spec": SESSION, "play": True}))
        frame(ws), frame(ws)
        assert frame(ws)[0]["step"] >= 10
        ws.send_text(json.dumps({"type": "pause"}))
        while "text" not in (message := ws.receive()):
            pass
        assert json.loads(message["text"])["playing"] is False
        ws.send_text(json.dumps({"type": "stop"}))
        while "text" not in (message := ws.receive()):
            pass
        assert json.loads(message["text"]) == {"type": "stopped"}


def test_live_monte_carlo_dropout_maps_the_spread_of_the_running_network(client):
    with client.websocket_connect("/ws/v1/network") as ws:
        ws.send_text(json.dumps({"type": "mc_dropout", "net": 0}))
        assert "start" in json.loads(ws.receive()["text"])["message"]  # no session yet: a clear error
        dropped = {
            **SESSION,
            "networks": [{"model": {**MODEL, "dropout": 0.5}, "optimizer": OPTIMIZER, "batch_size": 20}],
        }
        ws.send_text(json.dumps({"type": "start", "spec": dropped}))
        setup, _ = frame(ws)
        frame(ws)
        ws.send_text(json.dumps({"type": "step", "count": 3}))
        assert [frame(ws)[0]["step"] for _ in range(3)] == [10, 20, 30]
        ws.send_text(json.dumps({"type": "mc_dropout", "net": 0, "samples": 20}))
        header, maps = frame(ws)
        grid = (len(setup["grid"]["y"]), len(setup["grid"]["x"]))
        assert header["type"] == "mc_dropout" and header["step"] == 30 and header["samples"] == 20
        assert header["dropout"] == 0.5
        assert maps["mean"].shape == maps["std"].shape == grid
        assert ((maps["mean"] >= 0) & (maps["mean"] <= 1)).all() and maps["std"].max() > 0
        ws.send_text(json.dumps({"type": "update", "net": 0, "dropout": 0.0}))
        ws.send_text(json.dumps({"type": "mc_dropout", "net": 0, "samples": 20}))
        header, maps = frame(ws)
        assert header["dropout"] == 0.0 and np.all(maps["std"] == 0)  # every pass the same
        ws.send_text(json.dumps({"type": "mc_dropout", "net": 1}))
        assert "network 1" in json.loads(ws.receive()["text"])["message"]


def test_monte_carlo_dropout_gives_a_spread_only_with_dropout_on(client):
    spec = {
        "dataset": {"name": "moons", "n": 200, "noise": 0.2},
        "model": {"hidden": [16, 16], "activation": "relu", "dropout": 0.3},
        "optimizer": {"name": "adam", "hyperparameters": {"learning_rate": 0.01}},
        "batch_size": 20,
        "epochs": 10,
        "mc_dropout": {"samples": 20},
    }
    spread = client.post("/api/v1/train", json=spec).json()["mc_dropout"]
    assert len(spread["mean"]) == len(spread["grid_y"]) and len(spread["mean"][0]) == len(spread["grid_x"])
    assert 0.0 <= np.min(spread["mean"]) and np.max(spread["mean"]) <= 1.0
    assert np.max(spread["std"]) > 0.05
    none = client.post("/api/v1/train", json={**spec, "model": {**spec["model"], "dropout": 0.0}}).json()
    assert np.max(none["mc_dropout"]["std"]) == 0.0


def test_train_stops_at_the_time_budget_and_says_so(client, monkeypatch):
    from app.settings import settings

    monkeypatch.setattr(settings, "TRAIN_TIME_BUDGET", 0.0)
    spec = {"dataset": DATASET, "model": MODEL, "optimizer": OPTIMIZER, "batch_size": 20, "epochs": 20, "seed": 0}
    body = client.post("/api/v1/train", json=spec).json()
    assert body["time_budget_reached"] is True and body["steps"] < body["requested_steps"] == 200

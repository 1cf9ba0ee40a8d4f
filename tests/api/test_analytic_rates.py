"""The ``analytic`` block of quadratic runs: predicted, optimal and measured rates, REST and WebSocket."""

import json

import pytest

from app.services.frames import decode_frame

QUADRATIC = {"name": "quadratic", "params": {"kappa": 10.0, "theta": 0.3}}
RUNS = [
    {"optimizer": "sgd", "hyperparameters": {"learning_rate": 2 / 11}},  # SGD's optimum for κ = 10
    {"optimizer": "momentum", "hyperparameters": {"learning_rate": 0.1, "momentum": 0.9}},
    {"optimizer": "nesterov", "hyperparameters": {"learning_rate": 0.05, "momentum": 0.5}},
    {"optimizer": "adam", "hyperparameters": {"learning_rate": 0.1}},
]


def post(client, spec):
    r = client.post("/api/v1/trajectories", json=spec)
    assert r.status_code == 200, r.text
    return r.json()


def test_quadratic_runs_carry_predicted_optimal_and_measured_rates(client):
    body = post(client, {"surface": QUADRATIC, "steps": 500, "runs": RUNS})
    sgd, momentum, nesterov, adam = (run["analytic"] for run in body["runs"])
    assert adam is None
    for a in (sgd, momentum, nesterov):
        assert a["eigenvalues"] == pytest.approx([1.0, 10.0]) and a["condition_number"] == pytest.approx(10.0)
        assert a["converges"] and a["applies"]
        assert a["measured_rate"] == pytest.approx(a["predicted_rate"], rel=0.02)
        first, last = a["measured_steps"]
        assert 0 < first < last <= 500
    assert sgd["predicted_rate"] == pytest.approx(9 / 11) and sgd["optimal"]["rate"] == pytest.approx(9 / 11)
    assert sgd["optimal"] == pytest.approx({"learning_rate": 2 / 11, "momentum": None, "rate": 9 / 11})
    assert sgd["terminal_velocity_factor"] is None
    assert momentum["predicted_rate"] == pytest.approx(0.9**0.5)  # underdamped: |μ| = √α
    root = 10**0.5
    assert momentum["optimal"]["rate"] == pytest.approx((root - 1) / (root + 1))
    assert momentum["optimal"]["momentum"] == pytest.approx(((root - 1) / (root + 1)) ** 2)
    assert momentum["terminal_velocity_factor"] == pytest.approx(10.0)
    assert nesterov["terminal_velocity_factor"] == pytest.approx(2.0)
    assert nesterov["optimal"]["rate"] == pytest.approx(1 - 2 / 31**0.5)


def test_a_diverging_quadratic_run_says_so(client):
    run = {"optimizer": "sgd", "hyperparameters": {"learning_rate": 0.25}}  # |1 − 0.25·10| = 1.5
    (body,) = post(client, {"surface": QUADRATIC, "steps": 500, "runs": [run]})["runs"]
    assert body["status"] == "diverged"
    a = body["analytic"]
    assert not a["converges"] and a["predicted_rate"] == pytest.approx(1.5)
    assert a["measured_rate"] == pytest.approx(1.5, rel=0.02)
    assert a["measured_steps"][1] == body["diverged_at"] - 1


def test_analytic_is_null_elsewhere_and_flags_runs_the_theory_does_not_describe(client):
    body = post(client, {"surface": {"name": "rosenbrock"}, "steps": 10, "runs": RUNS[:1]})
    assert body["runs"][0]["analytic"] is None
    scheduled = {**RUNS[0], "schedule": {"name": "step", "every": 50, "factor": 0.5}}
    spec = {"surface": QUADRATIC, "steps": 10, "runs": [scheduled, RUNS[0]], "noise": {"sigma": 0.0, "seed": 0}}
    with_schedule, plain = (run["analytic"] for run in post(client, spec)["runs"])
    assert with_schedule["applies"] is False and plain["applies"] is True
    assert with_schedule["predicted_rate"] == plain["predicted_rate"]  # at the run's base ε
    short = post(client, {"surface": QUADRATIC, "steps": 3, "runs": RUNS[:1]})["runs"][0]["analytic"]
    assert short["measured_rate"] is None and short["measured_steps"] is None


def test_the_live_session_sends_the_same_analytic_block(client):
    spec = {"surface": QUADRATIC, "steps": 300, "runs": RUNS[:2]}
    rest = post(client, spec)
    with client.websocket_connect("/ws/v1/surface") as ws:
        ws.send_text(json.dumps({"type": "start", "spec": spec}))
        header, _ = decode_frame(ws.receive()["bytes"])
    for live, answered in zip(header["runs"], rest["runs"], strict=True):
        assert live["analytic"] == answered["analytic"]

"""Every HTTP request has a deadline: past it the client gets a 504 that says so, at once, and heavy work
is told to stop (issue 14 §1)."""

import threading
import time

from app.services import network_runs, surface_runs
from app.settings import settings

SPEC = {"surface": {"name": "rosenbrock"}, "runs": [{"optimizer": "adam"}], "steps": 50}


def test_a_request_past_its_deadline_is_answered_504_at_once(client, monkeypatch):
    real = surface_runs.simulate_spec
    monkeypatch.setattr(settings, "REQUEST_DEADLINE", 0.5)
    monkeypatch.setattr(surface_runs, "simulate_spec", lambda spec: time.sleep(3) or real(spec))
    t0 = time.monotonic()
    response = client.post("/api/v1/trajectories", json=SPEC)
    waited = time.monotonic() - t0
    assert response.status_code == 504 and waited < 2.5  # not the 3 s the work takes
    assert "could not answer within 0.5 s" in response.json()["message"]
    assert response.headers["x-content-type-options"] == "nosniff"  # the security headers too
    monkeypatch.setattr(surface_runs, "simulate_spec", real)
    monkeypatch.setattr(settings, "REQUEST_DEADLINE", 120.0)
    assert client.post("/api/v1/trajectories", json=SPEC).status_code == 200  # the server carries on


def test_heavy_work_past_the_deadline_is_told_to_stop(client, monkeypatch):
    stopped = threading.Event()

    def train_once(spec, stop):
        for _ in range(100):  # slices of 0.05 s: 5 s unless stopped
            if stop.is_set():
                stopped.set()
                return None
            time.sleep(0.05)
        return None

    monkeypatch.setattr(settings, "REQUEST_DEADLINE", 0.5)
    monkeypatch.setattr(network_runs, "train_once", train_once)
    assert client.post("/api/v1/train", json={}).status_code == 504
    assert stopped.wait(2)

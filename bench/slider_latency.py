"""Slider latency: a WebSocket client moves a learning-rate slider 200 times in a session of
8 optimizers × 500 steps and times update sent → complete `paths` frame received, over loopback.
Also counts XLA compilations during the measured updates (goal: 0).
"""

from __future__ import annotations

import json
import statistics
import time

import jax
from websockets.sync.client import connect

from app.main import app
from app.services.frames import decode_frame
from app.settings import settings
from bench.common import percentile
from bench.server import serve
from engine.surface.runner import wait_for_warm_ups

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "nadam")
SPEC = {
    "surface": {"name": "rosenbrock"},
    "steps": 500,
    "runs": [{"optimizer": o, "hyperparameters": {"learning_rate": 0.001}} for o in OPTIMIZERS],
}


def _receive_paths(ws) -> dict:
    while True:
        message = ws.recv()
        if isinstance(message, bytes):
            header, _ = decode_frame(message)
            ws.send(json.dumps({"type": "ack", "seq": header["seq"]}))
            if header["type"] == "paths":
                return header


def main(updates: int = 200) -> dict:
    compiles = []

    def on_event(event: str, duration: float, **kwargs) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    settings.WARM_UP = False  # the start-up warm-up compiles in the background: keep it out of the timings
    with serve(app) as address, connect(f"ws://{address}/ws/v1/surface", max_size=None) as ws:
        ws.send(json.dumps({"type": "start", "spec": SPEC}))
        _receive_paths(ws)
        for i in range(20):  # warm-up: every compiled function is ready
            ws.send(json.dumps({"type": "update", "run": i % 8, "hyperparameters": {"learning_rate": 0.002}}))
            _receive_paths(ws)
        wait_for_warm_ups()  # nothing the runner compiles in the background is left to count
        jax.monitoring.register_event_duration_secs_listener(on_event)
        latencies = []
        for i in range(updates):
            lr = 10 ** (-3 + 2 * (i % 50) / 50)
            start = time.perf_counter()
            ws.send(json.dumps({"type": "update", "run": i % 8, "hyperparameters": {"learning_rate": lr}}))
            header = _receive_paths(ws)
            latencies.append(1e3 * (time.perf_counter() - start))
            assert header["runs"][i % 8]["hyperparameters"]["learning_rate"] == lr
    return {
        "updates": updates,
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 95),
        "compilations": len(compiles),
    }


if __name__ == "__main__":
    print(main())

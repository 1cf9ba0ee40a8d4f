"""A 128 × 128 sweep of 500 steps (issue 13: ≤ 150 ms after warm-up): the issue's learning rate × momentum grid
on Rosenbrock, timed in the engine (grid built, batched run, reduced to cells) and as the whole answer of
``POST /api/v1/sweep`` over loopback (validation, engine, 1 MB of JSON). Also counts XLA compilations
during the timed calls (goal: 0).
"""

from __future__ import annotations

import json
import urllib.request

import jax

from app.api.schemas.sweep import SweepCreate
from app.main import app
from app.services import sweeps
from app.settings import settings
from bench.common import side_by_side
from bench.server import serve
from engine.surface.runner import wait_for_warm_ups

SPEC = {
    "surface": {"name": "rosenbrock", "params": {}},
    "start": [-1.5, 2.0],
    "steps": 500,
    "run": {"optimizer": "momentum", "hyperparameters": {}, "schedule": None, "clip": None},
    "noise": {"sigma": 0.0, "seed": 0},
    "axes": [
        {"name": "learning_rate", "low": 1e-5, "high": 1e-2, "count": 128, "scale": "log"},
        {"name": "momentum", "low": 0.0, "high": 0.99, "count": 128, "scale": "linear"},
    ],
    "tolerance": 1e-3,
}


def post(address: str, body: bytes) -> bytes:
    request = urllib.request.Request(
        f"http://{address}/api/v1/sweep", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as answer:
        return answer.read()


def main() -> dict:
    compiles = []

    def on_event(event: str, duration: float, **kwargs) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    settings.WARM_UP = False  # the start-up warm-up compiles in the background: keep it out of the timings
    spec = SweepCreate.model_validate(SPEC)
    body = json.dumps(SPEC).encode()
    with serve(app) as address:
        raw = post(address, body)  # compiles this grid's loop; the other one compiles in a thread
        wait_for_warm_ups()
        jax.monitoring.register_event_duration_secs_listener(on_event)
        medians = side_by_side({"engine": lambda: sweeps.run_sweep(spec), "http": lambda: post(address, body)})
        compiles_during = len(compiles)
    cells = [s for row in json.loads(raw)["status"] for s in row]
    return {
        "cells": len(cells),
        "steps": SPEC["steps"],
        "diverged": cells.count("diverged"),
        "engine_ms": 1e3 * medians["engine"],
        "http_ms": 1e3 * medians["http"],
        "answer_bytes": len(raw),
        "compilations": compiles_during,
    }


if __name__ == "__main__":
    print(main())

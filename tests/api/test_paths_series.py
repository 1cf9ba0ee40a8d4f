"""The per-update series a `paths` frame carries after the points: the rate ε_t of a scheduled run and an
adaptive rule's per-coordinate step sizes, only for the runs that have them."""

import json

import numpy as np

from app.services.frames import decode_frame
from engine.surface.runner import RunConfig, simulate

SCHEDULE = {"name": "exponential", "decay_rate": 0.1, "decay_steps": 100}
SPEC = {
    "surface": {"name": "rosenbrock"},
    "start": [-1.5, 2.0],
    "steps": 120,
    "runs": [
        {"optimizer": "sgd", "hyperparameters": {"learning_rate": 0.001}},
        {"optimizer": "adam", "hyperparameters": {"learning_rate": 0.05}, "schedule": SCHEDULE},
        {"optimizer": "rmsprop", "hyperparameters": {"learning_rate": 0.01}},
        {"optimizer": "momentum", "hyperparameters": {"learning_rate": 0.001}, "schedule": {"name": "plateau"}},
    ],
}


def series(header: dict, payload: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Each run's series, read from where its points end: {name: array of its shape}."""
    offset = sum(run["length"] * len(header["fields"]) for run in header["runs"])
    out = []
    for run in header["runs"]:
        arrays = {}
        for name, shape in run["series"]:
            size = int(np.prod(shape))
            arrays[name] = payload[offset : offset + size].reshape(shape)
            offset += size
        out.append(arrays)
    assert offset == len(payload)
    return out


def test_paths_carry_the_scheduled_rates_and_adaptive_step_sizes(client):
    with client.websocket_connect("/ws/v1/surface") as ws:
        ws.send_text(json.dumps({"type": "start", "spec": SPEC}))
        header, payload = decode_frame(ws.receive()["bytes"])
    runs = series(header, payload)
    assert [sorted(r) for r in runs] == [[], ["learning_rate", "step_size"], ["step_size"], ["learning_rate"]]
    configs = [
        RunConfig(r["optimizer"], header["runs"][i]["hyperparameters"], r.get("schedule"))
        for i, r in enumerate(SPEC["runs"])
    ]
    engine = simulate("rosenbrock", None, (-1.5, 2.0), configs, 120)
    for got, want in zip(runs, engine, strict=True):
        if "learning_rate" in got:
            assert got["learning_rate"].shape == (len(want.points) - 1,)
            np.testing.assert_allclose(got["learning_rate"], want.learning_rate, rtol=1e-6)
        if "step_size" in got:
            assert got["step_size"].shape == (len(want.points) - 1, 2)
            np.testing.assert_allclose(got["step_size"], want.step_size, rtol=1e-6)
    np.testing.assert_allclose(runs[1]["learning_rate"][[0, 100]], [0.05, 0.005], rtol=1e-5)

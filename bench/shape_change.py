"""Issue 12 §1: no compile waits. Start-up, warm-up, and a new network shape over the live WebSocket.

The server runs in its own process (``python -m app.cli serve``) with a persistent compilation cache in
a directory of its own, first empty (cold), then again on the same directory (a restart, warm cache).
For each start it reports the time until ``GET /api/v1/health`` answers (ready) and until it says
``"warm": true`` (every bucket compiled). After the warm-up, one client walks through
:data:`ARCHITECTURES` (depths 1–20, widths 2–256, mixed widths, every activation, batch norm, residual
and dropout on and off, batch sizes 1 to full batch, dataset sizes, one or two networks, ten
optimizers) and times each
``start`` → the ``setup`` frame and → the first *trained* chunk (step > 0), as a user sees them. Then the
first run of every optimizer on every surface (``POST /api/v1/trajectories``, one run of 500 steps).

``python -m bench.shape_change [--cache DIR] [--skip-cold]``; a run from an empty cache takes minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from contextlib import contextmanager

from websockets.sync.client import connect

from app.services.frames import decode_frame
from bench.server import server_process
from engine.optimizers import OPTIMIZERS
from engine.surface.surfaces import SURFACES


def _net(hidden, activation="tanh", batch_size=32, optimizer="momentum", **model):
    hyper = {**OPTIMIZERS[optimizer].defaults, "learning_rate": 0.01}
    return {
        "model": {"hidden": list(hidden), "activation": activation, **model},
        "optimizer": {"name": optimizer, "hyperparameters": hyper},
        "batch_size": batch_size,
    }


# (networks, dataset size): what a class does in the network lab, in the order a teacher might.
ARCHITECTURES = [
    ([_net((5,) * 6)], 1000),
    ([_net((16,) * 9, optimizer="rmsprop")], 1000),
    ([_net((24,) * 4, "relu")], 1000),
    ([_net((8,) * 12, "sigmoid", batch_norm=True, optimizer="nadam")], 1000),
    ([_net((5,) * 5, batch_size=100)], 1000),
    ([_net((64,) * 20)], 1000),
    ([_net((2,), optimizer="adagrad")], 1000),
    ([_net((256,), "relu", batch_size=500)], 1000),
    ([_net((3, 7, 2), "elu", optimizer="lion")], 1000),
    ([_net((100,) * 4, "leaky_relu", residual=True)], 1000),
    ([_net((32,) * 10, batch_size=500, optimizer="nesterov")], 1000),
    ([_net((12, 12), "relu", dropout=0.3)], 1000),
    ([_net((6,) * 3, batch_size=1, optimizer="adadelta")], 200),
    ([_net((40,) * 3, "sigmoid", optimizer="adam")], 2000),
    ([_net((9,) * 7, "leaky_relu", batch_norm=True, residual=True, optimizer="adamw")], 400),
    ([_net((128, 64, 32), "selu", batch_size=64, optimizer="sgd")], 1000),
    ([_net((5,) * 5), _net((5,) * 5, "relu")], 1000),
    ([_net((16,) * 3, "linear"), _net((16,) * 8, batch_norm=True)], 1000),
    ([_net((200,) * 2, batch_size=1000)], 2000),
    ([_net((4,) * 15, "tanh", batch_size=16, optimizer="rmsprop_nesterov")], 1000),
]


@contextmanager
def server(cache_dir: str):
    started = time.monotonic()
    env = {"DESCENTLAB_JAX_CACHE_DIR": cache_dir, "DESCENTLAB_MAX_WS_PER_CLIENT": "0"}
    with server_process(env, ready_timeout=None) as (address, _):
        yield address, started


def health(address: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://{address}/api/v1/health", timeout=5) as r:
            return json.loads(r.read())
    except OSError:
        return None


def wait_ready_and_warm(address: str, started: float, limit: float = 3600.0) -> dict:
    ready = None
    while time.monotonic() - started < limit:
        state = health(address)
        if state is not None:
            ready = ready if ready is not None else time.monotonic() - started
            if state["warm"] or state.get("stopped"):  # stopped: at the limit on memory maps
                return {"ready_s": ready, "warm_s": time.monotonic() - started}
        time.sleep(0.1)
    raise RuntimeError("the server did not get warm")


def _frame(ws) -> dict:
    while True:
        message = ws.recv(timeout=120)
        if isinstance(message, bytes):
            header, _ = decode_frame(message)
            ws.send(json.dumps({"type": "ack", "seq": header["seq"]}))
            return header
        body = json.loads(message)
        if body.get("type") == "error":
            raise RuntimeError(body)
        if body.get("type") == "setup":
            return body


def shape_changes(address: str) -> dict:
    """start → setup and → first trained chunk, for each architecture in turn on one socket."""
    setups, trained = [], []
    with connect(f"ws://{address}/ws/v1/network", max_size=None) as ws:
        for networks, n in ARCHITECTURES:
            spec = {
                "dataset": {"name": "circles", "n": n, "noise": 0.1, "validation_split": 0.5, "seed": 1},
                "networks": networks,
                "steps_per_chunk": 10,
            }
            t0 = time.perf_counter()
            ws.send(json.dumps({"type": "start", "spec": spec, "play": True}))
            setup = None
            while True:
                header = _frame(ws)
                if header.get("type") == "setup" and setup is None:
                    setup = time.perf_counter() - t0
                elif setup is not None and header.get("type") == "chunk" and header.get("step", 0) > 0:
                    trained.append(time.perf_counter() - t0)
                    break
            setups.append(setup)
            ws.send(json.dumps({"type": "pause"}))
    return {
        "setup": _summary(setups),
        "first_trained_chunk": _summary(trained),
        "each_s": [round(t, 3) for t in trained],
    }


def surface_first_runs(address: str) -> dict:
    times = []
    for surface in SURFACES:
        for optimizer in OPTIMIZERS:
            body = {"surface": {"name": surface, "params": {}}, "runs": [{"optimizer": optimizer}], "steps": 500}
            request = urllib.request.Request(
                f"http://{address}/api/v1/trajectories", json.dumps(body).encode(), {"Content-Type": "application/json"}
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as r:
                r.read()
            times.append(time.perf_counter() - t0)
    return _summary(times)


def _summary(xs: list[float]) -> dict:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
    return {"n": len(xs), "p50_s": statistics.median(xs), "p95_s": p95, "max_s": xs[-1]}


def main(cache: str | None = None, skip_cold: bool = False) -> dict:
    cache = cache or tempfile.mkdtemp(prefix="descentlab-jax-")
    result = {}
    if not skip_cold:
        with server(cache) as (address, started):
            result["cold_start"] = wait_ready_and_warm(address, started)
            print(result["cold_start"], flush=True)
    with server(cache) as (address, started):
        result["warm_start"] = wait_ready_and_warm(address, started)
        print(result["warm_start"], flush=True)
        result["shape_changes"] = shape_changes(address)
        print(result["shape_changes"], flush=True)
        result["surface_first_runs"] = surface_first_runs(address)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="the persistent compilation cache (default: a new empty directory)")
    parser.add_argument("--skip-cold", action="store_true", help="only the restart on an existing --cache")
    args = parser.parse_args()
    print(json.dumps(main(args.cache, args.skip_cold), indent=1))

"""Issue 14 §2: a class on one server. Sixty simulated students on loopback, for a bounded time.

- 40 surface students: a live session of 8 optimizers × 500 steps on Rosenbrock, playing at the page's
  100 steps/s; every few seconds each drags a learning-rate slider for about a second. An update is sent
  when the previous one's ``paths`` frame has arrived (as fast as the page would see them), and each is
  timed from sending to that frame: the **slider latency**.
- 15 network students: the network lab training and playing at the page's 30 chunks/s, in the
  architectures a class tries first (the default 5 × 5 tanh, deeper and wider ReLU, sigmoid with batch
  norm). Their chunk frames are counted: **chunks/s** per session.
- 5 heavy clients, each in a loop: ``POST /api/v1/train`` near its cost limit (20 × 256 ReLU + batch
  norm, full batch, 100 epochs), 16 runs × 10,000 steps of trajectories, a 128 × 128 × 2000-step sweep, a 20-layer
  init experiment. A 429 (the heavy lane's caps) is counted as *refused* and retried after its
  ``Retry-After``; anything else that is not a 200 is an error.

The server runs as ``descentlab serve [--workers N]`` in its own process, with the start-up warm-up of
the default views (not every bucket: that takes tens of minutes from an empty cache) and a persistent
compilation cache the workers share. First every session starts and shows its first frame (the ramp,
not measured: compilations happen here), then the class runs for ``--seconds``, measured. The clients
are coroutines of this one process and share the machine's cores with the server.

``python -m bench.classroom [--seconds 60] [--workers N] [--surface 40] [--network 15] [--heavy 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import tempfile
import time
import urllib.request

import httpx
from websockets.asyncio.client import connect

from app.api.schemas.network import MAX_TRAIN_WORK
from app.services.frames import decode_frame
from bench.common import percentile
from bench.server import server_process
from bench.slider_latency import SPEC as SURFACE_SPEC
from engine.network import work
from engine.network.training_config import NetworkConfig

SURFACE_STEPS_PER_SECOND = 100
RAMP_LIMIT_S = 600
NETWORK_CHUNKS_PER_SECOND = 30


def _network_spec(hidden, activation, init, batch_norm=False):
    return {
        "dataset": {"name": "circles", "n": 1000, "noise": 0.1, "validation_split": 0.5, "seed": 1},
        "networks": [
            {
                "model": {"hidden": hidden, "activation": activation, "init": init, "batch_norm": batch_norm},
                "optimizer": {"name": "momentum", "hyperparameters": {"learning_rate": 0.01, "momentum": 0.9}},
                "batch_size": 32,
            }
        ],
        "steps_per_chunk": 10,
    }


NETWORK_SPECS = [
    _network_spec([5] * 5, "tanh", {"name": "uniform", "low": 0, "high": 1}),
    _network_spec([16] * 10, "relu", {"name": "he_normal"}),
    _network_spec([64, 64], "relu", {"name": "he_normal"}),
    _network_spec([8] * 8, "sigmoid", {"name": "xavier_normal"}, batch_norm=True),
]

# /train near its cost limit (app.api.schemas.network.MAX_TRAIN_WORK), in whole chunks of 50 steps: one
# step per epoch on full batches
TRAIN_EPOCHS_AT_LIMIT = int(
    MAX_TRAIN_WORK // work.training_work(NetworkConfig(hidden=(256,) * 20, batch_size=1000), 50, 2000) * 50
)
HEAVY_REQUESTS = [
    (
        "/api/v1/train",
        {
            "dataset": {"name": "circles", "n": 2000},
            "model": {"hidden": [256] * 20, "activation": "relu", "batch_norm": True},
            "batch_size": 1000,
            "epochs": TRAIN_EPOCHS_AT_LIMIT,
        },
    ),
    (
        "/api/v1/trajectories",
        {
            "surface": {"name": "rosenbrock"},
            "steps": 10_000,
            "runs": [
                {"optimizer": o, "hyperparameters": {"learning_rate": 1e-4 * (1 + i)}}
                for i, o in enumerate(
                    ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "nadam"] * 2
                )
            ],
        },
    ),
    (
        "/api/v1/sweep",
        {
            "surface": {"name": "rosenbrock"},
            "steps": 2000,
            "run": {"optimizer": "momentum"},
            "axes": [
                {"name": "learning_rate", "low": 1e-5, "high": 1e-2, "count": 128, "scale": "log"},
                {"name": "momentum", "low": 0.0, "high": 0.99, "count": 128},
            ],
        },
    ),
    ("/api/v1/init-experiment", {"layers": 20, "width": 1000, "samples": 5000, "activation": "tanh"}),
]


class Tally:
    """What the students saw, across every coroutine."""

    def __init__(self) -> None:
        self.measuring = False
        self.end = float("inf")  # when the students leave: set once everyone is in
        self.slider_s: list[float] = []
        self.chunks: dict[int, int] = {}
        self.errors: list[str] = []
        self.dropped = 0
        self.heavy_done: dict[str, list[float]] = {}
        self.heavy_refused = 0

    def error(self, what: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(what)


async def _frames(ws, tally: Tally):
    """Every binary frame's header (acknowledged at once); JSON errors are tallied."""
    async for message in ws:
        if isinstance(message, bytes):
            header, _ = decode_frame(message)
            await ws.send(json.dumps({"type": "ack", "seq": header["seq"]}))
            yield header
        else:
            body = json.loads(message)
            if body.get("type") == "error":
                tally.error(f"session error: {body.get('message')}")


async def surface_student(address: str, tally: Tally, ready: asyncio.Event, rng: random.Random) -> None:
    async with connect(f"ws://{address}/ws/v1/surface", max_size=None, open_timeout=120) as ws:
        await ws.send(json.dumps({"type": "start", "spec": SURFACE_SPEC}))
        await ws.send(json.dumps({"type": "speed", "steps_per_second": SURFACE_STEPS_PER_SECOND}))
        await ws.send(json.dumps({"type": "resume"}))
        frames = _frames(ws, tally)
        async for header in frames:
            if header["type"] == "paths":
                break
        ready.set()
        next_drag = time.monotonic() + rng.uniform(1, 5)
        drag_until, sent = 0.0, None
        async for header in frames:
            now = time.monotonic()
            if now > tally.end:
                break
            if header["type"] == "tick" and header["cursor"] >= SURFACE_SPEC["steps"]:
                await ws.send(json.dumps({"type": "resume"}))  # playing from the end restarts at 0
            if header["type"] == "paths" and sent is not None:
                if tally.measuring:
                    tally.slider_s.append(now - sent)
                sent = None
            if sent is None and now >= next_drag:
                if not drag_until:
                    drag_until = now + rng.uniform(0.5, 1.5)
                if now < drag_until:
                    lr = 10 ** rng.uniform(-4, -2.5)
                    run = rng.randrange(len(SURFACE_SPEC["runs"]))
                    sent = time.monotonic()
                    await ws.send(json.dumps({"type": "update", "run": run, "hyperparameters": {"learning_rate": lr}}))
                else:
                    drag_until, next_drag = 0.0, now + rng.uniform(2, 6)
        await ws.send(json.dumps({"type": "stop"}))


async def network_student(address: str, tally: Tally, ready: asyncio.Event, i: int) -> None:
    spec = NETWORK_SPECS[i % len(NETWORK_SPECS)]
    async with connect(f"ws://{address}/ws/v1/network", max_size=None, open_timeout=120) as ws:
        await ws.send(json.dumps({"type": "start", "spec": spec, "play": True}))
        await ws.send(json.dumps({"type": "speed", "chunks_per_second": NETWORK_CHUNKS_PER_SECOND}))
        async for header in _frames(ws, tally):
            if header.get("type") == "chunk" and header.get("step", 0) > 0:
                ready.set()
                if tally.measuring:
                    tally.chunks[i] = tally.chunks.get(i, 0) + 1
            if time.monotonic() > tally.end:
                break
        await ws.send(json.dumps({"type": "stop"}))


async def heavy_client(address: str, tally: Tally, i: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=300) as client:
        k = i
        while time.monotonic() < tally.end:
            path, body = HEAVY_REQUESTS[k % len(HEAVY_REQUESTS)]
            t0 = time.monotonic()
            response = await client.post(path, json=body)
            if response.status_code == 429:
                tally.heavy_refused += 1
                await asyncio.sleep(
                    min(float(response.headers.get("retry-after", 5)), max(0.0, tally.end - time.monotonic()))
                )
                continue
            if response.status_code != 200:
                tally.error(f"{path}: {response.status_code} {response.text[:200]}")
            elif tally.measuring:
                tally.heavy_done.setdefault(path, []).append(time.monotonic() - t0)
            k += 1


async def _student(task, tally: Tally) -> None:
    try:
        await task
    except Exception as exc:  # noqa: BLE001 - a benchmark counts every failure
        tally.dropped += 1
        tally.error(repr(exc)[:300])


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), in MB."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _wait_warm(address: str, limit: float = 900) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://{address}/api/v1/health", timeout=10) as r:
            state = json.loads(r.read())
        if state["warm"] or state.get("stopped"):
            return
        time.sleep(0.5)
    raise RuntimeError("the server's warm-up did not finish")


async def _class(address: str, pid: int, seconds: float, surface: int, network: int, heavy: int) -> dict:
    tally = Tally()
    readies = [asyncio.Event() for _ in range(surface + network)]
    # Students start a little apart (a class does not click at the same millisecond).
    tasks = [_later(i * 0.05, surface_student(address, tally, readies[i], random.Random(i))) for i in range(surface)]
    tasks += [_later(i * 0.2, network_student(address, tally, readies[surface + i], i)) for i in range(network)]
    running = [asyncio.ensure_future(_student(t, tally)) for t in tasks]
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=RAMP_LIMIT_S)
    except TimeoutError:  # e.g. more workers than cores, all compiling: say so rather than measure a stall
        for task in running:
            task.cancel()
        ready = sum(r.is_set() for r in readies)
        return {"ramp": f"only {ready} of {len(readies)} students saw a first frame within {RAMP_LIMIT_S} s"}
    ramp_s = time.monotonic() - t0
    heavy_tasks = [asyncio.ensure_future(_student(heavy_client(address, tally, i), tally)) for i in range(heavy)]
    await asyncio.sleep(5)  # the heavy requests' first compilations, before measuring
    rss = [_rss_mb(pid)]
    server_cpu, client_cpu = _cpu_s(pid), _own_cpu_s()
    tally.measuring, started = True, time.monotonic()
    tally.end = started + seconds
    while time.monotonic() < tally.end:
        await asyncio.sleep(1)
        rss.append(_rss_mb(pid))
    measured = time.monotonic() - started
    server_cpu, client_cpu = _cpu_s(pid) - server_cpu, _own_cpu_s() - client_cpu
    tally.measuring = False
    await asyncio.wait(running + heavy_tasks, timeout=120)
    rates = [tally.chunks.get(i, 0) / measured for i in range(network)]
    sliders = sorted(tally.slider_s)
    return {
        "students": {"surface": surface, "network": network, "heavy": heavy},
        "ramp_s": round(ramp_s, 1),
        "measured_s": round(measured, 1),
        "slider_updates": len(sliders),
        "slider_p50_ms": round(1000 * statistics.median(sliders), 1) if sliders else None,
        "slider_p95_ms": round(1000 * percentile(sliders, 95), 1) if sliders else None,
        "slider_max_ms": round(1000 * sliders[-1], 1) if sliders else None,
        "network_chunks_per_s_min": round(min(rates), 1) if rates else None,
        "network_chunks_per_s_median": round(statistics.median(rates), 1) if rates else None,
        "heavy_answered": {path: len(times) for path, times in tally.heavy_done.items()},
        "heavy_seconds_median": {path: round(statistics.median(t), 1) for path, t in tally.heavy_done.items()},
        "heavy_refused_429": tally.heavy_refused,
        "errors": len(tally.errors),
        "first_errors": tally.errors[:5],
        "dropped_sessions": tally.dropped,
        "cores_busy": {"server": round(server_cpu / measured, 2), "clients": round(client_cpu / measured, 2)},
        "rss_mb": {"start": round(rss[0]), "max": round(max(rss)), "end": round(rss[-1])},
    }


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _later(delay: float, coroutine):
    await asyncio.sleep(delay)
    return await coroutine


def main(seconds: float = 60, workers: int = 1, surface: int = 40, network: int = 15, heavy: int = 5) -> dict:
    env = {
        "DESCENTLAB_MAX_WS_PER_CLIENT": "0",  # sixty students from one loopback address
        "DESCENTLAB_WARM_BUCKETS": "false",
        "DESCENTLAB_JAX_CACHE_DIR": tempfile.mkdtemp(prefix="descentlab-classroom-jax-"),
    }
    args = ("--workers", str(workers)) if workers > 1 else ()
    with server_process(env, args) as (address, process):
        _wait_warm(address)
        result = asyncio.run(_class(address, process.pid, seconds, surface, network, heavy))
    return {"workers": workers, **result}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--surface", type=int, default=40)
    parser.add_argument("--network", type=int, default=15)
    parser.add_argument("--heavy", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(main(args.seconds, args.workers, args.surface, args.network, args.heavy), indent=1))

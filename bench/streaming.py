"""Streaming: tick frames per second while playing, to one client and to each of 50 concurrent clients.

The server runs in its own process (``python -m app.cli serve``), as in production; the clients are
threads of this one. Each client starts a session of 8 optimizers × 500 steps, plays at 400 steps/s
(restarting at the end), acknowledges every frame, and counts `tick` frames and error messages.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from contextlib import contextmanager

from websockets.sync.client import connect

from app.services.frames import decode_frame
from bench.server import server_process as serve_process
from bench.slider_latency import SPEC


@contextmanager
def server_process():
    # Fifty clients from one loopback address: no per-client WebSocket cap.
    env = {"DESCENTLAB_WARM_UP": "false", "DESCENTLAB_MAX_WS_PER_CLIENT": "0"}
    with serve_process(env) as (address, _):
        yield address


def _warm(address: str) -> None:
    """One session first, so the compilations are not in anybody's timings."""
    with connect(f"ws://{address}/ws/v1/surface", max_size=None) as ws:
        ws.send(json.dumps({"type": "start", "spec": SPEC}))
        while not isinstance(ws.recv(timeout=120), bytes):
            pass


def _client(address: str, seconds: float) -> tuple[float, int]:
    """Ticks per second (counted from the first tick) and error messages of one playing client."""
    ticks, errors, first = 0, 0, None
    with connect(f"ws://{address}/ws/v1/surface", max_size=None, open_timeout=60) as ws:
        play = ({"type": "start", "spec": SPEC}, {"type": "speed", "steps_per_second": 400}, {"type": "resume"})
        for message in play:
            ws.send(json.dumps(message))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            message = ws.recv(timeout=30)
            if isinstance(message, bytes):
                header, _ = decode_frame(message)
                ws.send(json.dumps({"type": "ack", "seq": header["seq"]}))
                if header["type"] == "tick":
                    ticks += 1
                    first = first or time.monotonic()
                    if header["cursor"] >= SPEC["steps"]:
                        ws.send(json.dumps({"type": "resume"}))  # playing from the end restarts at 0
            elif json.loads(message).get("type") == "error":
                errors += 1
        ws.send(json.dumps({"type": "stop"}))
    return (ticks / (time.monotonic() - first) if first else 0.0), errors


def _clients(address: str, n: int, seconds: float) -> dict:
    results: list[tuple[float, int] | None] = [None] * n
    failures: list[str] = []

    def run(i: int) -> None:
        try:
            results[i] = _client(address, seconds)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports every failure
            failures.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rates = [r[0] for r in results if r]
    return {
        "clients": n,
        "frames_per_s_median": statistics.median(rates) if rates else 0.0,
        "frames_per_s_min": min(rates) if rates else 0.0,
        "errors": sum(r[1] for r in results if r) + len(failures),
        "failures": failures[:3],
    }


def main(seconds: float = 10.0) -> dict:
    with server_process() as address:
        _warm(address)
        return {"one": _clients(address, 1, seconds), "fifty": _clients(address, 50, seconds)}


if __name__ == "__main__":
    print(main())

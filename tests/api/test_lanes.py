"""Streaming and heavy work have lanes of their own, heavy work has caps: interactive work never queues
behind either (issue 14 §1)."""

import threading
import time

import anyio
import pytest

from app.services import lanes
from app.services.lanes import Busy, Lanes
from app.settings import settings


class FakeRequest:
    """What run_heavy reads of a request: the client's address, and whether it went away."""

    def __init__(self, host="10.0.0.1", gone_after=None):
        self.client = type("Client", (), {"host": host})()
        self.started = time.monotonic()
        self.gone_after = gone_after

    async def is_disconnected(self):
        return self.gone_after is not None and time.monotonic() - self.started > self.gone_after


def test_interactive_work_answers_while_heavy_work_runs(monkeypatch):
    monkeypatch.setattr(lanes, "LANES", Lanes())
    release = threading.Event()
    order = []

    def heavy(stop):
        release.wait(10)
        order.append("heavy")

    async def main():
        async with anyio.create_task_group() as group:
            group.start_soon(lanes.run_heavy, FakeRequest("a"), heavy)
            group.start_soon(lanes.run_heavy, FakeRequest("b"), heavy)  # waits for the heavy thread
            await anyio.sleep(0.2)
            for _ in range(2 * settings.ENGINE_THREADS):  # more than the lane's threads: none waits for heavy
                await lanes.run_engine(order.append, "interactive")
            release.set()

    anyio.run(main)
    assert order == ["interactive"] * (2 * settings.ENGINE_THREADS) + ["heavy", "heavy"]


def test_interactive_work_answers_while_every_streaming_thread_is_busy(monkeypatch):
    monkeypatch.setattr(lanes, "LANES", Lanes())
    release = threading.Event()
    order = []

    def chunk():
        release.wait(10)
        order.append("chunk")

    async def main():
        async with anyio.create_task_group() as group:
            for _ in range(settings.STREAM_THREADS + 2):  # every streaming thread busy, and two chunks waiting
                group.start_soon(lanes.run_streaming, chunk)
            await anyio.sleep(0.2)
            for _ in range(2 * settings.ENGINE_THREADS):
                await lanes.run_engine(order.append, "update")
            release.set()

    anyio.run(main)
    assert order == ["update"] * (2 * settings.ENGINE_THREADS) + ["chunk"] * (settings.STREAM_THREADS + 2)


def test_a_client_over_its_cap_and_a_full_queue_are_refused_at_once(monkeypatch):
    monkeypatch.setattr(lanes, "LANES", Lanes())
    monkeypatch.setattr(settings, "HEAVY_QUEUE", 2)
    release = threading.Event()
    refused = []

    async def attempt(host):
        try:
            await lanes.run_heavy(FakeRequest(host), lambda stop: release.wait(10))
        except Busy as exc:
            refused.append((host, exc.message))

    async def main():
        async with anyio.create_task_group() as group:
            group.start_soon(attempt, "a")
            await anyio.sleep(0.1)
            await attempt("a")  # a's second heavy request while its first runs
            group.start_soon(attempt, "b")  # waits for the thread: the queue is now full (2)
            await anyio.sleep(0.1)
            await attempt("c")
            release.set()

    anyio.run(main)
    assert [host for host, _ in refused] == ["a", "c"]
    assert "already have 1 heavy request" in refused[0][1] and "busy" in refused[1][1]
    assert not lanes.LANES.per_client  # every slot given back


def test_waiting_is_bounded(monkeypatch):
    monkeypatch.setattr(lanes, "LANES", Lanes())
    monkeypatch.setattr(settings, "HEAVY_WAIT", 0.3)
    release = threading.Event()

    async def main():
        async with anyio.create_task_group() as group:
            group.start_soon(lanes.run_heavy, FakeRequest("a"), lambda stop: release.wait(10))
            await anyio.sleep(0.1)
            with pytest.raises(Busy):
                await lanes.run_heavy(FakeRequest("b"), lambda stop: None)
            release.set()

    anyio.run(main)


def test_a_client_that_goes_away_stops_its_running_work(monkeypatch):
    monkeypatch.setattr(lanes, "LANES", Lanes())
    slices = []

    def sliced(stop):
        while not stop.is_set() and len(slices) < 100:
            slices.append(1)
            time.sleep(0.05)
        return "stopped" if stop.is_set() else "finished"

    async def main():
        with pytest.raises(Busy, match="went away"):
            await lanes.run_heavy(FakeRequest(gone_after=0.3), sliced)

    anyio.run(main)
    assert 3 <= len(slices) < 30  # stopped within a slice or two of the disconnect, not after 100


def test_http_answers_429_with_retry_after(client, monkeypatch):
    async def busy(request, fn, *args):
        raise Busy("the server is busy with heavy requests from other users: try again soon", retry_after=7)

    from app.api.routes import network

    monkeypatch.setattr(network, "run_heavy", busy)
    response = client.post("/api/v1/train", json={})
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert response.json()["message"].startswith("the server is busy")

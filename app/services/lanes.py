"""Three lanes for engine work, so that neither a class's training networks nor one student's heavy
request ever queue a slider's update.

*Interactive* work (a slider's update, a new network's set-up, a small REST request) runs in its own
pool of ``ENGINE_THREADS`` worker threads. *Streaming* work (the next chunk of a network that plays)
has ``STREAM_THREADS`` of its own: fifteen training networks keep their lane full, and an update must
not wait behind their chunks. *Heavy* work (``/train``, long trajectories, big sweeps and init
experiments) has ``HEAVY_THREADS`` threads.
Heavy work is bounded: at most ``HEAVY_PER_CLIENT`` requests of one client in the lane (running or
waiting) and ``HEAVY_QUEUE`` in all, and a request waits at most ``HEAVY_WAIT`` seconds for a thread;
beyond any of these it is refused at once with :class:`Busy` (HTTP 429 with ``Retry-After``), never
left in an open-ended queue. A client that goes away cancels its waiting request, and a running one
stops after its current slice (the ``stop`` event it is given).

XLA releases the GIL while it computes, so the lanes share the CPU cores rather than wait for each
other: under load an interactive update is slower, not stuck.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import anyio
from anyio import to_thread
from starlette.requests import Request

from app.settings import settings


class Busy(Exception):
    """Heavy work over its caps: answered 429 with ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int = 5):
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


class Lanes:
    def __init__(self) -> None:
        self.interactive = anyio.CapacityLimiter(settings.ENGINE_THREADS)
        self.streaming = anyio.CapacityLimiter(settings.STREAM_THREADS)
        self.heavy = anyio.CapacityLimiter(settings.HEAVY_THREADS)
        self.per_client: Counter[str] = Counter()

    # abandon_on_cancel: a cancelled caller (a request past its deadline, a client gone) returns at once;
    # an XLA call cannot be interrupted, so its thread finishes it with nobody waiting.
    async def run_interactive(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await to_thread.run_sync(fn, *args, limiter=self.interactive, abandon_on_cancel=True)

    async def run_streaming(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await to_thread.run_sync(fn, *args, limiter=self.streaming, abandon_on_cancel=True)

    async def run_heavy(self, client: str, fn: Callable[..., Any], *args: Any) -> Any:
        if self.per_client[client] >= settings.HEAVY_PER_CLIENT:
            raise Busy(f"you already have {settings.HEAVY_PER_CLIENT} heavy request(s) running: wait for it to finish")
        if sum(self.per_client.values()) >= settings.HEAVY_QUEUE:
            raise Busy("the server is busy with heavy requests from other users: try again in a few seconds")
        self.per_client[client] += 1
        try:
            try:
                with anyio.fail_after(settings.HEAVY_WAIT):
                    await self.heavy.acquire()
            except TimeoutError:
                raise Busy("the server is busy with heavy requests from other users: try again soon") from None
            try:
                return await to_thread.run_sync(fn, *args, abandon_on_cancel=True)
            finally:
                self.heavy.release()
        finally:
            self.per_client[client] -= 1
            if not self.per_client[client]:
                del self.per_client[client]


LANES = Lanes()


async def run_engine(fn: Callable[..., Any], *args: Any) -> Any:
    """Interactive engine work in a worker thread (XLA releases the GIL while it computes)."""
    return await LANES.run_interactive(fn, *args)


async def run_streaming(fn: Callable[..., Any], *args: Any) -> Any:
    """The next piece of a stream (a playing network's chunk), in its own lane."""
    return await LANES.run_streaming(fn, *args)


async def run_heavy(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """Heavy engine work ``fn(*args, stop)`` in the heavy lane; ``stop`` (a ``threading.Event``) is set when
    the client disconnects, and ``fn`` should end at its next slice then. Raises :class:`Busy`."""
    stop = threading.Event()
    client = request.client.host if request.client else "unknown"
    outcome: dict[str, Any] = {}

    async def watch(scope: anyio.CancelScope) -> None:
        while not await request.is_disconnected():
            await anyio.sleep(0.2)
        stop.set()
        scope.cancel()  # a request still waiting for its thread is dropped; a running one stops soon

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(watch, group.cancel_scope)
            try:
                outcome["value"] = await LANES.run_heavy(client, fn, *args, stop)
            except Exception as exc:  # raised below, not as an exception group
                outcome["error"] = exc
            group.cancel_scope.cancel()
    finally:
        gone = stop.is_set()
        stop.set()  # work of a cancelled request (past its deadline) ends at its next slice
    if "error" in outcome:
        raise outcome["error"]
    if "value" not in outcome or gone:
        raise Busy("the request was cancelled: its client went away")
    return outcome["value"]

"""The transport loop shared by every live WebSocket session (surface and network).

A session object knows the protocol; this module only moves messages:

- ``session.parse(text)`` validates a client message (raises ``ValidationError``/``ValueError``);
- ``session.apply(message)`` changes state and may return a JSON reply; raises :class:`StopSession`;
- ``await session.produce()`` returns ``(outgoing, timeout)``: frames (``bytes``) and JSON messages
  (``dict``) to send now, and how long to wait for a client message before asking again (``None``:
  until one arrives). Binary frames are paced by the session's own credit window.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnected

MAX_MESSAGE_BYTES = 64 * 1024


class StopSession(Exception):
    """The client asked to stop: answer ``{"type": "stopped"}`` and close normally."""


class LiveSession(Protocol):
    def parse(self, text: str) -> Any: ...

    def apply(self, message: Any) -> dict | None: ...

    async def produce(self) -> tuple[list[bytes | dict], float | None]: ...


def error_message(exc: Exception) -> dict:
    """An error frame: what was wrong and where; the session keeps its previous state."""
    if isinstance(exc, ValidationError):
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors(include_url=False)]
        message = "; ".join(f"{'.'.join(e['loc']) or 'message'}: {e['msg']}" for e in errors)
        return {"type": "error", "message": message, "errors": errors}
    return {"type": "error", "message": str(exc), "errors": []}


class _Signal:
    """Wakes the producer whenever a client message changed something."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None) -> None:
        with anyio.move_on_after(timeout):
            await self._event.wait()
        self._event = anyio.Event()


async def serve_session(websocket: WebSocket, session: LiveSession) -> None:
    """Run one session until the client disconnects or sends ``stop``."""
    await websocket.accept()
    signal = _Signal()
    send_lock = anyio.Lock()

    async def send(item: bytes | dict) -> None:
        async with send_lock:
            if isinstance(item, bytes):
                await websocket.send_bytes(item)
            else:
                await websocket.send_text(json.dumps(item, allow_nan=False))

    async def receive() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            text = message.get("text")
            try:
                if text is None:
                    raise ValueError("messages must be JSON text, not binary")
                if len(text) > MAX_MESSAGE_BYTES:
                    raise ValueError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
                reply = session.apply(session.parse(text))
            except (ValidationError, ValueError) as exc:
                await send(error_message(exc))
                continue
            if reply:
                await send(reply)
            signal.set()

    async def produce() -> None:
        while True:
            outgoing, timeout = await session.produce()
            for item in outgoing:
                await send(item)
            if not outgoing:
                await signal.wait(timeout)

    stopped = False
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(receive)
            tg.start_soon(produce)
    except* WebSocketDisconnect:
        pass  # the client went away; both tasks ended with the group
    except* StopSession:
        stopped = True
    if stopped:
        try:
            await send({"type": "stopped"})
            await websocket.close()
        except (WebSocketDisconnect, WebSocketDisconnected):
            # The client closed right after its stop (or the connection broke while the last frame was being
            # sent, which leaves the socket closed): nothing left to tell it.
            pass

"""``/ws/v1/surface``: a live surface session (protocol in docs/protocol.md)."""

from __future__ import annotations

import json
import time

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from app.api.deps import run_engine
from app.api.schemas.messages import (
    AckMessage,
    ClientMessage,
    PauseMessage,
    ResumeMessage,
    SeekMessage,
    SpeedMessage,
    StartMessage,
    StepMessage,
    StopMessage,
    UpdateMessage,
)
from app.services.surface_runs import simulate_spec
from app.services.surface_session import SurfaceSession, error_message
from app.settings import settings

router = APIRouter(tags=["live"])
MAX_MESSAGE_BYTES = 64 * 1024


class _Signal:
    """Wakes the sender whenever the receiver changed something."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None) -> None:
        with anyio.move_on_after(timeout):
            await self._event.wait()
        self._event = anyio.Event()


class _Stop(Exception):
    pass


def _apply(session: SurfaceSession, msg) -> dict | None:
    """Apply one client message to the session; returns a state message to send, if any."""
    match msg:
        case StartMessage():
            session.set_spec(msg.spec)
            session.cursor = 0
            if msg.play:
                session.play()
            else:
                session.playing = False
        case UpdateMessage():
            session.update(msg)
        case PauseMessage():
            session.playing = False
            return session.state_message()
        case ResumeMessage():
            session.play()
            return session.state_message()
        case StepMessage():
            session.move(session.cursor + msg.count)
        case SeekMessage():
            session.move(msg.step)
        case SpeedMessage():
            session.steps_per_second = msg.steps_per_second
            return session.state_message()
        case AckMessage():
            session.ack(msg.seq)
        case StopMessage():
            raise _Stop
    return None


@router.websocket("/ws/v1/surface")
async def surface_session(websocket: WebSocket) -> None:
    """Receive control messages; send paths and ticks, at most a few frames ahead of the acks."""
    await websocket.accept()
    session = SurfaceSession(max_ahead=settings.WS_MAX_AHEAD)
    signal = _Signal()
    send_lock = anyio.Lock()

    async def send_json(message: dict) -> None:
        async with send_lock:
            await websocket.send_text(json.dumps(message))

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
                reply = _apply(session, ClientMessage.validate_json(text))
            except (ValidationError, ValueError) as exc:
                await send_json(error_message(exc))
                continue
            if reply:
                await send_json(reply)
            signal.set()

    async def send() -> None:
        while True:
            pending = session.take_pending()
            if pending is not None:
                results = await run_engine(simulate_spec, pending)
                session.computed(pending, results)
                continue
            was_playing = session.playing
            timeout = session.advance_playback(time.monotonic())
            frame = session.next_frame()
            if frame is not None:
                async with send_lock:
                    await websocket.send_bytes(frame)
            if was_playing and not session.playing:
                await send_json(session.state_message(at_end=True))
            if frame is None:
                await signal.wait(timeout)

    stopped = False
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(receive)
            tg.start_soon(send)
    except* WebSocketDisconnect:
        pass  # the client went away: nothing to clean up, the tasks are gone with the group
    except* _Stop:
        stopped = True
    if stopped:
        await send_json({"type": "stopped"})
        await websocket.close()

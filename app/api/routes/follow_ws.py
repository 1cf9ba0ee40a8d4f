"""``/ws/v1/follow``: a teacher leads a room; students follow it (protocol in docs/protocol.md)."""

from __future__ import annotations

import json

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from app.api.live import MAX_MESSAGE_BYTES, error_message
from app.api.schemas.follow import ViewMessage
from app.services.follow import hub

router = APIRouter(tags=["live"])
FOLLOWER_COUNT_SECONDS = 1.0


@router.websocket("/ws/v1/follow/lead")
async def lead(websocket: WebSocket) -> None:
    """Open a room: answer its id, then relay every ``view`` the leader sends to the room's followers."""
    await websocket.accept()
    try:
        room = hub.open()
    except RuntimeError as exc:
        await websocket.send_text(json.dumps(error_message(exc)))
        await websocket.close(code=1013)
        return
    try:
        await websocket.send_text(json.dumps({"type": "room", "id": room.id}))

        async def count_followers() -> None:
            told = None
            while True:
                if (count := room.follower_count) != told:  # one look at the shared directory a second
                    told = count
                    await websocket.send_text(json.dumps({"type": "followers", "count": told}))
                await anyio.sleep(FOLLOWER_COUNT_SECONDS)

        async with anyio.create_task_group() as tg:
            tg.start_soon(count_followers)
            while True:
                text = await websocket.receive_text()
                try:
                    if len(text) > MAX_MESSAGE_BYTES:
                        raise ValueError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
                    room.publish(ViewMessage.model_validate_json(text).model_dump(exclude={"type"}))
                except (ValidationError, ValueError) as exc:
                    await websocket.send_text(json.dumps(error_message(exc)))
    except* WebSocketDisconnect:
        pass
    finally:
        hub.close(room)


@router.websocket("/ws/v1/follow/{room_id}")
async def follow(websocket: WebSocket, room_id: str) -> None:
    """Send the room's newest view now and on every change, until the leader leaves (``ended``)."""
    await websocket.accept()
    room = hub.join(room_id)
    if room is None:
        await websocket.send_text(json.dumps({"type": "error", "message": f"no live view {room_id!r} to follow"}))
        await websocket.close(code=4404)
        return
    try:
        async with anyio.create_task_group() as tg:

            async def watch_disconnect() -> None:
                while (await websocket.receive())["type"] != "websocket.disconnect":
                    pass  # followers have nothing to say
                tg.cancel_scope.cancel()

            tg.start_soon(watch_disconnect)
            seen = 0
            while (view := await room.next_view(seen)) is not None:
                seen = view["version"]
                await websocket.send_text(json.dumps(view))
            await websocket.send_text(json.dumps({"type": "ended"}))
            tg.cancel_scope.cancel()
    except* WebSocketDisconnect:
        pass
    finally:
        hub.leave(room)

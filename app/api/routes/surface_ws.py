"""``/ws/v1/surface``: a live surface session (protocol in docs/protocol.md)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from app.api.live import serve_session
from app.services.surface_session import SurfaceSession
from app.settings import settings

router = APIRouter(tags=["live"])


@router.websocket("/ws/v1/surface")
async def surface_session(websocket: WebSocket) -> None:
    """Receive control messages; send paths and ticks, at most a few frames ahead of the acks."""
    await serve_session(websocket, SurfaceSession(max_ahead=settings.WS_MAX_AHEAD))

"""``/ws/v1/network``: live training of one or two networks (protocol in docs/protocol.md)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from app.api.live import serve_session
from app.services.network_session import NetworkSession
from app.settings import settings

router = APIRouter(tags=["live"])


@router.websocket("/ws/v1/network")
async def network_session(websocket: WebSocket) -> None:
    """Receive control messages; send setup and per-chunk statistics, a few frames ahead of the acks."""
    await serve_session(websocket, NetworkSession(max_ahead=settings.WS_MAX_AHEAD))

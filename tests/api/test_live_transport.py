"""The live-session transport against a real uvicorn server: clients that leave abruptly."""

import contextlib
import json
import socket
import threading

import anyio
import pytest
from starlette.websockets import WebSocketDisconnected
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

SPEC = {"surface": {"name": "quadratic"}, "steps": 50, "runs": [{"optimizer": "sgd"}]}


@pytest.mark.parametrize("path", ["/ws/v1/surface", "/ws/v1/network"])
def test_stop_then_close_at_once_leaves_no_error_in_the_server_log(path, live_server):
    """A client may send ``stop`` and close without waiting for ``stopped``: the server just lets it go
    (``live_server`` checks its log after shutdown)."""
    address = live_server.address
    for _ in range(20):
        with connect(f"ws://{address}{path}") as ws:
            if path.endswith("surface"):
                ws.send(json.dumps({"type": "start", "spec": SPEC}))
            ws.send(json.dumps({"type": "stop"}))
    with connect(f"ws://{address}{path}") as ws:  # and the server still serves
        ws.send(json.dumps({"type": "stop"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "stopped"}


def test_two_hundred_abrupt_disconnects_mid_stream_leak_no_thread(live_server):
    """Clients that drop the TCP connection while frames stream (no close handshake) leave nothing behind."""
    url = f"ws://{live_server.address}/ws/v1/surface"
    spec = {**SPEC, "steps": 500}
    with connect(url) as ws:  # warm: compile once
        ws.send(json.dumps({"type": "start", "spec": spec}))
        while not isinstance(ws.recv(timeout=60), bytes):
            pass
    baseline = threading.active_count()
    for i in range(200):
        with contextlib.suppress(ConnectionClosed, OSError), connect(url) as ws:
            ws.send(json.dumps({"type": "start", "spec": spec, "play": True}))
            if i % 2:  # half of them drop before the first frame, half while it streams
                while not isinstance(ws.recv(timeout=30), bytes):
                    pass
            ws.socket.shutdown(socket.SHUT_RDWR)
    with connect(url) as ws:  # still serving
        ws.send(json.dumps({"type": "start", "spec": spec}))
        while not isinstance(ws.recv(timeout=60), bytes):
            pass
    assert threading.active_count() <= baseline + 4


class _ClosedAfterStop:
    """A WebSocket whose client sends ``stop`` and whose connection is gone by the time the server answers."""

    def __init__(self):
        self.sent = []

    async def accept(self):
        pass

    async def receive(self):
        return {"type": "websocket.receive", "text": json.dumps({"type": "stop"})}

    async def send_text(self, text):
        raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')

    async def close(self):
        raise AssertionError("a closed socket is not closed again")


def test_a_stop_whose_connection_is_already_gone_ends_the_session_quietly():
    """Seen with 50 clients stopping at once: the transport failed while a frame was sent, then ``stopped``
    could not be sent and the server logged a traceback."""
    from app.api.live import serve_session
    from app.services.surface_session import SurfaceSession

    anyio.run(serve_session, _ClosedAfterStop(), SurfaceSession(max_ahead=3))

"""The live-session transport against a real uvicorn server: clients that leave abruptly."""

import contextlib
import json
import logging
import socket
import threading

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.main import app
from bench.server import serve

SPEC = {"surface": {"name": "quadratic"}, "steps": 50, "runs": [{"optimizer": "sgd"}]}


class _Errors(logging.Handler):
    """Collects what uvicorn logs at ERROR (its loggers do not propagate to pytest's caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.parametrize("path", ["/ws/v1/surface", "/ws/v1/network"])
def test_stop_then_close_at_once_leaves_no_error_in_the_server_log(path):
    """A client may send ``stop`` and close without waiting for ``stopped``: the server just lets it go."""
    errors = _Errors()
    uvicorn_log = logging.getLogger("uvicorn.error")
    with serve(app) as address:
        uvicorn_log.addHandler(errors)
        try:
            for _ in range(20):
                with connect(f"ws://{address}{path}") as ws:
                    if path.endswith("surface"):
                        ws.send(json.dumps({"type": "start", "spec": SPEC}))
                    ws.send(json.dumps({"type": "stop"}))
            with connect(f"ws://{address}{path}") as ws:  # and the server still serves
                ws.send(json.dumps({"type": "stop"}))
                assert json.loads(ws.recv(timeout=10)) == {"type": "stopped"}
        finally:
            uvicorn_log.removeHandler(errors)
    assert errors.messages == []


def test_two_hundred_abrupt_disconnects_mid_stream_leak_no_thread():
    """Clients that drop the TCP connection while frames stream (no close handshake) leave nothing behind."""
    errors = _Errors()
    uvicorn_log = logging.getLogger("uvicorn.error")
    spec = {**SPEC, "steps": 500}
    with serve(app) as address:
        uvicorn_log.addHandler(errors)
        try:
            with connect(f"ws://{address}/ws/v1/surface") as ws:  # warm: compile once
                ws.send(json.dumps({"type": "start", "spec": spec}))
                while not isinstance(ws.recv(timeout=60), bytes):
                    pass
            baseline = threading.active_count()
            for i in range(200):
                with contextlib.suppress(ConnectionClosed, OSError), connect(f"ws://{address}/ws/v1/surface") as ws:
                    ws.send(json.dumps({"type": "start", "spec": spec, "play": True}))
                    if i % 2:  # half of them drop before the first frame, half while it streams
                        while not isinstance(ws.recv(timeout=30), bytes):
                            pass
                    ws.socket.shutdown(socket.SHUT_RDWR)
            with connect(f"ws://{address}/ws/v1/surface") as ws:  # still serving
                ws.send(json.dumps({"type": "start", "spec": spec}))
                while not isinstance(ws.recv(timeout=60), bytes):
                    pass
            assert threading.active_count() <= baseline + 4
        finally:
            uvicorn_log.removeHandler(errors)
    assert errors.messages == []

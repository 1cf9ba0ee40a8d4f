import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import app
from bench.server import serve


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(app) as c:
        yield c


class LiveServer:
    """The app on a real uvicorn server (``address``) and what uvicorn logged at ERROR meanwhile (``errors``:
    its loggers do not propagate to pytest's caplog)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.errors: list[str] = []


class _ErrorLog(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """A fresh server per test; after the test and the server's shutdown, its log must hold no error."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    server, handler = None, None
    try:
        with serve(app) as address:
            server = LiveServer(address)
            handler = _ErrorLog(server.errors)
            uvicorn_log.addHandler(handler)
            yield server
    finally:
        if handler is not None:
            uvicorn_log.removeHandler(handler)
    assert server.errors == [], f"the server logged errors: {server.errors}"

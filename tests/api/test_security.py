"""Security at the edge (app/api/security.py): response headers, the WebSocket Origin check, the body size
limit, the WebSocket message size limit and the per-client WebSocket cap."""

import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.api.live import MAX_MESSAGE_BYTES
from app.settings import settings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SPEC = {"surface": {"name": "quadratic"}, "steps": 20, "runs": [{"optimizer": "sgd"}]}
WS_ROUTES = ["/ws/v1/surface", "/ws/v1/network", "/ws/v1/follow/lead", "/ws/v1/follow/nosuchroom"]


def directives(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in (p.strip() for p in policy.split(";"))}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/", None, 200),
        ("GET", "/network", None, 200),
        ("GET", "/docs", None, 200),
        ("GET", "/api/v1/catalog", None, 200),
        ("GET", "/static/css/app.css", None, 200),
        ("GET", "/vendor/plotly.min.js", None, 200),
        ("GET", "/api/v1/no-such-thing", None, 404),
        ("POST", "/api/v1/trajectories", {"steps": "many"}, 422),
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, method, path, body, status):
    response = client.request(method, path, json=body)
    assert response.status_code == status
    csp = directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no inline script, no eval
    assert csp["style-src-elem"].startswith("'self' 'sha256-")  # plotly's <style> elements, by hash only
    assert "'unsafe-inline'" not in csp["style-src-elem"]
    assert csp["connect-src"] == "'self'"
    assert csp["img-src"] == "'self' data: blob:"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == settings.FRAME_ANCESTORS
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("page", ["/", "/network", "/init", "/lessons", "/docs"])
def test_pages_have_no_inline_script_or_event_handler(client: TestClient, page):
    html = client.get(page).text
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts and all("src=" in attributes for attributes in scripts)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html)


def test_templates_have_no_inline_script_or_event_handler():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert all("src=" in a for a in re.findall(r"<script\b([^>]*)>", text)), template.name
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", text), template.name


# --- WebSocket Origin ------------------------------------------------------------------------------------


def admitted(ws, path: str) -> None:
    """The route's first exchange: the session was accepted and served."""
    if path.startswith("/ws/v1/follow/lead"):
        assert ws.receive_json()["type"] == "room"
    elif path.startswith("/ws/v1/follow/"):
        assert ws.receive_json()["type"] == "error"  # accepted, then told the room does not exist
    else:
        ws.send_text(json.dumps({"type": "stop"}))
        assert ws.receive_json() == {"type": "stopped"}


@pytest.mark.parametrize("path", WS_ROUTES)
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.evil.example", "file://"])
def test_a_foreign_origin_is_refused_with_1008_and_logged(client: TestClient, caplog, path, origin):
    with (
        caplog.at_level(logging.WARNING, logger="app.api.security"),
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(path, headers={"origin": origin}),
    ):
        pass
    assert refused.value.code == 1008
    assert refused.value.reason == "origin not allowed"
    assert any(origin in r.getMessage() and path in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("path", WS_ROUTES)
@pytest.mark.parametrize("origin", [None, "http://testserver", "https://testserver", "HTTP://TestServer"])
def test_no_origin_or_the_apps_own_origin_is_accepted(client: TestClient, path, origin):
    headers = {"origin": origin} if origin else {}
    with client.websocket_connect(path, headers=headers) as ws:
        admitted(ws, path)


@pytest.mark.parametrize("path", WS_ROUTES)
def test_an_origin_on_the_allow_list_is_accepted(client: TestClient, monkeypatch, path):
    monkeypatch.setattr(settings, "WS_ALLOWED_ORIGINS", "https://slides.example, https://lms.example/")
    for origin in ("https://slides.example", "https://lms.example"):
        with client.websocket_connect(path, headers={"origin": origin}) as ws:
            admitted(ws, path)
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(path, headers={"origin": "https://x.example"}),
    ):
        pass
    assert refused.value.code == 1008


# --- sizes and caps --------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_answered_413_before_it_is_read(client: TestClient, monkeypatch):
    monkeypatch.setattr(settings, "MAX_BODY_BYTES", 2000)
    small = json.dumps(SPEC)
    assert (
        client.post("/api/v1/trajectories", content=small, headers={"content-type": "application/json"}).status_code
        == 200
    )
    big = small[:-1] + " " * 2000 + "}"  # valid JSON, only too large
    response = client.post("/api/v1/trajectories", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {
        "message": "request body larger than 2000 bytes (DESCENTLAB_MAX_BODY_BYTES)",
        "detail": [],
    }
    assert response.headers["x-content-type-options"] == "nosniff"  # the headers are on this answer too


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient, monkeypatch):
    monkeypatch.setattr(settings, "MAX_BODY_BYTES", 2000)

    def chunks(text: str, size: int = 300):
        for i in range(0, len(text), size):
            yield text[i : i + size].encode()

    small = json.dumps(SPEC)
    headers = {"content-type": "application/json"}
    answer = client.post("/api/v1/trajectories", content=chunks(small), headers=headers)
    assert answer.status_code == 200 and answer.json()["runs"][0]["status"]
    big = small[:-1] + " " * 5000 + "}"
    response = client.post("/api/v1/trajectories", content=chunks(big), headers=headers)
    assert response.status_code == 413 and "DESCENTLAB_MAX_BODY_BYTES" in response.json()["message"]


def test_the_default_body_limit_is_one_mebibyte(client: TestClient):
    assert settings.MAX_BODY_BYTES == 1024 * 1024
    response = client.post("/api/v1/trajectories", content=b"{" + b" " * (1024 * 1024) + b"}")
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/ws/v1/surface", "/ws/v1/network", "/ws/v1/follow/lead"])
def test_a_message_over_the_limit_gets_an_error_and_the_session_goes_on(client: TestClient, path):
    with client.websocket_connect(path) as ws:
        if path.endswith("lead"):
            ws.receive_json()  # room
            ws.receive_json()  # followers
        ws.send_text(json.dumps({"type": "pause", "pad": "x" * MAX_MESSAGE_BYTES}))
        error = ws.receive_json()
        assert error["type"] == "error" and error["message"] == f"message larger than {MAX_MESSAGE_BYTES} bytes"
        if not path.endswith("lead"):
            admitted(ws, path)


def test_a_client_over_its_websocket_cap_is_told_to_try_again_later(client: TestClient, monkeypatch):
    monkeypatch.setattr(settings, "MAX_WS_PER_CLIENT", 2)
    with client.websocket_connect("/ws/v1/surface"), client.websocket_connect("/ws/v1/network"):
        with client.websocket_connect("/ws/v1/follow/lead") as third:
            error = third.receive_json()
            assert error["type"] == "error" and "at most 2" in error["message"]
            closed = third.receive()
            assert closed["type"] == "websocket.close" and closed["code"] == 1013
            assert "try again" in closed["reason"]
    # the two closed: the client may open new ones
    with client.websocket_connect("/ws/v1/surface") as ws:
        admitted(ws, "/ws/v1/surface")


def test_the_cap_counts_each_client_address_apart(client: TestClient, monkeypatch):
    monkeypatch.setattr(settings, "MAX_WS_PER_CLIENT", 1)
    other = TestClient(client.app, client=("192.0.2.7", 50000))
    with client.websocket_connect("/ws/v1/surface"), other.websocket_connect("/ws/v1/surface") as ws:
        admitted(ws, "/ws/v1/surface")


def test_an_unexpected_error_is_a_500_with_the_headers_and_a_message(client, monkeypatch):
    from app.api.routes import catalog

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog, "catalog", broken)
    answer = TestClient(client.app, raise_server_exceptions=False).get("/api/v1/catalog")
    assert answer.status_code == 500 and "internal error" in answer.json()["message"]
    assert answer.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in answer.headers

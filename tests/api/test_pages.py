"""The pages' headers: who may embed them comes from DESCENTLAB_FRAME_ANCESTORS (the rest of the
Content-Security-Policy: tests/api/test_security.py)."""

from fastapi.testclient import TestClient

from app.settings import settings


def frame_ancestors(response) -> str:
    policy = [d.strip() for d in response.headers["content-security-policy"].split(";")]
    return next(d for d in policy if d.startswith("frame-ancestors "))


def test_frame_ancestors_follow_the_setting(client: TestClient, monkeypatch):
    assert frame_ancestors(client.get("/")) == "frame-ancestors * file:"
    monkeypatch.setattr(settings, "FRAME_ANCESTORS", "'self' https://slides.example")
    for path in ("/", "/network", "/init", "/lessons"):
        assert frame_ancestors(client.get(path)) == "frame-ancestors 'self' https://slides.example"

"""The pages' headers: who may embed them comes from DESCENTLAB_FRAME_ANCESTORS."""

from fastapi.testclient import TestClient

from app.settings import settings


def test_frame_ancestors_follow_the_setting(client: TestClient, monkeypatch):
    assert client.get("/").headers["content-security-policy"] == "frame-ancestors * file:"
    monkeypatch.setattr(settings, "FRAME_ANCESTORS", "'self' https://slides.example")
    for path in ("/", "/network", "/init", "/lessons"):
        assert client.get(path).headers["content-security-policy"] == "frame-ancestors 'self' https://slides.example"

"""The Dockerfile's instructions (building the image takes minutes: `make image` builds and smoke-tests it, see
docs/deploy.md). Its HEALTHCHECK command is run for real against a live server."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from app.main import app
from app.settings import settings
from bench.server import serve

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"^\s*#.*\n", "", (ROOT / "Dockerfile").read_text(), flags=re.M)
    text = re.sub(r"\\\n", " ", text)
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in text.splitlines() if line.strip()
    ]


def only(name: str) -> str:
    found = [args for instruction, args in instructions() if instruction == name]
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def runs() -> str:
    return " && ".join(args for instruction, args in instructions() if instruction == "RUN")


def env() -> dict[str, str]:
    pairs = " ".join(args for instruction, args in instructions() if instruction == "ENV")
    return dict(item.split("=", 1) for item in shlex.split(pairs))


def test_the_base_is_a_build_argument():
    steps = instructions()
    assert steps[0] == ("ARG", "BASE=python:3.11-slim")
    assert steps[1] == ("FROM", "${BASE}")


def test_it_runs_the_server_as_a_user_on_the_port_it_exposes():
    steps = [instruction for instruction, _ in instructions()]
    user = only("USER")
    assert user not in ("root", "0") and steps.index("USER") > max(i for i, s in enumerate(steps) if s == "RUN")
    assert f"--uid 10001 --user-group --home-dir /var/cache/descentlab --create-home {user}" in runs()
    assert only("EXPOSE") == env()["DESCENTLAB_PORT"] == "8000"
    assert env()["DESCENTLAB_HOST"] == "0.0.0.0"
    assert json.loads(only("CMD")) == ["descentlab", "serve"]  # exec form: the server gets the signals


def test_the_jax_cache_is_a_volume_and_assets_are_precompressed():
    volume = only("VOLUME")
    assert volume == env()["DESCENTLAB_JAX_CACHE_DIR"] == "/var/cache/descentlab/jax"
    assert "descentlab precompress --best" in runs()
    assert f"chown -R descentlab:descentlab {Path(volume).parent}" in runs()
    assert env()["DESCENTLAB_ASSET_CACHE_DIR"].startswith("/srv/descentlab/")


def test_every_copied_path_is_in_the_build_context():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    assert {".venv", ".git", "tests"} <= ignored
    for instruction, args in instructions():
        if instruction == "COPY":
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists() and source.rstrip("/") not in ignored, source


def test_the_healthcheck_asks_the_health_endpoint(monkeypatch):
    healthcheck = only("HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert argv[:2] == ["python3", "-c"] and "/api/v1/health" in argv[2]
    monkeypatch.setattr(settings, "WARM_UP", False)
    with serve(app) as address:
        port = address.rsplit(":", 1)[1]
        probe = subprocess.run([sys.executable, "-c", argv[2]], env={"DESCENTLAB_PORT": port}, timeout=30)
        assert probe.returncode == 0
        down = subprocess.run([sys.executable, "-c", argv[2]], env={"DESCENTLAB_PORT": "9"}, capture_output=True)
        assert down.returncode != 0  # nothing listens there: unhealthy

"""A seeded fuzzer over WebSocket messages: junk of every shape keeps both live sessions open and the
server log clean, and a well-formed session still works afterwards."""

import json
import random

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.services.frames import decode_frame

TYPES = ["start", "update", "pause", "resume", "step", "seek", "speed", "stop", "ack", "", "play", "START"]
FIELDS = [
    "spec",
    "run",
    "hyperparameters",
    "start",
    "surface",
    "steps",
    "count",
    "step",
    "seq",
    "play",
    "net",
    "values",
    "steps_per_second",
    "chunks_per_second",
    "networks",
    "dataset",
    "learning_rate",
    "x",
]
VALUES = [
    None,
    True,
    False,
    -1,
    0,
    1,
    3,
    2**64,
    -(2**63),
    1e308,
    -1e308,
    0.5,
    "nan",
    "inf",
    "",
    "x" * 2000,
    "λ🙂",
    [],
    {},
    [1, 2],
    [[0.0, 0.0]],
    {"a": 1},
    {"name": "rosenbrock"},
    {"learning_rate": -5},
]
GOOD_SURFACE_START = {
    "type": "start",
    "spec": {"surface": {"name": "quadratic"}, "steps": 20, "runs": [{"optimizer": "sgd"}]},
}


def _junk(rng: random.Random) -> str | bytes:
    """One malformed or odd message (never a well-formed start: nothing heavy gets computed)."""
    kind = rng.random()
    if kind < 0.05:
        return rng.choice(["{", "null", "[]", "123", '"text"', "{'type': 'start'}", "", "\x00"])
    if kind < 0.10:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if kind < 0.12:
        return json.dumps({"type": "update", "x": "y" * 70_000})  # over the size limit
    message = {"type": rng.choice(TYPES)} if rng.random() < 0.9 else {}
    for _ in range(rng.randrange(0, 4)):
        message[rng.choice(FIELDS)] = rng.choice(VALUES)
    if message.get("type") == "stop":
        message["type"] = "pause"  # stop would end the session: tested elsewhere
    if message.get("type") == "start" and isinstance(message.get("spec"), dict):
        message["spec"] = {**message["spec"], "steps": "many"}  # keep starts invalid
    return json.dumps(message)


def _drain(ws) -> list:
    received = []
    while True:
        try:
            received.append(ws.recv(timeout=0.02))
        except TimeoutError:
            return received


@pytest.mark.parametrize("path", ["/ws/v1/surface", "/ws/v1/network"])
def test_three_hundred_junk_messages_keep_the_session_and_the_log_clean(path, live_server):
    """(``live_server`` checks the server log after shutdown.)"""
    rng = random.Random(20261122)
    try:
        with connect(f"ws://{live_server.address}{path}", max_size=None) as ws:
            answers = []
            for _ in range(300):
                ws.send(_junk(rng))
                answers += _drain(ws)
            texts = [json.loads(a) for a in answers if isinstance(a, str)]
            assert sum(t["type"] == "error" for t in texts) >= 100  # the junk was refused, loudly
            assert all(isinstance(t.get("message", ""), str) for t in texts)
            if path.endswith("surface"):  # the same connection still serves a good session
                ws.send(json.dumps(GOOD_SURFACE_START))
                while not isinstance(frame := ws.recv(timeout=60), bytes):
                    pass
                assert decode_frame(frame)[0]["type"] == "paths"
            ws.send(json.dumps({"type": "stop"}))
            while json.loads(ws.recv(timeout=10)).get("type") != "stopped":
                pass
    except ConnectionClosed as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"the server closed the session: {exc}")

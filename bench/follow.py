"""Follow the teacher: one leader, 60 followers on loopback. Times leader's change → each follower has it
(the relayed view), and → each follower has the new paths (its own live session restarted with the view,
as the page does), and counts how many optimizer groups the engine computed per change (the recent-groups
cache should make it one group, whatever the class size).

The leader changes one run's learning rate every ``interval`` seconds, as a teacher dragging a slider
slowly would. Followers are threads of this process (each with its follow socket and its session).
"""

from __future__ import annotations

import json
import statistics
import threading
import time

from websockets.sync.client import connect

from app.main import app
from app.services.frames import decode_frame
from app.settings import settings
from bench.common import percentile
from bench.server import serve
from bench.slider_latency import SPEC
from engine.surface.runner import RECENT_GROUPS, wait_for_warm_ups


def _paths(ws) -> None:
    while True:
        message = ws.recv(timeout=30)
        if isinstance(message, bytes):
            header, _ = decode_frame(message)
            ws.send(json.dumps({"type": "ack", "seq": header["seq"]}))
            if header["type"] == "paths":
                return


class Follower(threading.Thread):
    """Receives views; restarts its own session with each view's spec; times both."""

    def __init__(self, address: str, room: str, sent: dict[int, float], changes: int) -> None:
        super().__init__(daemon=True)
        self.address, self.room, self.sent, self.changes = address, room, sent, changes
        self.relay_ms: list[float] = []
        self.paths_ms: list[float] = []
        self.errors: list[str] = []
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            with (
                connect(f"ws://{self.address}/ws/v1/follow/{self.room}") as follow,
                connect(f"ws://{self.address}/ws/v1/surface", max_size=None) as session,
            ):
                first = json.loads(follow.recv(timeout=30))
                session.send(json.dumps({"type": "start", "spec": json.loads(first["hash"])}))
                _paths(session)
                self.ready.set()
                while len(self.paths_ms) < self.changes:
                    view = json.loads(follow.recv(timeout=30))
                    if view["type"] != "view":
                        self.errors.append(str(view))
                        return
                    self.relay_ms.append(1e3 * (time.perf_counter() - self.sent[view["version"]]))
                    session.send(json.dumps({"type": "start", "spec": json.loads(view["hash"])}))
                    _paths(session)
                    self.paths_ms.append(1e3 * (time.perf_counter() - self.sent[view["version"]]))
        except Exception as exc:  # noqa: BLE001 - a benchmark reports every failure
            self.errors.append(repr(exc))
            self.ready.set()


def main(followers: int = 60, changes: int = 40, interval: float = 0.25) -> dict:
    settings.WARM_UP = False
    settings.MAX_WS_PER_CLIENT = 0  # a whole class from one loopback address
    sent: dict[int, float] = {}
    spec = json.loads(json.dumps(SPEC))
    with serve(app) as address, connect(f"ws://{address}/ws/v1/follow/lead") as lead:
        room = json.loads(lead.recv())["id"]
        version = 1
        sent[version] = time.perf_counter()
        lead.send(json.dumps({"type": "view", "page": "surface", "hash": json.dumps(spec)}))
        class_ = [Follower(address, room, sent, changes) for _ in range(followers)]
        for f in class_:
            f.start()
        for f in class_:
            f.ready.wait(120)
        wait_for_warm_ups()
        misses_before = RECENT_GROUPS.misses
        for i in range(changes):
            spec["runs"][i % 8]["hyperparameters"]["learning_rate"] = 10 ** (-3 + 2 * (i % 20) / 20)
            version += 1
            sent[version] = time.perf_counter()
            lead.send(json.dumps({"type": "view", "page": "surface", "hash": json.dumps(spec)}))
            time.sleep(interval)
        for f in class_:
            f.join(60)
        computed = RECENT_GROUPS.misses - misses_before
    relay = [ms for f in class_ for ms in f.relay_ms]
    paths = [ms for f in class_ for ms in f.paths_ms]
    return {
        "followers": followers,
        "changes": changes,
        "relay_p50_ms": statistics.median(relay),
        "relay_p95_ms": percentile(relay, 95),
        "paths_p50_ms": statistics.median(paths),
        "paths_p95_ms": percentile(paths, 95),
        "groups_computed_per_change": computed / changes,
        "errors": sum(len(f.errors) for f in class_),
        "incomplete": sum(len(f.paths_ms) < changes for f in class_),
    }


if __name__ == "__main__":
    print(main())

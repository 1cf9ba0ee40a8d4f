"""Follow the teacher: one leader's view relayed to every follower of its room as it changes.

The leader sends its whole view (the page's link, whether it plays, the cursor, the speed) on every
change; the room keeps only the newest, numbered, and wakes each follower, which sends it on. A slow
follower skips views it had no time for (each view replaces the last), so no queue grows and one slow
student never delays the others. Nothing is computed here: each follower's page asks its own live
session for the paths, and the engine's recent-groups cache makes that one computation per teacher
change for the whole class (``engine.surface.runner.RecentGroups``).

Several worker processes (``descentlab serve --workers N``) share the rooms through a
:class:`SharedRooms` directory: the leader's process writes each view there, and a follower whose
connection landed on another process polls it (:class:`RemoteRoom`). One process needs none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from app.settings import settings

MAX_ROOMS = 1000
MAX_FOLLOWERS = 500
REMOTE_POLL_SECONDS = 0.1


class SharedRooms:
    """Rooms seen by every worker process of one server: a directory (``DESCENTLAB_FOLLOW_DIR``) holding
    ``<room>.json`` (the newest view, replaced atomically; removed when the leader leaves) and
    ``<room>.followers/`` (one empty file per follower connected to another process)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _view(self, room_id: str) -> Path:
        return self.root / f"{room_id}.json"

    def _followers(self, room_id: str) -> Path:
        return self.root / f"{room_id}.followers"

    def exists(self, room_id: str) -> bool:
        return self._view(room_id).exists()

    def write(self, room_id: str, view: dict | None, version: int) -> None:
        temporary = self.root / f".{room_id}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps({"version": version, "view": view}))
        temporary.replace(self._view(room_id))

    def read(self, room_id: str) -> dict | None:
        """``{"version", "view"}``, or None once the room is gone."""
        try:
            return json.loads(self._view(room_id).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def remove(self, room_id: str) -> None:
        self._view(room_id).unlink(missing_ok=True)
        folder = self._followers(room_id)
        for entry in folder.glob("*") if folder.exists() else ():
            entry.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()

    def add_follower(self, room_id: str) -> Path:
        folder = self._followers(room_id)
        folder.mkdir(exist_ok=True)
        mark = folder / secrets.token_hex(8)
        mark.touch()
        return mark

    def follower_count(self, room_id: str) -> int:
        folder = self._followers(room_id)
        return sum(1 for _ in folder.iterdir()) if folder.exists() else 0


@dataclass
class Room:
    """One leader's room: the newest view (``version`` counts them) and who is watching."""

    id: str
    shared: SharedRooms | None = None
    view: dict | None = None
    version: int = 0
    followers: int = 0  # connected to this process
    closed: bool = False
    _changed: anyio.Event = field(default_factory=anyio.Event)

    def publish(self, view: dict) -> None:
        self.version += 1
        self.view = {**view, "type": "view", "version": self.version}
        if self.shared:
            self.shared.write(self.id, self.view, self.version)
        self._wake()

    def close(self) -> None:
        self.closed = True
        if self.shared:
            self.shared.remove(self.id)
        self._wake()

    @property
    def follower_count(self) -> int:
        """Followers in every process."""
        return self.followers + (self.shared.follower_count(self.id) if self.shared else 0)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def next_view(self, seen: int) -> dict | None:
        """The newest view after version ``seen`` (waits for one); None once the leader has gone."""
        while not self.closed and self.version <= seen:
            await self._changed.wait()
        return None if self.closed else self.view


@dataclass
class RemoteRoom:
    """A room whose leader is connected to another worker process: its views are polled from the
    shared directory (a view reaches these followers up to ``REMOTE_POLL_SECONDS`` later)."""

    id: str
    shared: SharedRooms
    mark: Path

    async def next_view(self, seen: int) -> dict | None:
        while (state := self.shared.read(self.id)) is not None:
            if state["version"] > seen:
                return state["view"]
            await anyio.sleep(REMOTE_POLL_SECONDS)
        return None


class FollowHub:
    """The rooms of this server: of this process, and with ``shared`` those of its sibling workers (a follow
    link is served by any worker of the server its leader is on; replicas on several machines need sticky
    routing, docs/deploy.md)."""

    def __init__(self, shared: SharedRooms | None = None) -> None:
        self.rooms: dict[str, Room] = {}
        self.shared = shared

    def open(self) -> Room:
        if len(self.rooms) >= MAX_ROOMS:
            raise RuntimeError(f"this server already relays {MAX_ROOMS} rooms")
        room = Room(secrets.token_urlsafe(6), self.shared)
        self.rooms[room.id] = room
        if self.shared:
            self.shared.write(room.id, None, 0)
        return room

    def close(self, room: Room) -> None:
        room.close()
        self.rooms.pop(room.id, None)

    def join(self, room_id: str) -> Room | RemoteRoom | None:
        room = self.rooms.get(room_id)
        if room is not None:
            if room.follower_count >= MAX_FOLLOWERS:
                return None
            room.followers += 1
            return room
        if self.shared and self.shared.exists(room_id) and self.shared.follower_count(room_id) < MAX_FOLLOWERS:
            return RemoteRoom(room_id, self.shared, self.shared.add_follower(room_id))
        return None

    def leave(self, room: Room | RemoteRoom) -> None:
        if isinstance(room, RemoteRoom):
            room.mark.unlink(missing_ok=True)
        else:
            room.followers -= 1


hub = FollowHub(SharedRooms(settings.FOLLOW_DIR) if settings.FOLLOW_DIR else None)

"""Follow the teacher: one leader's view relayed to every follower of its room as it changes.

The leader sends its whole view (the page's link, whether it plays, the cursor, the speed) on every
change; the room keeps only the newest, numbered, and wakes each follower, which sends it on. A slow
follower skips views it had no time for (each view replaces the last), so no queue grows and one slow
student never delays the others. Nothing is computed here: each follower's page asks its own live
session for the paths, and the engine's recent-groups cache makes that one computation per teacher
change for the whole class (``engine.surface.runner.RecentGroups``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import anyio

MAX_ROOMS = 1000
MAX_FOLLOWERS = 500


@dataclass
class Room:
    """One leader's room: the newest view (``version`` counts them) and who is watching."""

    id: str
    view: dict | None = None
    version: int = 0
    followers: int = 0
    closed: bool = False
    _changed: anyio.Event = field(default_factory=anyio.Event)

    def publish(self, view: dict) -> None:
        self.version += 1
        self.view = {**view, "type": "view", "version": self.version}
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def next_view(self, seen: int) -> dict | None:
        """The newest view after version ``seen`` (waits for one); None once the leader has gone."""
        while not self.closed and self.version <= seen:
            await self._changed.wait()
        return None if self.closed else self.view


class FollowHub:
    """The rooms of this server process (a follow link is served by the replica its leader is on)."""

    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}

    def open(self) -> Room:
        if len(self.rooms) >= MAX_ROOMS:
            raise RuntimeError(f"this server already relays {MAX_ROOMS} rooms")
        room = Room(secrets.token_urlsafe(6))
        self.rooms[room.id] = room
        return room

    def close(self, room: Room) -> None:
        room.close()
        self.rooms.pop(room.id, None)

    def join(self, room_id: str) -> Room | None:
        room = self.rooms.get(room_id)
        if room is None or room.followers >= MAX_FOLLOWERS:
            return None
        room.followers += 1
        return room

    def leave(self, room: Room) -> None:
        room.followers -= 1


hub = FollowHub()

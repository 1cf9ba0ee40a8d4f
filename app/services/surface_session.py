"""State of one live surface session, apart from the socket: spec, computed paths, timeline, credits.

The server owns the timeline. ``paths`` frames carry every run's whole path (sent after each start or
update); ``tick`` frames carry the points from the previous cursor to the new one while playing or
stepping. Both count against the credit window: at most ``max_ahead`` unacknowledged frames.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.api.deps import run_engine
from app.api.live import StopSession
from app.api.schemas.messages import (
    AckMessage,
    ClientMessage,
    PauseMessage,
    ResumeMessage,
    SeekMessage,
    SpeedMessage,
    StartMessage,
    StepMessage,
    StopMessage,
    UpdateMessage,
)
from app.api.schemas.surface import TrajectoriesCreate
from app.services.frames import encode_frame
from app.services.surface_runs import paths_frame, simulate_spec
from engine.surface.runner import RunResult

TICK_SECONDS = 1 / 60


def merge_update(spec: dict, msg: UpdateMessage) -> dict:
    """The spec with an update applied (JSON level; validated afterwards as a whole)."""
    new = copy.deepcopy(spec)
    patch = msg.model_dump(exclude_unset=True, exclude={"type", "run"})
    if msg.run is None:
        new.update(patch)
        return new
    if msg.run >= len(new["runs"]):
        raise ValueError(f"run {msg.run} does not exist (the session has {len(new['runs'])} runs)")
    run = new["runs"][msg.run]
    if "optimizer" in patch and patch["optimizer"] != run.get("optimizer"):
        run["hyperparameters"] = {}
    run.update({k: v for k, v in patch.items() if k != "hyperparameters"})
    run["hyperparameters"] = {**run.get("hyperparameters", {}), **patch.get("hyperparameters", {})}
    return new


@dataclass
class SurfaceSession:
    max_ahead: int = 3
    spec: dict | None = None
    model: TrajectoriesCreate | None = None
    pending: TrajectoriesCreate | None = None
    results: list[RunResult] = field(default_factory=list)
    version: int = 0
    cursor: int = 0
    playing: bool = False
    steps_per_second: float = 100.0
    send_paths: bool = False
    tick_from: int | None = None
    seq: int = 0
    acked: int = 0
    _tick_rows: list[np.ndarray] = field(default_factory=list)
    _budget: float = 0.0
    _last_tick: float = 0.0  # when the cursor last advanced (the playback clock)
    _next_tick: float = 0.0  # when the next tick is due

    # --- client messages ------------------------------------------------------------------

    def parse(self, text: str):
        return ClientMessage.validate_json(text)

    def apply(self, msg) -> dict | None:
        """Apply one client message; returns a state message to send, if any."""
        match msg:
            case StartMessage():
                self.set_spec(msg.spec)
                self.cursor = 0
                if msg.play:
                    self.play()
                else:
                    self.playing = False
            case UpdateMessage():
                self.update(msg)
            case PauseMessage():
                self.playing = False
                return self.state_message()
            case ResumeMessage():
                self.play()
                return self.state_message()
            case StepMessage():
                return self.move(self.cursor + msg.count)
            case SeekMessage():
                return self.move(msg.step)
            case SpeedMessage():
                self.steps_per_second = msg.steps_per_second
                return self.state_message()
            case AckMessage():
                self.ack(msg.seq)
            case StopMessage():
                raise StopSession
        return None

    async def produce(self) -> tuple[list[bytes | dict], float | None]:
        """Compute a pending spec, else the next frame of the timeline."""
        pending = self.take_pending()
        if pending is not None:
            self.computed(pending, await run_engine(simulate_spec, pending))
            return [], 0
        was_playing = self.playing
        timeout = self.advance_playback(time.monotonic())
        frame = self.next_frame()
        outgoing: list[bytes | dict] = [frame] if frame is not None else []
        if was_playing and not self.playing:
            outgoing.append(self.state_message(at_end=True))
        return outgoing, timeout

    def set_spec(self, raw: dict[str, Any]) -> None:
        """Validate a whole spec and queue it for computing; raises ValidationError, changes nothing."""
        model = TrajectoriesCreate.model_validate(raw)
        self.spec, self.pending = model.model_dump(mode="json"), model

    def update(self, msg: UpdateMessage) -> None:
        if self.spec is None:
            raise ValueError("send a start message before updates")
        self.set_spec(merge_update(self.spec, msg))

    def play(self) -> None:
        if self.model is not None and self.cursor >= self.horizon:
            self.cursor = 0
        self.playing, self._budget = True, 0.0
        self._last_tick = self._next_tick = time.monotonic()

    def move(self, cursor: int) -> dict | None:
        """Step or seek: pause and send the points at the new cursor; a state message if that paused
        playback (the client's play button must say so)."""
        was_playing, self.playing = self.playing, False
        self.cursor = max(0, min(cursor, self.horizon))
        self.tick_from = self.cursor
        return self.state_message() if was_playing else None

    def ack(self, seq: int) -> None:
        self.acked = max(self.acked, min(seq, self.seq))

    # --- computing --------------------------------------------------------------------------

    def take_pending(self) -> TrajectoriesCreate | None:
        pending, self.pending = self.pending, None
        return pending

    def computed(self, model: TrajectoriesCreate, results: list[RunResult]) -> None:
        self.model, self.results = model, results
        # Each run's (x, y, loss) rows as the tick frames send them, built once: a class of 40 playing
        # sessions sends 2400 ticks a second, and the event loop builds every one. A run with no point (its
        # start could not be evaluated: diverged at step 0) sends zeros.
        self._tick_rows = [
            np.column_stack([r.points, r.loss]).astype(np.float32) if len(r.points) else np.zeros((1, 3), np.float32)
            for r in results
        ]
        self.version += 1
        self.cursor = min(self.cursor, self.horizon)
        self.send_paths = True
        # Playback time does not pass while paths are computed (a compile can take a second): without
        # this the cursor would jump ahead by the computing time × speed.
        self._budget = 0.0
        self._last_tick = self._next_tick = time.monotonic()

    @property
    def horizon(self) -> int:
        return self.model.steps if self.model else 0

    # --- frames -----------------------------------------------------------------------------

    @property
    def credits(self) -> int:
        return self.max_ahead - (self.seq - self.acked)

    def advance_playback(self, now: float) -> float | None:
        """Move the cursor by the time elapsed; returns seconds until the next tick (None: not playing)."""
        if not self.playing or self.model is None:
            return None
        if now < self._next_tick:
            return self._next_tick - now
        self._budget += (now - self._last_tick) * self.steps_per_second
        self._last_tick = now
        # Due one period after this tick was due, not after it ran: event-loop delays do not add up (60 Hz,
        # not ~58); after a long stall the next tick comes at once rather than in a burst.
        self._next_tick = max(self._next_tick + TICK_SECONDS, now)
        steps = int(self._budget)
        if steps >= 1 and self.tick_from is None:
            self._budget -= steps
            self.tick_from = min(self.cursor + 1, self.horizon)
            self.cursor = min(self.cursor + steps, self.horizon)
            if self.cursor >= self.horizon:
                self.playing = False
        return self._next_tick - now

    def next_frame(self) -> bytes | None:
        """The next binary frame to send, if any and if the credit window allows it."""
        if self.credits <= 0 or self.model is None:
            return None
        if self.send_paths:
            self.send_paths, self.tick_from = False, None
            header, payload = paths_frame(self.model, self.results)
            return self._frame({"type": "paths", "cursor": self.cursor, **header}, payload)
        if self.tick_from is not None:
            first, self.tick_from = self.tick_from, None
            return self._frame(self._tick_header(first), self._tick_payload(first))
        return None

    def state_message(self, **extra: Any) -> dict:
        return {
            "type": "state",
            "playing": self.playing,
            "cursor": self.cursor,
            "steps": self.horizon,
            "version": self.version,
            "steps_per_second": self.steps_per_second,
            **extra,
        }

    def _frame(self, header: dict, payload: np.ndarray) -> bytes:
        self.seq += 1
        return encode_frame({"seq": self.seq, "version": self.version, **header}, payload)

    def _tick_header(self, first: int) -> dict:
        return {"type": "tick", "from": first, "cursor": self.cursor, "runs": len(self.results)}

    def _tick_payload(self, first: int) -> np.ndarray:
        """Each run's rows ``first..cursor``; a run that ended earlier (diverged) repeats its last row."""
        count = self.cursor + 1 - first
        parts = []
        for rows in self._tick_rows:
            part = rows[first : self.cursor + 1]
            if len(part) < count:
                part = np.concatenate([part, np.repeat(rows[-1:], count - len(part), axis=0)])
            parts.append(part)
        return np.concatenate(parts).ravel()

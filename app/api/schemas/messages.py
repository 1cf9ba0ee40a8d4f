"""Messages a client sends on ``/ws/v1/surface`` (see docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from app.api.schemas.common import Integer, Number, StrictModel
from app.api.schemas.surface import MAX_RUNS, MAX_STEPS


class StartMessage(StrictModel):
    """Start (or restart) a session with a whole trajectories spec."""

    type: Literal["start"]
    spec: dict[str, Any]
    play: bool = False


class UpdateMessage(StrictModel):
    """A partial change. With ``run``, the fields patch that run; otherwise they patch the spec."""

    type: Literal["update"]
    run: Integer(0, MAX_RUNS - 1) | None = None
    optimizer: str | None = None
    hyperparameters: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    clip: dict[str, Any] | None = None
    surface: dict[str, Any] | None = None
    start: list[Any] | None = None
    steps: Any = None
    noise: dict[str, Any] | None = None
    runs: list[Any] | None = None


class PauseMessage(StrictModel):
    type: Literal["pause"]


class ResumeMessage(StrictModel):
    type: Literal["resume"]


class StepMessage(StrictModel):
    """Move the timeline by ``count`` steps (negative steps back); pauses playback."""

    type: Literal["step"]
    count: Integer(-MAX_STEPS, MAX_STEPS) = 1


class SeekMessage(StrictModel):
    type: Literal["seek"]
    step: Integer(0, MAX_STEPS)


class SpeedMessage(StrictModel):
    type: Literal["speed"]
    steps_per_second: Number(0.5, 5000)


class StopMessage(StrictModel):
    type: Literal["stop"]


class AckMessage(StrictModel):
    type: Literal["ack"]
    seq: Integer(0, 2**53)


ClientMessage = TypeAdapter(
    Annotated[
        StartMessage
        | UpdateMessage
        | PauseMessage
        | ResumeMessage
        | StepMessage
        | SeekMessage
        | SpeedMessage
        | StopMessage
        | AckMessage,
        Field(discriminator="type"),
    ]
)

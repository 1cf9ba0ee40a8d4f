"""Messages a client sends on ``/ws/v1/network`` (see docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from app.api.schemas.common import Integer, Number, StrictModel


class NetworkStartMessage(StrictModel):
    type: Literal["start"]
    spec: dict[str, Any]
    play: bool = False


class NetworkUpdateMessage(StrictModel):
    """New values for a running network; applied from its next step without recompiling."""

    type: Literal["update"]
    net: Integer(0, 1) = 0
    hyperparameters: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    clip: dict[str, Any] | None = None
    dropout: Any = None
    l1: Any = None
    l2: Any = None
    max_norm: Any = None
    bn_momentum: Any = None


class NetworkPauseMessage(StrictModel):
    type: Literal["pause"]


class NetworkResumeMessage(StrictModel):
    type: Literal["resume"]


class NetworkStepMessage(StrictModel):
    type: Literal["step"]
    count: Integer(1, 1000) = 1


class NetworkSpeedMessage(StrictModel):
    type: Literal["speed"]
    chunks_per_second: Number(0.5, 120)


class NetworkStopMessage(StrictModel):
    type: Literal["stop"]


class NetworkAckMessage(StrictModel):
    type: Literal["ack"]
    seq: Integer(0, 2**53)


NetworkClientMessage = TypeAdapter(
    Annotated[
        NetworkStartMessage
        | NetworkUpdateMessage
        | NetworkPauseMessage
        | NetworkResumeMessage
        | NetworkStepMessage
        | NetworkSpeedMessage
        | NetworkStopMessage
        | NetworkAckMessage,
        Field(discriminator="type"),
    ]
)

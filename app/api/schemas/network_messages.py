"""Messages a client sends on ``/ws/v1/network`` (see docs/protocol.md); pause, resume, stop and ack are
the surface session's own."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from app.api.schemas.common import Integer, Number, StrictModel
from app.api.schemas.messages import AckMessage, PauseMessage, ResumeMessage, StopMessage


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


class NetworkStepMessage(StrictModel):
    type: Literal["step"]
    count: Integer(1, 1000) = 1


class NetworkSpeedMessage(StrictModel):
    type: Literal["speed"]
    chunks_per_second: Number(0.5, 120)


class NetworkMcDropoutMessage(StrictModel):
    """Monte-Carlo dropout of network ``net`` as it is now: ``samples`` forward passes with dropout on."""

    type: Literal["mc_dropout"]
    net: Integer(0, 1) = 0
    samples: Integer(2, 200) = 50


NetworkClientMessage = TypeAdapter(
    Annotated[
        NetworkStartMessage
        | NetworkUpdateMessage
        | PauseMessage
        | ResumeMessage
        | NetworkStepMessage
        | NetworkSpeedMessage
        | NetworkMcDropoutMessage
        | StopMessage
        | AckMessage,
        Field(discriminator="type"),
    ]
)

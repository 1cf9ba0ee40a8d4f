"""What a leader sends on ``/ws/v1/follow/lead``: its whole view, each time it changes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.schemas.common import Integer, Number, StrictModel


class ViewMessage(StrictModel):
    """The leader's view: its page, the link's hash (the whole state), and the player."""

    type: Literal["view"]
    page: Literal["surface"]
    hash: str = Field(max_length=16_000)
    playing: bool = False
    cursor: Integer(0, 1_000_000) = 0
    speed: Number(0.5, 5000) = 100.0

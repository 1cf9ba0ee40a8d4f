"""Field types shared by every API model: strict numbers, bounded, finite, unknown fields refused."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class StrictModel(BaseModel):
    """Base of every input model: unknown fields and NaN/Inf are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _integer_like(value: Any) -> Any:
    """Accept 3 and 3.0 (JSON Schema calls both integers); refuse booleans, strings and 3.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be an integer")
        return int(value)
    return value


def Number(minimum: float, maximum: float, **kwargs: Any) -> Any:  # noqa: N802 - reads like a type
    """A strict, finite float in ``[minimum, maximum]``."""
    return Annotated[float, Field(strict=True, ge=minimum, le=maximum, allow_inf_nan=False, **kwargs)]


def Integer(minimum: int, maximum: int, **kwargs: Any) -> Any:  # noqa: N802
    """An integer in ``[minimum, maximum]`` (3.0 accepted, True and "3" refused)."""
    return Annotated[int, BeforeValidator(_integer_like), Field(ge=minimum, le=maximum, **kwargs)]


Coordinate = Number(-1e4, 1e4)


def camel(name: str) -> str:
    """``rmsprop_nesterov`` → ``RmspropNesterov`` (names of generated models)."""
    return "".join(part.capitalize() for part in name.split("_"))


def tagged_union(models: list[type[BaseModel]], tag: str) -> Any:
    """A discriminated union of generated models, told apart by the field ``tag``."""
    return Annotated[Union[tuple(models)], Field(discriminator=tag)]  # noqa: UP007 - built at runtime

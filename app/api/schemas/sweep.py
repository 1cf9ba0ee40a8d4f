"""Request and answer of a sweep: one run of the surface lab over a grid of hyperparameter values or starts."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from app.api.schemas.common import Coordinate, Integer, Number, StrictModel
from app.api.schemas.surface import NoiseSpec, RunSpec, SurfaceSpec
from engine.optimizers import OPTIMIZERS

MAX_SWEEP_STEPS = 2000
MAX_AXIS_COUNT = 128
START_AXES = ("start_x", "start_y")
COORDINATE_RANGE = (-1e4, 1e4)  # what Coordinate allows a start


class SweepAxis(StrictModel):
    """``count`` values from ``low`` to ``high`` (both included), evenly spaced, or evenly spaced in log."""

    name: str = Field(
        min_length=1,
        max_length=64,
        description="a hyperparameter of the run's optimizer (its catalog range applies), or `start_x` / "
        "`start_y` (a basin-of-attraction map)",
    )
    low: Number(*COORDINATE_RANGE)
    high: Number(*COORDINATE_RANGE)
    count: Integer(1, MAX_AXIS_COUNT) = 64
    scale: Literal["linear", "log"] = "linear"

    @model_validator(mode="after")
    def _check_span(self) -> SweepAxis:
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must not exceed high ({self.high:g})")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"a log axis needs low > 0 (got {self.low:g})")
        return self

    def values(self) -> np.ndarray:
        """The axis values as float64 (the engine rounds them to float32, as it does a trajectory's)."""
        if self.count == 1:
            return np.array([self.low])
        space = np.geomspace if self.scale == "log" else np.linspace
        return space(self.low, self.high, self.count)


class SweepCreate(StrictModel):
    """One run of the surface lab repeated over a grid of one or two axes, all in one batched call."""

    surface: SurfaceSpec
    start: tuple[Coordinate, Coordinate] | None = Field(
        default=None, description="start of every run not on a start axis; the surface's default start when omitted"
    )
    steps: Integer(1, MAX_SWEEP_STEPS) = 500
    run: RunSpec
    noise: NoiseSpec | None = None
    axes: list[SweepAxis] = Field(min_length=1, max_length=2)
    tolerance: Number(-1e6, 1e6) = Field(default=1e-3, description="the loss that counts as reached")

    @field_validator("axes")
    @classmethod
    def _check_axes(cls, axes: list[SweepAxis], info: ValidationInfo) -> list[SweepAxis]:
        """Each axis names a hyperparameter of the run (within its catalog range) or a start coordinate."""
        run = info.data.get("run")
        if run is None:  # the run itself was refused: that error says enough
            return axes
        names = [a.name for a in axes]
        if len(set(names)) < len(names):
            raise ValueError(f"the two axes must differ; both are {names[0]!r}")
        spec = OPTIMIZERS[run.optimizer]
        ranges = {h.name: (h.min, h.max) for h in spec.hyperparameters} | dict.fromkeys(START_AXES, COORDINATE_RANGE)
        for i, axis in enumerate(axes):
            if axis.name not in ranges:
                raise ValueError(
                    f"axis {i} ({axis.name!r}): {run.optimizer} has no such hyperparameter; an axis can be "
                    + ", ".join(ranges)
                )
            low, high = ranges[axis.name]
            if axis.low < low or axis.high > high:
                raise ValueError(
                    f"axis {i} ({axis.name!r}): {run.optimizer}'s {axis.name} ranges over [{low:g}, {high:g}]; "
                    f"got low {axis.low:g}, high {axis.high:g}"
                )
        return axes


class SweepAxisPublic(BaseModel):
    name: str
    values: list[float]


class SweepPublic(BaseModel):
    """Cell ``[i][j]`` is the run at ``axes[0].values[i]`` and ``axes[1].values[j]`` (with one axis, ``j`` is 0)."""

    surface: str
    optimizer: str
    start: tuple[float, float]
    steps: int
    tolerance: float
    axes: list[SweepAxisPublic]
    final_loss: list[list[float | None]] = Field(description="f at the last step; null for a diverged run")
    steps_to_tolerance: list[list[int | None]] = Field(
        description="the first step from which the loss stays at or below `tolerance` until the last step; "
        "null where the run ends above it, or diverged"
    )
    status: list[list[Literal["ok", "diverged"]]]
    diverged_at: list[list[int | None]] = Field(
        description="the step whose point was non-finite or left |x|, |y| ≤ 1e6, as in a trajectory; null when ok"
    )
    final_point: list[list[tuple[float, float] | None]] = Field(
        description="where the run ended (a basin map: which minimum this start reached); null for a diverged run"
    )

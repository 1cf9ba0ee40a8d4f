"""Request and response models of the surface lab, generated from the engine's catalog.

Each optimizer, surface and schedule gets its own model (a member of a discriminated union), so the
OpenAPI document lists every hyperparameter with its range and a 422 names what is allowed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, create_model, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.api.schemas.common import Coordinate, Integer, Number, StrictModel, camel, tagged_union
from engine.modifiers import CLIP_MODES
from engine.optimizers import OPTIMIZERS, OptimizerSpec
from engine.schedules import MAX_PIECES, SCHEDULES
from engine.surface import stack_machine
from engine.surface.expression import FUNCTIONS, MAX_LENGTH, ExpressionError, parse_expression
from engine.surface.surfaces import (
    CUSTOM,
    DEFAULT_DOMAIN,
    DEFAULT_EXPRESSION,
    MAX_DOMAIN,
    SURFACES,
    get_surface,
)

MAX_STEPS = 10_000
MAX_RUNS = 16


# --- surfaces ---------------------------------------------------------------------------------


def _surface_model(name: str) -> type[BaseModel]:
    surface = SURFACES[name]
    params = create_model(
        f"{camel(name)}Params",
        __base__=StrictModel,
        **{p.name: (Number(p.min, p.max, description=p.title), p.default) for p in surface.params},
    )
    return create_model(
        f"{camel(name)}Surface",
        __base__=StrictModel,
        name=(Literal[name], ...),
        params=(params, Field(default_factory=params)),
    )


Bound = Number(-MAX_DOMAIN, MAX_DOMAIN)


class CustomParams(BaseModel):
    """What the engine takes for a custom surface (``get_surface("custom", params)``)."""

    expression: str
    domain: tuple[tuple[float, float], tuple[float, float]]


class CustomSurface(StrictModel):
    """A formula typed by the user, over a domain: the contour plot's extent and the default start's frame."""

    name: Literal["custom"]
    expression: str = Field(
        description=f"f(x, y), at most {MAX_LENGTH} characters: numbers, x, y, + - * / ^ (right-associative; "
        f"** too), unary minus, parentheses, {', '.join(FUNCTIONS)}, min(a, b), max(a, b), pi, e",
        examples=[DEFAULT_EXPRESSION],
    )
    domain: tuple[tuple[Bound, Bound], tuple[Bound, Bound]] = Field(
        default=DEFAULT_DOMAIN, description="[[x_low, x_high], [y_low, y_high]], low < high, within ±1e4"
    )

    @field_validator("expression")
    @classmethod
    def _parse(cls, text: str) -> str:
        """Refuse text outside the grammar with the character it stops at (``ctx``: position, end, reason)."""
        try:
            parse_expression(text)
        except ExpressionError as e:
            context = {"message": e.message(), "position": e.position, "end": e.end, "reason": e.reason}
            raise PydanticCustomError("expression", "{message}", context) from None
        return text

    @field_validator("domain")
    @classmethod
    def _check_domain(cls, domain):
        for axis, (low, high) in zip("xy", domain, strict=True):
            if not low < high:
                raise ValueError(f"the {axis} range must have low < high (got [{low:g}, {high:g}])")
        return domain

    @property
    def params(self) -> CustomParams:
        """The expression and domain as the engine's surface parameters (the request names them at the top
        level): what ``spec.surface.params.model_dump()`` hands to the engine, as for a built-in surface."""
        return CustomParams(expression=self.expression, domain=self.domain)


SurfaceSpec = tagged_union([*(_surface_model(name) for name in SURFACES), CustomSurface], "name")


def surface_start(surface: BaseModel, start) -> tuple[float, float]:
    """``start``, or the surface's default start when it is ``None``."""
    if start is not None:
        return tuple(start)
    return get_surface(surface.name, surface.params.model_dump()).default_start


def check_custom_start(surface: BaseModel, start) -> None:
    """Refuse a custom surface whose expression (or its gradient) is not finite at the start: the run
    could not even begin (a built-in surface is finite everywhere a start may be)."""
    if surface.name != CUSTOM:
        return
    s = get_surface(CUSTOM, surface.params.model_dump())
    x, y = surface_start(surface, start)
    loss, gradient = stack_machine.value_and_gradient_at(np.array([x, y], np.float32), s.param_vector())
    if not (np.isfinite(loss) and np.all(np.isfinite(gradient))):
        raise ValueError(
            f"f(x, y) = {surface.expression} or its gradient is not finite at the start ({x:g}, {y:g}) "
            f"(f = {float(loss):g}): pick a start where the expression is defined"
        )


# --- schedules and clipping -------------------------------------------------------------------


def _schedule_model(name: str) -> type[BaseModel]:
    spec = SCHEDULES[name]
    fields = {p.name: (Number(p.min, p.max, description=p.title), p.default) for p in spec.params}
    return create_model(f"{camel(name)}Schedule", __base__=StrictModel, name=(Literal[name], ...), **fields)


class PiecewiseSchedule(StrictModel):
    """``values[i]`` while ``boundaries[i-1] ≤ t < boundaries[i]``: one more value than boundaries."""

    name: Literal["piecewise"]
    boundaries: list[Number(1, 1e5)] = Field(min_length=1, max_length=MAX_PIECES)
    values: list[Number(0, 10)] = Field(min_length=2, max_length=MAX_PIECES + 1)

    @model_validator(mode="after")
    def _check_pieces(self) -> PiecewiseSchedule:
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError("piecewise schedule needs exactly one more value than boundaries")
        if any(later <= earlier for earlier, later in zip(self.boundaries, self.boundaries[1:], strict=False)):
            raise ValueError("piecewise boundaries must be strictly increasing")
        return self


ScheduleSpec = tagged_union(
    [PiecewiseSchedule if name == "piecewise" else _schedule_model(name) for name in SCHEDULES], "name"
)


class ClipSpec(StrictModel):
    """Clip the gradient before the rule: each coordinate to ±threshold, or its norm to threshold."""

    mode: Literal[CLIP_MODES[1:]]  # "value" | "norm"
    threshold: Number(1e-6, 1e6)


class NoiseSpec(StrictModel):
    """Simulated minibatch noise: g + σξ, ξ ~ N(0, I), reproducible from the seed."""

    sigma: Number(0.0, 1e3) = 0.0
    seed: Integer(0, 2**31 - 1) = 0


# --- runs -------------------------------------------------------------------------------------


def optimizer_model(spec: OptimizerSpec, tag: str = "optimizer", suffix: str = "Run") -> type[BaseModel]:
    """``{tag: id, hyperparameters, schedule, clip}`` for one optimizer (``tag`` names the id field)."""
    hyper = create_model(
        f"{camel(spec.id)}Hyperparameters",
        __base__=StrictModel,
        **{h.name: (Number(h.min, h.max, description=h.title), h.default) for h in spec.hyperparameters},
    )

    def refuse_schedule(self):
        if not spec.supports_schedule and self.schedule is not None and self.schedule.name != "constant":
            raise ValueError(f"{spec.id} adapts its own per-coordinate rates: schedule must be null or constant")
        return self

    return create_model(
        f"{camel(spec.id)}{suffix}",
        __base__=StrictModel,
        __validators__={"_refuse_schedule": model_validator(mode="after")(refuse_schedule)},
        **{tag: (Literal[spec.id], ...)},
        hyperparameters=(hyper, Field(default_factory=hyper)),
        schedule=(ScheduleSpec | None, None),
        clip=(ClipSpec | None, None),
    )


RunSpec = tagged_union([optimizer_model(spec) for spec in OPTIMIZERS.values()], "optimizer")


class TrajectoriesCreate(StrictModel):
    """Many runs on one surface from one start, with the same noise seed."""

    surface: SurfaceSpec
    start: tuple[Coordinate, Coordinate] | None = Field(
        default=None, description="start point; the surface's default start when omitted"
    )
    steps: Integer(1, MAX_STEPS) = 500
    runs: list[RunSpec] = Field(min_length=1, max_length=MAX_RUNS)
    noise: NoiseSpec | None = None

    @model_validator(mode="after")
    def _check_start(self) -> TrajectoriesCreate:
        check_custom_start(self.surface, self.start)
        return self


class OptimumPublic(BaseModel):
    learning_rate: float = Field(description="ε*")
    momentum: float | None = Field(description="α* (null for SGD)")
    rate: float = Field(description="ρ* at ε* (and α*)")


class AnalyticRatesPublic(BaseModel):
    """Theory beside measurement for an SGD, momentum or Nesterov run on the quadratic (engine.surface.rates)."""

    eigenvalues: list[float] = Field(description="the Hessian's eigenvalues, ascending")
    condition_number: float = Field(description="κ = λmax / λmin")
    predicted_rate: float = Field(
        description="ρ: the error shrinks like ρᵗ at the run's ε (and α); the spectral radius of the iteration matrix"
    )
    converges: bool = Field(description="ρ < 1 (ρ > 1: the theory says the run diverges)")
    optimal: OptimumPublic
    measured_rate: float | None = Field(
        description="fitted to the decay of ‖θₜ − θ*‖ over the tail of the run; null when too few usable points"
    )
    measured_steps: tuple[int, int] | None = Field(description="the steps the fit used (first, last)")
    terminal_velocity_factor: float | None = Field(
        description="1/(1−α): the most a constant gradient's step is multiplied by momentum; null for SGD"
    )
    applies: bool = Field(
        description="the run is the linear iteration the theory describes: constant ε, no noise, no clipping"
    )


class RunPublic(BaseModel):
    optimizer: str
    hyperparameters: dict[str, float]
    schedule: dict | None
    clip: dict | None
    points: list[tuple[float, float]]
    loss: list[float]
    grad_norm: list[float]
    step: list[int] | None = Field(
        default=None, description="with `every` > 1: the step of each reported point (every k-th, and the last)"
    )
    status: Literal["ok", "diverged"]
    diverged_at: int | None
    reason: str
    analytic: AnalyticRatesPublic | None = Field(
        default=None, description="SGD, momentum and Nesterov on the quadratic surface; null elsewhere"
    )


class TrajectoriesPublic(BaseModel):
    surface: str
    start: tuple[float, float]
    steps: int
    every: int = Field(default=1, description="each run reports every k-th point and its last")
    runs: list[RunPublic]


class GridCreate(StrictModel):
    """The surface sampled on a regular grid over its domain, for contour plots."""

    surface: SurfaceSpec
    resolution: Integer(10, 300) = 120


class GridPublic(BaseModel):
    surface: str
    x: list[float]
    y: list[float]
    z: list[list[float | None]] = Field(
        description="z[i][j] at y[i], x[j]; null where a custom expression is undefined"
    )
    log_levels: bool


class SurfacePointCreate(StrictModel):
    """A point of a surface and a learning rate: the curvature there and the second-order check."""

    surface: SurfaceSpec
    point: tuple[Coordinate, Coordinate]
    learning_rate: Number(0.0, 10.0) = 0.01


class SurfacePointPublic(BaseModel):
    loss: float
    gradient: list[float]
    hessian: list[list[float]]
    eigenvalues: list[float] = Field(description="ascending")
    eigenvectors: list[list[float]] = Field(description="column k belongs to eigenvalues[k]")
    kind: Literal["minimum", "maximum", "saddle", "degenerate"]
    condition_number: float | None = Field(description="|λ|max / |λ|min; null where an eigenvalue is 0")
    first_order: float = Field(description="ε gᵀg")
    second_order: float = Field(description="½ ε² gᵀHg")
    predicted_change: float = Field(description="−ε gᵀg + ½ ε² gᵀHg")
    actual_change: float | None = Field(description="f(θ − εg) − f(θ); null where it is not finite")
    step_raises_loss: bool = Field(description="½ ε² gᵀHg > ε gᵀg")

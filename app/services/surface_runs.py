"""Between the API models and the engine: validated specs in, engine runs out, public models back."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from app.api.schemas.surface import (
    AnalyticRatesPublic,
    GridPublic,
    OptimumPublic,
    RunPublic,
    SurfacePointCreate,
    SurfacePointPublic,
    TrajectoriesCreate,
    TrajectoriesPublic,
    surface_start,
)
from engine.surface import rates
from engine.surface.curvature import point_curvature
from engine.surface.runner import RunConfig, RunResult, simulate
from engine.surface.surfaces import CUSTOM, get_surface


def start_point(spec: TrajectoriesCreate) -> tuple[float, float]:
    return surface_start(spec.surface, spec.start)


def run_configs(spec: TrajectoriesCreate) -> list[RunConfig]:
    return [
        RunConfig(
            optimizer=run.optimizer,
            hyperparameters=run.hyperparameters.model_dump(),
            schedule=run.schedule.model_dump() if run.schedule else None,
            clip=run.clip.model_dump() if run.clip else None,
        )
        for run in spec.runs
    ]


def simulate_spec(spec: TrajectoriesCreate) -> list[RunResult]:
    """Run a validated spec through the engine (blocking; call it from a worker thread)."""
    return simulate(
        spec.surface.name,
        spec.surface.params.model_dump(),
        start_point(spec),
        run_configs(spec),
        spec.steps,
        spec.noise.model_dump() if spec.noise else None,
    )


def analytic(spec: TrajectoriesCreate, result: RunResult) -> AnalyticRatesPublic | None:
    """Predicted, optimal and measured linear rates of an SGD / momentum / Nesterov run on the quadratic."""
    if spec.surface.name != "quadratic" or result.config.optimizer not in rates.RATE_OPTIMIZERS:
        return None
    eigenvalues = rates.quadratic_eigenvalues(spec.surface.params.kappa)
    a = rates.analyze(result.config.optimizer, result.config.hyperparameters, eigenvalues, result.points)
    schedule = result.config.schedule
    noisy = spec.noise is not None and spec.noise.sigma > 0
    constant_rate = schedule is None or schedule["name"] == "constant"
    return AnalyticRatesPublic(
        eigenvalues=list(a.eigenvalues),
        condition_number=a.condition_number,
        predicted_rate=a.predicted_rate,
        converges=a.converges,
        optimal=OptimumPublic(learning_rate=a.optimum.learning_rate, momentum=a.optimum.momentum, rate=a.optimum.rate),
        measured_rate=None if a.measured is None else a.measured.rate,
        measured_steps=None if a.measured is None else (a.measured.first_step, a.measured.last_step),
        terminal_velocity_factor=a.terminal_velocity_factor,
        applies=constant_rate and not noisy and result.config.clip is None,
    )


def to_public(spec: TrajectoriesCreate, results: list[RunResult]) -> TrajectoriesPublic:
    return TrajectoriesPublic(
        surface=spec.surface.name,
        start=start_point(spec),
        steps=spec.steps,
        runs=[
            RunPublic(
                optimizer=r.config.optimizer,
                hyperparameters=r.config.hyperparameters,
                schedule=r.config.schedule,
                clip=r.config.clip,
                points=r.points.tolist(),
                loss=r.loss.tolist(),
                grad_norm=r.grad_norm.tolist(),
                status=r.status,
                diverged_at=r.diverged_at,
                reason=r.reason,
                analytic=analytic(spec, r),
            )
            for r in results
        ],
    )


@functools.cache
def _grid_fn(surface: str):
    fn = get_surface(surface).fn
    return jax.jit(jax.vmap(jax.vmap(fn, in_axes=(0, None)), in_axes=(0, None)))


def grid(surface: str, params: dict, resolution: int) -> GridPublic:
    """Sample the surface on ``resolution × resolution`` points of its domain (z[i][j] at y[i], x[j]).

    A custom expression's undefined points (NaN) are null; ±∞ is clipped to float32's range. Its
    contours are log-spaced when it is non-negative wherever it is defined."""
    s = get_surface(surface, params)
    (x0, x1), (y0, y1) = s.domain
    x = np.linspace(x0, x1, resolution, dtype=np.float32)
    y = np.linspace(y0, y1, resolution, dtype=np.float32)
    xy = np.stack(np.meshgrid(x, y), axis=-1)
    z = np.asarray(_grid_fn(surface)(jnp.asarray(xy), s.param_vector(params)))
    undefined = np.isnan(z)
    z = np.nan_to_num(z, nan=0.0, posinf=np.finfo(np.float32).max, neginf=np.finfo(np.float32).min)
    log_levels = s.log_levels
    if surface == CUSTOM:
        log_levels = bool(np.all(z[~undefined] >= 0)) and not undefined.all()
    rows = z.tolist()
    if undefined.any():
        rows = [
            [None if bad else v for v, bad in zip(row, mask, strict=True)]
            for row, mask in zip(rows, undefined, strict=True)
        ]
    return GridPublic(surface=surface, x=x.tolist(), y=y.tolist(), z=rows, log_levels=log_levels)


def surface_point(spec: SurfacePointCreate) -> SurfacePointPublic:
    """Curvature at a point and whether a gradient step of the given size would raise the loss there."""
    c = point_curvature(spec.surface.name, spec.surface.params.model_dump(), tuple(spec.point), spec.learning_rate)
    smallest = float(np.min(np.abs(c.eigenvalues)))
    return SurfacePointPublic(
        loss=c.loss,
        gradient=c.gradient.tolist(),
        hessian=c.hessian.tolist(),
        eigenvalues=c.eigenvalues.tolist(),
        eigenvectors=c.eigenvectors.tolist(),
        kind=c.kind,
        condition_number=None if c.kind == "degenerate" else float(np.max(np.abs(c.eigenvalues))) / smallest,
        first_order=c.first_order,
        second_order=c.second_order,
        predicted_change=c.predicted_change,
        actual_change=c.actual_change,
        step_raises_loss=c.second_order > c.first_order,
    )

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


def reported(length: int, every: int) -> np.ndarray:
    """The points an answer reports of a run of ``length`` points: steps 0, k, 2k, … and the last."""
    steps = np.arange(0, length, every)
    return steps if length == 0 or steps[-1] == length - 1 else np.append(steps, length - 1)


def to_public(spec: TrajectoriesCreate, results: list[RunResult], every: int = 1) -> TrajectoriesPublic:
    """The JSON answer; with ``every`` > 1 each run reports every k-th point and its last, and says which."""
    runs = []
    for r in results:
        at = reported(len(r.points), every)
        runs.append(
            RunPublic(
                optimizer=r.config.optimizer,
                hyperparameters=r.config.hyperparameters,
                schedule=r.config.schedule,
                clip=r.config.clip,
                points=r.points[at].tolist(),
                loss=r.loss[at].tolist(),
                grad_norm=r.grad_norm[at].tolist(),
                step=at.tolist() if every > 1 else None,
                status=r.status,
                diverged_at=r.diverged_at,
                reason=r.reason,
                analytic=analytic(spec, r),
            )
        )
    start = start_point(spec)
    return TrajectoriesPublic(surface=spec.surface.name, start=start, steps=spec.steps, every=every, runs=runs)


PATH_FIELDS = ("x", "y", "loss", "grad_norm")


def paths_frame(spec: TrajectoriesCreate, results: list[RunResult], every: int = 1) -> tuple[dict, np.ndarray]:
    """A ``paths`` frame's header (less ``type``, ``cursor`` and the numbering) and float32 payload
    (docs/protocol.md): the live session's, and the trajectories answer's with ``format=binary``.

    With ``every`` > 1 each run reports every k-th point and its last, the rows start with their step
    (``fields`` then begins with ``step``), and a series holds the entries of the updates that arrived at
    the reported points.
    """
    picks = [reported(len(r.points), every) for r in results]
    fields = ("step", *PATH_FIELDS) if every > 1 else PATH_FIELDS
    header = {
        "surface": spec.surface.name,
        "surface_params": spec.surface.params.model_dump(),
        "start": list(start_point(spec)),
        "steps": spec.steps,
        "every": every,
        "fields": list(fields),
        "runs": [
            {
                "optimizer": r.config.optimizer,
                "hyperparameters": r.config.hyperparameters,
                "schedule": r.config.schedule,
                "clip": r.config.clip,
                "length": len(at),
                "status": r.status,
                "diverged_at": r.diverged_at,
                "reason": r.reason,
                "final_loss": float(r.loss[-1]) if len(r.loss) else None,  # None: diverged at step 0
                "analytic": _dumped(analytic(spec, r)),
                "series": [[name, [len(at) - 1, *values.shape[1:]]] for name, values in _series(r)],
            }
            for r, at in zip(results, picks, strict=True)
        ],
    }
    rows = [
        np.column_stack([*([at] if every > 1 else []), r.points[at], r.loss[at], r.grad_norm[at]]).ravel()
        for r, at in zip(results, picks, strict=True)
    ]
    series = [values[at[1:] - 1].ravel() for r, at in zip(results, picks, strict=True) for _, values in _series(r)]
    return header, np.concatenate(rows + series).astype(np.float32)


def _series(r: RunResult) -> list[tuple[str, np.ndarray]]:
    """A run's per-update series beyond its points: the rate ε_t of a scheduled run, and an adaptive
    rule's per-coordinate step sizes (n − 1, 2)."""
    series = []
    if r.config.schedule and r.config.schedule.get("name") != "constant":
        series.append(("learning_rate", r.learning_rate))
    if r.step_size is not None:
        series.append(("step_size", r.step_size))
    return series


def _dumped(model) -> dict | None:
    return None if model is None else model.model_dump(mode="json")


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

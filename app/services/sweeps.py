"""A sweep spec as one batched engine call, and its summary as grids of cells."""

from __future__ import annotations

import numpy as np

from app.api.schemas.surface import surface_start
from app.api.schemas.sweep import START_AXES, SweepAxisPublic, SweepCreate, SweepPublic
from engine.surface.runner import RunConfig
from engine.surface.sweep_summary import NEVER, SweepSummary, summarize_sweep


def _padded_size(n: int) -> int:
    """Runs in a batch: a power of two, so grids of similar sizes share one compiled loop."""
    return 1 << (n - 1).bit_length()


def start_point(spec: SweepCreate) -> tuple[float, float]:
    return surface_start(spec.surface, spec.start)


def grid_values(spec: SweepCreate) -> list[np.ndarray]:
    """Each axis's values; run ``i · n₁ + j`` of the batch is cell ``[i][j]``."""
    return [axis.values() for axis in spec.axes]


def run_sweep(spec: SweepCreate) -> SweepSummary:
    """Every cell of the grid in one call of the engine (blocking; call it from a worker thread)."""
    values = grid_values(spec)
    cells = np.stack(np.meshgrid(*values, indexing="ij"), axis=-1).reshape(-1, len(values))
    cells = np.concatenate([cells, np.repeat(cells[:1], _padded_size(len(cells)) - len(cells), axis=0)])
    starts = np.tile(np.asarray(start_point(spec), np.float64), (len(cells), 1))
    hyper = {}
    for k, axis in enumerate(spec.axes):
        if axis.name in START_AXES:
            starts[:, START_AXES.index(axis.name)] = cells[:, k]
        else:
            hyper[axis.name] = cells[:, k]
    run = spec.run
    config = RunConfig(
        optimizer=run.optimizer,
        hyperparameters=run.hyperparameters.model_dump(),
        schedule=run.schedule.model_dump() if run.schedule else None,
        clip=run.clip.model_dump() if run.clip else None,
    )
    noise = spec.noise.model_dump() if spec.noise else None
    return summarize_sweep(
        spec.surface.name, spec.surface.params.model_dump(), starts, config, hyper, spec.steps, spec.tolerance, noise
    )


def _rows(cells: list, columns: int) -> list[list]:
    return [cells[i : i + columns] for i in range(0, len(cells), columns)]


def to_public(spec: SweepCreate, summary: SweepSummary) -> SweepPublic:
    """The summary's first ``n₀ · n₁`` runs as ``n₀ × n₁`` grids; null (never NaN) where a number does not apply."""
    values = grid_values(spec)
    columns = len(values[1]) if len(values) == 2 else 1
    n = len(values[0]) * columns
    ok = (summary.diverged_at[:n] == NEVER).tolist()
    loss = summary.final_loss[:n].tolist()
    point = [tuple(p) for p in summary.final_point[:n].tolist()]
    reached = summary.steps_to_tolerance[:n].tolist()
    diverged_at = summary.diverged_at[:n].tolist()
    return SweepPublic.model_construct(
        surface=spec.surface.name,
        optimizer=spec.run.optimizer,
        start=start_point(spec),
        steps=spec.steps,
        tolerance=spec.tolerance,
        axes=[SweepAxisPublic(name=a.name, values=v.tolist()) for a, v in zip(spec.axes, values, strict=True)],
        final_loss=_rows([v if good else None for v, good in zip(loss, ok, strict=True)], columns),
        steps_to_tolerance=_rows([None if v == NEVER else v for v in reached], columns),
        status=_rows(["ok" if good else "diverged" for good in ok], columns),
        diverged_at=_rows([None if good else v for v, good in zip(diverged_at, ok, strict=True)], columns),
        final_point=_rows([v if good else None for v, good in zip(point, ok, strict=True)], columns),
    )

"""One-shot surface work: trajectories of many runs, sweeps over a grid, the surface sampled on a grid,
curvature at a point."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import csv_response, run_engine, run_heavy
from app.api.errors import BAD_BODY
from app.api.schemas.surface import (
    GridCreate,
    GridPublic,
    SurfacePointCreate,
    SurfacePointPublic,
    TrajectoriesCreate,
    TrajectoriesPublic,
)
from app.api.schemas.sweep import SweepCreate, SweepPublic
from app.services import export, surface_runs, sweeps
from app.services.frames import encode_frame

router = APIRouter(prefix="/api/v1", tags=["surfaces"])

# Above these sizes a request runs in the heavy lane (app.services.lanes): ~0.1 s of work or more.
HEAVY_RUN_STEPS = 50_000  # trajectories: runs x steps
HEAVY_SWEEP_STEPS = 20_000_000  # sweeps: cells x steps


async def _run(request: Request, heavy: bool, fn, *args):
    if heavy:
        return await run_heavy(request, lambda stop: fn(*args))
    return await run_engine(fn, *args)


TrajectoriesFormat = Annotated[
    Literal["json", "csv", "binary"],
    Query(
        description="`json` (default); `csv`: the same numbers as a CSV attachment; `binary`: one `paths` frame "
        "of the live protocol (a JSON header and float32 rows, docs/protocol.md), about a fifth of the JSON"
    ),
]
Every = Annotated[
    int,
    Query(ge=1, le=10_000, description="report every k-th point of each run (and its last): a long run in less"),
]
BINARY_ANSWER: dict[int | str, dict] = {
    200: {
        "description": "The JSON answer; with `format=csv` a CSV table; with `format=binary` a `paths` frame",
        "content": {"text/csv": {"schema": {"type": "string"}}, "application/octet-stream": {}},
    },
}


@router.post("/trajectories", responses=BAD_BODY | BINARY_ANSWER, response_model=TrajectoriesPublic)
async def create_trajectories(
    spec: TrajectoriesCreate, request: Request, format: TrajectoriesFormat = "json", every: Every = 1
) -> TrajectoriesPublic | Response:
    """Run every optimizer of the spec from one start; a diverged run ends at its last finite point."""
    heavy = len(spec.runs) * spec.steps > HEAVY_RUN_STEPS
    results = await _run(request, heavy, surface_runs.simulate_spec, spec)
    if format == "binary":
        header, payload = surface_runs.paths_frame(spec, results, every)
        return Response(encode_frame({"type": "paths", **header}, payload), media_type="application/octet-stream")
    answer = surface_runs.to_public(spec, results, every)
    return csv_response(export.trajectories_csv(answer), "trajectories.csv") if format == "csv" else answer


@router.post("/sweep", responses=BAD_BODY, response_model=SweepPublic)
async def create_sweep(spec: SweepCreate, request: Request) -> Response:
    """One run over a grid of hyperparameter values or starts: final loss, steps to tolerance, status per cell."""
    cells = 1
    for axis in spec.axes:
        cells *= axis.count
    summary = await _run(request, cells * spec.steps > HEAVY_SWEEP_STEPS, sweeps.run_sweep, spec)
    # Built from the engine's arrays without a second validation pass: 16384 cells serialize in a few ms.
    return Response(sweeps.to_public(spec, summary).model_dump_json(), media_type="application/json")


@router.post("/surface-grid", responses=BAD_BODY)
async def create_surface_grid(spec: GridCreate) -> GridPublic:
    """The surface's values on a regular grid over its domain, for the contour plot."""
    return await run_engine(surface_runs.grid, spec.surface.name, spec.surface.params.model_dump(), spec.resolution)


@router.post("/surface-point", responses=BAD_BODY)
async def create_surface_point(spec: SurfacePointCreate) -> SurfacePointPublic:
    """Loss, exact gradient and Hessian at a point, its kind, and the second-order check of one step."""
    return await run_engine(surface_runs.surface_point, spec)

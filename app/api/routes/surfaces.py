"""One-shot surface work: trajectories of many runs, sweeps over a grid, the surface sampled on a grid,
curvature at a point."""

from fastapi import APIRouter, Request, Response

from app.api.deps import CSV_ANSWER, Format, csv_response, run_engine, run_heavy
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

router = APIRouter(prefix="/api/v1", tags=["surfaces"])

# Above these sizes a request runs in the heavy lane (app.services.lanes): ~0.1 s of work or more.
HEAVY_RUN_STEPS = 50_000  # trajectories: runs x steps
HEAVY_SWEEP_STEPS = 20_000_000  # sweeps: cells x steps


async def _run(request: Request, heavy: bool, fn, *args):
    if heavy:
        return await run_heavy(request, lambda stop: fn(*args))
    return await run_engine(fn, *args)


@router.post("/trajectories", responses=BAD_BODY | CSV_ANSWER, response_model=TrajectoriesPublic)
async def create_trajectories(
    spec: TrajectoriesCreate, request: Request, format: Format = "json"
) -> TrajectoriesPublic | Response:
    """Run every optimizer of the spec from one start; a diverged run ends at its last finite point."""
    heavy = len(spec.runs) * spec.steps > HEAVY_RUN_STEPS
    results = await _run(request, heavy, surface_runs.simulate_spec, spec)
    answer = surface_runs.to_public(spec, results)
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

"""One-shot surface work: trajectories of many runs, the surface sampled on a grid, curvature at a point."""

from fastapi import APIRouter, Response

from app.api.deps import CSV_ANSWER, Format, csv_response, run_engine
from app.api.errors import BAD_BODY
from app.api.schemas.surface import (
    GridCreate,
    GridPublic,
    SurfacePointCreate,
    SurfacePointPublic,
    TrajectoriesCreate,
    TrajectoriesPublic,
)
from app.services import export, surface_runs

router = APIRouter(prefix="/api/v1", tags=["surfaces"])


@router.post("/trajectories", responses=BAD_BODY | CSV_ANSWER, response_model=TrajectoriesPublic)
async def create_trajectories(spec: TrajectoriesCreate, format: Format = "json") -> TrajectoriesPublic | Response:
    """Run every optimizer of the spec from one start; a diverged run ends at its last finite point."""
    results = await run_engine(surface_runs.simulate_spec, spec)
    answer = surface_runs.to_public(spec, results)
    return csv_response(export.trajectories_csv(answer), "trajectories.csv") if format == "csv" else answer


@router.post("/surface-grid", responses=BAD_BODY)
async def create_surface_grid(spec: GridCreate) -> GridPublic:
    """The surface's values on a regular grid over its domain, for the contour plot."""
    return await run_engine(surface_runs.grid, spec.surface.name, spec.surface.params.model_dump(), spec.resolution)


@router.post("/surface-point", responses=BAD_BODY)
async def create_surface_point(spec: SurfacePointCreate) -> SurfacePointPublic:
    """Loss, exact gradient and Hessian at a point, its kind, and the second-order check of one step."""
    return await run_engine(surface_runs.surface_point, spec)

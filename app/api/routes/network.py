"""One-shot network-lab work: the initialization experiment and bounded training."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import CSV_ANSWER, Format, csv_response, export_table, run_engine, run_heavy
from app.api.errors import BAD_BODY
from app.api.schemas.network import InitExperimentCreate, InitExperimentPublic, TrainCreate, TrainPublic
from app.services import export, network_runs

router = APIRouter(prefix="/api/v1", tags=["network"])

HEAVY_INIT_FLOPS = 1e10  # layers x samples x width^2 above which an init experiment is heavy (about 0.2 s)

InitTable = Annotated[
    Literal[tuple(export.INIT_TABLES)] | None,
    Query(description="with `format=csv`: `layers` (mean and std per layer; the default) or `histograms`"),
]
TrainTable = Annotated[
    Literal[tuple(export.TRAIN_TABLES)] | None,
    Query(description="with `format=csv`: `history` (per chunk; the default) or `layers` (per-layer statistics)"),
]


@router.post("/init-experiment", responses=BAD_BODY | CSV_ANSWER, response_model=InitExperimentPublic)
async def create_init_experiment(
    spec: InitExperimentCreate, request: Request, format: Format = "json", table: InitTable = None
) -> InitExperimentPublic | Response:
    """Per-layer activation mean, std and histogram of a deep stack fed N(0, 1) data (seed 001)."""
    csv_table = export_table(format, table, "layers")
    if spec.layers * spec.samples * spec.width**2 > HEAVY_INIT_FLOPS:
        answer = await run_heavy(request, lambda stop: network_runs.init_experiment(spec))
    else:
        answer = await run_engine(network_runs.init_experiment, spec)
    if csv_table is None:
        return answer
    return csv_response(export.INIT_TABLES[csv_table](answer), f"init-experiment-{csv_table}.csv")


@router.post("/train", responses=BAD_BODY | CSV_ANSWER, response_model=TrainPublic)
async def create_training(
    spec: TrainCreate, request: Request, format: Format = "json", table: TrainTable = None
) -> TrainPublic | Response:
    """Train an MLP for a bounded number of epochs (≤ 20,000 steps); per-chunk history and final metrics.

    Heavy work: one at a time per client, 429 when the server is busy; cut by the time budget."""
    csv_table = export_table(format, table, "history")
    answer = await run_heavy(request, network_runs.train_once, spec)
    if csv_table is None:
        return answer
    return csv_response(export.TRAIN_TABLES[csv_table](answer), f"train-{csv_table}.csv")

"""One-shot network-lab work: the initialization experiment and bounded training."""

from fastapi import APIRouter

from app.api.deps import run_engine
from app.api.errors import BAD_BODY
from app.api.schemas.network import InitExperimentCreate, InitExperimentPublic, TrainCreate, TrainPublic
from app.services import network_runs

router = APIRouter(prefix="/api/v1", tags=["network"])


@router.post("/init-experiment", responses=BAD_BODY)
async def create_init_experiment(spec: InitExperimentCreate) -> InitExperimentPublic:
    """Per-layer activation mean, std and histogram of a deep stack fed N(0, 1) data (seed 001)."""
    return await run_engine(network_runs.init_experiment, spec)


@router.post("/train", responses=BAD_BODY)
async def create_training(spec: TrainCreate) -> TrainPublic:
    """Train an MLP for a bounded number of epochs (≤ 20,000 steps); per-chunk history and final metrics."""
    return await run_engine(network_runs.train_once, spec)

"""Is the server up, and has it compiled what users will need?"""

from fastapi import APIRouter

from app.services import warmup

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health")
def read_health() -> dict:
    """``{"status": "ok", "warm": bool, "warming": [...]}``: ``warm`` once every start-up compilation
    (default views, the network lab's shape buckets) is done; ``warming`` lists those still to come."""
    return {"status": "ok", **warmup.status()}

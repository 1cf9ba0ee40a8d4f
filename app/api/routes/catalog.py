"""The catalog: surfaces, optimizers (with their rules as MathML), schedules, clip modes."""

from fastapi import APIRouter

from app.services.catalog import catalog

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/catalog")
def read_catalog() -> dict:
    """Everything the page needs to build its controls, with ranges and defaults."""
    return catalog()

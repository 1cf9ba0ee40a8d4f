"""HTML pages and the plotly.js bundle served from the installed ``plotly`` wheel (no CDN)."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[3] / "templates")
router = APIRouter(include_in_schema=False)


@functools.cache
def plotly_bundle() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


@router.get("/", response_class=HTMLResponse)
def surface_lab(request: Request) -> HTMLResponse:
    """The surface lab: optimizers racing on a 2D loss surface."""
    return TEMPLATES.TemplateResponse(request, "surface.html", {"page": "surface"})


@router.get("/network", response_class=HTMLResponse)
def network_lab(request: Request) -> HTMLResponse:
    """The network lab: small MLPs trained live, with per-layer diagnostics."""
    return TEMPLATES.TemplateResponse(request, "network.html", {"page": "network"})


@router.get("/init", response_class=HTMLResponse)
def init_experiment(request: Request) -> HTMLResponse:
    """The initialization experiment: activations of a deep stack, layer by layer (seed 001)."""
    return TEMPLATES.TemplateResponse(request, "init.html", {"page": "init"})


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """plotly.js exactly as the installed plotly wheel ships it."""
    return FileResponse(plotly_bundle(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

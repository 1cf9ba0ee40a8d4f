"""HTML pages. Their asset URLs carry a content hash (``app/api/assets.py``); the pages themselves are
``Cache-Control: no-cache``, so a browser always asks for the page and finds the current assets' URLs."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.assets import module_preloads, plotly_bundle, plotly_url, static_url


class PageTemplates(Jinja2Templates):
    """Jinja2 templates whose pages are revalidated on every visit (they name the current assets)."""

    def TemplateResponse(self, *args, **kwargs):  # noqa: N802 (Starlette's name)
        response = super().TemplateResponse(*args, **kwargs)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


TEMPLATES = PageTemplates(directory=Path(__file__).resolve().parents[3] / "templates")
TEMPLATES.env.globals.update(static_url=static_url, plotly_url=plotly_url, module_preloads=module_preloads)
router = APIRouter(include_in_schema=False)
__all__ = ["TEMPLATES", "plotly_bundle", "router"]


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

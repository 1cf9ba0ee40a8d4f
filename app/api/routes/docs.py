"""``/docs``: Swagger UI for the OpenAPI document, served from the installed ``swagger-ui-bundle``
wheel (FastAPI's default page loads it from a CDN, which an offline classroom cannot reach)."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
router = APIRouter(include_in_schema=False)
assets = StaticFiles(directory=SWAGGER_DIR)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Interactive API documentation, entirely local."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="DescentLab API",
        swagger_js_url="/vendor/swagger/swagger-ui-bundle.js",
        swagger_css_url="/vendor/swagger/swagger-ui.css",
        swagger_favicon_url="/vendor/swagger/favicon-32x32.png",
    )

"""``/docs``: Swagger UI for the OpenAPI document, served from the installed ``swagger-ui-bundle``
wheel (FastAPI's default page loads it from a CDN, which an offline classroom cannot reach). The page
has no inline script (the Content-Security-Policy allows none): ``static/js/docs.js`` starts Swagger UI."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
router = APIRouter(include_in_schema=False)
assets = StaticFiles(directory=SWAGGER_DIR)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>DescentLab API</title>
  <link rel="stylesheet" href="/vendor/swagger/swagger-ui.css">
  <link rel="icon" href="/vendor/swagger/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="/vendor/swagger/swagger-ui-bundle.js"></script>
  <script src="/static/js/docs.js"></script>
</body>
</html>
"""


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Interactive API documentation, entirely local."""
    return HTMLResponse(PAGE)

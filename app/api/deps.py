"""Shared dependencies: where engine work runs (worker threads, off the event loop); CSV answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import anyio
from anyio import to_thread
from fastapi import Query, Response
from fastapi.exceptions import RequestValidationError

from app.services import export
from app.settings import settings

_limiter: anyio.CapacityLimiter | None = None


def _engine_limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(settings.ENGINE_THREADS)
    return _limiter


async def run_engine(fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking engine work in a worker thread; XLA releases the GIL while it computes."""
    return await to_thread.run_sync(fn, *args, limiter=_engine_limiter())


# --- ?format=csv ------------------------------------------------------------------------------

Format = Annotated[
    Literal["json", "csv"], Query(description="`json` (default), or `csv`: the same numbers as a CSV attachment")
]

CSV_ANSWER: dict[int | str, dict] = {
    200: {
        "description": "The JSON answer, or with `format=csv` a CSV table",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
}


def export_table(format: str, table: str | None, default: str) -> str | None:
    """The CSV table a request asks for (``default`` when it names none), or None for the JSON answer."""
    if format == "json":
        if table is not None:
            loc, msg = ("query", "table"), "table applies only to format=csv"
            raise RequestValidationError([{"type": "value_error", "loc": loc, "msg": msg, "input": table}])
        return None
    return table or default


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text, media_type=export.MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )

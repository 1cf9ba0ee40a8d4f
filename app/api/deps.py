"""Shared dependencies: where engine work runs (:mod:`app.services.lanes`: worker threads off the event
loop, interactive, streaming and heavy lanes); CSV answers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Response
from fastapi.exceptions import RequestValidationError

from app.services import export
from app.services.lanes import run_engine, run_heavy, run_streaming

__all__ = ["run_engine", "run_heavy", "run_streaming"]


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

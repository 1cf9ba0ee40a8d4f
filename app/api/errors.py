"""422 responses that say, in one line, which field was wrong and what is allowed."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.services.lanes import Busy


def describe(errors: list[dict]) -> str:
    """``runs.0.adam.hyperparameters.learning_rate: Input should be less than or equal to 10``."""
    parts = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{loc or 'body'}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(exc.errors())
        for e in errors:
            e.pop("url", None)
            e.pop("input", None)
        return JSONResponse(status_code=422, content={"message": describe(errors), "detail": errors})

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(status_code=429, content={"message": exc.message, "detail": []}, headers=headers)

    @app.exception_handler(ValueError)
    @app.exception_handler(KeyError)
    async def engine_refused(request: Request, exc: Exception) -> JSONResponse:
        """The engine's own checks (a combination the schema cannot express): still the user's input."""
        message = exc.args[0] if exc.args else str(exc)
        return JSONResponse(status_code=422, content={"message": str(message), "detail": []})


# Starlette answers 400 before validation when a body is not parseable JSON; say so in OpenAPI.
BAD_BODY: dict[int | str, dict] = {
    400: {"description": "The body is not valid JSON"},
    422: {"description": "A field is missing, unknown, of the wrong type or out of range; `message` says which"},
}

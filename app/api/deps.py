"""Shared dependencies: where engine work runs (worker threads, off the event loop)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from anyio import to_thread

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

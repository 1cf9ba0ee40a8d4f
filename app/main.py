"""Composition root: settings, middleware, routers, static files."""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from app.api import assets
from app.api.deadline import RequestDeadline
from app.api.errors import install_error_handlers
from app.api.routes import catalog, docs, follow_ws, health, lessons, network, network_ws, pages, surface_ws, surfaces
from app.api.security import install_security
from app.services.warmup import start_warm_up, stop_warm_up
from app.settings import settings
from engine.cache import enable_compilation_cache, host_memory_bytes, set_memory_budget


@asynccontextmanager
async def lifespan(app: FastAPI):
    warm_up = start_warm_up() if settings.WARM_UP else None
    await anyio.to_thread.run_sync(assets.prepare)  # hashes, and compresses what the cache lacks
    yield
    if warm_up is not None:
        # A thread killed inside an XLA compile aborts the process at exit: let it finish its program.
        stop_warm_up()
        warm_up.join()


def memory_budget() -> int:
    """Bytes this process may fill (``DESCENTLAB_MEMORY_BUDGET_GB``; unset: half the host's memory over the
    workers; 0: no budget)."""
    if settings.MEMORY_BUDGET_GB is not None:
        return int(settings.MEMORY_BUDGET_GB * 1e9)
    return (host_memory_bytes() or 0) // (2 * max(settings.WORKERS, 1))


def create_app() -> FastAPI:
    enable_compilation_cache(settings.JAX_CACHE_DIR)
    set_memory_budget(memory_budget())
    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # served by app.api.routes.docs from the local swagger-ui-bundle
        redoc_url=None,
        title="DescentLab",
        version="0.1.0",
        description="See optimization in deep learning: optimizers on loss surfaces, live networks.",
    )
    install_error_handlers(app)
    app.add_middleware(RequestDeadline)  # inside the security middlewares: its 504 gets their headers
    install_security(app)

    for module in (health, catalog, surfaces, surface_ws, network, network_ws, follow_ws, lessons, pages, docs):
        app.include_router(module.router)
    app.mount("/static", assets.AssetFiles(assets.static_store()), name="static")
    app.mount("/vendor/swagger", docs.assets, name="swagger")
    app.mount("/vendor", assets.AssetFiles(assets.vendor_store()), name="vendor")
    return app


app = create_app()

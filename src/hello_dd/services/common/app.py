"""One factory that gives every service the same shape: JSON logs, server spans, the request envelope,
the error contract, ``/health`` and ``/metrics``."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from opentelemetry.trace import TracerProvider
from pydantic import BaseModel, ConfigDict, Field

from hello_dd import __version__
from hello_dd.services.common import metrics, telemetry
from hello_dd.services.common.errors import install_error_handlers
from hello_dd.services.common.json_logging import configure_logging
from hello_dd.services.common.middleware import BodyLimit, RequestEnvelope
from hello_dd.services.common.settings import ServiceSettings
from hello_dd.topology import GATEWAY

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class Health(BaseModel):
    """A service's health answer; a service adds its own fields (the gateway: its dependencies' circuits)."""

    model_config = ConfigDict(extra="allow")

    status: Literal["ok"]
    service: str = Field(description="The service's name", examples=[GATEWAY.name])
    version: str


# Extra fields for /health; may be a plain or an async function.
HealthCheck = Callable[[FastAPI], dict[str, Any] | Awaitable[dict[str, Any]]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    lifespan: Lifespan | None = None,
    health_details: HealthCheck | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    """``tracer_provider``: where the server spans go (default: the process's, which
    ``telemetry.start`` or ddtrace set up before the application was imported)."""
    configure_logging(settings.service_name, settings.log_level)

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            telemetry.flush()

    app = FastAPI(
        title=title,
        description=description,
        version=__version__,
        lifespan=_lifespan,
        telemetry=telemetry.fastapi_telemetry(settings, tracer_provider),
    )
    app.state.settings = settings

    @app.get(
        "/health",
        tags=["operations"],
        response_model=Health,
        summary="Liveness and the service's own view of its dependencies",
    )
    async def health() -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok", "service": settings.service_name, "version": __version__}
        if health_details is not None:
            details = health_details(app)
            body.update(await details if inspect.isawaitable(details) else details)
        return body

    app.include_router(metrics.router)
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    # add_middleware puts each new middleware outside the previous one: the envelope is outermost
    # (inside the server span, which FastAPI starts around the whole middleware stack), so even a 413
    # carries the ids and is counted.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestEnvelope, service=settings.service_name)
    return app

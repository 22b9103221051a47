"""The api-gateway application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from hello_dd.services.common.app import create_service_app
from hello_dd.services.common.settings import GatewaySettings
from hello_dd.services.gateway.context import build_gateway
from hello_dd.services.gateway.routes import cascade, orders, policy, products, reports

DESCRIPTION = """Entry point of hello-dd. Orchestrates inventory-service and pricing-service in five
request patterns: product query (parallel fan-out), checkout (saga with compensation), bulk check
(chunked, parallel), async reports (job + polling) and the cascade endpoint (induced failures)."""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = await build_gateway(settings)
        try:
            yield
        finally:
            await app.state.gateway.close()

    async def health(app: FastAPI) -> dict[str, Any]:
        gw = getattr(app.state, "gateway", None)
        if gw is None:
            return {}
        return {
            "dependencies": {
                dep.name: {"url": dep.base_url, "circuit": await dep.circuit_state()} for dep in gw.dependencies.values()
            }
        }

    return create_service_app(
        settings,
        title="hello-dd api-gateway",
        description=DESCRIPTION,
        routers=[products.router, orders.router, reports.router, cascade.router, policy.router],
        lifespan=lifespan,
        health_details=health,
    )

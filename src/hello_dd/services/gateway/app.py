"""The api-gateway application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from hello_dd.services.common.app import create_service_app
from hello_dd.services.common.periodic import running
from hello_dd.services.common.settings import GatewaySettings
from hello_dd.services.gateway.context import build_components
from hello_dd.services.gateway.routes import cascade, orders, policy, products, reports, simulate
from hello_dd.topology import INVENTORY, PRICING

DESCRIPTION = f"""Entry point of hello-dd. Orchestrates {INVENTORY.name} and {PRICING.name} in five
request patterns: product query (parallel fan-out), checkout (saga with compensation), bulk check
(chunked, parallel), async reports (job + polling) and the cascade endpoint (induced failures).

Orders, the progress of each checkout and report jobs are kept in the gateway's database, so a
restart loses nothing confirmed. Checkout and report requests accept an `Idempotency-Key` header that
makes a retry safe: the same key and body get the first answer instead of a second order or job."""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gw = app.state.components = await build_components(settings)
        try:
            await gw.maintenance.start_up()
            async with running(*gw.maintenance.loops()):
                yield
        finally:
            await gw.close()

    async def health(app: FastAPI) -> dict[str, Any]:
        gw = getattr(app.state, "components", None)
        if gw is None:
            return {}
        return {
            "database": gw.db.backend,
            "dependencies": {
                dep.name: {"url": dep.base_url, "circuit": await dep.circuit_state()}
                for dep in gw.dependencies.values()
            },
        }

    return create_service_app(
        settings,
        title=f"hello-dd {settings.service_name}",
        description=DESCRIPTION,
        routers=[
            products.router,
            orders.router,
            reports.router,
            cascade.router,
            policy.router,
            *simulate.routers(settings),
        ],
        lifespan=lifespan,
        health_details=health,
    )

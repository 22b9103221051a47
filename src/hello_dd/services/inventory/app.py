"""The inventory-service application: ``create_app()`` is what ``hello-dd serve`` runs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from hello_dd.services.common import simulate, telemetry
from hello_dd.services.common.app import create_service_app
from hello_dd.services.common.periodic import repeat, running
from hello_dd.services.common.settings import InventorySettings
from hello_dd.services.inventory.database import backend_name, create_db_engine, create_schema, seed_catalogue
from hello_dd.services.inventory.routes import inventory_router, reservations_router
from hello_dd.services.inventory.stock import StockRepository

log = logging.getLogger(__name__)

DESCRIPTION = """Stock levels and reservations of the hello-dd catalogue.

Reservations are atomic (every line or none) and idempotent on `reservationId`; stock is never
oversold, also under concurrent requests. A reservation is held until it is confirmed (its order is)
or released; a hold nobody confirms expires and its units go back to available stock. Errors use the common `{"error": {...}, "correlationId"}` body.
"""


def create_app(settings: InventorySettings | None = None) -> FastAPI:
    settings = settings or InventorySettings()
    database = backend_name(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.database_url)
        try:
            with telemetry.quietly():  # start-up work, no request's: no spans
                create_schema(engine)
                added = seed_catalogue(engine)
            log.info("inventory database ready", extra={"database": database, "products_added": added})
            stock = app.state.stock = StockRepository(engine, hold_seconds=settings.reservation_hold_seconds)

            async def expire() -> None:
                if expired := await run_in_threadpool(stock.expire_due):
                    log.warning("released %d reservations whose hold expired", expired, extra={"expired": expired})

            async with running(repeat("the reservation expiry sweep", settings.reservation_sweep_seconds, expire)):
                yield
        finally:
            if opened := getattr(app.state, "stock", None):
                opened.close()
            engine.dispose()

    def health_details(_: FastAPI) -> dict[str, Any]:
        # Cheap on purpose: health is polled constantly, so it names the backend without a query.
        return {"database": database}

    return create_service_app(
        settings,
        title=settings.service_name,
        description=DESCRIPTION,
        routers=[inventory_router, reservations_router, *simulate.routers(settings)],
        lifespan=lifespan,
        health_details=health_details,
    )

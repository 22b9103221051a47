"""The pricing-service application: the shared service shape plus the pricing routers, with the
caches opened in the lifespan (and the Redis client closed on shutdown)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from hello_dd.services.common import simulate
from hello_dd.services.common.app import create_service_app
from hello_dd.services.common.settings import PricingSettings
from hello_dd.services.pricing.cache import open_caches
from hello_dd.services.pricing.routes import ROUTERS
from hello_dd.services.pricing.state import PricingState

DESCRIPTION = (
    "Catalogue list prices in USD, EUR, GBP and JPY; quotes with volume and code discounts, kept for "
    "QUOTE_TTL_SECONDS and finalised with tax. Prices and quotes are cached in process or in Redis "
    "(REDIS_URL)."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: PricingSettings = app.state.settings
    async with open_caches(settings) as caches:
        app.state.pricing = PricingState.build(caches, settings)
        yield


def health_details(app: FastAPI) -> dict[str, Any]:
    state: PricingState | None = getattr(app.state, "pricing", None)
    return {"cache": state.backend if state is not None else "starting"}


def create_app(settings: PricingSettings | None = None) -> FastAPI:
    """The ASGI app ``hello-dd serve pricing-service`` runs; tests pass their own settings."""
    settings = settings or PricingSettings()
    return create_service_app(
        settings,
        title=PricingSettings.service_name,
        description=DESCRIPTION,
        routers=[*ROUTERS, *simulate.routers(settings)],
        lifespan=lifespan,
        health_details=health_details,
    )

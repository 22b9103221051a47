"""What the lifespan builds and the routes use, reached through FastAPI dependencies (never globals),
so each application - and each test - has its own caches and tallies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hello_dd.services.common.settings import PricingSettings
from hello_dd.services.pricing.cache import Backend, Caches
from hello_dd.services.pricing.prices import PriceLookup
from hello_dd.services.pricing.quotes import QuoteBook
from hello_dd.services.pricing.stats import PricingStats


@dataclass(frozen=True)
class PricingState:
    backend: Backend
    stats: PricingStats
    prices: PriceLookup
    quotes: QuoteBook

    @classmethod
    def build(cls, caches: Caches, settings: PricingSettings) -> PricingState:
        stats = PricingStats()
        prices = PriceLookup(caches.prices, stats)
        # str() first: the float 0.0825 must become Decimal("0.0825"), not its binary approximation.
        quotes = QuoteBook(caches.quotes, prices, stats, settings.tax_rate)
        return cls(caches.backend, stats, prices, quotes)


# async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop per request.
# Each one reads the application state itself: a dependency of a dependency costs FastAPI ~10 µs a request.
async def get_state(request: Request) -> PricingState:
    return request.app.state.pricing


async def get_prices(request: Request) -> PriceLookup:
    return request.app.state.pricing.prices


async def get_quotes(request: Request) -> QuoteBook:
    return request.app.state.pricing.quotes


State = Annotated[PricingState, Depends(get_state)]
Prices = Annotated[PriceLookup, Depends(get_prices)]
Quotes = Annotated[QuoteBook, Depends(get_quotes)]

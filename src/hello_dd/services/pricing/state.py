"""What the lifespan builds and the routes use, reached through FastAPI dependencies (never globals),
so each application - and each test - has its own caches and tallies."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
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
        quotes = QuoteBook(caches.quotes, prices, stats, Decimal(str(settings.tax_rate)))
        return cls(caches.backend, stats, prices, quotes)


def get_state(request: Request) -> PricingState:
    return request.app.state.pricing


def get_prices(state: Annotated[PricingState, Depends(get_state)]) -> PriceLookup:
    return state.prices


def get_quotes(state: Annotated[PricingState, Depends(get_state)]) -> QuoteBook:
    return state.quotes


State = Annotated[PricingState, Depends(get_state)]
Prices = Annotated[PriceLookup, Depends(get_prices)]
Quotes = Annotated[QuoteBook, Depends(get_quotes)]

"""``/analytics/summary``: the catalogue's price spread plus what this instance has done."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from hello_dd.services.catalog import CATALOGUE
from hello_dd.services.common.errors import ERROR_RESPONSES
from hello_dd.services.pricing import pricebook
from hello_dd.services.pricing.models import AnalyticsSummary, CacheStats, CurrencyCode
from hello_dd.services.pricing.state import State

router = APIRouter(prefix="/analytics", tags=["analytics"], responses=ERROR_RESPONSES)


@router.get("/summary", summary="Price statistics of the catalogue, quotes issued and cache use")
async def summary(state: State, currency: Annotated[CurrencyCode, Query()] = "USD") -> AnalyticsSummary:
    catalogue = pricebook.summarise(CATALOGUE, pricebook.check_currency(currency))
    stats = state.stats
    return AnalyticsSummary.model_validate(
        {
            **asdict(catalogue),
            "quotes_issued": stats.quotes_issued,
            "quotes_finalized": stats.quotes_finalized,
            "cache": CacheStats(backend=state.backend, hits=stats.cache_hits, misses=stats.cache_misses),
        }
    )

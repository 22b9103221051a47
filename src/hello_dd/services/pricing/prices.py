"""Catalogue prices through the cache: one entry per product and currency.

The catalogue itself is in memory, so the cache is less about speed than about behaving like a real
pricing service (and giving the suite hit/miss metrics to observe).
"""

from __future__ import annotations

from collections.abc import Sequence

from hello_dd.services.catalog import BY_ID
from hello_dd.services.pricing import pricebook
from hello_dd.services.pricing.cache import Cache
from hello_dd.services.pricing.errors import ProductNotFound
from hello_dd.services.pricing.models import Price, PriceNotFound
from hello_dd.services.pricing.stats import PricingStats


class PriceLookup:
    def __init__(self, cache: Cache, stats: PricingStats):
        self._cache = cache
        self._stats = stats

    async def find(self, product_id: str, currency: str) -> Price | None:
        """The list price of a product in a (checked) currency, or None for an unknown product."""
        key = f"{product_id}:{currency}"
        cached = await self._cache.get(key)
        self._stats.cache_lookup(hit=cached is not None)
        if cached is not None:
            return Price.model_validate(cached)
        product = BY_ID.get(product_id)
        if product is None:
            return None
        price = Price.model_validate(pricebook.list_price(product, currency))
        await self._cache.set(key, price.model_dump(by_alias=True))
        return price

    async def price(self, product_id: str, currency: str) -> Price:
        """Like ``find``, for callers that need the product to exist (``ProductNotFound`` if not)."""
        found = await self.find(product_id, pricebook.check_currency(currency))
        if found is None:
            raise ProductNotFound([product_id])
        return found

    async def bulk(self, product_ids: Sequence[str], currency: str) -> list[Price | PriceNotFound]:
        """Prices in request order, unknown products marked ``found: false`` instead of failing."""
        currency = pricebook.check_currency(currency)
        items: list[Price | PriceNotFound] = []
        for product_id in product_ids:
            found = await self.find(product_id, currency)
            items.append(found if found is not None else PriceNotFound(product_id=product_id))
        return items

"""Quotes: priced once, kept in the cache for ``QUOTE_TTL_SECONDS``, then finalised with tax.

A quote fixes its prices when it is issued, so what the customer was shown is what finalisation
taxes. Finalising is idempotent: the finalised quote is stored back and a second call returns it
unchanged (and is not counted again). A quote past its ``expiresAt`` is gone even if a backend has
not evicted it yet, so both backends expire quotes at the same moment.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hello_dd.services.common.errors import ApiError
from hello_dd.services.pricing import pricebook
from hello_dd.services.pricing.cache import Cache
from hello_dd.services.pricing.errors import ProductNotFound, QuoteNotFound
from hello_dd.services.pricing.models import FinalQuote, Quote, QuoteItem, QuoteRequest
from hello_dd.services.pricing.prices import PriceLookup
from hello_dd.services.pricing.stats import PricingStats

log = logging.getLogger(__name__)


class QuoteBook:
    def __init__(self, store: Cache, prices: PriceLookup, stats: PricingStats, tax_rate: Decimal):
        self._store = store
        self._prices = prices
        self._stats = stats
        self._tax_rate = tax_rate

    async def create(self, request: QuoteRequest) -> Quote:
        """Price the request and keep the quote; bad currency, code or product ids are refused
        before anything is stored."""
        try:
            quote = await self._price(request)
        except ApiError:
            self._stats.quote("rejected")
            raise
        await self._store.set(quote.quote_id, quote.model_dump(by_alias=True))
        self._stats.quote("created")
        log.info(
            "quote %s issued",
            quote.quote_id,
            extra={
                "quote_id": quote.quote_id,
                "currency": quote.currency,
                "lines": len(quote.lines),
                "subtotal": float(quote.subtotal),
                "discount_total": float(quote.discount_total),
            },
        )
        return quote

    async def get(self, quote_id: str) -> Quote | FinalQuote:
        """The quote as it stands (finalised or not), or ``QuoteNotFound`` once it has expired."""
        stored = await self._store.get(quote_id)
        if stored is None:
            raise QuoteNotFound(quote_id)
        quote = _load(stored)
        if quote.expires_at <= datetime.now(UTC):
            raise QuoteNotFound(quote_id)
        return quote

    async def finalize(self, quote_id: str) -> FinalQuote:
        """The quote plus tax; finalising again returns the stored result."""
        try:
            quote = await self.get(quote_id)
        except QuoteNotFound:
            self._stats.quote("not_found")
            raise
        if isinstance(quote, FinalQuote):
            self._stats.quote("already_finalized")
            return quote
        final = self._with_tax(quote)
        await self._store.set(quote_id, final.model_dump(by_alias=True))
        self._stats.quote("finalized")
        log.info(
            "quote %s finalized",
            quote_id,
            extra={
                "quote_id": quote_id,
                "currency": final.currency,
                "tax": float(final.tax),
                "total": float(final.total),
            },
        )
        return final

    async def _price(self, request: QuoteRequest) -> Quote:
        currency = pricebook.check_currency(request.currency)
        code = None if request.discount_code is None else pricebook.check_discount_code(request.discount_code)
        unit_prices = await self._unit_prices(request.items, currency)
        totals = pricebook.price_order(
            [(item.product_id, item.quantity, unit_prices[item.product_id]) for item in request.items],
            code,
            currency,
        )
        return Quote(
            quote_id=str(uuid.uuid4()),
            customer_id=request.customer_id,
            currency=currency,
            lines=totals.lines,
            subtotal=totals.subtotal,
            discounts=totals.discounts,
            discount_total=totals.discount_total,
            expires_at=datetime.now(UTC) + timedelta(seconds=self._store.ttl),
        )

    async def _unit_prices(self, items: list[QuoteItem], currency: str) -> dict[str, Decimal]:
        """Unit price per distinct product; every unknown id is named in one 404."""
        prices = {}
        for product_id in dict.fromkeys(item.product_id for item in items):
            found = await self._prices.find(product_id, currency)
            if found is not None:
                prices[product_id] = found.final_price
        missing = [item.product_id for item in items if item.product_id not in prices]
        if missing:
            raise ProductNotFound(list(dict.fromkeys(missing)))
        return prices

    def _with_tax(self, quote: Quote) -> FinalQuote:
        tax = pricebook.apply_tax(quote.subtotal, quote.discount_total, self._tax_rate)
        return FinalQuote(
            **quote.model_dump(),
            tax_rate=tax.tax_rate,
            taxable_amount=tax.taxable_amount,
            tax=tax.tax,
            total=tax.total,
        )


def _load(stored: dict[str, Any]) -> Quote | FinalQuote:
    """A stored quote back as the model it was saved from."""
    if stored.get("finalized"):
        return FinalQuote.model_validate(stored)
    return Quote.model_validate(stored)

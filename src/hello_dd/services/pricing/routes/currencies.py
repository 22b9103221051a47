"""``/currencies`` and ``/convert``: the fixed exchange rates and conversions between them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hello_dd.services.common.errors import ERROR_RESPONSES
from hello_dd.services.pricing import pricebook
from hello_dd.services.pricing.models import Conversion, ConvertQuery, Currencies

router = APIRouter(tags=["currencies"], responses=ERROR_RESPONSES)


@router.get("/currencies", summary="Supported currencies and their rates against USD")
async def currencies() -> Currencies:
    return Currencies(base=pricebook.BASE_CURRENCY, rates=pricebook.RATES)


@router.get("/convert", summary="Convert an amount between two supported currencies")
async def convert(query: Annotated[ConvertQuery, Query()]) -> Conversion:
    source = pricebook.check_currency(query.from_)
    target = pricebook.check_currency(query.to)
    return Conversion(
        amount=pricebook.to_cents(query.amount),
        from_=source,
        to=target,
        converted=pricebook.convert(query.amount, source, target),
        rate=pricebook.cross_rate(source, target).quantize(pricebook.RATE_PLACES),
    )

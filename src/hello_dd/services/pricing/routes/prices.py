"""``/prices``: list prices of catalogue products, one at a time or in bulk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from hello_dd.services.common.errors import ERROR_RESPONSES, ErrorResponse
from hello_dd.services.common.models import ProductId
from hello_dd.services.pricing.models import BulkPriceRequest, BulkPriceResponse, CurrencyCode, Price
from hello_dd.services.pricing.state import Prices

router = APIRouter(prefix="/prices", tags=["prices"], responses=ERROR_RESPONSES)


@router.get(
    "/{productId}",
    summary="The list price of one product",
    responses={404: {"model": ErrorResponse, "description": "PRODUCT_NOT_FOUND"}},
)
async def get_price(
    product_id: Annotated[ProductId, Path(alias="productId")],
    prices: Prices,
    currency: Annotated[CurrencyCode, Query()] = "USD",
) -> Price:
    return await prices.price(product_id, currency)


@router.post("/bulk", summary="List prices of up to 100 products, in request order")
async def bulk_prices(body: BulkPriceRequest, prices: Prices) -> BulkPriceResponse:
    return BulkPriceResponse(items=await prices.bulk(body.product_ids, body.currency))

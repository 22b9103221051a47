"""``/quotes``: issue a quote, read it back, finalise it with tax."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from hello_dd.services.common.errors import ERROR_RESPONSES, ErrorResponse
from hello_dd.services.pricing.models import FinalQuote, Quote, QuoteId, QuoteRequest
from hello_dd.services.pricing.state import Quotes

router = APIRouter(prefix="/quotes", tags=["quotes"], responses=ERROR_RESPONSES)

_QUOTE_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "QUOTE_NOT_FOUND (unknown or expired)"}
}
QuoteIdPath = Annotated[QuoteId, Path(alias="quoteId")]


@router.post(
    "",
    status_code=201,
    summary="Price an order and keep the quote for QUOTE_TTL_SECONDS",
    responses={404: {"model": ErrorResponse, "description": "PRODUCT_NOT_FOUND"}},
)
async def create_quote(body: QuoteRequest, quotes: Quotes) -> Quote:
    return await quotes.create(body)


@router.get("/{quoteId}", summary="A quote as it stands (with tax once finalised)", responses=_QUOTE_NOT_FOUND)
async def get_quote(quote_id: QuoteIdPath, quotes: Quotes) -> FinalQuote | Quote:
    return await quotes.get(quote_id)


@router.post("/{quoteId}/finalize", summary="Add tax and fix the quote; idempotent", responses=_QUOTE_NOT_FOUND)
async def finalize_quote(quote_id: QuoteIdPath, quotes: Quotes) -> FinalQuote:
    return await quotes.finalize(quote_id)

"""Request and response bodies of the pricing-service, so OpenAPI documents the contract and bad input
is refused with a clear 422 before any handler runs.

Attributes are snake_case (they are filled straight from the pricebook's dataclasses); the JSON names
are the contract's camelCase aliases. Money is ``Decimal`` inside and a JSON number outside
(:mod:`hello_dd.services.common.models`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hello_dd.services.common.models import (
    ID_PATTERN,
    MAX_BULK_IDS,
    MAX_LINES,
    ApiModel,
    CustomerId,
    Money,
    ProductId,
    Quantity,
    Rate,
)

# Any short code is accepted here; whether it is supported is a business rule (400, not 422).
CurrencyCode = Annotated[str, Field(min_length=1, max_length=8, examples=["USD", "EUR"])]
QuoteId = Annotated[str, Field(pattern=ID_PATTERN)]


class Price(ApiModel):
    product_id: str
    found: Literal[True] = True
    base_price: Money = Field(description="The catalogue base price, in USD.")
    currency: str
    discount_percent: Money = Field(description="Always 0 for a list price; discounts belong to quotes.")
    final_price: Money = Field(description="The base price converted to `currency`.")


class PriceNotFound(ApiModel):
    product_id: str
    found: Literal[False] = False


class BulkPriceRequest(ApiModel):
    product_ids: list[ProductId] = Field(min_length=1, max_length=MAX_BULK_IDS)
    currency: CurrencyCode = "USD"


class BulkPriceResponse(ApiModel):
    items: list[Price | PriceNotFound] = Field(description="One entry per requested id, in request order.")


class QuoteItem(ApiModel):
    product_id: ProductId
    quantity: Quantity


class QuoteRequest(ApiModel):
    items: list[QuoteItem] = Field(min_length=1, max_length=MAX_LINES)
    customer_id: CustomerId
    discount_code: str | None = Field(None, min_length=1, max_length=32, examples=["SAVE10", "WELCOME5"])
    currency: CurrencyCode = "USD"


class QuoteLine(ApiModel):
    product_id: str
    quantity: int
    unit_price: Money
    line_total: Money = Field(description="unitPrice x quantity, before discounts.")
    volume_discount: Money = Field(description="5% of lineTotal for lines of 10 or more units, else 0.")


class Discount(ApiModel):
    code: str
    description: str
    amount: Money


class Quote(ApiModel):
    quote_id: str
    customer_id: str
    currency: str
    lines: list[QuoteLine]
    subtotal: Money
    discounts: list[Discount]
    discount_total: Money
    expires_at: datetime


class FinalQuote(Quote):
    tax_rate: Rate
    taxable_amount: Money = Field(description="subtotal - discountTotal")
    tax: Money = Field(description="taxableAmount x taxRate, rounded half-up to cents")
    total: Money = Field(description="taxableAmount + tax")
    finalized: Literal[True] = True


class Currencies(ApiModel):
    base: str
    rates: dict[str, Rate] = Field(description="Units of each currency per one unit of `base`.")


class ConvertQuery(BaseModel):
    """Query of ``GET /convert``; ``from`` is a Python keyword, hence the aliases."""

    model_config = ConfigDict(validate_by_name=True)

    amount: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=20)
    from_: CurrencyCode = Field(alias="from")
    to: CurrencyCode


class Conversion(BaseModel):
    model_config = ConfigDict(validate_by_name=True)

    amount: Money
    from_: str = Field(alias="from")
    to: str
    converted: Money
    rate: Rate = Field(description="Units of `to` per unit of `from`, to six places.")


class CategoryStats(ApiModel):
    products: int
    average_price: Money


class CacheStats(ApiModel):
    backend: Literal["memory", "redis"]
    hits: int
    misses: int


class AnalyticsSummary(ApiModel):
    products: int
    currency: str
    min_price: Money
    max_price: Money
    average_price: Money
    by_category: dict[str, CategoryStats]
    quotes_issued: int
    quotes_finalized: int
    cache: CacheStats

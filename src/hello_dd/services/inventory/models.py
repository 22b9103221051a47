"""Request and response bodies of the inventory API (camelCase on the wire, as the contract says)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from hello_dd.services.common.models import MAX_BULK_IDS, MAX_LINES, ApiModel, ProductId, Quantity

# Reservation ids come from callers (the gateway uses them as idempotency keys); UUIDs fit.
RESERVATION_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
MAX_STOCK = 1_000_000_000

ReservationId = Annotated[str, Field(pattern=RESERVATION_ID_PATTERN, examples=["order-7f3c2a"])]


class StockItem(ApiModel):
    product_id: str
    found: Literal[True] = True
    name: str
    category: str
    warehouse: str
    available: int
    reserved: int
    in_stock: bool


class MissingItem(ApiModel):
    product_id: str
    found: Literal[False] = False


class InventoryPage(ApiModel):
    items: list[StockItem]
    total: int
    limit: int
    offset: int


class StockCount(ApiModel):
    available: Annotated[int, Field(ge=0, le=MAX_STOCK, strict=True)]


class BulkRequest(ApiModel):
    product_ids: Annotated[list[ProductId], Field(min_length=1, max_length=MAX_BULK_IDS)]


class BulkResponse(ApiModel):
    items: list[StockItem | MissingItem]


class OrderLine(ApiModel):
    product_id: ProductId
    quantity: Quantity


OrderLines = Annotated[list[OrderLine], Field(min_length=1, max_length=MAX_LINES)]


class CheckRequest(ApiModel):
    items: OrderLines


class CheckedLine(ApiModel):
    product_id: str
    found: bool
    requested: int
    available: int
    sufficient: bool


class CheckResponse(ApiModel):
    sufficient: bool = Field(description="True when every line is sufficient.")
    lines: list[CheckedLine] = Field(description="One answer per requested line, in request order.")


class ReservationRequest(ApiModel):
    reservation_id: ReservationId
    items: OrderLines = Field(description="Lines naming the same product are combined into one.")


class ReservationLine(ApiModel):
    product_id: str
    quantity: int


class Reservation(ApiModel):
    reservation_id: str
    status: Literal["held", "confirmed", "released"] = Field(
        description="held: the units are set aside until expiresAt; confirmed: they belong to an order for good; "
        "released: they are back in available stock (given back, or the hold expired)."
    )
    items: list[ReservationLine]
    created_at: datetime
    expires_at: datetime | None = Field(
        description="When a held reservation is released unless it is confirmed first; null once confirmed or released."
    )

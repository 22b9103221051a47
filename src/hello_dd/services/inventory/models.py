"""Request and response bodies of the inventory API (camelCase on the wire, as the contract says)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PRODUCT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# Reservation ids come from callers (the gateway uses them as idempotency keys); UUIDs fit.
RESERVATION_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
MAX_QUANTITY = 1_000_000
MAX_STOCK = 1_000_000_000
MAX_LINES = 50
MAX_BULK_IDS = 100

ProductId = Annotated[str, Field(pattern=PRODUCT_ID_PATTERN, examples=["123"])]
ReservationId = Annotated[str, Field(pattern=RESERVATION_ID_PATTERN, examples=["order-7f3c2a"])]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]


class CamelModel(BaseModel):
    """Python names in snake_case, JSON names in camelCase; reads the repository's dataclasses."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, from_attributes=True
    )


class StockItem(CamelModel):
    product_id: str
    found: Literal[True] = True
    name: str
    category: str
    warehouse: str
    available: int
    reserved: int
    in_stock: bool


class MissingItem(CamelModel):
    product_id: str
    found: Literal[False] = False


class InventoryPage(CamelModel):
    items: list[StockItem]
    total: int
    limit: int
    offset: int


class StockCount(CamelModel):
    available: Annotated[int, Field(ge=0, le=MAX_STOCK, strict=True)]


class BulkRequest(CamelModel):
    product_ids: Annotated[list[ProductId], Field(min_length=1, max_length=MAX_BULK_IDS)]


class BulkResponse(CamelModel):
    items: list[StockItem | MissingItem]


class OrderLine(CamelModel):
    product_id: ProductId
    quantity: Quantity


OrderLines = Annotated[list[OrderLine], Field(min_length=1, max_length=MAX_LINES)]


class CheckRequest(CamelModel):
    items: OrderLines


class CheckedLine(CamelModel):
    product_id: str
    found: bool
    requested: int
    available: int
    sufficient: bool


class CheckResponse(CamelModel):
    sufficient: bool = Field(description="True when every line is sufficient.")
    lines: list[CheckedLine] = Field(description="One answer per requested line, in request order.")


class ReservationRequest(CamelModel):
    reservation_id: ReservationId
    items: OrderLines = Field(description="Lines naming the same product are combined into one.")


class ReservationLine(CamelModel):
    product_id: str
    quantity: int


class Reservation(CamelModel):
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

"""Stock levels: listing, lookups, stock counts and availability checks."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query

from hello_dd.services.common.errors import error_responses
from hello_dd.services.common.models import ID_PATTERN
from hello_dd.services.inventory.dependencies import Stock
from hello_dd.services.inventory.domain import Line
from hello_dd.services.inventory.models import (
    BulkRequest,
    BulkResponse,
    CheckedLine,
    CheckRequest,
    CheckResponse,
    InventoryPage,
    MissingItem,
    StockCount,
    StockItem,
)

router = APIRouter(prefix="/inventory", tags=["inventory"])
log = logging.getLogger(__name__)

ProductIdPath = Annotated[str, Path(alias="productId", pattern=ID_PATTERN, examples=["123"])]
UNKNOWN_PRODUCT = error_responses({404: "No product with this id (PRODUCT_NOT_FOUND)"})


# The read routes are async and run their query through ``stock.read`` (on the event loop for SQLite,
# in a worker thread for PostgreSQL); the routes that write stay plain ``def``, in worker threads,
# where a write that waits for SQLite's lock cannot stall the loop.


@router.get("", summary="Stock levels, sorted by product id, one page at a time")
async def list_inventory(
    stock: Stock,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> InventoryPage:
    levels, total = await stock.read(stock.list_levels, limit, offset)
    items = [StockItem.model_validate(level) for level in levels]
    return InventoryPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{productId}", summary="The stock level of one product", responses=UNKNOWN_PRODUCT)
async def get_inventory(product_id: ProductIdPath, stock: Stock) -> StockItem:
    return StockItem.model_validate(await stock.read(stock.get_level, product_id))


@router.put(
    "/{productId}/stock",
    summary="Set the available units (a restock or a stock count); held units are untouched",
    responses=UNKNOWN_PRODUCT,
)
def set_stock(product_id: ProductIdPath, count: StockCount, stock: Stock) -> StockItem:
    return StockItem.model_validate(stock.set_available(product_id, count.available))


@router.post("/bulk", summary="Stock levels of many products, in request order", responses=error_responses({}))
async def bulk_inventory(request: BulkRequest, stock: Stock) -> BulkResponse:
    levels = await stock.read(stock.get_levels, request.product_ids)
    items = [
        StockItem.model_validate(levels[product_id]) if product_id in levels else MissingItem(product_id=product_id)
        for product_id in request.product_ids
    ]
    return BulkResponse(items=items)


@router.post(
    "/check",
    summary="Whether each line could be reserved now (nothing is held)",
    responses=error_responses({}),
)
async def check_inventory(request: CheckRequest, stock: Stock) -> CheckResponse:
    checked = await stock.read(stock.check, [Line(line.product_id, line.quantity) for line in request.items])
    lines = [CheckedLine.model_validate(line) for line in checked]
    for line in lines:
        if line.found and not line.sufficient:
            # An order asked for more than there is: worth an operator's attention (a warning).
            log.warning(
                "not enough stock for product %s: %d requested, %d available",
                line.product_id,
                line.requested,
                line.available,
                extra={"product_id": line.product_id, "requested": line.requested, "available": line.available},
            )
    return CheckResponse(sufficient=all(line.sufficient for line in lines), lines=lines)

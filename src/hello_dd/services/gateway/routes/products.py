"""Pattern 1 (product query) and pattern 3 (bulk check)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from hello_dd.services.common.errors import ApiError, error_responses
from hello_dd.services.common.models import ID_PATTERN
from hello_dd.services.gateway import bulk
from hello_dd.services.gateway.checkout import dependency_api_error, rejection_error
from hello_dd.services.gateway.clients import DownstreamRejected
from hello_dd.services.gateway.context import GatewayComponents, components
from hello_dd.services.gateway.models import (
    BulkCheckRequest,
    BulkCheckResponse,
    BulkResult,
    BulkSummary,
    Pagination,
    ProductView,
    SectionUnavailable,
)
from hello_dd.services.gateway.resilience import DependencyError
from hello_dd.services.gateway.routes import DEPENDENCY_FAILURES

router = APIRouter(prefix="/api/v1/products", tags=["products"])

ProductIdPath = Annotated[str, Path(pattern=ID_PATTERN, examples=["123"])]
CurrencyQuery = Annotated[str, Query(pattern=r"^[A-Z]{3}$")]


@router.get(
    "/{product_id}",
    response_model=ProductView,
    summary="Product query: stock and price, fetched from inventory and pricing in parallel",
    responses=error_responses(
        {
            400: "Pricing does not support the currency (UNSUPPORTED_CURRENCY)",
            404: "No such product (PRODUCT_NOT_FOUND)",
            **DEPENDENCY_FAILURES,
        }
    ),
)
async def get_product(
    product_id: ProductIdPath, gw: Annotated[GatewayComponents, Depends(components)], currency: CurrencyQuery = "USD"
) -> ProductView:
    """Inventory is the authority on whether a product exists: if it cannot answer, the query fails
    (503/504). If only pricing fails, the product is still shown, with ``degraded: true`` and the
    pricing section replaced by the error (a fallback answer)."""
    stock: dict[str, Any] | BaseException
    price: dict[str, Any] | BaseException
    stock, price = await asyncio.gather(
        gw.inventory.stock(product_id), gw.pricing.price(product_id, currency), return_exceptions=True
    )
    if isinstance(stock, DownstreamRejected) and stock.status == 404:
        raise ApiError(404, "PRODUCT_NOT_FOUND", f"Product {product_id} does not exist.")
    if isinstance(stock, DependencyError):
        raise dependency_api_error(stock, f"look up stock for product {product_id}")
    if isinstance(stock, BaseException):
        raise stock
    pricing: Any
    if isinstance(price, DependencyError):
        pricing = SectionUnavailable(error={"code": price.code, "message": price.message})
    elif isinstance(price, DownstreamRejected):
        if price.code == "UNSUPPORTED_CURRENCY":
            raise ApiError(400, price.code, price.message)
        pricing = SectionUnavailable(error={"code": price.code, "message": price.message})
    elif isinstance(price, BaseException):
        raise price
    else:
        pricing = price
    return ProductView(
        product_id=stock["productId"],
        name=stock["name"],
        category=stock["category"],
        inventory=stock,
        pricing=pricing,
        degraded=isinstance(pricing, SectionUnavailable),
    )


@router.post(
    "/bulk-check",
    response_model=BulkCheckResponse,
    summary="Bulk check: stock (and optionally prices) for many products, checked in parallel chunks",
    responses=error_responses(
        {
            400: "More ids than the bulk limit, the limit in the message and in details.maxIds (BATCH_TOO_LARGE); "
            "or pricing does not support the currency (UNSUPPORTED_CURRENCY)",
            503: "Inventory could not be reached for any chunk",
        }
    ),
)
async def bulk_check(
    body: BulkCheckRequest,
    gw: Annotated[GatewayComponents, Depends(components)],
    page: Annotated[int, Query(ge=1)] = 1,
    pageSize: Annotated[int, Query(ge=1, le=200)] = 100,
) -> BulkCheckResponse:
    """At most ``bulk_max_ids`` ids (default 200) per request. Duplicates are checked once; results
    are sorted by product id and paged. A chunk whose inventory call fails marks its ids with the
    error and the response ``partial`` instead of failing the whole request."""
    settings = gw.settings
    if len(body.product_ids) > settings.bulk_max_ids:
        raise ApiError(
            400,
            "BATCH_TOO_LARGE",
            f"At most {settings.bulk_max_ids} product ids per request; got {len(body.product_ids)}.",
            {"maxIds": settings.bulk_max_ids},
        )
    distinct = bulk.distinct_sorted(body.product_ids)
    wanted = bulk.page_of(distinct, page, pageSize)
    stock, failed = await bulk.gather_chunks(
        wanted, settings.bulk_chunk_size, settings.bulk_concurrency, gw.inventory.bulk
    )
    if wanted and len(failed) == len(wanted):
        code = next(iter(failed.values()))
        raise ApiError(503, code, "Inventory could not be reached for any product in the request.")
    prices: dict[str, dict[str, Any]] = {}
    price_failed: dict[str, str] = {}
    if body.include_pricing:
        in_stock = [pid for pid in wanted if stock.get(pid, {}).get("inStock")]
        try:
            prices, price_failed = await bulk.gather_chunks(
                in_stock,
                settings.bulk_chunk_size,
                settings.bulk_concurrency,
                lambda ids: gw.pricing.bulk(ids, body.currency),
            )
        except DownstreamRejected as exc:  # an unsupported currency: the caller's mistake, a 400
            raise rejection_error(exc, f"price the products in {body.currency}") from exc
    results = [_result(pid, stock.get(pid), failed.get(pid), prices.get(pid), price_failed.get(pid)) for pid in wanted]
    return BulkCheckResponse(
        results=results,
        summary=BulkSummary(
            requested=len(body.product_ids),
            unique=len(distinct),
            duplicates=len(body.product_ids) - len(distinct),
            found=sum(r.found for r in results),
            not_found=sum(1 for r in results if r.error == "PRODUCT_NOT_FOUND"),
            in_stock=sum(bool(r.in_stock) for r in results),
            failed=len(failed) + len(price_failed),
        ),
        pagination=Pagination(
            page=page,
            page_size=pageSize,
            total_results=len(distinct),
            total_pages=bulk.total_pages(len(distinct), pageSize),
        ),
        partial=bool(failed or price_failed),
    )


def _result(
    product_id: str,
    item: dict[str, Any] | None,
    failure: str | None,
    price: dict[str, Any] | None,
    price_failure: str | None,
) -> BulkResult:
    if failure:
        return BulkResult(product_id=product_id, found=False, error=failure)
    if not item or not item.get("found"):
        return BulkResult(product_id=product_id, found=False, error="PRODUCT_NOT_FOUND")
    return BulkResult(
        product_id=product_id,
        found=True,
        name=item["name"],
        available=item["available"],
        in_stock=item["inStock"],
        warehouse=item["warehouse"],
        pricing=price if price and price.get("found") else None,
        error=price_failure,
    )

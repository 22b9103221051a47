"""Pattern 2: order checkout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from hello_dd.services.common.errors import ApiError, error_responses
from hello_dd.services.common.models import ID_PATTERN
from hello_dd.services.gateway.context import GatewayComponents, components
from hello_dd.services.gateway.idempotency import IDEMPOTENCY_ERRORS, REPLAYED_HEADER, IdempotencyKeyHeader
from hello_dd.services.gateway.models import Order, OrderRequest

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.post(
    "",
    status_code=201,
    response_model=Order,
    summary="Checkout: check stock, price with discounts, reserve stock, finalize with tax",
    responses=error_responses(
        {
            400: "Refused as a whole, nothing taken: not enough stock (INSUFFICIENT_STOCK, the short lines in "
            "details), a product that does not exist (UNKNOWN_PRODUCT, named in the message and in "
            "details.productIds), a discount code pricing does not know (INVALID_DISCOUNT_CODE) or a currency "
            "it does not support (UNSUPPORTED_CURRENCY)",
            **IDEMPOTENCY_ERRORS,
            502: "A dependency failed; any reservation was released",
            503: "A dependency is unreachable, or the stock's hold expired (RESERVATION_EXPIRED); any reservation was released",
            504: "A dependency timed out; any reservation was released",
        }
    ),
)
async def place_order(
    body: OrderRequest,
    response: Response,
    gw: Annotated[GatewayComponents, Depends(components)],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Order:
    """Lines for the same product are added up. 400 ``INSUFFICIENT_STOCK`` or ``UNKNOWN_PRODUCT`` when
    the order cannot be served; a failure after stock was reserved releases the reservation. The order
    is kept in the gateway's database before it is answered. With an ``Idempotency-Key``, a retry of the
    same request answers with the order the first one made (``Idempotent-Replayed: true``) instead of
    placing a second one; a failed attempt made nothing, so its retry runs the checkout again."""
    placed = await gw.checkout.place(body, idempotency_key)
    response.headers["Location"] = f"/api/v1/orders/{placed.order.order_id}"
    if placed.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return placed.order


@router.get(
    "/{order_id}",
    response_model=Order,
    summary="A confirmed order",
    responses=error_responses({404: "No such order (ORDER_NOT_FOUND)"}),
)
async def get_order(
    order_id: Annotated[str, Path(pattern=ID_PATTERN)], gw: Annotated[GatewayComponents, Depends(components)]
) -> Order:
    order = await gw.db.run(gw.orders.get, order_id)
    if order is None:
        raise ApiError(404, "ORDER_NOT_FOUND", f"Order {order_id} does not exist.")
    return order

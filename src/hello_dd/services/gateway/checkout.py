"""Pattern 2, the checkout saga: check stock -> price with discounts -> reserve stock -> finalize with tax.

The reservation is the only step with a lasting effect. Once it has been attempted (even if its answer
was lost), any failure releases it again: the compensating action. Releasing is idempotent, so it is
retried; if inventory cannot be reached at all, the release is retried in the background for a while
and the failure is logged and counted, so a leaked reservation is never silent.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any

from prometheus_client import Counter
from tenacity import AsyncRetrying, stop_after_delay, wait_exponential

from hello_dd.services.common.errors import ApiError
from hello_dd.services.common.telemetry import tracer
from hello_dd.services.gateway.clients import DownstreamRejected, InventoryClient, PricingClient
from hello_dd.services.gateway.models import Order, OrderRequest
from hello_dd.services.gateway.resilience import DependencyError

log = logging.getLogger(__name__)
_tracer = tracer(__name__)

ORDERS = Counter("orders_total", "Checkout attempts, by outcome.", ["outcome"])
ORDER_UNITS = Counter("order_units_total", "Units in confirmed orders.")
COMPENSATIONS = Counter("saga_compensations_total", "Reservations released by a failed checkout, by outcome.", ["outcome"])

# How long a release that failed is retried in the background.
BACKGROUND_RELEASE_SECONDS = 60.0


class OrderStore:
    """Confirmed orders, most recent ``capacity`` kept (in memory: the gateway is stateless otherwise)."""

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._orders: OrderedDict[str, Order] = OrderedDict()

    def add(self, order: Order) -> None:
        self._orders[order.orderId] = order
        while len(self._orders) > self.capacity:
            self._orders.popitem(last=False)

    def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    def all(self) -> list[Order]:
        return list(self._orders.values())


def merge_lines(request: OrderRequest) -> list[dict[str, Any]]:
    """One line per product, quantities added up, in first-seen order."""
    merged: dict[str, int] = {}
    for line in request.items:
        merged[line.productId] = merged.get(line.productId, 0) + line.quantity
    return [{"productId": pid, "quantity": qty} for pid, qty in merged.items()]


def _rejected_stock(check: dict[str, Any]) -> ApiError | None:
    missing = [line["productId"] for line in check["lines"] if not line["found"]]
    if missing:
        return ApiError(400, "UNKNOWN_PRODUCT", f"Unknown product(s): {', '.join(missing)}.", {"productIds": missing})
    short = [line for line in check["lines"] if not line["sufficient"]]
    if short:
        return ApiError(
            400,
            "INSUFFICIENT_STOCK",
            "Not enough stock for: "
            + ", ".join(f"{s['productId']} (requested {s['requested']}, available {s['available']})" for s in short),
            [{"productId": s["productId"], "requested": s["requested"], "available": s["available"]} for s in short],
        )
    return None


def dependency_api_error(exc: DependencyError, doing: str) -> ApiError:
    return ApiError(exc.status, exc.code, f"Could not {doing}: {exc.message}", {"dependency": exc.dependency, "attempts": exc.attempts})


class CheckoutSaga:
    def __init__(self, inventory: InventoryClient, pricing: PricingClient, orders: OrderStore):
        self.inventory = inventory
        self.pricing = pricing
        self.orders = orders
        self._background: set[asyncio.Task[None]] = set()

    async def place(self, request: OrderRequest) -> Order:
        lines = merge_lines(request)
        order_id = f"ord-{uuid.uuid4().hex[:16]}"
        try:
            order = await self._run(order_id, request, lines)
        except ApiError as exc:
            ORDERS.labels(exc.code.lower()).inc()
            raise
        ORDERS.labels("confirmed").inc()
        ORDER_UNITS.inc(sum(line["quantity"] for line in lines))
        self.orders.add(order)
        log.info("order confirmed", extra={"order_id": order_id, "total": order.total, "lines": len(lines)})
        return order

    async def _run(self, order_id: str, request: OrderRequest, lines: list[dict[str, Any]]) -> Order:
        with _tracer.start_as_current_span("checkout.check_stock"):
            check = await self._call("check stock", self.inventory.check(lines))
            if rejection := _rejected_stock(check):
                raise rejection
        with _tracer.start_as_current_span("checkout.price"):
            quote = await self._call(
                "price the order", self.pricing.quote(lines, request.customerId, request.discountCode, request.currency)
            )
        reservation_id = f"res-{order_id}"
        try:
            with _tracer.start_as_current_span("checkout.reserve"):
                await self._call("reserve stock", self.inventory.reserve(reservation_id, lines))
            with _tracer.start_as_current_span("checkout.finalize"):
                final = await self._call("finalize the price", self.pricing.finalize(quote["quoteId"]))
        except BaseException as exc:
            await self._compensate(reservation_id, exc)
            raise
        return _order(order_id, request, final, reservation_id)

    async def _call(self, doing: str, call: Any) -> Any:
        try:
            return await call
        except DependencyError as exc:
            raise dependency_api_error(exc, doing) from exc
        except DownstreamRejected as exc:
            raise _rejection_error(exc, doing) from exc

    async def _compensate(self, reservation_id: str, cause: BaseException) -> None:
        with _tracer.start_as_current_span("checkout.compensate") as span:
            span.set_attribute("reservation_id", reservation_id)
            try:
                await self.inventory.release(reservation_id)
            except DownstreamRejected as exc:
                if exc.status == 404:  # the reservation never happened: nothing to give back
                    COMPENSATIONS.labels("nothing_reserved").inc()
                else:
                    COMPENSATIONS.labels("failed").inc()
                    log.error("inventory refused to release reservation %s: %s", reservation_id, exc.message)
                return
            except DependencyError as exc:
                COMPENSATIONS.labels("deferred").inc()
                log.error(
                    "could not release reservation %s (%s); retrying in the background",
                    reservation_id,
                    exc.message,
                    extra={"reservation_id": reservation_id},
                )
                self._release_later(reservation_id)
                return
            COMPENSATIONS.labels("released").inc()
            log.warning(
                "checkout failed after reserving stock; reservation %s released",
                reservation_id,
                extra={"reservation_id": reservation_id, "cause": type(cause).__name__},
            )

    def _release_later(self, reservation_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._release_with_patience(reservation_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _release_with_patience(self, reservation_id: str) -> None:
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_delay(BACKGROUND_RELEASE_SECONDS), wait=wait_exponential(min=0.5, max=5), reraise=True
            ):
                with attempt:
                    try:
                        await self.inventory.release(reservation_id)
                    except DownstreamRejected as exc:
                        if exc.status != 404:
                            raise
        except Exception as exc:  # noqa: BLE001 - reported, nothing else can be done
            COMPENSATIONS.labels("failed").inc()
            log.error("reservation %s could not be released: %s", reservation_id, exc, extra={"reservation_id": reservation_id})
        else:
            COMPENSATIONS.labels("released_late").inc()
            log.warning("reservation %s released after a delay", reservation_id, extra={"reservation_id": reservation_id})

    async def close(self) -> None:
        """Let background releases finish their work (bounded by their own deadline)."""
        if self._background:
            await asyncio.wait(self._background, timeout=BACKGROUND_RELEASE_SECONDS)


def _rejection_error(exc: DownstreamRejected, doing: str) -> ApiError:
    if exc.code == "INSUFFICIENT_STOCK":
        return ApiError(400, "INSUFFICIENT_STOCK", f"Could not {doing}: {exc.message}", exc.details)
    if exc.code == "PRODUCT_NOT_FOUND":
        return ApiError(400, "UNKNOWN_PRODUCT", exc.message, exc.details)
    if 400 <= exc.status < 500 and exc.code in {"INVALID_DISCOUNT_CODE", "UNSUPPORTED_CURRENCY"}:
        return ApiError(400, exc.code, exc.message, exc.details)
    # Any other refusal means the gateway sent something the dependency did not expect.
    return ApiError(502, "DEPENDENCY_REJECTED", f"Could not {doing}: {exc.dependency} refused the request ({exc.code}).")


def _order(order_id: str, request: OrderRequest, final: dict[str, Any], reservation_id: str) -> Order:
    return Order(
        orderId=order_id,
        status="confirmed",
        customerId=request.customerId,
        currency=final["currency"],
        items=[
            {"productId": l["productId"], "quantity": l["quantity"], "unitPrice": l["unitPrice"], "lineTotal": l["lineTotal"]}
            for l in final["lines"]
        ],
        subtotal=final["subtotal"],
        discounts=final["discounts"],
        discountTotal=final["discountTotal"],
        taxRate=final["taxRate"],
        tax=final["tax"],
        total=final["total"],
        reservationId=reservation_id,
        createdAt=datetime.now(timezone.utc).isoformat(),
    )

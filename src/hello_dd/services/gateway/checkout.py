"""Pattern 2, the checkout saga: check stock -> price with discounts -> reserve stock -> finalize with
tax -> confirm the reservation and keep the order.

Every step with a lasting effect is preceded by a durable record of the checkout's progress
(:mod:`~hello_dd.services.gateway.order_book`), so whatever instant the gateway dies at, the checkout
is settled when it is back (:meth:`CheckoutSaga.recover`): before the price is final it is undone (the
reservation released: the compensating action), after it the order is finished. A failure while
the request runs is compensated at once; a release that cannot reach inventory is retried by the next
recovery round. Releasing and confirming are idempotent, so both can be repeated safely; a hold that
nobody confirms also expires in inventory by itself. Nothing confirmed lives only in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter

from hello_dd.polling import poll_async
from hello_dd.services.common import telemetry
from hello_dd.services.common.correlation import acting_for
from hello_dd.services.common.errors import ApiError
from hello_dd.services.common.telemetry import tracer
from hello_dd.services.gateway.clients import DownstreamRejected, InventoryClient, PricingClient
from hello_dd.services.gateway.database import Database
from hello_dd.services.gateway.idempotency import KeyClaim, KeyInUse
from hello_dd.services.gateway.models import Order, OrderRequest
from hello_dd.services.gateway.order_book import (
    FAILED,
    FINALIZED,
    RESERVING,
    ROLLING_BACK,
    STARTED,
    CheckoutRecord,
    OrderBook,
)
from hello_dd.services.gateway.resilience import DependencyError

log = logging.getLogger(__name__)
_tracer = tracer(__name__)

ORDERS = Counter("orders_total", "Checkout attempts, by outcome.", ["outcome"])
ORDER_UNITS = Counter("order_units_total", "Units in confirmed orders.")
COMPENSATIONS = Counter(
    "saga_compensations_total", "Reservations released by a failed checkout, by outcome.", ["outcome"]
)
RECOVERIES = Counter(
    "checkout_recoveries_total",
    "Unfinished checkouts settled by recovery (after a restart, or a release that had to wait), by outcome.",
    ["outcome"],
)

# Checkouts settled at once by one recovery round (each is one or two calls to inventory).
RECOVERY_CONCURRENCY = 8
# How often a request whose idempotency key is in use looks again for the first request's answer.
KEY_POLL_SECONDS = 0.1


def merge_lines(request: OrderRequest) -> list[dict[str, Any]]:
    """One line per product, quantities added up, in first-seen order."""
    merged: dict[str, int] = {}
    for line in request.items:
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
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
    return ApiError(
        exc.status,
        exc.code,
        f"Could not {doing}: {exc.message}",
        {"dependency": exc.dependency, "attempts": exc.attempts},
    )


@dataclass(frozen=True)
class Placed:
    order: Order
    # True when the order was made by an earlier request with the same idempotency key.
    replayed: bool = False


class InFlight:
    """The checkouts requests of this process are running. Recovery reads the unsettled checkouts in
    a worker thread while requests go on: one that finished during that read is read as it was, not
    yet settled, and must not be settled again. :meth:`watch` gives the checkouts that were running at
    any moment of the read: those running when it began, and those begun while it lasted."""

    def __init__(self) -> None:
        self._running: set[str] = set()
        self._watches: list[set[str]] = []

    def add(self, checkout_id: str) -> None:
        self._running.add(checkout_id)
        for seen in self._watches:
            seen.add(checkout_id)

    def discard(self, checkout_id: str) -> None:
        self._running.discard(checkout_id)

    @contextlib.contextmanager
    def watch(self) -> Iterator[set[str]]:
        seen = set(self._running)
        self._watches.append(seen)
        try:
            yield seen
        finally:
            self._watches.remove(seen)


class CheckoutSaga:
    def __init__(
        self,
        inventory: InventoryClient,
        pricing: PricingClient,
        book: OrderBook,
        db: Database,
        *,
        key_wait_seconds: float = 10.0,
    ):
        self.inventory = inventory
        self.pricing = pricing
        self.book = book
        self.db = db
        self.key_wait_seconds = key_wait_seconds
        # Checkouts a request of this process is running: recovery leaves them alone (InFlight).
        self.in_flight = InFlight()

    async def place(self, request: OrderRequest, idempotency_key: str | None = None) -> Placed:
        lines = merge_lines(request)
        order_id = f"ord-{uuid.uuid4().hex[:16]}"
        reservation_id = f"res-{order_id}"
        self.in_flight.add(order_id)
        try:
            replay = await self._begin(
                order_id, request, reservation_id, KeyClaim.of("orders", idempotency_key, request)
            )
            if replay is not None:
                ORDERS.labels("replayed").inc()
                log.info("order replayed for a repeated idempotency key", extra={"order_id": replay.order_id})
                return Placed(replay, replayed=True)
            order = await self._run(order_id, request, lines, reservation_id)
        except ApiError as exc:
            ORDERS.labels(exc.code.lower()).inc()
            raise
        finally:
            self.in_flight.discard(order_id)
        ORDERS.labels("confirmed").inc()
        ORDER_UNITS.inc(sum(line["quantity"] for line in lines))
        log.info("order confirmed", extra={"order_id": order_id, "total": order.total, "lines": len(lines)})
        return Placed(order)

    async def _begin(
        self, order_id: str, request: OrderRequest, reservation_id: str, claim: KeyClaim | None
    ) -> Order | None:
        """Records the new checkout (claiming its key); returns the order when the key already made one.
        While another request with the key is still running, waits for it (bounded)."""
        done = await poll_async(
            lambda: self.db.run(self.book.begin, order_id, request, reservation_id, claim),
            lambda begun: begun.started or begun.replay is not None,
            timeout=self.key_wait_seconds if claim is not None else 0.0,  # no key: nobody to wait for
            interval=KEY_POLL_SECONDS,
            fail=lambda *_: KeyInUse(),
        )
        return done.replay

    async def _run(
        self, order_id: str, request: OrderRequest, lines: list[dict[str, Any]], reservation_id: str
    ) -> Order:
        try:
            with _tracer.start_as_current_span("checkout.check_stock"):
                check = await self._call("check stock", self.inventory.check(lines))
                if rejection := _rejected_stock(check):
                    raise rejection
            with _tracer.start_as_current_span("checkout.price"):
                quote = await self._call(
                    "price the order",
                    self.pricing.quote(lines, request.customer_id, request.discount_code, request.currency),
                )
        except BaseException as exc:
            await self._record(order_id, FAILED, outcome=_code(exc))  # nothing was held
            raise
        await self._record(order_id, RESERVING)
        try:
            with _tracer.start_as_current_span("checkout.reserve"):
                await self._call("reserve stock", self.inventory.reserve(reservation_id, lines))
            # Finalizing the order: the price with tax, then the stock kept for good.
            with _tracer.start_as_current_span("checkout.finalize"):
                final = await self._call("finalize the price", self.pricing.finalize(quote["quoteId"]))
                # The point of no return: from here on a checkout interrupted by a crash is finished.
                await self._record(order_id, FINALIZED, final_quote=final)
                await self._call("confirm the stock", self.inventory.confirm(reservation_id))
        except BaseException as exc:
            await self._compensate(order_id, reservation_id, exc)
            raise
        order = _order(order_id, request, final, reservation_id)
        await self.db.run(self.book.confirm, order_id, order)
        return order

    async def _record(self, order_id: str, state: str, **details: Any) -> None:
        await self.db.run(self.book.advance, order_id, state, **details)

    async def _call(self, doing: str, call: Any) -> Any:
        try:
            return await call
        except DependencyError as exc:
            raise dependency_api_error(exc, doing) from exc
        except DownstreamRejected as exc:
            raise rejection_error(exc, doing) from exc

    async def _compensate(self, order_id: str, reservation_id: str, cause: BaseException) -> None:
        """Gives the reservation back; if inventory cannot be reached now, the checkout stays
        ``rolling_back`` and the next recovery round releases it."""
        with _tracer.start_as_current_span("checkout.compensate") as span:
            span.set_attribute("reservation_id", reservation_id)
            await self._record(order_id, ROLLING_BACK, outcome=_code(cause))
            outcome = await self._release(reservation_id)
            COMPENSATIONS.labels(outcome).inc()
            if outcome == "deferred":
                log.error(
                    "could not release reservation %s; the next recovery round will",
                    reservation_id,
                    extra={"reservation_id": reservation_id},
                )
                return
            await self._record(order_id, FAILED)
            if outcome == "released":
                log.warning(
                    "checkout failed after reserving stock; reservation %s released",
                    reservation_id,
                    extra={"reservation_id": reservation_id, "cause": type(cause).__name__},
                )

    async def _release(self, reservation_id: str) -> str:
        """released, nothing_reserved, deferred (inventory unreachable) or failed (inventory refused)."""
        try:
            await self.inventory.release(reservation_id)
        except DownstreamRejected as exc:
            if exc.status == 404:  # the reservation never happened: nothing to give back
                return "nothing_reserved"
            log.error("inventory refused to release reservation %s: %s", reservation_id, exc.message)
            return "failed"
        except DependencyError:
            return "deferred"
        return "released"

    # --- recovery -------------------------------------------------------------------------------

    async def recover(self) -> int:
        """Settles every unfinished checkout no request of this process is running (those of a gateway
        that stopped, and releases that had to wait). Returns how many were looked at."""
        with telemetry.quietly(), self.in_flight.watch() as busy:  # an empty look leaves no trace
            unsettled = await self.db.run(self.book.unsettled)
        records = [r for r in unsettled if r.checkout_id not in busy]
        if not records:
            return 0
        with telemetry.job("checkout.recovery", **{"hello_dd.checkouts.unsettled": len(records)}):
            await self._settle_all(records)
        return len(records)

    async def _settle_all(self, records: list[CheckoutRecord]) -> None:
        limit = asyncio.Semaphore(RECOVERY_CONCURRENCY)

        async def settle(record: CheckoutRecord) -> None:
            # As the request that started it: its log lines and calls are found under that request's ids.
            async with limit:
                with (
                    acting_for(record.correlation_id, record.request_id),
                    _tracer.start_as_current_span("checkout.recover"),
                ):
                    outcome = await self._settle(record)
                    RECOVERIES.labels(outcome).inc()
                    log.warning(
                        "recovered checkout %s (%s): %s",
                        record.checkout_id,
                        record.state,
                        outcome,
                        extra={"order_id": record.checkout_id, "state": record.state, "outcome": outcome},
                    )

        await asyncio.gather(*(settle(record) for record in records))

    async def _settle(self, record: CheckoutRecord) -> str:
        if record.state == STARTED:
            await self._record(record.checkout_id, FAILED, outcome="INTERRUPTED")
            return "abandoned"
        if record.state == FINALIZED and record.final_quote is not None:
            return await self._roll_forward(record, record.final_quote)
        # reserving, rolling_back: undo
        outcome = await self._release(record.reservation_id)
        if outcome == "deferred":
            return "deferred"
        await self._record(record.checkout_id, FAILED, outcome="INTERRUPTED" if record.state == RESERVING else None)
        return "rolled_back"

    async def _roll_forward(self, record: CheckoutRecord, final: dict[str, Any]) -> str:
        try:
            await self._call("confirm the stock", self.inventory.confirm(record.reservation_id))
        except ApiError as exc:
            if exc.code == "RESERVATION_EXPIRED":
                await self._record(record.checkout_id, FAILED, outcome=exc.code)
                return "expired"
            return "deferred"
        order = _order(record.checkout_id, record.request, final, record.reservation_id)
        await self.db.run(self.book.confirm, record.checkout_id, order)
        ORDERS.labels("confirmed").inc()
        ORDER_UNITS.inc(sum(line["quantity"] for line in merge_lines(record.request)))
        return "rolled_forward"


def _code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, ApiError) else type(exc).__name__


def rejection_error(exc: DownstreamRejected, doing: str) -> ApiError:
    """A dependency's refusal as the gateway answers it: the caller's mistake (stock, product, discount code,
    currency) as a 400 in the dependency's words, anything else as 502 DEPENDENCY_REJECTED."""
    if exc.code == "INSUFFICIENT_STOCK":
        return ApiError(400, "INSUFFICIENT_STOCK", f"Could not {doing}: {exc.message}", exc.details)
    if exc.code == "PRODUCT_NOT_FOUND":
        return ApiError(400, "UNKNOWN_PRODUCT", exc.message, exc.details)
    if 400 <= exc.status < 500 and exc.code in {"INVALID_DISCOUNT_CODE", "UNSUPPORTED_CURRENCY"}:
        return ApiError(400, exc.code, exc.message, exc.details)
    if exc.code == "RESERVATION_NOT_HELD":
        return ApiError(
            503,
            "RESERVATION_EXPIRED",
            "The stock held for this order was released before the order could be confirmed; nothing was ordered, "
            "please try again.",
        )
    # Any other refusal means the gateway sent something the dependency did not expect.
    return ApiError(
        502, "DEPENDENCY_REJECTED", f"Could not {doing}: {exc.dependency} refused the request ({exc.code})."
    )


def _order(order_id: str, request: OrderRequest, final: dict[str, Any], reservation_id: str) -> Order:
    return Order(
        order_id=order_id,
        status="confirmed",
        customer_id=request.customer_id,
        currency=final["currency"],
        items=[
            {
                "productId": line["productId"],
                "quantity": line["quantity"],
                "unitPrice": line["unitPrice"],
                "lineTotal": line["lineTotal"],
            }
            for line in final["lines"]
        ],
        subtotal=final["subtotal"],
        discounts=final["discounts"],
        discount_total=final["discountTotal"],
        tax_rate=final["taxRate"],
        tax=final["tax"],
        total=final["total"],
        reservation_id=reservation_id,
        created_at=datetime.now(UTC).isoformat(),
    )

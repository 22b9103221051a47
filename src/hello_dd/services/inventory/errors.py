"""Inventory's refusals as the API answers them: status, code, message and details (the contract's
error codes), each counted under its reservation outcome where it has one."""

from __future__ import annotations

from collections.abc import Sequence

from hello_dd.services.common.errors import ApiError
from hello_dd.services.inventory import metrics
from hello_dd.services.inventory.domain import Line, Reservation


class ProductNotFound(ApiError):
    outcome = metrics.PRODUCT_NOT_FOUND

    def __init__(self, product_ids: Sequence[str]):
        super().__init__(
            404,
            "PRODUCT_NOT_FOUND",
            f"No product with id {', '.join(product_ids)}.",
            details={"productIds": list(product_ids)},
        )


class InsufficientStock(ApiError):
    outcome = metrics.INSUFFICIENT_STOCK

    def __init__(self, shortages: Sequence[tuple[Line, int]]):
        short = "; ".join(f"product {line.product_id} has {left} of {line.quantity}" for line, left in shortages)
        super().__init__(
            409,
            "INSUFFICIENT_STOCK",
            f"Not enough stock: {short}.",
            details=[
                {"productId": line.product_id, "requested": line.quantity, "available": available}
                for line, available in shortages
            ],
        )


class ReservationNotFound(ApiError):
    def __init__(self, reservation_id: str):
        super().__init__(404, "RESERVATION_NOT_FOUND", f"No reservation with id {reservation_id}.")


class ReservationNotHeld(ApiError):
    """A confirmation came too late: the reservation was released (by its caller or by expiry)."""

    def __init__(self, reservation: Reservation):
        super().__init__(
            409,
            "RESERVATION_NOT_HELD",
            f"Reservation {reservation.reservation_id} is {reservation.status} and can no longer be confirmed.",
            details={"reservationId": reservation.reservation_id, "status": reservation.status},
        )

"""What the stock repository records as it works: each reservation outcome counted in the metrics,
and each movement of units logged with the reservation's id."""

from __future__ import annotations

import logging

from hello_dd.services.inventory import metrics
from hello_dd.services.inventory.domain import Reservation, units
from hello_dd.services.inventory.errors import InsufficientStock, ProductNotFound

log = logging.getLogger("hello_dd.services.inventory.stock")


def replayed(existing: Reservation) -> None:
    metrics.RESERVATIONS.labels(metrics.REPLAYED).inc()
    log.info(
        "reservation %s already exists; returned unchanged",
        existing.reservation_id,
        extra={"reservation_id": existing.reservation_id, "status": existing.status},
    )


def refused(reservation_id: str, refusal: ProductNotFound | InsufficientStock) -> None:
    metrics.RESERVATIONS.labels(refusal.outcome).inc()
    # Too little stock for a reservation is worth an operator's attention; an unknown product is the caller's mistake.
    level = logging.WARNING if isinstance(refusal, InsufficientStock) else logging.INFO
    log.log(
        level,
        "reservation %s refused: %s",
        reservation_id,
        refusal.code,
        extra={"reservation_id": reservation_id, "error_code": refusal.code, "details": refusal.details},
    )


def moved(verb: str, reservation: Reservation) -> None:
    count = units(reservation.items)
    log.info(
        "%s %d units for reservation %s",
        verb,
        count,
        reservation.reservation_id,
        extra={
            "reservation_id": reservation.reservation_id,
            "product_ids": [line.product_id for line in reservation.items],
            "units": count,
        },
    )

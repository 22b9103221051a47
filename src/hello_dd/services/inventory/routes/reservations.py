"""Reservations: atomic, idempotent holds on stock, their confirmation and their release."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from hello_dd.services.common.errors import error_responses
from hello_dd.services.inventory import domain
from hello_dd.services.inventory.dependencies import Stock
from hello_dd.services.inventory.models import RESERVATION_ID_PATTERN, Reservation, ReservationRequest

router = APIRouter(prefix="/reservations", tags=["reservations"])

ReservationIdPath = Annotated[str, Path(alias="reservationId", pattern=RESERVATION_ID_PATTERN)]
UNKNOWN_RESERVATION = error_responses({404: "No reservation with this id (RESERVATION_NOT_FOUND)"})


def _answer(reservation: domain.Reservation) -> Reservation:
    return Reservation.model_validate(reservation)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Hold stock for every line, or for none",
    responses={
        200: {"model": Reservation, "description": "The reservation id was used before: the existing reservation"},
        **error_responses(
            {
                404: "A line names an unknown product (PRODUCT_NOT_FOUND)",
                409: "Not enough stock for at least one line (INSUFFICIENT_STOCK); details list the short lines",
            }
        ),
    },
)
def create_reservation(request: ReservationRequest, stock: Stock, response: Response) -> Reservation:
    lines = [domain.Line(line.product_id, line.quantity) for line in request.items]
    reservation, created = stock.reserve(request.reservation_id, lines)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _answer(reservation)


@router.get("/{reservationId}", summary="One reservation", responses=UNKNOWN_RESERVATION)
def get_reservation(reservation_id: ReservationIdPath, stock: Stock) -> Reservation:
    return _answer(stock.get_reservation(reservation_id))


@router.post(
    "/{reservationId}/confirm",
    summary="Keep a held reservation for good: its order is confirmed (confirming twice changes nothing)",
    responses=error_responses(
        {
            404: "No reservation with this id (RESERVATION_NOT_FOUND)",
            409: "The reservation was released or its hold expired (RESERVATION_NOT_HELD)",
        }
    ),
)
def confirm_reservation(reservation_id: ReservationIdPath, stock: Stock) -> Reservation:
    return _answer(stock.confirm(reservation_id))


@router.post(
    "/{reservationId}/release",
    summary="Return a held or confirmed reservation's units to available stock (releasing twice changes nothing)",
    responses=UNKNOWN_RESERVATION,
)
def release_reservation(reservation_id: ReservationIdPath, stock: Stock) -> Reservation:
    return _answer(stock.release(reservation_id))

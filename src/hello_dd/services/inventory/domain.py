"""What inventory keeps and decides, without storage or HTTP: stock levels, order lines, reservations
and their states, and the rules on lines (repeated products merged, a line checked against a level)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

HELD = "held"
CONFIRMED = "confirmed"
RELEASED = "released"
# How long a reservation is held when the repository is not told otherwise (the service passes
# RESERVATION_HOLD_SECONDS).
DEFAULT_HOLD_SECONDS = 30.0


@dataclass(frozen=True)
class StockLevel:
    product_id: str
    name: str
    category: str
    warehouse: str
    available: int
    reserved: int

    @property
    def in_stock(self) -> bool:
        return self.available > 0


@dataclass(frozen=True)
class Line:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class LineCheck:
    product_id: str
    found: bool
    requested: int
    available: int
    sufficient: bool


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    status: str
    items: tuple[Line, ...]
    created_at: datetime
    expires_at: datetime | None = None


def merge_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """Folds repeated products into one line (at the first one's position), so the conditional
    update checks a product's whole quantity at once and each product row is updated once."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return tuple(Line(product_id, quantity) for product_id, quantity in totals.items())


def check_line(line: Line, level: StockLevel | None) -> LineCheck:
    available = level.available if level else 0
    found = level is not None
    return LineCheck(line.product_id, found, line.quantity, available, found and available >= line.quantity)


def units(lines: Iterable[Line]) -> int:
    return sum(line.quantity for line in lines)

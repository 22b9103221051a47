"""Stock levels and reservations: the only code that touches the inventory tables.

Reservations are atomic and idempotent without application-level locks, so they stay correct with
several worker threads or processes on the same database:

* the reservation row goes in first, in the same transaction as the stock changes; its primary key
  makes a repeated (or concurrent) request with the same ``reservationId`` fail with an integrity
  error, which is answered by reading back the reservation that won;
* each product is decremented by a conditional ``UPDATE ... WHERE available >= quantity``, so stock
  can never be oversold; if any line fails, the whole transaction rolls back;
* products are updated in product-id order, so two reservations can never deadlock on PostgreSQL;
* a release flips the status with ``WHERE status IN ('held', 'confirmed')``; only the caller that
  flipped it returns the units, so releasing twice (or concurrently) returns them once;
* a confirmation flips ``held`` to ``confirmed`` the same way; a confirmed reservation no longer
  expires, and its units stay reserved (they belong to an order);
* a held reservation carries ``expires_at``: the expiry sweep (:meth:`StockRepository.expire_due`)
  releases those nobody confirmed in time, with the same conditional flip, so a sweep racing a
  confirmation or a release changes the stock once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from hello_dd.services.common import telemetry
from hello_dd.services.inventory import metrics, outcomes
from hello_dd.services.inventory.database import (
    autocommit_connection,
    inline_reads,
    products,
    reservation_lines,
    reservations,
    write_transaction,
)
from hello_dd.services.inventory.domain import (
    CONFIRMED,
    DEFAULT_HOLD_SECONDS,
    HELD,
    RELEASED,
    Line,
    LineCheck,
    Reservation,
    StockLevel,
    check_line,
    merge_lines,
    units,
)
from hello_dd.services.inventory.errors import (
    InsufficientStock,
    ProductNotFound,
    ReservationNotFound,
    ReservationNotHeld,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_ONE_LEVEL = select(products).where(products.c.product_id == bindparam("product_id"))


def _level(row: Row[Any]) -> StockLevel:
    return StockLevel(row.product_id, row.name, row.category, row.warehouse, row.available, row.reserved)


def _as_utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone; every timestamp is written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _by_product(lines: Iterable[Line]) -> list[Line]:
    return sorted(lines, key=attrgetter("product_id"))


class StockRepository:
    """The methods are synchronous (SQLAlchemy Core). Async routes call the reads through
    :meth:`read`, which decides where they run."""

    def __init__(self, engine: Engine, hold_seconds: float = DEFAULT_HOLD_SECONDS):
        self._engine = engine
        self._hold = timedelta(seconds=hold_seconds)
        self._inline_reads = inline_reads(engine)
        # SQLite's read connection for the event loop's thread, opened by the first inline read.
        self._reader: Connection | None = None
        self._reader_thread: int | None = None

    async def read(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Runs one of this repository's read methods for an async route. On SQLite it runs right
        here, on the event loop's thread, on a connection held for the purpose: a point read takes
        tens of microseconds, several times less than handing it to a worker thread and back (which is
        what FastAPI does with a plain ``def`` route, twice per request). On a database server the
        answer comes over the network, so the read goes to a worker thread and the loop keeps serving."""
        if not self._inline_reads:
            return await run_in_threadpool(method, *args, **kwargs)
        if self._reader is None:
            self._reader = autocommit_connection(self._engine)
            self._reader_thread = threading.get_ident()
        return method(*args, **kwargs)

    def close(self) -> None:
        """Closes the held read connection (from the thread that opened it: the event loop's)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if self._reader is not None and self._reader_thread == threading.get_ident():
            yield self._reader
            return
        with self._engine.connect() as conn:
            yield conn

    # --- stock levels -------------------------------------------------------------------------

    def list_levels(self, limit: int, offset: int) -> tuple[list[StockLevel], int]:
        page = select(products).order_by(products.c.product_id).limit(limit).offset(offset)
        with self._reading() as conn:
            total = conn.scalar(select(func.count()).select_from(products)) or 0
            levels = [_level(row) for row in conn.execute(page)]
        return levels, total

    def get_level(self, product_id: str) -> StockLevel:
        with self._reading() as conn:
            row = conn.execute(_ONE_LEVEL, {"product_id": product_id}).first()
        if row is None:
            raise ProductNotFound([product_id])
        return _level(row)

    def get_levels(self, product_ids: Iterable[str]) -> dict[str, StockLevel]:
        query = select(products).where(products.c.product_id.in_(set(product_ids)))
        with self._reading() as conn:
            return {row.product_id: _level(row) for row in conn.execute(query)}

    def set_available(self, product_id: str, available: int) -> StockLevel:
        """A stock count: the units on the shelf become ``available``; held reservations keep theirs."""
        statement = update(products).where(products.c.product_id == product_id).values(available=available)
        with write_transaction(self._engine) as conn:
            if conn.execute(statement).rowcount == 0:
                raise ProductNotFound([product_id])
        log.info(
            "stock of %s set to %d available units",
            product_id,
            available,
            extra={"product_id": product_id, "available": available},
        )
        return self.get_level(product_id)

    def check(self, lines: Sequence[Line]) -> list[LineCheck]:
        """Answers each line on its own, from the current levels; nothing is held."""
        levels = self.get_levels(line.product_id for line in lines)
        return [check_line(line, levels.get(line.product_id)) for line in lines]

    # --- reservations -------------------------------------------------------------------------

    def reserve(self, reservation_id: str, lines: Iterable[Line]) -> tuple[Reservation, bool]:
        """Holds every line or nothing. Returns the reservation and whether this call created it
        (``False``: the id was already used, and the existing reservation is returned unchanged)."""
        now = datetime.now(UTC)
        reservation = Reservation(reservation_id, HELD, merge_lines(lines), now, now + self._hold)
        try:
            with write_transaction(self._engine) as conn:
                _insert_header(conn, reservation)
                _take_stock(conn, reservation.items)
                _insert_lines(conn, reservation)
        except IntegrityError:
            existing = self.find_reservation(reservation_id)
            if existing is None:
                raise  # some other constraint failed: not a replay
            outcomes.replayed(existing)
            return existing, False
        except (ProductNotFound, InsufficientStock) as refusal:
            outcomes.refused(reservation_id, refusal)
            raise
        metrics.RESERVATIONS.labels(metrics.RESERVED).inc()
        metrics.UNITS_RESERVED.inc(units(reservation.items))
        outcomes.moved("reserved", reservation)
        return reservation, True

    def find_reservation(self, reservation_id: str) -> Reservation | None:
        with self._engine.connect() as conn:
            return _load_reservation(conn, reservation_id)

    def get_reservation(self, reservation_id: str) -> Reservation:
        reservation = self.find_reservation(reservation_id)
        if reservation is None:
            raise ReservationNotFound(reservation_id)
        return reservation

    def confirm(self, reservation_id: str) -> Reservation:
        """Keeps a held reservation for good (its order is confirmed): it no longer expires. Confirming
        a confirmed one changes nothing; a released one cannot be confirmed (:class:`ReservationNotHeld`)."""
        flip = (
            update(reservations)
            .where(reservations.c.reservation_id == reservation_id, reservations.c.status == HELD)
            .values(status=CONFIRMED, expires_at=None)
        )
        with write_transaction(self._engine) as conn:
            flipped = conn.execute(flip).rowcount == 1
            reservation = _load_reservation(conn, reservation_id)
        if reservation is None:
            raise ReservationNotFound(reservation_id)
        if reservation.status == RELEASED:
            raise ReservationNotHeld(reservation)
        if flipped:
            metrics.RESERVATIONS_SETTLED.labels(metrics.CONFIRMED).inc()
            outcomes.moved("confirmed", reservation)
        return reservation

    def release(self, reservation_id: str) -> Reservation:
        """Returns the units of a held or confirmed reservation (the caller undoes a checkout it could
        not complete); releasing a released one changes nothing."""
        reservation, released = self._release_if(reservation_id, reservations.c.status.in_((HELD, CONFIRMED)))
        if reservation is None:
            raise ReservationNotFound(reservation_id)
        if released:
            metrics.RESERVATIONS_SETTLED.labels(metrics.RELEASED).inc()
            outcomes.moved("released", reservation)
        return reservation

    def expire_due(self, now: datetime | None = None, limit: int = 500) -> int:
        """Releases held reservations whose hold ran out (at most ``limit`` per call); returns how many.
        Each one is flipped on its own condition, so a confirmation that arrives first wins."""
        now = now or datetime.now(UTC)
        due = (
            select(reservations.c.reservation_id)
            .where(reservations.c.status == HELD, reservations.c.expires_at <= now)
            .order_by(reservations.c.expires_at)
            .limit(limit)
        )
        with telemetry.quietly(), self._engine.connect() as conn:  # an empty look leaves no trace
            ids = list(conn.scalars(due))
        if not ids:
            return 0
        expired = 0
        with telemetry.job("reservation.sweep", **{"hello_dd.reservations.due": len(ids)}) as span:
            for reservation_id in ids:
                condition = (reservations.c.status == HELD) & (reservations.c.expires_at <= now)
                reservation, released = self._release_if(reservation_id, condition)
                if reservation is not None and released:
                    expired += 1
                    metrics.RESERVATIONS_SETTLED.labels(metrics.EXPIRED).inc()
                    outcomes.moved("expired, released", reservation)
            span.set_attribute("hello_dd.reservations.released", expired)
        return expired

    def _release_if(self, reservation_id: str, condition: Any) -> tuple[Reservation | None, bool]:
        """Flips the reservation to released when ``condition`` holds and returns its units, in one
        transaction; returns the reservation (None when unknown) and whether this call released it."""
        flip = (
            update(reservations)
            .where(reservations.c.reservation_id == reservation_id, condition)
            .values(status=RELEASED, expires_at=None)
        )
        with write_transaction(self._engine) as conn:
            flipped = conn.execute(flip).rowcount == 1
            reservation = _load_reservation(conn, reservation_id)
            if reservation is not None and flipped:
                _return_stock(conn, reservation.items)
        if flipped and reservation is not None:
            metrics.UNITS_RELEASED.inc(units(reservation.items))
        return reservation, flipped


# --- SQL steps of the transactions above ---------------------------------------------------------


def _insert_header(conn: Connection, reservation: Reservation) -> None:
    # First statement of the transaction: a duplicate id fails here, before any stock moves.
    conn.execute(
        insert(reservations).values(
            reservation_id=reservation.reservation_id,
            status=reservation.status,
            created_at=reservation.created_at,
            expires_at=reservation.expires_at,
        )
    )


def _insert_lines(conn: Connection, reservation: Reservation) -> None:
    conn.execute(
        insert(reservation_lines),
        [
            {
                "reservation_id": reservation.reservation_id,
                "line_no": number,
                "product_id": line.product_id,
                "quantity": line.quantity,
            }
            for number, line in enumerate(reservation.items)
        ],
    )


def _take_stock(conn: Connection, lines: Sequence[Line]) -> None:
    """Every line is attempted, so a refusal names all the short products, not just the first."""
    short = []
    for line in _by_product(lines):
        taken = conn.execute(
            update(products)
            .where(products.c.product_id == line.product_id, products.c.available >= line.quantity)
            .values(available=products.c.available - line.quantity, reserved=products.c.reserved + line.quantity)
        )
        if taken.rowcount == 0:
            short.append(line)
    if short:
        raise _refusal(conn, short)


def _refusal(conn: Connection, short: Sequence[Line]) -> ProductNotFound | InsufficientStock:
    """Unknown products win over shortages: the request named something that does not exist."""
    query = select(products.c.product_id, products.c.available).where(
        products.c.product_id.in_([line.product_id for line in short])
    )
    available: dict[str, int] = {row.product_id: row.available for row in conn.execute(query)}
    missing = [line.product_id for line in short if line.product_id not in available]
    if missing:
        return ProductNotFound(missing)
    return InsufficientStock([(line, available[line.product_id]) for line in short])


def _return_stock(conn: Connection, lines: Sequence[Line]) -> None:
    for line in _by_product(lines):
        conn.execute(
            update(products)
            .where(products.c.product_id == line.product_id)
            .values(available=products.c.available + line.quantity, reserved=products.c.reserved - line.quantity)
        )


def _load_reservation(conn: Connection, reservation_id: str) -> Reservation | None:
    header = conn.execute(select(reservations).where(reservations.c.reservation_id == reservation_id)).first()
    if header is None:
        return None
    lines = conn.execute(
        select(reservation_lines.c.product_id, reservation_lines.c.quantity)
        .where(reservation_lines.c.reservation_id == reservation_id)
        .order_by(reservation_lines.c.line_no)
    )
    items = tuple(Line(row.product_id, row.quantity) for row in lines)
    expires_at = _as_utc(header.expires_at) if header.expires_at is not None else None
    return Reservation(header.reservation_id, header.status, items, _as_utc(header.created_at), expires_at)

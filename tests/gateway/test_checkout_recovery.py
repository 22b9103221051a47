"""Recovery settles only the checkouts no request of this gateway is running, even when a request
finishes, or begins and finishes, while recovery is reading the unsettled checkouts (on SQLite, and
on PostgreSQL when its binaries are installed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from hello_dd.services.gateway.checkout import CheckoutSaga
from hello_dd.services.gateway.database import Database, checkouts
from hello_dd.services.gateway.models import OrderRequest
from hello_dd.services.gateway.order_book import CheckoutRecord, OrderBook

from .support import confirmed_order

REQUEST = OrderRequest(items=[{"productId": "123", "quantity": 2}], customerId="cust-789")


@pytest.fixture
def saga(database_url):
    db = Database(database_url)
    # No inventory or pricing: settling a checkout calls them, so a checkout settled by mistake fails
    # the test with an AttributeError, besides leaving its record changed.
    yield CheckoutSaga(inventory=None, pricing=None, book=OrderBook(db.engine, owner="gw-this"), db=db)  # type: ignore[arg-type]
    db.close()


def _while_recovery_reads(saga: CheckoutSaga, meanwhile: Callable[[], None]) -> None:
    """Recovery's read of the unsettled checkouts, with ``meanwhile`` done by a request of this gateway
    after the database has answered it and before recovery looks at what it read."""
    read = saga.book.unsettled

    def read_then_meanwhile() -> list[CheckoutRecord]:
        records = read()
        meanwhile()
        return records

    saga.book.unsettled = read_then_meanwhile  # type: ignore[method-assign]


def _reserving(saga: CheckoutSaga, checkout_id: str) -> None:
    saga.book.begin(checkout_id, REQUEST, f"res-{checkout_id}", None)
    saga.book.advance(checkout_id, "reserving")


def _state(saga: CheckoutSaga, checkout_id: str) -> str:
    with saga.db.engine.connect() as conn:
        return conn.scalar(select(checkouts.c.state).where(checkouts.c.checkout_id == checkout_id))


def _finish(saga: CheckoutSaga, checkout_id: str) -> None:
    saga.book.confirm(checkout_id, confirmed_order(checkout_id))
    saga.in_flight.discard(checkout_id)


async def test_a_checkout_that_finishes_while_recovery_reads_is_left_alone(saga):
    saga.in_flight.add("ord-running")
    _reserving(saga, "ord-running")
    _while_recovery_reads(saga, lambda: _finish(saga, "ord-running"))

    assert await saga.recover() == 0
    assert _state(saga, "ord-running") == "confirmed"


async def test_a_checkout_that_begins_and_finishes_while_recovery_reads_is_left_alone(saga):
    def begin_and_finish() -> None:
        saga.in_flight.add("ord-quick")
        _reserving(saga, "ord-quick")
        # Recovery's read saw it reserving: it is read again here, as the database had answered.
        records.extend(r for r in original() if r.checkout_id == "ord-quick")
        _finish(saga, "ord-quick")

    original = saga.book.unsettled
    records: list[CheckoutRecord] = []
    saga.book.unsettled = lambda: (begin_and_finish(), records)[1]  # type: ignore[method-assign]

    assert await saga.recover() == 0
    assert [r.state for r in records] == ["reserving"]
    assert _state(saga, "ord-quick") == "confirmed"


async def test_a_checkout_no_request_is_running_is_settled(saga):
    """The other side: one a stopped gateway left started is settled (failed, as interrupted)."""
    saga.book.begin("ord-left", REQUEST, "res-ord-left", None)

    assert await saga.recover() == 1
    assert _state(saga, "ord-left") == "failed"

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


def _around_recovery_read(
    saga: CheckoutSaga, before: Callable[[], None], after: Callable[[], None]
) -> list[CheckoutRecord]:
    """Recovery's read of the unsettled checkouts, with ``before`` done by a request of this gateway just
    before the database answers it, and ``after`` once it has answered and before recovery looks at what
    it read. Returns the list that will hold what the read found."""
    read = saga.book.unsettled
    found: list[CheckoutRecord] = []

    def read_between() -> list[CheckoutRecord]:
        before()
        found.extend(read())
        after()
        return found

    saga.book.unsettled = read_between  # type: ignore[method-assign]
    return found


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
    found = _around_recovery_read(saga, before=lambda: None, after=lambda: _finish(saga, "ord-running"))

    assert await saga.recover() == 0
    assert [r.state for r in found] == ["reserving"]
    assert _state(saga, "ord-running") == "confirmed"


async def test_a_checkout_that_begins_and_finishes_while_recovery_reads_is_left_alone(saga):
    def begin() -> None:
        saga.in_flight.add("ord-quick")
        _reserving(saga, "ord-quick")

    found = _around_recovery_read(saga, before=begin, after=lambda: _finish(saga, "ord-quick"))

    assert await saga.recover() == 0
    assert [r.state for r in found] == ["reserving"]
    assert _state(saga, "ord-quick") == "confirmed"


async def test_a_checkout_no_request_is_running_is_settled(saga):
    """The other side: one a stopped gateway left started is settled (failed, as interrupted)."""
    saga.book.begin("ord-left", REQUEST, "res-ord-left", None)

    assert await saga.recover() == 1
    assert _state(saga, "ord-left") == "failed"

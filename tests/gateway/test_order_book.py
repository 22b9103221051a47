"""Orders, checkout records and idempotency keys in the gateway's database (each test on SQLite, and
on PostgreSQL when its binaries are installed)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from hello_dd.services.gateway.database import Database
from hello_dd.services.gateway.idempotency import KeyClaim, KeyReused, fingerprint, forget_keys
from hello_dd.services.gateway.models import OrderRequest
from hello_dd.services.gateway.order_book import OrderBook

from .support import confirmed_order

REQUEST = OrderRequest(items=[{"productId": "123", "quantity": 2}], customerId="cust-789")
OTHER = OrderRequest(items=[{"productId": "123", "quantity": 3}], customerId="cust-789")


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.close()


@pytest.fixture
def book(db) -> OrderBook:
    return OrderBook(db.engine, owner="gw-this")


def _claim(key: str = "key-1", request: OrderRequest = REQUEST) -> KeyClaim | None:
    return KeyClaim.of("orders", key, request)


def test_the_fingerprint_ignores_key_order_and_spacing():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_a_confirmed_order_reads_back_exactly(book):
    assert book.begin("ord-1", REQUEST, "res-ord-1", None).started
    order = confirmed_order("ord-1")
    book.confirm("ord-1", order)
    assert book.get("ord-1") == order
    assert book.get("ord-unknown") is None
    assert book.unsettled() == []


def test_a_key_replays_its_order_and_refuses_another_body(book):
    assert book.begin("ord-1", REQUEST, "res-ord-1", _claim()).started
    book.confirm("ord-1", confirmed_order("ord-1"))
    again = book.begin("ord-2", REQUEST, "res-ord-2", _claim())
    assert (again.started, again.replay) == (False, book.get("ord-1"))
    with pytest.raises(KeyReused) as refused:
        book.begin("ord-3", OTHER, "res-ord-3", _claim(request=OTHER))
    assert (refused.value.status, refused.value.code) == (422, "IDEMPOTENCY_KEY_REUSED")
    # Keys are per endpoint: the same key on reports is another key.
    assert KeyClaim.of("reports", "key-1", REQUEST) != _claim()


def test_a_key_in_use_waits_and_a_failed_attempt_lets_the_key_try_again(book):
    assert book.begin("ord-1", REQUEST, "res-ord-1", _claim()).started
    busy = book.begin("ord-2", REQUEST, "res-ord-2", _claim())
    assert (busy.started, busy.replay) == (False, None)
    book.advance("ord-1", "failed", outcome="DEPENDENCY_UNAVAILABLE")
    assert book.begin("ord-3", REQUEST, "res-ord-3", _claim()).started
    assert [r.checkout_id for r in book.unsettled()] == ["ord-3"]


def test_concurrent_first_uses_of_one_key_start_one_checkout(db):
    books = [OrderBook(db.engine, owner="gw-this") for _ in range(8)]
    barrier = threading.Barrier(len(books))
    results: list = [None] * len(books)

    def begin(i: int) -> None:
        barrier.wait()
        results[i] = books[i].begin(f"ord-{i}", REQUEST, f"res-ord-{i}", _claim("shared"))

    threads = [threading.Thread(target=begin, args=(i,)) for i in range(len(books))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(1 for r in results if r is not None and r.started) == 1, results
    assert len(books[0].unsettled()) == 1


def test_unsettled_checkouts_carry_what_recovery_needs(book):
    book.begin("ord-1", REQUEST, "res-ord-1", None)
    book.advance("ord-1", "finalized", final_quote={"total": 64.93})
    [record] = book.unsettled()
    assert (record.state, record.owner, record.request, record.reservation_id, record.final_quote) == (
        "finalized",
        "gw-this",
        REQUEST,
        "res-ord-1",
        {"total": 64.93},
    )


def test_orders_are_found_by_the_day_they_were_placed(book):
    for order_id, day in (
        ("ord-a", datetime(2026, 3, 1, 23, 59, tzinfo=UTC)),
        ("ord-b", datetime(2026, 3, 2, 0, 1, tzinfo=UTC)),
    ):
        book.begin(order_id, REQUEST, f"res-{order_id}", None)
        book.confirm(order_id, confirmed_order(order_id, day))
    assert [o.order_id for o in book.placed_between(date(2026, 3, 1), date(2026, 3, 1))] == ["ord-a"]
    assert [o.order_id for o in book.placed_between(date(2026, 3, 1), date(2026, 3, 2))] == ["ord-a", "ord-b"]
    # The widest period a report may ask for.
    assert [o.order_id for o in book.placed_between(date.min, date.max)] == ["ord-a", "ord-b"]


def test_retention_deletes_settled_records_and_keys_but_keeps_orders_unless_told(book, db):
    book.begin("ord-1", REQUEST, "res-ord-1", _claim())
    book.confirm("ord-1", confirmed_order("ord-1"))
    later = datetime.now(UTC) + timedelta(hours=25)
    assert book.forget(settled_before=later, orders_before=None) == (1, 0)
    assert forget_keys(db.engine, created_before=later) == 1
    assert book.get("ord-1") is not None
    assert book.forget(settled_before=later, orders_before=later) == (0, 1)
    assert book.get("ord-1") is None
